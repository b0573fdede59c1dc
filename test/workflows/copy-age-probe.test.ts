import { CloudWatchClient, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { CreateDBInstanceCommand, CreateDBSnapshotCommand, RDSClient } from '@aws-sdk/client-rds';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseConfig } from '../fixtures/configs';
import { evaluateRun } from '../harness/iam-evaluation';
import { invokeBundled } from '../harness/lambda-runtime';
import { type LocalAws, startLocalAws } from '../harness/local-aws';
import type { WorkflowRun } from '../harness/run-workflow';

const DR = 'eu-west-1';

let aws: LocalAws;
beforeAll(async () => {
  aws = await startLocalAws(baseConfig());
});
afterAll(async () => aws?.stop());

/**
 * The probe as its schedule runs it: the bundle, under its own role, in the DR region, at `now`. Its output, and its
 * calls for the IAM evaluation.
 */
const probe = async (now: number) => {
  const fn = [...aws.cloud.functions.values()].find((f) => f.environment.PROBED_DATABASES !== undefined);
  if (!fn) throw new Error('no copy-age probe deployed');
  const credentials = await aws.cloud.credentials(fn.roleArn);
  const first = aws.cloud.wire.calls.length;
  const output = await invokeBundled(
    fn,
    {},
    {
      generation: aws.cloud.generation,
      credentials,
      endpoint: aws.cloud.endpoint,
      now: () => now,
      environment: { POWERTOOLS_LOG_LEVEL: 'CRITICAL' },
    },
  );
  const calls = aws.cloud.wire.calls.slice(first).map((call) => ({ ...call, roleArn: fn.roleArn }));
  return { output, run: { calls } as unknown as WorkflowRun };
};
/** The alarm's threshold for `database`, as synthesized. */
const thresholdOf = (database: string) => {
  const alarm = Object.values(aws.app.templates.dr?.template.Resources ?? {}).find(
    (r) => r.Type === 'AWS::CloudWatch::Alarm' && r.Properties?.AlarmName === `lifeline-${database}-no-recent-copy`,
  );
  if (!alarm) throw new Error(`no alarm for ${database}`);
  return Number(alarm.Properties?.Threshold);
};
/** The largest NewestVerifiedCopyAge of `database` moto holds around `now`, as the alarm reads it (Maximum). */
const copyAge = async (database: string, now: number) => {
  const out = await aws.client(CloudWatchClient, DR).send(
    new GetMetricStatisticsCommand({
      Namespace: 'Lifeline',
      MetricName: 'NewestVerifiedCopyAge',
      Dimensions: [{ Name: 'database', Value: database }],
      StartTime: new Date(now - 3600_000),
      EndTime: new Date(now + 3600_000),
      Period: 900,
      Statistics: ['Maximum'],
    }),
  );
  return (out.Datapoints ?? []).map((d) => d.Maximum);
};

describe('the copy-age probe against moto', () => {
  it("raises a database's copy age past its alarm's threshold once its backups stopped, and publishes none without a copy", async () => {
    // Prepare: a verified DR copy of orders, then (simulated) 25 hours without another; ledger has no copy at all.
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
        DBSnapshotIdentifier: 'lifeline-orders-20261122t0200',
        Tags: Object.entries({
          'lifeline:managed-by': 'lifeline',
          'lifeline:database': 'orders',
          'lifeline:installation': 'lifeline',
          'lifeline:scheduled-time': '2026-11-22T02:00:00Z',
          'lifeline:verified': 'copy-verified',
        }).map(([Key, Value]) => ({ Key, Value })),
      }),
    );
    const takenAt = (copy.DBSnapshot?.OriginalSnapshotCreateTime ?? copy.DBSnapshot?.SnapshotCreateTime)?.getTime();
    if (takenAt === undefined) throw new Error('moto gave the copy no creation time');
    const now = takenAt + 25 * 3600_000;
    // Act
    const { output, run } = await probe(now);
    // Assess
    expect(output).toMatchObject({
      databases: [
        { database: 'orders', snapshotId: 'lifeline-orders-20261122t0200', ageSeconds: expect.any(Number) },
        { database: 'ledger' },
      ],
    });
    const [age] = await copyAge('orders', now);
    expect(age).toBeGreaterThan(thresholdOf('orders'));
    expect(age).toBeCloseTo(25 * 3600, -1);
    expect(await copyAge('ledger', now)).toEqual([]);
    // Listing the snapshots and publishing in the Lifeline namespace are what its role allows, conditions included.
    expect(run.calls.map((c) => `${c.service}:${c.action}`).sort()).toEqual([
      'monitoring:PutMetricData',
      'rds:DescribeDBClusterSnapshots',
      'rds:DescribeDBSnapshots',
    ]);
    expect(await evaluateRun(aws, run)).toEqual([]);
  });
});
