import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type KeepReason,
  planRetention,
  type RecoveryPoint,
  type RetentionPlan,
  type RetentionPolicy,
} from '../../functions/backup/plan-retention';

const RUNS = { numRuns: 250 };
const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kolkata'] as const;
const GFS = ['daily', 'weekly', 'monthly', 'yearly'] as const;
type GfsClass = (typeof GFS)[number];

// ---------------------------------------------------------------------------------------------------------------
// Reference model: deliberately naive (Intl per point, string keys, Date.parse) so it shares no code with the planner.

const referenceFormats = new Map<string, Intl.DateTimeFormat>();

function localDate(time: number, timeZone: string): { year: number; month: number; day: number } {
  let format = referenceFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: 'numeric', day: 'numeric' });
    referenceFormats.set(timeZone, format);
  }
  const part = (type: string) => Number(format.formatToParts(time).find((p) => p.type === type)?.value);
  return { year: part('year'), month: part('month'), day: part('day') };
}

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

function isoWeek(year: number, month: number, day: number): string {
  const date = Date.UTC(year, month - 1, day);
  const weekday = (new Date(date).getUTCDay() + 6) % 7; // Monday = 0
  // The ISO week belongs to the year that holds its Thursday.
  const thursday = new Date(date + (3 - weekday) * DAY_MS);
  const weekYear = thursday.getUTCFullYear();
  const week = Math.floor((thursday.getTime() - Date.UTC(weekYear, 0, 1)) / DAY_MS / 7) + 1;
  return `${pad(weekYear, 4)}-W${pad(week)}`;
}

function bucketKeys(createdAt: string, timeZone: string): Record<GfsClass, string> {
  const { year, month, day } = localDate(Date.parse(createdAt), timeZone);
  return {
    daily: `${pad(year, 4)}-${pad(month)}-${pad(day)}`,
    weekly: isoWeek(year, month, day),
    monthly: `${pad(year, 4)}-${pad(month)}`,
    yearly: pad(year, 4),
  };
}

const byTimeThenId = (a: RecoveryPoint, b: RecoveryPoint) =>
  Date.parse(a.createdAt) - Date.parse(b.createdAt) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

const isVerified = (p: RecoveryPoint) => p.status === 'available' && p.verified;

function newestVerifiedOf(points: readonly RecoveryPoint[]): RecoveryPoint | undefined {
  return points.filter(isVerified).sort(byTimeThenId).at(-1);
}

/** GFS reasons per id: newest point of each of the newest `policy[class]` buckets among verified points. */
function referenceGfs(points: readonly RecoveryPoint[], policy: RetentionPolicy): Map<string, GfsClass[]> {
  const newestFirst = points
    .filter(isVerified)
    .sort(byTimeThenId)
    .reverse()
    .map((point) => ({ point, keys: bucketKeys(point.createdAt, policy.timeZone ?? 'UTC') }));
  const reasons = new Map<string, GfsClass[]>();
  for (const cls of GFS) {
    const newestOfBucket = new Map<string, string>();
    for (const { point, keys } of newestFirst) {
      if (!newestOfBucket.has(keys[cls])) newestOfBucket.set(keys[cls], point.id);
    }
    const newestBuckets = [...newestOfBucket.keys()].sort().reverse().slice(0, policy[cls]);
    for (const key of newestBuckets) {
      const id = newestOfBucket.get(key) as string;
      reasons.set(id, [...(reasons.get(id) ?? []), cls]);
    }
  }
  return reasons;
}

function gfsReasonsOf(plan: RetentionPlan): Map<string, GfsClass[]> {
  const reasons = new Map<string, GfsClass[]>();
  for (const { id, reasons: all } of plan.keep) {
    const gfs = all.filter((r): r is GfsClass => (GFS as readonly string[]).includes(r));
    if (gfs.length > 0) reasons.set(id, gfs);
  }
  return reasons;
}

function keptReasons(plan: RetentionPlan): Map<string, readonly KeepReason[]> {
  return new Map(plan.keep.map((k) => [k.id, k.reasons]));
}

// ---------------------------------------------------------------------------------------------------------------
// Arbitraries

