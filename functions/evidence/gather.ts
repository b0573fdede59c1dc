/**
 * The scheduled evidence report: gathers a week's or a month's records (the backup workflow's executions from Step
 * Functions, each drill report from the reports bucket), rolls them up, stores the roll-up as JSON and HTML in the
 * locked reports bucket and sends a short digest. Every record is cited with the SHA-256 of its content as read.
 */
import { createHash } from 'node:crypto';
import { GetObjectCommand, NoSuchKey, PutObjectCommand } from '@aws-sdk/client-s3';
import { PublishCommand } from '@aws-sdk/client-sns';
import { s3, sns } from '../commons/aws';
import { ENV, ERROR } from '../commons/contracts';
import { InvalidInput } from '../commons/errors';
import { described, eachLimited, executions } from '../commons/executions';
import { lifelineHandler, logger } from '../commons/handler';
import { env, now } from '../commons/runtime';
import { parseHistory } from '../drill/history';
import {
  type BackupEvidence,
  type DrillEvidence,
  EVIDENCE_ENV,
  type EvidenceEnv,
  type EvidenceOutcome,
  type EvidenceRequest,
  type Rollup,
  type RollupPeriod,
} from './contracts';
import { renderRollupHtml } from './render-rollup';
import { lastCompletePeriod, periodOf, rollUp } from './rollup';

const sha256 = (body: string | Uint8Array) => createHash('sha256').update(body).digest('hex');
const STATUSES = new Set<BackupEvidence['status']>(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'RUNNING']);

/** The period a request names; a malformed request fails here, before anything is read or written. */
export function periodOfRequest(request: unknown, at: Date): RollupPeriod {
  const r = (request ?? {}) as Record<string, unknown>;
  try {
    if (typeof r.period === 'string') return periodOf(r.period);
  } catch (error) {
    throw new InvalidInput((error as Error).message);
  }
  if (r.kind === 'week' || r.kind === 'month') {
    const scheduled = typeof r.scheduledTime === 'string' ? new Date(r.scheduledTime) : at;
    if (Number.isNaN(scheduled.getTime()))
      throw new InvalidInput(`scheduledTime is ${JSON.stringify(r.scheduledTime)}: expected an ISO time`);
    return lastCompletePeriod(r.kind, scheduled);
  }
  throw new InvalidInput(
    'expected {"period":"2026-11"} (a month), {"period":"2026-W48"} (an ISO week), or {"kind":"week"|"month"} for the last complete one',
  );
}

async function readText(bucket: string, key: string): Promise<{ text: string; sha256: string } | undefined> {
  try {
    const out = await s3().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const bytes = (await out.Body?.transformToByteArray()) ?? new Uint8Array();
    return { text: Buffer.from(bytes).toString('utf8'), sha256: sha256(bytes) };
  } catch (error) {
    if (error instanceof NoSuchKey || (error as Error).name === 'NoSuchKey') return undefined;
    throw error;
  }
}

/** The drills of a database from its history, from `since` to the period's end, each report read for its checksum. */
async function drillsOf(bucket: string, database: string, since: string, to: string, unread: string[]) {
  const index = await readText(bucket, `history/${database}/index.json`);
  if (!index) return [];
  const rows = parseHistory(index.text, database).drills.filter((d) => d.startedAt >= since && d.startedAt < to);
  const drills: DrillEvidence[] = [];
  for (const row of rows) {
    const report = await readText(bucket, row.report.json);
    if (!report) {
      unread.push(`the report of drill ${row.drillId} (${row.report.json}) is missing from ${bucket}`);
      continue;
    }
    drills.push({
      database,
      status: row.status,
      startedAt: row.startedAt,
      rto: { outcome: row.rto.outcome, measuredSeconds: row.rto.measuredSeconds },
      rpo: { outcome: row.rpo.outcome, measuredSeconds: row.rpo.measuredSeconds },
      record: { kind: 'drill-report', database, location: `s3://${bucket}/${row.report.json}`, sha256: report.sha256 },
    });
  }
  return drills;
}

