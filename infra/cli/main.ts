import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { InvokeCommand, type InvokeCommandOutput } from '@aws-sdk/client-lambda';
import { StartExecutionCommand, type StartExecutionCommandOutput } from '@aws-sdk/client-sfn';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { RecoveryPointChoice } from '../../functions/drill/contracts';
import { type DrillRequest, drillRequestProblems } from '../../functions/drill/validate-drill';
import { renderRollupHtml } from '../../functions/evidence/render-rollup';
import { periodOf } from '../../functions/evidence/rollup';
import { type FailoverRequest, SCENARIOS, type Scenario } from '../../functions/failover/contracts';
import { DR_OUTPUT, PRIMARY_OUTPUT } from '../outputs';
import { call } from './aws';
import { CliError, EXIT, environmentError, usageError } from './errors';
import { rollUpEvidence } from './evidence';
import { type Followed, follow } from './follow';
import { databaseOf, findInstallation, type Installation, required } from './installation';
import { duration, type Io, line, progressStream, rows, writeJson } from './output';
import {
  executionArnOf,
  findDrillReport,
  findFailoverRecord,
  isFailoverExecution,
  readObject,
  reportExecutionArn,
  reportsBucketOf,
} from './records';
import { FAILOVER_DONE, failoverRecordText, reportText } from './report';
import { gatherStatus, printStatus } from './status';

interface GlobalOptions {
  readonly name: string;
  readonly region?: string;
  readonly json: boolean;
}

interface Context {
  readonly io: Io;
  readonly options: GlobalOptions;
  /** The installation, found once by its stacks' outputs. */
  installation(): Promise<Installation>;
  /** The exit code the command ends with (0 unless it says otherwise). */
  exit(code: number): void;
}

const EXIT_CODES = `
Exit codes:
  0  done; status: nothing needs attention
  1  the run failed (--follow), status found something that needs attention, or the incident command refused
  2  a bad command line: unknown command or option, unknown database, a malformed value (the usage is shown)
  3  the environment: no stack found, no credentials, access denied, throttled, AWS unreachable

Environment: AWS_PROFILE, AWS_REGION (or --region: the DR or the primary region of the installation) and
AWS_ENDPOINT_URL (an emulator such as LocalStack) are used as the AWS SDK reads them.`;

const seconds = (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a number of seconds');
  return n;
};

const whoAmI = () => {
  try {
    return userInfo().username;
  } catch {
    return undefined;
  }
};

/** `--point`: latest, a snapshot id, or an ISO-8601 time (a point-in-time restore). */
export function recoveryPointOf(point: string): RecoveryPointChoice {
  if (point === 'latest') return { type: 'latest' };
  if (/^\d{4}-\d{2}-\d{2}T/.test(point)) return { type: 'pointInTime', time: point };
  return { type: 'snapshot', id: point };
}

const followOptions = (command: Command) =>
  command
    .option('--follow', 'show the steps as they run, then the summary')
    .addOption(new Option('--interval <seconds>', 'seconds between polls with --follow').default(5).argParser(seconds));

/** Starts an execution; with --follow, shows it to the end. */
async function startExecution(
  ctx: Context,
  what: 'backup' | 'drill' | 'failover',
  region: string,
  stateMachineArn: string,
  input: object,
  options: { follow?: boolean; interval: number },
): Promise<void> {
  const started = await call<StartExecutionCommandOutput>(
    'states',
    region,
    new StartExecutionCommand({ stateMachineArn, input: JSON.stringify(input) }),
  );
  const executionArn = started.executionArn ?? '';
  const note = progressStream(ctx.io);
  if (!options.follow) {
    if (ctx.io.json) return writeJson(ctx.io, { executionArn, startDate: started.startDate?.toISOString(), input });
    line(ctx.io.out, `Started the ${what} of ${(input as { database: string }).database}: ${executionArn}`);
    line(ctx.io.out, `Follow it with: lifeline follow ${executionArn}`);
    return;
  }
  line(note, `Started the ${what} of ${(input as { database: string }).database}: ${executionArn}`);
  await followToEnd(ctx, executionArn, options.interval);
}

