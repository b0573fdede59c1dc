import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../infra/config/load';
import type { LifelineConfigInput } from '../../infra/config/schema';
import { buildLifeline } from '../../infra/lifeline-app';
import { baseConfig } from '../fixtures/configs';
import { type Synthesized, synthesize } from '../harness/synth';

const PROD = '123456789012';
const VAULT = '210987654321';
const arn = (rest: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, rest]] });
const COPIER_ROLE = arn(`:iam::${VAULT}:role/lifeline-vault-copier`);
const SOURCE_ROLE = arn(`:iam::${PROD}:role/lifeline-backup-vault-copy`);
const VIA_RDS = { 'Fn::Join': ['', ['rds.eu-west-1.', { Ref: 'AWS::URLSuffix' }]] };

function vaultConfig(): LifelineConfigInput {
  const config = baseConfig();
  const [orders, ...others] = config.databases;
  const db = orders as (typeof config.databases)[number];
  return {
    ...config,
    account: PROD,
    vault: { account: VAULT, retention: { daily: 7, weekly: 4, monthly: 12, yearly: 2 } },
    databases: [{ ...db, backup: { ...db.backup, timeZone: 'Asia/Tokyo', copyToVault: true } }, ...others],
  };
}

let app: Synthesized;
let primary: Template;
let dr: Template;
let vault: Template;
type Statement = {
  Sid?: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
  Principal?: unknown;
};
const policyStatements = (template: Template): Statement[] =>
  Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
/** The statements of the copier role's policies (the role production may assume). */
const copierStatements = (): Statement[] => {
  const roles = vault.findResources('AWS::IAM::Role', { Properties: { RoleName: 'lifeline-vault-copier' } });
  const [roleId] = Object.keys(roles);
  return Object.values(vault.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(`"${roleId}"`))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
};
const keyStatements = (template: Template): Statement[] =>
  Object.values(template.findResources('AWS::KMS::Key')).flatMap((k) => k.Properties.KeyPolicy.Statement);
const actionsOf = (s: Statement) => ([] as string[]).concat(s.Action);
const naming = (account: string) => (s: Statement) => JSON.stringify(s.Principal ?? {}).includes(account);
/** A statement's resources as a set: cdk.json's `@aws-cdk/aws-iam:minimizePolicies` orders them as it likes. */
const resourceSet = (s: Statement | undefined) =>
  ([] as unknown[])
    .concat(s?.Resource ?? [])
    .map((r) => JSON.stringify(r))
    .sort();
const asSet = (resources: unknown[]) => resources.map((r) => JSON.stringify(r)).sort();

