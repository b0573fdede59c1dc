import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mysqlChecksum } from '../fixtures/checksums';
import { twoEngineConfig } from '../fixtures/configs';
import { createDrillSecret, createShopDatabase } from '../fixtures/production';
import { SHOP_CURRENCIES, SHOP_CURRENCIES_CHECKSUM, type ShopData, seedShop } from '../fixtures/sample-data';
import { LocalDataPlane } from '../harness/data-plane';
import { evaluateRun } from '../harness/iam-evaluation';
import { type LocalAws, startLocalAws } from '../harness/local-aws';
import { MARIADB_LOGIN, MariaDb } from '../harness/mariadb';
import { latestDrillReport } from '../harness/reports';
import { runWorkflow } from '../harness/run-workflow';

const DR = 'eu-west-1';

/**
 * The drill of a MySQL database, end to end: the synthesized backup and drill workflows run their bundled functions
 * against moto, the production `shop` database is a real MariaDB server, a snapshot keeps its dump, and the restore is
 * a fresh MariaDB server loaded from it, which the bundled check function reaches with TLS.
 */
const h = {} as { aws: LocalAws; plane: LocalDataPlane; production: MariaDb };
beforeAll(async () => {
  h.production = await MariaDb.start();
  h.aws = await startLocalAws(twoEngineConfig());
  h.plane = new LocalDataPlane().addMysql('shop-prod', h.production, 'shop');
}, 180_000);
afterAll(async () => {
  await h.plane?.stop();
  await h.production?.stop();
  await h.aws?.stop();
});
beforeEach(async (test) => {
  await h.aws.fresh(test);
  await createShopDatabase(h.aws);
  await createDrillSecret(h.aws, 'shop', MARIADB_LOGIN);
});

/** Backs up the shop database holding `data`, then drills it. */
async function drill(data: ShopData = {}) {
  const { aws } = h;
  await seedShop(h.production, data);
  const backup = await runWorkflow(aws.cloud, aws.cloud.stateMachine('-backup'), { database: 'shop' });
  expect(backup.status, backup.cause).toBe('SUCCEEDED');
  const dr = aws.app.templates.dr;
  if (!dr) throw new Error('the fixture app has no DR stack');
  const topic = (logicalId: RegExp) => {
    const found = Object.keys(dr.template.Resources).find((id) => logicalId.test(id));
    if (!found) throw new Error(`no topic ${logicalId}`);
    return aws.cloud.physicalId(dr, found);
  };
  const alerts = await aws.subscribe(topic(/^Alerts[0-9A-F]{8}$/), DR);
  const announced = await aws.subscribe(topic(/^DrillReportTopic[0-9A-F]{8}$/), DR);
  const run = await runWorkflow(aws.cloud, aws.cloud.stateMachine('-drill'), { database: 'shop' });
  const left = ((await aws.client(RDSClient, DR).send(new DescribeDBInstancesCommand({}))).DBInstances ?? []).filter(
    (i) => i.DBInstanceIdentifier?.startsWith('lifeline-drill-'),
  );
  const stored = await latestDrillReport(aws);
  return {
    run,
    alerts: await alerts(),
    announced: await announced(),
    left,
    report: stored && { ...stored.json, html: stored.html },
  };
}

function expectCleanedUp(result: Awaited<ReturnType<typeof drill>>) {
  expect(result.left).toEqual([]);
  expect(result.report?.cleanup.leaked).toEqual([]);
  expect(result.report?.cleanup.deleted).toEqual([expect.stringMatching(/^lifeline-drill-shop-[0-9a-f]{8}$/)]);
  expect(h.plane.running).toEqual([]);
}

describe('the synthesized drill workflow against moto and a real MariaDB', () => {
  it('restores the MySQL database from its dump, passes every check, measures RTO and RPO, reports and cleans up', async () => {
    const result = await drill();
    const { run, report, alerts, announced } = result;
    expect(run.status, run.cause).toBe('SUCCEEDED');
    expect(report).toMatchObject({
      database: 'shop',
      status: 'passed',
      recoveryPoint: { type: 'latest-copy', id: expect.stringMatching(/^lifeline-shop-/) },
      rto: { objectiveSeconds: 3600, outcome: 'met', measured: true, met: true },
      rpo: { objectiveSeconds: 86_400, outcome: 'met', measured: true, met: true },
    });
    expect(report?.rpo.measuredSeconds).toBeGreaterThanOrEqual(29 * 60);
    expect(report?.checks.map((c) => [c.name, c.passed])).toEqual([
      ['rowCount:orders', true],
      ['freshness:orders.created_at', true],
      ['canary:lifeline_canary', true],
      ['sql:orders-have-amounts', true],
      ['checksum:currencies', true],
    ]);
    expect(report?.checks[4]?.detail).toBe(`table currencies has checksum ${SHOP_CURRENCIES_CHECKSUM}, as expected`);
    // A passed drill is news for the report topic, not an alert.
    expect(announced.map((a) => a.Subject)).toEqual(['Lifeline drill passed for shop']);
    expect(alerts).toEqual([]);
    expectCleanedUp(result);
    expect(await evaluateRun(h.aws, run)).toEqual([]);
  });

  it('fails on missing rows and a changed reference table, says so, alerts and cleans up', async () => {
    const result = await drill({ rows: 20, currencyRenamed: true });
    expect(result.run.status).toBe('FAILED');
    expect(result.run.error).toBe('DrillFailed');
    expect(result.report?.status).toBe('failed');
    expect(result.report?.summary).toBe(
      'Drill of shop failed: table orders has 20 rows (at least 100 expected) (and 1 more problem).',
    );
    const renamed = mysqlChecksum(
      SHOP_CURRENCIES.map(([code, name]) => [code, code === 'GBP' ? 'Pound sterling' : name]),
    );
    expect(result.report?.checks.filter((c) => !c.passed)).toEqual([
      { name: 'rowCount:orders', passed: false, detail: 'table orders has 20 rows (at least 100 expected)' },
      {
        name: 'checksum:currencies',
        passed: false,
        detail: `table currencies has checksum ${renamed}, ${SHOP_CURRENCIES_CHECKSUM} expected`,
      },
    ]);
    expect(result.alerts[0]?.Subject).toBe('Lifeline drill FAILED for shop');
    expectCleanedUp(result);
  });
});
