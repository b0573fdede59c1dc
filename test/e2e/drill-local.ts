/**
 * `npm run drill:local`: the whole story on this machine, no AWS account. moto is the AWS control plane,
 * an embedded PostgreSQL (PGlite behind a socket, reached by the `pg` driver like RDS) the data plane.
 * The synthesized backup workflow runs with the real handlers; then the drill restores the DR copy,
 * checks the data with the real check handler, measures RTO/RPO, reports, and always cleans up.
 *
 *   npm run drill:local -- [--report <file.json>] [--scenario missing-rows|stale-data|missing-table|restore-timeout]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  CreateDBInstanceCommand,
  DeleteDBInstanceCommand,
  DescribeDBInstancesCommand,
  type RDSClient as RDS,
  RDSClient,
  RestoreDBInstanceFromDBSnapshotCommand,
} from '@aws-sdk/client-rds';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import type { MiddlewareStack } from '@smithy/types';
import { onClientCreated } from '../../functions/commons/aws';
import { runInScope } from '../../functions/commons/runtime';
import type { CheckDataOutput } from '../../functions/drill/check-data';
import { parseDuration } from '../../infra/config/duration';
import { validateConfig } from '../../infra/config/load';
import type { DatabaseConfig } from '../../infra/config/schema';
import { baseConfig } from '../fixtures/configs';
import { startLocalAws } from '../harness/local-aws';
import { runWorkflow } from '../harness/run-workflow';

const SCENARIOS = ['none', 'missing-rows', 'stale-data', 'missing-table', 'restore-timeout'] as const;
type Scenario = (typeof SCENARIOS)[number];

const { values } = parseArgs({
  options: {
    report: { type: 'string', default: 'test/.out/drill-report.json' },
    scenario: { type: 'string', default: 'none' },
  },
});
const scenario = values.scenario as Scenario;
if (!SCENARIOS.includes(scenario)) {
  console.error(`Unknown --scenario ${scenario}; choose one of ${SCENARIOS.join(', ')}`);
  process.exit(64);
}
const reportPath = resolve(values.report as string);
const started = Date.now();
const say = (line: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s] ${line}`);

const config = validateConfig(baseConfig());
const db = config.databases[0] as DatabaseConfig & { drill: NonNullable<DatabaseConfig['drill']> };
const PRIMARY = config.primaryRegion;
const DR = config.drRegion;

async function freePort(): Promise<number> {
  return new Promise((ok) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => ok(port));
    });
  });
}

/** The production database, seeded as the scenario asks. */
async function seedPrimary(): Promise<PGlite> {
  const pg = await PGlite.create();
  const rows = scenario === 'missing-rows' ? 20 : 500;
  const newestAgeMinutes = scenario === 'stale-data' ? 3 * 24 * 60 : 30;
  await pg.exec(`
    create table orders (id serial primary key, amount numeric not null, created_at timestamptz not null);
    insert into orders (amount, created_at)
      select g * 1.5, now() - make_interval(mins => ${newestAgeMinutes} + (${rows} - g) * 5) from generate_series(1, ${rows}) g;
    ${scenario === 'missing-table' ? '' : "create table lifeline_canary (id text primary key); insert into lifeline_canary values ('canary');"}
  `);
  return pg;
}

