/**
 * `npm run failover:local`: the command line of the local failover (local-failover.ts does it). Usage mistakes print
 * a line and the usage and exit 64, before anything heavy is loaded; see USAGE for the flags and exit codes.
 *
 *   npm run failover:local -- --scenario region-outage [--dry-run] [--approve | --reject] [--drill] [--record <file.json>]
 */
import { parseArgs } from 'node:util';

const EXIT = { done: 0, couldNotRun: 1, failed: 2, usage: 64 } as const;

const SCENARIOS = {
  'region-outage': 'the primary region is gone: the newest verified DR copy is restored in the DR region',
  'database-corruption': 'bad writes an hour ago: the newest DR copy taken before them is restored',
  ransomware: 'only vault copies may be used; the local config has no vault, so the failover refuses (as it must)',
} as const;
export type LocalScenario = keyof typeof SCENARIOS;

const USAGE = `Usage: npm run failover:local -- --scenario <name> [options]

Fails the demo database "orders" over into the DR region on this machine, with no AWS account: moto stands in
for AWS (RDS, Route 53, SNS, S3, Step Functions), an embedded PostgreSQL (PGlite) for the database, and a small
DNS server answers the Route 53 records. The synthesized backup and failover workflows run with the real
functions: pre-checks, the approval request, the recovery, the Route 53 change, the verification through the
name, and the failover record (JSON and HTML).

Options:
  --scenario <name>     what happened. Default: region-outage.
${Object.entries(SCENARIOS)
  .map(([name, what]) => `                          ${name.padEnd(20)} ${what}`)
  .join('\n')}
  --dry-run             every read and check, and the exact plan of changes; nothing is changed.
  --approve             answer the approval request with approve (the default: the request is printed as the
                        on-call person would read it, then approved with the command it names).
  --reject              answer it with reject instead: the failover stops and nothing is changed.
  --drill               a failover drill: a restored copy behind the shadow record drill-orders.db.example.com,
                        no approval, then both deleted; db.example.com is not touched.
  --record <file.json>  where the failover record goes (and the HTML beside it).
                        Default: test/.out/failover-record.json
  -h, --help            print this and exit.

Exit codes:
  0   failed over and verified through the name (a dry run: planned; a drill: passed)
  2   the failover did not complete (rejected, refused by a pre-check, not verified): the summary says why
  1   it could not run (moto missing, ...): the message says what to do first
  64  a bad command line: unknown option, missing value, unknown scenario, contradicting flags

Times: waits, polls and retry intervals run on a simulated clock, so a failover takes seconds; the approval is
answered 2 minutes into the run on that clock. The summary says which times are simulated.
`;

function usageError(message: string): never {
  process.stderr.write(`failover:local: ${message}\n\n${USAGE}`);
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
        scenario: { type: 'string', default: 'region-outage' },
        'dry-run': { type: 'boolean', default: false },
        approve: { type: 'boolean', default: false },
        reject: { type: 'boolean', default: false },
        drill: { type: 'boolean', default: false },
        record: { type: 'string', default: 'test/.out/failover-record.json' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  let values: ReturnType<typeof parse>;
  try {
    values = parse();
  } catch (error) {
    // parseArgs names the option: "Unknown option '--x'", "Option '--scenario <value>' argument missing".
    return usageError((error as Error).message.split('\n')[0]?.replace(/\.$/, '') ?? String(error));
  }
  if (values.help) return { ...values, scenario: 'region-outage' as LocalScenario };
  if (!Object.hasOwn(SCENARIOS, values.scenario))
    usageError(`unknown --scenario ${values.scenario}; choose one of: ${Object.keys(SCENARIOS).join(', ')}`);
  if (values.approve && values.reject) usageError('--approve and --reject contradict each other; give one');
  if (values.drill && (values.approve || values.reject))
    usageError('a --drill asks for no approval (it changes nothing in production); leave out --approve and --reject');
  if (values['dry-run'] && (values.approve || values.reject))
    usageError('a --dry-run asks for no approval (it changes nothing); leave out --approve and --reject');
  if (!values.record.endsWith('.json')) usageError(`--record ${values.record}: expected a file name ending in .json`);
  return { ...values, scenario: values.scenario as LocalScenario };
}

const args = commandLine(process.argv.slice(2));
if (args.help) {
  process.stdout.write(USAGE);
  process.exit(EXIT.done);
}
// Loaded only now: CDK, the SDK and the harness take seconds, which --help and a typo should not.
const { failOverLocally } = await import('./local-failover');
let exitCode: number;
try {
  const done = await failOverLocally({
    scenario: args.scenario,
    scenarioWords: SCENARIOS[args.scenario],
    dryRun: args['dry-run'],
    answer: args.reject ? 'reject' : 'approve',
    drill: args.drill,
    record: args.record,
  });
  exitCode = done ? EXIT.done : EXIT.failed;
} catch (error) {
  console.error(`The local failover could not run: ${(error as Error).message}`);
  exitCode = EXIT.couldNotRun;
}
process.exit(exitCode);
