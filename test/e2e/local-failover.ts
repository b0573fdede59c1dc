/**
 * What `npm run failover:local` does (its command line is failover-local.ts): a failover of the demo database
 * `orders` on this machine, no AWS account. moto is the AWS control plane (RDS, Route 53, SNS, S3, Step Functions);
 * the data plane is an embedded PostgreSQL (PGlite behind a socket, reached by the `pg` driver like RDS); a DNS
 * answer of moto's Route 53 records is what the verification resolves the name with. The synthesized backup workflow
 * makes a verified DR copy; the synthesized failover workflow pre-checks, asks for approval (answered here with the
 * command the request names), restores, switches the record, verifies through the name and writes the record.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import {
  ChangeResourceRecordSetsCommand,
  CreateHostedZoneCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { formatDuration } from '../../functions/drill/verdict';
import type { FailoverRecord } from '../../functions/failover/contracts';
import { createDrillSecret, createOrdersDatabase } from '../fixtures/production';
import { seedOrders } from '../fixtures/sample-data';
import { LocalDataPlane } from '../harness/data-plane';
import { type DnsAnswer, route53Lookup, startDnsAnswer } from '../harness/dns';
import { invokeBundled } from '../harness/lambda-runtime';
import { type Delivered, type LocalAws, startLocalAws } from '../harness/local-aws';
import { latestFailoverRecord } from '../harness/reports';
import { runWorkflow, type ScheduledEvent } from '../harness/run-workflow';
import { DR, failoverConfig, OLD_TARGET, RECORD, ROUTE53_PENDING, ZONE } from '../workflows/failover-harness';
import type { LocalScenario } from './failover-local';

export interface LocalFailoverOptions {
  readonly scenario: LocalScenario;
  /** The scenario in words, as --help gives it. */
  readonly scenarioWords: string;
  readonly dryRun: boolean;
  /** How the approval request is answered, 2 minutes in on the simulated clock. */
  readonly answer: 'approve' | 'reject';
  readonly drill: boolean;
  /** Where the record goes (.json; the HTML beside it). */
  readonly record: string;
}

const QUIET = { POWERTOOLS_LOG_LEVEL: 'ERROR' };
/** When the approval is answered, on the simulated clock: as a person on call might. */
const ANSWER_AT_SECONDS = 120;
const OPERATOR = 'local-operator';

