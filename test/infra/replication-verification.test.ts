import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../infra/config/load';
import type { LifelineConfigInput } from '../../infra/config/schema';
import { baseConfig, escalationConfig, type Mutable, problemsOf } from '../fixtures/configs';
import { type Synthesized, synthesize } from '../harness/synth';

/*
 * Replication verification as synthesized: the inventories of `archive` (replicated) and its replica, the inventory
 * bucket of each region, and the workflow in the DR region. `scratch` is not replicated and has no inventory.
 */

const ACCOUNT = '123456789012';
const SOURCE = `lifeline-archive-${ACCOUNT}-eu-central-1`;
const REPLICA = `lifeline-archive-${ACCOUNT}-eu-west-1`;
const PRIMARY_INVENTORY = `lifeline-inventory-${ACCOUNT}-eu-central-1`;
const DR_INVENTORY = `lifeline-inventory-${ACCOUNT}-eu-west-1`;

let app: Synthesized;
let primary: Template;
let dr: Template;

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;
// biome-ignore lint/suspicious/noExplicitAny: template JSON, read by path in assertions
function resourceNamed(template: Template, type: string, name: string): [string, Record<string, any>] {
  const found = Object.entries(template.findResources(type) as Resources).find(
    ([, b]) => b.Properties.BucketName === name,
  );
  if (!found) throw new Error(`no ${type} ${name}`);
  return [found[0], found[1].Properties];
}

beforeAll(() => {
  const config: LifelineConfigInput = {
    ...baseConfig(),
    buckets: [
      { id: 'archive', verify: { schedule: 'cron(30 9 * * ? *)' } },
      { id: 'scratch', replicate: false, lifecycle: [], expireAfter: '45d' },
    ],
  };
  app = synthesize(config, { bundle: false });
  primary = Template.fromJSON(app.templates.primary?.template as never);
  dr = Template.fromJSON(app.templates.dr?.template as never);
});

describe('the inventories', () => {
  it('list every version of the source and of the replica daily as CSV, with what the comparison reads, into their own region', () => {
    for (const [template, name, inventory] of [
      [primary, SOURCE, PRIMARY_INVENTORY],
      [dr, REPLICA, DR_INVENTORY],
    ] as const) {
      const [inventoryId] = resourceNamed(template, 'AWS::S3::Bucket', inventory);
      const [, bucket] = resourceNamed(template, 'AWS::S3::Bucket', name);
      expect(bucket.InventoryConfigurations).toEqual([
        {
          Id: 'lifeline-verification',
          Enabled: true,
          IncludedObjectVersions: 'All',
          ScheduleFrequency: 'Daily',
          OptionalFields: expect.arrayContaining([
            'Size',
            'LastModifiedDate',
            'ETag',
            'ChecksumAlgorithm',
            'ReplicationStatus',
          ]),
          Destination: {
            BucketArn: { 'Fn::GetAtt': [inventoryId, 'Arn'] },
            BucketAccountId: ACCOUNT,
            Format: 'CSV',
            Prefix: 'inventory',
          },
        },
      ]);
    }
    const [, scratch] = resourceNamed(primary, 'AWS::S3::Bucket', `lifeline-scratch-${ACCOUNT}-eu-central-1`);
    expect(scratch.InventoryConfigurations).toBeUndefined();
  });

  it('go to a bucket that is SSE-KMS under the region key, public access blocked, TLS only, and kept 14 days', () => {
    for (const [template, inventory] of [
      [primary, PRIMARY_INVENTORY],
      [dr, DR_INVENTORY],
    ] as const) {
      const [id, bucket] = resourceNamed(template, 'AWS::S3::Bucket', inventory);
      const rule = bucket.BucketEncryption.ServerSideEncryptionConfiguration[0];
      expect(rule.ServerSideEncryptionByDefault.SSEAlgorithm).toBe('aws:kms');
      expect(Object.keys(template.findResources('AWS::KMS::Key'))).toContain(
        rule.ServerSideEncryptionByDefault.KMSMasterKeyID['Fn::GetAtt'][0],
      );
      expect(bucket.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(bucket.LifecycleConfiguration.Rules).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ Prefix: 'inventory/', ExpirationInDays: 14 }),
          expect.objectContaining({ Prefix: 'verification/', ExpirationInDays: 7 }),
        ]),
      );
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: id },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    }
  });

  it("let only S3, for the inventoried bucket of this account, write inventories and use the key (S3 Inventory's required policy)", () => {
    for (const [template, name, inventory] of [
      [primary, SOURCE, PRIMARY_INVENTORY],
      [dr, REPLICA, DR_INVENTORY],
    ] as const) {
      const [inventoryId] = resourceNamed(template, 'AWS::S3::Bucket', inventory);
      const [sourceId] = resourceNamed(template, 'AWS::S3::Bucket', name);
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: inventoryId },
        PolicyDocument: {
          Statement: Match.arrayWith([
            {
              Sid: Match.stringLikeRegexp('^InventoryOf'),
              Effect: 'Allow',
              Principal: { Service: 's3.amazonaws.com' },
              Action: 's3:PutObject',
              Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [inventoryId, 'Arn'] }, '/inventory/*']] },
              Condition: {
                ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [sourceId, 'Arn'] } },
                StringEquals: { 'aws:SourceAccount': ACCOUNT, 's3:x-amz-acl': 'bucket-owner-full-control' },
              },
            },
          ]),
        },
      });
      template.hasResourceProperties('AWS::KMS::Key', {
        KeyPolicy: {
          Statement: Match.arrayWith([
            {
              Sid: Match.stringLikeRegexp('^InventoryOf'),
              Effect: 'Allow',
              Principal: { Service: 's3.amazonaws.com' },
              Action: 'kms:GenerateDataKey',
              Resource: '*',
              Condition: {
                ArnLike: {
                  'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:s3:::${name}`]] },
                },
                StringEquals: { 'aws:SourceAccount': ACCOUNT },
              },
            },
          ]),
        },
      });
    }
  });
});

