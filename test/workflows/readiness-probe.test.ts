import {
  CloudWatchClient,
  GetMetricDataCommand,
  ListMetricsCommand,
  PutMetricDataCommand,
} from '@aws-sdk/client-cloudwatch';
import { CreateDBInstanceCommand, CreateDBSnapshotCommand, RDSClient } from '@aws-sdk/client-rds';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HistoryRow } from '../../functions/drill/history';
import type { ReadinessProbeOutput } from '../../functions/readiness/contracts';
import { evaluateRun } from '../harness/iam-evaluation';
import { invokeBundled } from '../harness/lambda-runtime';
import { type LocalAws, startLocalAws } from '../harness/local-aws';
import type { WorkflowRun } from '../harness/run-workflow';
import { failoverConfig } from './failover-harness';

const DR = 'eu-west-1';
const HOUR = 3600_000;

let aws: LocalAws;
beforeAll(async () => {
  // orders: DR copies, a read replica (continuous), monthly drills and a failover runbook; ledger: copies and drills.
  aws = await startLocalAws(failoverConfig());
});
afterAll(async () => aws?.stop());

const probeFunction = () => {
  const fn = [...aws.cloud.functions.values()].find((f) => f.environment.READINESS !== undefined);
  if (!fn) throw new Error('no readiness probe deployed');
  return fn;
};

const drillRow = (database: string, startedAt: string, status: 'passed' | 'failed'): HistoryRow => ({
  drillId: `lifeline-drill-${database}-1`,
  execution: `arn:aws:states:eu-west-1:123456789012:execution:lifeline-drill:${database}-1`,
  startedAt,
  finishedAt: startedAt,
  status,
  summary: `the drill of ${database} ${status}`,
  trigger: { type: 'manual' } as HistoryRow['trigger'],
  rto: { outcome: 'met', measuredSeconds: 1500, objectiveSeconds: 3600 },
  rpo: { outcome: 'met', measuredSeconds: 3600, objectiveSeconds: 86_400 },
  report: { json: `drills/${database}/1.json`, html: `drills/${database}/1.html`, link: null },
});

