import {
  type CloudWatchClient,
  DescribeAlarmsCommand,
  type DescribeAlarmsCommandOutput,
} from '@aws-sdk/client-cloudwatch';
import type { RDSClient } from '@aws-sdk/client-rds';
import type { S3Client } from '@aws-sdk/client-s3';
import { ageSeconds, newestVerifiedCopy } from '../../functions/alerts/newest-verified-copy';
import { listManualSnapshots } from '../../functions/commons/rds-snapshots';
import { READINESS_METRIC, type ReadinessEvidence, type ReadinessScore } from '../../functions/readiness/contracts';
import {
  continuousRpoOf,
  failoverEvidenceOf,
  failoverRecordKeys,
  newestDatapointOf,
} from '../../functions/readiness/read-evidence';
import { readinessScore, withVaultNotChecked } from '../../functions/readiness/score';
import type { OutputDatabase } from '../outputs';
import { call, client, explained } from './aws';
import { explainAwsError } from './errors';
import type { Installation } from './installation';
import { duration, type Io, line, rows, writeJson } from './output';
import { readHistory, readObject, reportsBucketOf } from './records';

export interface DatabaseStatus {
  readonly id: string;
  readonly rpoSeconds: number;
  readonly rtoSeconds: number;
  /** The newest verified DR copy; null when there is none (or the database is not copied to DR). */
  readonly newestCopy: {
    readonly id: string;
    readonly takenAt: string;
    readonly ageSeconds: number;
    readonly withinRpo: boolean;
  } | null;
  readonly copiedToDr: boolean;
  /** The continuous RPO as last measured; null when configured but not measured; absent when not configured. */
  readonly continuousRpoSeconds?: number | null;
  readonly lastDrill: {
    readonly execution: string;
    readonly startedAt: string;
    readonly status: 'passed' | 'failed';
    readonly summary: string;
    readonly rtoSeconds: number | null;
    readonly rpoSeconds: number | null;
    readonly report: string;
  } | null;
  readonly drilled: boolean;
  readonly alarms: readonly string[];
  /** Scored now from the same evidence the readiness probe reads, with the configured floor. */
  readonly readiness: ReadinessScore;
  /** The score the readiness probe last published (`Lifeline/ReadinessScore`, past day); null when none was. */
  readonly publishedReadiness: { readonly score: number; readonly at: string } | null;
  /** What needs attention, in words. */
  readonly findings: readonly string[];
}

export interface Status {
  readonly installation: string;
  readonly primaryRegion: string;
  readonly drRegion: string;
  readonly at: string;
  readonly databases: readonly DatabaseStatus[];
  /** Every alarm of the installation (`<name>-…`) in ALARM, in both regions. */
  readonly alarms: readonly { readonly name: string; readonly region: string; readonly reason: string }[];
  readonly findings: readonly string[];
}

async function alarmsInAlarm(installation: Installation, region: string): Promise<Status['alarms']> {
  const found: Status['alarms'][number][] = [];
  let NextToken: string | undefined;
  do {
    const page = await call<DescribeAlarmsCommandOutput>(
      'cloudwatch',
      region,
      new DescribeAlarmsCommand({ AlarmNamePrefix: `${installation.name}-`, StateValue: 'ALARM', NextToken }),
    );
    for (const alarm of [...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? [])])
      found.push({ name: alarm.AlarmName ?? '', region, reason: alarm.StateReason ?? '' });
    NextToken = page.NextToken;
  } while (NextToken);
  return found;
}

async function newestCopyOf(installation: Installation, db: OutputDatabase, now: Date) {
  const region = installation.drRegion;
  try {
    const copies = await listManualSnapshots(client('rds', region) as RDSClient, db.kind);
    const newest = newestVerifiedCopy(copies, { database: db.id, installation: installation.name });
    if (!newest) return null;
    const age = ageSeconds(newest.takenAt, now);
    return { id: newest.id, takenAt: newest.takenAt, ageSeconds: age, withinRpo: age <= db.rpoSeconds };
  } catch (error) {
    const action = db.kind === 'cluster' ? 'DescribeDBClusterSnapshots' : 'DescribeDBSnapshots';
    throw explainAwsError(error, { service: 'rds', action, region });
  }
}

/** What the failover records say (as the probe reads them), each call's error explained as its own. */
async function failoverEvidenceFor(installation: Installation, database: string) {
  const dr = installation.drRegion;
  const bucket = reportsBucketOf(installation);
  const keys = await explained(
    failoverRecordKeys(bucket, database, client('s3', dr) as S3Client),
    's3',
    'ListObjectsV2',
    dr,
  );
  return failoverEvidenceOf(keys, async (key) => (await readObject(dr, bucket, key))?.text);
}