async function followToEnd(ctx: Context, executionArn: string, interval: number): Promise<void> {
  const region = executionArn.split(':')[3] ?? '';
  const followed = await follow(region, executionArn, ctx.io, { intervalSeconds: interval });
  const workflow = /:execution:([^:]+):/.exec(executionArn)?.[1] ?? '';
  const isDrill = workflow.endsWith('-drill');
  const report = isDrill ? await drillReportLocation(ctx, followed) : undefined;
  if (followed.status !== 'SUCCEEDED') ctx.exit(EXIT.failed);
  if (ctx.io.json) return writeJson(ctx.io, { ...followed, ...(report ? { report } : {}) });
  printSummary(ctx.io, workflow, followed, report);
}

async function drillReportLocation(ctx: Context, followed: Followed) {
  const output = followed.output as { location?: { json?: string; console?: string } } | undefined;
  if (output?.location?.json) return { json: output.location.json, console: output.location.console ?? null };
  // A failed drill ends in a Fail state, without output: its report is found through the history.
  const found = await findDrillReport(await ctx.installation(), followed.executionArn).catch(() => undefined);
  return found ? { json: `s3://${found.bucket}/${found.row.report.json}`, console: found.row.report.link } : undefined;
}

function printSummary(io: Io, workflow: string, f: Followed, report?: { json: string; console: string | null }): void {
  const output = (f.output ?? {}) as {
    snapshotId?: string;
    newestVerifiedCopyAgeSeconds?: number;
    record?: { summary?: string };
    location?: { json?: string };
    dryRun?: boolean;
    changes?: string[];
  };
  const entries: [string, string][] = [['execution', f.executionArn]];
  if (f.error) entries.push(['error', `${f.error}${f.cause ? `: ${f.cause}` : ''}`]);
  if (output.snapshotId) entries.push(['snapshot', output.snapshotId]);
  if (output.newestVerifiedCopyAgeSeconds !== undefined)
    entries.push(['newest DR copy', `${duration(output.newestVerifiedCopyAgeSeconds)} old`]);
  if (report)
    entries.push(['report', report.json], ...(report.console ? [['console', report.console] as [string, string]] : []));
  else if (workflow.endsWith('-drill')) entries.push(['report', 'none written (the drill stopped before its report)']);
  // A failover that ended as planned gives its record (a stopped one names it in the error).
  if (workflow.endsWith('-failover') && output.location?.json) {
    if (output.record?.summary) entries.push(['outcome', output.record.summary]);
    entries.push(['record', output.location.json]);
  }
  // A dry run ends with its plan: the exact changes a failover would make.
  if (workflow.endsWith('-failover') && output.dryRun === true)
    (output.changes ?? []).forEach((change, i) => {
      entries.push([i === 0 ? 'would change' : '', `${i + 1}. ${change}`]);
    });
  line(
    io.out,
    `${workflow} ${f.status}${f.durationSeconds === undefined ? '' : ` in ${duration(f.durationSeconds)}`} (${f.steps.length} steps)`,
  );
  line(io.out, rows(entries));
}

async function incidentCommand(ctx: Context, payload: Record<string, string | undefined>): Promise<void> {
  const installation = await ctx.installation();
  const functionName = installation.dr?.[DR_OUTPUT.incidentCommandFunctionName];
  if (!functionName)
    throw environmentError(
      `The installation ${installation.name} has no incident sink (no escalation in its config): there are no incidents to ${payload.action}. Add escalation to the config and deploy ${installation.name}-dr.`,
    );
  const answer = await invokeCommand(ctx, functionName, payload);
  if (!answer || ctx.io.json) return;
  for (const i of (answer.incidents ?? []) as {
    id: string;
    status: string;
    severity: string;
    openedAt: string;
    summary: string;
  }[])
    line(ctx.io.out, `  ${i.id}  ${i.severity} ${i.status} since ${i.openedAt}: ${i.summary}`);
}

