import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseConfig } from '../fixtures/configs';
import { createOrdersDatabase } from '../fixtures/production';
import { failWith } from '../harness/faults';
import type { LocalRole } from '../harness/iam';
import { type Denial, evaluateRun } from '../harness/iam-evaluation';
import { type LocalAws, startLocalAws } from '../harness/local-aws';
import { runWorkflow, type WorkflowRun } from '../harness/run-workflow';

let aws: LocalAws;
let backup: WorkflowRun;
let failed: WorkflowRun;

beforeAll(async () => {
  aws = await startLocalAws(baseConfig());
  await createOrdersDatabase(aws);
  const machine = aws.cloud.stateMachine('-backup');
  backup = await runWorkflow(aws.cloud, machine, { database: 'orders', scheduledTime: '2026-11-22T02:00:00Z' });
  failed = await runWorkflow(
    aws.cloud,
    machine,
    { database: 'orders', scheduledTime: '2026-11-23T02:00:00Z' },
    { faults: [failWith('CreateDBSnapshotCommand', 'InvalidParameterValue')] },
  );
}, 120_000);
afterAll(async () => aws?.stop());

const calls = (run: WorkflowRun, action: string) => run.calls.filter((c) => c.action === action && c.status < 300);
const primaryKey = () => {
  const primary = aws.app.templates.primary;
  if (!primary) throw new Error('no primary stack');
  return aws.cloud.ref(primary, 'AWS::KMS::Key').replace(/^/, `arn:aws:kms:${primary.region}:${primary.account}:key/`);
};

/** The deployed roles, with `change` applied to a copy of the statements of the role whose ARN `pick` matches. */
function rolesWith(pick: (arn: string) => boolean, change: (statement: Record<string, unknown>) => unknown[]) {
  const roles = new Map<string, LocalRole>();
  for (const [arn, role] of aws.cloud.iam.roles) {
    if (!pick(arn)) roles.set(arn, role);
    else
      roles.set(arn, {
        ...role,
        policies: role.policies.map((p) => {
          const doc = p.document as { Statement: Record<string, unknown>[] };
          return { ...p, document: { ...doc, Statement: doc.Statement.flatMap(change) } };
        }),
      });
  }
  return roles;
}
const isKms = (s: Record<string, unknown>) => [s.Action].flat().some((a) => String(a).startsWith('kms:'));

