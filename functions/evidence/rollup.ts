/**
 * The week's or month's roll-up of evidence: per protected database and bucket what ran, what passed, which
 * objectives were met as measured, and what is overdue or failing. Pure: the gatherer reads the records, this counts
 * them. Nothing is called met or compliant without a record that says so.
 */
import type {
  BucketRollup,
  DatabaseRollup,
  DrillEvidence,
  EvidenceRecord,
  ObjectiveTally,
  ProtectedDatabase,
  Rollup,
  RollupInput,
} from './contracts';

const inPeriod = (at: string, input: RollupInput) => at >= input.period.from && at < input.period.to;

const days = (seconds: number) => `${Math.round((10 * seconds) / 86_400) / 10} d`;

function tally(drills: readonly DrillEvidence[], objective: 'rto' | 'rpo'): ObjectiveTally {
  const counts = { met: 0, missed: 0, 'not-measured': 0, waived: 0 };
  for (const drill of drills) counts[drill[objective].outcome] += 1;
  return counts;
}

function databaseRollup(db: ProtectedDatabase, input: RollupInput): DatabaseRollup {
  const findings: string[] = [];
  const backups = input.backups.filter((b) => b.database === db.id && inPeriod(b.startedAt, input));
  const succeeded = backups.filter((b) => b.status === 'SUCCEEDED').length;
  const failed = backups.filter((b) => b.status !== 'SUCCEEDED' && b.status !== 'RUNNING').length;
  if (backups.length === 0) findings.push('no backup ran in the period');
  if (failed > 0) findings.push(`${failed} of ${succeeded + failed} backups did not succeed`);

  // Drills before the period only tell when the last one passed (a monthly drill may pass before a week began).
  const allDrills = input.drills.filter((d) => d.database === db.id);
  const restoreDrills = allDrills.filter((d) => !d.failover);
  const drills = restoreDrills.filter((d) => inPeriod(d.startedAt, input));
  const failoverDrills = allDrills.filter((d) => d.failover && inPeriod(d.startedAt, input));
  const lastPassedAt =
    restoreDrills
      .filter((d) => d.status === 'passed' && d.startedAt < input.period.to)
      .map((d) => d.startedAt)
      .sort()
      .at(-1) ?? null;
  if (db.drillCadenceSeconds !== undefined) {
    const since = lastPassedAt ? (Date.parse(input.period.to) - Date.parse(lastPassedAt)) / 1000 : undefined;
    if (since === undefined) findings.push('no restore drill passed on record: restorability is unproven');
    else if (since > db.drillCadenceSeconds)
      findings.push(
        `the last passing restore drill was ${days(since)} before the period ended, longer than its cadence of ${days(db.drillCadenceSeconds)}`,
      );
  }
  const failedDrills = drills.filter((d) => d.status === 'failed').length;
  if (failedDrills > 0) findings.push(`${failedDrills} of ${drills.length} restore drills failed`);
  const rto = tally(drills, 'rto');
  const rpo = tally(drills, 'rpo');
  if (rto.missed > 0) findings.push(`the RTO was missed in ${rto.missed} drill${rto.missed === 1 ? '' : 's'}`);
  if (rpo.missed > 0) findings.push(`the RPO was missed in ${rpo.missed} drill${rpo.missed === 1 ? '' : 's'}`);

  const checks = input.retention.filter((r) => r.database === db.id);
  const short = checks.filter((r) => r.kept < r.expected);
  for (const r of short)
    findings.push(`in ${r.region} the retention keeps ${r.kept} of the ${r.expected} recovery points it asks for`);
  const over = checks.filter((r) => (r.beyond ?? 0) > 0);
  for (const r of over)
    findings.push(
      `in ${r.region} ${r.beyond} recovery point${r.beyond === 1 ? ' is' : 's are'} kept beyond the retention (the prune did not delete ${r.beyond === 1 ? 'it' : 'them'})`,
    );

  const failovers = (input.failovers ?? []).filter((f) => f.database === db.id && inPeriod(f.startedAt, input));
  const dryRuns = failovers.filter((f) => f.dryRun);
  const real = failovers.filter((f) => !f.dryRun);
  const dryRunsFailed = dryRuns.filter((f) => !f.passed).length;
  if (dryRunsFailed > 0)
    findings.push(`${dryRunsFailed} of ${dryRuns.length} failover dry runs failed: the recovery path is blocked`);
  const notVerified = real.filter((f) => !f.passed).length;
  if (notVerified > 0) findings.push(`${notVerified} of ${real.length} failovers were not verified through the name`);

  const archives = (input.archives ?? []).filter((a) => a.database === db.id && inPeriod(a.at, input));
  const exportsFailed = archives.filter((a) => a.type === 'export' && !a.ok).length;
  if (exportsFailed > 0)
    findings.push(`${exportsFailed} export${exportsFailed === 1 ? '' : 's'} to the archive failed`);

  return {
    id: db.id,
    engine: db.engine,
    backups: {
      succeeded,
      failed,
      successRate: succeeded + failed === 0 ? null : succeeded / (succeeded + failed),
    },
    drills: { passed: drills.length - failedDrills, failed: failedDrills, lastPassedAt },
    failoverDrills: {
      passed: failoverDrills.filter((d) => d.status === 'passed').length,
      failed: failoverDrills.filter((d) => d.status === 'failed').length,
    },
    failovers: {
      dryRunsPassed: dryRuns.length - dryRunsFailed,
      dryRunsFailed,
      failedOver: real.length - notVerified,
      notVerified,
    },
    archives: {
      exported: archives.filter((a) => a.type === 'export' && a.ok).length,
      exportsFailed,
      dumps: archives.filter((a) => a.type === 'dump').length,
    },
    rto,
    rpo,
    retentionCompliant: checks.length === 0 ? null : short.length === 0 && over.length === 0,
    retention:
      checks.length === 0
        ? null
        : {
            kept: checks.reduce((n, r) => n + r.kept, 0),
            expected: checks.reduce((n, r) => n + r.expected, 0),
            beyond: checks.reduce((n, r) => n + (r.beyond ?? 0), 0),
          },
    findings,
  };
}

