import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LifelineConfigInput } from '../../infra/config/schema';
import { baseConfig } from '../fixtures/configs';
import { type Synthesized, synthesize } from '../harness/synth';

const PROD = '123456789012';
const VAULT = '210987654321';
const arn = (rest: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, rest]] });
const COPIER_ROLE = arn(`:iam::${VAULT}:role/lifeline-vault-copier`);
const SOURCE_ROLE = arn(`:iam::${PROD}:role/lifeline-backup-vault-copy`);

function vaultConfig(): LifelineConfigInput {
  const config = baseConfig();
  const [orders, ...others] = config.databases;
  const db = orders as (typeof config.databases)[number];
  return {
    ...config,
    vault: { account: VAULT, region: 'eu-west-1' },
    databases: [{ ...db, backup: { ...db.backup, copyToVault: true } }, ...others],
  };
}

let app: Synthesized;
let primary: Template;
let vault: Template;
type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown; Principal?: unknown };
const policyStatements = (template: Template): Statement[] =>
  Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
const actionsOf = (s: Statement) => ([] as string[]).concat(s.Action);

beforeAll(() => {
  // synthesize() runs cdk-nag (AwsSolutions) as a validation plugin: any unacknowledged finding throws.
  app = synthesize(vaultConfig());
  primary = Template.fromJSON(app.templates.primary?.template as never);
  vault = Template.fromJSON(app.templates.vault?.template as never);
});

describe('the vault copier role in the vault account', () => {
  it('is named, and trusts only the production function role that copies into the vault', () => {
    vault.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'lifeline-vault-copier',
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { AWS: arn(`:iam::${PROD}:root`) },
            Condition: { ArnEquals: { 'aws:PrincipalArn': SOURCE_ROLE } },
          },
        ],
      },
    });
    // That role exists in production under exactly that name.
    primary.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'lifeline-backup-vault-copy',
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })],
      },
    });
  });

  it('may copy and tag only lifeline-* snapshots, into the vault region, from the primary region', () => {
    const copy = policyStatements(vault).find((s) => actionsOf(s).includes('rds:CopyDBSnapshot'));
    expect(actionsOf(copy as Statement).sort()).toEqual(['rds:CopyDBClusterSnapshot', 'rds:CopyDBSnapshot']);
    expect(copy?.Resource).toEqual([
      arn(`:rds:eu-west-1:${VAULT}:snapshot:lifeline-*`),
      arn(`:rds:eu-west-1:${VAULT}:cluster-snapshot:lifeline-*`),
      arn(`:rds:eu-central-1:${PROD}:snapshot:lifeline-*`),
      arn(`:rds:eu-central-1:${PROD}:cluster-snapshot:lifeline-*`),
    ]);
    const tag = policyStatements(vault).find((s) => actionsOf(s).includes('rds:AddTagsToResource'));
    expect(tag?.Resource).toEqual([
      arn(`:rds:eu-west-1:${VAULT}:snapshot:lifeline-*`),
      arn(`:rds:eu-west-1:${VAULT}:cluster-snapshot:lifeline-*`),
    ]);
    const all = policyStatements(vault);
    expect(all.flatMap(actionsOf).filter((a) => a.startsWith('rds:Delete') || a.startsWith('rds:Modify'))).toEqual([]);
    expect(all.every((s) => s.Resource !== '*')).toBe(true);
  });

  it('may use the vault key and, through RDS grants, the primary key by its alias', () => {
    const vaultKey = { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] };
    vault.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'kms:DescribeKey', Resource: vaultKey }),
          Match.objectLike({
            Action: 'kms:CreateGrant',
            Resource: vaultKey,
            Condition: { Bool: { 'kms:GrantIsForAWSResource': true } },
          }),
          Match.objectLike({
            Action: ['kms:Decrypt', 'kms:DescribeKey'],
            Resource: arn(`:kms:eu-central-1:${PROD}:key/*`),
            Condition: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/lifeline/primary' } },
          }),
        ]),
      },
    });
  });
});

describe('the production side', () => {
  it("lets the vault's copier role, and nobody else in the vault account, read snapshots under the primary key", () => {
    const key = Object.values(primary.findResources('AWS::KMS::Key'))[0];
    const vaultStatements = ((key?.Properties.KeyPolicy.Statement ?? []) as Statement[]).filter((s) =>
      JSON.stringify(s.Principal ?? {}).includes(VAULT),
    );
    expect(vaultStatements).toEqual([
      {
        Sid: 'VaultCopierReadsSharedSnapshots',
        Effect: 'Allow',
        Principal: { AWS: arn(`:iam::${VAULT}:root`) },
        Action: ['kms:Decrypt', 'kms:DescribeKey'],
        Resource: '*',
        Condition: { ArnEquals: { 'aws:PrincipalArn': COPIER_ROLE } },
      },
      {
        Sid: 'VaultCopierGrantsRds',
        Effect: 'Allow',
        Principal: { AWS: arn(`:iam::${VAULT}:root`) },
        Action: 'kms:CreateGrant',
        Resource: '*',
        Condition: { ArnEquals: { 'aws:PrincipalArn': COPIER_ROLE }, Bool: { 'kms:GrantIsForAWSResource': true } },
      },
    ]);
  });

  it('gives only the vault copy function the right to assume the vault copier role', () => {
    const assumers = Object.entries(primary.findResources('AWS::IAM::Policy')).filter(([, p]) =>
      (p.Properties.PolicyDocument.Statement as Statement[]).some((s) => actionsOf(s).includes('sts:AssumeRole')),
    );
    expect(assumers.map(([id]) => id)).toEqual([expect.stringMatching(/^BackupVaultCopyRoleDefaultPolicy/)]);
    const statement = ((assumers[0]?.[1].Properties.PolicyDocument.Statement ?? []) as Statement[]).find((s) =>
      actionsOf(s).includes('sts:AssumeRole'),
    );
    expect(statement?.Resource).toEqual(COPIER_ROLE);
  });

  it('lets the sharing function share only lifeline-* snapshots', () => {
    const share = policyStatements(primary).find((s) => actionsOf(s).includes('rds:ModifyDBSnapshotAttribute'));
    expect(JSON.stringify(share?.Resource)).toMatch(/snapshot:lifeline-\*/);
    expect(JSON.stringify(share?.Resource)).not.toMatch(/snapshot:\*"/);
  });

  it('passes cdk-nag AwsSolutions with the vault', () => {
    const report = JSON.parse(readFileSync(join(app.outdir, 'validation-report.json'), 'utf8'));
    const violations = report.pluginReports.flatMap((p: { violations?: unknown[] }) => p.violations ?? []);
    expect(violations).toEqual([]);
  });
});

describe('a config without a vault', () => {
  it('adds no vault statement to the primary key and no vault functions', () => {
    const plain = Template.fromJSON(synthesize(baseConfig()).templates.primary?.template as never);
    expect(JSON.stringify(plain.findResources('AWS::KMS::Key'))).not.toContain('VaultCopier');
    expect(policyStatements(plain).flatMap(actionsOf)).not.toContain('sts:AssumeRole');
    expect(Object.keys(plain.findResources('AWS::Lambda::Function')).some((id) => id.includes('Vault'))).toBe(false);
  });
});
