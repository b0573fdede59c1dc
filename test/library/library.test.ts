import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Duration, Stack, Stage } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { describe, expect, it } from 'vitest';
import { BackupWorkflow } from '../../state-machines/backup';
import type { ProtectedDatabase } from '../../state-machines/databases';
import { ExecutionEndedRule } from '../../state-machines/execution-ended';
import { PROJECT_ROOT } from '../../state-machines/lifeline-function';
import { ShopBackups, ShopDrills } from './shop-recovery';

/** The README's example in a Stage of a pipeline, as another CDK app would use it: no config file anywhere. */
function synthesizeInStage() {
  // Bundling is what every other synth test covers; here the constructs are the subject.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stage = new Stage(app, 'Prod', { env: { account: '111111111111' } });
  const backups = new ShopBackups(stage, 'ShopBackups', { env: { region: 'eu-west-1' } });
  const drills = new ShopDrills(stage, 'ShopDrills', { env: { region: 'eu-central-1' } });
  stage.synth();
  return { backups: Template.fromStack(backups), drills: Template.fromStack(drills) };
}

/** The Parameters of one state of the template's state machine (the parts CloudFormation fills in read as TOKEN). */
function parametersOf<T = Record<string, unknown>>(template: Template, state: string): T {
  const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
  if (!machine) throw new Error('no state machine in the template');
  const body = (machine.Properties as { DefinitionString: string | { 'Fn::Join': [string, unknown[]] } })
    .DefinitionString;
  const text =
    typeof body === 'string' ? body : body['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : 'TOKEN')).join('');
  const found = (JSON.parse(text) as { States: Record<string, { Parameters?: T }> }).States[state]?.Parameters;
  if (!found) throw new Error(`no state "${state}" with Parameters`);
  return found;
}

describe('Lifeline as a construct library', () => {
  it('builds backups and drills of two databases in plain stacks inside a Stage, from props alone', () => {
    // Act
    const { backups, drills } = synthesizeInStage();
    // Assess
    backups.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    backups.hasResourceProperties('AWS::StepFunctions::StateMachine', { StateMachineName: 'lifeline-backup' });
    drills.hasResourceProperties('AWS::StepFunctions::StateMachine', { StateMachineName: 'lifeline-drill' });
    const catalog = parametersOf<{ catalog: object }>(backups, 'Validate the request').catalog;
    expect(Object.keys(catalog).sort()).toEqual(['ledger', 'orders']);
    expect(catalog).toMatchObject({
      ledger: { kind: 'cluster', identifier: 'ledger-prod', engine: 'aurora-postgresql', copyToDr: true },
      orders: { kind: 'instance', identifier: 'orders-prod', copyToVault: false, timeZone: 'UTC' },
    });
    const drillCatalog = parametersOf<{
      catalog: Record<string, { rpoSeconds: number; rtoSeconds: number; credentialsSecret: string }>;
    }>(drills, 'Validate the drill request').catalog;
    expect(drillCatalog.orders).toMatchObject({
      rpoSeconds: 86_400,
      rtoSeconds: 3600,
      credentialsSecret: 'shop/drill',
    });
    expect(drillCatalog.ledger).toMatchObject({ instanceClass: 'db.t4g.medium' });
  });

  it('renders each typed payload field that comes from the state as a JSONPath field', () => {
    // Act
    const { backups } = synthesizeInStage();
    // Assess
    expect(parametersOf(backups, 'Copy the snapshot to the DR region')).toEqual({
      'kind.$': '$.plan.kind',
      'sourceArn.$': '$.source.arn',
      'snapshotId.$': '$.plan.snapshotId',
    });
    expect(parametersOf(backups, 'Acquire a copy slot')).toEqual({
      action: 'acquire',
      'holder.$': '$$.Execution.Id',
      region: 'eu-central-1',
    });
  });

  it('is the example the README shows, word for word', () => {
    const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
    const example = readFileSync(join(PROJECT_ROOT, 'test/library/shop-recovery.ts'), 'utf8');
    expect(readme).toContain(`\`\`\`ts\n${example}\`\`\``);
  });
});

const RETAINED = {
  objectives: { rpo: Duration.days(1), rto: Duration.hours(4) },
  retention: { daily: 7, weekly: 4, monthly: 12, yearly: 1 },
};

describe('props the constructs refuse at synth', () => {
  const build = (mutate: (db: Record<string, unknown>) => void, installation?: string) => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Backups', { env: { account: '111111111111', region: 'eu-west-1' } });
    const key = new kms.Key(stack, 'Key');
    const db = { id: 'orders', identifier: 'orders-prod', engine: 'postgres', ...RETAINED };
    mutate(db);
    return () =>
      new BackupWorkflow(stack, 'Backup', {
        databases: [
          db as unknown as ProtectedDatabase,
          { ...RETAINED, id: 'ledger', identifier: 'ledger-prod', engine: 'postgres' },
        ],
        key,
        alerts: new sns.Topic(stack, 'Alerts'),
        drRegion: 'eu-central-1',
        drKeyAlias: 'alias/shop/dr',
        installation,
      });
  };

  it.each([
    [
      'an id RDS names cannot carry',
      (db: Record<string, unknown>) => (db.id = 'Orders_DB'),
      /databases\[0\]\.id "Orders_DB" must be/,
    ],
    [
      'the same id twice',
      (db: Record<string, unknown>) => (db.id = 'ledger'),
      /databases\[1\]\.id "ledger" is already used by databases\[0\]/,
    ],
    [
      'a retention that keeps no day',
      (db: Record<string, unknown>) => (db.retention = { daily: 0, weekly: 0, monthly: 0, yearly: 0 }),
      /databases\[0\]\.retention\.daily 0 must be/,
    ],
  ])('refuses %s, naming the field and the value', (_, mutate, message) => {
    expect(build(mutate)).toThrow(message);
  });

  it('refuses an installation whose drill names would be longer than RDS allows', () => {
    expect(build((db) => (db.id = 'a'.repeat(30)), 'b'.repeat(20))).toThrow(/is too long with installation "b{20}"/);
  });
});

describe('the drill side, built from props', () => {
  it('grants the credentials secret named by name exactly: its ARN and the 6 characters Secrets Manager appends', () => {
    const { drills } = synthesizeInStage();
    drills.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'secretsmanager:GetSecretValue',
            Resource: {
              'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(':secret:shop/drill-\\?\\?\\?\\?\\?\\?$')])],
            },
          }),
        ]),
      },
    });
  });

  it('refuses an execution-ended rule on a drill workflow that does not say whose drill databases to delete', () => {
    const stack = new Stack(new App(), 'Drills');
    const machine = sfn.StateMachine.fromStateMachineName(stack, 'Machine', 'lifeline-drill');
    const key = new kms.Key(stack, 'Key');
    expect(
      () =>
        new ExecutionEndedRule(stack, 'Ended', {
          stateMachine: machine,
          workflow: 'drill',
          alerts: new sns.Topic(stack, 'Alerts'),
          alertsKey: key,
          logKey: key,
        }),
    ).toThrow(/needs drillDatabasesOf/);
  });
});