beforeAll(() => {
  // synthesize() runs cdk-nag (AwsSolutions) as a validation plugin: any unacknowledged finding throws.
  app = synthesize(vaultConfig());
  primary = Template.fromJSON(app.templates.primary?.template as never);
  dr = Template.fromJSON(app.templates.dr?.template as never);
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

  describe('synthesized with the vault account’s credentials (as the vault stack is deployed)', () => {
    const saved = process.env.CDK_DEFAULT_ACCOUNT;
    afterEach(() => {
      if (saved === undefined) delete process.env.CDK_DEFAULT_ACCOUNT;
      else process.env.CDK_DEFAULT_ACCOUNT = saved;
    });

    it('still trusts the configured production account, not the vault account itself', () => {
      // Prepare: `cdk deploy lifeline-vault` with vault credentials sets CDK_DEFAULT_ACCOUNT to the vault account.
      process.env.CDK_DEFAULT_ACCOUNT = VAULT;
      const outdir = mkdtempSync(join(tmpdir(), 'lifeline-vault-trust-'));
      const cdk = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
      // Act
      const stacks = buildLifeline(cdk, validateConfig(vaultConfig()));
      const assembly = cdk.synth();
      // Assess
      const template = Template.fromJSON(assembly.getStackByName('lifeline-vault').template);
      // The roles production could reach: every role trusting an AWS principal (the others trust a service).
      const trust = Object.values(template.findResources('AWS::IAM::Role'))
        .map((r) => r.Properties.AssumeRolePolicyDocument.Statement as Statement[])
        .filter((statements) => statements.some((st) => JSON.stringify(st.Principal).includes('"AWS"')));
      expect(trust).toEqual([
        [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { AWS: arn(`:iam::${PROD}:root`) },
            Condition: { ArnEquals: { 'aws:PrincipalArn': SOURCE_ROLE } },
          },
        ],
      ]);
      // The production stacks go into the configured account too, whatever the credentials.
      expect([stacks.primary.account, stacks.dr.account, stacks.vault?.account]).toEqual([PROD, PROD, VAULT]);
    });
  });

  it('may copy the DR copies shared with it into the vault, within the DR region', () => {
    const copy = policyStatements(vault).find((s) => actionsOf(s).includes('rds:CopyDBSnapshot'));
    expect(actionsOf(copy as Statement).sort()).toEqual(['rds:CopyDBClusterSnapshot', 'rds:CopyDBSnapshot']);
    expect(resourceSet(copy)).toEqual(
      asSet([
        arn(`:rds:eu-west-1:${VAULT}:snapshot:lifeline-*`),
        arn(`:rds:eu-west-1:${VAULT}:cluster-snapshot:lifeline-*`),
        arn(`:rds:eu-west-1:${PROD}:snapshot:lifeline-*`),
        arn(`:rds:eu-west-1:${PROD}:cluster-snapshot:lifeline-*`),
      ]),
    );
    const all = policyStatements(vault);
    expect(all.flatMap(actionsOf).filter((a) => a.startsWith('rds:Modify'))).toEqual([]);
    expect(all.every((s) => s.Resource !== '*')).toBe(true);
  });

  it('may delete nothing: production can assume it, and the vault must outlive a compromised production', () => {
    const copier = copierStatements();
    expect(copier.length).toBeGreaterThan(0);
    expect(copier.flatMap(actionsOf).filter((a) => /^rds:Delete|^rds:Remove|^rds:Modify|\*/.test(a))).toEqual([]);
  });

  it('tags only the copies it makes, with Lifeline’s keys, and may only mark an existing copy verified', () => {
    const tagging = copierStatements().filter((s) => actionsOf(s).includes('rds:AddTagsToResource'));
    const snapshot = arn(`:rds:eu-west-1:${VAULT}:snapshot:lifeline-*`);
    const cluster = arn(`:rds:eu-west-1:${VAULT}:cluster-snapshot:lifeline-*`);
    expect(tagging).toEqual([
      // The tags of the copy as it is made (RDS authorizes them on the new copy, which has no tags yet).
      expect.objectContaining({
        Action: 'rds:AddTagsToResource',
        Resource: expect.arrayContaining([snapshot, cluster]),
        Condition: {
          'ForAllValues:StringLike': { 'aws:TagKeys': 'lifeline:*' },
          StringEquals: {
            'aws:RequestTag/lifeline:managed-by': 'lifeline',
            'aws:RequestTag/lifeline:installation': 'lifeline',
          },
          Null: {
            'aws:TagKeys': 'false',
            'rds:snapshot-tag/lifeline:managed-by': 'true',
            'rds:cluster-snapshot-tag/lifeline:managed-by': 'true',
          },
        },
      }),
      ...(
        [
          ['snapshot', snapshot],
          ['cluster-snapshot', cluster],
        ] as const
      ).map(([type, resource]) =>
        expect.objectContaining({
          Action: 'rds:AddTagsToResource',
          Resource: resource,
          Condition: {
            'ForAllValues:StringEquals': { 'aws:TagKeys': 'lifeline:verified' },
            Null: { 'aws:TagKeys': 'false' },
            StringEquals: {
              'aws:RequestTag/lifeline:verified': 'copy-verified',
              [`rds:${type}-tag/lifeline:managed-by`]: 'lifeline',
              [`rds:${type}-tag/lifeline:installation`]: 'lifeline',
            },
          },
        }),
      ),
    ]);
  });

  it('may use the vault key and, through RDS in the DR region, the DR key by its alias', () => {
    const vaultKey = { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] };
    const drAlias = { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/lifeline/dr' } };
    vault.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'kms:DescribeKey', Resource: vaultKey }),
          Match.objectLike({
            Action: 'kms:CreateGrant',
            Resource: vaultKey,
            Condition: { Bool: { 'kms:GrantIsForAWSResource': true }, StringEquals: { 'kms:ViaService': VIA_RDS } },
          }),
          Match.objectLike({
            Action: ['kms:Decrypt', 'kms:DescribeKey'],
            Resource: arn(`:kms:eu-west-1:${PROD}:key/*`),
            Condition: { ...drAlias, StringEquals: { 'kms:ViaService': VIA_RDS } },
          }),
          Match.objectLike({
            Action: 'kms:CreateGrant',
            Resource: arn(`:kms:eu-west-1:${PROD}:key/*`),
            Condition: {
              ...drAlias,
              Bool: { 'kms:GrantIsForAWSResource': true },
              StringEquals: { 'kms:ViaService': VIA_RDS },
            },
          }),
        ]),
      },
    });
    // Nothing of the primary region: the copy never crosses account and region in one step.
    expect(JSON.stringify(policyStatements(vault))).not.toContain('eu-central-1');
  });

  it('gives the production account nothing on the vault key without a failover', () => {
    expect(keyStatements(vault).filter(naming(PROD))).toEqual([]);
  });
});

