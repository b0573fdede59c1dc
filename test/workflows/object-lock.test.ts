import {
  DeleteObjectCommand,
  GetObjectLockConfigurationCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseConfig } from '../fixtures/configs';
import { ACCOUNT } from '../harness/cloud';
import { type LocalAws, startLocalAws } from '../harness/local-aws';

/*
 * The protected buckets deployed into moto, which enforces Object Lock: a version written under the bucket's default
 * retention cannot be deleted before it ends (GOVERNANCE: unless the caller bypasses; COMPLIANCE: not at all).
 */

let aws: LocalAws;

beforeAll(async () => {
  aws = await startLocalAws({
    ...baseConfig(),
    buckets: [
      { id: 'governed', objectLock: { mode: 'GOVERNANCE', retention: '30d' } },
      { id: 'compliant', objectLock: { mode: 'COMPLIANCE', retention: '30d' } },
    ],
  });
});
afterAll(async () => aws?.stop());

const name = (id: string, region: string) => `lifeline-${id}-${ACCOUNT}-${region}`;

async function putVersion(s3: S3Client, bucket: string): Promise<string> {
  const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'dump.sql.gz', Body: 'recovery point' }));
  expect(put.VersionId).toBeTruthy();
  return put.VersionId as string;
}

/** The version's lock mode, read back after a refused delete: the version is still there, still locked. */
async function lockOf(s3: S3Client, bucket: string, version: string): Promise<string | undefined> {
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'dump.sql.gz', VersionId: version }));
  return head.ObjectLockMode;
}

describe('Object Lock on the protected buckets', () => {
  it('refuses to delete a version under GOVERNANCE retention, unless the caller bypasses governance', async () => {
    // Prepare
    const s3 = aws.client(S3Client, 'eu-central-1');
    const bucket = name('governed', 'eu-central-1');
    const version = await putVersion(s3, bucket);
    // Act
    const refused = s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'dump.sql.gz', VersionId: version }));
    // Assess
    await expect(refused).rejects.toMatchObject({ name: 'AccessDenied' });
    await expect(lockOf(s3, bucket, version)).resolves.toBe('GOVERNANCE');
    await expect(
      s3.send(
        new DeleteObjectCommand({
          Bucket: bucket,
          Key: 'dump.sql.gz',
          VersionId: version,
          BypassGovernanceRetention: true,
        }),
      ),
    ).resolves.toBeDefined();
  });

  it('refuses to delete a version under COMPLIANCE retention, even bypassing governance', async () => {
    // Prepare
    const s3 = aws.client(S3Client, 'eu-central-1');
    const bucket = name('compliant', 'eu-central-1');
    const version = await putVersion(s3, bucket);
    // Act
    const refused = s3.send(
      new DeleteObjectCommand({
        Bucket: bucket,
        Key: 'dump.sql.gz',
        VersionId: version,
        BypassGovernanceRetention: true,
      }),
    );
    // Assess
    await expect(refused).rejects.toMatchObject({ name: 'AccessDenied' });
    await expect(lockOf(s3, bucket, version)).resolves.toBe('COMPLIANCE');
  });

  it('gives the DR replica the same default retention as its source', async () => {
    const s3 = aws.client(S3Client, 'eu-west-1');
    const lock = await s3.send(new GetObjectLockConfigurationCommand({ Bucket: name('compliant', 'eu-west-1') }));
    expect(lock.ObjectLockConfiguration).toMatchObject({
      ObjectLockEnabled: 'Enabled',
      Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 30 } },
    });
  });
});
