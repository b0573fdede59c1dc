/**
 * `npm run drill:local`: the command line of the local drill (local-drill.ts does it). Usage mistakes print a line and
 * the usage and exit 64, before anything heavy is loaded; see USAGE for the flags and exit codes.
 *
 *   npm run drill:local -- [--config <file>] [--database <id>] [--scenario <name>] [--seed <file.sql>] [--report <file.json>]
 */
import { parseArgs } from 'node:util';

const EXIT = { passed: 0, couldNotRun: 1, failed: 2, usage: 64 } as const;

/** Ways to break a drill on purpose, to watch it fail properly; local-drill.ts makes each concrete for the database. */
const SCENARIOS = {
  none: 'a healthy database',
  'missing-rows': 'a table holds a fifth of the rows its rowCount check expects',
  'stale-data': 'the newest row of a freshness check is three RPOs old',
  'missing-table': "the canary row's table is gone",
  'slow-restore': 'the restore takes 5 minutes longer than the RTO',
  'restore-timeout': 'the restored database never becomes available',
  'no-connect': 'nothing listens at the restored endpoint',
} as const;
export type ScenarioName = keyof typeof SCENARIOS;

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

function usageError(message: string): never {
  process.stderr.write(`drill:local: ${message}\n\n${USAGE}`);
  process.exit(EXIT.usage);
}

/** What a person asked for; a mistake exits 64 with the usage, never a stack trace. */
function commandLine(argv: string[]) {
  const parse = () =>
    parseArgs({
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
    }).values;
  let values: ReturnType<typeof parse>;
  try {
    values = parse();
  } catch (error) {
    // parseArgs names the option: "Unknown option '--x'", "Option '--config <value>' argument missing".
    return usageError((error as Error).message.split('\n')[0]?.replace(/\.$/, '') ?? String(error));
  }
  if (!Object.hasOwn(SCENARIOS, values.scenario))
    usageError(`unknown --scenario ${values.scenario}; choose one of: ${Object.keys(SCENARIOS).join(', ')}`);
  return { ...values, scenario: values.scenario as ScenarioName };
}

const args = commandLine(process.argv.slice(2));
if (args.help) {
  process.stdout.write(USAGE);
  process.exit(EXIT.passed);
}
// Loaded only now: CDK, the SDK and the harness take seconds, which --help and a typo should not.
const { drillLocally, UsageError, CannotRun } = await import('./local-drill');
let exitCode: number;
try {
  const verdict = await drillLocally({ ...args, scenarioWords: SCENARIOS[args.scenario] });
  exitCode = verdict === 'passed' ? EXIT.passed : EXIT.failed;
} catch (error) {
  if (error instanceof UsageError) usageError(error.message);
  const message = error instanceof CannotRun ? error.message : (error as Error).message;
  console.error(`The local drill could not run: ${message}`);
  exitCode = EXIT.couldNotRun;
}
process.exit(exitCode);