/** The readiness probe's newest published score in the past day, in the DR region where it runs. */
async function publishedReadiness(installation: Installation, db: OutputDatabase, now: Date) {
  const dr = installation.drRegion;
  const cloudwatch = client('cloudwatch', dr) as CloudWatchClient;
  const newest = await explained(
    newestDatapointOf(READINESS_METRIC, db.id, now, 'Minimum', cloudwatch),
    'cloudwatch',
    'GetMetricStatistics',
    dr,
  );
  return newest ? { score: newest.value, at: newest.at.toISOString() } : null;
}

async function databaseStatus(
  installation: Installation,
  db: OutputDatabase,
  alarms: Status['alarms'],
  now: Date,
): Promise<DatabaseStatus> {
  const dr = installation.drRegion;
  const [newestCopy, history, continuous, failover, published] = await Promise.all([
    db.copyToDr ? newestCopyOf(installation, db, now) : Promise.resolve(null),
    db.drilled ? readHistory(installation, db.id) : Promise.resolve(undefined),
    db.continuous
      ? explained(
          continuousRpoOf(db.id, now, client('cloudwatch', dr) as CloudWatchClient),
          'cloudwatch',
          'GetMetricStatistics',
          dr,
        )
      : Promise.resolve(undefined),
    // The failover records: the newest dry run preflights the recovery path, the newest failover drill proves it.
    db.failover ? failoverEvidenceFor(installation, db.id) : Promise.resolve({}),
    publishedReadiness(installation, db, now),
  ]);
  const last = history?.drills.at(-1);
  const own = alarms.filter((a) => a.name.startsWith(`${installation.name}-${db.id}-`)).map((a) => a.name);
  // The evidence as the readiness probe reads it (readinessEvidenceOf), so both score alike.
  const evidence: ReadinessEvidence = {
    database: db.id,
    rpoSeconds: db.rpoSeconds,
    ...(db.readinessFloor === undefined ? {} : { floor: db.readinessFloor }),
    ...(newestCopy ? { newestVerifiedCopyAt: newestCopy.takenAt } : {}),
    ...(db.continuous ? { continuous: continuous === undefined ? {} : { measuredRpoSeconds: continuous } } : {}),
    ...(db.drillCadenceSeconds === undefined ? {} : { drillCadenceSeconds: db.drillCadenceSeconds }),
    ...(last ? { lastDrill: { at: last.startedAt, passed: last.status === 'passed' } } : {}),
    ...failover,
    ...(db.failoverDrillCadenceSeconds === undefined
      ? {}
      : { failoverDrillCadenceSeconds: db.failoverDrillCadenceSeconds }),
  };
  const score = readinessScore(evidence, now);
  // The vault copies are in the vault account: production's credentials cannot see them, so the CLI does not say none.
  const readiness = db.copyToVault ? withVaultNotChecked(score) : score;
  const findings: string[] = [];
  if (db.copyToDr && !newestCopy) findings.push(`${db.id}: no verified DR copy`);
  if (newestCopy && !newestCopy.withinRpo)
    findings.push(
      `${db.id}: the newest verified DR copy is ${duration(newestCopy.ageSeconds)} old, past the RPO of ${duration(db.rpoSeconds)}`,
    );
  if (last?.status === 'failed') findings.push(`${db.id}: the last drill failed: ${last.summary}`);
  if (db.drilled && !last) findings.push(`${db.id}: no drill on record`);
  if (readiness.belowFloor) {
    const weakest = readiness.parts
      .filter((p) => p.credit < 1)
      .sort((a, b) => b.weight * (1 - b.credit) - a.weight * (1 - a.credit))
      .map((p) => p.why);
    findings.push(
      `${db.id}: readiness ${readiness.score}/100 is below its floor of ${readiness.floor}: ${weakest.slice(0, 2).join('; ')}`,
    );
  }
  for (const alarm of own) findings.push(`${db.id}: alarm ${alarm} is in ALARM`);
  return {
    id: db.id,
    rpoSeconds: db.rpoSeconds,
    rtoSeconds: db.rtoSeconds,
    newestCopy,
    copiedToDr: db.copyToDr,
    ...(db.continuous ? { continuousRpoSeconds: continuous ?? null } : {}),
    lastDrill: last
      ? {
          execution: last.execution,
          startedAt: last.startedAt,
          status: last.status,
          summary: last.summary,
          rtoSeconds: last.rto.measuredSeconds,
          rpoSeconds: last.rpo.measuredSeconds,
          report: last.report.json,
        }
      : null,
    drilled: db.drilled,
    alarms: own,
    readiness,
    publishedReadiness: published,
    findings,
  };
}

