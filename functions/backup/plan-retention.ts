/**
 * The grandfather-father-son retention rule: which recovery points to keep (every verified point of the last
 * `keepAllForSeconds`, if set; the newest verified point of each of the newest daily, weekly, monthly and yearly
 * buckets; and never the last good copy) and which to delete. The buckets are
 * local days, ISO weeks, months and years in the policy's zone, from ../commons/calendar. No SDK here.
 */
import { civilDate, mondayOf, parseInstant, type ZoneCalendar, zoneCalendar } from '../commons/calendar';

export interface RetentionPolicy {
  /** Newest point of each of the last `daily` days that have points. >= 1 */
  readonly daily: number;
  /** Newest point of each of the last `weekly` ISO weeks (Monday start) that have points. >= 0 */
  readonly weekly: number;
  /** Newest point of each of the last `monthly` calendar months that have points. >= 0 */
  readonly monthly: number;
  /** Newest point of each of the last `yearly` calendar years that have points. >= 0 */
  readonly yearly: number;
  /**
   * Sub-daily retention: every verified point taken within this many seconds before the newest verified point is
   * kept (e.g. 6-hourly backups kept 7 days: 604800). Counted back from the newest verified point, not from now, so
   * points never age out while backups are not being made. @default - none (GFS only)
   */
  readonly keepAllForSeconds?: number;
  /** IANA time zone the calendar buckets are computed in, e.g. 'Europe/Berlin'. @default 'UTC' */
  readonly timeZone?: string;
}

export interface RecoveryPoint {
  readonly id: string;
  /** ISO-8601 instant with a zone designator, e.g. '2026-03-29T01:30:00.000Z' or '2026-03-29T03:30:00+02:00'. */
  readonly createdAt: string;
  /** Tagged as made by Lifeline. Untagged points are never deleted. */
  readonly managed: boolean;
  /** 'available' or anything else; only available points count as recovery points. */
  readonly status: string;
  /** The point is usable and verified (for a DR copy: verified copy; for a source: the snapshot itself is fine). */
  readonly verified: boolean;
  /** For snapshots in the source region: whether their DR copy is verified. undefined = not applicable (e.g. we are pruning the DR region). */
  readonly copyVerified?: boolean;
}

export type KeepReason =
  | 'recent'
  | 'daily'
  | 'weekly'
  | 'monthly'
  | 'yearly'
  | 'newest-verified'
  | 'newer-than-verified'
  | 'not-managed'
  | 'not-available'
  | 'copy-not-verified';

export interface RetentionPlan {
  /** Sorted oldest first; reasons in a fixed order: guards first, then newest-verified, then recent, daily..yearly. */
  readonly keep: ReadonlyArray<{ readonly id: string; readonly reasons: readonly KeepReason[] }>;
  /** Sorted oldest first; only managed, available points, none newer than the newest verified point. */
  readonly delete: ReadonlyArray<{ readonly id: string; readonly createdAt: string }>;
}

const DAILY = 1;
const WEEKLY = 2;
const MONTHLY = 4;
const YEARLY = 8;
const RECENT = 16;
const NOT_MANAGED = 1;
const NOT_AVAILABLE = 2;
const COPY_NOT_VERIFIED = 4;
const GUARDS = NOT_MANAGED | NOT_AVAILABLE | COPY_NOT_VERIFIED;
/** Available and verified: may satisfy a retention bucket. */
const VERIFIED = 8;

