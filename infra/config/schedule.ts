/**
 * EventBridge Scheduler expressions as written in the config: `rate(1 hour)`, `rate(15 minutes)`,
 * `cron(0 2 * * ? *)`, `cron(0 18 L * ? *)`, `cron(0 9 ? * 2#1 *)`. Lifeline reads them for three things: to hand
 * them to the scheduler, to know the longest gap between two runs (which bounds the RPO a schedule can deliver),
 * and to find runs that daylight saving time skips or makes ambiguous.
 *
 * Cron follows AWS's rules (EventBridge cron expressions reference), not Unix cron: six fields
 * `min hour day-of-month month day-of-week year`; day-of-week 1-7 is SUN-SAT; exactly one of the day fields is `?`;
 * `L` and `nW` in day-of-month; `L`, `nL` and a single `n#k` in day-of-week; no `/` in day-of-week.
 *
 * Which days and minutes match is croner's work (Quartz weekday numbering, its `L`, `W` and `#`, a year field); the
 * checks below refuse what croner accepts and AWS does not. Croner reads the expression on the wall clock only: its
 * own time-zone mode follows Vixie cron, which runs a time the clocks skip just after the gap, where EventBridge
 * Scheduler drops that run. So each local run time is turned into an instant by the zone's calendar (Intl): none in
 * a spring-forward gap (skipped), the first of two in the hour that happens twice (run once, as AWS does).
 */
import { Cron } from 'croner';
import { DAY_MS, MINUTE_MS, type ZoneCalendar, zoneCalendar } from '../../functions/commons/calendar';

export interface ParsedSchedule {
  readonly expression: string;
  /** Time zone the expression is evaluated in (IANA). */
  readonly timeZone: string;
  /** Longest time between two consecutive runs, in seconds of elapsed time, as the schedule fires in `timeZone`. */
  readonly maxIntervalSeconds: number;
  /** Where that longest gap is, as local times in `timeZone`: `2026-10-24 02:00 → 2026-10-25 02:00`. */
  readonly longestGap?: string;
  /** Local dates on which a run falls into time the clocks skip (spring forward): EventBridge Scheduler does not run it. */
  readonly skipped: readonly DstChange[];
  /** Local dates on which a run falls into time that happens twice (fall back): EventBridge Scheduler runs it once. */
  readonly repeated: readonly DstChange[];
  /** The whole years the runs were computed over: {@link EVALUATION_YEARS}, or from the first year a year field lists. */
  readonly evaluatedYears: { readonly first: number; readonly last: number };
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
 * every date; the time-zone rules are those of the Node.js running `cdk synth`. A cron whose year field starts
 * later is evaluated over eight years from the first year it lists.
 */
export const EVALUATION_YEARS = { first: 2026, last: 2033 } as const;
const SPAN_YEARS = EVALUATION_YEARS.last - EVALUATION_YEARS.first + 1;

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
const MONTH = '(?:JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)';
const WEEKDAY = '(?:SUN|MON|TUE|WED|THU|FRI|SAT)';
/** A list of values, ranges and steps (`,` `-` `*` `/`) of numbers or names, as AWS allows in a field. */
const listOf = (value: string, steps = true) =>
  new RegExp(
    `^(?:\\*|${value}(?:-${value})?)${steps ? '(?:/\\d+)?' : ''}(?:,(?:\\*|${value}(?:-${value})?)${steps ? '(?:/\\d+)?' : ''})*$`,
    'i',
  );
const FIELD_SYNTAX = {
  minutes: listOf('\\d+'),
  hours: listOf('\\d+'),
  'day-of-month': listOf('\\d+'),
  month: listOf(`(?:\\d+|${MONTH})`),
  'day-of-week': listOf(`(?:\\d+|${WEEKDAY})`, false),
  year: listOf('\\d+'),
} as const;
/** Croner's options for AWS's fields read on the wall clock: seconds prepended, a year field, 1-7 = SUN-SAT. */
const CRONER = { mode: '7-part', alternativeWeekdays: true, sloppyRanges: true, utcOffset: 0 } as const;

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
      evaluatedYears: EVALUATION_YEARS,
    };
  }
  const cron = CRON.exec(expression);
  if (!cron)
    return 'expected rate(<n> <minutes|hours|days>) or cron(<min> <hour> <day-of-month> <month> <day-of-week> <year>)';
  const patterns = cronerPatterns(cron[1] as string);
  if (typeof patterns === 'string') return patterns;
  let calendar: ZoneCalendar;
  try {
    calendar = zoneCalendar(timeZone);
  } catch {
    return `"${timeZone}" is not an IANA time zone such as Europe/Berlin`;
  }
  return evaluate(expression, calendar, patterns);
}

