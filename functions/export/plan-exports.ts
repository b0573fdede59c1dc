/**
 * Which recovery points to export, and when. Pure: no SDK.
 *
 * - What: the points the retention keeps in the monthly or yearly class, in the primary region (the source
 *   snapshots): the archive bucket is there, RDS exports only into a bucket of the snapshot's region, and the bucket
 *   replicates the export to the DR region. The DR copy is not exported too: that would pay twice for one archive.
 * - When: a month's point is the newest verified point of that month, so it is only settled once the month is over
 *   (in the retention's zone); a year's once the year is over. Until then a newer point may take its place, and an
 *   early export would archive a point the retention is about to delete. Each run exports the settled points not yet
 *   exported, oldest first.
 * - Never twice: a point tagged `lifeline:export` (started, complete or failed) is skipped. An untagged point with
 *   an export task under way or complete in RDS (a run that died between the start and the tag) is adopted: waited
 *   for and recorded, not started again. Export task ids are `<snapshot id>-<attempt>`, derived from what RDS lists,
 *   so a repeated start meets RDS's own refusal of a reused id. A failed export stays failed until a person removes
 *   its tag; the next run then starts attempt n+1.
 */
import { type PrunableSnapshot, planPrune } from '../backup/prune-plan';
import { civilDate, parseInstant, zoneCalendar } from '../commons/calendar';
import { TAG } from '../commons/contracts';
import { EXPORT_TAG, EXPORTS_PREFIX, type ExportCatalogEntry, type ExportTarget } from './contracts';

/** An export task of a point as RDS lists it. */
export interface KnownExport {
  readonly exportTaskId: string;
  /** RDS's status, upper case: STARTING, IN_PROGRESS, CANCELING, COMPLETE, FAILED, CANCELED. */
  readonly status: string;
}

export interface SnapshotWithArn extends PrunableSnapshot {
  readonly arn: string;
}

/** ExportTaskIdentifier: 1-60 letters, digits and hyphens, starting with a letter (RDS API reference). */
const MAX_EXPORT_ID = 60;
const ENDED = new Set(['COMPLETE', 'FAILED', 'CANCELED']);
const UNDER_WAY = new Set(['STARTING', 'IN_PROGRESS', 'CANCELING']);

/** The settled monthly and yearly points of one database that are not exported yet, oldest first. */
export function settledPoints(
  snapshots: readonly SnapshotWithArn[],
  db: ExportCatalogEntry,
  installation: string,
  now: string,
): { snapshot: SnapshotWithArn; classes: ('monthly' | 'yearly')[] }[] {
  const { retention } = planPrune(
    snapshots,
    { database: db.id, installation, role: 'source', copyToDr: db.copyToDr },
    { ...db.retention, timeZone: db.timeZone },
  );
  const calendar = zoneCalendar(db.timeZone);
  const monthOf = (instant: number) => {
    const { year, month } = civilDate(calendar.localDay(instant));
    return { year, month: year * 12 + month - 1 };
  };
  const today = monthOf(parseInstant(now));
  const byId = new Map(snapshots.map((s) => [s.id, s]));
  const settled: { snapshot: SnapshotWithArn; classes: ('monthly' | 'yearly')[] }[] = [];
  for (const kept of retention.keep) {
    const snapshot = byId.get(kept.id) as SnapshotWithArn;
    if (snapshot.tags[EXPORT_TAG] !== undefined) continue;
    const taken = monthOf(parseInstant(pointTime(snapshot)));
    const classes: ('monthly' | 'yearly')[] = [];
    if (kept.reasons.includes('monthly') && taken.month < today.month) classes.push('monthly');
    if (kept.reasons.includes('yearly') && taken.year < today.year) classes.push('yearly');
    if (classes.length > 0) settled.push({ snapshot, classes });
  }
  return settled;
}

/** What to do with a settled point, given the export tasks RDS has of it: start one, adopt one, or nothing. */
export function exportTargetOf(
  point: { snapshot: SnapshotWithArn; classes: ('monthly' | 'yearly')[] },
  db: ExportCatalogEntry,
  known: readonly KnownExport[],
): ExportTarget | undefined {
  const { snapshot, classes } = point;
  const base = {
    database: db.id,
    kind: db.kind,
    snapshotId: snapshot.id,
    snapshotArn: snapshot.arn,
    classes,
    bucket: db.bucket,
    prefix: `${EXPORTS_PREFIX}${db.id}`,
  };
  // An export under way or complete without a tag: a run started it and died before it recorded; adopt it.
  const adopted = known.find((task) => UNDER_WAY.has(task.status) || task.status === 'COMPLETE');
  if (adopted) return { ...base, exportTaskId: adopted.exportTaskId, start: false };
  // Only ended (failed, canceled) tasks and no tag: someone removed the failed tag to try again.
  const attempt = known.filter((task) => ENDED.has(task.status)).length + 1;
  const exportTaskId = `${snapshot.id}-${attempt}`;
  if (exportTaskId.length > MAX_EXPORT_ID)
    throw new Error(
      `Export task id ${exportTaskId} is longer than RDS's ${MAX_EXPORT_ID} characters: shorten the installation name or the database id`,
    );
  return { ...base, exportTaskId, start: true };
}

/** The time a point stands for: its scheduled time, as retention counts it. */
const pointTime = (snapshot: PrunableSnapshot) =>
  snapshot.tags[TAG.scheduledTime] ?? snapshot.createdAt ?? new Date(0).toISOString();
