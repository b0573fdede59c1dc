import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeDBClusterSnapshotsCommand, DescribeDBSnapshotsCommand, RDSClient } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { probeCopyAge } from '../../functions/alerts/copy-age-probe';

const rds = mockClient(RDSClient);
const cloudwatch = mockClient(CloudWatchClient);
const NOW = new Date('2026-11-23T03:00:00.000Z');
beforeEach(() => {
  vi.useFakeTimers({ now: NOW, toFake: ['Date'] });
  process.env.AWS_REGION = 'eu-west-1';
  process.env.LIFELINE_INSTALLATION = 'lifeline';
  process.env.PROBED_DATABASES = JSON.stringify([
    { id: 'orders', kind: 'instance' },
    { id: 'ledger', kind: 'cluster' },
  ]);
  rds.on(DescribeDBClusterSnapshotsCommand).resolves({ DBClusterSnapshots: [] });
  cloudwatch.on(PutMetricDataCommand).resolves({});
});
afterEach(() => {
  vi.useRealTimers();
  rds.reset();
  cloudwatch.reset();
});

const tags = (database: string, extra: Record<string, string> = {}) =>
  Object.entries({
    'lifeline:managed-by': 'lifeline',
    'lifeline:database': database,
    'lifeline:installation': 'lifeline',
    'lifeline:verified': 'copy-verified',
    ...extra,
  }).map(([Key, Value]) => ({ Key, Value }));
/** A verified DR copy of orders whose source was taken at 02:00 UTC on 2026-11-<day>. */
const ordersCopy = (day: number) => ({
  DBSnapshotIdentifier: `lifeline-orders-202611${day}t0200`,
  SnapshotType: 'manual',
  Status: 'available',
  OriginalSnapshotCreateTime: new Date(`2026-11-${day}T02:00:00Z`),
  SnapshotCreateTime: new Date(`2026-11-${day}T02:30:00Z`),
  TagList: tags('orders'),
});
const published = () => cloudwatch.commandCalls(PutMetricDataCommand).map((c) => c.args[0].input);

describe('the copy-age probe', () => {
  it('publishes the age of the newest verified copy in seconds, per database, in the Lifeline namespace', async () => {
    // Prepare
    rds.on(DescribeDBSnapshotsCommand).resolves({ DBSnapshots: [ordersCopy(21), ordersCopy(22)] });
    // Act
    const out = await probeCopyAge({});
    // Assess
    expect(published()).toEqual([
      {
        Namespace: 'Lifeline',
        MetricData: [
          {
            MetricName: 'NewestVerifiedCopyAge',
            Dimensions: [{ Name: 'database', Value: 'orders' }],
            Timestamp: NOW,
            Value: 25 * 3600,
            Unit: 'Seconds',
          },
        ],
      },
    ]);
    expect(out.databases).toEqual([
      { database: 'orders', snapshotId: 'lifeline-orders-20261122t0200', ageSeconds: 25 * 3600 },
      { database: 'ledger' },
    ]);
  });

  it('reads all manual snapshots of the region, instance and cluster, one listing per kind', async () => {
    // Prepare
    rds.on(DescribeDBSnapshotsCommand).resolves({ DBSnapshots: [ordersCopy(22)] });
    // Act
    await probeCopyAge({});
    // Assess
    expect(rds.commandCalls(DescribeDBSnapshotsCommand).map((c) => c.args[0].input)).toEqual([
      { SnapshotType: 'manual' },
    ]);
    expect(rds.commandCalls(DescribeDBClusterSnapshotsCommand)).toHaveLength(1);
  });

  it('publishes no data point for a database without a verified copy, so its alarm fires', async () => {
    // Prepare
    rds.on(DescribeDBSnapshotsCommand).resolves({
      DBSnapshots: [{ ...ordersCopy(22), TagList: tags('orders', { 'lifeline:verified': 'pending' }) }],
    });
    // Act
    const out = await probeCopyAge({});
    // Assess
    expect(cloudwatch.commandCalls(PutMetricDataCommand)).toHaveLength(0);
    expect(out.databases).toEqual([{ database: 'orders' }, { database: 'ledger' }]);
  });

  it('still publishes the other databases when one listing fails, then fails the invocation naming it', async () => {
    // Prepare
    rds.on(DescribeDBSnapshotsCommand).resolves({ DBSnapshots: [ordersCopy(22)] });
    rds
      .on(DescribeDBClusterSnapshotsCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));
    // Act
    const run = probeCopyAge({});
    // Assess
    await expect(run).rejects.toThrow(/ledger: Throttling: Rate exceeded/);
    expect(published().flatMap((p) => p.MetricData?.map((d) => d.Dimensions?.[0]?.Value))).toEqual(['orders']);
  });
});
