import { DescribeDBClustersCommand, DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { baseConfig } from '../fixtures/configs';
import { createDrillSecret, createLedgerCluster, createOrdersDatabase } from '../fixtures/production';
import { type SampleData, seedOrders } from '../fixtures/sample-data';
import { LocalDataPlane } from '../harness/data-plane';
import { drillInstanceStatus, type Fault } from '../harness/faults';
import { evaluateRun } from '../harness/iam-evaluation';
import { type LocalAws, startLocalAws } from '../harness/local-aws';
import { latestDrillReport } from '../harness/reports';
import { runWorkflow, type WorkflowRun } from '../harness/run-workflow';

let aws: LocalAws;
let plane: LocalDataPlane;
const DR = 'eu-west-1';
const LOCAL = { DRILL_DB_TLS: 'off' };

beforeAll(async () => {
  aws = await startLocalAws(baseConfig());
  plane = await LocalDataPlane.start((db) => seedOrders(db));
}, 120_000);
afterAll(async () => {
  await plane?.stop();
  await aws?.stop();
});
beforeEach(async () => {
  await aws.fresh();
  plane.unreachable = false;
  await createOrdersDatabase(aws);
  await createDrillSecret(aws, 'orders');
});

/** Backs up `data` (as the production database holds it now), then runs a drill of it. */
async function drill(data: SampleData = {}, faults: Fault[] = [], input: unknown = { database: 'orders' }) {
  await seedOrders(plane.source, data);
  const backup = await runWorkflow(
    aws.cloud,
    aws.cloud.stateMachine('-backup'),
    { database: 'orders' },
    { environment: LOCAL },
  );
  expect(backup.status, backup.cause).toBe('SUCCEEDED');
  const alerts = await aws.subscribe(aws.cloud.ref(aws.app.templates.dr!, 'AWS::SNS::Topic'), DR);
  const run = await runWorkflow(aws.cloud, aws.cloud.stateMachine('-drill'), input, { faults, environment: LOCAL });
  const left = ((await aws.client(RDSClient, DR).send(new DescribeDBInstancesCommand({}))).DBInstances ?? []).filter(
    (i) => i.DBInstanceIdentifier?.startsWith('lifeline-drill-'),
  );
  return { run, alerts: await alerts(), left, report: await latestReport() };
}

async function latestReport() {
  const stored = await latestDrillReport(aws);
  return stored && { ...stored.json, html: stored.html };
}

const instanceStatus = drillInstanceStatus;

const expectCleanedUp = (result: {
  left: unknown[];
  report?: { cleanup: { leaked: string[]; deleted: string[] } };
  run: WorkflowRun;
}) => {
  expect(result.left).toEqual([]);
  expect(result.report?.cleanup.leaked).toEqual([]);
  expect(result.report?.cleanup.deleted).toEqual([expect.stringMatching(/^lifeline-drill-orders-[0-9a-f]{8}$/)]);
  expect(plane.running).toEqual([]);
};

describe('the synthesized drill workflow against moto and an embedded PostgreSQL', () => {
  it('restores the latest verified copy, passes every check, measures RTO and RPO, reports and cleans up', async () => {
    const result = await drill();
    const { run, report, alerts } = result;
    expect(run.status, run.cause).toBe('SUCCEEDED');
    expect(report).toMatchObject({
      database: 'orders',
      status: 'passed',
      recoveryPoint: { type: 'latest-copy', id: expect.stringMatching(/^lifeline-orders-/) },
      rto: { objectiveSeconds: 3600, outcome: 'met', measured: true, met: true },
      rpo: { objectiveSeconds: 86_400, outcome: 'met', measured: true, met: true },
    });
    expect(report?.rpo.measuredSeconds).toBeGreaterThanOrEqual(29 * 60);
    expect(report?.checks.map((c) => c.passed)).toEqual([true, true, true]);
    expect(report?.html).toContain('Drill of orders: <span class="ok">passed</span>');
    expect(alerts.map((a) => a.Subject)).toEqual(['Lifeline drill passed for orders']);
    expect(run.states).toContain('Restore the recovery point into the isolated subnets');
    expectCleanedUp(result);
    // Every call of the drill, and what AWS implies of it (the DR key for the restore, the topic's key), is allowed.
    expect(await evaluateRun(aws, run)).toEqual([]);
  });

  it('restores an Aurora cluster snapshot as a cluster with one instance, checks it and deletes both', async () => {
    // Prepare
    await seedOrders(plane.source);
    await createLedgerCluster(aws);
    await createDrillSecret(aws, 'ledger');
    const backup = await runWorkflow(
      aws.cloud,
      aws.cloud.stateMachine('-backup'),
      { database: 'ledger' },
      { environment: LOCAL },
    );
    expect(backup.status, backup.cause).toBe('SUCCEEDED');
    // Act
    const run = await runWorkflow(
      aws.cloud,
      aws.cloud.stateMachine('-drill'),
      { database: 'ledger' },
      { environment: LOCAL },
    );
    // Assess
    expect(run.status, run.cause).toBe('SUCCEEDED');
    expect(await evaluateRun(aws, backup)).toEqual([]);
    expect(await evaluateRun(aws, run)).toEqual([]);
    const report = await latestReport();
    expect(report).toMatchObject({
      database: 'ledger',
      status: 'passed',
      recoveryPoint: { type: 'latest-copy', id: expect.stringMatching(/^lifeline-ledger-/) },
      // The waiver travels from the config through the synthesized definition to the verdict.
      rpo: { outcome: 'waived', measured: false, met: false, waiver: 'the ledger drill checks row counts only' },
    });
    expect(report?.html).toContain('not measured; waived: the ledger drill checks row counts only');
    expect(report?.cleanup.deleted).toEqual([
      expect.stringMatching(/^lifeline-drill-ledger-[0-9a-f]{8}-1$/),
      expect.stringMatching(/^lifeline-drill-ledger-[0-9a-f]{8}$/),
    ]);
    const clusters = (await aws.client(RDSClient, DR).send(new DescribeDBClustersCommand({}))).DBClusters ?? [];
    expect(
      clusters.filter((c) => c.DBClusterIdentifier?.startsWith('lifeline-drill-') && c.Status !== 'deleting'),
    ).toEqual([]);
    expect(plane.running).toEqual([]);
  });

  it('fails when a checked table is missing, and says which', async () => {
    const result = await drill({ canary: false });
    expect(result.run.status).toBe('FAILED');
    expect(result.run.error).toBe('DrillFailed');
    expect(result.report?.summary).toContain('table lifeline_canary does not exist');
    expect(result.alerts[0]?.Subject).toBe('Lifeline drill FAILED for orders');
    expectCleanedUp(result);
  });

  it('fails when a table has too few rows', async () => {
    const result = await drill({ rows: 20 });
    expect(result.report?.status).toBe('failed');
    expect(result.report?.summary).toBe('Drill of orders failed: table orders has 20 rows (at least 100 expected).');
    expectCleanedUp(result);
  });

  it('fails when the newest data is older than the RPO allows', async () => {
    const result = await drill({ newestAgeMinutes: 3 * 24 * 60 });
    expect(result.report?.rpo).toMatchObject({ met: false, objectiveSeconds: 86_400 });
    expect(result.report?.rpo.measuredSeconds).toBeGreaterThan(3 * 86_400 - 60);
    expect(result.run.status).toBe('FAILED');
    expectCleanedUp(result);
  });

  it('fails when the restore takes longer than the RTO, measured on the simulated clock', async () => {
    const result = await drill({}, [instanceStatus('creating', { forSeconds: 65 * 60 })]);
    expect(result.report?.rto.met).toBe(false);
    expect(result.report?.rto.measuredSeconds).toBeGreaterThan(3600);
    expect(result.report?.checks.every((c) => c.passed)).toBe(true);
    expect(result.report?.summary).toMatch(/^Drill of orders failed: /);
    expectCleanedUp(result);
  });

  it('fails, cleans up and alerts when the restore never becomes available', async () => {
    const result = await drill({}, [instanceStatus('creating')]);
    expect(result.run.status).toBe('FAILED');
    expect(result.run.error).toBe('DrillTimedOut');
    expect(result.run.states).toContain('Delete the drill database after the failure');
    expect(result.report?.summary).toMatch(
      /failed at "Wait until the restored database is available": lifeline-drill-orders-\w+ did not become available within the drill timeout \(2 h\)/,
    );
    expect(result.alerts[0]?.Subject).toBe(
      'Lifeline drill failed for orders: Wait until the restored database is available',
    );
    expect(result.run.simulatedSeconds).toBeGreaterThanOrEqual(7200);
    expectCleanedUp(result);
  });

  it('fails in words when the check cannot connect to the restored database', async () => {
    plane.unreachable = true;
    const result = await drill();
    expect(result.report?.status).toBe('failed');
    expect(result.report?.summary).toMatch(/cannot connect to 127\.0\.0\.1:\d+ as postgres/);
    expectCleanedUp(result);
  });

  it.each([
    [{ database: 'billing' }, 'database \\"billing\\" has no drill configured (drills: ledger, orders)'],
    [{ database: 'orders', recoveryPoint: { type: 'yesterday' } }, 'recoveryPoint'],
    [{ database: 'orders', overrides: { instanceClass: 'huge' } }, 'expected an RDS instance class'],
    [{ database: 'orders', dryRun: true }, 'unknown field \\"dryRun\\"'],
  ])('rejects the manual input %j before restoring anything', async (input, message) => {
    const run = await runWorkflow(aws.cloud, aws.cloud.stateMachine('-drill'), input, { environment: LOCAL });
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('InvalidInput');
    expect(run.cause).toContain(message);
    expect(run.states).toEqual(['Validate the drill request', 'Reject the drill request']);
  });

  it('fails preflight with what to fix when there is no verified copy yet', async () => {
    const alerts = await aws.subscribe(aws.cloud.ref(aws.app.templates.dr!, 'AWS::SNS::Topic'), DR);
    const run = await runWorkflow(
      aws.cloud,
      aws.cloud.stateMachine('-drill'),
      { database: 'orders' },
      { environment: LOCAL },
    );
    expect(run.error).toBe('PreflightFailed');
    expect(run.cause).toContain('there is no verified copy of orders in eu-west-1: run a backup with copyToDr first');
    expect((await alerts())[0]?.Message).toContain('Step: Preflight and choose the recovery point');
    expect(run.states).not.toContain('Restore the recovery point into the isolated subnets');
  });
});
