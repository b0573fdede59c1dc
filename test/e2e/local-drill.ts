/**
 * What `npm run drill:local` does (its command line is drill-local.ts): the whole story on this machine, no AWS
 * account. moto is the AWS control plane; the data plane is an embedded PostgreSQL (PGlite behind a socket, reached
 * by the `pg` driver like RDS) or, for the MySQL family, a real MariaDB server. The synthesized backup workflow snapshots and copies the database; the synthesized
 * drill workflow restores the DR copy, checks the data, measures RTO/RPO, reports and cleans up — all with the real
 * handlers. Without `--config` it drills the demo database `orders`; with it, a database of the user's own config,
 * seeded with sample data derived from its drill's checks.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import {
  CreateDBClusterCommand,
  CreateDBInstanceCommand,
  DescribeDBInstancesCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { DrillReport } from '../../functions/drill/contracts';
import { formatDuration } from '../../functions/drill/verdict';
import { ConfigError, readConfig, validateConfig } from '../../infra/config/load';
import type { DatabaseConfig, LifelineConfigInput } from '../../infra/config/schema';
import { baseConfig } from '../fixtures/configs';
import { type SampleData, seedOrders } from '../fixtures/sample-data';
import { ACCOUNT } from '../harness/cloud';
import { LocalDataPlane } from '../harness/data-plane';
import { drillInstanceStatus, type Fault } from '../harness/faults';
import { type LocalAws, startLocalAws } from '../harness/local-aws';
import { MARIADB_LOGIN, MariaDb } from '../harness/mariadb';
import { latestDrillReport } from '../harness/reports';
import { runWorkflow } from '../harness/run-workflow';
import type { ScenarioName } from './drill-local';
import { describeSample, type Family, sampleTables, seedSql } from './sample-for-checks';

/** A mistake on the command line (exit 64): an unknown database, a scenario the database's checks cannot show. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The drill could not run (exit 1); the message says what to do first. */
export class CannotRun extends Error {
  override name = 'CannotRun';
}

export interface LocalDrillOptions {
  /** The user's config file; undefined: the demo config and its `orders` database. */
  readonly config?: string;
  /** @default the first database with a drill */
  readonly database?: string;
  /** SQL run in the production database after the sample data. */
  readonly seed?: string;
  readonly scenario: ScenarioName;
  /** The scenario in words, as --help gives it. */
  readonly scenarioWords: string;
  readonly report: string;
}

type Database = DatabaseConfig & { readonly drill: NonNullable<DatabaseConfig['drill']> };
interface Scenario {
  readonly what: string;
  readonly data?: SampleData;
  readonly faults?: Fault[];
  readonly unreachable?: boolean;
}

const QUIET = { POWERTOOLS_LOG_LEVEL: 'ERROR' };

