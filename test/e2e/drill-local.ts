/**
 * `npm run drill:local`: the whole story on this machine, no AWS account. moto is the AWS control plane;
 * an embedded PostgreSQL (PGlite behind a socket, reached by the `pg` driver like RDS) is the data plane.
 * The synthesized backup workflow snapshots and copies the sample database; the synthesized drill
 * workflow restores the DR copy, checks the data, measures RTO/RPO, reports and cleans up — all with
 * the real handlers.
 *
 *   npm run drill:local -- [--report <file.json>] [--scenario <name>]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import type { DrillReport } from '../../functions/drill/contracts';
import { baseConfig } from '../fixtures/configs';
import { createDrillSecret, createOrdersDatabase } from '../fixtures/production';
import { type SampleData, seedOrders } from '../fixtures/sample-data';
import { LocalDataPlane } from '../harness/data-plane';
import { drillInstanceStatus, type Fault } from '../harness/faults';
import { startLocalAws } from '../harness/local-aws';
import { latestDrillReport } from '../harness/reports';
import { runWorkflow } from '../harness/run-workflow';

/** Ways to break a drill on purpose, to watch it fail properly. */
const SCENARIOS: Record<string, { what: string; data?: SampleData; faults?: Fault[]; unreachable?: boolean }> = {
  none: { what: 'a healthy database' },
  'missing-rows': { what: 'the orders table has only 20 rows (at least 100 expected)', data: { rows: 20 } },
  'stale-data': {
    what: 'the newest order is 3 days old (RPO objective 1 day)',
    data: { newestAgeMinutes: 3 * 24 * 60 },
  },
  'missing-table': { what: 'the canary table is gone', data: { canary: false } },
  'slow-restore': {
    what: 'the restore takes 65 minutes (RTO objective 1 hour)',
    faults: [drillInstanceStatus('creating', { forSeconds: 65 * 60 })],
  },
  'restore-timeout': {
    what: 'the restored database never becomes available',
    faults: [drillInstanceStatus('creating')],
  },
  'no-connect': { what: 'nothing listens at the restored endpoint', unreachable: true },
};

const { values } = parseArgs({
  options: {
    report: { type: 'string', default: 'test/.out/drill-report.json' },
    scenario: { type: 'string', default: 'none' },
  },
});
const scenario = SCENARIOS[values.scenario as string];
if (!scenario) {
  console.error(`Unknown --scenario ${values.scenario}; choose one of: ${Object.keys(SCENARIOS).join(', ')}`);
  process.exit(64);
}
const reportPath = resolve(values.report as string);
const started = Date.now();
const say = (line: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s] ${line}`);
const QUIET = { POWERTOOLS_LOG_LEVEL: 'ERROR' };

say(`Lifeline local drill of "orders" — scenario ${values.scenario}: ${scenario.what}`);
say('Starting moto server and synthesizing the stacks from the config ...');
const aws = await startLocalAws(baseConfig());
const dr = aws.app.config.drRegion;
let plane: LocalDataPlane | undefined;
let exitCode = 1;
try {
  say('Starting the embedded PostgreSQL (PGlite) as the production database and seeding it ...');
  plane = await LocalDataPlane.start((db) => seedOrders(db, scenario.data));
  plane.unreachable = scenario.unreachable ?? false;
  await createOrdersDatabase(aws);
  await createDrillSecret(aws, 'orders');

  say('Backup workflow (synthesized definition, real handlers):');
  const backup = await runWorkflow(
    aws.cloud,
    aws.cloud.stateMachine('-backup'),
    { database: 'orders' },
    { environment: QUIET, onState: (name) => say(`  · ${name}`) },
  );
  if (backup.status !== 'SUCCEEDED') throw new Error(`the backup failed: ${backup.error}: ${backup.cause}`);
  say(`Backup done in ${backup.transitions} state transitions.`);

  say(`Drill workflow in ${dr}:`);
  const drill = await runWorkflow(
    aws.cloud,
    aws.cloud.stateMachine('-drill'),
    { database: 'orders' },
    {
      environment: QUIET,
      faults: scenario.faults,
      onState: (name, _type, simulated) =>
        say(`  · ${name}${simulated > 0 ? ` (simulated +${Math.round(simulated / 60)} min)` : ''}`),
    },
  );
  const stored = await latestDrillReport(aws);
  if (!stored) throw new Error(`the drill wrote no report (${drill.error}: ${drill.cause})`);
  // Cross-check the report's cleanup against what moto still has.
  const left = ((await aws.client(RDSClient, dr).send(new DescribeDBInstancesCommand({}))).DBInstances ?? [])
    .map((i) => i.DBInstanceIdentifier ?? '')
    .filter((id) => id.startsWith('lifeline-drill-'));
  const report = {
    ...stored.json,
    cleanup: { ...stored.json.cleanup, leaked: [...new Set([...stored.json.cleanup.leaked, ...left])] },
  };
  mkdirSync(dirname(reportPath), { recursive: true });
  writeFileSync(reportPath, `${JSON.stringify(report, null, 2)}\n`);
  const htmlPath = `${reportPath.replace(/\.json$/, '')}.html`;
  writeFileSync(htmlPath, stored.html);

  const seconds = (o: DrillReport['rto']) =>
    `${o.measured && o.measuredSeconds !== null ? `${Math.round(o.measuredSeconds)} s` : 'not measured'} (objective ${o.objectiveSeconds} s) ${o.outcome === 'met' ? 'met' : o.outcome === 'waived' ? `waived: ${o.waiver}` : 'NOT met'}`;
  console.log('');
  console.table([
    { what: 'drill', value: report.status },
    {
      what: 'recovery point',
      value: report.recoveryPoint ? `${report.recoveryPoint.type} ${report.recoveryPoint.id}` : 'none',
    },
    { what: 'RTO', value: seconds(report.rto) },
    { what: 'RPO', value: seconds(report.rpo) },
    ...report.checks.map((c) => ({ what: c.name, value: `${c.passed ? 'passed' : 'FAILED'}: ${c.detail}` })),
    {
      what: 'cleanup',
      value:
        report.cleanup.leaked.length === 0
          ? `deleted ${report.cleanup.deleted.join(', ') || 'nothing'}; nothing left behind`
          : `LEFT BEHIND ${report.cleanup.leaked.join(', ')}`,
    },
  ]);
  console.log(
    `\n${report.summary}\nReport: ${reportPath}\n        ${htmlPath}\nWall time: ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  exitCode = report.status === 'passed' ? 0 : 2;
} catch (error) {
  console.error(`The local drill could not run: ${(error as Error).message}`);
  exitCode = 1;
} finally {
  await plane?.stop();
  await aws.stop();
}
process.exit(exitCode);
