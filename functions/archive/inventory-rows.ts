/**
 * S3 Inventory's CSV rows and manifest, the partitioning of rows by key, the sorted runs the partition step writes,
 * and the k-way merge that reads them back in order. No SDK here: lines in, rows out.
 */
import { compareRows, type InventoryRow } from './inventory-diff';

/** The columns the verification reads, as S3 Inventory names them in a manifest's `fileSchema`. */
export const REQUIRED_COLUMNS = [
  'Key',
  'VersionId',
  'IsDeleteMarker',
  'Size',
  'LastModifiedDate',
  'ETag',
  'ReplicationStatus',
  'ChecksumAlgorithm',
] as const;

/** An inventory's manifest.json, as S3 Inventory writes it (the fields read here). */
export interface InventoryManifest {
  readonly sourceBucket: string;
  readonly destinationBucket: string;
  readonly creationTimestamp: string;
  readonly fileFormat: string;
  readonly fileSchema: string;
  readonly files: readonly { readonly key: string; readonly size: number; readonly MD5checksum?: string }[];
}

/** A manifest that cannot be verified from: the message says what is wrong. */
export class InventoryUnusable extends Error {
  override readonly name = 'InventoryUnusable';
}

/** The column positions of `REQUIRED_COLUMNS` in a manifest's `fileSchema`; throws naming the missing ones. */
export function columnsOf(manifest: Pick<InventoryManifest, 'fileSchema' | 'fileFormat'>, where: string): number[] {
  if (manifest.fileFormat !== 'CSV')
    throw new InventoryUnusable(
      `${where}: the inventory is ${manifest.fileFormat}; replication verification reads CSV`,
    );
  const schema = manifest.fileSchema.split(',').map((c) => c.trim());
  const missing = REQUIRED_COLUMNS.filter((c) => !schema.includes(c));
  if (missing.length > 0)
    throw new InventoryUnusable(
      `${where}: the inventory lacks ${missing.join(', ')} (its fileSchema is "${manifest.fileSchema}"); the inventory configuration must list every version with Size, LastModifiedDate, ETag, ReplicationStatus and ChecksumAlgorithm`,
    );
  return REQUIRED_COLUMNS.map((c) => schema.indexOf(c));
}

/** The fields of one CSV line (RFC 4180: quoted fields, doubled quotes inside). */
export function csvFields(line: string): string[] {
  const fields: string[] = [];
  let i = 0;
  const n = line.length;
  while (i <= n) {
    if (line.charCodeAt(i) === 34 /* " */) {
      let value = '';
      let start = ++i;
      for (;;) {
        const quote = line.indexOf('"', i);
        if (quote < 0) throw new InventoryUnusable(`an unterminated quoted field in CSV line: ${line.slice(0, 200)}`);
        if (line.charCodeAt(quote + 1) === 34) {
          value += line.slice(start, quote + 1);
          i = start = quote + 2;
          continue;
        }
        value += line.slice(start, quote);
        i = quote + 1;
        break;
      }
      fields.push(value);
      i++; // the comma
    } else {
      const comma = line.indexOf(',', i);
      const end = comma < 0 ? n : comma;
      fields.push(line.slice(i, end));
      i = end + 1;
    }
  }
  return fields;
}

/** One inventory CSV line as a row, by the column positions from `columnsOf`. */
export function rowOf(line: string, columns: readonly number[]): InventoryRow {
  const f = csvFields(line);
  const at = (i: number) => f[columns[i] as number] ?? '';
  const lastModified = Date.parse(at(4));
  return {
    key: at(0),
    versionId: at(1),
    isDeleteMarker: at(2) === 'true',
    size: at(3) === '' ? 0 : Number(at(3)),
    lastModified: Number.isNaN(lastModified) ? 0 : lastModified,
    etag: at(5),
    replicationStatus: at(6),
    checksumAlgorithm: at(7),
  };
}

/** The partition of a key (FNV-1a over its UTF-16 code units): both inventories put a key in the same one. */
export function partitionOf(key: string, partitions: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % partitions;
}

// A run line: tab-separated. Keys in CSV inventories are URL-encoded, so a key holds no tab or newline; the
// encoding below escapes them anyway for rows from elsewhere.
const escapeField = (s: string) =>
  /[\t\n\\]/.test(s) ? s.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n') : s;
const unescapeField = (s: string) =>
  s.includes('\\') ? s.replace(/\\(.)/g, (_m, c: string) => (c === 't' ? '\t' : c === 'n' ? '\n' : c)) : s;