say(`Lifeline local drill of "${db.id}" (scenario: ${scenario})`);
say('Starting moto server and synthesizing the stacks ...');
const aws = await startLocalAws(config);
const snapshots = new Map<string, Blob>();
const servers: Array<{ server: PGLiteSocketServer; pg: PGlite }> = [];
let exitCode = 1;
try {
  say('Starting the embedded PostgreSQL (PGlite) and seeding the sample database ...');
  const primary = await seedPrimary();
  await aws.client(RDSClient, PRIMARY).send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: db.identifier,
      Engine: 'postgres',
      DBInstanceClass: 'db.t4g.micro',
      AllocatedStorage: 20,
      MasterUsername: 'drill',
      MasterUserPassword: 'drill-password',
    }),
  );

  // The local data plane: a snapshot keeps the database's data under its id; a copy carries it along.
  const forgetPlane = onClientCreated((client) => {
    (client as unknown as { middlewareStack: MiddlewareStack<object, object> }).middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        const input = args.input as Record<string, string>;
        if ((context as { commandName?: string }).commandName === 'CreateDBSnapshotCommand')
          snapshots.set(input.DBSnapshotIdentifier as string, await primary.dumpDataDir('gzip'));
        if ((context as { commandName?: string }).commandName === 'CopyDBSnapshotCommand') {
          const source = (input.SourceDBSnapshotIdentifier as string).split(':').pop() as string;
          const data = snapshots.get(source);
          if (data) snapshots.set(`${DR}/${input.TargetDBSnapshotIdentifier}`, data);
        }
        return result;
      },
      { step: 'initialize', name: 'lifelineLocalDataPlane' },
    );
  });

  say('Running the synthesized backup workflow (snapshot, DR copy under the DR key, verify, prune) ...');
  const scheduledTime = new Date(Math.floor(Date.now() / 60_000) * 60_000).toISOString();
  const backup = await runWorkflow(
    aws.cloud,
    aws.cloud.stateMachine('-backup'),
    { database: db.id, scheduledTime },
    {
      onState: (name) => say(`  backup: ${name}`),
    },
  );
  forgetPlane();
  if (backup.status !== 'SUCCEEDED') throw new Error(`The backup failed: ${backup.error}: ${backup.cause}`);
  const record = backup.output as { snapshotId: string };
  say(`Backup done in ${backup.transitions} state transitions: ${record.snapshotId} copied to ${DR}`);

  // The drill, in the DR region.
  const rds: RDS = aws.client(RDSClient, DR);
  const drillId = `lifeline-drill-${db.id}-${Date.now().toString(36)}`;
  const restoreStartedAt = new Date().toISOString();
  say(
    `Restoring ${record.snapshotId} in ${DR} as ${drillId} (isolated, ${db.drill.instanceClass}, no public access) ...`,
  );
  await rds.send(
    new RestoreDBInstanceFromDBSnapshotCommand({
      DBInstanceIdentifier: drillId,
      DBSnapshotIdentifier: record.snapshotId,
      DBInstanceClass: db.drill.instanceClass,
      PubliclyAccessible: false,
      DeletionProtection: false,
      Tags: [
        { Key: 'lifeline:drill', Value: db.id },
        { Key: 'lifeline:managed-by', Value: 'lifeline' },
      ],
    }),
  );
  let checked: CheckDataOutput | undefined;
  let restoreError: string | undefined;
  try {
    const data = snapshots.get(`${DR}/${record.snapshotId}`);
    if (scenario === 'restore-timeout' || !data) {
      restoreError = `${drillId} did not become available within the drill timeout (${db.drill.timeout})`;
    } else {
      const restored = await PGlite.create({ loadDataDir: data });
      const port = await freePort();
      const server = new PGLiteSocketServer({ db: restored, port, host: '127.0.0.1' });
      await server.start();
      servers.push({ server, pg: restored });
      say(
        `Restored instance answers on 127.0.0.1:${port}; running ${db.drill.checks.length} data checks with the real check handler ...`,
      );
      const { handler } = await import('../../functions/drill/check-data');
      checked = (await runInScope({ env: { ...process.env, AWS_REGION: DR } }, () =>
        handler(
          {
            database: db.id,
            endpoint: { host: '127.0.0.1', port },
            credentials: { username: 'postgres', password: 'postgres' },
            databaseName: 'postgres',
            checks: db.drill.checks,
            recoveryPointTime: scheduledTime,
            restoreStartedAt,
            objectives: {
              rpoSeconds: parseDuration(db.objectives.rpo) as number,
              rtoSeconds: parseDuration(db.objectives.rto) as number,
            },
            ssl: false,
          },
          { functionName: 'drill-local', awsRequestId: 'local', getRemainingTimeInMillis: () => 60_000 } as never,
        ),
      )) as CheckDataOutput;
    }
  } finally {
    say(`Cleaning up: deleting ${drillId} (skip final snapshot) ...`);
    for (const { server, pg } of servers) {
      await server.stop();
      await pg.close();
    }
    await rds
      .send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: drillId, SkipFinalSnapshot: true }))
      .catch(() => undefined);
  }
  const left = ((await rds.send(new DescribeDBInstancesCommand({}))).DBInstances ?? [])
    .map((i) => i.DBInstanceIdentifier ?? '')
    .filter((id) => id.startsWith('lifeline-drill-'));

  const verdict = checked?.verdict;
  const rtoObjective = parseDuration(db.objectives.rto) as number;
  const rpoObjective = parseDuration(db.objectives.rpo) as number;
  const report = {
    database: db.id,
    status: verdict?.status === 'passed' && left.length === 0 ? 'passed' : 'failed',
    summary: verdict?.summary ?? `Drill of ${db.id} failed: ${restoreError}.`,
    recoveryPoint: { type: 'latest-copy', id: record.snapshotId, time: scheduledTime },
    rto: verdict?.rto ?? { measuredSeconds: null, objectiveSeconds: rtoObjective, met: false },
    rpo: verdict?.rpo ?? { measuredSeconds: null, objectiveSeconds: rpoObjective, met: false },
    checks: checked?.results ?? [],
    cleanup: { deleted: [drillId], leaked: left },
    startedAt: new Date(started).toISOString(),
    finishedAt: new Date().toISOString(),
  };
  mkdirSync(dirname(reportPath), { recursive: true });
  writeFileSync(reportPath, `${JSON.stringify(report, null, 2)}\n`);
  const htmlPath = reportPath.replace(/\.json$/, '') + '.html';
  writeFileSync(htmlPath, renderHtml(report));

  console.log('');
  console.table([
    { what: 'status', value: report.status },
    {
      what: 'RTO',
      value: `${report.rto.measuredSeconds ?? '-'} s (objective ${report.rto.objectiveSeconds} s) ${report.rto.met ? 'met' : 'NOT met'}`,
    },
    {
      what: 'RPO',
      value: `${report.rpo.measuredSeconds ?? '-'} s (objective ${report.rpo.objectiveSeconds} s) ${report.rpo.met ? 'met' : 'NOT met'}`,
    },
    ...report.checks.map((c) => ({ what: c.name, value: `${c.passed ? 'passed' : 'FAILED'}: ${c.detail}` })),
    { what: 'cleanup', value: left.length === 0 ? `deleted ${drillId}, nothing leaked` : `LEAKED ${left.join(', ')}` },
  ]);
  console.log(
    `\n${report.summary}\nReport: ${reportPath}\n        ${htmlPath}\nWall time: ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  exitCode = report.status === 'passed' ? 0 : 2;
} catch (error) {
  console.error(`The local drill could not run: ${(error as Error).message}`);
  exitCode = 1;
} finally {
  await aws.stop();
}
process.exit(exitCode);

function renderHtml(
  report: Record<string, unknown> & { checks: Array<{ name: string; passed: boolean; detail: string }> },
): string {
  const esc = (s: unknown) =>
    String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
  const rows = report.checks
    .map(
      (c) => `<tr><td>${esc(c.name)}</td><td>${c.passed ? '✔ passed' : '✘ failed'}</td><td>${esc(c.detail)}</td></tr>`,
    )
    .join('');
  return `<!doctype html><meta charset="utf-8"><title>Lifeline drill: ${esc(report.database)}</title>
<style>body{font:15px system-ui;margin:2em}td,th{padding:.3em .8em;border-bottom:1px solid #ddd;text-align:left}</style>
<h1>Drill of ${esc(report.database)}: ${esc(report.status)}</h1><p>${esc(report.summary)}</p>
<table><tr><th>check</th><th>result</th><th>detail</th></tr>${rows}</table>
<pre>${esc(JSON.stringify({ recoveryPoint: report.recoveryPoint, rto: report.rto, rpo: report.rpo, cleanup: report.cleanup }, null, 2))}</pre>`;
}