describe('IAM evaluation of what a run did, as AWS would authorize it', () => {
  it('finds every call of a backup with its DR copy allowed, implied KMS grants included', async () => {
    expect(backup.status, backup.cause).toBe('SUCCEEDED');
    expect(calls(backup, 'CopyDBSnapshot')).toHaveLength(1);
    expect(await evaluateRun(aws, backup)).toEqual([]);
  });

  it('finds a failing backup that publishes its alert to the encrypted topic allowed', async () => {
    expect(failed.status).toBe('FAILED');
    expect(calls(failed, 'Publish')).toHaveLength(1);
    expect(await evaluateRun(aws, failed)).toEqual([]);
  });

  it("denies the alert's implied KMS use when the state machine role loses its KMS statements", async () => {
    // Prepare
    const machineRole = aws.cloud.stateMachine('-backup').roleArn;
    const roles = rolesWith(
      (arn) => arn === machineRole,
      (s) => (isKms(s) ? [] : [s]),
    );
    // Act
    const denials = await evaluateRun(aws, failed, { roles });
    // Assess: moto published the alert; AWS would refuse it for want of the topic key.
    expect(denials.map((d) => [d.logicalId, d.call, d.implied])).toEqual([
      [
        aws.cloud.iam.roles.get(machineRole)?.logicalId,
        'sns:Publish arn:aws:sns:eu-central-1:123456789012:lifeline-alerts',
        `kms:GenerateDataKey ${primaryKey()}`,
      ],
      [
        aws.cloud.iam.roles.get(machineRole)?.logicalId,
        'sns:Publish arn:aws:sns:eu-central-1:123456789012:lifeline-alerts',
        `kms:Decrypt ${primaryKey()}`,
      ],
    ]);
    expect(denials[0]?.reason).toContain('ImplicitlyDenied');
  });

  it('denies the implied KMS use when the key policy does not delegate to IAM', async () => {
    // Prepare: a key policy without the account-root statement: the identity policy alone grants nothing.
    const keyPolicies = new Map([
      [
        primaryKey(),
        {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: 'arn:aws:iam::123456789012:role/someone-else' },
              Action: 'kms:*',
              Resource: '*',
            },
          ],
        },
      ],
    ]);
    // Act
    const denials = await evaluateRun(aws, failed, { keyPolicies });
    // Assess
    expect(denials.map((d) => d.implied)).toContain(`kms:GenerateDataKey ${primaryKey()}`);
  });

  it('denies the DR copy its implied grant on the DR key without the kms:CreateGrant statement', async () => {
    // Prepare
    const copyRole = calls(backup, 'CopyDBSnapshot')[0]?.roleArn ?? '';
    const roles = rolesWith(
      (arn) => arn === copyRole,
      (s) => ([s.Action].flat().includes('kms:CreateGrant') ? [] : [s]),
    );
    // Act
    const denials = await evaluateRun(aws, backup, { roles });
    // Assess
    expect(denials).toHaveLength(1);
    expect(denials[0]?.call).toMatch(
      /^rds:CopyDBSnapshot arn:aws:rds:eu-west-1:123456789012:snapshot:lifeline-orders-/,
    );
    expect(denials[0]?.implied).toMatch(/^kms:CreateGrant arn:aws:kms:eu-west-1:123456789012:key\//);
  });

  it('denies a call on a resource outside the granted ARNs, which moto allowed', async () => {
    // Prepare: the same recorded tagging call, on a snapshot Lifeline did not make (moto checks only the action).
    const [tagging] = calls(backup, 'AddTagsToResource');
    if (!tagging) throw new Error('the backup tagged nothing');
    const foreign = 'arn:aws:rds:eu-central-1:123456789012:snapshot:orders-before-migration';
    const run = { ...backup, calls: [{ ...tagging, params: { ...tagging.params, ResourceName: foreign } }] };
    // Act
    const denials = await evaluateRun(aws, run);
    // Assess
    expect(denials).toEqual([
      expect.objectContaining({ roleArn: tagging.roleArn, call: `rds:AddTagsToResource ${foreign}` }),
    ]);
  });
});

describe('IAM evaluation of what RDS implies', () => {
  it('denies tags on a new snapshot when the role may create it but not tag it', async () => {
    // Prepare
    const createRole = calls(backup, 'CreateDBSnapshot')[0]?.roleArn ?? '';
    const roles = rolesWith(
      (arn) => arn === createRole,
      (s) => ([s.Action].flat().includes('rds:AddTagsToResource') ? [] : [s]),
    );
    // Act
    const denials = await evaluateRun(aws, backup, { roles });
    // Assess
    expect(denials.map((d) => d.implied)).toEqual([
      expect.stringMatching(/^rds:AddTagsToResource arn:aws:rds:eu-central-1:123456789012:snapshot:lifeline-orders-/),
    ]);
  });
});

/** A successful call as the wire records it, made by `roleArn`. */
function recorded(
  roleArn: string,
  service: string,
  region: string,
  action: string,
  params: Record<string, unknown>,
): WorkflowRun['calls'][number] {
  return { service, region, action, protocol: 'query', params, method: 'POST', path: '/', status: 200, roleArn };
}
const runOf = (...made: WorkflowRun['calls'][number][]): WorkflowRun => ({ ...backup, calls: made });
const allow = (Action: string, Resource: string | string[]) => ({
  name: 'policy',
  document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action, Resource }] },
});
const VAULT_ACCOUNT = '210987654321';

