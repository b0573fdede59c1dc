/**
 * EventBridge Scheduler expressions as written in the config: `rate(1 hour)`, `rate(15 minutes)`,
 * `cron(0 2 * * ? *)`, `cron(0 18 L * ? *)`, `cron(0 9 ? * 2#1 *)`. Lifeline reads them for three things: to hand
 * them to the scheduler, to know the longest gap between two runs (which bounds the RPO a schedule can deliver),
 * and to find runs that daylight saving time skips or makes ambiguous.
 *
 * Cron follows AWS's rules (EventBridge cron expressions reference), not Unix cron: six fields
 * `min hour day-of-month month day-of-week year`; day-of-week 1-7 is SUN-SAT; exactly one of the day fields is `?`;
 * `L` and `nW` in day-of-month; `L`, `nL` and a single `n#k` in day-of-week; no `/` in day-of-week. Written by hand
 * rather than with a cron library: the Unix-cron libraries on the registry count weekdays from 0, have no year field
 * and move a run that daylight saving skips to the next valid minute, where EventBridge Scheduler drops it.
 */
export interface ParsedSchedule {
  readonly expression: string;
  /** Time zone the expression is evaluated in (IANA). */
  readonly timeZone: string;
  /** Longest time between two consecutive runs, in seconds, in `timeZone`, over {@link EVALUATION_YEARS}. */
  readonly maxIntervalSeconds: number;
  /** Where that longest gap is, as local times in `timeZone`: `2026-10-24 02:00 → 2026-10-25 02:00`. */
  readonly longestGap?: string;
  /** Local dates on which a run falls into time the clocks skip (spring forward): EventBridge Scheduler does not run it. */
  readonly skipped: readonly DstChange[];
  /** Local dates on which a run falls into time that happens twice (fall back): EventBridge Scheduler runs it once. */
  readonly repeated: readonly DstChange[];
}

/** One clock change that hits a run: the local date, and the local times the clocks jump from and to. */
export interface DstChange {
  readonly date: string;
  readonly from: string;
  readonly to: string;
}

/**
 * Gaps and clock changes are computed over these whole years, fixed so that validation gives the same answer on
 * every day it runs (not "the next two years from today"). Eight years hold two leap years and every weekday of
 * every date; the time-zone rules are those of the Node.js running `cdk synth`.
 */
export const EVALUATION_YEARS = { first: 2026, last: 2033 } as const;

const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const CRON = /^cron\((.+)\)$/;
const RATE_UNIT: Record<string, number> = {
  minute: 60,
  minutes: 60,
  hour: 3600,
  hours: 3600,
  day: 86_400,
  days: 86_400,
};
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const DAY_MS = 86_400_000;

/** A calendar day as the day fields see it. */
interface LocalDay {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  /** 1 = Sunday … 7 = Saturday, as AWS counts. */
  readonly weekday: number;
  readonly daysInMonth: number;
}

type DayMatcher = (d: LocalDay) => boolean;

interface CronFields {
  readonly minutesOfDay: number[];
  readonly months: Set<number>;
  readonly years: Set<number>;
  readonly day: DayMatcher;
}

const cache = new Map<string, ParsedSchedule | string>();

/** Returns the parsed schedule, or a sentence saying what is wrong with it. */
export function parseSchedule(expression: string, timeZone = 'UTC'): ParsedSchedule | string {
  const key = `${timeZone} ${expression}`;
  let result = cache.get(key);
  if (result === undefined) {
    result = parse(expression, timeZone);
    cache.set(key, result);
  }
  return result;
}

function parse(expression: string, timeZone: string): ParsedSchedule | string {
  const rate = RATE.exec(expression);
  if (rate) {
    const amount = Number(rate[1]);
    if (amount < 1) return 'a rate must be at least 1';
    const singular = amount === 1;
    if (singular !== !(rate[2] as string).endsWith('s'))
      return `write "${amount} ${singular ? 'minute/hour/day' : 'minutes/hours/days'}"`;
    // A rate counts elapsed time, whatever the zone: daylight saving does not move it.
    return {
      expression,
      timeZone,
      maxIntervalSeconds: amount * (RATE_UNIT[rate[2] as string] as number),
      skipped: [],
      repeated: [],
    };
  }
  const cron = CRON.exec(expression);
  if (!cron)
    return 'expected rate(<n> <minutes|hours|days>) or cron(<min> <hour> <day-of-month> <month> <day-of-week> <year>)';
  const fields = cronFields(cron[1] as string);
  if (typeof fields === 'string') return fields;
  return evaluate(expression, timeZone, fields);
}

