import { createHash } from 'node:crypto';
import { CreateDBInstanceCommand, CreateDBSnapshotCommand, RDSClient } from '@aws-sdk/client-rds';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HistoryRow } from '../../functions/drill/history';
import type { EvidenceOutcome, Rollup } from '../../functions/evidence/contracts';
import { evaluateRun } from '../harness/iam-evaluation';
import { invokeBundled } from '../harness/lambda-runtime';
import { type LocalAws, startLocalAws } from '../harness/local-aws';
import type { WorkflowRun } from '../harness/run-workflow';
import type { RecordedExecution } from '../harness/step-functions';
import { failoverConfig } from './failover-harness';

const DR = 'eu-west-1';
const NOW = Date.parse('2026-12-01T06:00:00Z');
const BACKUP = 'arn:aws:states:eu-central-1:123456789012:stateMachine:lifeline-backup';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

let aws: LocalAws;
beforeAll(async () => {
  // The fixture config with orders failing over through the failover runbook: its records are rolled up too.
  aws = await startLocalAws(failoverConfig());
});
afterAll(async () => aws?.stop());

const evidenceFunction = () => {
  const fn = [...aws.cloud.functions.values()].find((f) => f.environment.EVIDENCE !== undefined);
  if (!fn) throw new Error('no evidence function deployed');
  return fn;
};

const drillRow = (database: string, day: string, status: 'passed' | 'failed'): HistoryRow => ({
  drillId: `lifeline-drill-${database}-${day.replaceAll('-', '')}`,
  execution: `arn:aws:states:eu-west-1:123456789012:execution:lifeline-drill:${database}-${day}`,
  startedAt: `${day}T05:00:00.000Z`,
  finishedAt: `${day}T05:40:00.000Z`,
  status,
  summary: `the drill of ${database} ${status}`,
  trigger: { type: 'manual' } as HistoryRow['trigger'],
  rto: { outcome: status === 'passed' ? 'met' : 'missed', measuredSeconds: 1500, objectiveSeconds: 14_400 },
  rpo: { outcome: 'met', measuredSeconds: 3600, objectiveSeconds: 90_000 },
  report: {
    json: `drills/${database}/${day}/lifeline-drill-${database}.json`,
    html: `drills/${database}/${day}/lifeline-drill-${database}.html`,
    link: null,
  },
});