function bucketRollup(bucket: RollupInput['buckets'][number], input: RollupInput): BucketRollup {
  const findings: string[] = [];
  const newest = input.replication
    .filter((r) => r.bucket === bucket.id && inPeriod(r.verifiedAt, input))
    .sort((a, b) => a.verifiedAt.localeCompare(b.verifiedAt))
    .at(-1);
  const discrepancies = newest ? newest.missing + newest.mismatched + newest.failed : null;
  if (bucket.replicate && !newest) findings.push('replication was not verified in the period');
  if (newest && discrepancies)
    findings.push(
      `the last verification found ${newest.missing} missing, ${newest.mismatched} mismatched and ${newest.failed} failed replicas`,
    );
  return {
    id: bucket.id,
    replicate: bucket.replicate,
    objectLock: bucket.objectLock ? `${bucket.objectLock.mode} ${bucket.objectLock.retentionDays} d` : null,
    lastVerifiedAt: newest?.verifiedAt ?? null,
    discrepancies,
    findings,
  };
}

export function rollUp(input: RollupInput): Rollup {
  if (!(input.period.from < input.period.to))
    throw new Error(
      `The period ${input.period.label} ends (${input.period.to}) before it starts (${input.period.from})`,
    );
  const databases = input.databases.map((db) => databaseRollup(db, input));
  const buckets = input.buckets.map((b) => bucketRollup(b, input));
  const records: EvidenceRecord[] = [
    ...input.backups.filter((b) => inPeriod(b.startedAt, input)).map((b) => b.record),
    ...input.drills.filter((d) => inPeriod(d.startedAt, input)).map((d) => d.record),
    ...input.retention.flatMap((r) => (r.record ? [r.record] : [])),
    ...input.replication.filter((r) => inPeriod(r.verifiedAt, input)).map((r) => r.record),
    ...(input.failovers ?? []).filter((f) => inPeriod(f.startedAt, input)).map((f) => f.record),
    ...(input.archives ?? []).filter((a) => inPeriod(a.at, input)).map((a) => a.record),
  ];
  const sum = (f: (d: DatabaseRollup) => number) => databases.reduce((n, d) => n + f(d), 0);
  return {
    installation: input.installation,
    period: input.period,
    generatedAt: input.generatedAt,
    databases,
    buckets,
    totals: {
      backupsSucceeded: sum((d) => d.backups.succeeded),
      backupsFailed: sum((d) => d.backups.failed),
      drillsPassed: sum((d) => d.drills.passed),
      drillsFailed: sum((d) => d.drills.failed),
      findings: sum((d) => d.findings.length) + buckets.reduce((n, b) => n + b.findings.length, 0),
    },
    records,
  };
}