describe('the vault pruner in the vault account', () => {
  const prunerFunction = () => {
    const fns = vault.findResources('AWS::Lambda::Function', {
      Properties: { Environment: { Variables: Match.objectLike({ VAULT_RETENTION: Match.anyValue() }) } },
    });
    const [[id, fn] = []] = Object.entries(fns);
    return { id: id as string, fn, roleId: fn?.Properties.Role['Fn::GetAtt'][0] as string };
  };
  const prunerStatements = (): Statement[] => {
    const { roleId } = prunerFunction();
    return Object.values(vault.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes(`"${roleId}"`))
      .flatMap((p) => p.Properties.PolicyDocument.Statement);
  };

  it('runs with a role only the Lambda service may assume, never production', () => {
    const { roleId } = prunerFunction();
    const role = vault.findResources('AWS::IAM::Role')[roleId];
    expect(role?.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } },
    ]);
    expect(role?.Properties.RoleName).toBeUndefined();
  });

  it('deletes only lifeline-* vault copies tagged as Lifeline’s and this installation’s, and reads snapshots', () => {
    const statements = prunerStatements();
    const deletes = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('rds:Delete')));
    expect(deletes).toEqual([
      expect.objectContaining({
        Action: 'rds:DeleteDBSnapshot',
        Resource: arn(`:rds:eu-west-1:${VAULT}:snapshot:lifeline-*`),
        Condition: {
          StringEquals: {
            'rds:snapshot-tag/lifeline:managed-by': 'lifeline',
            'rds:snapshot-tag/lifeline:installation': 'lifeline',
          },
        },
      }),
      expect.objectContaining({
        Action: 'rds:DeleteDBClusterSnapshot',
        Resource: arn(`:rds:eu-west-1:${VAULT}:cluster-snapshot:lifeline-*`),
        Condition: {
          StringEquals: {
            'rds:cluster-snapshot-tag/lifeline:managed-by': 'lifeline',
            'rds:cluster-snapshot-tag/lifeline:installation': 'lifeline',
          },
        },
      }),
    ]);
    const rds = statements.flatMap(actionsOf).filter((a) => a.startsWith('rds:'));
    expect([...new Set(rds)].sort()).toEqual([
      'rds:DeleteDBClusterSnapshot',
      'rds:DeleteDBSnapshot',
      'rds:DescribeDBClusterSnapshots',
      'rds:DescribeDBSnapshots',
    ]);
    // The only deletions in the vault account are the pruner's.
    const allDeletes = policyStatements(vault).filter((s) => actionsOf(s).some((a) => a.startsWith('rds:Delete')));
    expect(allDeletes).toEqual(deletes);
  });

  it('knows the vault databases, their kinds and time zones, and vault.retention', () => {
    const variables = prunerFunction().fn?.Properties.Environment.Variables;
    expect(JSON.parse(variables.VAULT_DATABASES)).toEqual([{ id: 'orders', kind: 'instance', timeZone: 'Asia/Tokyo' }]);
    expect(JSON.parse(variables.VAULT_RETENTION)).toEqual({ daily: 7, weekly: 4, monthly: 12, yearly: 2 });
    expect(variables).toMatchObject({ VAULT_ACCOUNT: VAULT, LIFELINE_INSTALLATION: 'lifeline' });
  });

  it('runs daily by an EventBridge Scheduler schedule of the vault stack', () => {
    const { id } = prunerFunction();
    vault.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(30 5 * * ? *)',
      Target: Match.objectLike({ Arn: { 'Fn::GetAtt': [id, 'Arn'] } }),
    });
  });

  it('alerts on the vault’s own topic, under the vault key: published by the function, and by an alarm on its errors', () => {
    const { id, roleId } = prunerFunction();
    const [topicId] = Object.keys(vault.findResources('AWS::SNS::Topic'));
    vault.hasResourceProperties('AWS::SNS::Topic', {
      TopicName: 'lifeline-vault-alerts',
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] },
    });
    // The function may publish, and use the key for it.
    const publish = prunerStatements().filter((s) => actionsOf(s).includes('sns:Publish'));
    expect(publish).toEqual([expect.objectContaining({ Resource: { Ref: topicId } })]);
    expect(prunerStatements().flatMap(actionsOf)).toEqual(
      expect.arrayContaining(['kms:GenerateDataKey*', 'kms:Decrypt']),
    );
    expect(roleId).toBeDefined();
    vault.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'lifeline-vault-prune-failed',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: id } }],
      AlarmActions: [{ Ref: topicId }],
    });
    // CloudWatch publishes under the vault key: the key policy lets it, for that alarm only.
    expect(keyStatements(vault).find((k) => k.Sid === 'VaultPruneAlarmPublishes')).toMatchObject({
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Condition: {
        ArnEquals: { 'aws:SourceArn': [arn(`:cloudwatch:eu-west-1:${VAULT}:alarm:lifeline-vault-prune-failed`)] },
      },
    });
  });
});

