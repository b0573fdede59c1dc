/** Backup fleet sharing one copy-slot semaphore, as a discrete-event simulation: seeded, no timers, reproducible. */
import { COPY_SLOT_RETRY, type CopySlotRetryPolicy } from '../../functions/backup/contracts';
import {
  decideAcquire,
  decideRelease,
  EMPTY_SLOT_STATE,
  retryDelaySeconds,
  type SlotState,
} from '../../functions/backup/copy-slots';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export interface FleetOptions {
  readonly databases: number;
  /** Copies RDS allows in progress at once towards the DR region. */
  readonly limit: number;
  readonly seed: number;
  /** Executions start uniformly within [0, startSpreadMs); 0 starts them all at t=0. */
  readonly startSpreadMs?: number;
  /** Snapshot duration range [min, max) in ms. */
  readonly snapshotMs?: readonly [number, number];
  /** Copy duration range [min, max) in ms. */
  readonly copyMs?: readonly [number, number];
  readonly leaseMs?: number;
  readonly retry?: CopySlotRetryPolicy;
  /** Share of executions stopped while copying: the copy runs on in RDS, but the slot is never released. */
  readonly abandonRate?: number;
  /** Share of successful acquires whose response is lost, so the task runs again for the same holder. */
  readonly lostResponseRate?: number;
}

export interface FleetResult {
  /** When the last copy finished, from t=0. */
  readonly makespanMs: number;
  /** max(min ready + total copy time / limit, max(ready + copy)): no schedule within the limit can beat it. */
  readonly lowerBoundMs: number;
  readonly ratio: number;
  /** Copies started while `limit` copies were already in progress, counted apart from the semaphore. */
  readonly quotaErrors: number;
  readonly maxInProgress: number;
  /** Retries of the acquire task, each one a billed state transition. */
  readonly retries: number;
  /** Most retries one execution spent; each adds history events towards the 25,000-event execution quota. */
  readonly maxRetriesPerExecution: number;
  readonly acquireCalls: number;
  readonly copiesStarted: number;
  /** Executions that ran out of retry attempts before getting a slot. */
  readonly exhausted: number;
  readonly abandoned: number;
  /** Holders whose expired lease a later acquire swept away. */
  readonly reclaimed: number;
  readonly alreadyHeld: number;
  readonly maxWaitMs: number;
  readonly meanWaitMs: number;
  /** Slot time lost to polling: free slots multiplied by how long ready executions were waiting for them. */
  readonly idleSlotMs: number;
  /** Most acquire calls landing in one simulated second: the herd that hits the DynamoDB item at once. */
  readonly peakAcquiresPerSecond: number;
  /** Leases left in the semaphore when the simulation ends; only abandoned holders may remain. */
  readonly finalLeases: readonly string[];
}

/** mulberry32: tiny, fast, and good enough to draw workloads and jitter. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

type EventKind = 'ready' | 'retry' | 'reinvoke' | 'copy-done';

interface SimEvent {
  readonly time: number;
  /** Breaks ties in insertion order so equal-time events run deterministically. */
  readonly seq: number;
  readonly kind: EventKind;
  readonly db: number;
  readonly attempt: number;
}

class EventQueue {
  private readonly heap: SimEvent[] = [];
  private seq = 0;

  push(time: number, kind: EventKind, db: number, attempt = 0): void {
    const heap = this.heap;
    heap.push({ time, seq: this.seq++, kind, db, attempt });
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i] as SimEvent, heap[parent] as SimEvent)) break;
      swap(heap, i, parent);
      i = parent;
    }
  }

  pop(): SimEvent | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && before(heap[left] as SimEvent, heap[smallest] as SimEvent)) smallest = left;
      if (right < heap.length && before(heap[right] as SimEvent, heap[smallest] as SimEvent)) smallest = right;
      if (smallest === i) return top;
      swap(heap, i, smallest);
      i = smallest;
    }
  }
}

function before(a: SimEvent, b: SimEvent): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}

function swap(heap: SimEvent[], i: number, j: number): void {
  const tmp = heap[i] as SimEvent;
  heap[i] = heap[j] as SimEvent;
  heap[j] = tmp;
}

function uniform(random: () => number, [min, max]: readonly [number, number]): number {
  return min + random() * (max - min);
}

/** Step Functions retries a failed Lambda invoke after a couple of seconds; the exact value barely matters. */
const REINVOKE_DELAY_MS = 2_000;