/** Invokes one of the installation's command functions and prints its answer (an error: exit 1, or 2 for bad input). */
async function invokeCommand(
  ctx: Context,
  functionName: string,
  payload: Record<string, string | undefined>,
): Promise<{ message?: string; incidents?: unknown[] } | undefined> {
  const installation = await ctx.installation();
  const out = await call<InvokeCommandOutput>(
    'lambda',
    installation.drRegion,
    new InvokeCommand({ FunctionName: functionName, Payload: Buffer.from(JSON.stringify(payload)) }),
  );
  const answer = JSON.parse(Buffer.from(out.Payload ?? new Uint8Array()).toString('utf8') || '{}') as {
    message?: string;
    errorType?: string;
    errorMessage?: string;
    incidents?: unknown[];
  };
  if (out.FunctionError) {
    ctx.exit(answer.errorType === 'InvalidInput' ? EXIT.usage : EXIT.failed);
    if (ctx.io.json) writeJson(ctx.io, { error: answer.errorType, message: answer.errorMessage });
    else line(ctx.io.err, answer.errorMessage ?? `${functionName} failed: ${answer.errorType}`);
    return undefined;
  }
  if (ctx.io.json) writeJson(ctx.io, answer);
  else line(ctx.io.out, answer.message ?? JSON.stringify(answer));
  return answer;
}

const failoverOf = (installation: Installation, what: 'runbook' | 'command') => {
  const key = what === 'runbook' ? DR_OUTPUT.failoverStateMachineArn : DR_OUTPUT.failoverCommandFunctionName;
  const value = installation.dr?.[key];
  if (!value)
    throw environmentError(
      `The installation ${installation.name} has no failover (no failover section in its config). Add failover to the config and deploy ${installation.name}-dr.`,
    );
  return value;
};