/** Croner patterns for the days and for the times of day an AWS cron runs at; or what is wrong with it. */
function cronerPatterns(body: string): { days: Cron; times: Cron } | string {
  const fields = body.trim().split(/\s+/);
  if (fields.length !== 6)
    return `a cron expression has 6 fields (min hour day-of-month month day-of-week year), got ${fields.length}`;
  const [minF, hourF, domF, monthF, dowF, yearF] = fields as [string, string, string, string, string, string];
  if ((domF === '?') === (dowF === '?')) return 'exactly one of day-of-month and day-of-week must be "?"';
  const problem =
    syntax(minF, 'minutes') ??
    syntax(hourF, 'hours') ??
    syntax(monthF, 'month') ??
    syntax(yearF, 'year') ??
    (domF === '?' ? undefined : dayOfMonthProblem(domF)) ??
    (dowF === '?' ? undefined : dayOfWeekProblem(dowF)) ??
    outOfRange(minF, 'minutes', 0, 59) ??
    outOfRange(hourF, 'hours', 0, 23) ??
    outOfRange(monthF, 'month', 1, 12) ??
    outOfRange(yearF, 'year', 1970, 2199) ??
    (dowF === '?' ? undefined : outOfRange(dowF.replace(/#\d+$/, ''), 'day-of-week', 1, 7));
  if (problem) return problem;
  // AWS's lone L in day-of-week is the last day of the week, Saturday; croner reads only nL there.
  const dow = dowF.toUpperCase() === 'L' ? '7' : dowF;
  try {
    return {
      days: new Cron(`0 0 0 ${domF} ${monthF} ${dow} ${yearF}`, CRONER),
      times: new Cron(`0 ${minF} ${hourF} * * ? *`, CRONER),
    };
  } catch (error) {
    return (error as Error).message.replace(/^CronPattern: /, '');
  }
}

function syntax(field: string, what: keyof typeof FIELD_SYNTAX): string | undefined {
  if (field === '?') return `"?" is only for day-of-month or day-of-week, not ${what}`;
  if (!FIELD_SYNTAX[what].test(field)) return `"${field}" is not a list of values, ranges and steps (${what})`;
  return backwards(field, what);
}

/** Croner refuses a backwards range too, but without naming the field. */
function backwards(field: string, what: string): string | undefined {
  for (const [, from, to] of field.matchAll(/(\d+)-(\d+)/g))
    if (Number(to) < Number(from)) return `"${from}-${to}" runs backwards; write it as two ranges (${what})`;
  return undefined;
}

/** A number in a field outside AWS's range. Croner allows years 1-9999, reads day-of-week 8 as Sunday, and names the others off by one. */
function outOfRange(field: string, what: string, min: number, max: number): string | undefined {
  const bad = field
    .split(/[,-]/)
    .map((part) => part.split('/')[0] as string)
    .find((value) => /^\d+$/.test(value) && (Number(value) < min || Number(value) > max));
  return bad === undefined ? undefined : `"${bad}" is not in ${min}-${max} (${what})`;
}

/** Day-of-month: numbers, ranges, steps, or alone `L` (last day) or `nW` (weekday nearest the n-th). */
function dayOfMonthProblem(field: string): string | undefined {
  if (field.toUpperCase() === 'L') return undefined;
  const weekday = /^(\d+)W$/i.exec(field);
  if (weekday) return outOfRange(weekday[1] as string, 'day-of-month', 1, 31);
  // Croner also takes L and W in lists (15W,L) and LW; AWS does not.
  if (/[LW]/i.test(field)) return `"${field}": in day-of-month, L and W stand alone (L, or a day and W such as 15W)`;
  return syntax(field, 'day-of-month') ?? outOfRange(field, 'day-of-month', 1, 31);
}

/** Day-of-week (1-7 or SUN-SAT): lists and ranges, or alone `L` (Saturday), `nL` (last n-day), `n#k` (k-th n-day). */
function dayOfWeekProblem(field: string): string | undefined {
  if (field.toUpperCase() === 'L' || /^[1-7]L$/i.test(field) || /^[1-7]#[1-5]$/.test(field)) return undefined;
  // Croner also takes lists of n#k (3#1,6#3), n#L and ranges with L; AWS allows one # alone.
  if (field.includes('#'))
    return `"${field}": # takes a weekday 1-7 and an instance 1-5 (3#2 is the second Tuesday), and only one`;
  if (/L/i.test(field.replace(new RegExp(WEEKDAY, 'gi'), '')))
    return `"${field}": in day-of-week, L stands alone (L, or a weekday and L such as 6L)`;
  if (field.includes('/')) return `"${field}": AWS allows no step (/) in day-of-week`;
  return syntax(field, 'day-of-week');
}

/**
 * Every run over the evaluation years, as the schedule fires in its zone: the local days croner finds, each at the
 * local times croner finds, turned into instants by the zone's calendar. Gaps are elapsed time between those.
 */
function evaluate(
  expression: string,
  calendar: ZoneCalendar,
  patterns: { days: Cron; times: Cron },
): ParsedSchedule | string {
  // Wall-clock times of one day, as minutes after midnight (croner runs on the UTC clock here, a stand-in for local).
  const reference = Date.UTC(2000, 0, 1);
  const minutesOfDay = patterns.times
    .nextRuns(1440, new Date(reference - 1000))
    .map((run) => (run.getTime() - reference) / MINUTE_MS)
    .filter((minute) => minute < 1440);
  const skipped: DstChange[] = [];
  const repeated: DstChange[] = [];
  let previous: number | undefined;
  let longest = 0;
  let longestFrom = 0;
  let day = patterns.days.nextRun(new Date(Date.UTC(EVALUATION_YEARS.first, 0, 1) - 1000));
  const first = day?.getUTCFullYear() ?? EVALUATION_YEARS.first;
  const evaluatedYears = { first, last: first + SPAN_YEARS - 1 };
  const end = Date.UTC(evaluatedYears.last + 1, 0, 1);
  for (; day && day.getTime() < end; day = patterns.days.nextRun(day)) {
    const midnight = day.getTime();
    let change: 'skipped' | 'repeated' | undefined;
    for (const minute of minutesOfDay) {
      const wall = midnight + minute * MINUTE_MS;
      const instants = calendar.instantsAt(wall);
      // A time that does not exist is skipped; a time that happens twice runs once, at the first.
      if (instants.length !== 1) change ??= instants.length === 0 ? 'skipped' : 'repeated';
      const at = instants[0];
      if (at === undefined) continue;
      if (previous !== undefined && at - previous > longest) {
        longest = at - previous;
        longestFrom = previous;
      }
      previous = at;
    }
    if (change) {
      const clocks = clockChange(calendar, midnight);
      if (clocks) (change === 'skipped' ? skipped : repeated).push(clocks);
    }
  }
  if (longest === 0)
    return `the expression runs fewer than twice in ${evaluatedYears.first}-${evaluatedYears.last}, the years Lifeline checks schedules against`;
  const local = (utc: number) => new Date(utc + calendar.offsetMs(utc)).toISOString().slice(0, 16).replace('T', ' ');
  return {
    expression,
    timeZone: calendar.timeZone,
    maxIntervalSeconds: longest / 1000,
    longestGap: `${local(longestFrom)} → ${local(longestFrom + longest)}`,
    skipped,
    repeated,
    evaluatedYears,
  };
}

/** The clock change near a local day: the local date and wall times the clocks jump from and to. */
function clockChange(calendar: ZoneCalendar, midnight: number): DstChange | undefined {
  const change = calendar.changeBetween(midnight - 2 * DAY_MS, midnight + 2 * DAY_MS);
  if (!change) return undefined;
  const wall = (offset: number) => new Date(change.at + offset).toISOString();
  const to = wall(change.after);
  return { date: to.slice(0, 10), from: wall(change.before).slice(11, 16), to: to.slice(11, 16) };
}
