import { createHash, randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import {
  GetObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { baseConfig } from '../fixtures/configs';
import { ACCOUNT } from '../harness/cloud';
import { type Delivered, type LocalAws, startLocalAws } from '../harness/local-aws';
import { runWorkflow } from '../harness/run-workflow';

/*
 * Replication verification against moto, as deployed: objects put in the protected bucket, the replica filled as a
 * replication rule would (moto does not replicate) with some versions left out or changed on purpose, both
 * inventories written in S3 Inventory's format (manifest.json and gzipped CSV data files, under the configured
 * prefix), and the synthesized workflow run with each function under its own role.
 */

const PRIMARY = 'eu-central-1';
const DR = 'eu-west-1';
const SOURCE = `lifeline-archive-${ACCOUNT}-${PRIMARY}`;
const REPLICA = `lifeline-archive-${ACCOUNT}-${DR}`;
const inventoryBucket = (region: string) => `lifeline-inventory-${ACCOUNT}-${region}`;
const NOW = Date.parse('2026-12-01T08:00:00Z');
const MINUTE = 60_000;

let aws: LocalAws;
beforeAll(async () => {
  aws = await startLocalAws({ ...baseConfig(), buckets: [{ id: 'archive' }] });
}, 600_000);
afterAll(async () => aws?.stop());
beforeEach(async (test) => {
  await aws.fresh(test);
}, 120_000);

const FIELDS = [
  'Bucket',
  'Key',
  'VersionId',
  'IsLatest',
  'IsDeleteMarker',
  'Size',
  'LastModifiedDate',
  'ETag',
  'StorageClass',
  'ReplicationStatus',
  'EncryptionStatus',
  'ObjectLockRetainUntilDate',
  'ObjectLockMode',
  'ChecksumAlgorithm',
];

interface Listed {
  readonly key: string;
  readonly versionId: string;
  readonly size: number;
  readonly etag: string;
  readonly lastModified: number;
  readonly status: string;
}

/**
 * An inventory as S3 Inventory writes it: CSV data files (every field quoted, keys URL-encoded), gzipped, under
 * `inventory/<bucket>/lifeline-verification/data/`, and the manifest in a folder named after the listing's start.
 * The rows are spread over `files` files in no particular order.
 */
async function writeInventory(region: string, bucket: string, rows: Listed[], listedAt: number, files = 3) {
  const s3 = aws.client(S3Client, region);
  const base = `inventory/${bucket}/lifeline-verification`;
  const shuffled = [...rows].sort(() => Math.random() - 0.5);
  const entries = [];
  for (let f = 0; f < files; f++) {
    const part = shuffled.filter((_, i) => i % files === f);
    const csv = part
      .map((r) =>
        [
          bucket,
          encodeURIComponent(r.key).replace(/%2F/g, '/').replace(/%20/g, '+'),
          r.versionId,
          'true',
          'false',
          String(r.size),
          new Date(r.lastModified).toISOString(),
          r.etag,
          'STANDARD',
          r.status,
          'SSE-KMS',
          '',
          '',
          'SHA256',
        ]
          .map((v) => `"${v}"`)
          .join(','),
      )
      .join('\n');
    const body = gzipSync(`${csv}\n`);
    const key = `${base}/data/${randomUUID()}.csv.gz`;
    await s3.send(new PutObjectCommand({ Bucket: inventoryBucket(region), Key: key, Body: body }));
    entries.push({ key, size: body.length, MD5checksum: createHash('md5').update(body).digest('hex') });
  }
  const folder = new Date(listedAt).toISOString().slice(0, 16).replace(':', '-');
  await s3.send(
    new PutObjectCommand({
      Bucket: inventoryBucket(region),
      Key: `${base}/${folder}Z/manifest.json`,
      Body: JSON.stringify({
        sourceBucket: bucket,
        destinationBucket: `arn:aws:s3:::${inventoryBucket(region)}`,
        version: '2016-11-30',
        creationTimestamp: String(listedAt),
        fileFormat: 'CSV',
        fileSchema: FIELDS.join(', '),
        files: entries,
      }),
    }),
  );
}

/** Every version of `bucket` as moto lists it. */
async function versionsOf(region: string, bucket: string) {
  const out = await aws.client(S3Client, region).send(new ListObjectVersionsCommand({ Bucket: bucket }));
  return (out.Versions ?? []).map((v) => ({
    key: v.Key as string,
    versionId: v.VersionId as string,
    size: v.Size as number,
    // S3 Inventory lists ETags without the quotes the API puts around them.
    etag: (v.ETag as string).replace(/"/g, ''),
  }));
}

/**
 * Puts `keys` in the source, then copies each into the replica as replication would, unless `fate` says otherwise:
 * 'missing' (never copied), 'changed' (a different body), 'failed' (not copied, status FAILED), 'pending'
 * (not copied yet, written `pendingMinutes` ago). Returns the inventory rows of both sides: the replica's rows carry
 * the source's version ids, as S3 replication keeps them (moto gives a copy a new one).
 */
async function fill(fates: Record<string, 'copied' | 'missing' | 'changed' | 'failed' | 'pending'>) {
  const source = aws.client(S3Client, PRIMARY);
  const replica = aws.client(S3Client, DR);
  for (const key of Object.keys(fates))
    await source.send(new PutObjectCommand({ Bucket: SOURCE, Key: key, Body: `the content of ${key}` }));
  const sourceRows: Listed[] = [];
  const replicaRows: Listed[] = [];
  for (const version of await versionsOf(PRIMARY, SOURCE)) {
    const fate = fates[version.key];
    const lastModified = fate === 'pending' ? NOW - 40 * MINUTE : NOW - 3 * 60 * MINUTE;
    const status = fate === 'failed' ? 'FAILED' : fate === 'pending' ? 'PENDING' : 'COMPLETED';
    sourceRows.push({ ...version, lastModified, status });
    if (fate === 'copied' || fate === 'changed') {
      const body = fate === 'changed' ? 'something else entirely' : `the content of ${version.key}`;
      await replica.send(new PutObjectCommand({ Bucket: REPLICA, Key: version.key, Body: body }));
    }
  }
  for (const copy of await versionsOf(DR, REPLICA)) {
    const original = sourceRows.find((r) => r.key === copy.key) as Listed;
    replicaRows.push({
      ...copy,
      versionId: original.versionId,
      lastModified: original.lastModified,
      status: 'REPLICA',
    });
  }
  return { sourceRows, replicaRows };
}

const run = (input: object) =>
  runWorkflow(aws.cloud, aws.cloud.stateMachine('replication-verification'), input, { startTime: new Date(NOW) });
const alertsOf = () =>
  aws.subscribe(aws.cloud.ref(aws.app.templates.dr as NonNullable<typeof aws.app.templates.dr>, 'AWS::SNS::Topic'), DR);

describe('replication verification', () => {
  it('finds what is missing, different and failed in the replica, and a version waiting longer than RTC allows', async () => {
    // Prepare
    const { sourceRows, replicaRows } = await fill({
      'reports/2026 q4.csv': 'copied',
      'dumps/orders.sql.gz': 'copied',
      'dumps/users.sql.gz': 'missing',
      'exports/orders.parquet': 'changed',
      'exports/users.parquet': 'failed',
      'logs/today.log': 'pending',
      ...Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`bulk/object-${i}`, 'copied'])),
    });
    // An older inventory that would say everything is fine: the newest one counts.
    await writeInventory(PRIMARY, SOURCE, [], NOW - 2 * 86_400_000, 1);
    await writeInventory(PRIMARY, SOURCE, sourceRows, NOW - 2 * 60 * MINUTE);
    await writeInventory(DR, REPLICA, replicaRows, NOW - 2 * 60 * MINUTE);
    const alerts = await alertsOf();
    // Act
    const result = await run({ bucket: 'archive', partitions: 3 });
    // Assess
    expect(result.status, result.cause).toBe('SUCCEEDED');
    expect(result.output).toMatchObject({
      bucket: 'archive',
      status: 'discrepancies-and-late',
      missing: 1,
      mismatched: 1,
      failed: 1,
      pending: 1,
      alerted: ['replication-discrepancy', 'replication-late'],
    });
    // Every inventory file went through the first Distributed Map, every partition through the second.
    expect(result.states.filter((s) => s === 'Split one inventory file')).toHaveLength(6);
    expect(result.states.filter((s) => s === 'Compare one partition')).toHaveLength(3);
    const report = JSON.parse(await readReport((result.output as { report: string }).report));
    expect(report.counts).toEqual({
      sourceVersions: 36,
      replicaVersions: 33,
      missing: 1,
      mismatched: 1,
      failed: 1,
      pending: 1,
      notYetListedInReplica: 0,
      onlyInReplica: 0,
    });
    expect(report.samples.missing).toEqual([expect.objectContaining({ key: 'dumps/users.sql.gz' })]);
    expect(report.samples.mismatched[0]).toMatchObject({
      key: 'exports/orders.parquet',
      detail: expect.stringMatching(
        new RegExp(
          `^size: ${'the content of exports/orders.parquet'.length} ≠ ${'something else entirely'.length}, ETag: `,
        ),
      ),
    });
    expect(report.samples.failed).toEqual([expect.objectContaining({ key: 'exports/users.parquet' })]);
    // The oldest version not in the replica is the missing (and the failed) one, written 3 hours ago; the run itself
    // takes real seconds on top of the simulated start.
    const { oldestUnreplicatedSeconds } = result.output as { oldestUnreplicatedSeconds: number };
    expect(oldestUnreplicatedSeconds).toBeGreaterThanOrEqual(3 * 3600);
    expect(oldestUnreplicatedSeconds).toBeLessThan(3 * 3600 + 300);
    expect(report.oldestUnreplicated.lastModified).toBe(new Date(NOW - 3 * 60 * MINUTE).toISOString());
    // The alerts carry what the incident sink opens incidents from: the kind and the bucket.
    const delivered = await alerts();
    const kinds = (m: Delivered) => [
      m.MessageAttributes?.['lifeline.kind']?.Value,
      m.MessageAttributes?.['lifeline.database']?.Value,
    ];
    expect(delivered.map(kinds).sort()).toEqual([
      ['replication-discrepancy', 'archive'],
      ['replication-late', 'archive'],
    ]);
    const discrepancy = delivered.find((m) => kinds(m)[0] === 'replication-discrepancy') as Delivered;
    expect(discrepancy.Subject).toBe(
      'Lifeline replication of archive: 1 missing, 1 different, 1 failed in the replica',
    );
    expect(discrepancy.Message).toContain('- dumps/users.sql.gz (version ');
    expect(discrepancy.Message).toContain('What to do first: ');
  }, 180_000);

  it('reports a replica that is a copy of its bucket as verified, and alerts nobody', async () => {
    // Prepare
    const { sourceRows, replicaRows } = await fill(
      Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`objects/${i}`, 'copied' as const])),
    );
    await writeInventory(PRIMARY, SOURCE, sourceRows, NOW - 2 * 60 * MINUTE);
    await writeInventory(DR, REPLICA, replicaRows, NOW - 2 * 60 * MINUTE, 2);
    const alerts = await alertsOf();
    // Act
    const result = await run({ bucket: 'archive' });
    // Assess
    expect(result.status, result.cause).toBe('SUCCEEDED');
    expect(result.output).toMatchObject({ status: 'verified', missing: 0, mismatched: 0, failed: 0, alerted: [] });
    expect((result.output as { oldestUnreplicatedSeconds?: number }).oldestUnreplicatedSeconds).toBeUndefined();
    const report = JSON.parse(await readReport((result.output as { report: string }).report));
    expect(report.counts.sourceVersions).toBe(12);
    expect(report.status).toBe('verified');
    expect(await alerts()).toEqual([]);
  }, 180_000);

  it('fails with an alert when an inventory has not been delivered yet', async () => {
    // Prepare: the source has an inventory, the replica none.
    const { sourceRows } = await fill({ one: 'copied' });
    await writeInventory(PRIMARY, SOURCE, sourceRows, NOW - 2 * 60 * MINUTE);
    const alerts = await alertsOf();
    // Act
    const result = await run({ bucket: 'archive' });
    // Assess
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('InventoryUnusable');
    const [alert] = await alerts();
    expect(alert?.MessageAttributes?.['lifeline.kind']?.Value).toBe('replication-verification-failed');
    expect(alert?.Message).toContain(`the inventory of ${REPLICA}`);
    expect(alert?.Message).toContain('no inventory delivered yet');
    // Nothing was written for the comparison.
    const work = await aws
      .client(S3Client, DR)
      .send(new ListObjectsV2Command({ Bucket: inventoryBucket(DR), Prefix: 'verification/' }));
    expect(work.Contents ?? []).toEqual([]);
  }, 180_000);
});

async function readReport(location: string): Promise<string> {
  const [, bucket, key] = /^s3:\/\/([^/]+)\/(.+)$/.exec(location) ?? [];
  const out = await aws.client(S3Client, DR).send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (out.Body as { transformToString(): Promise<string> }).transformToString();
}