/** What `status` reads: RDS (DR copies), the reports bucket (drill histories), CloudWatch (alarms, metrics). */
export async function gatherStatus(
  installation: Installation,
  only: string | undefined,
  now = new Date(),
): Promise<Status> {
  const regions = [...new Set([installation.drRegion, installation.primaryRegion])];
  const alarms = (await Promise.all(regions.map((r) => alarmsInAlarm(installation, r)))).flat();
  const databases = await Promise.all(
    installation.databases
      .filter((d) => only === undefined || d.id === only)
      .map((d) => databaseStatus(installation, d, alarms, now)),
  );
  const perDatabase = new Set(databases.flatMap((d) => d.alarms));
  const findings = [
    ...databases.flatMap((d) => d.findings),
    ...(only === undefined
      ? alarms.filter((a) => !perDatabase.has(a.name)).map((a) => `alarm ${a.name} (${a.region}) is in ALARM`)
      : []),
  ];
  return {
    installation: installation.name,
    primaryRegion: installation.primaryRegion,
    drRegion: installation.drRegion,
    at: now.toISOString(),
    databases,
    alarms: only === undefined ? alarms : alarms.filter((a) => perDatabase.has(a.name)),
    findings,
  };
}

const utc = (iso: string) => `${iso.slice(0, 16).replace('T', ' ')} UTC`;

export function printStatus(status: Status, io: Io): void {
  if (io.json) {
    writeJson(io, status);
    return;
  }
  const now = Date.parse(status.at);
  line(io.out, `${status.installation}: primary ${status.primaryRegion}, DR ${status.drRegion}, at ${utc(status.at)}`);
  for (const db of status.databases) {
    line(io.out);
    const floor = db.readiness.floor === undefined ? '' : `floor ${db.readiness.floor}; `;
    const published = db.publishedReadiness
      ? `published ${db.publishedReadiness.score} at ${utc(db.publishedReadiness.at)}`
      : 'none published by the readiness probe in the last 24 h';
    line(io.out, `${db.id}  readiness ${db.readiness.score}/100 (${floor}${published})`);
    const copy = !db.copiedToDr
      ? 'not copied to the DR region (backup.copyToDr: false)'
      : db.newestCopy
        ? `${db.newestCopy.id}, ${duration(db.newestCopy.ageSeconds)} old (RPO ${duration(db.rpoSeconds)}): ${db.newestCopy.withinRpo ? 'within' : 'PAST THE RPO'}`
        : 'none verified: nothing could be restored in the DR region';
    const continuous =
      db.continuousRpoSeconds === undefined
        ? 'not configured'
        : db.continuousRpoSeconds === null
          ? 'configured, no measurement in the last 24 h'
          : `${duration(db.continuousRpoSeconds)} (RPO ${duration(db.rpoSeconds)})`;
    const drill = !db.drilled
      ? 'no drill configured'
      : db.lastDrill
        ? `${db.lastDrill.status} ${utc(db.lastDrill.startedAt)} (${duration((now - Date.parse(db.lastDrill.startedAt)) / 1000)} ago), RTO ${measured(db.lastDrill.rtoSeconds)}, RPO ${measured(db.lastDrill.rpoSeconds)}`
        : 'none on record';
    line(
      io.out,
      rows([
        ['newest DR copy', copy],
        ['continuous RPO', continuous],
        ['last drill', drill],
        ['alarms', db.alarms.length === 0 ? 'none in ALARM' : db.alarms.join(', ')],
      ]),
    );
    line(io.out, '  readiness parts');
    line(
      io.out,
      rows(
        db.readiness.parts.map((p) => [
          p.name,
          `${String(Math.round(p.weight * p.credit)).padStart(3)}/${p.weight}  ${p.why}`,
        ]),
        '    ',
      ),
    );
  }
  const others = status.alarms.filter((a) => !status.databases.some((d) => d.alarms.includes(a.name)));
  if (others.length > 0) {
    line(io.out);
    line(io.out, 'Alarms of the installation in ALARM:');
    for (const a of others) line(io.out, `  ${a.name} (${a.region}): ${a.reason}`);
  }
  line(io.out);
  if (status.findings.length === 0) line(io.out, 'Nothing needs attention.');
  else {
    line(io.out, 'Needs attention:');
    for (const f of status.findings) line(io.out, `  - ${f}`);
  }
}

const measured = (seconds: number | null) => (seconds === null ? 'not measured' : duration(seconds));
