import {
  AddTagsToResourceCommand,
  DescribeDBSnapshotsCommand,
  DescribeExportTasksCommand,
  RDSClient,
  StartExportTaskCommand,
} from '@aws-sdk/client-rds';
import { ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { explainFailure } from '../../functions/commons/failure-alert';
import { checkExport } from '../../functions/export/check-export';
import type { ExportCatalogEntry, ExportResult, ExportTarget } from '../../functions/export/contracts';
import { planExports } from '../../functions/export/plan';
import { exportTargetOf, settledPoints } from '../../functions/export/plan-exports';
import { recordExport } from '../../functions/export/record-export';
import { startExport } from '../../functions/export/start-export';
import { INCIDENT_KINDS } from '../../functions/incidents/contracts';

const rds = mockClient(RDSClient);
const s3 = mockClient(S3Client);
const ROLE = 'arn:aws:iam::123456789012:role/lifeline-export';
const KEY = 'arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const BUCKET = 'lifeline-archive-123456789012-eu-central-1';
beforeEach(() => {
  process.env.AWS_REGION = 'eu-central-1';
  process.env.LIFELINE_INSTALLATION = 'lifeline';
  process.env.EXPORT_ROLE_ARN = ROLE;
  process.env.EXPORT_KEY_ARN = KEY;
});
afterEach(() => {
  rds.reset();
  s3.reset();
});

const orders: ExportCatalogEntry = {
  id: 'orders',
  kind: 'instance',
  timeZone: 'UTC',
  copyToDr: true,
  retention: { daily: 7, weekly: 4, monthly: 12, yearly: 3 },
  bucket: BUCKET,
};

const arnOf = (id: string) => `arn:aws:rds:eu-central-1:123456789012:snapshot:${id}`;
/** A verified source point of orders for 02:00 UTC on `date` (yyyy-mm-dd), its DR copy verified. */
function point(date: string, tags: Record<string, string> = {}) {
  const id = `lifeline-orders-${date.replaceAll('-', '')}t0200`;
  const time = `${date}T02:00:00.000Z`;
  return {
    DBSnapshotIdentifier: id,
    DBSnapshotArn: arnOf(id),
    DBInstanceIdentifier: 'orders-prod',
    SnapshotType: 'manual',
    Status: 'available',
    SnapshotCreateTime: new Date(time),
    TagList: Object.entries({
      'lifeline:managed-by': 'lifeline',
      'lifeline:database': 'orders',
      'lifeline:installation': 'lifeline',
      'lifeline:scheduled-time': time,
      'lifeline:verified': 'available',
      'lifeline:dr-copy': 'verified',
      ...tags,
    }).map(([Key, Value]) => ({ Key, Value })),
  };
}
/** One point a day from `from` to `to` (inclusive, yyyy-mm-dd). */
function daily(from: string, to: string, tagged: Record<string, Record<string, string>> = {}) {
  const out = [];
  for (let t = Date.parse(from); t <= Date.parse(to); t += 86_400_000) {
    const date = new Date(t).toISOString().slice(0, 10);
    out.push(point(date, tagged[date]));
  }
  return out;
}
/** As the snapshot view (Snapshot) the planner takes. */
const view = (s: ReturnType<typeof point>) => ({
  id: s.DBSnapshotIdentifier,
  arn: s.DBSnapshotArn,
  status: s.Status,
  createdAt: s.SnapshotCreateTime.toISOString(),
  tags: Object.fromEntries(s.TagList.map((t) => [t.Key, t.Value])),
});

describe('which points are exported', () => {
  it('exports the monthly points of the months that are over, not the current month', () => {
    // Prepare: a point a day from September to the 1st of December.
    const snapshots = daily('2026-09-01', '2026-12-01').map(view);
    // Act
    const settled = settledPoints(snapshots, orders, 'lifeline', '2026-12-01T06:00:00.000Z');
    // Assess: the newest point of September, October and November; December's may still be replaced.
    expect(settled.map((p) => [p.snapshot.id, p.classes])).toEqual([
      ['lifeline-orders-20260930t0200', ['monthly']],
      ['lifeline-orders-20261031t0200', ['monthly']],
      ['lifeline-orders-20261130t0200', ['monthly']],
    ]);
  });

  it('exports a year-end point as yearly once the year is over, and counts months in the retention zone', () => {
    const snapshots = daily('2026-12-25', '2027-01-02').map(view);
    expect(
      settledPoints(snapshots, orders, 'lifeline', '2027-01-02T06:00:00.000Z').map((p) => [p.snapshot.id, p.classes]),
    ).toEqual([['lifeline-orders-20261231t0200', ['monthly', 'yearly']]]);
    // In Auckland (UTC+13 in January) 2026-12-31T02:00Z is already 2026-12-31 15:00 local, 2027-01-01T02:00Z is
    // New Year's Day: on 1 January 06:00 UTC (19:00 local) 2026 is over there too.
    const auckland = { ...orders, timeZone: 'Pacific/Auckland' };
    expect(
      settledPoints(snapshots, auckland, 'lifeline', '2027-01-01T06:00:00.000Z').map((p) => p.snapshot.id),
    ).toEqual(['lifeline-orders-20261231t0200']);
    // In UTC at that instant, December 2026 has just ended too, but not in Los Angeles (still 31 December).
    const la = { ...orders, timeZone: 'America/Los_Angeles' };
    expect(settledPoints(snapshots, la, 'lifeline', '2027-01-01T06:00:00.000Z')).toEqual([]);
  });

  it('never exports a point tagged as exported, started or failed, nor one the retention does not keep monthly', () => {
    const snapshots = daily('2026-09-01', '2026-12-01', {
      '2026-09-30': { 'lifeline:export': 'complete' },
      '2026-10-31': { 'lifeline:export': 'started' },
      '2026-11-30': { 'lifeline:export': 'failed' },
    }).map(view);
    expect(settledPoints(snapshots, orders, 'lifeline', '2026-12-01T06:00:00.000Z')).toEqual([]);
    const noMonthly = { ...orders, retention: { daily: 7, weekly: 4, monthly: 0, yearly: 0 } };
    expect(
      settledPoints(daily('2026-09-01', '2026-12-01').map(view), noMonthly, 'lifeline', '2026-12-01T06:00:00Z'),
    ).toEqual([]);
  });

  it("skips another installation's and another database's points", () => {
    const other = point('2026-10-31', { 'lifeline:installation': 'staging' });
    const snapshots = [...daily('2026-11-01', '2026-12-01'), other].map(view);
    expect(settledPoints(snapshots, orders, 'lifeline', '2026-12-01T06:00:00Z').map((p) => p.snapshot.id)).toEqual([
      'lifeline-orders-20261130t0200',
    ]);
  });

  it('adopts an export RDS has of an untagged point, and numbers a new attempt after failed ones', () => {
    const settled = { snapshot: view(point('2026-11-30')), classes: ['monthly' as const] };
    expect(exportTargetOf(settled, orders, [])).toMatchObject({
      exportTaskId: 'lifeline-orders-20261130t0200-1',
      start: true,
      prefix: 'exports/orders',
      bucket: BUCKET,
    });
    expect(
      exportTargetOf(settled, orders, [{ exportTaskId: 'lifeline-orders-20261130t0200-1', status: 'IN_PROGRESS' }]),
    ).toMatchObject({ exportTaskId: 'lifeline-orders-20261130t0200-1', start: false });
    expect(
      exportTargetOf(settled, orders, [
        { exportTaskId: 'lifeline-orders-20261130t0200-1', status: 'FAILED' },
        { exportTaskId: 'lifeline-orders-20261130t0200-2', status: 'CANCELED' },
      ]),
    ).toMatchObject({ exportTaskId: 'lifeline-orders-20261130t0200-3', start: true });
  });

  it('lists the snapshots and export tasks, and starts at most maxExports, adopted ones first', async () => {
    // Prepare
    rds.on(DescribeDBSnapshotsCommand).resolves({ DBSnapshots: daily('2026-09-01', '2026-12-01') });
    rds.on(DescribeExportTasksCommand).resolves({ ExportTasks: [] });
    rds.on(DescribeExportTasksCommand, { SourceArn: arnOf('lifeline-orders-20261130t0200') }).resolves({
      ExportTasks: [
        {
          ExportTaskIdentifier: 'lifeline-orders-20261130t0200-1',
          SourceArn: arnOf('lifeline-orders-20261130t0200'),
          Status: 'in_progress',
        },
      ],
    });
    // Act
    const plan = await planExports({
      catalog: [orders],
      now: '2026-12-01T06:00:00.000Z',
      maxExports: 2,
      database: '*',
    });
    // Assess
    expect(plan.exports.map((t) => [t.exportTaskId, t.start])).toEqual([
      ['lifeline-orders-20261130t0200-1', false],
      ['lifeline-orders-20260930t0200-1', true],
    ]);
    expect(plan.deferred).toEqual(['lifeline-orders-20261031t0200']);
    // A run for another database touches nothing of orders.
    rds.resetHistory();
    expect(
      (await planExports({ catalog: [orders], now: '2026-12-01T06:00:00Z', maxExports: 5, database: 'ledger' }))
        .exports,
    ).toEqual([]);
    expect(rds.calls()).toHaveLength(0);
  });
});

const target: ExportTarget = {
  database: 'orders',
  kind: 'instance',
  snapshotId: 'lifeline-orders-20261130t0200',
  snapshotArn: arnOf('lifeline-orders-20261130t0200'),
  classes: ['monthly'],
  exportTaskId: 'lifeline-orders-20261130t0200-1',
  bucket: BUCKET,
  prefix: 'exports/orders',
  start: true,
};

describe('the start of an export', () => {
  it('starts a Parquet export of the snapshot into the bucket under the key and the export role, then tags it', async () => {
    rds.on(StartExportTaskCommand).resolves({ ExportTaskIdentifier: target.exportTaskId, Status: 'STARTING' });
    rds.on(AddTagsToResourceCommand).resolves({});
    expect(await startExport(target)).toEqual({ exportTaskId: target.exportTaskId, started: true });
    expect(rds.commandCalls(StartExportTaskCommand)[0]?.args[0].input).toEqual({
      ExportTaskIdentifier: 'lifeline-orders-20261130t0200-1',
      SourceArn: target.snapshotArn,
      S3BucketName: BUCKET,
      S3Prefix: 'exports/orders',
      IamRoleArn: ROLE,
      KmsKeyId: KEY,
    });
    expect(rds.commandCalls(AddTagsToResourceCommand)[0]?.args[0].input).toEqual({
      ResourceName: target.snapshotArn,
      Tags: [{ Key: 'lifeline:export', Value: 'started' }],
    });
  });

  it('exports an Aurora cluster snapshot by its ARN the same way', async () => {
    rds.on(StartExportTaskCommand).resolves({});
    rds.on(AddTagsToResourceCommand).resolves({});
    const cluster = {
      ...target,
      kind: 'cluster' as const,
      snapshotArn: 'arn:aws:rds:eu-central-1:123456789012:cluster-snapshot:lifeline-ledger-20261130t0000',
    };
    await startExport(cluster);
    expect(rds.commandCalls(StartExportTaskCommand)[0]?.args[0].input.SourceArn).toBe(cluster.snapshotArn);
  });

  it('goes on with the export when a repeated start meets the one RDS already accepted, and never starts twice', async () => {
    rds
      .on(StartExportTaskCommand)
      .rejects(Object.assign(new Error('exists'), { name: 'ExportTaskAlreadyExistsFault' }));
    rds.on(DescribeExportTasksCommand, { ExportTaskIdentifier: target.exportTaskId }).resolves({
      ExportTasks: [
        { ExportTaskIdentifier: target.exportTaskId, SourceArn: target.snapshotArn, Status: 'IN_PROGRESS' },
      ],
    });
    rds.on(AddTagsToResourceCommand).resolves({});
    expect(await startExport(target)).toEqual({ exportTaskId: target.exportTaskId, started: false });
    expect(rds.commandCalls(StartExportTaskCommand)).toHaveLength(1);
  });

  it("fails when the id is another snapshot's export, or RDS refuses the role or the key, without tagging", async () => {
    rds
      .on(StartExportTaskCommand)
      .rejects(Object.assign(new Error('exists'), { name: 'ExportTaskAlreadyExistsFault' }));
    rds.on(DescribeExportTasksCommand).resolves({
      ExportTasks: [{ ExportTaskIdentifier: target.exportTaskId, SourceArn: arnOf('other'), Status: 'COMPLETE' }],
    });
    await expect(startExport(target)).rejects.toMatchObject({ name: 'ExportTaskAlreadyExistsFault' });
    rds.on(StartExportTaskCommand).rejects(
      Object.assign(new Error('The IAM role requires additional permissions'), {
        name: 'IamRoleMissingPermissionsFault',
      }),
    );
    await expect(startExport(target)).rejects.toMatchObject({ name: 'IamRoleMissingPermissionsFault' });
    rds
      .on(StartExportTaskCommand)
      .rejects(Object.assign(new Error('key disabled'), { name: 'KMSKeyNotAccessibleFault' }));
    await expect(startExport(target)).rejects.toMatchObject({ name: 'KMSKeyNotAccessibleFault' });
    expect(rds.commandCalls(AddTagsToResourceCommand)).toHaveLength(0);
  });

  it('only tags an adopted export', async () => {
    rds.on(AddTagsToResourceCommand).resolves({});
    await startExport({ ...target, start: false });
    expect(rds.commandCalls(StartExportTaskCommand)).toHaveLength(0);
    expect(rds.commandCalls(AddTagsToResourceCommand)).toHaveLength(1);
  });
});

describe('the wait for an export', () => {
  const task = (Status: string, extra: Record<string, unknown> = {}) =>
    rds.on(DescribeExportTasksCommand).resolves({
      ExportTasks: [
        {
          ExportTaskIdentifier: target.exportTaskId,
          SourceArn: target.snapshotArn,
          S3Bucket: BUCKET,
          S3Prefix: 'exports/orders',
          Status,
          ...extra,
        },
      ],
    });

  it.each(['STARTING', 'IN_PROGRESS', 'CANCELING', 'in_progress'])('is not over while RDS says %s', async (status) => {
    task(status, { PercentProgress: 40 });
    await expect(checkExport({ exportTaskId: target.exportTaskId })).rejects.toMatchObject({
      name: 'NotReady',
      message: expect.stringContaining(status.toUpperCase()),
    });
  });

  it('returns a COMPLETE export with where it is, its size and its times', async () => {
    task('COMPLETE', {
      TotalExtractedDataInGB: 12,
      TaskStartTime: new Date('2026-12-01T06:01:00Z'),
      TaskEndTime: new Date('2026-12-01T09:30:00Z'),
      SnapshotTime: new Date('2026-11-30T02:00:00Z'),
    });
    expect(await checkExport({ exportTaskId: target.exportTaskId })).toEqual({
      exportTaskId: target.exportTaskId,
      status: 'COMPLETE',
      s3Uri: `s3://${BUCKET}/exports/orders/${target.exportTaskId}/`,
      extractedGb: 12,
      startedAt: '2026-12-01T06:01:00.000Z',
      endedAt: '2026-12-01T09:30:00.000Z',
      snapshotTime: '2026-11-30T02:00:00.000Z',
    });
  });

  it.each(['FAILED', 'CANCELED'])(
    'returns a %s export with its cause, for the record and the alert',
    async (status) => {
      task(status, { FailureCause: 'The KMS key is disabled' });
      expect(await checkExport({ exportTaskId: target.exportTaskId })).toMatchObject({
        status,
        failureCause: 'The KMS key is disabled',
      });
    },
  );

  it('fails clearly when RDS does not know the task', async () => {
    rds.on(DescribeExportTasksCommand).rejects(Object.assign(new Error('nope'), { name: 'ExportTaskNotFoundFault' }));
    await expect(checkExport({ exportTaskId: 'x' })).rejects.toThrow(/Export task x is not known to RDS/);
  });
});

describe('the record of an export', () => {
  const complete: ExportResult = {
    exportTaskId: target.exportTaskId,
    status: 'COMPLETE',
    s3Uri: `s3://${BUCKET}/exports/orders/${target.exportTaskId}/`,
    extractedGb: 12,
  };
  const execution = 'arn:aws:states:eu-central-1:123456789012:execution:lifeline-export:run-1';

  it('writes a JSON record with the sizes beside the export and tags the point complete', async () => {
    s3.on(ListObjectsV2Command).resolvesOnce({
      Contents: [{ Size: 100 }, { Size: 50 }],
      IsTruncated: true,
      NextContinuationToken: 't',
    });
    s3.on(ListObjectsV2Command, { ContinuationToken: 't' }).resolves({ Contents: [{ Size: 7 }], IsTruncated: false });
    s3.on(PutObjectCommand).resolves({});
    rds.on(AddTagsToResourceCommand).resolves({});
    const out = await recordExport({ target, result: complete, execution });
    expect(out).toEqual({
      recordKey: 'records/exports/orders/lifeline-orders-20261130t0200-1.json',
      outcome: 'exported',
      cause: '',
    });
    expect(s3.commandCalls(ListObjectsV2Command)[0]?.args[0].input.Prefix).toBe(
      'exports/orders/lifeline-orders-20261130t0200-1/',
    );
    const put = s3.commandCalls(PutObjectCommand)[0]?.args[0].input;
    expect(put).toMatchObject({ Bucket: BUCKET, Key: out.recordKey, ChecksumAlgorithm: 'SHA256' });
    expect(JSON.parse(String(put?.Body))).toMatchObject({
      database: 'orders',
      snapshotId: target.snapshotId,
      exportTaskId: target.exportTaskId,
      status: 'COMPLETE',
      s3Uri: complete.s3Uri,
      classes: ['monthly'],
      objects: 3,
      bytes: 157,
      extractedGb: 12,
      execution,
      recordedAt: expect.any(String),
    });
    expect(rds.commandCalls(AddTagsToResourceCommand)[0]?.args[0].input.Tags).toEqual([
      { Key: 'lifeline:export', Value: 'complete' },
    ]);
  });

  it('records a complete export whose objects cannot be listed without its size, saying why', async () => {
    s3.on(ListObjectsV2Command).rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }));
    s3.on(PutObjectCommand).resolves({});
    rds.on(AddTagsToResourceCommand).resolves({});
    expect(await recordExport({ target, result: complete, execution })).toMatchObject({ outcome: 'exported' });
    const body = JSON.parse(String(s3.commandCalls(PutObjectCommand)[0]?.args[0].input.Body));
    expect(body.sizeUnknown).toBe('AccessDenied: Access Denied');
    expect(body.objects).toBeUndefined();
    expect(rds.commandCalls(AddTagsToResourceCommand)[0]?.args[0].input.Tags?.[0]?.Value).toBe('complete');
  });

  it('records a failed export too, tags it failed, and says why', async () => {
    s3.on(PutObjectCommand).resolves({});
    rds.on(AddTagsToResourceCommand).resolves({});
    const failed: ExportResult = { ...complete, status: 'FAILED', failureCause: 'Access Denied' };
    expect(await recordExport({ target, result: failed, execution })).toMatchObject({
      outcome: 'failed',
      cause: 'Access Denied',
    });
    expect(s3.commandCalls(ListObjectsV2Command)).toHaveLength(0);
    expect(rds.commandCalls(AddTagsToResourceCommand)[0]?.args[0].input.Tags).toEqual([
      { Key: 'lifeline:export', Value: 'failed' },
    ]);
    expect(await recordExport({ target, result: { ...complete, status: 'CANCELED' }, execution })).toMatchObject({
      outcome: 'failed',
      cause: 'the export task was canceled',
    });
  });
});

describe('the failure alert of an export', () => {
  it('says what broke and what to do first, and is a kind of incident the sink knows', () => {
    const alert = explainFailure({
      workflow: 'export',
      database: 'orders',
      step: 'RDS ended the export without completing it',
      error: {
        Error: 'ExportFailed',
        Cause: 'Export lifeline-orders-20261130t0200-1 of snapshot x ended FAILED: The KMS key is disabled',
      },
    });
    expect(alert.subject).toBe('Lifeline export failed for orders: RDS ended the export without completing it');
    expect(alert.message).toContain('The KMS key is disabled');
    expect(alert.message).toMatch(/What to do: .*key is disabled.*remove the lifeline:export tag/);
    for (const name of ['IamRoleMissingPermissionsFault', 'KMSKeyNotAccessibleFault', 'InvalidS3BucketFault'])
      expect(
        explainFailure({ workflow: 'export', database: 'orders', step: 's', error: { Error: name } }).message,
      ).not.toContain('Read the error above and the execution history');
    expect(INCIDENT_KINDS['export-failed']).toMatchObject({ severity: 'P3', closes: 'manual' });
  });
});