describe('IAM evaluation across accounts', () => {
  const caller = 'arn:aws:iam::123456789012:role/lifeline-backup-vault-copy';
  const target = `arn:aws:iam::${VAULT_ACCOUNT}:role/lifeline-vault-copier`;
  /** The vault copy's two roles, the copier's trust limited to `trustedArn` as the vault stack synthesizes it. */
  const vaultRoles = (trustedArn: string) =>
    new Map<string, LocalRole>([
      [
        caller,
        {
          arn: caller,
          account: '123456789012',
          name: 'lifeline-backup-vault-copy',
          stack: 'primary',
          logicalId: 'VaultCopy',
          trust: {},
          policies: [allow('sts:AssumeRole', target)],
        },
      ],
      [
        target,
        {
          arn: target,
          account: VAULT_ACCOUNT,
          name: 'lifeline-vault-copier',
          stack: 'vault',
          logicalId: 'Copier',
          trust: {
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Principal: { AWS: 'arn:aws:iam::123456789012:root' },
                Action: 'sts:AssumeRole',
                Condition: { ArnEquals: { 'aws:PrincipalArn': trustedArn } },
              },
            ],
          },
          policies: [
            allow('rds:CopyDBSnapshot', [
              `arn:aws:rds:eu-west-1:${VAULT_ACCOUNT}:snapshot:lifeline-*`,
              'arn:aws:rds:eu-west-1:123456789012:snapshot:lifeline-*',
            ]),
          ],
        },
      ],
    ]);
  const assume = recorded(caller, 'sts', 'us-east-1', 'AssumeRole', { RoleArn: target, RoleSessionName: 'copy' });

  it("allows a cross-account AssumeRole that the caller's policy and the target's trust both allow", async () => {
    expect(await evaluateRun(aws, runOf(assume), { roles: vaultRoles(caller) })).toEqual([]);
  });

  it("denies a cross-account AssumeRole whose target's trust does not name the caller", async () => {
    // Prepare: the trust names another role of the production account; the caller's own policy still allows it.
    const roles = vaultRoles('arn:aws:iam::123456789012:role/someone-else');
    // Act
    const denials = await evaluateRun(aws, runOf(assume), { roles });
    // Assess
    expect(denials).toEqual([expect.objectContaining({ roleArn: caller, call: `sts:AssumeRole ${target}` })]);
  });

  it("evaluates a copy from a snapshot another account shares on the copier's identity policy", async () => {
    // Prepare: RDS has no resource policy; the owner shares by the snapshot's restore attribute.
    const source = 'arn:aws:rds:eu-west-1:123456789012:snapshot:lifeline-orders-20261122t0200';
    const copy = (from: string) =>
      recorded(target, 'rds', 'eu-west-1', 'CopyDBSnapshot', {
        SourceDBSnapshotIdentifier: from,
        TargetDBSnapshotIdentifier: 'lifeline-orders-20261122t0200',
      });
    const roles = vaultRoles(caller);
    const foreign = 'arn:aws:rds:eu-west-1:123456789012:snapshot:orders-before-migration';
    // Act
    const allowed = await evaluateRun(aws, runOf(copy(source)), { roles });
    const denied = await evaluateRun(aws, runOf(copy(foreign)), { roles });
    // Assess: the shared Lifeline copy is allowed; a shared snapshot the policy does not name is still denied.
    expect(allowed).toEqual([]);
    expect(denied).toEqual([expect.objectContaining({ roleArn: target, call: `rds:CopyDBSnapshot ${foreign}` })]);
  });
});

