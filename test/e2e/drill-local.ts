/**
 * `npm run drill:local`: the whole story on this machine, no AWS account. moto is the AWS control plane; the data
 * plane is an embedded PostgreSQL (PGlite behind a socket, reached by the `pg` driver like RDS) or, for the MySQL
 * family, a real MariaDB server. The synthesized backup workflow snapshots and copies the database; the synthesized
 * drill workflow restores the DR copy, checks the data, measures RTO/RPO, reports and cleans up — all with the real
 * handlers. Without `--config` it drills the demo database `orders`; with it, a database of the user's own config,
 * seeded with sample data derived from its drill's checks. See USAGE.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
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
import { describeSample, type Family, sampleTables, seedSql } from './sample-for-checks';

const EXIT = { passed: 0, couldNotRun: 1, failed: 2, usage: 64 } as const;

/** Ways to break a drill on purpose, to watch it fail properly; each derived from the drilled database's config. */
const SCENARIOS = {
  none: 'a healthy database',
  'missing-rows': 'a table holds a fifth of the rows its rowCount check expects',
  'stale-data': 'the newest row of a freshness check is three RPOs old',
  'missing-table': "the canary row's table is gone",
  'slow-restore': 'the restore takes 5 minutes longer than the RTO',
  'restore-timeout': 'the restored database never becomes available',
  'no-connect': 'nothing listens at the restored endpoint',
} as const;
type ScenarioName = keyof typeof SCENARIOS;

const USAGE = `Usage: npm run drill:local -- [options]

Backs up a database and drills it on this machine, with no AWS account: moto stands in for AWS, an embedded
PostgreSQL (PGlite) or a local MariaDB server for the database. The synthesized backup and drill workflows run
with the real functions; the drill report is written as JSON and HTML.

Options:
  --config <file>       your Lifeline config: a .ts file whose default export is defineConfig({...}), or .json.
                        The database is seeded with sample data that fits its drill's checks.
                        Default: the built-in demo config and its "orders" database.
  --database <id>       the database to drill. Default: the first one with a drill.
  --seed <file.sql>     SQL run in the database after the sample data, e.g. for what your sql checks need.
  --scenario <name>     break the drill on purpose. Default: none.
${Object.entries(SCENARIOS)
  .map(([name, what]) => `                          ${name.padEnd(16)} ${what}`)
  .join('\n')}
  --report <file.json>  where the report goes (and the HTML beside it). Default: test/.out/drill-report.json
  -h, --help            print this and exit.

Exit codes:
  0   the drill passed
  2   the drill failed: the summary and the report say why
  1   the drill could not run (invalid config, moto or mariadbd missing, ...): the message says what to do first
  64  a bad command line: unknown option, missing value, unknown database or scenario

Times: waits and retry intervals of the workflows run on a simulated clock, so a drill takes seconds; starting
the databases and running the functions take real time. The summary says which times are simulated.
`;

class UsageError extends Error {
  override name = 'UsageError';
}

