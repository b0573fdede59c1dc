import {
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  IAMClient,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { Credentials } from './lambda-runtime';

/**
 * IAM in moto with enforcement on. moto authorizes every call by the caller's policies once its first
 * `INITIAL_NO_AUTH_ACTION_COUNT` calls are done; the harness spends exactly those on creating one admin user per
 * account (itself, the stand-in for whoever runs `cdk deploy`). Everything after is signed and authorized: the
 * harness deploys with the admin, and every function and state machine calls with its own synthesized role.
 */
export interface Accounts {
  /** The admin credentials of an account (the deployer's). */
  admin(account: string): Credentials;
  readonly ids: readonly string[];
}

export const ADMIN_USER = 'lifeline-harness-admin';
const ADMIN_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
});

/** Unauthenticated calls `bootstrapAdmins` makes: 3 for the default account, 4 for each other one. */
export const bootstrapCalls = (accounts: readonly string[]) => 3 + 4 * (accounts.length - 1);

/**
 * Creates the admin user of each account with the first, unauthenticated calls (the first account is moto's
 * default; another account is reached by assuming any role in it, which moto allows before enforcement starts).
 */
export async function bootstrapAdmins(endpoint: string, accountIds: readonly string[]): Promise<Accounts> {
  const admins = new Map<string, Credentials>();
  const base = { region: 'us-east-1', endpoint, maxAttempts: 1 };
  for (const [i, account] of accountIds.entries()) {
    let credentials: Credentials = { accessKeyId: 'bootstrap', secretAccessKey: 'bootstrap' };
    if (i > 0) {
      const assumed = await new STSClient({ ...base, credentials }).send(
        new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/bootstrap`, RoleSessionName: 'bootstrap' }),
      );
      credentials = {
        accessKeyId: assumed.Credentials?.AccessKeyId ?? '',
        secretAccessKey: assumed.Credentials?.SecretAccessKey ?? '',
        sessionToken: assumed.Credentials?.SessionToken,
      };
    }
    const iam = new IAMClient({ ...base, credentials });
    await iam.send(new CreateUserCommand({ UserName: ADMIN_USER }));
    await iam.send(
      new PutUserPolicyCommand({ UserName: ADMIN_USER, PolicyName: 'admin', PolicyDocument: ADMIN_POLICY }),
    );
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: ADMIN_USER }))).AccessKey;
    admins.set(account, { accessKeyId: key?.AccessKeyId ?? '', secretAccessKey: key?.SecretAccessKey ?? '' });
  }
  return {
    ids: accountIds,
    admin(account) {
      const found = admins.get(account);
      if (!found) throw new Error(`The harness has no admin in account ${account}; it knows ${accountIds.join(', ')}`);
      return found;
    },
  };
}

/**
 * Credentials of each account on an endpoint that enforces no IAM (LocalStack, a moto server started apart): the
 * default account's are an access key that is the account's id (LocalStack takes a 12-digit key for the account;
 * moto's default account is this one); another account's are a session of a role in it, as `bootstrapAdmins` gets
 * one (neither endpoint checks the role without IAM enforced).
 */
export async function openAccounts(endpoint: string, accountIds: readonly string[]): Promise<Accounts> {
  const credentials = new Map<string, Credentials>();
  for (const [i, account] of accountIds.entries()) {
    const own: Credentials = { accessKeyId: account, secretAccessKey: 'lifeline-harness' };
    if (i === 0) {
      credentials.set(account, own);
      continue;
    }
    const assumed = await new STSClient({ region: 'us-east-1', endpoint, credentials: own }).send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${account}:role/${ADMIN_USER}`,
        RoleSessionName: 'lifeline-harness',
        DurationSeconds: 43_200,
      }),
    );
    credentials.set(account, {
      accessKeyId: assumed.Credentials?.AccessKeyId ?? '',
      secretAccessKey: assumed.Credentials?.SecretAccessKey ?? '',
      sessionToken: assumed.Credentials?.SessionToken,
    });
  }
  return {
    ids: accountIds,
    admin(account) {
      const found = credentials.get(account);
      if (!found)
        throw new Error(`The harness has no credentials of account ${account}; it knows ${accountIds.join(', ')}`);
      return found;
    },
  };
}

/** A role as synthesized, for the IAM evaluation of what its sessions did. */
export interface LocalRole {
  readonly arn: string;
  readonly account: string;
  readonly name: string;
  readonly stack: string;
  readonly logicalId: string;
  readonly trust: unknown;
  readonly policies: Array<{ name: string; document: unknown }>;
}

export class LocalIam {
  readonly roles = new Map<string, LocalRole>();
  /** Access key of each session the harness handed out → the role's ARN. */
  readonly sessions = new Map<string, string>();
  private readonly issued = new Map<string, Promise<Credentials>>();

  constructor(
    private readonly endpoint: string,
    private readonly accounts: Accounts,
  ) {}

  private iam(account: string) {
    return new IAMClient({ region: 'us-east-1', endpoint: this.endpoint, credentials: this.accounts.admin(account) });
  }

  /**
   * Creates a role as synthesized. Its trust names a service (lambda, states) that cannot assume it here, so the
   * trust moto sees also lets the account's deployer assume it, standing in for that service.
   */
  async createRole(
    account: string,
    name: string,
    trust: unknown,
    origin: { stack: string; logicalId: string },
  ): Promise<string> {
    const document = trust as { Statement?: unknown[] };
    const standIn = {
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${account}:user/${ADMIN_USER}` },
      Action: 'sts:AssumeRole',
    };
    const out = await this.iam(account).send(
      new CreateRoleCommand({
        RoleName: name,
        AssumeRolePolicyDocument: JSON.stringify({ ...document, Statement: [...(document.Statement ?? []), standIn] }),
      }),
    );
    const arn = out.Role?.Arn ?? `arn:aws:iam::${account}:role/${name}`;
    this.roles.set(arn, { arn, account, name, ...origin, trust, policies: [] });
    return arn;
  }

  async putRolePolicy(account: string, roleName: string, policyName: string, document: unknown): Promise<void> {
    await this.iam(account).send(
      new PutRolePolicyCommand({
        RoleName: roleName,
        PolicyName: policyName,
        PolicyDocument: JSON.stringify(document),
      }),
    );
    this.roles.get(`arn:aws:iam::${account}:role/${roleName}`)?.policies.push({ name: policyName, document });
  }

  /** Credentials of a session of `roleArn`, as its service would get them (assumed by the stand-in). */
  roleCredentials(roleArn: string): Promise<Credentials> {
    let found = this.issued.get(roleArn);
    if (!found) {
      const account = roleArn.split(':')[4] ?? '';
      const sts = new STSClient({
        region: 'us-east-1',
        endpoint: this.endpoint,
        credentials: this.accounts.admin(account),
      });
      found = sts
        .send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'lifeline', DurationSeconds: 43_200 }))
        .then((out) => {
          const c = out.Credentials;
          if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error(`moto gave no credentials for ${roleArn}`);
          this.sessions.set(c.AccessKeyId, roleArn);
          return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
        });
      this.issued.set(roleArn, found);
    }
    return found;
  }
}
