/**
 * What the continuous probe decides from what RDS and CloudWatch said, without calling them: which replicated
 * automated backup belongs to a source and whether its replication is on, the RPO from its latest restorable time,
 * and the RPO from a replication-lag metric. No SDK here.
 */

/** A replicated automated backup as DescribeDBInstanceAutomatedBackups describes it (the fields the probe reads). */
export interface ReplicatedBackup {
  readonly arn?: string;
  /** The source instance's ARN. */
  readonly sourceArn?: string;
  /** `replicating`, `active` or `creating` while replication is on; `retained` once it stopped. */
  readonly status?: string;
  readonly latestRestorableTime?: Date;
  readonly earliestRestorableTime?: Date;
}

/** Statuses of a replicated automated backup while its source still replicates into it. */
const REPLICATING = new Set(['replicating', 'active', 'creating']);

export interface ReplicationState {
  /** Replication into this region is on (a backup of the source is replicating). */
  readonly on: boolean;
  /** The backup of the source with the newest latest restorable time, replicating or retained; undefined if none. */
  readonly newest?: ReplicatedBackup;
}

/** The state of the replication of `sourceArn` into this region, from the region's automated backups. */
export function replicationOf(backups: readonly ReplicatedBackup[], sourceArn: string): ReplicationState {
  const own = backups.filter((b) => b.sourceArn === sourceArn);
  const on = own.some((b) => REPLICATING.has(b.status ?? ''));
  const newest = own
    .filter((b) => b.latestRestorableTime !== undefined)
    .sort((a, b) => (b.latestRestorableTime as Date).getTime() - (a.latestRestorableTime as Date).getTime())[0];
  return newest ? { on, newest } : { on };
}

/** Seconds of data a restore to the latest restorable time would lose now; never negative (clocks differ a little). */
export function rpoFromRestorableTime(latest: Date, now: Date): number {
  return Math.max(0, Math.round((now.getTime() - latest.getTime()) / 1000));
}

/** One data point of a lag metric: its time, and its value in the metric's unit. */
export interface LagPoint {
  readonly at: Date;
  readonly value: number;
}

/** A lag older than this says nothing about now: the metric stopped (replica gone, replication stopped). */
export const MAX_LAG_POINT_AGE_SECONDS = 600;

export type LagReading = { readonly rpoSeconds: number; readonly at: Date } | { readonly problem: string };

/**
 * The RPO from a replication-lag metric: its newest data point, if recent and not negative (RDS reports -1 when a
 * replica does not replicate), converted from `unit` to seconds.
 */
export function rpoFromLag(
  points: readonly LagPoint[],
  now: Date,
  unit: 'seconds' | 'milliseconds',
  metric: string,
): LagReading {
  const newest = [...points].sort((a, b) => b.at.getTime() - a.at.getTime())[0];
  if (!newest) return { problem: `${metric} reported no data in the last ${MAX_LAG_POINT_AGE_SECONDS / 60} minutes` };
  const age = (now.getTime() - newest.at.getTime()) / 1000;
  if (age > MAX_LAG_POINT_AGE_SECONDS)
    return {
      problem: `${metric} last reported at ${newest.at.toISOString()}, more than ${MAX_LAG_POINT_AGE_SECONDS / 60} minutes ago`,
    };
  if (newest.value < 0) return { problem: `${metric} is ${newest.value}: the replica does not replicate` };
  const seconds = unit === 'milliseconds' ? newest.value / 1000 : newest.value;
  return { rpoSeconds: Math.round(seconds * 1000) / 1000, at: newest.at };
}