/** The command table. Each entry adds one command. */
const COMMANDS: ((program: Command, ctx: Context) => void)[] = [
  (program, ctx) =>
    program
      .command('status')
      .description(
        'per database: the newest verified DR copy against the RPO, the continuous RPO, the last drill, alarms in ALARM, the readiness score',
      )
      .argument('[db]', 'only this database')
      .action(async (db: string | undefined) => {
        const installation = await ctx.installation();
        if (db !== undefined) databaseOf(installation, db);
        const status = await gatherStatus(installation, db);
        printStatus(status, ctx.io);
        if (status.findings.length > 0) ctx.exit(EXIT.failed);
      }),
  (program, ctx) => {
    const backup = program.command('backup').description('the backup workflow');
    followOptions(
      backup.command('start').description('start a backup of a database now').argument('<db>', 'the database id'),
    ).action(async (db: string, options: { follow?: boolean; interval: number }) => {
      const installation = await ctx.installation();
      databaseOf(installation, db);
      const machine = required(installation, 'primary', PRIMARY_OUTPUT.backupStateMachineArn, 'the backup workflow');
      await startExecution(ctx, 'backup', installation.primaryRegion, machine, { database: db }, options);
    });
  },
  (program, ctx) => {
    const drill = program.command('drill').description('the restore drill workflow');
    followOptions(
      drill
        .command('start')
        .description('start a restore drill of a database now')
        .argument('<db>', 'the database id')
        .option('--point <point>', 'the recovery point: latest, a snapshot id, or an ISO-8601 time', 'latest')
        .option('--by <name>', 'who starts it, as the report will say (default: your user name)')
        .option('--instance-class <class>', 'restore into this instance class instead of the configured one')
        .addOption(
          new Option('--timeout-minutes <minutes>', 'give up on the restore after this long').argParser(Number),
        ),
    ).action(
      async (
        db: string,
        options: {
          point: string;
          by?: string;
          instanceClass?: string;
          timeoutMinutes?: number;
          follow?: boolean;
          interval: number;
        },
      ) => {
        const by = options.by ?? whoAmI();
        const overrides = {
          ...(options.instanceClass ? { instanceClass: options.instanceClass } : {}),
          ...(options.timeoutMinutes !== undefined ? { timeoutMinutes: options.timeoutMinutes } : {}),
        };
        const request: DrillRequest = {
          database: db,
          recoveryPoint: recoveryPointOf(options.point),
          ...(by ? { startedBy: by } : {}),
          ...(Object.keys(overrides).length > 0 ? { overrides } : {}),
        };
        // The workflow validates the same way; refusing here starts nothing that would fail at once.
        const problems = drillRequestProblems(request, new Date().toISOString());
        if (problems.length > 0)
          throw usageError(`The drill request is not valid, nothing was started: ${problems.join('; ')}`);
        const installation = await ctx.installation();
        databaseOf(installation, db, 'drilled');
        const machine = required(installation, 'dr', DR_OUTPUT.drillStateMachineArn, 'the drill workflow');
        await startExecution(ctx, 'drill', installation.drRegion, machine, request, options);
      },
    );
  },
  (program, ctx) => {
    const failover = program.command('failover').description('the failover runbook (in the DR region)');
    followOptions(
      failover
        .command('start')
        .description('fail a database over: pre-checks, approval, recovery, DNS switch, verification through the name')
        .argument('<db>', 'the database id')
        .addOption(new Option('--scenario <scenario>', 'what happened').choices([...SCENARIOS]).makeOptionMandatory())
        .option('--dry-run', 'every read and check and the exact plan of changes; nothing is changed')
        .option('--point-in-time <iso>', 'database-corruption: the last moment known good')
        .option('--clean-before <iso>', 'ransomware: only vault copies taken at or before this are used')
        .option('--waive-approval <reason>', 'skip the approval, with the reason (only where the config allows it)')
        .option('--by <name>', 'who starts it, as the record will say (default: your user name)'),
    ).action(
      async (
        db: string,
        options: {
          scenario: Scenario;
          dryRun?: boolean;
          pointInTime?: string;
          cleanBefore?: string;
          waiveApproval?: string;
          by?: string;
          follow?: boolean;
          interval: number;
        },
      ) => {
        for (const [flag, value] of [
          ['--point-in-time', options.pointInTime],
          ['--clean-before', options.cleanBefore],
        ] as const)
          if (value !== undefined && Number.isNaN(Date.parse(value)))
            throw usageError(`${flag} ${value}: expected an ISO-8601 time such as 2026-12-01T09:40:00Z.`);
        const by = options.by ?? whoAmI();
        const request: FailoverRequest = {
          database: db,
          scenario: options.scenario,
          ...(options.dryRun ? { dryRun: true } : {}),
          ...(options.pointInTime ? { pointInTime: options.pointInTime } : {}),
          ...(options.cleanBefore ? { cleanBefore: options.cleanBefore } : {}),
          ...(options.waiveApproval ? { approval: { waive: options.waiveApproval } } : {}),
          ...(by ? { startedBy: by } : {}),
        };
        const installation = await ctx.installation();
        databaseOf(installation, db);
        // The runbook validates the request before it changes anything; a refusal ends the execution at once.
        await startExecution(
          ctx,
          'failover',
          installation.drRegion,
          failoverOf(installation, 'runbook'),
          request,
          options,
        );
      },
    );
  },
  (program, ctx) => {
    for (const [name, what] of [
      ['approve', 'approve a failover that waits for approval: it goes ahead'],
      ['reject', 'reject a failover that waits for approval: it stops, nothing is changed'],
    ] as const)
      program
        .command(name)
        .description(what)
        .argument('<token>', 'the token in the approval request')
        .option('--by <name>', 'who you are, as the record will say (default: your user name)')
        .option('--note <text>', 'why')
        .action(async (token: string, options: { by?: string; note?: string }) => {
          await invokeCommand(ctx, failoverOf(await ctx.installation(), 'command'), {
            action: name,
            token,
            by: options.by ?? whoAmI(),
            ...(options.note ? { note: options.note } : {}),
          });
        });
  },
  (program, ctx) =>
    program
      .command('follow')
      .description('show a running backup, drill or failover execution to its end')
      .argument('<execution>', 'the execution ARN')
      .addOption(new Option('--interval <seconds>', 'seconds between polls').default(5).argParser(seconds))
      .action(async (execution: string, options: { interval: number }) => {
        if (!execution.startsWith('arn:'))
          throw usageError(`"${execution}" is not an execution ARN (arn:aws:states:…:execution:…).`);
        await followToEnd(ctx, executionArnOf(execution, ''), options.interval);
      }),
  (program, ctx) => {
    for (const [name, action, what] of [
      ['ack', 'acknowledge', 'stop the paging of an incident: you own it'],
      ['resolve', 'resolve', 'close an incident; everyone paged is told'],
    ] as const)
      program
        .command(name)
        .description(what)
        .argument('<incident>', 'the incident id, as the page shows it')
        .option('--by <name>', 'who you are, as those paged are told (default: your user name)')
        .option('--note <text>', 'what fixed it')
        .action(async (incident: string, options: { by?: string; note?: string }) =>
          incidentCommand(ctx, {
            action,
            incident,
            by: options.by ?? whoAmI(),
            ...(options.note ? { note: options.note } : {}),
          }),
        );
    program
      .command('incidents')
      .description('the incidents not resolved yet')
      .action(async () => incidentCommand(ctx, { action: 'list' }));
  },
  (program, ctx) =>
    program
      .command('report')
      .description("print a drill's or a failover's record, or write its HTML")
      .argument('<execution>', 'the drill or failover execution: its ARN or its name')
      .option('--html <file>', 'write the HTML report to this file')
      .option('--open', 'open the HTML report (with --html) in the default browser')
      .action(async (execution: string, options: { html?: string; open?: boolean }) => {
        if (options.open && !options.html)
          throw usageError('--open needs --html <file>: where to write the report first.');
        const installation = await ctx.installation();
        const executionArn = await reportExecutionArn(installation, execution);
        const writeHtml = async (bucket: string, key: string) => {
          if (!options.html) return;
          const html = await readObject(installation.drRegion, bucket, key);
          if (!html) throw new CliError(`The HTML report s3://${bucket}/${key} is missing.`, EXIT.failed);
          await writeFile(options.html, html.text);
          if (options.open) execFile(process.platform === 'darwin' ? 'open' : 'xdg-open', [options.html]).unref();
        };
        if (isFailoverExecution(installation, executionArn)) {
          const found = await findFailoverRecord(installation, executionArn);
          if (!found)
            throw new CliError(
              `No failover record of ${executionArn} in s3://${reportsBucketOf(installation)}/failovers/: the failover is still running (lifeline follow ${executionArn}), or it was stopped before writing its record (read its history in the Step Functions console).`,
              EXIT.failed,
            );
          const location = `s3://${found.bucket}/${found.key}`;
          await writeHtml(found.bucket, found.key.replace(/\.json$/, '.html'));
          if (ctx.io.json)
            return writeJson(ctx.io, {
              location,
              sha256: found.sha256,
              ...(options.html ? { html: options.html } : {}),
              record: found.record,
            });
          line(ctx.io.out, failoverRecordText(found.record, location));
          if (options.html) line(ctx.io.out, `\nThe HTML record is in ${options.html}.`);
          if (!FAILOVER_DONE.has(found.record.status)) ctx.exit(EXIT.failed);
          return;
        }
        const found = await findDrillReport(installation, executionArn);
        if (!found)
          throw new CliError(
            `No drill report of ${executionArn} in s3://${reportsBucketOf(installation)}/history/: the drill is still running (lifeline follow ${executionArn}), or it stopped before writing its report.`,
            EXIT.failed,
          );
        const location = `s3://${found.bucket}/${found.row.report.json}`;
        await writeHtml(found.bucket, found.row.report.html);
        if (ctx.io.json)
          return writeJson(ctx.io, {
            location,
            sha256: found.sha256,
            ...(options.html ? { html: options.html } : {}),
            report: found.report,
          });
        line(ctx.io.out, reportText(found.report, location));
        if (options.html) line(ctx.io.out, `\nThe HTML report is in ${options.html}.`);
        if (found.report.status !== 'passed') ctx.exit(EXIT.failed);
      }),
  (program, ctx) =>
    program
      .command('evidence')
      .description("the month's (or week's) roll-up of evidence, made and stored by the deployed evidence function")
      .option('--month <YYYY-MM>', 'the calendar month (UTC)')
      .option('--week <YYYY-Www>', 'an ISO week (UTC)')
      .option('--html <file>', 'also write the evidence page to this file')
      .action(async (options: { month?: string; week?: string; html?: string }) => {
        const label = options.month ?? options.week;
        if (!label || (options.month && options.week))
          throw usageError('Give the period: --month YYYY-MM or --week YYYY-Www (one of them).');
        if (options.month && !/^\d{4}-\d{2}$/.test(options.month))
          throw usageError(`--month ${options.month}: expected YYYY-MM, e.g. 2026-11.`);
        let period: ReturnType<typeof periodOf>;
        try {
          period = periodOf(label);
        } catch (error) {
          throw usageError((error as Error).message);
        }
        const installation = await ctx.installation();
        const { rollup, unread, outcome, html } = await rollUpEvidence(installation, period, {
          html: options.html !== undefined,
        });
        if (options.html) await writeFile(options.html, html ?? renderRollupHtml(rollup));
        if (ctx.io.json)
          return writeJson(ctx.io, {
            rollup,
            unread,
            stored: outcome,
            ...(options.html ? { html: options.html } : {}),
          });
        const t = rollup.totals;
        line(
          ctx.io.out,
          `Evidence of ${rollup.installation} for ${period.label} (${period.from.slice(0, 10)} to ${period.to.slice(0, 10)}, exclusive)`,
        );
        line(
          ctx.io.out,
          rows([
            ['backups', `${t.backupsSucceeded} succeeded, ${t.backupsFailed} failed`],
            ['drills', `${t.drillsPassed} passed, ${t.drillsFailed} failed`],
            ['findings', String(t.findings)],
            ['records', `${rollup.records.length}, each with its SHA-256 (in --json and --html)`],
            ['stored', `${outcome.json} (SHA-256 ${outcome.sha256})`],
          ]),
        );
        for (const db of rollup.databases) {
          line(
            ctx.io.out,
            `\n${db.id}: backups ${db.backups.succeeded} ok / ${db.backups.failed} failed, drills ${db.drills.passed} passed / ${db.drills.failed} failed`,
          );
          for (const f of db.findings) line(ctx.io.out, `  - ${f}`);
        }
        for (const b of rollup.buckets) for (const f of b.findings) line(ctx.io.out, `bucket ${b.id}: ${f}`);
        if (unread.length > 0) {
          line(ctx.io.out, '\nNot read (shown as not checked):');
          for (const s of unread) line(ctx.io.out, `  ${s}`);
        }
        if (options.html) line(ctx.io.out, `\nThe evidence page is in ${options.html}.`);
      }),
];

