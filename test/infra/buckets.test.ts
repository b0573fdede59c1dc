import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LifelineConfigInput } from '../../infra/config/schema';
import { baseConfig } from '../fixtures/configs';
import { type Synthesized, synthesize } from '../harness/synth';

/*
 * The protected buckets as synthesized: a source in the primary region (the bucket `archive` with the default tiers
 * and a COMPLIANCE lock, `scratch` not replicated and unlocked) and its replica in the DR region.
 */

const ACCOUNT = '123456789012';
let app: Synthesized;
let primary: Template;
let dr: Template;

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;
const buckets = (template: Template) => Object.entries(template.findResources('AWS::S3::Bucket') as Resources);
// biome-ignore lint/suspicious/noExplicitAny: template JSON, read by path in assertions
function bucketNamed(template: Template, name: string): Record<string, any> {
  const found = buckets(template).find(([, b]) => b.Properties.BucketName === name);
  if (!found) throw new Error(`no bucket ${name}`);
  return found[1].Properties;
}

beforeAll(() => {
  const config: LifelineConfigInput = {
    ...baseConfig(),
    buckets: [
      { id: 'archive', objectLock: { mode: 'COMPLIANCE', retention: '2555d' } },
      {
        id: 'scratch',
        replicate: false,
        lifecycle: [{ after: '30d', storageClass: 'STANDARD_IA' }],
        expireAfter: '45d',
      },
    ],
  };
  app = synthesize(config, { bundle: false });
  primary = Template.fromJSON(app.templates.primary?.template as never);
  dr = Template.fromJSON(app.templates.dr?.template as never);
});

const SOURCE = `lifeline-archive-${ACCOUNT}-eu-central-1`;
const REPLICA = `lifeline-archive-${ACCOUNT}-eu-west-1`;

