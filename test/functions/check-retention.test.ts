import { describe, expect, it } from 'vitest';
import type { PrunableSnapshot } from '../../functions/backup/prune-plan';
import { checkRetention } from '../../functions/evidence/check-retention';

const owner = { database: 'orders', installation: 'lifeline' };
/** A verified DR copy of orders taken at `at` (ISO). */
const copy = (at: string, verified = true): PrunableSnapshot => ({
  id: `lifeline-orders-${at.slice(0, 16).replaceAll(/[-:]/g, '').toLowerCase()}`,
  status: 'available',
  createdAt: at,
  tags: {
    'lifeline:managed-by': 'lifeline',
    'lifeline:database': 'orders',
    'lifeline:installation': 'lifeline',
    'lifeline:scheduled-time': at,
    ...(verified ? { 'lifeline:verified': 'copy-verified' } : {}),
  },
});
const nightly = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => copy(`2026-11-${String(from + i).padStart(2, '0')}T02:00:00.000Z`));
const AT = new Date('2026-12-01T06:00:00Z');

describe('the retention check of the DR copies', () => {
  it('finds every slot the retention asks for held, and nothing kept beyond it', () => {
    // Prepare: November as the prune leaves it: the last 7 nights, and the newest of the two weeks before (Sundays).
    const copies = [...nightly(24, 30), copy('2026-11-22T02:00:00.000Z'), copy('2026-11-15T02:00:00.000Z')];
    // Act
    const check = checkRetention(copies, owner, { daily: 7, weekly: 4, monthly: 1, yearly: 0 }, AT);
    // Assess: 7 days (Nov 24-30), 4 weeks (from the one of Monday Nov 30, which has its copy, back to Nov 9),
    // 1 month (November; December has no copy yet).
    expect(check).toEqual({ kept: 12, expected: 12, beyond: 0, missing: [] });
  });

  it('names the days without a verified copy, counting no slot from before the first copy', () => {
    const copies = nightly(24, 30).filter((c) => !c.id.includes('1127'));
    const check = checkRetention(copies, owner, { daily: 7, weekly: 0, monthly: 0, yearly: 0 }, AT);
    expect(check).toMatchObject({ kept: 6, expected: 7, missing: ['daily 2026-11-27'] });
    // Backups that began on the 28th: three days expected, not seven.
    expect(checkRetention(nightly(28, 30), owner, { daily: 7 }, AT)).toMatchObject({ kept: 3, expected: 3 });
  });

  it('counts the current day once it holds a copy, as the prune does', () => {
    const copies = [...nightly(25, 30), copy('2026-12-01T02:00:00.000Z')];
    expect(checkRetention(copies, owner, { daily: 7 }, AT)).toMatchObject({ kept: 7, expected: 7, beyond: 0 });
  });

  it('finds the newest point missing when there is no verified copy at all', () => {
    expect(checkRetention([], owner, { daily: 7 }, AT)).toEqual({
      kept: 0,
      expected: 1,
      beyond: 0,
      missing: ['any verified copy'],
    });
  });

  it('counts the copies the retention would delete that are still there', () => {
    const check = checkRetention(nightly(1, 30), owner, { daily: 7, weekly: 0, monthly: 0, yearly: 0 }, AT);
    expect(check).toMatchObject({ kept: 7, expected: 7, beyond: 23 });
  });

  it('does not count an unverified copy as held', () => {
    const copies = [...nightly(24, 29), copy('2026-11-30T02:00:00.000Z', false)];
    expect(checkRetention(copies, owner, { daily: 7 }, AT)).toMatchObject({
      kept: 6,
      expected: 7,
      missing: ['daily 2026-11-30'],
    });
  });
});
