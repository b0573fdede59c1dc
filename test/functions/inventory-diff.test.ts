import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compareRows,
  type DiffSummary,
  diffInventories,
  diffInventoriesAsync,
  type InventoryRow,
  mergeSummaries,
  UnsortedInventory,
  verdictOf,
} from '../../functions/archive/inventory-diff';

const T0 = Date.parse('2026-11-30T00:00:00Z');
const MINUTE = 60_000;

function row(key: string, versionId = 'v1', extra: Partial<InventoryRow> = {}): InventoryRow {
  return {
    key,
    versionId,
    size: 10,
    etag: 'e1',
    checksumAlgorithm: 'SHA256',
    replicationStatus: 'COMPLETED',
    lastModified: T0,
    isDeleteMarker: false,
    ...extra,
  };
}
const replica = (r: InventoryRow, extra: Partial<InventoryRow> = {}): InventoryRow => ({
  ...r,
  replicationStatus: 'REPLICA',
  ...extra,
});

const counts = (s: DiffSummary) => ({
  missing: s.missing,
  mismatched: s.mismatched,
  failed: s.failed,
  pending: s.pending,
  tooNew: s.tooNew,
  replicaOnly: s.replicaOnly,
});

describe('the inventory diff', () => {
  const a = row('a');
  const b = row('b');
  const c = row('c');
  it.each<[string, InventoryRow[], InventoryRow[], Partial<ReturnType<typeof counts>>]>([
    ['identical inventories', [a, b], [replica(a), replica(b)], {}],
    ['a version missing in the replica', [a, b, c], [replica(a), replica(c)], { missing: 1 }],
    ['every version missing (empty replica)', [a, b], [], { missing: 2 }],
    ['a different size', [a], [replica(a, { size: 11 })], { mismatched: 1 }],
    ['a different ETag', [a], [replica(a, { etag: 'e2' })], { mismatched: 1 }],
    ['a different checksum algorithm', [a], [replica(a, { checksumAlgorithm: '' })], { mismatched: 1 }],
    ['replication FAILED, not in the replica', [row('a', 'v1', { replicationStatus: 'FAILED' })], [], { failed: 1 }],
    [
      'replication FAILED even where a replica exists',
      [row('a', 'v1', { replicationStatus: 'FAILED' })],
      [replica(a)],
      { failed: 1 },
    ],
    ['PENDING, not in the replica yet', [row('a', 'v1', { replicationStatus: 'PENDING' })], [], { pending: 1 }],
    ['a version only in the replica (deleted at the source)', [b], [replica(a), replica(b)], { replicaOnly: 1 }],
    ['a source delete marker is not expected in the replica', [row('a', 'v1', { isDeleteMarker: true })], [], {}],
    ['another version of the same key is missing', [row('a', 'v1'), row('a', 'v2')], [replica(a)], { missing: 1 }],
  ])('%s', (_name, source, replicaRows, expected) => {
    // Act
    const summary = diffInventories(source, replicaRows, { replicaListedAt: T0 + MINUTE });
    // Assess
    expect(counts(summary)).toEqual({
      missing: 0,
      mismatched: 0,
      failed: 0,
      pending: 0,
      tooNew: 0,
      replicaOnly: 0,
      ...expected,
    });
  });

  it('names what differs in a mismatch sample', () => {
    const summary = diffInventories([a], [replica(a, { size: 12, etag: 'e9' })]);
    expect(summary.samples.mismatched).toEqual([
      { key: 'a', versionId: 'v1', lastModified: '2026-11-30T00:00:00.000Z', detail: 'size: 10 ≠ 12, ETag: e1 ≠ e9' },
    ]);
  });

  it('can leave ETags out of the comparison', () => {
    expect(diffInventories([a], [replica(a, { etag: 'e2' })], { compareEtag: false }).mismatched).toBe(0);
  });

  it('does not judge a version written after the replica was listed', () => {
    const late = row('a', 'v1', { lastModified: T0 + 10 * MINUTE });
    const summary = diffInventories([late], [], { replicaListedAt: T0 + MINUTE });
    expect(counts(summary)).toMatchObject({ missing: 0, tooNew: 1 });
    expect(summary.oldestUnreplicated).toBeUndefined();
  });

  it('reports the oldest unreplicated version among pending, failed and missing, not mismatched', () => {
    const summary = diffInventories(
      [
        row('a', 'v1', { lastModified: T0 - 5 * MINUTE }),
        row('b', 'v1', { replicationStatus: 'PENDING', lastModified: T0 - 30 * MINUTE }),
        row('c', 'v1', { replicationStatus: 'FAILED', lastModified: T0 - 20 * MINUTE }),
        row('d', 'v1', { lastModified: T0 - 90 * MINUTE }),
      ],
      [replica(row('a'), { size: 1 }), replica(row('d'), { lastModified: T0 - 90 * MINUTE })],
    );
    expect(summary.oldestUnreplicated).toBe(T0 - 30 * MINUTE);
    expect(verdictOf(summary, T0)).toEqual({ discrepancies: true, late: true, oldestUnreplicatedSeconds: 1800 });
  });

  it('is not late within the 15 minutes of Replication Time Control', () => {
    const summary = diffInventories(
      [row('a', 'v1', { replicationStatus: 'PENDING', lastModified: T0 - 14 * MINUTE })],
      [],
    );
    expect(verdictOf(summary, T0)).toEqual({ discrepancies: false, late: false, oldestUnreplicatedSeconds: 840 });
  });

  it('keeps at most the sample limit per category while counting everything', () => {
    const source = Array.from({ length: 50 }, (_, i) => row(`k${String(i).padStart(3, '0')}`));
    const summary = diffInventories(source, [], { sampleLimit: 5 });
    expect(summary.missing).toBe(50);
    expect(summary.samples.missing.map((s) => s.key)).toEqual(['k000', 'k001', 'k002', 'k003', 'k004']);
  });

  it.each([
    [
      'source',
      [row('b'), row('a')],
      [],
      'source inventory is not sorted by (key, versionId): row 1 (key "a", version "v1") comes after key "b", version "v1"',
    ],
    [
      'replica',
      [],
      [row('a', 'v2'), row('a', 'v1')],
      'replica inventory is not sorted by (key, versionId): row 1 (key "a", version "v1") comes after key "a", version "v2"',
    ],
    [
      'source',
      [row('a'), row('a')],
      [],
      'source inventory is not sorted by (key, versionId): row 1 (key "a", version "v1") repeats key "a", version "v1"',
    ],
  ])('refuses an unsorted %s inventory, naming the row', (_side, source, replicaRows, message) => {
    expect(() => diffInventories(source, replicaRows)).toThrow(new UnsortedInventory(message));
  });

  it('refuses unsorted input behind a long sorted run (it is noticed where it happens)', () => {
    const source = [...Array.from({ length: 1000 }, (_, i) => row(`k${String(i).padStart(4, '0')}`)), row('k0500x')];
    expect(() => diffInventories(source, [])).toThrow(/row 1000 \(key "k0500x"/);
  });
});

describe('partial summaries', () => {
  it('add up, keep the oldest, and cap the samples', () => {
    const one = diffInventories([row('a', 'v1', { lastModified: T0 - MINUTE })], []);
    const two = diffInventories([row('b', 'v1', { lastModified: T0 - 2 * MINUTE }), row('c')], [], { sampleLimit: 2 });
    const merged = mergeSummaries([one, two], 2);
    expect(merged.missing).toBe(3);
    expect(merged.oldestUnreplicated).toBe(T0 - 2 * MINUTE);
    expect(merged.samples.missing.map((s) => s.key)).toEqual(['a', 'b']);
  });

  it('of nothing are empty', () => {
    expect(mergeSummaries([])).toMatchObject({ sourceRows: 0, missing: 0, oldestUnreplicated: undefined });
  });
});

// -------------------------------------------------------------------------------------------------------------
// Property tests against a reference model: a map lookup per version, sharing nothing with the merge.

const STATUSES = ['COMPLETED', 'PENDING', 'FAILED', ''] as const;
type Fate = 'copied' | 'absent' | 'resized' | 'retagged';
const arbitraryVersion = fc.record({
  key: fc.string({ minLength: 1, maxLength: 4 }),
  versionId: fc.constantFrom('v1', 'v2', 'v3'),
  status: fc.constantFrom(...STATUSES),
  deleteMarker: fc.boolean(),
  minutesAgo: fc.integer({ min: 0, max: 120 }),
  fate: fc.constantFrom<Fate>('copied', 'absent', 'resized', 'retagged'),
});
type Version = typeof arbitraryVersion extends fc.Arbitrary<infer V> ? V : never;
const arbitraryBucket = fc
  .array(arbitraryVersion, { maxLength: 60 })
  .map((versions) => [...new Map(versions.map((v) => [`${v.key}\u0000${v.versionId}`, v])).values()]);
const arbitraryExtra = fc.array(
  fc.record({ key: fc.string({ minLength: 1, maxLength: 4 }), versionId: fc.constant('vx') }),
  {
    maxLength: 10,
  },
);

function build(versions: Version[]) {
  const source = versions.map((v) =>
    row(v.key, v.versionId, {
      replicationStatus: v.status,
      isDeleteMarker: v.deleteMarker,
      lastModified: T0 - v.minutesAgo * MINUTE,
    }),
  );
  const replicaRows = versions.flatMap((v, i) => {
    const s = source[i] as InventoryRow;
    if (v.fate === 'absent' || v.deleteMarker) return [];
    if (v.fate === 'resized') return [replica(s, { size: s.size + 1 })];
    if (v.fate === 'retagged') return [replica(s, { etag: 'other' })];
    return [replica(s)];
  });
  return { source, replicaRows };
}

function reference(source: InventoryRow[], replicaRows: InventoryRow[], listedAt: number) {
  const id = (r: InventoryRow) => `${r.key}\u0000${r.versionId}`;
  const replicas = new Map(replicaRows.map((r) => [id(r), r]));
  const sources = new Set(source.map(id));
  const expected = { missing: 0, mismatched: 0, failed: 0, pending: 0, tooNew: 0, replicaOnly: 0 };
  let oldest: number | undefined;
  const unreplicated = (r: InventoryRow) => {
    oldest = oldest === undefined ? r.lastModified : Math.min(oldest, r.lastModified);
  };
  for (const s of source) {
    if (s.isDeleteMarker) continue;
    const r = replicas.get(id(s));
    if (s.replicationStatus === 'FAILED') {
      expected.failed++;
      unreplicated(s);
    } else if (r) {
      if (r.size !== s.size || r.etag !== s.etag || r.checksumAlgorithm !== s.checksumAlgorithm) expected.mismatched++;
    } else if (s.replicationStatus === 'PENDING') {
      expected.pending++;
      unreplicated(s);
    } else if (s.lastModified > listedAt) expected.tooNew++;
    else {
      expected.missing++;
      unreplicated(s);
    }
  }
  for (const r of replicaRows) if (!sources.has(id(r))) expected.replicaOnly++;
  return { expected, oldest };
}

describe('the inventory diff, for any pair of inventories', () => {
  it('counts what a lookup per version counts, and finds the same oldest unreplicated version', () => {
    fc.assert(
      fc.property(arbitraryBucket, arbitraryExtra, fc.integer({ min: 0, max: 120 }), (versions, extra, listedAgo) => {
        const built = build(versions);
        const source = built.source.sort(compareRows);
        const replicaRows = [
          ...built.replicaRows,
          ...extra
            .filter((e) => !source.some((s) => s.key === e.key && s.versionId === e.versionId))
            .map((e) => replica(row(e.key, e.versionId))),
        ]
          .filter((r, i, all) => all.findIndex((o) => compareRows(o, r) === 0) === i)
          .sort(compareRows);
        const listedAt = T0 - listedAgo * MINUTE;
        const summary = diffInventories(source, replicaRows, { replicaListedAt: listedAt, sampleLimit: 3 });
        const { expected, oldest } = reference(source, replicaRows, listedAt);
        expect(counts(summary)).toEqual(expected);
        expect(summary.oldestUnreplicated).toBe(oldest);
        for (const kind of ['missing', 'mismatched', 'failed', 'pending'] as const)
          expect(summary.samples[kind].length).toBe(Math.min(3, summary[kind]));
      }),
      { numRuns: 300 },
    );
  });

  it('gives the same summary synchronously and asynchronously', async () => {
    await fc.assert(
      fc.asyncProperty(arbitraryBucket, async (versions) => {
        const { source, replicaRows } = build(versions);
        source.sort(compareRows);
        replicaRows.sort(compareRows);
        async function* stream(rows: InventoryRow[]) {
          yield* rows;
        }
        expect(await diffInventoriesAsync(stream(source), stream(replicaRows))).toEqual(
          diffInventories(source, replicaRows),
        );
      }),
      { numRuns: 100 },
    );
  });

  it('rejects any input with two rows out of order, naming the later row', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 5 }), { minLength: 2, maxLength: 30 }),
        fc.nat(),
        (keys, pick) => {
          const sorted = [...keys].sort().map((k) => row(k));
          const i = pick % (sorted.length - 1);
          const swapped = [...sorted];
          [swapped[i], swapped[i + 1]] = [swapped[i + 1] as InventoryRow, swapped[i] as InventoryRow];
          expect(() => diffInventories(swapped, [])).toThrow(UnsortedInventory);
          expect(() => diffInventories([], swapped)).toThrow(`row ${i + 1} (key "${sorted[i]?.key}"`);
        },
      ),
    );
  });
});