const START = Date.parse('2023-06-01T00:00:00Z');
type Zone = (typeof ZONES)[number];
// Per zone: offset changes, and local midnights where a wrong offset or week start moves a point to another bucket.
const EDGES: Record<Zone, readonly string[]> = {
  UTC: ['2024-02-29T00:00:00Z', '2024-03-01T00:00:00Z', '2025-12-29T00:00:00Z', '2026-01-01T00:00:00Z'],
  'Europe/Berlin': [
    '2026-03-29T01:00:00Z',
    '2026-03-29T22:00:00Z',
    '2026-10-25T01:00:00Z',
    '2026-10-25T23:00:00Z',
    '2025-12-31T23:00:00Z',
  ],
  'America/New_York': [
    '2026-03-08T05:00:00Z',
    '2026-03-08T07:00:00Z',
    '2026-11-01T04:00:00Z',
    '2026-11-01T06:00:00Z',
    '2026-01-01T05:00:00Z',
  ],
  'Australia/Lord_Howe': [
    '2026-04-04T13:00:00Z',
    '2026-04-04T15:00:00Z',
    '2026-10-03T13:30:00Z',
    '2026-10-03T15:30:00Z',
    '2025-12-31T13:00:00Z',
  ],
  'Asia/Kolkata': ['2025-12-31T18:30:00Z', '2026-01-01T18:30:00Z', '2024-02-29T18:30:00Z'],
};