describe('the readiness probe against moto', () => {
  it('scores each database from its evidence and publishes Lifeline/ReadinessScore, under its own role', async () => {
    // Prepare: a verified DR copy of orders 3 h old, its continuous RPO at 5 min, a drill passed 5 days ago and a
    // dry run of its failover that planned its changes; ledger has no copy and its last drill failed.
    const fn = probeFunction();
    const bucket = fn.environment.REPORTS_BUCKET as string;
    const rds = aws.client(RDSClient, DR);
    await rds.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: 'orders-dr-source',
        Engine: 'postgres',
        DBInstanceClass: 'db.t4g.micro',
        AllocatedStorage: 20,
        MasterUsername: 'app',
        MasterUserPassword: 'fixture-password',
      }),
    );
    const copy = await rds.send(
      new CreateDBSnapshotCommand({
        DBInstanceIdentifier: 'orders-dr-source',
        DBSnapshotIdentifier: 'lifeline-orders-20261130t0200',
        Tags: Object.entries({
          'lifeline:managed-by': 'lifeline',
          'lifeline:database': 'orders',
          'lifeline:installation': 'lifeline',
          'lifeline:scheduled-time': '2026-11-30T02:00:00Z',
          'lifeline:verified': 'copy-verified',
        }).map(([Key, Value]) => ({ Key, Value })),
      }),
    );
    const takenAt = (copy.DBSnapshot?.OriginalSnapshotCreateTime ?? copy.DBSnapshot?.SnapshotCreateTime)?.getTime();
    if (takenAt === undefined) throw new Error('moto gave the copy no creation time');
    const now = takenAt + 3 * HOUR;
    const iso = (t: number) => new Date(t).toISOString();
    const s3 = aws.client(S3Client, DR);
    const put = (Key: string, body: unknown) =>
      s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: JSON.stringify(body) }));
    const history = (database: string, rows: HistoryRow[]) =>
      put(`history/${database}/index.json`, { database, generation: 1, timeZone: 'UTC', drills: rows });
    await history('orders', [drillRow('orders', iso(now - 5 * 24 * HOUR), 'passed')]);
    await history('ledger', [drillRow('ledger', iso(now - 24 * HOUR), 'failed')]);
    const day = iso(now - 2 * 24 * HOUR);
    await put(`failovers/orders/${day.slice(0, 10)}/dry-run.json`, {
      database: 'orders',
      dryRun: true,
      status: 'planned',
      startedAt: day,
      checks: [{ name: 'a DR copy within the RPO', ok: true, detail: '', blocking: true }],
    });
    await put(`failovers/orders/${day.slice(0, 10)}/dry-run.html`, '<p>the record</p>');
    const cloudwatch = aws.client(CloudWatchClient, DR);
    await cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: 'Lifeline',
        MetricData: [
          {
            MetricName: 'ContinuousRPO',
            Dimensions: [{ Name: 'database', Value: 'orders' }],
            Timestamp: new Date(now - 10 * 60_000),
            Value: 300,
            Unit: 'Seconds',
          },
        ],
      }),
    );
    const credentials = await aws.cloud.credentials(fn.roleArn);
    const first = aws.cloud.wire.calls.length;
    // Act
    const output = (await invokeBundled(
      fn,
      {},
      {
        generation: aws.cloud.generation,
        credentials,
        endpoint: aws.cloud.endpoint,
        now: () => now,
        environment: { POWERTOOLS_LOG_LEVEL: 'CRITICAL' },
      },
    )) as ReadinessProbeOutput;
    const run = { calls: aws.cloud.wire.calls.slice(first).map((c) => ({ ...c, roleArn: fn.roleArn })) };
    // Assess: orders earns its copy (30), continuous RPO (10), drill (25) and preflight (10) of 100; ledger nothing.
    const orders = output.scores.find((s) => s.database === 'orders');
    expect(orders?.parts.map((p) => [p.name, p.credit])).toEqual([
      ['copyAge', 1],
      ['continuousRpo', 1],
      ['drill', 1],
      ['preflight', 1],
      ['vaultCopy', 0],
      ['failoverDrill', 0],
    ]);
    // Its floor is 80 % of what its setup can score (90, with its monthly failover drill, of which none is on
    // record yet): 72.
    expect(orders?.parts.find((p) => p.name === 'failoverDrill')?.why).not.toMatch(
      /not scheduled|no failover drill is scheduled/,
    );
    expect(orders).toMatchObject({ score: 75, floor: 72, belowFloor: false });
    expect(output.scores.find((s) => s.database === 'ledger')).toMatchObject({ score: 0, floor: 48, belowFloor: true });
    const listed = await cloudwatch.send(
      new ListMetricsCommand({ Namespace: 'Lifeline', MetricName: 'ReadinessScore' }),
    );
    expect(
      listed.Metrics?.map((m) => m.Dimensions).sort((a, b) => (a?.[0]?.Value ?? '').localeCompare(b?.[0]?.Value ?? '')),
    ).toEqual([[{ Name: 'database', Value: 'ledger' }], [{ Name: 'database', Value: 'orders' }]]);
    const data = await cloudwatch.send(
      new GetMetricDataCommand({
        StartTime: new Date(now - HOUR),
        EndTime: new Date(now + HOUR),
        MetricDataQueries: ['orders', 'ledger'].map((database) => ({
          Id: database,
          MetricStat: {
            Metric: {
              Namespace: 'Lifeline',
              MetricName: 'ReadinessScore',
              Dimensions: [{ Name: 'database', Value: database }],
            },
            Period: 3600,
            Stat: 'Minimum',
          },
        })),
      }),
    );
    expect(Object.fromEntries(data.MetricDataResults?.map((r) => [r.Id, r.Values]) ?? [])).toEqual({
      orders: [75],
      ledger: [0],
    });
    // What it read and published is what its role allows, conditions included (the failover records by prefix).
    expect([...new Set(run.calls.map((c) => `${c.service}:${c.action}`))].sort()).toEqual([
      'monitoring:GetMetricStatistics',
      'monitoring:PutMetricData',
      'rds:DescribeDBClusterSnapshots',
      'rds:DescribeDBSnapshots',
      's3:GetObject',
      's3:ListObjectsV2',
    ]);
    expect(await evaluateRun(aws, run as unknown as WorkflowRun)).toEqual([]);
  });
});