/** What a person asked for, from the command line; a mistake is a UsageError (exit 64), never a stack trace. */
function commandLine(argv: string[]) {
  try {
    const { values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        config: { type: 'string' },
        database: { type: 'string' },
        seed: { type: 'string' },
        scenario: { type: 'string', default: 'none' },
        report: { type: 'string', default: 'test/.out/drill-report.json' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
    if (!Object.hasOwn(SCENARIOS, values.scenario))
      throw new UsageError(
        `unknown --scenario ${values.scenario}; choose one of: ${Object.keys(SCENARIOS).join(', ')}`,
      );
    return { ...values, scenario: values.scenario as ScenarioName };
  } catch (error) {
    if (error instanceof UsageError) throw error;
    // parseArgs's own messages name the option: "Unknown option '--x'", "Option '--config <value>' argument missing".
    throw new UsageError((error as Error).message.split('\n')[0]?.replace(/\.$/, '') ?? String(error));
  }
}

const usageError = (message: string): never => {
  process.stderr.write(`drill:local: ${message}\n\n${USAGE}`);
  process.exit(EXIT.usage);
};

let args: ReturnType<typeof commandLine>;
try {
  args = commandLine(process.argv.slice(2));
} catch (error) {
  usageError((error as Error).message);
  throw error;
}
if (args.help) {
  process.stdout.write(USAGE);
  process.exit(EXIT.passed);
}

const started = Date.now();
const say = (line: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s] ${line}`);
const QUIET = { POWERTOOLS_LOG_LEVEL: 'ERROR' };
const couldNotRun = (message: string): never => {
  console.error(`The local drill could not run: ${message}`);
  process.exit(EXIT.couldNotRun);
};

// The config: the user's, or the demo's. An invalid one says what to fix, as `cdk synth` would.
const configPath = args.config;
let input: LifelineConfigInput;
let databases: readonly DatabaseConfig[];
try {
  input = configPath ? await readConfig(configPath) : baseConfig();
  databases = validateConfig(input, configPath ?? 'the demo config').databases;
} catch (error) {
  if (error instanceof ConfigError) couldNotRun(`${error.message}\nFix the config first.`);
  throw error;
}
const drilled = databases.filter((d) => d.drill);
const withDrills = drilled.map((d) => d.id).join(', ') || 'none';
/** The database to drill: `--database`, else the first with a drill. */
function chooseDatabase(): DatabaseConfig & { drill: NonNullable<DatabaseConfig['drill']> } {
  const found = args.database ? databases.find((d) => d.id === args.database) : drilled[0];
  if (!found)
    return args.database
      ? usageError(`unknown --database ${args.database}; databases with a drill: ${withDrills}`)
      : couldNotRun(`${configPath} has no database with a drill: add databases[].drill to one first.`);
  const { drill } = found;
  if (!drill) return usageError(`database ${found.id} has no drill; databases with a drill: ${withDrills}`);
  return { ...found, drill };
}
const database = chooseDatabase();
const { drill } = database;
const family: Family = database.engine.includes('postgres') ? 'postgres' : 'mysql';
const demo = configPath === undefined;

/** The scenario, made concrete for this database; one the database's checks cannot show is a usage error. */
function scenarioFor(name: ScenarioName): { what: string; data?: SampleData; faults?: Fault[]; unreachable?: boolean } {
  const { checks } = drill;
  const needs = (type: string) =>
    usageError(`--scenario ${name} needs a ${type} check, and the drill of ${database.id} has none`);
  switch (name) {
    case 'none':
      return { what: SCENARIOS.none };
    case 'missing-rows': {
      const check = checks.find((c) => c.type === 'rowCount' && c.min > 0);
      if (check?.type !== 'rowCount') return needs('rowCount (with min above 0)');
      const rows = Math.floor(check.min / 5);
      return { what: `table ${check.table} has only ${rows} rows (at least ${check.min} expected)`, data: { rows } };
    }
    case 'stale-data': {
      const check = checks.find((c) => c.type === 'freshness');
      if (check?.type !== 'freshness') return needs('freshness');
      const rpo = database.objectives.rpo.seconds ?? 0;
      return {
        what: `the newest ${check.table}.${check.column} is ${formatDuration(3 * rpo)} old (RPO objective ${formatDuration(rpo)})`,
        data: { newestAgeMinutes: (3 * rpo) / 60 },
      };
    }
    case 'missing-table': {
      const check = checks.find((c) => c.type === 'canary');
      if (check?.type !== 'canary') return needs('canary');
      return { what: `the canary table ${check.table} is gone`, data: { canary: false } };
    }
    case 'slow-restore': {
      const seconds = (database.objectives.rto.seconds ?? 0) + 5 * 60;
      return {
        what: `the restore takes ${formatDuration(seconds)} (RTO objective ${formatDuration(seconds - 300)})`,
        faults: [drillInstanceStatus('creating', { forSeconds: seconds })],
      };
    }
    case 'restore-timeout':
      return { what: SCENARIOS['restore-timeout'], faults: [drillInstanceStatus('creating')] };
    case 'no-connect':
      return { what: SCENARIOS['no-connect'], unreachable: true };
  }
}
const scenario = scenarioFor(args.scenario);

let seedFile: string | undefined;
try {
  seedFile = args.seed === undefined ? undefined : readFileSync(args.seed, 'utf8');
} catch (error) {
  couldNotRun(`cannot read --seed ${args.seed}: ${(error as Error).message}`);
}

/**
 * The config as the emulator can run it, and what was changed: moto has one account, no keys of the user's and
 * makes its own secret ARNs; a checksum's expected digest is one of the real data, which sample rows cannot match.
 */
function forTheEmulator(config: LifelineConfigInput): { config: LifelineConfigInput; notes: string[] } {
  const notes: string[] = [];
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
      if (secretName && db.id === database.id)
        notes.push(`the drill's credentials are the local secret ${secretName} (from your ARN)`);
      return {
        ...rest,
        drill: {
          ...drillRest,
          credentialsSecret: secretName ?? drillRest.credentialsSecret,
          checks: drillRest.checks.map((check) => {
            if (check.type !== 'checksum' || check.expected === undefined) return check;
            if (db.id === database.id)
              notes.push(
                `checksum:${check.table}: your expected digest is of your own data, which the sample rows cannot match; this drill records the sample table's digest instead`,
              );
            const { expected: _, ...recorded } = check;
            return recorded;
          }),
        },
      };
    }),
  };
  if (keys.size > 0)
    notes.push(
      `${[...keys].join(' and ')} left out: the emulator has none of your KMS keys (the local data is unencrypted)`,
    );
  return { config: local, notes };
}
const local = demo ? { config: input, notes: [] } : forTheEmulator(input);