/** The backup workflow's executions that started in the period, each as Step Functions describes it. */
async function backupsOf(stateMachineArn: string, period: RollupPeriod, databases: ReadonlySet<string>) {
  const listed = [];
  for await (const execution of executions(stateMachineArn)) {
    const started = execution.startDate?.toISOString() ?? '';
    if (started < period.from) break;
    if (started < period.to) listed.push(execution);
  }
  const backups: BackupEvidence[] = [];
  await eachLimited(listed, 8, async (execution) => {
    const { database, error, raw } = await described(execution.executionArn as string);
    // A request refused as malformed backed nothing up; an execution of a database no longer configured is not counted.
    if (!database || !databases.has(database) || error === ERROR.invalidInput) return;
    const status = STATUSES.has(execution.status as BackupEvidence['status'])
      ? (execution.status as BackupEvidence['status'])
      : 'RUNNING';
    const record = JSON.stringify({
      executionArn: raw.executionArn,
      status: raw.status,
      startDate: raw.startDate,
      stopDate: raw.stopDate,
      input: raw.input,
      output: raw.output,
      error: raw.error,
      cause: raw.cause,
    });
    backups.push({
      database,
      execution: execution.executionArn as string,
      status,
      startedAt: execution.startDate?.toISOString() as string,
      record: {
        kind: 'backup-execution',
        database,
        location: execution.executionArn as string,
        sha256: sha256(record),
      },
    });
  });
  return backups.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
}

const digestOf = (rollup: Rollup, json: string, unread: readonly string[]) => {
  const t = rollup.totals;
  const lines = [
    `Lifeline evidence for ${rollup.period.kind} ${rollup.period.label} (${rollup.installation}):`,
    `${t.backupsSucceeded} backups succeeded, ${t.backupsFailed} did not; ${t.drillsPassed} restore drills passed, ${t.drillsFailed} failed.`,
    ...(t.findings === 0 ? ['Nothing needs attention.'] : ['Needs attention:']),
    ...rollup.databases.flatMap((d) => d.findings.map((f) => `- ${d.id}: ${f}`)),
    ...rollup.buckets.flatMap((b) => b.findings.map((f) => `- bucket ${b.id}: ${f}`)),
    ...(unread.length ? ['Could not be read (counted as not checked):', ...unread.map((u) => `- ${u}`)] : []),
    `The roll-up, with every record and its SHA-256: ${json} (and .html beside it).`,
  ];
  return lines.join('\n');
};

export async function reportEvidence(request: EvidenceRequest): Promise<EvidenceOutcome> {
  const config = JSON.parse(env(EVIDENCE_ENV)) as EvidenceEnv;
  const bucket = env(ENV.reportsBucket);
  const period = periodOfRequest(request, now());
  const unread: string[] = [];
  const drills: DrillEvidence[] = [];
  for (const db of config.databases) {
    if (db.drillCadenceSeconds === undefined) continue;
    // Earlier drills tell when the last one passed: a monthly drill may have passed before a week began.
    const since = new Date(Date.parse(period.from) - 1000 * db.drillCadenceSeconds).toISOString();
    drills.push(...(await drillsOf(bucket, db.id, since, period.to, unread)));
  }
  const databases = new Set(config.databases.map((d) => d.id));
  const backups = config.backup ? await backupsOf(config.backup.stateMachineArn, period, databases) : [];
  if (!config.backup) unread.push('no backup workflow is configured: backups are not counted');
  unread.push('retention checks: none is recorded yet, so retention compliance shows as not checked');
  if (config.buckets.length === 0) unread.push('replication verifications: no bucket is rolled up');
  const rollup = rollUp({
    installation: config.installation,
    period,
    generatedAt: now().toISOString(),
    databases: config.databases,
    buckets: config.buckets,
    backups,
    drills,
    retention: [],
    replication: [],
  });
  const body = JSON.stringify({ ...rollup, unread }, null, 2);
  const key = `evidence/${period.kind}/${period.label}`;
  const put = (suffix: string, text: string, contentType: string) =>
    s3().send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: `${key}.${suffix}`,
        Body: text,
        ContentType: contentType,
        ChecksumAlgorithm: 'SHA256',
      }),
    );
  await put('json', body, 'application/json');
  await put('html', renderRollupHtml(rollup), 'text/html; charset=utf-8');
  const json = `s3://${bucket}/${key}.json`;
  if (config.reportTopicArn) {
    await sns().send(
      new PublishCommand({
        TopicArn: config.reportTopicArn,
        Subject: `Lifeline evidence ${period.label}: ${rollup.totals.findings === 0 ? 'nothing needs attention' : `${rollup.totals.findings} findings`}`,
        Message: digestOf(rollup, json, unread),
      }),
    );
  }
  logger.info('Evidence rolled up', { period: period.label, totals: rollup.totals, unread });
  return { period, json, html: `s3://${bucket}/${key}.html`, sha256: sha256(body), totals: rollup.totals, unread };
}

export const handler = lifelineHandler(reportEvidence);