/** Backs up and fails `orders` over locally, printing a line per step and the summary; whether it completed. */
export async function failOverLocally(options: LocalFailoverOptions): Promise<boolean> {
  const started = Date.now();
  const say = (line: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s] ${line}`);
  const mode = options.dryRun ? 'dry run' : options.drill ? 'failover drill' : 'failover';
  say(
    `Lifeline local ${mode} of "orders" (postgres) through ${RECORD} — scenario ${options.scenario}: ${options.scenarioWords}`,
  );
  say('Starting moto and synthesizing the stacks from the demo config ...');
  let aws: LocalAws | undefined;
  let plane: LocalDataPlane | undefined;
  let dns: DnsAnswer | undefined;
  try {
    aws = await startLocalAws(failoverConfig());
    const local = aws;
    say('Starting the embedded PostgreSQL (PGlite) as the production database, and a DNS answer of Route 53 ...');
    plane = await LocalDataPlane.start((db) => seedOrders(db));
    dns = await startDnsAnswer(route53Lookup(() => local.client(Route53Client, 'us-east-1')));
    await createOrdersDatabase(aws);
    await createDrillSecret(aws, 'orders');
    const r53 = aws.client(Route53Client, 'us-east-1');
    await r53.send(
      new CreateHostedZoneCommand({ Name: 'example.com', CallerReference: `lifeline-harness-zone:${ZONE}` }),
    );
    await r53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: ZONE,
        ChangeBatch: {
          Changes: [
            {
              Action: 'UPSERT',
              ResourceRecordSet: { Name: RECORD, Type: 'CNAME', TTL: 60, ResourceRecords: [{ Value: OLD_TARGET }] },
            },
          ],
        },
      }),
    );
    say(`${RECORD} is a CNAME to ${OLD_TARGET} (production, in ${aws.app.config.primaryRegion}).`);

    say('Backup workflow (synthesized definition, real handlers): a verified DR copy to fail over to ...');
    const backup = await runWorkflow(
      aws.cloud,
      aws.cloud.stateMachine('-backup'),
      { database: 'orders' },
      {
        environment: QUIET,
      },
    );
    if (backup.status !== 'SUCCEEDED') throw new Error(`the backup failed: ${backup.error}: ${backup.cause}`);
    say(`Backup done in ${backup.transitions} state transitions.`);

    const request = {
      database: 'orders',
      scenario: options.scenario,
      startedBy: 'npm run failover:local',
      ...(options.dryRun ? { dryRun: true } : {}),
      ...(options.drill ? { drill: true } : {}),
      ...(options.scenario === 'database-corruption' ? { pointInTime: new Date().toISOString() } : {}),
      ...(options.scenario === 'ransomware' ? { cleanBefore: new Date().toISOString() } : {}),
    };
    say(`Failover workflow in ${DR}, started with ${JSON.stringify(request)}:`);
    const alerts = await aws.subscribe(alertTopic(aws), DR);
    const seen: Delivered[] = [];
    let simulatedSoFar = 0;
    const run = await runWorkflow(aws.cloud, aws.cloud.stateMachine('-failover'), request, {
      environment: { ...QUIET, LIFELINE_DNS_SERVERS: dns.server },
      faults: [ROUTE53_PENDING],
      events: [answerApproval(aws, options.answer, alerts, seen, say)],
      onState: (name, _type, simulated) => {
        const waited = simulated - simulatedSoFar;
        simulatedSoFar = simulated;
        say(`  · ${name}${waited > 0 ? ` (after ${formatDuration(waited)} on the simulated clock)` : ''}`);
      },
    });
    seen.push(...(await alerts()));
    const value = await recordValue(aws);
    const left = ((await aws.client(RDSClient, DR).send(new DescribeDBInstancesCommand({}))).DBInstances ?? [])
      .map((i) => i.DBInstanceIdentifier ?? '')
      .filter((id) => id.startsWith('lifeline-failover-'));
    const recordPath = resolve(options.record);
    mkdirSync(dirname(recordPath), { recursive: true });

    if (options.dryRun && run.status === 'SUCCEEDED') {
      // A dry run writes no record: the plan is its output.
      writeFileSync(recordPath, `${JSON.stringify(run.output, null, 2)}\n`);
      const plan = run.output as { changes: string[] };
      console.log(`\nThe plan of changes (nothing was changed; ${RECORD} is still ${value}):`);
      for (const [i, line] of plan.changes.entries()) console.log(`  ${i + 1}. ${line}`);
      console.log(`\nPlan: ${recordPath}\nWall time: ${formatDuration((Date.now() - started) / 1000)}`);
      return true;
    }
    const stored = await latestFailoverRecord(aws);
    if (!stored) {
      console.log(`\nThe failover stopped before it wrote a record: ${run.error}: ${run.cause}`);
      return false;
    }
    writeFileSync(recordPath, `${JSON.stringify(stored.json, null, 2)}\n`);
    const htmlPath = `${recordPath.replace(/\.json$/, '')}.html`;
    writeFileSync(htmlPath, stored.html);
    const failureAlerts = seen.filter((m) => /failed/.test(m.MessageAttributes?.['lifeline.kind']?.Value ?? ''));
    console.log(`\n${summaryTable(stored.json, run, value, left, failureAlerts.length)}`);
    console.log(
      `\n${stored.json.summary}\nRecord: ${recordPath}\n        ${htmlPath}\n        (in the local reports bucket: ${stored.key})\nWall time: ${formatDuration((Date.now() - started) / 1000)}`,
    );
    return stored.json.status === 'failed-over' || stored.json.status === 'drill-passed';
  } finally {
    await dns?.stop();
    await plane?.stop();
    await aws?.stop();
  }
}

function alertTopic(aws: LocalAws): string {
  const dr = aws.app.templates.dr;
  const id = Object.keys(dr?.template.Resources ?? {}).find((key) => /^Alerts[0-9A-F]{8}$/.test(key));
  if (!dr || !id) throw new Error('the DR stack has no alert topic');
  return aws.cloud.physicalId(dr, id);
}

async function recordValue(aws: LocalAws): Promise<string> {
  const sets =
    (await aws.client(Route53Client, 'us-east-1').send(new ListResourceRecordSetsCommand({ HostedZoneId: ZONE })))
      .ResourceRecordSets ?? [];
  return sets.find((s) => s.Name === `${RECORD}.` && s.Type === 'CNAME')?.ResourceRecords?.[0]?.Value ?? '(none)';
}

/**
 * The person on call, 2 minutes in: reads the approval request as the alert topic delivered it (printed here as they
 * would see it), and answers with the command it names, run against the local failover command function.
 */
function answerApproval(
  aws: LocalAws,
  answer: 'approve' | 'reject',
  read: () => Promise<Delivered[]>,
  seen: Delivered[],
  say: (line: string) => void,
): ScheduledEvent {
  return {
    atSeconds: ANSWER_AT_SECONDS,
    run: async (now) => {
      seen.push(...(await read()));
      const request = seen.find((m) => m.Subject?.includes('waits for approval'));
      const token = /"token":"([^"]+)"/.exec(request?.Message ?? '')?.[1];
      if (!request || !token) return;
      say(`    The approval request, as the on-call person receives it (subject: ${request.Subject}):`);
      for (const line of (request.Message ?? '').split('\n')) console.log(`      | ${line}`);
      say(`    ${OPERATOR} answers "${answer}" ${formatDuration(ANSWER_AT_SECONDS)} in, with the command above:`);
      const fn = [...aws.cloud.functions.values()].find((f) => f.name === 'lifeline-failover-command');
      if (!fn) throw new Error('no failover command function');
      const out = (await invokeBundled(
        fn,
        { action: answer, token, by: OPERATOR, note: 'answered by npm run failover:local' },
        {
          generation: aws.cloud.generation,
          credentials: await aws.cloud.credentials(fn.roleArn),
          endpoint: aws.cloud.endpoint,
          now,
          environment: { POWERTOOLS_LOG_LEVEL: 'CRITICAL' },
        },
      )) as { message?: string };
      say(`    ${out.message ?? 'answered'}`);
    },
  };
}

/** The outcome as a plain aligned table; which times are simulated is said beside them. */
function summaryTable(
  record: FailoverRecord,
  run: { simulatedSeconds: number; transitions: number },
  value: string,
  left: string[],
  alerts: number,
): string {
  const step = (name: string) => record.steps.find((s) => s.step === name);
  const source = record.source;
  const rows: [string, string][] = [
    [record.drill ? 'failover drill' : 'failover', record.status],
    [
      'approval',
      record.approval.required
        ? record.approval.by
          ? `approved by ${record.approval.by}`
          : 'not given'
        : `waived: ${record.approval.waiver}`,
    ],
    [
      'recovery',
      source
        ? `${step('recovery started')?.detail ?? 'not started'}${source.type === 'snapshot' ? ` (the newest verified ${source.origin === 'vault' ? 'vault copy' : 'DR copy'})` : ''}`
        : 'none chosen',
    ],
    [
      'Route 53',
      record.drill
        ? `${record.drill.shadowRecord} switched, then deleted; ${record.drill.productionRecord} is still ${value}`
        : `${RECORD} ${OLD_TARGET} -> ${value}${step('DNS in sync')?.at ? ' (INSYNC)' : ''}`,
    ],
    ['verification', record.verification?.summary ?? 'not run'],
    [
      'RTO',
      record.rtoSeconds === null
        ? 'not verified'
        : `${formatDuration(record.rtoSeconds)} (objective ${formatDuration(record.rtoObjectiveSeconds)}) — harness clock, ${formatDuration(run.simulatedSeconds)} of it simulated`,
    ],
    ['data loss', record.dataLoss.seconds === null ? 'not known' : `up to ${formatDuration(record.dataLoss.seconds)}`],
    [
      'restored instances',
      left.length === 0
        ? record.drill
          ? 'none left (the drill deleted its copy)'
          : 'none'
        : `${left.join(', ')}${record.drill ? ' LEFT BEHIND by the drill' : ' (production now, in the DR region)'}`,
    ],
    ['alerts', alerts === 0 ? 'none' : `${alerts} failure alert(s) published`],
    ['state transitions', String(run.transitions)],
  ];
  const width = Math.max(...rows.map(([what]) => what.length));
  return [
    ...rows.map(([what, text]) => `  ${what.padEnd(width)}  ${text}`),
    '',
    '  Times are on the harness clock: the approval wait, polls and retry intervals are simulated; moto answers at',
    '  once (no real restore or DNS propagation time); starting the databases and running the functions take real time.',
  ].join('\n');
}
