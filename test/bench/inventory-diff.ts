/**
 * The inventory diff's throughput and memory on synthetic inventories generated row by row (never an array): a
 * source of `rows` versions and its replica, with a missing, a different, a failed and a pending version now and then.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { diffInventories, type InventoryRow } from '../../functions/archive/inventory-diff';

const T0 = Date.parse('2026-11-30T00:00:00Z');

function* inventory(
  rows: number,
  side: 'source' | 'replica',
  every: number,
  onRows: () => void,
): Generator<InventoryRow> {
  for (let i = 0; i < rows; i++) {
    if (i % every === 0) onRows();
    if (side === 'replica' && (i % 1000 === 7 || i % 5003 === 11 || i % 7001 === 13)) continue;
    yield {
      // Fixed width, so the order of the strings is the order of the numbers.
      key: `objects/${10_000_000_000 + i}`,
      versionId: 'v1',
      size: side === 'replica' && i % 997 === 5 ? 2 : 1,
      etag: 'd41d8cd98f00b204e9800998ecf8427e',
      checksumAlgorithm: 'SHA256',
      replicationStatus:
        side === 'replica' ? 'REPLICA' : i % 5003 === 11 ? 'FAILED' : i % 7001 === 13 ? 'PENDING' : 'COMPLETED',
      lastModified: T0 + i,
      isDeleteMarker: false,
    };
  }
}

export interface DiffRun {
  readonly rows: number;
  /** CPU time of the process (user + system) for generating the rows and diffing them: it all runs on one core. */
  readonly cpuSeconds: number;
  /** CPU time for generating and reading the same rows without diffing them: the bench's own share. */
  readonly generationCpuSeconds: number;
  /** The most heap in use after a full collection, above the heap before the run, at 10 points of it, in MB. */
  readonly retainedHeapMb: number;
  readonly missing: number;
}

/** A full garbage collection, so that what is measured is what the diff keeps, not garbage not yet collected. */
function collector(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** CPU seconds to generate both sides' rows and touch each, without a diff: what the synthetic input costs. */
function generationOnly(rows: number): number {
  const cpu = process.cpuUsage();
  let bytes = 0;
  for (const row of inventory(rows, 'source', rows + 1, () => {})) bytes += row.size;
  for (const row of inventory(rows, 'replica', rows + 1, () => {})) bytes += row.size;
  const used = process.cpuUsage(cpu);
  if (bytes === 0) throw new Error('bench: the synthetic inventories are empty');
  return (used.user + used.system) / 1e6;
}

export function runDiff(rows: number): DiffRun {
  const generationCpuSeconds = generationOnly(rows);
  const gc = collector();
  gc();
  const baseline = process.memoryUsage().heapUsed;
  let retained = 0;
  const sample = () => {
    gc();
    retained = Math.max(retained, process.memoryUsage().heapUsed - baseline);
  };
  const cpu = process.cpuUsage();
  const summary = diffInventories(
    inventory(rows, 'source', Math.ceil(rows / 10), sample),
    inventory(rows, 'replica', rows + 1, () => {}),
    { replicaListedAt: T0 + rows },
  );
  const used = process.cpuUsage(cpu);
  sample();
  return {
    rows,
    cpuSeconds: (used.user + used.system) / 1e6,
    generationCpuSeconds,
    retainedHeapMb: Math.max(0, retained) / 1024 / 1024,
    missing: summary.missing,
  };
}