/** Keep (with every reason that applies) or delete each point; throws on bad policy, zone, createdAt or repeated id. */
export function planRetention(points: readonly RecoveryPoint[], policy: RetentionPolicy): RetentionPlan {
  validatePolicy(policy);
  const calendar = policyCalendar(policy.timeZone ?? 'UTC');
  const n = points.length;
  // One pass in input order reads every point; later passes run in time order and touch only typed arrays.
  const times = new Float64Array(n);
  const traits = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const point = points[i] as RecoveryPoint;
    const time = parseInstant(point.createdAt);
    if (Number.isNaN(time)) {
      throw new Error(`Recovery point ${point.id} has createdAt '${point.createdAt}', not an ISO-8601 instant`);
    }
    times[i] = time;
    const available = point.status === 'available';
    traits[i] =
      (point.managed ? 0 : NOT_MANAGED) |
      (available ? 0 : NOT_AVAILABLE) |
      (point.copyVerified === false ? COPY_NOT_VERIFIED : 0) |
      (available && point.verified ? VERIFIED : 0);
  }
  const order = sortByTimeThenId(points, times);

  const { retained, newestVerified } = selectBuckets(order, times, traits, calendar, policy);
  // With no verified point yet every point is pending, so nothing is deleted before the first verification.
  const newestVerifiedTime = newestVerified >= 0 ? (times[order[newestVerified] as number] as number) : -Infinity;
  if (policy.keepAllForSeconds !== undefined && newestVerified >= 0)
    markRecent(order, times, traits, newestVerified, newestVerifiedTime - policy.keepAllForSeconds * 1000, retained);

  const keep: { id: string; reasons: KeepReason[] }[] = [];
  const remove: { id: string; createdAt: string }[] = [];
  for (let k = 0; k < n; k++) {
    const i = order[k] as number;
    const point = points[i] as RecoveryPoint;
    const trait = traits[i] as number;
    const flags = retained[k] as number;
    const newest = k === newestVerified;
    // An unverified point at or after the newest verified one may be about to become the newest verified.
    const pending = !newest && !(trait & VERIFIED) && (times[i] as number) >= newestVerifiedTime;
    if ((trait & GUARDS) === 0 && flags === 0 && !newest && !pending) {
      remove.push({ id: point.id, createdAt: point.createdAt });
      continue;
    }
    const reasons: KeepReason[] = [];
    if (trait & NOT_MANAGED) reasons.push('not-managed');
    if (trait & NOT_AVAILABLE) reasons.push('not-available');
    if (trait & COPY_NOT_VERIFIED) reasons.push('copy-not-verified');
    if (newest) reasons.push('newest-verified');
    if (pending) reasons.push('newer-than-verified');
    if (flags & RECENT) reasons.push('recent');
    if (flags & DAILY) reasons.push('daily');
    if (flags & WEEKLY) reasons.push('weekly');
    if (flags & MONTHLY) reasons.push('monthly');
    if (flags & YEARLY) reasons.push('yearly');
    keep.push({ id: point.id, reasons });
  }
  return { keep, delete: remove };
}

function policyCalendar(timeZone: string): ZoneCalendar {
  try {
    return zoneCalendar(timeZone);
  } catch {
    throw new RangeError(`Retention policy timeZone '${timeZone}' is not a valid IANA time zone`);
  }
}

function validatePolicy(policy: RetentionPolicy): void {
  const counts = [
    ['daily', policy.daily, 1],
    ['weekly', policy.weekly, 0],
    ['monthly', policy.monthly, 0],
    ['yearly', policy.yearly, 0],
  ] as const;
  for (const [name, value, min] of counts) {
    if (!Number.isSafeInteger(value) || value < min) {
      throw new RangeError(`Retention policy ${name} must be an integer >= ${min}, got ${value}`);
    }
  }
  const window = policy.keepAllForSeconds;
  if (window !== undefined && !(Number.isSafeInteger(window) && window > 0))
    throw new RangeError(`Retention policy keepAllForSeconds must be a whole number of seconds > 0, got ${window}`);
}

/** Every verified point from `since` (ms) up to the newest verified one, walking back from it in time order. */
function markRecent(
  order: Uint32Array,
  times: Float64Array,
  traits: Uint8Array,
  newestVerified: number,
  since: number,
  retained: Uint8Array,
): void {
  for (let k = newestVerified; k >= 0; k--) {
    const i = order[k] as number;
    if ((times[i] as number) < since) break;
    if ((traits[i] as number) & VERIFIED) retained[k] = (retained[k] as number) | RECENT;
  }
}

/** One newest-first pass: GFS bits per sorted position, and the sorted position of the newest verified point or -1. */
function selectBuckets(
  order: Uint32Array,
  times: Float64Array,
  traits: Uint8Array,
  calendar: ZoneCalendar,
  policy: RetentionPolicy,
): { retained: Uint8Array; newestVerified: number } {
  // Per class: bucket key -> sorted position of its newest verified point.
  const days = new Map<number, number>();
  const weeks = new Map<number, number>();
  const months = new Map<number, number>();
  const years = new Map<number, number>();
  let newestVerified = -1;
  let lastDay = Number.NaN;
  for (let k = order.length - 1; k >= 0; k--) {
    const i = order[k] as number;
    if (!((traits[i] as number) & VERIFIED)) continue;
    if (newestVerified < 0) newestVerified = k;
    const time = times[i] as number;
    const day = calendar.localDay(time);
    // A newer point of the same day is also newer in that day's week, month and year.
    if (day === lastDay) continue;
    lastDay = day;
    const { year, month } = civilDate(day);
    setIfAbsent(days, day, k);
    setIfAbsent(weeks, mondayOf(day), k);
    setIfAbsent(months, year * 12 + month - 1, k);
    setIfAbsent(years, year, k);
  }
  const retained = new Uint8Array(order.length);
  markNewestBuckets(days, policy.daily, DAILY, retained);
  markNewestBuckets(weeks, policy.weekly, WEEKLY, retained);
  markNewestBuckets(months, policy.monthly, MONTHLY, retained);
  markNewestBuckets(years, policy.yearly, YEARLY, retained);
  return { retained, newestVerified };
}