describe('protected buckets', () => {
  it('names the source and its replica <name>-<id>-<account>-<region>', () => {
    primary.hasResourceProperties('AWS::S3::Bucket', { BucketName: SOURCE });
    dr.hasResourceProperties('AWS::S3::Bucket', { BucketName: REPLICA });
    // Not replicated: no replica.
    expect(JSON.stringify(dr.toJSON())).not.toContain('lifeline-scratch-');
  });

  it('leaves no bucket of either stack without encryption, public access block, TLS-only policy or versioning', () => {
    for (const template of [primary, dr]) {
      const all = buckets(template);
      expect(all.length).toBeGreaterThanOrEqual(2);
      const policies = Object.values(template.findResources('AWS::S3::BucketPolicy') as Resources);
      for (const [id, bucket] of all) {
        const p = bucket.Properties;
        expect(p.BucketEncryption, id).toBeDefined();
        expect(p.PublicAccessBlockConfiguration, id).toEqual({
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        });
        expect(p.VersioningConfiguration, id).toEqual({ Status: 'Enabled' });
        const policy = policies.find((q) => JSON.stringify(q.Properties.Bucket).includes(id));
        expect(JSON.stringify(policy?.Properties.PolicyDocument), id).toContain('"aws:SecureTransport":"false"');
      }
    }
  });

  it("encrypts the protected buckets with SSE-KMS under the region's rotating Lifeline key, with a bucket key", () => {
    for (const [template, name] of [
      [primary, SOURCE],
      [dr, REPLICA],
    ] as const) {
      const rule = bucketNamed(template, name).BucketEncryption.ServerSideEncryptionConfiguration[0];
      expect(rule.ServerSideEncryptionByDefault.SSEAlgorithm).toBe('aws:kms');
      expect(rule.BucketKeyEnabled).toBe(true);
      const keyId = rule.ServerSideEncryptionByDefault.KMSMasterKeyID['Fn::GetAtt'][0];
      expect(
        Object.keys(template.findResources('AWS::KMS::Key', { Properties: { EnableKeyRotation: true } })),
      ).toContain(keyId);
    }
  });

  it('logs server access to a bucket under SSE-S3 without Object Lock (the only kind S3 delivers logs to)', () => {
    const target = bucketNamed(primary, SOURCE).LoggingConfiguration.DestinationBucketName.Ref;
    const logs = (primary.toJSON().Resources as Resources)[target];
    expect(logs?.Properties.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    });
    expect(logs?.Properties.ObjectLockEnabled).toBeUndefined();
  });

  it('locks every new version by default in the configured mode, on the source and the replica alike', () => {
    for (const [template, name] of [
      [primary, SOURCE],
      [dr, REPLICA],
    ] as const)
      template.hasResourceProperties('AWS::S3::Bucket', {
        BucketName: name,
        ObjectLockEnabled: true,
        ObjectLockConfiguration: {
          ObjectLockEnabled: 'Enabled',
          Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 2555 } },
        },
      });
    primary.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: `lifeline-scratch-${ACCOUNT}-eu-central-1`,
      ObjectLockEnabled: false,
      ObjectLockConfiguration: Match.absent(),
    });
  });

  it('tiers in order IA 30, Glacier 90, Deep Archive 180, expires at 2555, for current and noncurrent versions, and aborts uploads after 7 days', () => {
    primary.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: SOURCE,
      LifecycleConfiguration: {
        Rules: [
          {
            Status: 'Enabled',
            Transitions: [
              { StorageClass: 'STANDARD_IA', TransitionInDays: 30 },
              { StorageClass: 'GLACIER', TransitionInDays: 90 },
              { StorageClass: 'DEEP_ARCHIVE', TransitionInDays: 180 },
            ],
            NoncurrentVersionTransitions: [
              { StorageClass: 'STANDARD_IA', TransitionInDays: 30 },
              { StorageClass: 'GLACIER', TransitionInDays: 90 },
              { StorageClass: 'DEEP_ARCHIVE', TransitionInDays: 180 },
            ],
            ExpirationInDays: 2555,
            NoncurrentVersionExpiration: { NoncurrentDays: 2555 },
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
          },
        ],
      },
    });
    dr.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: REPLICA,
      LifecycleConfiguration: {
        Rules: [
          Match.objectLike({
            ExpirationInDays: 2555,
            Transitions: Match.arrayWith([{ StorageClass: 'DEEP_ARCHIVE', TransitionInDays: 180 }]),
          }),
        ],
      },
    });
  });

  it('replicates every version to the replica under the DR key alias, with RTC 15 minutes and metrics, delete markers kept out', () => {
    primary.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: SOURCE,
      ReplicationConfiguration: {
        Role: { 'Fn::GetAtt': [Match.stringLikeRegexp('^BucketarchiveReplicationRole'), 'Arn'] },
        Rules: [
          {
            Status: 'Enabled',
            Filter: { Prefix: '' },
            DeleteMarkerReplication: { Status: 'Disabled' },
            SourceSelectionCriteria: { SseKmsEncryptedObjects: { Status: 'Enabled' } },
            Destination: {
              Bucket: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:s3:::${REPLICA}`]] },
              EncryptionConfiguration: {
                ReplicaKmsKeyID: {
                  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:kms:eu-west-1:${ACCOUNT}:alias/lifeline/dr`]],
                },
              },
              ReplicationTime: { Status: 'Enabled', Time: { Minutes: 15 } },
              Metrics: { Status: 'Enabled', EventThreshold: { Minutes: 15 } },
            },
            Priority: 0,
            Id: 'To-eu-west-1',
          },
        ],
      },
    });
    primary.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: `lifeline-scratch-${ACCOUNT}-eu-central-1`,
      ReplicationConfiguration: Match.absent(),
    });
  });

  it('lets the replication role read only the source, write only the replica, decrypt and encrypt only through S3', () => {
    const roles = primary.findResources('AWS::IAM::Role', {
      Properties: {
        AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 's3.amazonaws.com' } })] },
      },
    });
    expect(Object.keys(roles)).toHaveLength(1);
    const [roleId] = Object.keys(roles);
    const policies = Object.values(primary.findResources('AWS::IAM::Policy') as Resources).filter((p) =>
      JSON.stringify(p.Properties.Roles).includes(roleId as string),
    );
    const statements = policies.flatMap(
      (p) => (p.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement,
    );
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Action: ['s3:GetReplicationConfiguration', 's3:ListBucket'] }),
        expect.objectContaining({
          Action: [
            's3:GetObjectLegalHold',
            's3:GetObjectRetention',
            's3:GetObjectVersionAcl',
            's3:GetObjectVersionForReplication',
            's3:GetObjectVersionTagging',
          ],
        }),
        expect.objectContaining({
          Action: ['s3:ReplicateDelete', 's3:ReplicateObject', 's3:ReplicateTags'],
          Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:s3:::${REPLICA}/*`]] },
        }),
        expect.objectContaining({
          Action: 'kms:Decrypt',
          Condition: {
            StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['s3.eu-central-1.', { Ref: 'AWS::URLSuffix' }]] } },
          },
        }),
        expect.objectContaining({
          Action: 'kms:Encrypt',
          Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:kms:eu-west-1:${ACCOUNT}:key/*`]] },
          Condition: {
            'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/lifeline/dr' },
            StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['s3.eu-west-1.', { Ref: 'AWS::URLSuffix' }]] } },
          },
        }),
      ]),
    );
    expect(statements).toHaveLength(5);
    // Every S3 statement names the source bucket or the replica, never another.
    for (const s of statements.filter((s) => String(s.Action).startsWith('s3:')))
      expect(JSON.stringify(s.Resource)).toMatch(new RegExp(`BucketarchiveBucket|${REPLICA}`));
    expect(statements[0]?.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^BucketarchiveBucket/), 'Arn'] });
    // The decrypt statement names the primary key only.
    const decrypt = statements.find((s) => s.Action === 'kms:Decrypt');
    expect(JSON.stringify(decrypt?.Resource)).toMatch(/"Fn::GetAtt":\["Key[0-9A-F]+","Arn"\]/);
  });

  it('retains the buckets when the stacks are deleted', () => {
    for (const template of [primary, dr])
      for (const [id] of buckets(template))
        expect(
          (template.toJSON().Resources as Record<string, { DeletionPolicy?: string }>)[id]?.DeletionPolicy,
          id,
        ).toBe('Retain');
  });

  it('warns at synth that COMPLIANCE is irreversible, and that a tier left early is charged', () => {
    const warnings = Annotations.fromStack(app.stacks.primary)
      .findWarning('*', Match.stringLikeRegexp('^buckets\\['))
      .map((w) => String(w.entry.data));
    expect(warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^buckets\[0\]\.objectLock\.mode: COMPLIANCE is irreversible: for 2555d after each object version is written, nobody \(not the account's root user\) can delete or overwrite it .*its replica in eu-west-1 is locked the same/,
        ),
        expect.stringMatching(
          /^buckets\[1\]\.expireAfter: objects expire from Standard-IA after 15 days, before its 30-day minimum storage duration: AWS accepts this and charges the remaining 15 days of every object, got "45d"/,
        ),
      ]),
    );
    expect(warnings).toHaveLength(2);
  });
});