/** Backs up and drills one database locally, printing a line per step and the summary; the drill's verdict. */
export async function drillLocally(options: LocalDrillOptions): Promise<'passed' | 'failed'> {
  const started = Date.now();
  const say = (line: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s] ${line}`);
  const demo = options.config === undefined;
  const source = options.config ?? 'the demo config';
  // The config: the user's, or the demo's. An invalid one says what to fix, as `cdk synth` would.
  let input: LifelineConfigInput;
  let databases: readonly DatabaseConfig[];
  try {
    input = options.config ? await readConfig(options.config) : baseConfig();
    databases = validateConfig(input, source).databases;
  } catch (error) {
    if (error instanceof ConfigError) throw new CannotRun(`${error.message}\nFix the config first.`);
    throw error;
  }
  const database = chooseDatabase(databases, options.database, source);
  const { drill } = database;
  const family: Family = database.engine.includes('postgres') ? 'postgres' : 'mysql';
  const scenario = scenarioFor(options.scenario, options.scenarioWords, database);
  let seedFile: string | undefined;
  try {
    seedFile = options.seed === undefined ? undefined : readFileSync(options.seed, 'utf8');
  } catch (error) {
    throw new CannotRun(`cannot read --seed ${options.seed}: ${(error as Error).message}`);
  }
  const local = demo ? { config: input, notes: [], recorded: [] } : forTheEmulator(input, database.id);
  const tables = demo ? [] : sampleTables(drill.checks, scenario.data);
  const sqlChecks = drill.checks.flatMap((c) => (c.type === 'sql' ? [`sql:${c.name}`] : []));
  const reportPath = resolve(options.report);

  say(
    `Lifeline local drill of "${database.id}" (${database.engine} ${database.kind}) from ${source} — scenario ${options.scenario}: ${scenario.what}`,
  );
  for (const note of local.notes) say(`Note: ${note}.`);
  if (!demo) {
    say("Sample data from the drill's checks:");
    for (const line of describeSample(tables)) say(`  · ${line}`);
    if (seedFile !== undefined) say(`  · then ${options.seed}`);
    if (sqlChecks.length > 0 && seedFile === undefined)
      say(
        `Note: ${sqlChecks.join(', ')} ${sqlChecks.length === 1 ? 'is your own query and runs' : 'are your own queries and run'} as written against this sample data: what a query needs beyond the tables and columns the other checks name fails it, truthfully; add that with --seed <file.sql>.`,
      );
  }
  say('Starting moto and synthesizing the stacks from the config ...');
  let aws: LocalAws | undefined;
  let plane: LocalDataPlane | undefined;
  let mariadb: MariaDb | undefined;
  try {
    aws = await startLocalAws(local.config);
    const dr = aws.app.config.drRegion;
    if (family === 'postgres') {
      say('Starting the embedded PostgreSQL (PGlite) as the production database and seeding it ...');
      plane = await LocalDataPlane.start(async (db) => {
        if (demo) await seedOrders(db, scenario.data);
        else await db.exec(seedSql('postgres', tables, scenario.data));
        if (seedFile !== undefined) await db.exec(seedFile);
      });
    } else {
      say('Starting a MariaDB server as the production database and seeding it ...');
      mariadb = await MariaDb.start();
      await mariadb.exec(`create database \`${drill.databaseName}\``);
      await mariadb.exec(seedSql('mysql', tables, scenario.data), drill.databaseName);
      if (seedFile !== undefined) await mariadb.exec(seedFile, drill.databaseName);
      plane = new LocalDataPlane().addMysql(database.identifier, mariadb, drill.databaseName);
    }
    plane.unreachable = scenario.unreachable ?? false;
    await createProduction(aws, database).catch((error: Error) => {
      throw new Error(`moto refused the production ${database.engine} ${database.kind}: ${error.message}`);
    });
    // Any login works against PGlite; a MariaDB server of the harness knows MARIADB_LOGIN.
    const login = family === 'mysql' ? MARIADB_LOGIN : { username: 'postgres', password: 'postgres' };
    await aws.client(SecretsManagerClient, dr).send(
      new CreateSecretCommand({
        // As the config names it (forTheEmulator made an ARN its name).
        Name: local.config.databases.find((d) => d.id === database.id)?.drill?.credentialsSecret,
        SecretString: JSON.stringify(login),
      }),
    );

    say('Backup workflow (synthesized definition, real handlers):');
    const backup = await runWorkflow(
      aws.cloud,
      aws.cloud.stateMachine('-backup'),
      { database: database.id },
      { environment: QUIET, onState: (name) => say(`  · ${name}`) },
    );
    if (backup.status !== 'SUCCEEDED') throw new Error(`the backup failed: ${backup.error}: ${backup.cause}`);
    say(`Backup done in ${backup.transitions} state transitions.`);

    say(`Drill workflow in ${dr}:`);
    let simulatedSoFar = 0;
    const run = await runWorkflow(
      aws.cloud,
      aws.cloud.stateMachine('-drill'),
      { database: database.id },
      {
        environment: QUIET,
        faults: scenario.faults,
        onState: (name, _type, simulated) => {
          const waited = simulated - simulatedSoFar;
          simulatedSoFar = simulated;
          say(`  · ${name}${waited > 0 ? ` (after ${formatDuration(waited)} on the simulated clock)` : ''}`);
        },
      },
    );
    const stored = await latestDrillReport(aws);
    if (!stored) throw new Error(`the drill wrote no report (${run.error}: ${run.cause})`);
    // Cross-check the report's cleanup against what moto still has.
    const left = ((await aws.client(RDSClient, dr).send(new DescribeDBInstancesCommand({}))).DBInstances ?? [])
      .map((i) => i.DBInstanceIdentifier ?? '')
      .filter((id) => id.startsWith('lifeline-drill-'));
    const report: DrillReport = {
      ...stored.json,
      cleanup: { ...stored.json.cleanup, leaked: [...new Set([...stored.json.cleanup.leaked, ...left])] },
    };
    mkdirSync(dirname(reportPath), { recursive: true });
    writeFileSync(reportPath, `${JSON.stringify(report, null, 2)}\n`);
    const htmlPath = `${reportPath.replace(/\.json$/, '')}.html`;
    writeFileSync(htmlPath, stored.html);

    console.log(`\n${summaryTable(report, run.simulatedSeconds, local.recorded)}`);
    const failedSql = report.checks.filter((c) => c.name.startsWith('sql:') && !c.passed).map((c) => c.name);
    if (!demo && failedSql.length > 0 && seedFile === undefined)
      console.log(
        `\n${failedSql.join(', ')} failed on sample data made only from your other checks: if the query needs more, give it with --seed <file.sql>.`,
      );
    console.log(
      `\n${report.summary}\nReport: ${reportPath}\n        ${htmlPath}\nWall time: ${formatDuration((Date.now() - started) / 1000)}`,
    );
    return report.status;
  } finally {
    await plane?.stop();
    await mariadb?.stop();
    await aws?.stop();
  }
}

