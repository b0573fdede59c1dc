/**
 * The scheduled evidence report: gathers a week's or a month's records (the backup workflow's executions from Step
 * Functions; from the reports bucket each drill report, failover record and replication verification report; from
 * the archive bucket's replica each export record and dump manifest; and a retention check of the DR copies, listed
 * from RDS), rolls them up, stores the roll-up as JSON and HTML in the locked reports bucket and sends a short
 * digest. Every record is cited with the SHA-256 of its content as read.
 */
import { createHash } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { PublishCommand } from '@aws-sdk/client-sns';
import { rds, s3, sns } from '../commons/aws';
import { ENV, ERROR, TAG } from '../commons/contracts';
import { InvalidInput } from '../commons/errors';
import { described, eachLimited, executions } from '../commons/executions';
import { lifelineHandler, logger } from '../commons/handler';
import { type Kind, listManualSnapshots, type Snapshot } from '../commons/rds-snapshots';
import { env, now } from '../commons/runtime';
import { parseHistory } from '../drill/history';
import { MANIFEST_SUFFIX } from '../dump/contracts';
import type { ExportRecord } from '../export/contracts';
import { listKeys, readObject, type StoredFailoverRecord } from '../readiness/read-evidence';
import { checkRetention } from './check-retention';
import {
  type ArchiveEvidence,
  type BackupEvidence,
  type DrillEvidence,
  EVIDENCE_ENV,
  type EvidenceEnv,
  type EvidenceOutcome,
  type EvidenceRequest,
  type FailoverEvidence,
  type ReplicationEvidence,
  type RetentionEvidence,
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

const readText = readObject;
const inPeriod = (at: string, period: RollupPeriod) => at >= period.from && at < period.to;

/** Each JSON record under `prefix` whose time (as `timeOf` reads it) is in the period, with its checksum. */
async function recordsUnder<T>(
  bucket: string,
  prefix: string,
  period: RollupPeriod,
  timeOf: (record: T) => string | undefined,
  unread: string[],
): Promise<{ record: T; key: string; sha256: string }[]> {
  const found: { record: T; key: string; sha256: string }[] = [];
  for (const key of await listKeys(bucket, prefix)) {
    if (!key.endsWith('.json')) continue;
    const object = await readText(bucket, key);
    if (!object) continue;
    let record: T;
    try {
      record = JSON.parse(object.text) as T;
    } catch {
      unread.push(`${key} in ${bucket} is not JSON`);
      continue;
    }
    const at = timeOf(record);
    if (at && inPeriod(at, period)) found.push({ record, key, sha256: object.sha256 });
  }
  return found;
}

/** Failover dry runs and failovers of a database; failover drills (`drill: true`) count with the drills. */
async function failoversOf(bucket: string, database: string, period: RollupPeriod, unread: string[]) {
  const failovers: FailoverEvidence[] = [];
  const drills: DrillEvidence[] = [];
  const found = await recordsUnder<StoredFailoverRecord>(
    bucket,
    `failovers/${database}/`,
    period,
    (r) => r.startedAt,
    unread,
  );
  for (const { record: r, key, sha256: checksum } of found) {
    const record = { kind: 'failover-record' as const, database, location: `s3://${bucket}/${key}`, sha256: checksum };
    if (r.drill) {
      const met = r.rtoSeconds !== null && r.rtoSeconds <= r.rtoObjectiveSeconds;
      drills.push({
        database,
        status: r.status === 'drill-passed' ? 'passed' : 'failed',
        startedAt: r.startedAt,
        rto: {
          outcome: r.rtoSeconds === null ? 'not-measured' : met ? 'met' : 'missed',
          measuredSeconds: r.rtoSeconds,
        },
        rpo: { outcome: 'not-measured', measuredSeconds: r.dataLoss?.seconds ?? null },
        failover: true,
        record,
      });
      continue;
    }
    const passed = r.dryRun
      ? r.status === 'planned' && (r.checks ?? []).every((c) => c.ok || !c.blocking)
      : r.status === 'failed-over';
    failovers.push({ database, startedAt: r.startedAt, status: r.status, dryRun: r.dryRun, passed, record });
  }
  return { failovers, drills };
}

/** The replication verification reports of a bucket in the period (`replication/<bucket>/…`). */
async function verificationsOf(bucket: string, id: string, period: RollupPeriod, unread: string[]) {
  interface Report {
    checkedAt?: string;
    counts?: { missing?: number; mismatched?: number; failed?: number };
    oldestUnreplicated?: { ageSeconds?: number } | null;
  }
  const found = await recordsUnder<Report>(bucket, `replication/${id}/`, period, (r) => r.checkedAt, unread);
  return found.map(
    ({ record: r, key, sha256: checksum }): ReplicationEvidence => ({
      bucket: id,
      verifiedAt: r.checkedAt as string,
      missing: r.counts?.missing ?? 0,
      mismatched: r.counts?.mismatched ?? 0,
      failed: r.counts?.failed ?? 0,
      ...(r.oldestUnreplicated?.ageSeconds === undefined
        ? {}
        : { oldestUnreplicatedSeconds: r.oldestUnreplicated.ageSeconds }),
      record: { kind: 'replication-report', location: `s3://${bucket}/${key}`, sha256: checksum },
    }),
  );
}

/** The exports recorded and the dumps archived in the period, from the archive bucket's replica in this region. */
async function archivesOf(
  archive: NonNullable<EvidenceEnv['archives']>[number],
  period: RollupPeriod,
  unread: string[],
): Promise<ArchiveEvidence[]> {
  const { database, bucketName } = archive;
  const archives: ArchiveEvidence[] = [];
  if (archive.export) {
    const found = await recordsUnder<ExportRecord>(
      bucketName,
      `records/exports/${database}/`,
      period,
      (r) => r.recordedAt,
      unread,
    );
    for (const { record: r, key, sha256: checksum } of found)
      archives.push({
        database,
        type: 'export',
        at: r.recordedAt,
        ok: r.status === 'COMPLETE',
        record: { kind: 'export-record', database, location: `s3://${bucketName}/${key}`, sha256: checksum },
      });
  }
  if (archive.dump) {
    // A manifest names its dump and the dump's SHA-256, and says when it was written (after its dump).
    for (const key of await listKeys(bucketName, `dumps/${database}/`)) {
      if (!key.endsWith(MANIFEST_SUFFIX)) continue;
      const object = await readText(bucketName, key);
      if (!object) continue;
      const at = (JSON.parse(object.text) as { createdAt?: string }).createdAt;
      if (!at) {
        unread.push(`the dump manifest ${key} in ${bucketName} does not say when it was written`);
        continue;
      }
      if (inPeriod(at, period))
        archives.push({
          database,
          type: 'dump',
          at,
          ok: true,
          record: { kind: 'dump-manifest', database, location: `s3://${bucketName}/${key}`, sha256: object.sha256 },
        });
    }
  }
  return archives;
}

/** The retention check of each database copied here, from its DR copies as RDS lists them now. */
async function retentionOf(config: EvidenceEnv, at: Date, unread: string[]): Promise<RetentionEvidence[]> {
  const region = env('AWS_REGION');
  const listed = new Map<Kind, Promise<Snapshot[]>>();
  const list = (kind: Kind) => {
    if (!listed.has(kind)) listed.set(kind, listManualSnapshots(rds(), kind));
    return listed.get(kind) as Promise<Snapshot[]>;
  };
  const checks: RetentionEvidence[] = [];
  for (const db of config.databases) {
    if (!db.kind || db.copyToDr === false) continue;
    const owner = { database: db.id, installation: config.installation };
    let all: Snapshot[];
    try {
      all = await list(db.kind);
    } catch (error) {
      // Not checked rather than guessed: the roll-up shows its retention as not checked.
      unread.push(`the DR copies of ${db.id} could not be listed (${(error as Error).name}): retention not checked`);
      continue;
    }
    const own = all.filter((s) => s.tags[TAG.database] === db.id && s.tags[TAG.installation] === config.installation);
    const check = checkRetention(own, owner, db.retention, at);
    // The listing it was judged from is the record: the copies, their status and tags, in id order.
    const listing = JSON.stringify(
      own
        .map((s) => ({ id: s.id, status: s.status, createdAt: s.createdAt, tags: s.tags }))
        .sort((a, b) => a.id.localeCompare(b.id)),
    );
    checks.push({
      database: db.id,
      region,
      kept: check.kept,
      expected: check.expected,
      beyond: check.beyond,
      record: {
        kind: 'retention-check',
        database: db.id,
        location: `rds:${region}:${db.kind === 'cluster' ? 'cluster-snapshots' : 'snapshots'}:${db.id} at ${at.toISOString()}`,
        sha256: sha256(listing),
      },
    });
  }
  return checks;
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
  const failovers: FailoverEvidence[] = [];
  for (const database of config.failoverDatabases ?? []) {
    const found = await failoversOf(bucket, database, period, unread);
    failovers.push(...found.failovers);
    drills.push(...found.drills);
  }
  const replication: ReplicationEvidence[] = [];
  for (const b of config.buckets.filter((b) => b.replicate))
    replication.push(...(await verificationsOf(bucket, b.id, period, unread)));
  if (config.buckets.length === 0) unread.push('replication verifications: no bucket is rolled up');
  const archives: ArchiveEvidence[] = [];
  for (const archive of config.archives ?? []) archives.push(...(await archivesOf(archive, period, unread)));
  const retention = await retentionOf(config, now(), unread);
  if (retention.length === 0) unread.push('retention checks: no database is copied here, so none was made');
  const rollup = rollUp({
    installation: config.installation,
    period,
    generatedAt: now().toISOString(),
    databases: config.databases,
    buckets: config.buckets,
    backups,
    drills,
    retention,
    replication,
    failovers,
    archives,
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
