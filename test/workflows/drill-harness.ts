import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import { baseConfig } from '../fixtures/configs';
import { createDrillSecret, createOrdersDatabase } from '../fixtures/production';
import { type SampleData, seedOrders } from '../fixtures/sample-data';
import { LocalDataPlane } from '../harness/data-plane';
import type { Fault } from '../harness/faults';
import { type LocalAws, startLocalAws } from '../harness/local-aws';
import { latestDrillReport } from '../harness/reports';
import { runWorkflow, type WorkflowRun } from '../harness/run-workflow';

export const DR = 'eu-west-1';

/**
 * What the drill workflow files share: moto with the fixture app deployed and an embedded PostgreSQL as the
 * production database, fresh for each test, with the orders instance and its drill secret.
 */
export function drillHarness() {
  const h = {} as { aws: LocalAws; plane: LocalDataPlane };
  beforeAll(async () => {
    h.aws = await startLocalAws(baseConfig());
    h.plane = await LocalDataPlane.start((db) => seedOrders(db));
  }, 120_000);
  afterAll(async () => {
    await h.plane?.stop();
    await h.aws?.stop();
  });
  beforeEach(async (test) => {
    await h.aws.fresh(test);
    h.plane.unreachable = false;
    await createOrdersDatabase(h.aws);
    await createDrillSecret(h.aws, 'orders');
  });

  /** The deployed topic whose logical id matches: the alert topic, or the drill report topic. */
  const topic = (stack: NonNullable<LocalAws['app']['templates']['dr']>, logicalId: RegExp) => {
    const id = Object.keys(stack.template.Resources).find((key) => logicalId.test(key));
    if (!id) throw new Error(`${stack.name} has no topic ${logicalId}`);
    return h.aws.cloud.physicalId(stack, id);
  };

  const latestReport = async () => {
    const stored = await latestDrillReport(h.aws);
    return stored && { ...stored.json, html: stored.html };
  };

  /** Backs up `data` (as the production database holds it now), then runs a drill of it. */
  const drill = async (data: SampleData = {}, faults: Fault[] = [], input: unknown = { database: 'orders' }) => {
    const { aws, plane } = h;
    await seedOrders(plane.source, data);
    const backup = await runWorkflow(aws.cloud, aws.cloud.stateMachine('-backup'), { database: 'orders' });
    expect(backup.status, backup.cause).toBe('SUCCEEDED');
    const dr = aws.app.templates.dr;
    if (!dr) throw new Error('the fixture app has no DR stack');
    const alerts = await aws.subscribe(topic(dr, /^Alerts[0-9A-F]{8}$/), DR);
    const announced = await aws.subscribe(topic(dr, /^DrillReportTopic[0-9A-F]{8}$/), DR);
    const run = await runWorkflow(aws.cloud, aws.cloud.stateMachine('-drill'), input, { faults });
    const left = ((await aws.client(RDSClient, DR).send(new DescribeDBInstancesCommand({}))).DBInstances ?? []).filter(
      (i) => i.DBInstanceIdentifier?.startsWith('lifeline-drill-'),
    );
    return { run, alerts: await alerts(), announced: await announced(), left, report: await latestReport() };
  };

  const expectCleanedUp = (result: {
    left: unknown[];
    report?: { cleanup: { leaked: string[]; deleted: string[] } };
    run: WorkflowRun;
  }) => {
    expect(result.left).toEqual([]);
    expect(result.report?.cleanup.leaked).toEqual([]);
    expect(result.report?.cleanup.deleted).toEqual([expect.stringMatching(/^lifeline-drill-orders-[0-9a-f]{8}$/)]);
    expect(h.plane.running).toEqual([]);
  };

  return { h, drill, latestReport, expectCleanedUp };
}