/** The database to drill: `id`, else the first with a drill. */
function chooseDatabase(databases: readonly DatabaseConfig[], id: string | undefined, source: string): Database {
  const drilled = databases.filter((d) => d.drill);
  const withDrills = drilled.map((d) => d.id).join(', ') || 'none';
  const found = id ? databases.find((d) => d.id === id) : drilled[0];
  if (!found) {
    if (id) throw new UsageError(`unknown --database ${id}; databases with a drill: ${withDrills}`);
    throw new CannotRun(`${source} has no database with a drill: add databases[].drill to one first.`);
  }
  const { drill } = found;
  if (!drill) throw new UsageError(`database ${found.id} has no drill; databases with a drill: ${withDrills}`);
  return { ...found, drill };
}

/** The scenario, made concrete for this database; one its checks cannot show is a usage error. */
function scenarioFor(name: ScenarioName, words: string, database: Database): Scenario {
  const { checks } = database.drill;
  const needs = (type: string) =>
    new UsageError(`--scenario ${name} needs a ${type} check, and the drill of ${database.id} has none`);
  switch (name) {
    case 'none':
      return { what: words };
    case 'missing-rows': {
      const check = checks.find((c) => c.type === 'rowCount' && c.min > 0);
      if (check?.type !== 'rowCount') throw needs('rowCount (with min above 0)');
      const rows = Math.floor(check.min / 5);
      return { what: `table ${check.table} has only ${rows} rows (at least ${check.min} expected)`, data: { rows } };
    }
    case 'stale-data': {
      const check = checks.find((c) => c.type === 'freshness');
      if (check?.type !== 'freshness') throw needs('freshness');
      const rpo = database.objectives.rpo.seconds;
      return {
        what: `the newest ${check.table}.${check.column} is ${formatDuration(3 * rpo)} old (RPO objective ${formatDuration(rpo)})`,
        data: { newestAgeMinutes: (3 * rpo) / 60 },
      };
    }
    case 'missing-table': {
      const check = checks.find((c) => c.type === 'canary');
      if (check?.type !== 'canary') throw needs('canary');
      return { what: `the canary table ${check.table} is gone`, data: { canary: false } };
    }
    case 'slow-restore': {
      const rto = database.objectives.rto.seconds;
      return {
        what: `the restore takes ${formatDuration(rto + 300)} (RTO objective ${formatDuration(rto)})`,
        faults: [drillInstanceStatus('creating', { forSeconds: rto + 300 })],
      };
    }
    case 'restore-timeout':
      return { what: words, faults: [drillInstanceStatus('creating')] };
    case 'no-connect':
      return { what: words, unreachable: true };
  }
}

/**
 * The config as the emulator can run it, and what was changed: moto has one account, no keys of the user's and
 * makes its own secret ARNs; a checksum's expected digest is one of the real data, which sample rows cannot match.
 */
