/**
 * The comparison of a bucket's S3 Inventory with its replica's: two streams of rows, each sorted by (key, versionId),
 * merged in one pass. Memory is the counts and a bounded sample per category, whatever the row count. No SDK here.
 */

/** One object version as an inventory lists it (the fields replication verification reads). */
export interface InventoryRow {
  /** As S3 Inventory writes it (URL-encoded in CSV); the order of rows is by this string, then `versionId`. */
  readonly key: string;
  readonly versionId: string;
  readonly size: number;
  readonly etag: string;
  /** The additional checksum's algorithm (CRC32, SHA256, ...), or '' when none. */
  readonly checksumAlgorithm: string;
  /** Source: COMPLETED, PENDING, FAILED or '' (not in scope of a rule); replica: REPLICA. */
  readonly replicationStatus: string;
  /** Epoch milliseconds. */
  readonly lastModified: number;
  readonly isDeleteMarker: boolean;
}

export const DISCREPANCY_KINDS = ['missing', 'mismatched', 'failed'] as const;
export type DiscrepancyKind = (typeof DISCREPANCY_KINDS)[number];

/** A sampled discrepancy: what a person needs to find the version. */
export interface DiscrepancySample {
  readonly key: string;
  readonly versionId: string;
  readonly lastModified: string;
  /** For `mismatched`: which fields differ, as `field: source ≠ replica`. */
  readonly detail?: string;
}

export interface DiffSummary {
  /** Source versions compared (delete markers excluded: they are not replicated by design). */
  readonly sourceRows: number;
  readonly replicaRows: number;
  /** Versions that must be in the replica and are not (replication status COMPLETED or none). */
  readonly missing: number;
  /** In both, with a different size, ETag or checksum algorithm. */
  readonly mismatched: number;
  /** Replication status FAILED in the source. */
  readonly failed: number;
  /** Replication status PENDING in the source and not in the replica yet. */
  readonly pending: number;
  /** Written after the replica's inventory was taken: not judged. */
  readonly tooNew: number;
  /** In the replica only (the source version was deleted; deletes are not replicated by design). */
  readonly replicaOnly: number;
  /** The oldest last-modified time of a version not replicated (pending, failed or missing), epoch ms. */
  readonly oldestUnreplicated?: number;
  readonly samples: Readonly<Record<DiscrepancyKind | 'pending', readonly DiscrepancySample[]>>;
}

export interface DiffOptions {
  /** How many samples each category keeps. @default 20 */
  readonly sampleLimit?: number;
  /**
   * When the replica's inventory was taken, epoch ms: a source version written later cannot be in it yet and is
   * counted `tooNew` instead of missing. @default - every version is judged
   */
  readonly replicaListedAt?: number;
  /** Compare ETags (a replica keeps its source's). @default true */
  readonly compareEtag?: boolean;
}

/** Rows out of order: the merge would miss matches, so the diff refuses to go on. */
export class UnsortedInventory extends Error {
  override readonly name = 'UnsortedInventory';
}

const DEFAULT_SAMPLES = 20;

/** The order of rows: by key, then version id, in UTF-16 code units (what `<` on strings is). */
export function compareRows(a: { key: string; versionId: string }, b: { key: string; versionId: string }): number {
  if (a.key !== b.key) return a.key < b.key ? -1 : 1;
  if (a.versionId === b.versionId) return 0;
  return a.versionId < b.versionId ? -1 : 1;
}

/**
 * The accumulating diff. Feed it with `compare` (a pair with the same key and version), `sourceOnly` and
 * `replicaOnly`, in merge order; or use `diffInventories` / `diffInventoriesAsync`, which do the merge.
 */
export class InventoryDiff {
  private readonly limit: number;
  private readonly listedAt: number;
  private readonly etag: boolean;
  private counts = {
    sourceRows: 0,
    replicaRows: 0,
    missing: 0,
    mismatched: 0,
    failed: 0,
    pending: 0,
    tooNew: 0,
    replicaOnly: 0,
  };
  private oldest = Number.POSITIVE_INFINITY;
  private readonly samples: Record<DiscrepancyKind | 'pending', DiscrepancySample[]> = {
    missing: [],
    mismatched: [],
    failed: [],
    pending: [],
  };
  private lastSource?: InventoryRow;
  private lastReplica?: InventoryRow;