describe('the verification workflow', () => {
  // biome-ignore lint/suspicious/noExplicitAny: the definition, read by path
  let definition: any;
  beforeAll(() => {
    const [machine] = Object.values(
      dr.findResources('AWS::StepFunctions::StateMachine', {
        Properties: { StateMachineName: 'lifeline-replication-verification' },
      }) as Resources,
    );
    const body = machine?.Properties.DefinitionString as { 'Fn::Join': [string, unknown[]] };
    definition = JSON.parse(body['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : 'TOKEN')).join(''));
  });

  it('runs in the DR region only', () => {
    expect(
      primary.findResources('AWS::StepFunctions::StateMachine', {
        Properties: { StateMachineName: 'lifeline-replication-verification' },
      }),
    ).toEqual({});
    expect(definition.StartAt).toBe('Find the newest inventory of each side');
  });

  it('reads the inventory files with a Distributed Map over the S3 file list, then compares the partitions in another', () => {
    const split = definition.States['Split every inventory file into sorted partitions'];
    expect(split).toMatchObject({
      Type: 'Map',
      ItemReader: {
        Resource: 'arn:TOKEN:states:::s3:getObject',
        ReaderConfig: { InputType: 'JSON' },
        Parameters: { 'Bucket.$': '$.plan.workBucket', 'Key.$': '$.plan.filesKey' },
      },
      ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'EXPRESS' } },
      ResultPath: null,
    });
    const compare = definition.States['Compare both inventories partition by partition'];
    expect(compare).toMatchObject({
      Type: 'Map',
      ItemsPath: '$.plan.partitionList',
      ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'EXPRESS' } },
    });
    expect(compare.ItemSelector['partition.$']).toBe('$$.Map.Item.Value');
    // Neither map tolerates a failed child: a file or partition left out would hide its versions.
    expect(split.ToleratedFailurePercentage ?? 0).toBe(0);
    expect(split.Catch?.[0].ErrorEquals).toEqual(['States.ALL']);
  });

  it('is scheduled per replicated bucket as configured, in UTC', () => {
    dr.hasResourceProperties('AWS::Scheduler::Schedule', {
      Name: 'lifeline-verify-archive',
      ScheduleExpression: 'cron(30 9 * * ? *)',
      ScheduleExpressionTimezone: 'Etc/UTC',
      Target: { Input: JSON.stringify({ bucket: 'archive' }) },
    });
    expect(JSON.stringify(dr.findResources('AWS::Scheduler::Schedule'))).not.toContain('lifeline-verify-scratch');
  });
});

describe('buckets[].verify', () => {
  it('defaults to daily at 08:00 UTC, ETags compared', () => {
    const config = validateConfig({ ...baseConfig(), buckets: [{ id: 'archive' }] });
    expect(config.buckets[0]?.verify).toEqual({ schedule: 'cron(0 8 * * ? *)', compareEtag: true });
  });

  it.each([
    [
      'a schedule that does not parse',
      { id: 'archive', verify: { schedule: 'daily' } },
      /^buckets\[0\]\.verify\.schedule: expected a schedule such as cron\(0 2 \* \* \? \*\) or rate\(1 hour\)/,
    ],
    ['a field it does not know', { id: 'archive', verify: { every: '1d' } }, /^buckets\[0\]\.verify/],
    [
      'the id of the inventory buckets',
      { id: 'inventory' },
      /^buckets\[0\]\.id: is reserved: the inventory bucket of each region is named lifeline-inventory-<account>-<region>/,
    ],
  ])('refuses %s, naming the field', (_name, bucket, message) => {
    const problems = problemsOf((c: Mutable) => {
      c.buckets = [bucket];
    });
    expect(
      problems.some((p) => message.test(p)),
      problems.join('\n'),
    ).toBe(true);
  });
});

describe('with an incident sink', () => {
  it("lets the report function tell the sink of a completed run, and invoke nothing but the sink's intake", () => {
    const withSink = synthesize({ ...escalationConfig(), buckets: [{ id: 'archive' }] }, { bundle: false });
    const template = Template.fromJSON(withSink.templates.dr?.template as never);
    const functions = template.findResources('AWS::Lambda::Function') as Resources;
    const intake = Object.entries(functions).find(
      ([, f]) => f.Properties.FunctionName === 'lifeline-incident-intake',
    )?.[0] as string;
    const report = Object.values(functions).find(
      (f) =>
        JSON.stringify(f.Properties.Environment).includes('"INCIDENT_INTAKE_FUNCTION"') &&
        String(f.Properties.Description ?? '').startsWith('Replication verification: report'),
    );
    if (!report) throw new Error('the report function does not name the intake');
    expect(
      (report.Properties.Environment as { Variables: Record<string, unknown> }).Variables.INCIDENT_INTAKE_FUNCTION,
    ).toEqual({ Ref: intake });
    const role = (report.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const invokes = Object.values(template.findResources('AWS::IAM::Policy') as Resources)
      .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === role))
      .flatMap(
        (p) => (p.Properties.PolicyDocument as { Statement: { Action: unknown; Resource: unknown }[] }).Statement,
      )
      .filter((s) => JSON.stringify(s.Action).includes('lambda:InvokeFunction'));
    expect(invokes).toHaveLength(1);
    expect(JSON.stringify(invokes[0]?.Resource)).toContain(intake);
    expect(JSON.stringify(invokes[0]?.Resource).match(/"Fn::GetAtt"/g)).toHaveLength(2);
  });
});
