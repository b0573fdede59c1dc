import { CloudWatchClient, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseConfig } from '../fixtures/configs';
import { evaluateRun } from '../harness/iam-evaluation';
import { invokeBundled } from '../harness/lambda-runtime';
import { type LocalAws, startLocalAws } from '../harness/local-aws';
import type { WorkflowRun } from '../harness/run-workflow';
import type { RecordedExecution } from '../harness/step-functions';

const DR = 'eu-west-1';
const DAY = 86_400_000;
const NOW = Date.parse('2026-12-01T12:00:00Z');

let aws: LocalAws;
beforeAll(async () => {
  aws = await startLocalAws(baseConfig());
});
afterAll(async () => aws?.stop());

/** The alarm named `name` in the DR template. */
const alarmNamed = (name: string) => {
  const found = Object.values(aws.app.templates.dr?.template.Resources ?? {}).find(
    (r) => r.Type === 'AWS::CloudWatch::Alarm' && r.Properties?.AlarmName === name,
  );
  if (!found) throw new Error(`no alarm ${name}`);
  return found.Properties as { Threshold: number; MetricName: string; ComparisonOperator: string };
};

const metric = async (name: string, database: string) => {
  const out = await aws.client(CloudWatchClient, DR).send(
    new GetMetricStatisticsCommand({
      Namespace: 'Lifeline',
      MetricName: name,
      Dimensions: [{ Name: 'database', Value: database }],
      StartTime: new Date(NOW - 3600_000),
      EndTime: new Date(NOW + 3600_000),
      Period: 21_600,
      Statistics: ['Minimum', 'Maximum'],
    }),
  );
  return out.Datapoints?.[0];
};

describe('the objectives probe against moto', () => {
  it("publishes each database's 30-day backup success rate and the age of its last passing drill, past their alarms' thresholds when they miss", async () => {
    // Prepare: Step Functions' record of the executions, as ListExecutions and DescribeExecution report it.
    const backup = `arn:aws:states:eu-central-1:123456789012:stateMachine:lifeline-backup`;
    const drill = aws.cloud.stateMachine('-drill').arn;
    const control = aws.cloud.stepFunctions;
    let n = 0;
    const record = (
      stateMachineArn: string,
      database: string,
      status: RecordedExecution['status'],
      daysAgo: number,
      error?: string,
    ) =>
      control.executions.push({
        executionArn: `${stateMachineArn.replace(':stateMachine:', ':execution:')}:e-${++n}`,
        stateMachineArn,
        status,
        startDate: new Date(NOW - daysAgo * DAY),
        stopDate: status === 'RUNNING' ? undefined : new Date(NOW - daysAgo * DAY + 600_000),
        input: { database },
        error,
      });
    // orders: 36 of 38 backups that ended succeeded (94.7 %); a rejected request, one still running and one older than
    // 30 days do not count. ledger: all 10 succeeded.
    for (let i = 0; i < 36; i++) record(backup, 'orders', 'SUCCEEDED', (i * 29) / 36);
    record(backup, 'orders', 'FAILED', 3, 'SnapshotQuotaExceeded');
    record(backup, 'orders', 'TIMED_OUT', 5, 'States.Timeout');
    record(backup, 'orders', 'FAILED', 1, 'InvalidInput');
    record(backup, 'orders', 'RUNNING', 0);
    record(backup, 'orders', 'FAILED', 31, 'SnapshotFailed');
    for (let i = 0; i < 10; i++) record(backup, 'ledger', 'SUCCEEDED', i);
    // Drills: orders (monthly) last passed 40 days ago, ledger (weekly) 3 days ago.
    record(drill, 'orders', 'SUCCEEDED', 40);
    record(drill, 'ledger', 'SUCCEEDED', 3);
    record(drill, 'orders', 'FAILED', 2, 'DrillFailed');
    const fn = [...aws.cloud.functions.values()].find((f) => f.environment.OBJECTIVES !== undefined);
    if (!fn) throw new Error('no objectives probe deployed');
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
        now: () => NOW,
        environment: { POWERTOOLS_LOG_LEVEL: 'CRITICAL' },
      },
    )) as { backups: unknown[]; drills: unknown[] };
    const run = { calls: aws.cloud.wire.calls.slice(first).map((c) => ({ ...c, roleArn: fn.roleArn })) };
    // Assess
    expect(output.backups).toEqual([
      { database: 'orders', ended: 38, succeeded: 36, ratePercent: 94.7 },
      { database: 'ledger', ended: 10, succeeded: 10, ratePercent: 100 },
    ]);
    expect(output.drills).toEqual([
      { database: 'orders', lastPassedAt: expect.any(String), ageSeconds: 40 * 86_400 - 600 },
      { database: 'ledger', lastPassedAt: expect.any(String), ageSeconds: 3 * 86_400 - 600 },
    ]);
    const ordersRate = await metric('BackupSuccessRate30d', 'orders');
    expect(ordersRate?.Minimum).toBeLessThan(alarmNamed('lifeline-orders-backup-success-rate-low').Threshold);
    expect(ordersRate?.Minimum).toBeLessThan(alarmNamed('lifeline-orders-backup-success-rate-critical').Threshold);
    expect((await metric('BackupSuccessRate30d', 'ledger'))?.Minimum).toBeGreaterThanOrEqual(
      alarmNamed('lifeline-ledger-backup-success-rate-low').Threshold,
    );
    // A monthly drill is overdue after its longest gap (31 days) and a day; a weekly one after 8 days.
    expect(alarmNamed('lifeline-orders-drill-overdue').Threshold).toBe(32 * 86_400);
    expect(alarmNamed('lifeline-ledger-drill-overdue').Threshold).toBe(8 * 86_400);
    expect((await metric('DrillPassAge', 'orders'))?.Maximum).toBeGreaterThan(32 * 86_400);
    expect((await metric('DrillPassAge', 'ledger'))?.Maximum).toBeLessThan(8 * 86_400);
    expect(await evaluateRun(aws, run as unknown as WorkflowRun)).toEqual([]);
  });
});
