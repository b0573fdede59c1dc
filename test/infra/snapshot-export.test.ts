import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LifelineConfigInput } from '../../infra/config/schema';
import { DEFAULT_EXPORT_POLL } from '../../state-machines/snapshot-export';
import { baseConfig } from '../fixtures/configs';
import { type Synthesized, synthesize } from '../harness/synth';

/*
 * The snapshot export as synthesized: `orders` (an RDS instance) and `ledger` (an Aurora cluster) export into the
 * bucket `archive`; the export role, its trust and policy, the functions' grants on the key, the schedule, and the
 * wait's retry.
 */

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: Record<string, unknown> };
type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

let app: Synthesized;
let primary: Template;
let resources: Resources;
// biome-ignore lint/suspicious/noExplicitAny: the state machine definition, read by path
let definition: any;

const list = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);
const text = (value: unknown) => JSON.stringify(value);

/** The logical id of the role whose description starts with `prefix`. */
function roleId(prefix: string): string {
  const found = Object.entries(resources).find(
    ([, r]) => r.Type === 'AWS::IAM::Role' && String(r.Properties.Description ?? '').startsWith(prefix),
  );
  if (!found) throw new Error(`no role described "${prefix}..."`);
  return found[0];
}
/** Every Allow statement of the policies attached to role `id`. */
function statementsOf(id: string): Statement[] {
  return Object.values(resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy' && text(r.Properties.Roles).includes(`"${id}"`))
    .flatMap((r) => (r.Properties.PolicyDocument as { Statement: Statement[] }).Statement)
    .filter((s) => s.Effect === 'Allow');
}
const actionsOf = (id: string) => statementsOf(id).flatMap((s) => list(s.Action));

beforeAll(() => {
  const config = structuredClone(baseConfig()) as LifelineConfigInput;
  config.buckets = [{ id: 'archive' }];
  for (const db of config.databases) Object.assign(db, { archive: { bucket: 'archive', dump: false } });
  app = synthesize(config, { bundle: false });
  primary = Template.fromJSON(app.templates.primary?.template as never);
  resources = primary.toJSON().Resources as Resources;
  const machine = Object.values(resources).find(
    (r) => r.Type === 'AWS::StepFunctions::StateMachine' && r.Properties.StateMachineName === 'lifeline-export',
  );
  const body = machine?.Properties.DefinitionString as { 'Fn::Join': [string, unknown[]] };
  // The tokens (ARNs, names) become placeholders; the structure is what is asserted.
  definition = JSON.parse(body['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : 'TOKEN')).join(''));
});

describe('the snapshot export', () => {
  it('is a state machine <name>-export in the primary stack, started every day by its own schedule', () => {
    expect(definition.StartAt).toBeDefined();
    primary.hasResourceProperties('AWS::Scheduler::Schedule', {
      Name: 'lifeline-export',
      ScheduleExpression: 'cron(0 6 * * ? *)',
      Target: Match.objectLike({ Input: '{}', RetryPolicy: Match.objectLike({ MaximumRetryAttempts: 3 }) }),
    });
    // The backup workflow is untouched: it starts nothing of the export.
    const backup = Object.values(resources).find(
      (r) => r.Type === 'AWS::StepFunctions::StateMachine' && r.Properties.StateMachineName === 'lifeline-backup',
    );
    expect(text(backup)).not.toContain('StartExportTask');
  });

  it('lets only RDS exports in this account assume the export role', () => {
    const id = roleId('RDS snapshot exports');
    expect(resources[id]?.Properties.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: 'sts:AssumeRole',
          Principal: { Service: 'export.rds.amazonaws.com' },
          Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
        },
      ],
    });
  });

  it("lets the export role write only the bucket's exports/ prefix, never delete a version, and use only the key", () => {
    const id = roleId('RDS snapshot exports');
    const statements = statementsOf(id);
    const objects = statements.find((s) => list(s.Action).includes('s3:PutObject'));
    expect(list(objects?.Action).sort()).toEqual(['s3:DeleteObject', 's3:GetObject', 's3:PutObject']);
    expect(text(objects?.Resource)).toMatch(/\/exports\/\*"/);
    expect(text(objects?.Resource)).not.toContain('records/');
    expect(actionsOf(id)).not.toContain('s3:DeleteObjectVersion');
    expect(actionsOf(id).every((a) => !a.includes('*'))).toBe(true);
    const bucket = statements.find((s) => list(s.Action).includes('s3:ListBucket'));
    expect(list(bucket?.Action).sort()).toEqual(['s3:GetBucketLocation', 's3:ListBucket']);
    // The key: the operations the export needs, and grants only for AWS resources.
    const kms = statements.filter((s) => list(s.Action).some((a) => a.startsWith('kms:')));
    for (const s of kms) expect(text(s.Resource)).toMatch(/^\{"Fn::GetAtt":\["Key[0-9A-F]+","Arn"\]\}$/);
    const kmsActions = kms.flatMap((s) => list(s.Action));
    for (const action of ['kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey', 'kms:CreateGrant'])
      expect(kmsActions).toContain(action);
    const grant = kms.find((s) => list(s.Action).includes('kms:CreateGrant'));
    expect(grant?.Condition).toEqual({ Bool: { 'kms:GrantIsForAWSResource': true } });
  });

  it('lets the start function pass only the export role, use the key only through RDS, and mark only started', () => {
    const id = roleId('Runs the start of a snapshot export');
    const statements = statementsOf(id);
    const pass = statements.find((s) => list(s.Action).includes('iam:PassRole'));
    expect(pass?.Resource).toEqual({ 'Fn::GetAtt': [roleId('RDS snapshot exports'), 'Arn'] });
    expect(statements.find((s) => list(s.Action).includes('rds:StartExportTask'))).toBeDefined();
    for (const s of statements.filter((s) => list(s.Action).some((a) => a.startsWith('kms:'))))
      expect(text(s.Condition)).toContain(
        '"kms:ViaService":{"Fn::Join":["",["rds.eu-central-1.",{"Ref":"AWS::URLSuffix"}]]}',
      );
    const tagging = statements.filter((s) => list(s.Action).includes('rds:AddTagsToResource'));
    expect(tagging).toHaveLength(2);
    for (const s of tagging) {
      expect(text(s.Resource)).toMatch(/:(snapshot|cluster-snapshot):lifeline-\*/);
      expect(s.Condition).toMatchObject({
        'ForAllValues:StringEquals': { 'aws:TagKeys': ['lifeline:export'] },
        StringEquals: { 'aws:RequestTag/lifeline:export': 'started' },
      });
    }
  });

  it('lets the record function write records/ only and tag only complete or failed', () => {
    const id = roleId('Runs the record of a snapshot export');
    const statements = statementsOf(id);
    const put = statements.find((s) => list(s.Action).includes('s3:PutObject'));
    expect(text(put?.Resource)).toMatch(/\/records\/exports\/\*"/);
    const tagging = statements.filter((s) => list(s.Action).includes('rds:AddTagsToResource'));
    expect(tagging).toHaveLength(2);
    for (const s of tagging)
      expect(s.Condition).toMatchObject({
        StringEquals: { 'aws:RequestTag/lifeline:export': ['complete', 'failed'] },
      });
    const list_ = statements.find((s) => list(s.Action).includes('s3:ListBucket'));
    expect(list_?.Condition).toEqual({ StringLike: { 's3:prefix': 'exports/*' } });
  });

  it('waits for the export with backoff on NotReady, for about 55 hours, within the execution timeout', () => {
    const map = definition.States['Export each settled point'];
    expect(map.Type).toBe('Map');
    expect(map.MaxConcurrency).toBe(5);
    const wait = map.ItemProcessor.States['Wait for the export'];
    const retry = wait.Retry.find((r: { ErrorEquals: string[] }) => r.ErrorEquals.includes('NotReady'));
    expect(retry).toEqual({
      ErrorEquals: ['NotReady'],
      IntervalSeconds: 300,
      BackoffRate: 1.5,
      MaxDelaySeconds: 3600,
      MaxAttempts: 60,
    });
    const budget = Array.from({ length: 60 }, (_, i) => Math.min(300 * 1.5 ** i, 3600)).reduce((a, b) => a + b);
    expect(budget / 3600).toBeGreaterThan(50);
    expect(DEFAULT_EXPORT_POLL.maxAttempts).toBe(60);
    const machine = Object.values(resources).find(
      (r) => r.Type === 'AWS::StepFunctions::StateMachine' && r.Properties.StateMachineName === 'lifeline-export',
    );
    // The execution outlives the wait, so the wait gives up first and its failure is alerted.
    expect(Number(text(machine?.Properties.DefinitionString).match(/TimeoutSeconds\\":(\d+)/)?.[1])).toBeGreaterThan(
      budget,
    );
  });

  it('alerts a failed export with the incident attributes of kind export-failed, and goes on with the others', () => {
    const states = definition.States['Export each settled point'].ItemProcessor.States;
    const publish = states['Publish the export failure alert'];
    expect(publish.Parameters.MessageAttributes['lifeline.kind']).toEqual({
      DataType: 'String',
      StringValue: 'export-failed',
    });
    expect(publish.Parameters.MessageAttributes['lifeline.database']['StringValue.$']).toBe('$.target.database');
    for (const step of ['Start the export', 'Wait for the export', 'Record the export'])
      expect(states[step].Catch[0].Next).toBe(`Note the failed export step: ${step}`);
    // An export RDS ended FAILED or CANCELED goes the same way, after its record.
    expect(states['Did the export complete?'].Default).toBe('Take the ended export as the error');
    // The item ends; the run fails at the end if any item failed.
    expect(states['Note the export failed'].End).toBe(true);
    expect(definition.States['Did every export complete?'].Choices).toHaveLength(2);
  });

  it('builds nothing of the export when no database asks for it, and synth no longer warns about it', () => {
    const plain = synthesize({ ...baseConfig(), buckets: [{ id: 'archive' }] } as LifelineConfigInput, {
      bundle: false,
    });
    expect(text(plain.templates.primary?.template)).not.toContain('lifeline-export');
    const warnings = Annotations.fromStack(app.stacks.primary).findWarning(
      '*',
      Match.stringLikeRegexp('archive.export'),
    );
    expect(warnings).toEqual([]);
  });
});
