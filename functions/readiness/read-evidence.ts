/**
 * Reads the measured evidence of one database's readiness where Lifeline keeps it: its newest verified DR copy (RDS,
 * here in the DR region), its continuous RPO (the `Lifeline/ContinuousRPO` metric), its last restore drill (its
 * history in the reports bucket), and its failover records (`failovers/<db>/…`: dry runs preflight the recovery
 * path, failover drills prove it). The evidence report reads the same records through `readObject`. Each reader takes
 * the client to read with: a function's own by default; the `lifeline` CLI passes its own (its region, its credentials).
 */
import { createHash } from 'node:crypto';
import { type CloudWatchClient, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { GetObjectCommand, ListObjectsV2Command, NoSuchKey, type S3Client } from '@aws-sdk/client-s3';
import { newestVerifiedCopy } from '../alerts/newest-verified-copy';
import { cloudwatch, s3 } from '../commons/aws';
import { METRICS_NAMESPACE } from '../commons/contracts';
import type { Kind, Snapshot } from '../commons/rds-snapshots';
import { CONTINUOUS_RPO_METRIC } from '../continuous/contracts';
import { parseHistory } from '../drill/history';
import type { FailoverRecord } from '../failover/contracts';
import type { ReadinessEvidence, ReadinessProbeDatabase } from './contracts';

/** An object's text and the SHA-256 of its bytes as read; undefined when there is no such key. */
export async function readObject(
  bucket: string,
  key: string,
  client: S3Client = s3(),
): Promise<{ text: string; sha256: string } | undefined> {
  try {
    const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const bytes = (await out.Body?.transformToByteArray()) ?? new Uint8Array();
    return { text: Buffer.from(bytes).toString('utf8'), sha256: createHash('sha256').update(bytes).digest('hex') };
  } catch (error) {
    if (error instanceof NoSuchKey || (error as Error).name === 'NoSuchKey') return undefined;
    throw error;
  }
}

/** Every key under `prefix`, in S3's (lexicographic) order. */
export async function listKeys(bucket: string, prefix: string, client: S3Client = s3()): Promise<string[]> {
  const keys: string[] = [];
  let ContinuationToken: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken }));
    for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
    ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (ContinuationToken);
  return keys;
}

/** A failover record as stored; a failover drill's (the whole runbook on a shadow record) has `drill` set. */
export type StoredFailoverRecord = FailoverRecord;

/** The JSON failover records of a database, oldest first (their keys are dated by the failover's start). */
export async function failoverRecordKeys(bucket: string, database: string, client: S3Client = s3()): Promise<string[]> {
  return (await listKeys(bucket, `failovers/${database}/`, client)).filter((k) => k.endsWith('.json'));
}

const isPreflight = (r: StoredFailoverRecord) => r.dryRun || r.checks.length > 0;

/**
 * What the failover records say: the newest preflight of the recovery path and the newest failover drill, each passed
 * or not. A preflight is a dry run, or any failover or failover drill that ran its pre-checks: it passed when every
 * blocking check did (a dry run whose pre-checks stopped it has none on record, and did not pass). The records are
 * read a day at a time, newest first (their keys are dated by the start), until both are found: the hourly probe
 * does not read a year of locked records to find last week's.
 */
export async function failoverEvidenceOf(
  keys: readonly string[],
  read: (key: string) => Promise<string | undefined>,
): Promise<Pick<ReadinessEvidence, 'preflight' | 'lastFailoverDrill'>> {
  const dayOf = (key: string) => /\/(\d{4}-\d\d-\d\d)\//.exec(key)?.[1] ?? '';
  const days = [...new Set(keys.map(dayOf))].sort().reverse();
  const records: StoredFailoverRecord[] = [];
  for (const day of days) {
    for (const key of keys.filter((k) => dayOf(k) === day)) {
      const text = await read(key);
      if (text !== undefined) records.push(JSON.parse(text) as StoredFailoverRecord);
    }
    if (records.some(isPreflight) && records.some((r) => r.drill)) break;
  }
  records.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  const preflight = records.filter(isPreflight).at(-1);
  const drill = records.filter((r) => r.drill).at(-1);
  return {
    ...(preflight
      ? {
          preflight: {
            at: preflight.startedAt,
            passed: preflight.checks.length > 0 && preflight.checks.every((c) => c.ok || !c.blocking),
          },
        }
      : {}),
    // A failover drill's record says drill-passed or drill-failed (never failed-over: it moved no client).
    ...(drill ? { lastFailoverDrill: { at: drill.startedAt, passed: drill.status === 'drill-passed' } } : {}),
  };
}