describe('the production side', () => {
  it("lets the vault's copier role, and nobody else in the vault account, read DR copies through RDS in the DR region", () => {
    const principal = { AWS: arn(`:iam::${VAULT}:root`) };
    expect(keyStatements(dr).filter(naming(VAULT))).toEqual([
      {
        Sid: 'VaultCopierReadsSharedCopies',
        Effect: 'Allow',
        Principal: principal,
        Action: ['kms:Decrypt', 'kms:DescribeKey'],
        Resource: '*',
        Condition: {
          ArnEquals: { 'aws:PrincipalArn': COPIER_ROLE },
          StringEquals: { 'kms:ViaService': VIA_RDS },
        },
      },
      {
        Sid: 'VaultCopierGrantsRds',
        Effect: 'Allow',
        Principal: principal,
        Action: 'kms:CreateGrant',
        Resource: '*',
        Condition: {
          ArnEquals: { 'aws:PrincipalArn': COPIER_ROLE },
          StringEquals: { 'kms:ViaService': VIA_RDS },
          Bool: { 'kms:GrantIsForAWSResource': true },
        },
      },
    ]);
    // The primary key is not shared: nothing is copied across accounts from the primary region.
    expect(keyStatements(primary).filter(naming(VAULT))).toEqual([]);
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

  it("lets the sharing function share only lifeline-* DR copies tagged as this installation's", () => {
    const share = (action: string) => policyStatements(primary).find((s) => actionsOf(s).includes(action));
    const instance = share('rds:ModifyDBSnapshotAttribute');
    const cluster = share('rds:ModifyDBClusterSnapshotAttribute');
    expect(resourceSet(instance)).toEqual(asSet([arn(`:rds:eu-west-1:${PROD}:snapshot:lifeline-*`)]));
    expect(resourceSet(cluster)).toEqual(asSet([arn(`:rds:eu-west-1:${PROD}:cluster-snapshot:lifeline-*`)]));
    for (const [statement, type] of [
      [instance, 'snapshot'],
      [cluster, 'cluster-snapshot'],
    ] as const)
      expect(statement?.Condition).toEqual({
        StringEquals: {
          [`rds:${type}-tag/lifeline:managed-by`]: 'lifeline',
          [`rds:${type}-tag/lifeline:installation`]: 'lifeline',
        },
      });
  });

  it('does not prune the vault: the backup workflow has no vault prune state', () => {
    const definition = JSON.stringify(primary.findResources('AWS::StepFunctions::StateMachine'));
    expect(definition).toContain('Wait for the vault copy and verify it');
    expect(definition).not.toContain('Prune the vault copies');
    expect(definition).not.toContain('\\"action\\":\\"prune\\"');
  });

  it('passes cdk-nag AwsSolutions with the vault', () => {
    const report = JSON.parse(readFileSync(join(app.outdir, 'validation-report.json'), 'utf8'));
    const violations = report.pluginReports.flatMap((p: { violations?: unknown[] }) => p.violations ?? []);
    expect(violations).toEqual([]);
  });
});

describe('the failover reader role in the vault account (with a failover)', () => {
  const READER_SOURCES = [
    arn(`:iam::${PROD}:role/lifeline-failover-precheck`),
    arn(`:iam::${PROD}:role/lifeline-failover-recover`),
  ];
  let withFailover: Synthesized;
  let vaultT: Template;
  let drT: Template;
  beforeAll(() => {
    const config = vaultConfig();
    withFailover = synthesize({
      ...config,
      failover: { hostedZoneId: 'Z0123456789ABC', recordName: 'db.example.com', databases: ['orders'] },
    });
    vaultT = Template.fromJSON(withFailover.templates.vault?.template as never);
    drT = Template.fromJSON(withFailover.templates.dr?.template as never);
  }, 180_000);
  const readerStatements = (): Statement[] => {
    const [roleId] = Object.keys(
      vaultT.findResources('AWS::IAM::Role', { Properties: { RoleName: 'lifeline-vault-reader' } }),
    );
    return Object.values(vaultT.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes(`"${roleId}"`))
      .flatMap((p) => p.Properties.PolicyDocument.Statement);
  };

  it("trusts only the failover's pre-check and recovery roles, which production names so", () => {
    vaultT.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'lifeline-vault-reader',
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { AWS: arn(`:iam::${PROD}:root`) },
            Condition: { ArnEquals: { 'aws:PrincipalArn': READER_SOURCES } },
          },
        ],
      },
    });
    for (const name of ['lifeline-failover-precheck', 'lifeline-failover-recover'])
      drT.hasResourceProperties('AWS::IAM::Role', { RoleName: name });
    drT.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          FAILOVER_VAULT_READER_ROLE_ARN: arn(`:iam::${VAULT}:role/lifeline-vault-reader`),
          FAILOVER_RESTORE_ACCOUNT: PROD,
        }),
      },
    });
  });

  it("may only list the vault copies and share this installation's: no copy, tag or delete", () => {
    const statements = readerStatements();
    expect(statements.flatMap(actionsOf).sort()).toEqual([
      'rds:DescribeDBClusterSnapshots',
      'rds:DescribeDBSnapshots',
      'rds:ListTagsForResource',
      'rds:ModifyDBClusterSnapshotAttribute',
      'rds:ModifyDBSnapshotAttribute',
    ]);
    const share = statements.find((s) => actionsOf(s).includes('rds:ModifyDBSnapshotAttribute'));
    expect(share?.Condition).toEqual({
      StringEquals: {
        'rds:snapshot-tag/lifeline:managed-by': 'lifeline',
        'rds:snapshot-tag/lifeline:installation': 'lifeline',
      },
    });
    expect(JSON.stringify(share?.Resource)).toContain(':snapshot:lifeline-*');
  });

  it('lets the recovery role, and nobody else in production, use the vault key through RDS in the DR region', () => {
    const forProduction = keyStatements(vaultT).filter(naming(PROD));
    expect(forProduction.map((s) => [s.Sid, actionsOf(s).sort(), s.Condition])).toEqual([
      [
        'FailoverRecoveryReadsVaultCopies',
        ['kms:Decrypt', 'kms:DescribeKey'],
        {
          ArnEquals: { 'aws:PrincipalArn': READER_SOURCES[1] },
          StringEquals: { 'kms:ViaService': VIA_RDS },
        },
      ],
      [
        'FailoverRecoveryGrantsRds',
        ['kms:CreateGrant'],
        {
          ArnEquals: { 'aws:PrincipalArn': READER_SOURCES[1] },
          StringEquals: { 'kms:ViaService': VIA_RDS },
          Bool: { 'kms:GrantIsForAWSResource': true },
        },
      ],
    ]);
  });
});