function setIfAbsent(map: Map<number, number>, key: number, value: number): void {
  if (!map.has(key)) map.set(key, value);
}

function markNewestBuckets(newestOf: Map<number, number>, count: number, flag: number, retained: Uint8Array): void {
  // Ordered by calendar key, not by time: local dates can step back when clocks fall back across midnight.
  const newestKeys = [...newestOf.keys()].sort((a, b) => b - a).slice(0, count);
  for (const key of newestKeys) {
    const k = newestOf.get(key) as number;
    retained[k] = (retained[k] as number) | flag;
  }
}

/** Indices of `points` ordered by time, then id (UTF-16 code units), so the plan ignores input order. */
function sortByTimeThenId(points: readonly RecoveryPoint[], times: Float64Array): Uint32Array {
  const sorted = presorted(points, times);
  if (sorted) return sorted;
  const n = times.length;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const t = times[i] as number;
    if (t < min) min = t;
    if (t > max) max = t;
  }
  // LSD radix sort, 16 bits per pass, on ms since the oldest point: a comparator sort of 100k points costs ~50 ms.
  let src = new Uint32Array(n);
  let dst = new Uint32Array(n);
  for (let i = 0; i < n; i++) src[i] = i;
  const digits = new Uint16Array(n);
  const counts = new Uint32Array(1 << 16);
  const range = max - min;
  for (let pass = 0; pass < 4 && range >= 2 ** (16 * pass); pass++) {
    radixDigits(times, min, pass, digits);
    radixScatter(src, dst, digits, counts);
    [src, dst] = [dst, src];
  }
  for (let start = 0; start < n; ) {
    let end = start + 1;
    while (end < n && times[src[end] as number] === times[src[start] as number]) end++;
    if (end - start > 1) sortTiesById(points, src, start, end);
    start = end;
  }
  return src;
}

/** The order when the input is already sorted either way, as listings usually are; otherwise undefined. */
function presorted(points: readonly RecoveryPoint[], times: Float64Array): Uint32Array | undefined {
  const n = times.length;
  let ascending = true;
  let descending = true;
  for (let i = 1; i < n && (ascending || descending); i++) {
    const before = times[i - 1] as number;
    const after = times[i] as number;
    if (before !== after) {
      if (before > after) ascending = false;
      else descending = false;
      continue;
    }
    const x = (points[i - 1] as RecoveryPoint).id;
    const y = (points[i] as RecoveryPoint).id;
    // Equal ids fail both, so the tie sort below reports the repeated point.
    if (!(x < y)) ascending = false;
    if (!(x > y)) descending = false;
  }
  if (!ascending && !descending) return undefined;
  const order = new Uint32Array(n);
  for (let k = 0; k < n; k++) order[k] = ascending ? k : n - 1 - k;
  return order;
}

// Small per-pass functions: V8 optimizes each once and reuses it, where one big loop nest re-enters OSR per pass.
/** 16-bit digit `pass` of each point's ms since `min`; bitwise operators take integers modulo 2^32. */
function radixDigits(times: Float64Array, min: number, pass: number, digits: Uint16Array): void {
  const divisor = pass < 2 ? 1 : 2 ** 32;
  const shift = (pass & 1) * 16;
  for (let i = 0; i < times.length; i++) {
    digits[i] = (Math.floor(((times[i] as number) - min) / divisor) >>> shift) & 0xffff;
  }
}

/** Stable counting sort of `src` by digit into `dst`. */
function radixScatter(src: Uint32Array, dst: Uint32Array, digits: Uint16Array, counts: Uint32Array): void {
  counts.fill(0);
  for (let i = 0; i < digits.length; i++) {
    const digit = digits[i] as number;
    counts[digit] = (counts[digit] as number) + 1;
  }
  let sum = 0;
  for (let d = 0; d < counts.length; d++) {
    const c = counts[d] as number;
    counts[d] = sum;
    sum += c;
  }
  for (let j = 0; j < src.length; j++) {
    const index = src[j] as number;
    const digit = digits[index] as number;
    dst[counts[digit] as number] = index;
    counts[digit] = (counts[digit] as number) + 1;
  }
}

function sortTiesById(points: readonly RecoveryPoint[], order: Uint32Array, start: number, end: number): void {
  const idOf = (i: number) => (points[i] as RecoveryPoint).id;
  const tie = Array.from(order.subarray(start, end)).sort((a, b) => {
    const x = idOf(a);
    const y = idOf(b);
    return x < y ? -1 : x > y ? 1 : 0;
  });
  for (let j = 0; j < tie.length; j++) {
    const i = tie[j] as number;
    // A point listed twice (e.g. overlapping pages) could land in keep and delete at once.
    if (j > 0 && idOf(tie[j - 1] as number) === idOf(i)) throw new Error(`Recovery point ${idOf(i)} is listed twice`);
    order[start + j] = i;
  }
}