describe('the evidence report against moto', () => {
  it("rolls up the month's backups and drills into the reports bucket, each record with its checksum, and sends a digest", async () => {
    // Prepare: November's backups as Step Functions records them, and the drill reports the drills wrote.
    const fn = evidenceFunction();
    const bucket = fn.environment.REPORTS_BUCKET as string;
    const admin = aws.client(S3Client, DR);
    const reportBodies = new Map<string, string>();
    const history = async (database: string, rows: HistoryRow[]) => {
      for (const row of rows) {
        const body = JSON.stringify({ database, status: row.status, drillId: row.drillId });
        reportBodies.set(row.report.json, body);
        await admin.send(new PutObjectCommand({ Bucket: bucket, Key: row.report.json, Body: body }));
      }
      await admin.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: `history/${database}/index.json`,
          Body: JSON.stringify({ database, generation: rows.length, timeZone: 'UTC', drills: rows }),
        }),
      );
    };
    await history('orders', [drillRow('orders', '2026-10-01', 'passed'), drillRow('orders', '2026-11-01', 'passed')]);
    await history('ledger', [drillRow('ledger', '2026-11-20', 'failed')]);
    // A dry run of the failover of orders in November (a preflight that planned its changes), and one in October.
    const dryRun = (day: string) =>
      JSON.stringify({
        database: 'orders',
        dryRun: true,
        status: 'planned',
        startedAt: `${day}T09:00:00.000Z`,
        checks: [],
      });
    for (const day of ['2026-11-10', '2026-10-10'])
      await admin.send(
        new PutObjectCommand({ Bucket: bucket, Key: `failovers/orders/${day}/dry-run.json`, Body: dryRun(day) }),
      );
    // The DR copies as the prune left them: orders has the newest point of November, ledger none.
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
    await rds.send(
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
    const control = aws.cloud.stepFunctions;
    let n = 0;
    const record = (database: string, status: RecordedExecution['status'], start: string, error?: string) =>
      control.executions.push({
        executionArn: `${BACKUP.replace(':stateMachine:', ':execution:')}:e-${++n}`,
        stateMachineArn: BACKUP,
        status,
        startDate: new Date(start),
        stopDate: new Date(Date.parse(start) + 600_000),
        input: { database },
        error,
      });
    for (let day = 1; day <= 30; day++)
      record('orders', 'SUCCEEDED', `2026-11-${String(day).padStart(2, '0')}T01:00:00Z`);
    record('orders', 'FAILED', '2026-11-15T13:00:00Z', 'SnapshotQuotaExceeded');
    record('orders', 'FAILED', '2026-11-16T13:00:00Z', 'InvalidInput'); // a refused request is no backup
    record('orders', 'SUCCEEDED', '2026-10-31T01:00:00Z'); // October's
    record('ledger', 'SUCCEEDED', '2026-11-02T00:00:00Z');
    const reports = await aws.subscribe(JSON.parse(fn.environment.EVIDENCE as string).reportTopicArn as string, DR);
    const credentials = await aws.cloud.credentials(fn.roleArn);
    const first = aws.cloud.wire.calls.length;
    // Act
    const outcome = (await invokeBundled(
      fn,
      { kind: 'month', scheduledTime: '2026-12-01T06:00:00Z' },
      {
        generation: aws.cloud.generation,
        credentials,
        endpoint: aws.cloud.endpoint,
        now: () => NOW,
        environment: { POWERTOOLS_LOG_LEVEL: 'CRITICAL' },
      },
    )) as EvidenceOutcome;
    const run = { calls: aws.cloud.wire.calls.slice(first).map((c) => ({ ...c, roleArn: fn.roleArn })) };
    // Assess
    expect(outcome.period).toMatchObject({ kind: 'month', label: '2026-11' });
    expect(outcome.json).toBe(`s3://${bucket}/evidence/month/2026-11.json`);
    const stored = await admin.send(new GetObjectCommand({ Bucket: bucket, Key: 'evidence/month/2026-11.json' }));
    const text = await stored.Body?.transformToString();
    expect(sha256(text as string)).toBe(outcome.sha256);
    const rollup = JSON.parse(text as string) as Rollup & { unread: string[] };
    const orders = rollup.databases.find((d) => d.id === 'orders');
    expect(orders?.backups).toEqual({ succeeded: 30, failed: 1, successRate: 30 / 31 });
    expect(orders?.drills).toEqual({ passed: 1, failed: 0, lastPassedAt: '2026-11-01T05:00:00.000Z' });
    expect(orders?.findings).toEqual(['1 of 31 backups did not succeed']);
    // Its one copy (Nov 30) holds each slot since it was taken: that day, its week, its month, its year.
    expect(orders?.retention).toEqual({ kept: 4, expected: 4, beyond: 0 });
    expect(orders?.retentionCompliant).toBe(true);
    expect(orders?.failovers).toEqual({ dryRunsPassed: 1, dryRunsFailed: 0, failedOver: 0, notVerified: 0 });
    expect(rollup.records.filter((r) => r.kind === 'failover-record')).toEqual([
      {
        kind: 'failover-record',
        database: 'orders',
        location: `s3://${bucket}/failovers/orders/2026-11-10/dry-run.json`,
        sha256: sha256(dryRun('2026-11-10')),
      },
    ]);
    expect(rollup.records.filter((r) => r.kind === 'retention-check').map((r) => r.database)).toEqual([
      'orders',
      'ledger',
    ]);
    const ledger = rollup.databases.find((d) => d.id === 'ledger');
    expect(ledger?.findings).toEqual([
      'no restore drill passed on record: restorability is unproven',
      '1 of 1 restore drills failed',
      'the RTO was missed in 1 drill',
      'in eu-west-1 the retention keeps 0 of the 1 recovery points it asks for',
    ]);
    // Every drill report of the month is cited with the SHA-256 of what is stored; October's drill is not cited.
    const drillRecords = rollup.records.filter((r) => r.kind === 'drill-report');
    expect(drillRecords.map((r) => r.location).sort()).toEqual([
      `s3://${bucket}/drills/ledger/2026-11-20/lifeline-drill-ledger.json`,
      `s3://${bucket}/drills/orders/2026-11-01/lifeline-drill-orders.json`,
    ]);
    for (const r of drillRecords)
      expect(r.sha256).toBe(sha256(reportBodies.get(r.location.replace(`s3://${bucket}/`, '')) as string));
    expect(rollup.records.filter((r) => r.kind === 'backup-execution')).toHaveLength(32);
    const html = await admin.send(new GetObjectCommand({ Bucket: bucket, Key: 'evidence/month/2026-11.html' }));
    expect(await html.Body?.transformToString()).toContain('Recovery evidence, month 2026-11');
    const [digest] = await reports();
    expect(digest?.Subject).toBe('Lifeline evidence 2026-11: 5 findings');
    expect(digest?.Message).toContain('- orders: 1 of 31 backups did not succeed');
    expect(digest?.Message).toContain(outcome.json);
    expect(await evaluateRun(aws, run as unknown as WorkflowRun)).toEqual([]);
  });

  it('refuses a malformed period before reading or writing anything', async () => {
    const fn = evidenceFunction();
    const credentials = await aws.cloud.credentials(fn.roleArn);
    const first = aws.cloud.wire.calls.length;
    await expect(
      invokeBundled(
        fn,
        { period: '2026-13' },
        {
          generation: aws.cloud.generation,
          credentials,
          endpoint: aws.cloud.endpoint,
          now: () => NOW,
          environment: { POWERTOOLS_LOG_LEVEL: 'CRITICAL' },
        },
      ),
    ).rejects.toThrow(/"2026-13" is not a period: write a month as YYYY-MM/);
    expect(aws.cloud.wire.calls.slice(first)).toEqual([]);
  });
});