describe('a config without a vault', () => {
  it('adds no vault statement to the keys and no vault functions', () => {
    const plain = synthesize(baseConfig());
    const primaryPlain = Template.fromJSON(plain.templates.primary?.template as never);
    const drPlain = Template.fromJSON(plain.templates.dr?.template as never);
    expect(JSON.stringify(drPlain.findResources('AWS::KMS::Key'))).not.toContain('VaultCopier');
    expect(policyStatements(primaryPlain).flatMap(actionsOf)).not.toContain('sts:AssumeRole');
    expect(Object.keys(primaryPlain.findResources('AWS::Lambda::Function')).some((id) => id.includes('Vault'))).toBe(
      false,
    );
  });
});

describe('vault config', () => {
  const problems = (mutate: (c: LifelineConfigInput) => LifelineConfigInput) => {
    try {
      validateConfig(mutate(vaultConfig()));
      return [];
    } catch (error) {
      return [...((error as { problems?: string[] }).problems ?? [])];
    }
  };

  it('requires the production account with a vault, and says why', () => {
    expect(problems(({ account: _, ...c }) => c)).toEqual([
      'account: is required when vault is set: the vault trusts only this production account (the 12-digit id the primary and DR stacks deploy into), got nothing (the field is required)',
    ]);
  });

  it('refuses a vault in the production account, and a production account that is not one', () => {
    expect(problems((c) => ({ ...c, account: VAULT }))).toEqual([
      `vault.account: must differ from account (${VAULT}): a vault in the production account is in reach of the credentials it guards against, got "${VAULT}"`,
    ]);
    expect(problems((c) => ({ ...c, account: '1234' }))).toEqual([
      'account: expected a 12-digit AWS account id, got "1234"',
    ]);
  });

  it('requires vault.retention, validated like databases[].retention', () => {
    expect(
      problems((c) => ({ ...c, vault: { account: VAULT, retention: { daily: 0, weekly: 0, monthly: 0, yearly: 0 } } })),
    ).toEqual(['vault.retention.daily: expected a whole number from 1 to 366, got 0']);
    expect(problems((c) => ({ ...c, vault: { account: VAULT } as never }))[0]).toMatch(/^vault\.retention: /);
  });

  it('keeps the vault in the DR region, where the cross-account copy is made, and needs the DR copy', () => {
    expect(
      problems((c) => ({ ...c, vault: { ...(c.vault as NonNullable<typeof c.vault>), region: 'us-east-1' } })),
    ).toEqual([
      'vault.region: must be drRegion (eu-west-1): the vault copy is made from the DR copy, and AWS copies snapshots across accounts only within one region, got "us-east-1"',
    ]);
    expect(
      problems((c) => {
        const [orders, ...others] = c.databases;
        const db = orders as (typeof c.databases)[number];
        return { ...c, databases: [{ ...db, backup: { ...db.backup, copyToDr: false } }, ...others] };
      }),
    ).toContain(
      'databases[0].backup.copyToVault: needs backup.copyToDr: true: the vault copy is made from the DR copy, in the DR region, got true',
    );
  });
});