function forTheEmulator(
  config: LifelineConfigInput,
  drilled: string,
): { config: LifelineConfigInput; notes: string[]; recorded: string[] } {
  const notes: string[] = [];
  const recorded: string[] = [];
  if (config.account && config.account !== ACCOUNT)
    notes.push(`the emulator's account ${ACCOUNT} stands in for account ${config.account}`);
  const keys = new Set<string>();
  const local = {
    ...config,
    ...(config.account ? { account: ACCOUNT } : {}),
    databases: config.databases.map((db) => {
      const { sourceKey, ...rest } = db;
      if (sourceKey) keys.add('sourceKey');
      if (!rest.drill) return rest;
      const { credentialsSecretKey, ...drillRest } = rest.drill;
      if (credentialsSecretKey) keys.add('drill.credentialsSecretKey');
      const secretName = /:secret:(.+)-[A-Za-z0-9]{6}$/.exec(drillRest.credentialsSecret)?.[1];
      if (secretName && db.id === drilled)
        notes.push(`the drill's credentials are the local secret ${secretName} (from your ARN)`);
      return {
        ...rest,
        drill: {
          ...drillRest,
          credentialsSecret: secretName ?? drillRest.credentialsSecret,
          checks: drillRest.checks.map((check) => {
            if (check.type !== 'checksum' || check.expected === undefined) return check;
            if (db.id === drilled) {
              recorded.push(`checksum:${check.table}`);
              notes.push(
                `checksum:${check.table}: your expected digest is of your own data, which the sample rows cannot match; this drill records the sample table's digest instead`,
              );
            }
            const { expected: _, ...withoutExpected } = check;
            return withoutExpected;
          }),
        },
      };
    }),
  };
  if (keys.size > 0)
    notes.push(
      `${[...keys].join(' and ')} left out: the emulator has none of your KMS keys (the local data is unencrypted)`,
    );
  return { config: local, notes, recorded };
}

/** The production database as RDS knows it, in moto (the data plane gives it its data). */
function createProduction(aws: LocalAws, database: Database) {
  const rds = aws.client(RDSClient, aws.app.config.primaryRegion);
  const login = { MasterUsername: 'app', MasterUserPassword: 'fixture-password' };
  if (database.kind === 'cluster')
    // An unencrypted Aurora cluster cannot be copied to the DR region under the DR key.
    return rds.send(
      new CreateDBClusterCommand({
        DBClusterIdentifier: database.identifier,
        Engine: database.engine,
        StorageEncrypted: true,
        ...login,
      }),
    );
  return rds.send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: database.identifier,
      Engine: database.engine,
      // moto knows no default version for MariaDB.
      ...(database.engine === 'mariadb' ? { EngineVersion: '10.11.9' } : {}),
      DBInstanceClass: 'db.t4g.micro',
      AllocatedStorage: 20,
      ...login,
    }),
  );
}

/**
 * The summary as a plain aligned table, durations in formatDuration's one style. The harness clock is real time plus
 * the simulated waits and retry intervals: a measured RTO includes them, so the table says how much was simulated.
 */
function summaryTable(report: DrillReport, simulatedSeconds: number, recorded: readonly string[]): string {
  const objective = (o: DrillReport['rto']) => {
    const measured = o.measured && o.measuredSeconds !== null ? formatDuration(o.measuredSeconds) : 'not measured';
    const outcome = o.outcome === 'met' ? 'met' : o.outcome === 'waived' ? `waived: ${o.waiver}` : 'NOT met';
    return `${measured} (objective ${formatDuration(o.objectiveSeconds)}): ${outcome}`;
  };
  const simulated =
    simulatedSeconds > 0 ? `${formatDuration(simulatedSeconds)} of the drill simulated` : 'no wait simulated';
  const rows: [string, string][] = [
    ['drill', report.status],
    ['recovery point', report.recoveryPoint ? `${report.recoveryPoint.type} ${report.recoveryPoint.id}` : 'none'],
    ['RTO', `${objective(report.rto)} — harness clock, ${simulated}`],
    ['RPO', `${objective(report.rpo)} — from the sample's newest row to the recovery point`],
    ...report.checks.map((c): [string, string] => [
      c.name,
      `${c.passed ? 'passed' : 'FAILED'}: ${recorded.includes(c.name) ? c.detail.replace('(no expected value configured)', '(your expected digest, of your own data, left out locally)') : c.detail}`,
    ]),
    [
      'cleanup',
      report.cleanup.leaked.length === 0
        ? `deleted ${report.cleanup.deleted.join(', ') || 'nothing'}; nothing left behind`
        : `LEFT BEHIND ${report.cleanup.leaked.join(', ')}`,
    ],
  ];
  const width = Math.max(...rows.map(([what]) => what.length));
  return [
    ...rows.map(([what, value]) => `  ${what.padEnd(width)}  ${value}`),
    '',
    '  Times are on the harness clock: waits and retry intervals of the workflows are simulated; starting the',
    '  databases and running the functions take real time.',
  ].join('\n');
}