/** The cron fields, checked as AWS checks them; or what is wrong. */
function cronFields(body: string): CronFields | string {
  const fields = body.trim().split(/\s+/);
  if (fields.length !== 6)
    return `a cron expression has 6 fields (min hour day-of-month month day-of-week year), got ${fields.length}`;
  const [minF, hourF, domF, monthF, dowF, yearF] = fields as [string, string, string, string, string, string];
  if ((domF === '?') === (dowF === '?')) return 'exactly one of day-of-month and day-of-week must be "?"';
  try {
    const minutes = expand(minF, 'minutes', 0, 59);
    const hours = expand(hourF, 'hours', 0, 23);
    const months = expand(monthF, 'month', 1, 12, MONTHS, 1);
    const years = expand(yearF, 'year', 1970, 2199);
    const day = domF === '?' ? dayOfWeek(dowF) : dayOfMonth(domF);
    const minutesOfDay = [...hours].flatMap((h) => [...minutes].map((m) => h * 60 + m)).sort((a, b) => a - b);
    return { minutesOfDay, months, years, day };
  } catch (error) {
    return (error as Error).message;
  }
}

/** Values of a list of numbers, names, ranges and steps (`,` `-` `*` `/`). */
function expand(
  field: string,
  what: string,
  min: number,
  max: number,
  names: readonly string[] = [],
  nameBase = 0,
): Set<number> {
  const values = new Set<number>();
  const value = (token: string): number => {
    const named = names.indexOf(token.toUpperCase());
    const n = named >= 0 ? named + nameBase : /^\d+$/.test(token) ? Number(token) : Number.NaN;
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`"${token}" is not in ${min}-${max} (${what})`);
    return n;
  };
  for (const part of field.split(',')) {
    const [range, stepText, extra] = part.split('/') as [string, string | undefined, string | undefined];
    if (extra !== undefined || range === '') throw new Error(`"${part}" is not a value, range or step (${what})`);
    const step = stepText === undefined ? 1 : /^\d+$/.test(stepText) ? Number(stepText) : Number.NaN;
    if (!Number.isInteger(step) || step < 1) throw new Error(`"${part}" has a bad step (${what})`);
    let [from, to] = [min, max];
    if (range !== '*') {
      const [a, b, more] = range.split('-') as [string, string | undefined, string | undefined];
      if (more !== undefined) throw new Error(`"${part}" is not a range (${what})`);
      from = value(a);
      to = b === undefined ? (stepText === undefined ? from : max) : value(b);
      if (to < from) throw new Error(`"${part}" runs backwards; write it as two ranges (${what})`);
    }
    for (let n = from; n <= to; n += step) values.add(n);
  }
  return values;
}

/** Day-of-month: numbers, ranges, steps, or alone `L` (last day) or `nW` (weekday nearest the n-th). */
function dayOfMonth(field: string): DayMatcher {
  if (field === 'L') return (d) => d.day === d.daysInMonth;
  const weekday = /^(\d+)W$/.exec(field);
  if (weekday) {
    const n = Number(weekday[1]);
    if (n < 1 || n > 31) throw new Error(`"${field}" is not in 1-31 (day-of-month)`);
    return (d) => n <= d.daysInMonth && d.day === nearestWeekday(n, d);
  }
  if (/[LW]/i.test(field))
    throw new Error(`"${field}": in day-of-month, L and W stand alone (L, or a day and W such as 15W)`);
  const days = expand(field, 'day-of-month', 1, 31);
  return (d) => days.has(d.day);
}

/** Day-of-week (1-7 or SUN-SAT): lists and ranges, or alone `L` (Saturday), `nL` (last n-day), `n#k` (k-th n-day). */
function dayOfWeek(field: string): DayMatcher {
  if (field === 'L') return (d) => d.weekday === 7;
  const last = /^([1-7])L$/.exec(field);
  if (last) {
    const n = Number(last[1]);
    return (d) => d.weekday === n && d.day + 7 > d.daysInMonth;
  }
  const nth = /^([1-7])#([1-5])$/.exec(field);
  if (nth) {
    const [n, k] = [Number(nth[1]), Number(nth[2])];
    return (d) => d.weekday === n && Math.ceil(d.day / 7) === k;
  }
  if (field.includes('#'))
    throw new Error(`"${field}": # takes a weekday 1-7 and an instance 1-5 (3#2 is the second Tuesday), and only one`);
  if (/L/i.test(field.replace(/SAT|SUN|MON|TUE|WED|THU|FRI/gi, '')))
    throw new Error(`"${field}": in day-of-week, L stands alone (L, or a weekday and L such as 6L)`);
  if (field.includes('/')) throw new Error(`"${field}": AWS allows no step (/) in day-of-week`);
  const days = expand(field, 'day-of-week', 1, 7, WEEKDAYS, 1);
  return (d) => days.has(d.weekday);
}

