import { ExecutionAlreadyExists, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { sfn } from '../commons/aws';
import { ENV } from '../commons/contracts';
import { lifelineHandler, logger } from '../commons/handler';
import { env, now } from '../commons/runtime';
import { resolveIncident } from './close';
import {
  ALERT_ATTRIBUTE,
  type CopySeen,
  EVERY_DATABASE,
  INCIDENT_ENV,
  INCIDENT_KINDS,
  type IncidentKindName,
  type IncidentReport,
  type IntakeInput,
  type IntakeOutcome,
  type SnsRecord,
} from './contracts';
import { levels, startIndex } from './levels';
import { readableTime } from './messages';
import { getIncident, type Incident, openIncidentOf, openOrJoin, recordOccurrence, setLadder } from './store';

type Reading =
  | { readonly type: 'open'; readonly report: IncidentReport }
  | {
      readonly type: 'close';
      readonly database: string;
      readonly kinds: IncidentKindName[];
      readonly why: string;
      readonly after?: string;
    }
  | { readonly type: 'ignore'; readonly why: string };

const isKind = (kind: string | undefined): kind is IncidentKindName =>
  kind !== undefined && Object.hasOwn(INCIDENT_KINDS, kind);

/** The kind and database an alarm of this installation is about, from its name; undefined for any other alarm. */
export function alarmSubject(
  alarmName: string,
  installation: string,
): { database: string; kind: IncidentKindName } | undefined {
  const prefix = `${installation}-`;
  if (!alarmName.startsWith(prefix)) return undefined;
  const rest = alarmName.slice(prefix.length);
  const kinds = (Object.keys(INCIDENT_KINDS) as IncidentKindName[]).sort((a, b) => b.length - a.length);
  for (const kind of kinds) {
    if (rest === kind) return { database: EVERY_DATABASE, kind };
    if (rest.endsWith(`-${kind}`)) return { database: rest.slice(0, -kind.length - 1), kind };
  }
  return undefined;
}

interface AlarmNotification {
  AlarmName: string;
  AlarmDescription?: string | null;
  NewStateValue: string;
  NewStateReason?: string;
  StateChangeTime?: string;
  AlarmArn?: string;
}

const alarmConsoleLink = (alarm: AlarmNotification, region: string) =>
  `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#alarmsV2:alarm/${encodeURIComponent(alarm.AlarmName)}`;

/** The "First: ..." advice of a description or message, and the text before it. */
function splitAdvice(text: string): { what: string; first?: string } {
  const at = text.search(/\b(?:What to do first|What to do|First):\s/);
  if (at < 0) return { what: text.trim() };
  const advice = text.slice(at).replace(/^(?:What to do first|What to do|First):\s*/, '');
  return { what: text.slice(0, at).trim(), first: advice.trim() };
}

/** What one SNS delivery from an alert topic means: a failure alert (tagged), an alarm's change, or nothing of ours. */
export function readSns(record: SnsRecord, installation: string): Reading {
  const { Sns: message } = record;
  const attributes = message.MessageAttributes ?? {};
  const kind = attributes[ALERT_ATTRIBUTE.kind]?.Value;
  if (kind !== undefined) {
    const database = attributes[ALERT_ATTRIBUTE.database]?.Value || EVERY_DATABASE;
    if (!isKind(kind)) return { type: 'ignore', why: `a failure alert of unknown kind "${kind}"` };
    const execution = attributes[ALERT_ATTRIBUTE.execution]?.Value;
    const { what, first } = splitAdvice(message.Message);
    // The page names the database already: "backup failed for orders: Create the snapshot" → "backup failed: ...".
    const subject = (message.Subject ?? '')
      .replace(/^Lifeline /, '')
      .replace(` for ${database}`, '')
      .replace(` of ${database}`, '');
    return {
      type: 'open',
      report: {
        database,
        kind,
        summary: subject || INCIDENT_KINDS[kind].what,
        detail: what,
        firstStep: first ?? 'Read the details above and the execution history.',
        links: execution ? { execution } : {},
      },
    };
  }
  let alarm: AlarmNotification;
  try {
    alarm = JSON.parse(message.Message) as AlarmNotification;
  } catch {
    return {
      type: 'ignore',
      why: `a message that is neither a tagged failure alert nor an alarm: "${message.Subject ?? message.Message.slice(0, 80)}"`,
    };
  }
  if (typeof alarm?.AlarmName !== 'string' || typeof alarm.NewStateValue !== 'string')
    return { type: 'ignore', why: 'a JSON message that is not an alarm notification' };
  const subject = alarmSubject(alarm.AlarmName, installation);
  if (!subject) return { type: 'ignore', why: `alarm ${alarm.AlarmName} is not one Lifeline pages for` };
  const known = INCIDENT_KINDS[subject.kind];
  const at = alarm.StateChangeTime ? new Date(alarm.StateChangeTime).toISOString() : undefined;
  if (alarm.NewStateValue === 'OK')
    return known.closes === 'alarm-ok'
      ? {
          type: 'close',
          database: subject.database,
          kinds: [subject.kind],
          why: `its alarm ${alarm.AlarmName} returned to OK${at ? ` at ${readableTime(at)}` : ''}`,
        }
      : {
          type: 'ignore',
          why: `alarm ${alarm.AlarmName} is OK again; its incident closes when ${known.closes === 'drill-passed' ? 'a drill passes' : 'resolved'}`,
        };
  if (alarm.NewStateValue !== 'ALARM')
    return { type: 'ignore', why: `alarm ${alarm.AlarmName} is ${alarm.NewStateValue}` };
  const region = alarm.AlarmArn?.split(':')[3] ?? env('AWS_REGION');
  const { what, first } = splitAdvice(alarm.AlarmDescription ?? '');
  return {
    type: 'open',
    report: {
      database: subject.database,
      kind: subject.kind,
      summary: known.what,
      detail: [what, `Alarm ${alarm.AlarmName}: ${alarm.NewStateReason ?? 'in alarm'}`].filter(Boolean).join('\n'),
      firstStep: first ?? `Open the alarm ${alarm.AlarmName} and read its description.`,
      links: { alarm: alarmConsoleLink(alarm, region) },
    },
  };
}

const compact = (iso: string) => iso.replace(/[-:]/g, '').replace('T', '-').slice(0, 15);

/** An id a person can type: `<database>-<kind>-<yyyymmdd>-<hhmmss>` (UTC), at most 80 characters (an execution name). */
export function incidentId(database: string, kind: string, at: string): string {
  const tail = `-${kind}-${compact(at)}`;
  const who = (database === EVERY_DATABASE ? 'all' : database.replace(/[^A-Za-z0-9_-]/g, '-')).slice(
    0,
    80 - tail.length,
  );
  return `${who}${tail}`;
}

async function startLadder(incident: Incident): Promise<void> {
  const all = levels();
  const start = all[startIndex(incident.severity, all)]?.name as string;
  const stateMachineArn = env(INCIDENT_ENV.ladderArn);
  const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${incident.id}`;
  try {
    await sfn().send(
      new StartExecutionCommand({
        stateMachineArn,
        name: incident.id,
        input: JSON.stringify({ incident: incident.id, start }),
      }),
    );
  } catch (error) {
    if (!(error instanceof ExecutionAlreadyExists)) throw error;
  }
  await setLadder(incident.id, executionArn);
}

async function open(report: IncidentReport, out: { opened: string[]; joined: string[] }): Promise<void> {
  const at = now().toISOString();
  const kind = INCIDENT_KINDS[report.kind];
  const incident: Incident = {
    id: incidentId(report.database, report.kind, at),
    database: report.database,
    kind: report.kind,
    severity: kind.severity,
    status: 'open',
    openedAt: at,
    lastSeenAt: at,
    occurrences: 1,
    summary: report.summary,
    detail: report.detail ?? '',
    firstStep: report.firstStep ?? 'Read the details above.',
    links: { ...(report.links ?? {}) },
    paged: [],
  };
  const result = await openOrJoin(incident);
  if (result.opened) {
    await startLadder(incident);
    out.opened.push(incident.id);
    logger.info('Opened an incident', { incident: incident.id, severity: incident.severity });
    return;
  }
  const joined = await recordOccurrence(result.id, at, report.detail ?? report.summary);
  // Its ladder did not start the first time (StartExecution failed, the delivery was retried): start it now.
  if (!joined.ladder && joined.status === 'open') await startLadder(joined);
  out.joined.push(joined.id);
  logger.info('Joined the open incident', { incident: joined.id, occurrences: joined.occurrences });
}

async function close(
  database: string,
  kinds: readonly IncidentKindName[],
  why: string,
  out: { resolved: string[] },
  openedBefore?: string,
): Promise<void> {
  for (const kind of kinds) {
    const id = await openIncidentOf(database, kind);
    const incident = id && (await getIncident(id));
    if (!incident) continue;
    if (openedBefore && incident.openedAt >= openedBefore) continue;
    const done = await resolveIncident(incident, 'Lifeline', now().toISOString(), why);
    if (done.changed) out.resolved.push(incident.id);
  }
}

/** The database an execution's input names (the drill's `database`), if any. */
function databaseOfInput(input: unknown): string | undefined {
  if (typeof input !== 'string') return undefined;
  try {
    const database = (JSON.parse(input) as { database?: unknown }).database;
    return typeof database === 'string' ? database : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The incident sink's one way in. From the alert topics: a failure alert (tagged with its kind and database) or a
 * Lifeline alarm going to ALARM opens an incident, or joins the one open for the same database and kind; an alarm
 * back to OK resolves its incident when the alarm measures a state. From the copy-age probe: a verified DR copy taken
 * after a backup incident opened resolves it. From EventBridge: a drill that passed resolves the drill incidents of
 * its database. A direct report (another Lifeline function) opens or joins.
 */
export async function intake(event: IntakeInput): Promise<IntakeOutcome> {
  const installation = env(ENV.installation);
  const out = { opened: [] as string[], joined: [] as string[], resolved: [] as string[], ignored: [] as string[] };
  if ('Records' in event) {
    for (const record of event.Records) {
      const reading = readSns(record, installation);
      if (reading.type === 'open') await open(reading.report, out);
      else if (reading.type === 'close') await close(reading.database, reading.kinds, reading.why, out);
      else out.ignored.push(reading.why);
    }
  } else if ('report' in event) {
    if (!isKind(event.report?.kind) || typeof event.report.database !== 'string')
      out.ignored.push(`a report without a known kind and a database: ${JSON.stringify(event.report)}`);
    else await open(event.report, out);
  } else if ('copies' in event) {
    for (const copy of event.copies as CopySeen[])
      await close(
        copy.database,
        ['backup-failed'],
        `a verified DR copy taken ${readableTime(copy.takenAt)} exists`,
        out,
        copy.takenAt,
      );
  } else if ('drillsPassed' in event) {
    for (const pass of event.drillsPassed)
      await close(
        pass.database,
        ['drill-failed', 'drill-rto-missed', 'drill-rpo-missed'],
        `a drill passed at ${readableTime(pass.passedAt)}`,
        out,
        pass.passedAt,
      );
  } else if ('bucketsVerified' in event) {
    for (const run of event.bucketsVerified) {
      const clean: IncidentKindName[] = ['replication-verification-failed'];
      if (!run.discrepancies) clean.push('replication-discrepancy');
      if (!run.late) clean.push('replication-late');
      const found = [run.discrepancies && 'discrepancies', run.late && 'late replication'].filter(Boolean);
      await close(
        run.bucket,
        clean,
        `the replication verification of ${readableTime(run.verifiedAt)} ${found.length > 0 ? `completed (it found ${found.join(' and ')})` : 'found the replica complete and on time'}`,
        out,
        run.verifiedAt,
      );
    }
  } else if ('detail' in event) {
    const detail = event.detail as { status?: string; stateMachineArn?: string; input?: string; executionArn?: string };
    const database = databaseOfInput(detail.input);
    if (detail.status === 'SUCCEEDED' && detail.stateMachineArn === env(INCIDENT_ENV.drillStateMachineArn) && database)
      await close(
        database,
        ['drill-failed', 'drill-rto-missed', 'drill-rpo-missed'],
        `the drill ${detail.executionArn} passed`,
        out,
      );
    else out.ignored.push(`an execution event that closes nothing (${detail.status} of ${detail.stateMachineArn})`);
  } else out.ignored.push('an event of unknown shape');
  if (out.ignored.length > 0) logger.info('Ignored what is not an incident', { ignored: out.ignored });
  return out;
}

export const handler = lifelineHandler(intake);