export function runLine(r: InventoryRow): string {
  return [
    escapeField(r.key),
    escapeField(r.versionId),
    r.size,
    escapeField(r.etag),
    r.checksumAlgorithm,
    r.replicationStatus,
    r.lastModified,
    r.isDeleteMarker ? 1 : 0,
  ].join('\t');
}

export function rowOfRunLine(line: string): InventoryRow {
  const f = line.split('\t');
  return {
    key: unescapeField(f[0] ?? ''),
    versionId: unescapeField(f[1] ?? ''),
    size: Number(f[2]),
    etag: unescapeField(f[3] ?? ''),
    checksumAlgorithm: f[4] ?? '',
    replicationStatus: f[5] ?? '',
    lastModified: Number(f[6]),
    isDeleteMarker: f[7] === '1',
  };
}

/**
 * Rows of one inventory file, split by partition and buffered up to `budget` rows in all; when the budget is
 * reached every partition's buffer is sorted and handed to `flush` as a run, so memory stays at `budget` rows
 * whatever the file's size.
 */
export class Partitioner {
  private readonly buffers: InventoryRow[][];
  private buffered = 0;
  rows = 0;

  constructor(
    private readonly partitions: number,
    private readonly budget: number,
    private readonly flush: (partition: number, sorted: InventoryRow[]) => Promise<void>,
  ) {
    this.buffers = Array.from({ length: partitions }, () => []);
  }

  async add(row: InventoryRow): Promise<void> {
    (this.buffers[partitionOf(row.key, this.partitions)] as InventoryRow[]).push(row);
    this.rows++;
    if (++this.buffered >= this.budget) await this.end();
  }

  /** Flushes what is buffered. */
  async end(): Promise<void> {
    for (let p = 0; p < this.partitions; p++) {
      const buffer = this.buffers[p] as InventoryRow[];
      if (buffer.length === 0) continue;
      this.buffers[p] = [];
      await this.flush(p, buffer.sort(compareRows));
    }
    this.buffered = 0;
  }
}

/**
 * The rows of sorted runs, in order: a k-way merge holding one row per run (a binary heap), so memory is the number
 * of runs, not of rows.
 */
export async function* mergeRuns(runs: readonly AsyncIterable<InventoryRow>[]): AsyncGenerator<InventoryRow> {
  const iterators = runs.map((run) => run[Symbol.asyncIterator]());
  const heap: { row: InventoryRow; from: number }[] = [];
  const less = (i: number, j: number) =>
    compareRows((heap[i] as { row: InventoryRow }).row, (heap[j] as { row: InventoryRow }).row) < 0;
  const swap = (i: number, j: number) => {
    [heap[i], heap[j]] = [heap[j] as (typeof heap)[number], heap[i] as (typeof heap)[number]];
  };
  const up = (i: number) => {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(i, parent)) return;
      swap(i, parent);
      i = parent;
    }
  };
  const down = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && less(l, m)) m = l;
      if (r < heap.length && less(r, m)) m = r;
      if (m === i) return;
      swap(i, m);
      i = m;
    }
  };
  const first = await Promise.all(iterators.map((it) => it.next()));
  first.forEach((n, from) => {
    if (!n.done) {
      heap.push({ row: n.value, from });
      up(heap.length - 1);
    }
  });
  while (heap.length > 0) {
    const top = heap[0] as { row: InventoryRow; from: number };
    yield top.row;
    const next = await (iterators[top.from] as AsyncIterator<InventoryRow>).next();
    if (next.done) {
      const last = heap.pop() as (typeof heap)[number];
      if (heap.length > 0) {
        heap[0] = last;
        down(0);
      }
    } else {
      heap[0] = { row: next.value, from: top.from };
      down(0);
    }
  }
}

/** A key as people read it: CSV inventories URL-encode keys (a space as `+`). */
export function readableKey(key: string): string {
  try {
    return decodeURIComponent(key.replace(/\+/g, ' '));
  } catch {
    return key;
  }
}

/** The newest of an inventory's dated folders (`YYYY-MM-DDTHH-MMZ/`), or undefined. */
export function newestInventoryFolder(prefixes: readonly string[]): string | undefined {
  return prefixes
    .filter((p) => /\/\d{4}-\d{2}-\d{2}T\d{2}-\d{2}Z\/$/.test(p))
    .sort()
    .at(-1);
}
