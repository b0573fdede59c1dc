import { describe, expect, it } from 'vitest';
import { planRetention, type RecoveryPoint, type RetentionPolicy } from '../../functions/backup/plan-retention';

// Sub-daily retention (`keepAllForSeconds`): every verified point of a period is kept, on top of the GFS classes.

const HOUR_MS = 3_600_000;
const DAY_S = 86_400;

const point = (id: string, createdAt: string, overrides: Partial<RecoveryPoint> = {}): RecoveryPoint => ({
  id,
  createdAt,
  managed: true,
  status: 'available',
  verified: true,
  ...overrides,
});

/** Points every `everyHours` hours back from `newest`, newest last, named p0 (oldest) .. p<n-1>. */
function series(count: number, everyHours: number, newest = '2026-11-30T18:00:00Z'): RecoveryPoint[] {
  const end = Date.parse(newest);
  return Array.from({ length: count }, (_, k) =>
    point(`p${k}`, new Date(end - (count - 1 - k) * everyHours * HOUR_MS).toISOString()),
  );
}

const kept = (points: RecoveryPoint[], policy: RetentionPolicy) => planRetention(points, policy).keep.map((k) => k.id);

describe('sub-daily retention (keepAllForSeconds)', () => {
  const gfs: RetentionPolicy = { daily: 3, weekly: 0, monthly: 0, yearly: 0 };

  it.each([
    // Without it, 12 six-hourly points over 3 days keep one a day: 3.
    { name: 'GFS only', policy: gfs, count: 12, every: 6, expected: 3 },
    // Kept 7 days: all 12 (3 days of them), and of 40 points (10 days) the 29 of the last 7 days and the newest of 3 days.
    {
      name: '6-hourly kept 7 days',
      policy: { ...gfs, keepAllForSeconds: 7 * DAY_S },
      count: 12,
      every: 6,
      expected: 12,
    },
    {
      name: '6-hourly kept 7 days, 10 days made',
      policy: { ...gfs, keepAllForSeconds: 7 * DAY_S },
      count: 40,
      every: 6,
      expected: 29,
    },
    // hourly: 48 as a period: the 49 points from the newest back to exactly 48 h before it.
    {
      name: 'hourly points kept 48 h',
      policy: { daily: 1, weekly: 0, monthly: 0, yearly: 0, keepAllForSeconds: 48 * 3600 },
      count: 72,
      every: 1,
      expected: 49,
    },
  ])('$name keeps $expected of $count points', ({ policy, count, every, expected }) => {
    // Prepare
    const points = series(count, every);
    // Act
    const ids = kept(points, policy);
    // Assess
    expect(ids).toHaveLength(expected);
  });

  it('says why: recent next to the GFS reasons, and newest-verified first', () => {
    // Prepare: three points a day apart, the window 36 h
    const points = [
      point('a', '2026-11-28T12:00:00Z'),
      point('b', '2026-11-29T12:00:00Z'),
      point('c', '2026-11-30T12:00:00Z'),
    ];
    // Act
    const plan = planRetention(points, { daily: 1, weekly: 0, monthly: 0, yearly: 0, keepAllForSeconds: 36 * 3600 });
    // Assess
    expect(plan.keep).toEqual([
      { id: 'b', reasons: ['recent'] },
      { id: 'c', reasons: ['newest-verified', 'recent', 'daily'] },
    ]);
    expect(plan.delete.map((d) => d.id)).toEqual(['a']);
  });

  it('counts the period back from the newest verified point, so points do not age out while backups stop', () => {
    // Prepare: the last good point is a year old; two older ones are within 12 h of it, one is 13 h before it.
    const points = [
      point('old-13h', '2025-11-29T23:00:00Z'),
      point('old-11h', '2025-11-30T01:00:00Z'),
      point('old-6h', '2025-11-30T06:00:00Z'),
      point('newest', '2025-11-30T12:00:00Z'),
    ];
    // Act
    const plan = planRetention(points, { daily: 1, weekly: 0, monthly: 0, yearly: 0, keepAllForSeconds: 12 * 3600 });
    // Assess
    expect(plan.delete.map((d) => d.id)).toEqual(['old-13h']);
  });

  it('keeps only verified points for the period: an unverified older one still goes, an unmanaged one still stays', () => {
    // Prepare
    const points = [
      point('manual', '2026-11-30T00:00:00Z', { managed: false }),
      point('unverified', '2026-11-30T06:00:00Z', { verified: false }),
      point('good', '2026-11-30T09:00:00Z'),
      point('newest', '2026-11-30T12:00:00Z'),
    ];
    // Act
    const plan = planRetention(points, { daily: 1, weekly: 0, monthly: 0, yearly: 0, keepAllForSeconds: DAY_S });
    // Assess
    expect(plan.delete.map((d) => d.id)).toEqual(['unverified']);
    expect(plan.keep.map((k) => k.id)).toEqual(['manual', 'good', 'newest']);
  });

  it('keeps nothing extra, and deletes nothing, before the first verified point', () => {
    // Prepare
    const points = [
      point('a', '2026-11-30T00:00:00Z', { verified: false }),
      point('b', '2026-11-30T06:00:00Z', { verified: false }),
    ];
    // Act
    const plan = planRetention(points, { daily: 1, weekly: 0, monthly: 0, yearly: 0, keepAllForSeconds: DAY_S });
    // Assess
    expect(plan.delete).toEqual([]);
  });

  it('leaves a plan without it exactly as before', () => {
    // Prepare: 40 six-hourly points
    const points = series(40, 6);
    // Act
    const without = planRetention(points, gfs);
    const undefinedWindow = planRetention(points, { ...gfs, keepAllForSeconds: undefined });
    // Assess
    expect(undefinedWindow).toEqual(without);
    expect(without.keep.every((k) => !k.reasons.includes('recent'))).toBe(true);
  });

  it.each([0, -1, 1.5, Number.NaN])('rejects keepAllForSeconds %s, naming it', (value) => {
    expect(() => planRetention([], { ...gfs, keepAllForSeconds: value })).toThrow(
      `Retention policy keepAllForSeconds must be a whole number of seconds > 0, got ${value}`,
    );
  });
});
