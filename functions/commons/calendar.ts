/**
 * The local calendar of an IANA time zone, as `Intl` reads it: the zone's UTC offset at an instant, the local day an
 * instant falls on, and the instants a local wall-clock time stands for. No SDK. Shared by the retention planner
 * (which day, week, month and year a recovery point belongs to) and the schedule check at synth (when a run fires).
 *
 * Local days are numbered like epoch days: day 0 is 1970-01-01 on the zone's calendar. A wall-clock time is written
 * as the epoch milliseconds it would be in UTC (`Date.UTC(2026, 2, 29, 2, 30)` is 02:30 on 29 March, in any zone).
 */

export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;

export interface ZoneCalendar {
  readonly timeZone: string;
  /** Local wall clock minus UTC at `instant`, in ms. */
  offsetMs(instant: number): number;
  /** The local day `instant` falls on. */
  localDay(instant: number): number;
  /** The instants at which the local clock shows `wall`, earliest first: none in a gap the clocks skip, two in an hour that happens twice. */
  instantsAt(wall: number): number[];
  /** The first clock change in [from, to), with the offsets either side of it; undefined when there is none. */
  changeBetween(from: number, to: number): ClockChange | undefined;
}

export interface ClockChange {
  /** First instant with the new offset. */
  readonly at: number;
  readonly before: number;
  readonly after: number;
}

/** Year, month (1-12), day of month and weekday (0 = Sunday … 6 = Saturday) of a local day. */
export function civilDate(day: number): { year: number; month: number; day: number; weekday: number } {
  const date = new Date(day * DAY_MS);
  return {
    year: date.getUTCFullYear(),
    month: date.getUTCMonth() + 1,
    day: date.getUTCDate(),
    weekday: date.getUTCDay(),
  };
}

/** The local day of the Monday that starts the ISO week holding `day`. */
export function mondayOf(day: number): number {
  return day - ((((day + 3) % 7) + 7) % 7); // 1970-01-01 was a Thursday
}

/** Epoch ms of a proleptic Gregorian date-time in UTC; unlike `Date.UTC`, years 0-99 are not read as 1900-1999. */
export function utcTime(year: number, month: number, day: number, hour = 0, minute = 0, second = 0, ms = 0): number {
  // 400 Gregorian years are exactly 146 097 days, so shifting by them changes nothing but Date.UTC's two-digit rule.
  return Date.UTC(year + 400, month - 1, day, hour, minute, second, ms) - 146_097 * DAY_MS;
}

// Own parser: Date.parse is slower, reads zone-less strings as host-local time and rolls 2023-02-30 into March.
/** YYYY-MM-DDTHH:MM[:SS[.fff…]](Z|±HH:MM|±HHMM) to epoch ms, or NaN. */
export function parseInstant(s: string): number {
  const len = s.length;
  if (len < 17 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(13) !== 58) return Number.NaN;
  const sep = s.charCodeAt(10);
  if (sep !== 84 && sep !== 116 && sep !== 32) return Number.NaN; // 'T', 't', ' '
  const year = twoDigits(s, 0) * 100 + twoDigits(s, 2);
  const month = twoDigits(s, 5);
  const day = twoDigits(s, 8);
  const hour = twoDigits(s, 11);
  const minute = twoDigits(s, 14);
  let pos = 16;
  let second = 0;
  let ms = 0;
  if (s.charCodeAt(pos) === 58) {
    second = twoDigits(s, pos + 1);
    pos += 3;
    if (s.charCodeAt(pos) === 46 || s.charCodeAt(pos) === 44) {
      const from = ++pos;
      for (let scale = 100; pos < len && isDigit(s.charCodeAt(pos)); pos++) {
        ms += (s.charCodeAt(pos) - 48) * scale;
        scale = Math.floor(scale / 10); // digits past milliseconds truncate, as Date.parse does
      }
      if (pos === from) return Number.NaN;
    }
  }
  let offsetMinutes = 0;
  const zone = s.charCodeAt(pos);
  if (zone === 43 || zone === 45) {
    const colon = s.charCodeAt(pos + 3) === 58 ? 1 : 0;
    if (pos + 5 + colon !== len) return Number.NaN;
    const h = twoDigits(s, pos + 1);
    const m = twoDigits(s, pos + 3 + colon);
    if (h > 23 || m > 59) return Number.NaN;
    offsetMinutes = (zone === 45 ? -1 : 1) * (h * 60 + m);
  } else if ((zone !== 90 && zone !== 122) || pos + 1 !== len) {
    return Number.NaN; // neither 'Z' nor 'z' at the end
  }
  // NaN from a non-digit fails each comparison, so it lands here too.
  if (!(month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month))) return Number.NaN;
  if (!(hour <= 23 && minute <= 59 && second <= 59)) return Number.NaN;
  return utcTime(year, month, day, hour, minute - offsetMinutes, second, ms);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Two ASCII digits at `from` as a number; NaN if either is not a digit. */