/** Day of the month of the weekday nearest the n-th, never leaving the month (Quartz's and AWS's `W`). */
function nearestWeekday(n: number, d: LocalDay): number {
  const weekday = new Date(Date.UTC(d.year, d.month - 1, n)).getUTCDay(); // 0 = Sunday
  if (weekday === 6) return n === 1 ? 3 : n - 1;
  if (weekday === 0) return n === d.daysInMonth ? n - 2 : n + 1;
  return n;
}

/** Walks every local day of the evaluation years and every run on it, in the schedule's zone. */
function evaluate(expression: string, timeZone: string, fields: CronFields): ParsedSchedule | string {
  let offset: (utc: number) => number;
  try {
    offset = offsetFinder(timeZone);
  } catch {
    return `"${timeZone}" is not an IANA time zone such as Europe/Berlin`;
  }
  const skipped: DstChange[] = [];
  const repeated: DstChange[] = [];
  let previous: number | undefined;
  let longest = 0;
  let longestFrom = 0;
  const start = Date.UTC(EVALUATION_YEARS.first, 0, 1);
  const end = Date.UTC(EVALUATION_YEARS.last + 1, 0, 1);
  for (let midnight = start; midnight < end; midnight += DAY_MS) {
    const date = new Date(midnight);
    const year = date.getUTCFullYear();
    const month = date.getUTCMonth() + 1;
    if (!fields.years.has(year) || !fields.months.has(month)) continue;
    const day: LocalDay = {
      year,
      month,
      day: date.getUTCDate(),
      weekday: date.getUTCDay() + 1,
      daysInMonth: new Date(Date.UTC(year, month, 0)).getUTCDate(),
    };
    if (!fields.day(day)) continue;
    // `midnight` is the local wall clock read as if it were UTC; the offsets a day either side tell whether the
    // clocks change near this day (no zone changes twice within three days).
    const before = offset(midnight - DAY_MS);
    const after = offset(midnight + 2 * DAY_MS);
    let change: DstChange | undefined;
    let hit = false;
    for (const minute of fields.minutesOfDay) {
      const wall = midnight + minute * 60_000;
      let at: number | undefined;
      if (before === after) at = wall - before;
      else {
        const valid = [wall - before, wall - after].filter((utc) => wall - offset(utc) === utc);
        if (valid.length !== 1) {
          hit = true;
          change ??= clockChange(midnight, before, after, offset);
        }
        // A time that does not exist is skipped; a time that happens twice runs once, taken here as the first.
        at = valid.length === 0 ? undefined : Math.min(...valid);
      }
      if (at === undefined) continue;
      if (previous !== undefined && at - previous > longest) {
        longest = at - previous;
        longestFrom = previous;
      }
      previous = at;
    }
    if (hit && change) (after > before ? skipped : repeated).push(change);
  }
  if (longest === 0)
    return `the expression runs fewer than twice in ${EVALUATION_YEARS.first}-${EVALUATION_YEARS.last}, the years Lifeline checks schedules against`;
  const local = (utc: number) => new Date(utc + offset(utc)).toISOString().slice(0, 16).replace('T', ' ');
  return {
    expression,
    timeZone,
    maxIntervalSeconds: longest / 1000,
    longestGap: `${local(longestFrom)} → ${local(longestFrom + longest)}`,
    skipped,
    repeated,
  };
}

/** The clock change near a local day: the local date and wall times the clocks jump from and to. */
function clockChange(
  midnight: number,
  before: number,
  after: number,
  offset: (utc: number) => number,
): DstChange | undefined {
  // Binary search, to the minute, for the first instant with the new offset.
  let [low, high] = [midnight - DAY_MS - before, midnight + 2 * DAY_MS - after];
  while (high - low > 60_000) {
    const mid = low + Math.floor((high - low) / 120_000) * 60_000;
    if (offset(mid) === before) low = mid;
    else high = mid;
  }
  const wall = (ms: number) => new Date(ms).toISOString();
  const to = wall(high + after);
  return { date: to.slice(0, 10), from: wall(high + before).slice(11, 16), to: to.slice(11, 16) };
}

/** The zone's UTC offset in milliseconds at an instant (local wall clock = utc + offset). */
function offsetFinder(timeZone: string): (utc: number) => number {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
  return (utc) => {
    const parts: Record<string, number> = {};
    for (const p of format.formatToParts(new Date(utc))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
    const wall = Date.UTC(
      parts.year as number,
      (parts.month as number) - 1,
      parts.day as number,
      parts.hour as number,
      parts.minute as number,
      parts.second as number,
    );
    return wall - Math.floor(utc / 1000) * 1000;
  };
}