describe('IAM evaluation of tags the run itself gave', () => {
  const roleWith = (action: string) => {
    const role = [...aws.cloud.iam.roles.values()].find((r) =>
      r.policies.some((p) =>
        (p.document as { Statement: { Action: unknown }[] }).Statement.some((s) => [s.Action].flat().includes(action)),
      ),
    );
    if (!role) throw new Error(`no deployed role may ${action}`);
    return role.arn;
  };
  const drillTags = {
    'Tags.Tag.1.Key': 'lifeline:managed-by',
    'Tags.Tag.1.Value': 'lifeline',
    'Tags.Tag.2.Key': 'lifeline:drill',
    'Tags.Tag.2.Value': 'orders-2026-12-01',
  };
  /** A drill database restored with `tags`, then deleted: moto no longer knows its tags when the evaluation looks. */
  const drill = (tags: Record<string, string>) => {
    const id = 'lifeline-drill-orders-0badc0de';
    const restore = recorded(
      roleWith('rds:RestoreDBInstanceFromDBSnapshot'),
      'rds',
      'eu-west-1',
      'RestoreDBInstanceFromDBSnapshot',
      {
        DBInstanceIdentifier: id,
        DBSnapshotIdentifier: 'lifeline-orders-20261122t0200',
        ...tags,
      },
    );
    const remove = recorded(roleWith('rds:DeleteDBInstance'), 'rds', 'eu-west-1', 'DeleteDBInstance', {
      DBInstanceIdentifier: id,
      SkipFinalSnapshot: 'true',
    });
    return runOf(restore, remove);
  };
  const deletes = (denials: Denial[]) => denials.filter((d) => d.call.startsWith('rds:DeleteDBInstance'));

  it('allows deleting a drill database the run restored with the drill tag', async () => {
    expect(deletes(await evaluateRun(aws, drill(drillTags)))).toEqual([]);
  });

  it('denies deleting a drill database the run restored without the drill tag', async () => {
    // Prepare: the same restore without its tags.
    const run = drill({});
    // Act
    const denials = deletes(await evaluateRun(aws, run));
    // Assess
    expect(denials).toEqual([
      expect.objectContaining({
        call: 'rds:DeleteDBInstance arn:aws:rds:eu-west-1:123456789012:db:lifeline-drill-orders-0badc0de',
      }),
    ]);
  });
});

describe('IAM evaluation of whose snapshot a role tags', () => {
  // Another installation, named lifeline-eu, names its snapshots lifeline-eu-*: within this one's lifeline-* names.
  const id = 'lifeline-eu-orders-20261122t0200';
  const arn = `arn:aws:rds:eu-central-1:123456789012:snapshot:${id}`;
  /** The backup's own creation, of `id` tagged as `installation`'s, then the verifier's evidence on that snapshot. */
  const createdAndMarkedAs = (installation: string) => {
    const create = calls(backup, 'CreateDBSnapshot')[0];
    const mark = calls(backup, 'AddTagsToResource').find((c) => Object.values(c.params).includes('lifeline:dr-copy'));
    if (!create || !mark) throw new Error('the backup created or marked nothing');
    const params: Record<string, unknown> = { ...create.params, DBSnapshotIdentifier: id };
    const key = Object.keys(params).find((k) => params[k] === 'lifeline:installation') ?? '';
    params[key.replace(/Key$/, 'Value')] = installation;
    return runOf({ ...create, params }, { ...mark, params: { ...mark.params, ResourceName: arn } });
  };

  it("allows the creation and the evidence on a snapshot tagged as this installation's", async () => {
    expect(await evaluateRun(aws, createdAndMarkedAs('lifeline'))).toEqual([]);
  });

  it('denies tagging a snapshot of another installation whose name is within its own names', async () => {
    // Prepare
    const run = createdAndMarkedAs('lifeline-eu');
    const [create, mark] = run.calls;
    // Act
    const denials = await evaluateRun(aws, run);
    // Assess: the new snapshot may not be tagged as another installation's, nor may another's be marked verified.
    expect(denials).toEqual([
      expect.objectContaining({ roleArn: create?.roleArn, implied: `rds:AddTagsToResource ${arn}` }),
      expect.objectContaining({ roleArn: mark?.roleArn, call: `rds:AddTagsToResource ${arn}` }),
    ]);
  });
});