function twoDigits(s: string, from: number): number {
  const tens = s.charCodeAt(from) - 48;
  const ones = s.charCodeAt(from + 1) - 48;
  return tens >= 0 && tens <= 9 && ones >= 0 && ones <= 9 ? tens * 10 + ones : Number.NaN;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

interface DayOffsets {
  readonly before: number;
  readonly after: number;
  /** First instant (ms) with offset `after`; Infinity when the offset does not change that UTC day. */
  readonly switchAt: number;
}

const OFFSET = /^GMT(?:([+-])(\d\d):(\d\d)(?::(\d\d))?)?$/;
// Per zone, across calls: a warm Lambda asks Intl once per UTC day it has seen.
const calendars = new Map<string, ZoneCalendar>();

/** The calendar of an IANA zone; throws a RangeError naming the zone when Intl does not know it. */
export function zoneCalendar(timeZone: string): ZoneCalendar {
  const cached = calendars.get(timeZone);
  if (cached) return cached;
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' });
  } catch {
    throw new RangeError(`'${timeZone}' is not an IANA time zone such as Europe/Berlin`);
  }
  const calendar = createCalendar(timeZone, format);
  calendars.set(timeZone, calendar);
  return calendar;
}

// Intl costs microseconds a call: ask it at UTC midnights only, and search the minute of a change on days they
// differ. Assumes at most one offset change per UTC day, which holds for every tzdb zone this century.
function createCalendar(timeZone: string, format: Intl.DateTimeFormat): ZoneCalendar {
  const atMidnight = new Map<number, number>();
  const byDay = new Map<number, DayOffsets>();
  let lastDay = Number.NaN;
  let last: DayOffsets = { before: 0, after: 0, switchAt: Infinity };

  const offsetAt = (time: number): number => {
    const name = format.formatToParts(time).find((part) => part.type === 'timeZoneName')?.value ?? '';
    const [, sign, hours, minutes, seconds] = OFFSET.exec(name) ?? [];
    if (sign === undefined) return 0; // "GMT": UTC itself
    const ms = (Number(hours) * 3600 + Number(minutes) * 60 + Number(seconds ?? 0)) * 1000;
    return sign === '-' ? -ms : ms;
  };
  const offsetAtMidnight = (utcDay: number): number => {
    let offset = atMidnight.get(utcDay);
    if (offset === undefined) {
      offset = offsetAt(utcDay * DAY_MS);
      atMidnight.set(utcDay, offset);
    }
    return offset;
  };
  const dayOffsets = (utcDay: number): DayOffsets => {
    let found = byDay.get(utcDay);
    if (found) return found;
    const before = offsetAtMidnight(utcDay);
    const after = offsetAtMidnight(utcDay + 1);
    if (before === after) found = { before, after, switchAt: Infinity };
    else {
      let lo = 0; // minutes after midnight known to have `before`
      let hi = 1440; // minutes after midnight known to have `after`
      while (hi - lo > 1) {
        const mid = (lo + hi) >>> 1;
        if (offsetAt(utcDay * DAY_MS + mid * MINUTE_MS) === before) lo = mid;
        else hi = mid;
      }
      found = { before, after, switchAt: utcDay * DAY_MS + hi * MINUTE_MS };
    }
    byDay.set(utcDay, found);
    return found;
  };
  const offsetMs = (time: number): number => {
    const utcDay = Math.floor(time / DAY_MS);
    if (utcDay !== lastDay) {
      last = dayOffsets(utcDay);
      lastDay = utcDay;
    }
    return time < last.switchAt ? last.before : last.after;
  };

  return {
    timeZone,
    offsetMs,
    localDay: (instant) => Math.floor((instant + offsetMs(instant)) / DAY_MS),
    instantsAt(wall) {
      // No zone changes its offset twice within two days, nor by a day or more.
      const before = offsetMs(wall - DAY_MS);
      const after = offsetMs(wall + DAY_MS);
      if (before === after) return [wall - before];
      return [wall - before, wall - after]
        .filter((utc) => utc + offsetMs(utc) === wall)
        .sort((a, b) => a - b)
        .filter((utc, i, all) => i === 0 || utc !== all[i - 1]);
    },
    changeBetween(from, to) {
      for (let utcDay = Math.floor(from / DAY_MS); utcDay * DAY_MS < to; utcDay++) {
        const { before, after, switchAt } = dayOffsets(utcDay);
        if (switchAt >= from && switchAt < to) return { at: switchAt, before, after };
      }
      return undefined;
    },
  };
}

/**
 * An instant as a person reads it in `timeZone`, the zone always shown: "2026-11-22 11:05:00 Europe/Berlin
 * (UTC+01:00)", or "2026-11-22 10:05:00 UTC". Seconds, no milliseconds; the input's own text when it is not a time.
 */
export function readableTime(iso: string, timeZone: string): string {
  const instant = Date.parse(iso);
  if (Number.isNaN(instant)) return iso;
  const offset = timeZone === 'UTC' ? 0 : zoneCalendar(timeZone).offsetMs(instant);
  const local = new Date(instant + offset).toISOString();
  const wall = `${local.slice(0, 10)} ${local.slice(11, 19)}`;
  if (timeZone === 'UTC') return `${wall} UTC`;
  const minutes = Math.round(Math.abs(offset) / MINUTE_MS);
  const hhmm = `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
  return `${wall} ${timeZone} (UTC${offset < 0 ? '-' : '+'}${hhmm})`;
}