/** The production database as RDS knows it, in moto (the data plane gives it its data). */
function createProduction(aws: LocalAws) {
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

const tables = demo ? [] : sampleTables(drill.checks, scenario.data);
const sqlChecks = drill.checks.flatMap((c) => (c.type === 'sql' ? [`sql:${c.name}`] : []));
const reportPath = resolve(args.report);

say(
  `Lifeline local drill of "${database.id}" (${database.engine} ${database.kind}) from ${configPath ?? 'the demo config'} — scenario ${args.scenario}: ${scenario.what}`,
);
for (const note of local.notes) say(`Note: ${note}.`);
if (!demo) {
  say("Sample data from the drill's checks:");
  for (const line of describeSample(tables)) say(`  · ${line}`);
  if (seedFile !== undefined) say(`  · then ${args.seed}`);
  if (sqlChecks.length > 0 && seedFile === undefined)
    say(
      `Note: ${sqlChecks.join(', ')} ${sqlChecks.length === 1 ? 'is your own query and runs' : 'are your own queries and run'} as written against this sample data: what a query needs beyond the tables and columns the other checks name fails it, truthfully; add that with --seed <file.sql>.`,
    );
}
say('Starting moto and synthesizing the stacks from the config ...');
let aws: LocalAws | undefined;
let plane: LocalDataPlane | undefined;
let mariadb: MariaDb | undefined;
let exitCode: number = EXIT.couldNotRun;
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
  await createProduction(aws).catch((error: Error) => {
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
  const run = await runWorkflow(
    aws.cloud,
    aws.cloud.stateMachine('-drill'),
    { database: database.id },
    {
      environment: QUIET,
      faults: scenario.faults,
      onState: (name, _type, simulated) =>
        say(`  · ${name}${simulated > 0 ? ` (simulated clock +${formatDuration(simulated)})` : ''}`),
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

  console.log(`\n${summaryTable(report, run.simulatedSeconds)}`);
  console.log(
    `\n${report.summary}\nReport: ${reportPath}\n        ${htmlPath}\nWall time: ${formatDuration((Date.now() - started) / 1000)}`,
  );
  exitCode = report.status === 'passed' ? EXIT.passed : EXIT.failed;
} catch (error) {
  console.error(`The local drill could not run: ${(error as Error).message}`);
  exitCode = EXIT.couldNotRun;
} finally {
  await plane?.stop();
  await mariadb?.stop();
  await aws?.stop();
}
process.exit(exitCode);

/**
 * The summary as a plain aligned table, durations in formatDuration's one style. The harness clock is real time plus
 * the simulated waits and retry intervals: a measured RTO includes them, so the table says how much was simulated.
 */
function summaryTable(report: DrillReport, simulatedSeconds: number): string {
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
    ...report.checks.map((c): [string, string] => [c.name, `${c.passed ? 'passed' : 'FAILED'}: ${c.detail}`]),
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