  constructor(options: DiffOptions = {}) {
    this.limit = options.sampleLimit ?? DEFAULT_SAMPLES;
    this.listedAt = options.replicaListedAt ?? Number.POSITIVE_INFINITY;
    this.etag = options.compareEtag ?? true;
  }

  /** Checks `row` comes strictly after the previous row of its side; throws UnsortedInventory naming both. */
  ordered(side: 'source' | 'replica', row: InventoryRow, index: number): void {
    const previous = side === 'source' ? this.lastSource : this.lastReplica;
    if (previous && compareRows(previous, row) >= 0)
      throw new UnsortedInventory(
        `${side} inventory is not sorted by (key, versionId): row ${index} (key "${row.key}", version "${row.versionId}") ${compareRows(previous, row) === 0 ? 'repeats' : 'comes after'} key "${previous.key}", version "${previous.versionId}"`,
      );
    if (side === 'source') this.lastSource = row;
    else this.lastReplica = row;
  }

  /** The same version on both sides. */
  compare(source: InventoryRow, replica: InventoryRow): void {
    this.counts.replicaRows++;
    if (source.isDeleteMarker) return;
    this.counts.sourceRows++;
    if (source.replicationStatus === 'FAILED') {
      this.note('failed', source);
      return;
    }
    const differences: string[] = [];
    if (source.size !== replica.size) differences.push(`size: ${source.size} ≠ ${replica.size}`);
    if (this.etag && source.etag !== replica.etag) differences.push(`ETag: ${source.etag} ≠ ${replica.etag}`);
    if (source.checksumAlgorithm !== replica.checksumAlgorithm)
      differences.push(`checksum: ${source.checksumAlgorithm || 'none'} ≠ ${replica.checksumAlgorithm || 'none'}`);
    if (differences.length > 0) this.note('mismatched', source, differences.join(', '));
  }

  /** A source version the replica's inventory does not list. */
  sourceOnly(source: InventoryRow): void {
    if (source.isDeleteMarker) return;
    this.counts.sourceRows++;
    if (source.replicationStatus === 'FAILED') this.note('failed', source);
    else if (source.replicationStatus === 'PENDING') this.note('pending', source);
    else if (source.lastModified > this.listedAt) this.counts.tooNew++;
    else this.note('missing', source);
  }

  replicaOnly(_replica: InventoryRow): void {
    this.counts.replicaRows++;
    this.counts.replicaOnly++;
  }

  summary(): DiffSummary {
    return {
      ...this.counts,
      oldestUnreplicated: Number.isFinite(this.oldest) ? this.oldest : undefined,
      samples: {
        missing: [...this.samples.missing],
        mismatched: [...this.samples.mismatched],
        failed: [...this.samples.failed],
        pending: [...this.samples.pending],
      },
    };
  }

  private note(kind: DiscrepancyKind | 'pending', row: InventoryRow, detail?: string): void {
    this.counts[kind]++;
    if (kind !== 'mismatched' && row.lastModified < this.oldest) this.oldest = row.lastModified;
    const samples = this.samples[kind];
    if (samples.length < this.limit)
      samples.push({
        key: row.key,
        versionId: row.versionId,
        lastModified: new Date(row.lastModified).toISOString(),
        ...(detail ? { detail } : {}),
      });
  }
}

/** The merge-join of two sorted row streams. O(source + replica) time; memory: the diff's counts and samples. */
export function diffInventories(
  source: Iterable<InventoryRow>,
  replica: Iterable<InventoryRow>,
  options: DiffOptions = {},
): DiffSummary {
  const diff = new InventoryDiff(options);
  const s = source[Symbol.iterator]();
  const r = replica[Symbol.iterator]();
  let si = 0;
  let ri = 0;
  const nextSource = () => {
    const n = s.next();
    if (!n.done) diff.ordered('source', n.value, si++);
    return n.done ? undefined : n.value;
  };
  const nextReplica = () => {
    const n = r.next();
    if (!n.done) diff.ordered('replica', n.value, ri++);
    return n.done ? undefined : n.value;
  };
  let a = nextSource();
  let b = nextReplica();
  while (a && b) {
    const order = compareRows(a, b);
    if (order === 0) {
      diff.compare(a, b);
      a = nextSource();
      b = nextReplica();
    } else if (order < 0) {
      diff.sourceOnly(a);
      a = nextSource();
    } else {
      diff.replicaOnly(b);
      b = nextReplica();
    }
  }
  for (; a; a = nextSource()) diff.sourceOnly(a);
  for (; b; b = nextReplica()) diff.replicaOnly(b);
  return diff.summary();
}

