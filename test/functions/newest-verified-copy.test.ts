import { describe, expect, it } from 'vitest';
import { ageSeconds, type ListedCopy, newestVerifiedCopy, takenAt } from '../../functions/alerts/newest-verified-copy';

const owner = { database: 'orders', installation: 'lifeline' };

/** A verified DR copy of orders made by this installation, whose source was taken at 02:00 UTC on 2026-11-<day>. */
const copy = (day: number, overrides: Partial<ListedCopy> = {}, tags: Record<string, string | undefined> = {}) => {
  const dd = String(day).padStart(2, '0');
  return {
    id: `lifeline-orders-202611${dd}t0200`,
    status: 'available',
    originalCreatedAt: `2026-11-${dd}T02:01:00.000Z`,
    createdAt: `2026-11-${dd}T02:40:00.000Z`,
    ...overrides,
    tags: Object.fromEntries(
      Object.entries({
        'lifeline:managed-by': 'lifeline',
        'lifeline:database': 'orders',
        'lifeline:installation': 'lifeline',
        'lifeline:verified': 'copy-verified',
        ...tags,
      }).filter((entry): entry is [string, string] => entry[1] !== undefined),
    ),
  } satisfies ListedCopy;
};

describe('the newest verified DR copy', () => {
  it('is the verified copy whose data is newest, whatever order RDS lists them in', () => {
    // Prepare
    const copies = [copy(20), copy(22), copy(21)];
    // Act
    const newest = newestVerifiedCopy(copies, owner);
    // Assess
    expect(newest).toEqual({ id: 'lifeline-orders-20261122t0200', takenAt: '2026-11-22T02:01:00.000Z' });
  });

  it.each([
    ['not tagged verified', copy(22, {}, { 'lifeline:verified': undefined })],
    ['tagged verified by something else', copy(22, {}, { 'lifeline:verified': 'yes' })],
    ['still copying', copy(22, { status: 'copying' })],
    ['failed', copy(22, { status: 'failed' })],
    ["another database's", copy(22, {}, { 'lifeline:database': 'ledger' })],
    ["another installation's", copy(22, {}, { 'lifeline:installation': 'lifeline-test' })],
    ['not managed by Lifeline', copy(22, {}, { 'lifeline:managed-by': 'someone' })],
    ['named outside the installation prefix', copy(22, { id: 'manual-orders-20261122' })],
    ['a transit copy for the vault', copy(22, {}, { 'lifeline:vault-share': 'lifeline-orders-20261122t0200' })],
  ])('passes over a newer copy that is %s', (_, newer) => {
    // Prepare
    const copies = [copy(21), newer];
    // Act
    const newest = newestVerifiedCopy(copies, owner);
    // Assess
    expect(newest?.id).toBe('lifeline-orders-20261121t0200');
  });

  it('is none when the database has no verified copy', () => {
    // Prepare
    const copies = [copy(22, { status: 'copying' }), copy(21, {}, { 'lifeline:database': 'ledger' })];
    // Act
    const newest = newestVerifiedCopy(copies, owner);
    // Assess
    expect(newest).toBeUndefined();
  });

  it("dates a copy by when its source was taken, not by the copy's own creation", () => {
    // Prepare
    const instanceCopy = copy(22);
    const clusterCopy = copy(22, { originalCreatedAt: undefined });
    // Act
    const times = [takenAt(instanceCopy), takenAt(clusterCopy)];
    // Assess
    expect(times).toEqual(['2026-11-22T02:01:00.000Z', '2026-11-22T02:40:00.000Z']);
  });

  it('is none when no copy has a time to be dated by', () => {
    // Prepare
    const copies = [copy(22, { originalCreatedAt: undefined, createdAt: undefined })];
    // Act
    const newest = newestVerifiedCopy(copies, owner);
    // Assess
    expect(newest).toBeUndefined();
  });
});

describe('the age of a copy', () => {
  it('is the whole seconds since its data was taken', () => {
    // Act
    const age = ageSeconds('2026-11-22T02:01:00.000Z', new Date('2026-11-23T03:01:30.500Z'));
    // Assess
    expect(age).toBe(25 * 3600 + 30);
  });

  it('is never negative when the clock is a little behind RDS', () => {
    // Act
    const age = ageSeconds('2026-11-22T02:01:00.000Z', new Date('2026-11-22T02:00:59.000Z'));
    // Assess
    expect(age).toBe(0);
  });
});
