import { DescribeDBClustersCommand, RDSClient } from '@aws-sdk/client-rds';
import { describe, expect, it } from 'vitest';
import { createDrillSecret, createLedgerCluster } from '../fixtures/production';
import { seedOrders } from '../fixtures/sample-data';
import { drillInstanceStatus } from '../harness/faults';
import { evaluateRun } from '../harness/iam-evaluation';
import { drillHistory } from '../harness/reports';
import { runWorkflow } from '../harness/run-workflow';
import { DR, drillHarness } from './drill-harness';

const { h, drill, latestReport, expectCleanedUp } = drillHarness();
const _instanceStatus = drillInstanceStatus;

describe('the synthesized drill workflow against moto and an embedded PostgreSQL', () => {
  it('restores the latest verified copy, passes every check, measures RTO and RPO, reports and cleans up', async () => {
    const result = await drill();
    const { run, report, alerts, announced } = result;
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
    // A passed drill is news on the report topic, not an alert; the message says where the report is.
    expect(alerts).toEqual([]);
    expect(announced.map((a) => a.Subject)).toEqual(['Lifeline drill passed for orders']);
    expect(announced[0]?.Message).toMatch(
      /\nReport: s3:\/\/[^/]+\/drills\/orders\/\d{4}-\d\d-\d\d\/lifeline-drill-orders-[0-9a-f]{8}\.html\n/,
    );
    expect(announced[0]?.Message).toContain('/history/orders/index.html');
    // Each step's moment, as the steps recorded them, up to the cleanup.
    expect(report?.timeline.map((t) => [t.event, t.at === null])).toEqual([
      ['drill started', false],
      ['restore started', false],
      ['database available', false],
      ['first query answered', false],
      ['cleanup done', false],
      ['report written', false],
    ]);
    expect(report).toMatchObject({ account: '123456789012', region: DR, trigger: { type: 'manual', startedBy: null } });
    expect(report?.recoveryPoint?.arn).toMatch(/^arn:aws:rds:eu-west-1:123456789012:snapshot:lifeline-orders-/);
    const history = await drillHistory(h.aws, 'orders');
    expect(history?.index.drills.map((d) => d.drillId)).toEqual([report?.drillId]);
    expect(history?.html).toContain('<svg id="rto-chart"');
    expect(run.states).toContain('Restore the recovery point into the isolated subnets');
    expectCleanedUp(result);
    // Every call of the drill, and what AWS implies of it (the DR key for the restore, the topic's key), is allowed.
    expect(await evaluateRun(h.aws, run)).toEqual([]);
  });

  it('restores an Aurora cluster snapshot as a cluster with one instance, checks it and deletes both', async () => {
    // Prepare
    await seedOrders(h.plane.source);
    await createLedgerCluster(h.aws);
    await createDrillSecret(h.aws, 'ledger');
    const backup = await runWorkflow(h.aws.cloud, h.aws.cloud.stateMachine('-backup'), { database: 'ledger' });
    expect(backup.status, backup.cause).toBe('SUCCEEDED');
    // Act
    const run = await runWorkflow(h.aws.cloud, h.aws.cloud.stateMachine('-drill'), { database: 'ledger' });
    // Assess
    expect(run.status, run.cause).toBe('SUCCEEDED');
    expect(await evaluateRun(h.aws, backup)).toEqual([]);
    expect(await evaluateRun(h.aws, run)).toEqual([]);
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
    const clusters = (await h.aws.client(RDSClient, DR).send(new DescribeDBClustersCommand({}))).DBClusters ?? [];
    expect(
      clusters.filter((c) => c.DBClusterIdentifier?.startsWith('lifeline-drill-') && c.Status !== 'deleting'),
    ).toEqual([]);
    expect(h.plane.running).toEqual([]);
  });

  it.each([
    [{ database: 'billing' }, 'database \\"billing\\" has no drill configured (drills: ledger, orders)'],
    [{ database: 'orders', recoveryPoint: { type: 'yesterday' } }, 'recoveryPoint'],
    [{ database: 'orders', overrides: { instanceClass: 'huge' } }, 'expected an RDS instance class'],
    [{ database: 'orders', dryRun: true }, 'unknown field \\"dryRun\\"'],
  ])('rejects the manual input %j before restoring anything', async (input, message) => {
    const run = await runWorkflow(h.aws.cloud, h.aws.cloud.stateMachine('-drill'), input);
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('InvalidInput');
    expect(run.cause).toContain(message);
    expect(run.states).toEqual(['Validate the drill request', 'Reject the drill request']);
  });

  it('fails preflight with what to fix when there is no verified copy yet', async () => {
    const alerts = await h.aws.subscribe(h.aws.cloud.ref(h.aws.app.templates.dr!, 'AWS::SNS::Topic'), DR);
    const run = await runWorkflow(h.aws.cloud, h.aws.cloud.stateMachine('-drill'), { database: 'orders' });
    expect(run.error).toBe('PreflightFailed');
    expect(run.cause).toContain('there is no verified copy of orders in eu-west-1: run a backup with copyToDr first');
    expect((await alerts())[0]?.Message).toContain('Step: Preflight and choose the recovery point');
    expect(run.states).not.toContain('Restore the recovery point into the isolated subnets');
  });
});