/** ISO-8601 with a 'Z' or a numeric offset, as different APIs render the same instant. */
function formatInstant(time: number, offsetMinutes: number): string {
  if (offsetMinutes === 0) return new Date(time).toISOString();
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  const local = new Date(time + offsetMinutes * MINUTE_MS).toISOString().slice(0, -1);
  return `${local}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

function policyArb(zone: Zone): fc.Arbitrary<RetentionPolicy> {
  return fc
    .record({
      daily: fc.integer({ min: 1, max: 14 }),
      weekly: fc.integer({ min: 0, max: 8 }),
      monthly: fc.integer({ min: 0, max: 24 }),
      yearly: fc.integer({ min: 0, max: 7 }),
      explicitZone: fc.boolean(),
    })
    .map(({ explicitZone, ...counts }) => (zone === 'UTC' && !explicitZone ? counts : { ...counts, timeZone: zone }));
}

interface PointOptions {
  /** Every point managed, available and verified, with no copy status. */
  readonly allGood?: boolean;
}

function pointsArb(zone: Zone, options: PointOptions): fc.Arbitrary<RecoveryPoint[]> {
  const edges = EDGES[zone].map((edge) => Date.parse(edge));
  // Sparse windows spread over ~3 years; dense ones sit on a calendar edge of the zone so it lands in the newest days.
  const window = fc.oneof(
    fc.constantFrom(2, 40, 400, 1100).map((days) => [START, START + days * DAY_MS] as const),
    fc.constantFrom(...edges).map((edge) => [edge - 3 * DAY_MS, edge + 3 * DAY_MS] as const),
  );
  // Coarse granularity makes equal createdAt (ties broken by id) common.
  const granularity = fc.constantFrom(1, MINUTE_MS, 3_600_000);
  return fc.tuple(window, granularity).chain(([[from, to], step]) => {
    const nearEdge = fc
      .tuple(fc.constantFrom(...edges), fc.integer({ min: -120, max: 120 }))
      .map(([edge, minutes]) => edge + minutes * MINUTE_MS);
    const time = fc
      .oneof({ weight: 4, arbitrary: fc.integer({ min: from, max: to - 1 }) }, { weight: 1, arbitrary: nearEdge })
      .map((t) => Math.floor(t / step) * step);
    const fields = fc.record({
      tag: fc.constantFrom('a', 'b', 'c'),
      time,
      offset: fc.constantFrom(0, 0, 0, 120, -300, 330, 630),
      managed: fc.integer({ min: 0, max: 9 }).map((x) => x > 0),
      status: fc.constantFrom('available', 'available', 'available', 'available', 'creating', 'copying', 'failed'),
      verified: fc.integer({ min: 0, max: 4 }).map((x) => x > 0),
      copyVerified: fc.constantFrom(undefined, undefined, true, true, false),
    });
    return fc.array(fields, { maxLength: 300 }).map((list) =>
      list.map((f, i): RecoveryPoint => {
        const id = `rds:lifeline-${f.tag}-${i}`;
        const createdAt = formatInstant(f.time, f.offset);
        if (options.allGood) return { id, createdAt, managed: true, status: 'available', verified: true };
        const { managed, status, verified, copyVerified } = f;
        return { id, createdAt, managed, status, verified, ...(copyVerified === undefined ? {} : { copyVerified }) };
      }),
    );
  });
}

interface Scenario {
  readonly points: RecoveryPoint[];
  readonly policy: RetentionPolicy;
}

function scenarioArb(options: PointOptions = {}): fc.Arbitrary<Scenario> {
  return fc
    .constantFrom(...ZONES)
    .chain((zone) => fc.record({ points: pointsArb(zone, options), policy: policyArb(zone) }));
}

// ---------------------------------------------------------------------------------------------------------------

describe('planRetention invariants', () => {
  it('1: every point is in exactly one of keep and delete', () => {
    fc.assert(
      fc.property(scenarioArb(), ({ points, policy }) => {
        const plan = planRetention(points, policy);
        const planned = [...plan.keep.map((k) => k.id), ...plan.delete.map((d) => d.id)];
        expect(planned.toSorted()).toEqual(points.map((p) => p.id).toSorted());
        expect(new Set(planned).size).toBe(planned.length);
      }),
      RUNS,
    );
  });

  it('2: an unmanaged point is never deleted and is kept as not-managed', () => {
    fc.assert(
      fc.property(scenarioArb(), ({ points, policy }) => {
        const kept = keptReasons(planRetention(points, policy));
        for (const point of points) {
          expect(kept.get(point.id)?.includes('not-managed') ?? false).toBe(!point.managed);
        }
      }),
      RUNS,
    );
  });

  it('3: a point that is not available is never deleted and is kept as not-available', () => {
    fc.assert(
      fc.property(scenarioArb(), ({ points, policy }) => {
        const kept = keptReasons(planRetention(points, policy));
        for (const point of points) {
          expect(kept.get(point.id)?.includes('not-available') ?? false).toBe(point.status !== 'available');
        }
      }),
      RUNS,
    );
  });

  it('4: the newest available and verified point is kept as newest-verified, and only it', () => {
    fc.assert(
      fc.property(scenarioArb(), ({ points, policy }) => {
        const plan = planRetention(points, policy);
        const newest = plan.keep.filter((k) => k.reasons.includes('newest-verified')).map((k) => k.id);
        const expected = newestVerifiedOf(points);
        expect(newest).toEqual(expected ? [expected.id] : []);
      }),
      RUNS,
    );
  });

  it('5: a point whose copy is not verified is never deleted and is kept as copy-not-verified', () => {
    fc.assert(
      fc.property(scenarioArb(), ({ points, policy }) => {
        const kept = keptReasons(planRetention(points, policy));
        for (const point of points) {
          expect(kept.get(point.id)?.includes('copy-not-verified') ?? false).toBe(point.copyVerified === false);
        }
      }),
      RUNS,
    );
  });

  it('6: GFS keeps the newest verified point of each of the newest buckets per class', () => {
    fc.assert(
      fc.property(scenarioArb(), ({ points, policy }) => {
        const plan = planRetention(points, policy);
        expect(gfsReasonsOf(plan)).toEqual(referenceGfs(points, policy));
      }),
      RUNS,
    );
  });

  it('6: GFS keeps min(policy count, existing buckets) distinct buckets per class', () => {
    fc.assert(
      fc.property(scenarioArb(), ({ points, policy }) => {
        const plan = planRetention(points, policy);
        const zone = policy.timeZone ?? 'UTC';
        const createdAt = new Map(points.map((p) => [p.id, p.createdAt]));
        const verified = points.filter(isVerified);
        for (const cls of GFS) {
          const keptBuckets = plan.keep
            .filter((k) => k.reasons.includes(cls))
            .map((k) => bucketKeys(createdAt.get(k.id) as string, zone)[cls]);
          const existing = new Set(verified.map((p) => bucketKeys(p.createdAt, zone)[cls]));
          expect(new Set(keptBuckets).size).toBe(keptBuckets.length);
          expect(keptBuckets.length).toBe(Math.min(policy[cls], existing.size));
        }
      }),
      RUNS,
    );
  });

  it('6: nothing newer than the newest verified point is deleted; unverified ones at or after it say why', () => {
    fc.assert(
      fc.property(scenarioArb(), ({ points, policy }) => {
        const plan = planRetention(points, policy);
        const newest = newestVerifiedOf(points);
        const newestTime = newest ? Date.parse(newest.createdAt) : -Infinity;
        for (const d of plan.delete) expect(Date.parse(d.createdAt)).toBeLessThanOrEqual(newestTime);
        const kept = keptReasons(plan);
        for (const point of points) {
          const pending = !isVerified(point) && Date.parse(point.createdAt) >= newestTime;
          expect(kept.get(point.id)?.includes('newer-than-verified') ?? false).toBe(pending);
        }
      }),
      RUNS,
    );
  });

  it('7: only managed, available points are deleted, oldest first', () => {
    fc.assert(
      fc.property(scenarioArb(), ({ points, policy }) => {
        const plan = planRetention(points, policy);
        const byId = new Map(points.map((p) => [p.id, p]));
        const deleted = plan.delete.map((d) => byId.get(d.id) as RecoveryPoint);
        for (const [i, point] of deleted.entries()) {
          expect(point.managed).toBe(true);
          expect(point.status).toBe('available');
          expect(point.copyVerified).not.toBe(false);
          expect(plan.delete[i]?.createdAt).toBe(point.createdAt);
        }
        expect(deleted).toEqual(deleted.toSorted(byTimeThenId));
      }),
      RUNS,
    );
  });

  it('7: a point is deleted exactly when no keep reason applies', () => {
    fc.assert(
      fc.property(scenarioArb(), ({ points, policy }) => {
        const plan = planRetention(points, policy);
        const gfs = referenceGfs(points, policy);
        const newest = newestVerifiedOf(points);
        const newestTime = newest ? Date.parse(newest.createdAt) : -Infinity;
        const expectedDeletes = points
          .filter(
            (p) =>
              p.managed &&
              p.status === 'available' &&
              p.copyVerified !== false &&
              !gfs.has(p.id) &&
              p.id !== newest?.id &&
              (isVerified(p) || Date.parse(p.createdAt) < newestTime),
          )
          .sort(byTimeThenId)
          .map((p) => p.id);
        expect(plan.delete.map((d) => d.id)).toEqual(expectedDeletes);
      }),
      RUNS,
    );
  });

  it('8: the plan does not depend on input order', () => {
    const withShuffled = scenarioArb().chain(({ points, policy }) =>
      fc
        .shuffledSubarray(points, { minLength: points.length, maxLength: points.length })
        .map((shuffled) => ({ points, policy, shuffled })),
    );
    fc.assert(
      fc.property(withShuffled, ({ points, policy, shuffled }) => {
        const plan = planRetention(points, policy);
        const sorted = points.toSorted(byTimeThenId);
        expect(planRetention(shuffled, policy)).toEqual(plan);
        expect(planRetention(points.toReversed(), policy)).toEqual(plan);
        // Sorted either way takes a shortcut past the sort; sorting by time alone leaves ties in input order.
        const byTimeOnly = points.toSorted((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt));
        expect(planRetention(sorted, policy)).toEqual(plan);
        expect(planRetention(sorted.toReversed(), policy)).toEqual(plan);
        expect(planRetention(byTimeOnly, policy)).toEqual(plan);
        expect(planRetention(byTimeOnly.toReversed(), policy)).toEqual(plan);
      }),
      RUNS,
    );
  });

  it('re-planning the kept points deletes nothing more', () => {
    fc.assert(
      fc.property(scenarioArb({ allGood: true }), ({ points, policy }) => {
        const plan = planRetention(points, policy);
        const kept = new Set(plan.keep.map((k) => k.id));
        const again = planRetention(
          points.filter((p) => kept.has(p.id)),
          policy,
        );
        expect(again.delete).toEqual([]);
        expect(again.keep).toEqual(plan.keep);
      }),
      RUNS,
    );
  });

  it('agrees with a brute-force reference on the kept ids when everything is verified', () => {
    fc.assert(
      fc.property(scenarioArb({ allGood: true }), ({ points, policy }) => {
        const plan = planRetention(points, policy);
        const newest = newestVerifiedOf(points);
        const expected = new Set([...referenceGfs(points, policy).keys(), ...(newest ? [newest.id] : [])]);
        expect(plan.keep.map((k) => k.id).toSorted()).toEqual([...expected].sort());
      }),
      RUNS,
    );
  });
});

describe('reference model', () => {
  it.each([
    [2020, 12, 28, '2020-W53'],
    [2021, 1, 3, '2020-W53'],
    [2021, 1, 4, '2021-W01'],
    [2024, 12, 30, '2025-W01'],
    [2026, 3, 29, '2026-W13'],
  ])('%i-%i-%i is in ISO week %s', (year, month, day, week) => {
    expect(isoWeek(year, month, day)).toBe(week);
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe('calendar buckets', () => {
  const POLICY_FOR: Record<GfsClass, RetentionPolicy> = {
    daily: { daily: 2, weekly: 0, monthly: 0, yearly: 0 },
    weekly: { daily: 1, weekly: 2, monthly: 0, yearly: 0 },
    monthly: { daily: 1, weekly: 0, monthly: 2, yearly: 0 },
    yearly: { daily: 1, weekly: 0, monthly: 0, yearly: 2 },
  };
  const point = (id: string, createdAt: string): RecoveryPoint => ({
    id,
    createdAt,
    managed: true,
    status: 'available',
    verified: true,
  });
  const plusDays = (iso: string, days: number) => new Date(Date.parse(iso) + days * DAY_MS).toISOString();

  interface Edge {
    name: string;
    cls: GfsClass;
    zone: string;
    older: string;
    newer: string;
    same: boolean;
  }
  // biome-ignore format: one row per line keeps the table readable
  const edges: Edge[] = [
    { name: 'Jan 31 and Feb 1 are different days', cls: 'daily', zone: 'UTC', older: '2025-01-31T12:00:00Z', newer: '2025-02-01T12:00:00Z', same: false },
    { name: 'Jan 31 and Feb 1 are different months', cls: 'monthly', zone: 'UTC', older: '2025-01-31T12:00:00Z', newer: '2025-02-01T12:00:00Z', same: false },
    { name: 'Fri Jan 31 and Sat Feb 1 2025 share an ISO week', cls: 'weekly', zone: 'UTC', older: '2025-01-31T12:00:00Z', newer: '2025-02-01T12:00:00Z', same: true },
    { name: 'first and last millisecond of a UTC day are one day', cls: 'daily', zone: 'UTC', older: '2025-01-31T00:00:00.000Z', newer: '2025-01-31T23:59:59.999Z', same: true },
    { name: '2024-02-29 is its own day after Feb 28', cls: 'daily', zone: 'UTC', older: '2024-02-28T12:00:00Z', newer: '2024-02-29T12:00:00Z', same: false },
    { name: '2024-02-29 is its own day before Mar 1', cls: 'daily', zone: 'UTC', older: '2024-02-29T23:59:00Z', newer: '2024-03-01T00:00:00Z', same: false },
    { name: '2024-02-29 is one day from 00:00 to 23:59', cls: 'daily', zone: 'UTC', older: '2024-02-29T00:00:00Z', newer: '2024-02-29T23:59:00Z', same: true },
    { name: '2024-02-29 is in February', cls: 'monthly', zone: 'UTC', older: '2024-02-01T00:00:00Z', newer: '2024-02-29T23:59:00Z', same: true },
    { name: 'the day after 2024-02-28 is still February', cls: 'monthly', zone: 'UTC', older: '2024-02-28T12:00:00Z', newer: plusDays('2024-02-28T12:00:00Z', 1), same: true },
    { name: 'the day after 2023-02-28 is March (no Feb 29 in 2023)', cls: 'monthly', zone: 'UTC', older: '2023-02-28T12:00:00Z', newer: plusDays('2023-02-28T12:00:00Z', 1), same: false },
    { name: 'Dec 31 and Jan 1 are different years', cls: 'yearly', zone: 'UTC', older: '2020-12-31T23:59:00Z', newer: '2021-01-01T00:00:00Z', same: false },
    { name: '2020-12-31 and 2021-01-03 are both ISO week 2020-W53', cls: 'weekly', zone: 'UTC', older: '2020-12-31T12:00:00Z', newer: '2021-01-03T12:00:00Z', same: true },
    { name: 'Mon 2020-12-28 and Sun 2021-01-03 are both ISO week 2020-W53', cls: 'weekly', zone: 'UTC', older: '2020-12-28T00:00:00Z', newer: '2021-01-03T23:59:00Z', same: true },
    { name: 'Mon 2021-01-04 starts ISO week 2021-W01', cls: 'weekly', zone: 'UTC', older: '2021-01-03T23:59:00Z', newer: '2021-01-04T00:00:00Z', same: false },
    { name: 'Mon 2020-12-28 starts ISO week 2020-W53', cls: 'weekly', zone: 'UTC', older: '2020-12-27T23:59:00Z', newer: '2020-12-28T00:00:00Z', same: false },
    { name: 'calendar years split ISO week 2020-W53', cls: 'yearly', zone: 'UTC', older: '2020-12-31T12:00:00Z', newer: '2021-01-03T12:00:00Z', same: false },
    { name: 'Mon 2024-12-30 and Sun 2025-01-05 are both ISO week 2025-W01', cls: 'weekly', zone: 'UTC', older: '2024-12-30T00:00:00Z', newer: '2025-01-05T23:59:00Z', same: true },
    { name: '2026-03-28T23:30Z is March 29 in Berlin', cls: 'daily', zone: 'Europe/Berlin', older: '2026-03-28T22:30:00Z', newer: '2026-03-28T23:30:00Z', same: false },
    { name: '2026-03-28T22:30Z and 23:30Z are one day in UTC', cls: 'daily', zone: 'UTC', older: '2026-03-28T22:30:00Z', newer: '2026-03-28T23:30:00Z', same: true },
    { name: 'Berlin spring-forward day is one day across the gap', cls: 'daily', zone: 'Europe/Berlin', older: '2026-03-28T23:30:00Z', newer: '2026-03-29T21:59:00Z', same: true },
    { name: 'Berlin midnight after spring forward is 22:00Z', cls: 'daily', zone: 'Europe/Berlin', older: '2026-03-29T21:59:00Z', newer: '2026-03-29T22:00:00Z', same: false },
    { name: 'Berlin week ends at Sunday local midnight in summer time', cls: 'weekly', zone: 'Europe/Berlin', older: '2026-03-29T21:59:00Z', newer: '2026-03-29T22:00:00Z', same: false },
    { name: 'Berlin 01:30 CEST and 02:30 CET on fall-back day are one day', cls: 'daily', zone: 'Europe/Berlin', older: '2026-10-24T23:30:00Z', newer: '2026-10-25T01:30:00Z', same: true },
    { name: 'Berlin 02:30 before and after fall back are one day', cls: 'daily', zone: 'Europe/Berlin', older: '2026-10-25T00:30:00Z', newer: '2026-10-25T01:30:00Z', same: true },
    { name: 'Berlin midnight before fall back is 22:00Z', cls: 'daily', zone: 'Europe/Berlin', older: '2026-10-24T21:30:00Z', newer: '2026-10-24T22:30:00Z', same: false },
    { name: 'Berlin midnight after fall back is 23:00Z', cls: 'daily', zone: 'Europe/Berlin', older: '2026-10-25T22:30:00Z', newer: '2026-10-25T23:30:00Z', same: false },
    { name: 'Berlin March starts at 23:00Z on Feb 28', cls: 'monthly', zone: 'Europe/Berlin', older: '2026-02-28T22:59:00Z', newer: '2026-02-28T23:00:00Z', same: false },
    { name: 'Berlin new year starts at 23:00Z on Dec 31', cls: 'yearly', zone: 'Europe/Berlin', older: '2025-12-31T22:59:00Z', newer: '2025-12-31T23:00:00Z', same: false },
    { name: 'UTC new year has not started at 23:00Z on Dec 31', cls: 'yearly', zone: 'UTC', older: '2025-12-31T22:59:00Z', newer: '2025-12-31T23:00:00Z', same: true },
    { name: 'New York fall-back day lasts 25 hours', cls: 'daily', zone: 'America/New_York', older: '2026-11-01T04:30:00Z', newer: '2026-11-02T04:30:00Z', same: true },
    { name: 'New York midnight after fall back is 05:00Z', cls: 'daily', zone: 'America/New_York', older: '2026-11-02T04:30:00Z', newer: '2026-11-02T05:30:00Z', same: false },
    { name: 'New York spring-forward day is one day across the gap', cls: 'daily', zone: 'America/New_York', older: '2026-03-08T06:59:00Z', newer: '2026-03-08T07:00:00Z', same: true },
    { name: 'Kolkata midnight is 18:30Z', cls: 'daily', zone: 'Asia/Kolkata', older: '2026-01-01T18:29:00Z', newer: '2026-01-01T18:30:00Z', same: false },
    { name: 'Kolkata day spans 00:00Z to 18:29Z', cls: 'daily', zone: 'Asia/Kolkata', older: '2026-01-01T00:00:00Z', newer: '2026-01-01T18:29:00Z', same: true },
    { name: 'Lord Howe midnight in summer time (+11) is 13:00Z', cls: 'daily', zone: 'Australia/Lord_Howe', older: '2026-01-10T12:45:00Z', newer: '2026-01-10T13:15:00Z', same: false },
    { name: 'Lord Howe half-hour fall back keeps one day', cls: 'daily', zone: 'Australia/Lord_Howe', older: '2026-04-04T14:59:00Z', newer: '2026-04-04T15:00:00Z', same: true },
    { name: 'Lord Howe midnight after fall back (+10:30) is 13:30Z', cls: 'daily', zone: 'Australia/Lord_Howe', older: '2026-04-05T13:15:00Z', newer: '2026-04-05T13:45:00Z', same: false },
    { name: 'Lord Howe midnight before spring forward (+10:30) is 13:30Z', cls: 'daily', zone: 'Australia/Lord_Howe', older: '2026-10-03T13:15:00Z', newer: '2026-10-03T13:45:00Z', same: false },
    { name: 'Lord Howe half-hour spring forward keeps one day', cls: 'daily', zone: 'Australia/Lord_Howe', older: '2026-10-03T15:29:00Z', newer: '2026-10-03T15:30:00Z', same: true },
    { name: 'Lord Howe midnight after spring forward (+11) is 13:00Z', cls: 'daily', zone: 'Australia/Lord_Howe', older: '2026-10-04T12:45:00Z', newer: '2026-10-04T13:15:00Z', same: false },
    // Santiago changes clocks at local midnight, so the minute of the change decides the day.
    { name: 'Santiago 23:59 before and after midnight fall back are one day', cls: 'daily', zone: 'America/Santiago', older: '2026-04-05T02:59:00Z', newer: '2026-04-05T03:59:00Z', same: true },
    { name: 'Santiago fall back lands on 23:00 Saturday', cls: 'daily', zone: 'America/Santiago', older: '2026-04-04T12:00:00Z', newer: '2026-04-05T03:00:00Z', same: true },
    { name: 'Santiago midnight after fall back is 04:00Z', cls: 'daily', zone: 'America/Santiago', older: '2026-04-05T03:59:00Z', newer: '2026-04-05T04:00:00Z', same: false },
    { name: 'Santiago last minute before midnight spring forward is Saturday', cls: 'daily', zone: 'America/Santiago', older: '2026-09-05T12:00:00Z', newer: '2026-09-06T03:59:00Z', same: true },
    { name: 'Santiago spring forward skips from Saturday to Sunday 01:00', cls: 'daily', zone: 'America/Santiago', older: '2026-09-06T03:59:00Z', newer: '2026-09-06T04:00:00Z', same: false },
  ];

  // With two buckets of one class allowed (daily 1 for the others), the older point survives only in its own bucket.
  it.each(edges)('$name', ({ cls, zone, older, newer, same }) => {
    const plan = planRetention([point('older', older), point('newer', newer)], { ...POLICY_FOR[cls], timeZone: zone });

    expect(keptReasons(plan).get('older')).toEqual(same ? undefined : [cls]);
    expect(plan.delete.map((d) => d.id)).toEqual(same ? ['older'] : []);
  });
});

describe('planRetention examples', () => {
  const policy: RetentionPolicy = { daily: 1, weekly: 0, monthly: 0, yearly: 0 };
  const snapshot = (id: string, createdAt: string, overrides: Partial<RecoveryPoint> = {}): RecoveryPoint => ({
    id,
    createdAt,
    managed: true,
    status: 'available',
    verified: true,
    ...overrides,
  });

  it('keeps the newest snapshot even when it is older than every window', () => {
    // Prepare: the last verified snapshot is two years old; everything since failed or is still unverified.
    const points = [
      snapshot('old', '2024-01-01T10:00:00Z'),
      snapshot('older', '2023-12-31T10:00:00Z'),
      snapshot('failed', '2026-03-01T10:00:00Z', { status: 'failed' }),
      snapshot('unverified', '2026-03-02T10:00:00Z', { verified: false }),
    ];

    // Act
    const plan = planRetention(points, policy);

    // Assess
    expect(keptReasons(plan).get('old')).toEqual(['newest-verified', 'daily']);
    expect(keptReasons(plan).get('failed')).toEqual(['not-available', 'newer-than-verified']);
    expect(keptReasons(plan).get('unverified')).toEqual(['newer-than-verified']);
    expect(plan.delete).toEqual([{ id: 'older', createdAt: '2023-12-31T10:00:00Z' }]);
  });

  it('never deletes an untagged snapshot', () => {
    // Prepare: an old manual snapshot next to an old Lifeline snapshot, both outside the daily window.
    const points = [
      snapshot('manual', '2025-01-01T10:00:00Z', { managed: false }),
      snapshot('lifeline-old', '2025-01-01T11:00:00Z'),
      snapshot('lifeline-new', '2026-01-01T10:00:00Z'),
    ];

    // Act
    const plan = planRetention(points, policy);

    // Assess
    expect(keptReasons(plan).get('manual')).toEqual(['not-managed']);
    expect(plan.delete.map((d) => d.id)).toEqual(['lifeline-old']);
  });

  it('never deletes a source whose copy is unverified', () => {
    // Prepare: two old source snapshots; only one has a verified copy in the DR region.
    const points = [
      snapshot('copy-broken', '2025-01-01T10:00:00Z', { copyVerified: false }),
      snapshot('copy-fine', '2025-01-02T10:00:00Z', { copyVerified: true }),
      snapshot('newest', '2026-01-01T10:00:00Z', { copyVerified: true }),
    ];

    // Act
    const plan = planRetention(points, policy);

    // Assess
    expect(keptReasons(plan).get('copy-broken')).toEqual(['copy-not-verified']);
    expect(plan.delete.map((d) => d.id)).toEqual(['copy-fine']);
  });

  it('deletes nothing while no point is verified yet', () => {
    // Prepare
    const points = [
      snapshot('a', '2025-01-01T10:00:00Z', { verified: false }),
      snapshot('b', '2025-06-01T10:00:00Z', { verified: false }),
    ];

    // Act
    const plan = planRetention(points, policy);

    // Assess
    expect(plan.delete).toEqual([]);
    expect(plan.keep).toEqual([
      { id: 'a', reasons: ['newer-than-verified'] },
      { id: 'b', reasons: ['newer-than-verified'] },
    ]);
  });

  it('deletes an unverified snapshot older than the newest verified one', () => {
    // Prepare
    const points = [
      snapshot('stale-unverified', '2025-01-01T10:00:00Z', { verified: false }),
      snapshot('verified', '2025-06-01T10:00:00Z'),
    ];

    // Act
    const plan = planRetention(points, policy);

    // Assess
    expect(plan.delete).toEqual([{ id: 'stale-unverified', createdAt: '2025-01-01T10:00:00Z' }]);
  });

  it('breaks createdAt ties by id, whatever the input order', () => {
    // Prepare: same instant written two ways.
    const points = [snapshot('b', '2025-01-01T12:00:00+02:00'), snapshot('a', '2025-01-01T10:00:00.000Z')];

    // Act
    const plan = planRetention(points, policy);

    // Assess: 'b' sorts last, so it is the newest of the day.
    expect(plan.keep).toEqual([{ id: 'b', reasons: ['newest-verified', 'daily'] }]);
    expect(plan.delete).toEqual([{ id: 'a', createdAt: '2025-01-01T10:00:00.000Z' }]);
  });

  it('plans nothing for no points', () => {
    expect(planRetention([], policy)).toEqual({ keep: [], delete: [] });
  });

  it('rejects an unknown time zone, naming it', () => {
    expect(() => planRetention([], { ...policy, timeZone: 'Mars/Olympus_Mons' })).toThrow(/Mars\/Olympus_Mons/);
  });

  it.each([
    { daily: 0, weekly: 0, monthly: 0, yearly: 0 },
    { daily: 1.5, weekly: 0, monthly: 0, yearly: 0 },
    { daily: 1, weekly: -1, monthly: 0, yearly: 0 },
    { daily: 1, weekly: 0, monthly: Number.NaN, yearly: 0 },
    { daily: 1, weekly: 0, monthly: 0, yearly: Number.POSITIVE_INFINITY },
  ])('rejects the policy %o', (bad) => {
    expect(() => planRetention([], bad)).toThrow(RangeError);
  });

  it.each([
    '2023-02-29T12:00:00Z',
    '2025-01-01T10:00:00',
    '2025-01-01',
    '2025-13-01T10:00:00Z',
    '2025-01-01T24:00:00Z',
    'yesterday',
  ])('rejects createdAt %s', (createdAt) => {
    expect(() => planRetention([snapshot('bad', createdAt)], policy)).toThrow(/bad.*not an ISO-8601 instant/);
  });

  it('rejects a point listed twice', () => {
    const twice = [snapshot('dup', '2025-01-01T10:00:00Z'), snapshot('dup', '2025-01-01T10:00:00Z')];

    expect(() => planRetention(twice, policy)).toThrow(/dup is listed twice/);
  });
});