/** The period a label names: `2026-11` (a calendar month) or `2026-W48` (an ISO week), in UTC. */
export function periodOf(label: string): RollupInput['period'] {
  const month = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(label);
  if (month) {
    const [y, m] = [Number(month[1]), Number(month[2])];
    return {
      kind: 'month',
      label,
      from: new Date(Date.UTC(y, m - 1, 1)).toISOString(),
      to: new Date(Date.UTC(y, m, 1)).toISOString(),
    };
  }
  const week = /^(\d{4})-W(0[1-9]|[1-4]\d|5[0-3])$/.exec(label);
  if (week) {
    const [y, w] = [Number(week[1]), Number(week[2])];
    // ISO week 1 holds the year's first Thursday; its Monday is the start.
    const jan4 = new Date(Date.UTC(y, 0, 4));
    const monday1 = Date.UTC(y, 0, 4 - ((jan4.getUTCDay() + 6) % 7));
    const from = monday1 + (w - 1) * 7 * 86_400_000;
    const lastWeek = new Date(Date.UTC(y, 11, 28));
    const weeksInYear = Math.round(
      (Date.UTC(y, 11, 28 - ((lastWeek.getUTCDay() + 6) % 7)) - monday1) / (7 * 86_400_000) + 1,
    );
    if (w > weeksInYear) throw new Error(`${label} does not exist: ${y} has ${weeksInYear} ISO weeks`);
    return {
      kind: 'week',
      label,
      from: new Date(from).toISOString(),
      to: new Date(from + 7 * 86_400_000).toISOString(),
    };
  }
  throw new Error(
    `"${label}" is not a period: write a month as YYYY-MM (2026-11) or an ISO week as YYYY-Www (2026-W48)`,
  );
}

/** The last complete week (Monday to Monday, UTC) or month before `at`, as a period. */
export function lastCompletePeriod(kind: RollupInput['period']['kind'], at: Date): RollupInput['period'] {
  if (kind === 'month') {
    const month = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() - 1, 1));
    return periodOf(month.toISOString().slice(0, 7));
  }
  const day = (at.getUTCDay() + 6) % 7; // days since Monday
  const thisMonday = Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate() - day);
  const monday = new Date(thisMonday - 7 * 86_400_000);
  // The ISO year of a week is the year of its Thursday.
  const thursday = new Date(monday.getTime() + 3 * 86_400_000);
  const jan4 = Date.UTC(thursday.getUTCFullYear(), 0, 4);
  const week1 = jan4 - ((new Date(jan4).getUTCDay() + 6) % 7) * 86_400_000;
  const week = Math.floor((monday.getTime() - week1) / (7 * 86_400_000)) + 1;
  return periodOf(`${thursday.getUTCFullYear()}-W${String(week).padStart(2, '0')}`);
}
