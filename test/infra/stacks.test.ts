import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { readConfig } from '../../infra/config/load';
import { suppressJustifiedFindings } from '../../infra/nag-suppressions';
import { baseConfig } from '../fixtures/configs';
import { type Synthesized, synthesize } from '../harness/synth';

let app: Synthesized;
let primary: Template;
let dr: Template;

beforeAll(async () => {
  // synthesize() runs cdk-nag (AwsSolutions) as a validation plugin: any unacknowledged finding throws.
  app = synthesize(await readConfig());
  primary = Template.fromJSON(app.templates.primary?.template as never);
  dr = Template.fromJSON(app.templates.dr?.template as never);
});

describe('stacks synthesized from the example config', () => {
  it('has stable stack names in the right regions', () => {
    expect(app.templates.primary).toMatchObject({ name: 'lifeline-primary', region: 'eu-central-1' });
    expect(app.templates.dr).toMatchObject({ name: 'lifeline-dr', region: 'eu-west-1' });
    expect(app.templates.vault).toMatchObject({ name: 'lifeline-vault', region: 'eu-west-1' });
    expect(app.stacks.vault?.account).toBe('210987654321');
  });

  it('passes cdk-nag AwsSolutions', () => {
    const report = JSON.parse(readFileSync(join(app.outdir, 'validation-report.json'), 'utf8'));
    const violations = report.pluginReports.flatMap((p: { violations?: unknown[] }) => p.violations ?? []);
    expect(violations).toEqual([]);
  });

  it('runs every Lambda on Node 24, arm64, with logs kept five years and encrypted', () => {
    const functions = primary.findResources('AWS::Lambda::Function');
    expect(Object.keys(functions).length).toBeGreaterThanOrEqual(4);
    for (const fn of Object.values(functions)) {
      expect(fn.Properties.Runtime).toBe('nodejs24.x');
      expect(fn.Properties.Architectures).toEqual(['arm64']);
      // What deploys is the bundle the Code names: an asset cdk synth built, whose index exports the handler.
      expect(fn.Properties.Handler).toBe('index.handler');
      const key = fn.Properties.Code.S3Key;
      expect(key).toMatch(/^[0-9a-f]{64}\.zip$/);
      const bundle = readFileSync(join(app.outdir, `asset.${key.replace(/\.zip$/, '')}`, 'index.mjs'), 'utf8');
      expect(bundle).toMatch(/export\s*\{[^}]*\bhandler\b[^}]*\}/);
    }
    primary.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 1827, KmsKeyId: Match.anyValue() });
  });

  it('gives each function a role that may write only to its own log group', () => {
    primary.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^BackupCreateSnapshotLogs'), 'Arn'] },
          }),
        ]),
      },
    });
    expect(Object.keys(primary.findResources('AWS::IAM::ManagedPolicy'))).toEqual([]);
  });

  it('lets the snapshot function create snapshots only of the protected databases, named lifeline-*', () => {
    const policies = Object.values(primary.findResources('AWS::IAM::Policy'));
    const create = policies
      .flatMap((p) => p.Properties.PolicyDocument.Statement)
      .find((s: { Action: string[] }) => Array.isArray(s.Action) && s.Action.includes('rds:CreateDBSnapshot'));
    const resources = JSON.stringify(create.Resource);
    expect(resources).toContain(':db:orders-prod');
    expect(resources).toContain(':cluster:ledger-aurora');
    expect(resources).toContain(':snapshot:lifeline-*');
    expect(resources).not.toMatch(/"\*"/);
  });

  it('encrypts topics with Lifeline keys that rotate, and keeps the keys', () => {
    for (const template of [primary, dr]) {
      template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
      template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain' });
      template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    }
    dr.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/lifeline/dr' });
  });

  it('logs and traces the backup state machine', () => {
    primary.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineName: 'lifeline-backup',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: true },
    });
  });

  it("schedules each database's backup in its own time zone with the scheduled time as input", () => {
    primary.hasResourceProperties('AWS::Scheduler::Schedule', {
      Name: 'lifeline-backup-orders',
      ScheduleExpression: 'cron(0 1 * * ? *)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
      Target: { Input: JSON.stringify({ database: 'orders', scheduledTime: '<aws.scheduler.scheduled-time>' }) },
    });
    primary.hasResourceProperties('AWS::Scheduler::Schedule', {
      Name: 'lifeline-backup-ledger',
      ScheduleExpression: 'rate(4 hours)',
    });
  });

  it('embeds the protected databases in the backup definition, so a manual run is validated before anything else', () => {
    const definition = JSON.stringify(primary.findResources('AWS::StepFunctions::StateMachine'));
    expect(definition).toContain('\\"StartAt\\":\\"Validate the request\\"');
    expect(definition).toContain('\\"identifier\\":\\"orders-prod\\"');
  });

  it('gives the production account only the ransomware restore on the vault key: its recovery role, through RDS', () => {
    const vault = Template.fromJSON(app.templates.vault?.template as never);
    const key = Object.values(vault.findResources('AWS::KMS::Key'))[0];
    type KeyStatement = { Sid?: string; Action: string | string[]; Principal?: unknown; Condition?: object };
    const grants: KeyStatement[] = key?.Properties.KeyPolicy.Statement.filter((s: KeyStatement) =>
      JSON.stringify(s.Principal ?? {}).includes('123456789012'),
    );
    // RDS in production decrypts a vault copy it copies for a ransomware failover: nothing else, nobody else.
    expect(grants.map((s) => [s.Sid, ([] as string[]).concat(s.Action).sort()])).toEqual([
      ['FailoverRecoveryReadsVaultCopies', ['kms:Decrypt', 'kms:DescribeKey']],
      ['FailoverRecoveryGrantsRds', ['kms:CreateGrant']],
    ]);
    for (const s of grants) {
      expect(JSON.stringify(s.Condition)).toContain(':iam::123456789012:role/lifeline-failover-recover');
      expect(JSON.stringify(s.Condition)).toContain('kms:ViaService');
    }
  });

  it('is cfn-lint clean (no errors) for every template', () => {
    const templates = readdirSync(app.outdir)
      .filter((f) => f.endsWith('.template.json'))
      .map((f) => join(app.outdir, f));
    expect(templates).toHaveLength(3);
    let status = 0;
    let output = '';
    try {
      // W3005 (redundant DependsOn) comes from CDK's own constructs.
      output = execFileSync('cfn-lint', ['--ignore-checks', 'W3005', '--', ...templates], { encoding: 'utf8' });
    } catch (error) {
      const e = error as { status: number; stdout: string };
      status = e.status;
      output = e.stdout;
    }
    // cfn-lint's exit code is a bit mask: 2 = errors, 4 = warnings.
    expect(status & 2, output).toBe(0);
    expect(output.split('\n').filter((line) => /^E\d{4}/.test(line))).toEqual([]);
  });
});

describe('a config without a vault', () => {
  it('synthesizes no vault stack', () => {
    const synthesized = synthesize(baseConfig());
    expect(synthesized.templates.vault).toBeUndefined();
  });
});

describe('cdk-nag acknowledgements', () => {
  const synthWithPolicy = (resources: string[], actions: string[]) => {
    const nagged = new App({ outdir: app.outdir.replace(/$/, '-nag') });
    const stack = new Stack(nagged, 'Probe', { env: { account: '123456789012', region: 'eu-central-1' } });
    new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') }).addToPrincipalPolicy(
      new iam.PolicyStatement({ actions, resources }),
    );
    suppressJustifiedFindings(stack);
    Validations.of(nagged).addPlugins(new AwsSolutionsChecks(nagged));
    return () => nagged.synth();
  };

  it('still fails synth for a wildcard that has no reason', () => {
    expect(synthWithPolicy(['*'], ['rds:DeleteDBSnapshot'])).toThrow();
  });

  it('accepts a wildcard limited to Lifeline-named snapshots', () => {
    expect(
      synthWithPolicy(['arn:aws:rds:eu-central-1:123456789012:snapshot:lifeline-*'], ['rds:DeleteDBSnapshot']),
    ).not.toThrow();
  });
});