export function simulateFleet(opts: FleetOptions): FleetResult {
  const {
    databases,
    limit,
    seed,
    startSpreadMs = 0,
    snapshotMs = [5 * MINUTE, 20 * MINUTE],
    copyMs = [30 * MINUTE, 90 * MINUTE],
    leaseMs = 6 * HOUR,
    retry = COPY_SLOT_RETRY,
    abandonRate = 0,
    lostResponseRate = 0,
  } = opts;
  if (!Number.isInteger(databases) || databases < 1) throw new RangeError(`databases must be >= 1, got ${databases}`);

  // Workload and behaviour draw from separate streams, so changing the retry policy keeps the same workload.
  const workload = mulberry32(seed);
  const behaviour = mulberry32(seed ^ 0x9e3779b9);

  const readyAt: number[] = [];
  const copyFor: number[] = [];
  const abandons: boolean[] = [];
  for (let db = 0; db < databases; db++) {
    const start = startSpreadMs > 0 ? workload() * startSpreadMs : 0;
    readyAt.push(start + uniform(workload, snapshotMs));
    copyFor.push(uniform(workload, copyMs));
    abandons.push(workload() < abandonRate);
  }

  const queue = new EventQueue();
  readyAt.forEach((time, db) => {
    queue.push(time, 'ready', db);
  });

  const holder = (db: number) => `execution-${db}`;
  let state: SlotState = EMPTY_SLOT_STATE;
  let inProgress = 0;
  let maxInProgress = 0;
  let quotaErrors = 0;
  let retries = 0;
  let maxRetriesPerExecution = 0;
  let acquireCalls = 0;
  let copiesStarted = 0;
  let exhausted = 0;
  let abandoned = 0;
  let reclaimed = 0;
  let alreadyHeld = 0;
  let makespanMs = 0;
  let totalWaitMs = 0;
  let maxWaitMs = 0;
  let waiting = 0;
  let idleSlotMs = 0;
  let lastEventAt = 0;
  let acquireSecond = -1;
  let acquiresThisSecond = 0;
  let peakAcquiresPerSecond = 0;

  const startCopy = (db: number, now: number) => {
    // The RDS quota is tracked here on its own, so a semaphore bug shows up as a quota error instead of hiding.
    if (inProgress >= limit) quotaErrors++;
    inProgress++;
    copiesStarted++;
    maxInProgress = Math.max(maxInProgress, inProgress);
    waiting--;
    const waited = now - (readyAt[db] as number);
    totalWaitMs += waited;
    maxWaitMs = Math.max(maxWaitMs, waited);
    queue.push(now + (copyFor[db] as number), 'copy-done', db);
  };

  for (let event = queue.pop(); event !== undefined; event = queue.pop()) {
    const { time: now, kind, db, attempt } = event;
    idleSlotMs += (now - lastEventAt) * Math.min(Math.max(0, limit - inProgress), waiting);
    lastEventAt = now;
    if (kind === 'copy-done') {
      inProgress--;
      makespanMs = Math.max(makespanMs, now);
      if (abandons[db]) abandoned++;
      else state = decideRelease(state, holder(db)).state;
      continue;
    }

    if (kind === 'ready') waiting++;
    acquireCalls++;
    const second = Math.floor(now / 1000);
    acquiresThisSecond = second === acquireSecond ? acquiresThisSecond + 1 : 1;
    acquireSecond = second;
    peakAcquiresPerSecond = Math.max(peakAcquiresPerSecond, acquiresThisSecond);
    const decision = decideAcquire(state, holder(db), { limit, now, leaseMs });
    state = decision.state;
    if (decision.kind !== 'already-held') reclaimed += decision.reclaimed.length;

    if (decision.kind === 'full') {
      if (attempt >= retry.maxAttempts) {
        exhausted++;
        waiting--;
        continue;
      }
      retries++;
      maxRetriesPerExecution = Math.max(maxRetriesPerExecution, attempt + 1);
      queue.push(now + 1000 * retryDelaySeconds(retry, attempt, behaviour), 'retry', db, attempt + 1);
      continue;
    }
    if (decision.kind === 'already-held') {
      alreadyHeld++;
      startCopy(db, now);
      continue;
    }
    if (kind !== 'reinvoke' && behaviour() < lostResponseRate) {
      queue.push(now + REINVOKE_DELAY_MS, 'reinvoke', db);
      continue;
    }
    startCopy(db, now);
  }

  const totalCopyMs = copyFor.reduce((sum, ms) => sum + ms, 0);
  const lowerBoundMs = Math.max(
    Math.min(...readyAt) + totalCopyMs / limit,
    Math.max(...readyAt.map((ready, db) => ready + (copyFor[db] as number))),
  );

  return {
    makespanMs,
    lowerBoundMs,
    ratio: makespanMs / lowerBoundMs,
    quotaErrors,
    maxInProgress,
    retries,
    maxRetriesPerExecution,
    acquireCalls,
    copiesStarted,
    exhausted,
    abandoned,
    reclaimed,
    alreadyHeld,
    maxWaitMs,
    meanWaitMs: copiesStarted > 0 ? totalWaitMs / copiesStarted : 0,
    idleSlotMs,
    peakAcquiresPerSecond,
    finalLeases: state.leases.map((lease) => lease.holder),
  };
}