/** failoverEvidenceOf a database's records in the reports bucket. */
export async function failoverEvidence(
  bucket: string,
  database: string,
  client: S3Client = s3(),
): Promise<Pick<ReadinessEvidence, 'preflight' | 'lastFailoverDrill'>> {
  const keys = await failoverRecordKeys(bucket, database, client);
  return failoverEvidenceOf(keys, async (key) => (await readObject(bucket, key, client))?.text);
}

/** The newest drill in a database's history, passed or not; undefined with no history. */
export async function lastDrillOf(bucket: string, database: string): Promise<ReadinessEvidence['lastDrill']> {
  const index = await readObject(bucket, `history/${database}/index.json`);
  const last = index ? parseHistory(index.text, database).drills.at(-1) : undefined;
  return last ? { at: last.startedAt, passed: last.status === 'passed' } : undefined;
}

/** A database's newest data point of a Lifeline metric (dimension `database`) in the past day; undefined when none. */
export async function newestDatapointOf(
  metricName: string,
  database: string,
  now: Date,
  statistic: 'Maximum' | 'Minimum',
  client: CloudWatchClient = cloudwatch(),
): Promise<{ readonly value: number; readonly at: Date } | undefined> {
  const out = await client.send(
    new GetMetricStatisticsCommand({
      Namespace: METRICS_NAMESPACE,
      MetricName: metricName,
      Dimensions: [{ Name: 'database', Value: database }],
      StartTime: new Date(now.getTime() - 86_400_000),
      EndTime: now,
      Period: 300,
      Statistics: [statistic],
    }),
  );
  const newest = (out.Datapoints ?? [])
    .filter((d) => d.Timestamp && d[statistic] !== undefined)
    .sort((a, b) => (b.Timestamp?.getTime() ?? 0) - (a.Timestamp?.getTime() ?? 0))[0];
  return newest ? { value: newest[statistic] as number, at: newest.Timestamp as Date } : undefined;
}

/** The continuous RPO as last measured in the past day; undefined when nothing was. */
export async function continuousRpoOf(
  database: string,
  now: Date,
  client: CloudWatchClient = cloudwatch(),
): Promise<number | undefined> {
  return (await newestDatapointOf(CONTINUOUS_RPO_METRIC, database, now, 'Maximum', client))?.value;
}

/** Everything measured about one database, from its DR copies (listed once per kind by the caller) and its records. */
export async function readinessEvidenceOf(
  db: ReadinessProbeDatabase,
  context: {
    readonly installation: string;
    readonly reportsBucket: string;
    readonly now: Date;
    readonly copies: (kind: Kind) => Promise<Snapshot[]>;
  },
): Promise<ReadinessEvidence> {
  const { installation, reportsBucket, now } = context;
  const [copy, measuredRpo, lastDrill, failover] = await Promise.all([
    db.copyToDr
      ? context.copies(db.kind).then((all) => newestVerifiedCopy(all, { database: db.id, installation }))
      : undefined,
    db.continuous ? continuousRpoOf(db.id, now) : undefined,
    db.drillCadenceSeconds === undefined ? undefined : lastDrillOf(reportsBucket, db.id),
    db.failover ? failoverEvidence(reportsBucket, db.id) : {},
  ]);
  return {
    database: db.id,
    rpoSeconds: db.rpoSeconds,
    floor: db.floor,
    ...(copy ? { newestVerifiedCopyAt: copy.takenAt } : {}),
    ...(db.continuous ? { continuous: measuredRpo === undefined ? {} : { measuredRpoSeconds: measuredRpo } } : {}),
    ...(db.drillCadenceSeconds === undefined ? {} : { drillCadenceSeconds: db.drillCadenceSeconds }),
    ...(lastDrill ? { lastDrill } : {}),
    ...failover,
    ...(db.failoverDrillCadenceSeconds === undefined
      ? {}
      : { failoverDrillCadenceSeconds: db.failoverDrillCadenceSeconds }),
  };
}