/** Runs the CLI with `argv` (without node and the script) and gives the exit code. */
export async function main(
  argv: readonly string[],
  streams: Pick<Io, 'out' | 'err'> = { out: process.stdout, err: process.stderr },
): Promise<number> {
  let code: number = EXIT.ok;
  const io: { -readonly [K in keyof Io]: Io[K] } = { ...streams, json: argv.includes('--json') };
  const program = new Command('lifeline')
    .description('Operate a Lifeline installation: status, backups, drills, incidents, reports, evidence.')
    .option('--name <name>', 'the installation name (its stacks are <name>-dr and <name>-primary)', 'lifeline')
    .option('--region <region>', 'where to look for the stacks first (default: AWS_REGION)')
    .option('--json', 'machine-readable output: one JSON document on stdout, nothing else')
    .addHelpText('after', EXIT_CODES)
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: (s) => streams.out.write(s), writeErr: (s) => streams.err.write(s) });
  let found: Promise<Installation> | undefined;
  const ctx: Context = {
    io,
    get options() {
      return program.opts<GlobalOptions>();
    },
    installation() {
      const { name, region } = program.opts<GlobalOptions>();
      found ??= findInstallation({ name, ...(region ? { region } : {}) });
      return found;
    },
    exit(next) {
      code = Math.max(code, next);
    },
  };
  for (const add of COMMANDS) add(program, ctx);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError)
      return error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.code === 'commander.help'
        ? EXIT.ok
        : EXIT.usage;
    if (error instanceof CliError) {
      line(streams.err, error.message);
      if (io.json) writeJson(io, { error: error.message, exitCode: error.exitCode });
      return error.exitCode;
    }
    throw error;
  }
}