/** The same merge-join over asynchronous streams (inventory files read from S3). */
export async function diffInventoriesAsync(
  source: AsyncIterable<InventoryRow>,
  replica: AsyncIterable<InventoryRow>,
  options: DiffOptions = {},
): Promise<DiffSummary> {
  const diff = new InventoryDiff(options);
  const s = source[Symbol.asyncIterator]();
  const r = replica[Symbol.asyncIterator]();
  let si = 0;
  let ri = 0;
  const nextSource = async () => {
    const n = await s.next();
    if (!n.done) diff.ordered('source', n.value, si++);
    return n.done ? undefined : n.value;
  };
  const nextReplica = async () => {
    const n = await r.next();
    if (!n.done) diff.ordered('replica', n.value, ri++);
    return n.done ? undefined : n.value;
  };
  let a = await nextSource();
  let b = await nextReplica();
  while (a && b) {
    const order = compareRows(a, b);
    if (order === 0) {
      diff.compare(a, b);
      a = await nextSource();
      b = await nextReplica();
    } else if (order < 0) {
      diff.sourceOnly(a);
      a = await nextSource();
    } else {
      diff.replicaOnly(b);
      b = await nextReplica();
    }
  }
  for (; a; a = await nextSource()) diff.sourceOnly(a);
  for (; b; b = await nextReplica()) diff.replicaOnly(b);
  return diff.summary();
}

/**
 * Several partial summaries (one per partition) as one: counts added, the oldest of the oldest, samples kept up to
 * `sampleLimit` per category in the order given.
 */
export function mergeSummaries(parts: readonly DiffSummary[], sampleLimit = DEFAULT_SAMPLES): DiffSummary {
  const sum = (pick: (s: DiffSummary) => number) => parts.reduce((total, part) => total + pick(part), 0);
  const oldest = Math.min(...parts.map((p) => p.oldestUnreplicated ?? Number.POSITIVE_INFINITY));
  const samples = (kind: DiscrepancyKind | 'pending') => parts.flatMap((p) => p.samples[kind]).slice(0, sampleLimit);
  return {
    sourceRows: sum((s) => s.sourceRows),
    replicaRows: sum((s) => s.replicaRows),
    missing: sum((s) => s.missing),
    mismatched: sum((s) => s.mismatched),
    failed: sum((s) => s.failed),
    pending: sum((s) => s.pending),
    tooNew: sum((s) => s.tooNew),
    replicaOnly: sum((s) => s.replicaOnly),
    oldestUnreplicated: Number.isFinite(oldest) ? oldest : undefined,
    samples: {
      missing: samples('missing'),
      mismatched: samples('mismatched'),
      failed: samples('failed'),
      pending: samples('pending'),
    },
  };
}

/** The RTC threshold: S3 Replication Time Control replicates 99.99 % of objects within 15 minutes. */
export const RTC_THRESHOLD_MS = 15 * 60_000;

export interface Verdict {
  /** Missing, mismatched or failed versions exist. */
  readonly discrepancies: boolean;
  /** A version has waited for replication longer than the RTC threshold. */
  readonly late: boolean;
  /** How long the oldest unreplicated version has waited, in seconds, at `now`. */
  readonly oldestUnreplicatedSeconds?: number;
}

/** What the verification alerts on. */
export function verdictOf(summary: DiffSummary, now: number, thresholdMs = RTC_THRESHOLD_MS): Verdict {
  const age = summary.oldestUnreplicated === undefined ? undefined : now - summary.oldestUnreplicated;
  return {
    discrepancies: summary.missing + summary.mismatched + summary.failed > 0,
    late: age !== undefined && age > thresholdMs,
    oldestUnreplicatedSeconds: age === undefined ? undefined : Math.round(age / 1000),
  };
}
