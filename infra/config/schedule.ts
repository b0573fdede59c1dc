/**
 * EventBridge Scheduler expressions as written in the config: `rate(1 hour)`, `rate(15 minutes)`,
 * `cron(0 2 * * ? *)`. Lifeline reads them for two things: to hand them to the scheduler, and to know the
 * longest gap between two runs, which bounds the RPO a schedule can deliver.
 */
export interface ParsedSchedule {
  readonly expression: string;
  /** Longest time between two consecutive runs, in seconds. */
  readonly maxIntervalSeconds: number;
}

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

/** Returns the parsed schedule, or a sentence saying what is wrong with it. */
export function parseSchedule(expression: string): ParsedSchedule | string {
  const rate = RATE.exec(expression);
  if (rate) {
    const amount = Number(rate[1]);
    if (amount < 1) return 'a rate must be at least 1';
    const singular = amount === 1;
    if (singular !== !(rate[2] as string).endsWith('s'))
      return `write "${amount} ${singular ? 'minute/hour/day' : 'minutes/hours/days'}"`;
    return { expression, maxIntervalSeconds: amount * (RATE_UNIT[rate[2] as string] as number) };
  }
  const cron = CRON.exec(expression);
  if (!cron)
    return 'expected rate(<n> <minutes|hours|days>) or cron(<min> <hour> <day-of-month> <month> <day-of-week> <year>)';
  const fields = (cron[1] as string).trim().split(/\s+/);
  if (fields.length !== 6)
    return `a cron expression has 6 fields (min hour day-of-month month day-of-week year), got ${fields.length}`;
  const [minF, hourF, domF, monthF, dowF, yearF] = fields as [string, string, string, string, string, string];
  if ((domF === '?') === (dowF === '?')) return 'exactly one of day-of-month and day-of-week must be "?"';
  try {
    const minutes = expand(minF, 0, 59);
    const hours = expand(hourF, 0, 23);
    const doms = domF === '?' ? undefined : expand(domF, 1, 31);
    const months = expand(monthF, 1, 12, MONTHS, 1);
    const dows = dowF === '?' ? undefined : expand(dowF, 1, 7, WEEKDAYS, 1);
    const years = expand(yearF, 1970, 2199);
    const gap = longestGap(minutes, hours, doms, months, dows, years);
    if (gap === undefined) return 'the expression fires fewer than twice in the next two years';
    return { expression, maxIntervalSeconds: gap };
  } catch (error) {
    return (error as Error).message;
  }
}

function expand(field: string, min: number, max: number, names: string[] = [], nameBase = 0): Set<number> {
  const values = new Set<number>();
  const value = (token: string): number => {
    const named = names.indexOf(token.toUpperCase());
    const n = named >= 0 ? named + nameBase : Number(token);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`"${token}" is not in ${min}-${max}`);
    return n;
  };
  for (const part of field.split(',')) {
    const [range, stepText] = part.split('/') as [string, string | undefined];
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new Error(`"${part}" has a bad step`);
    let [from, to] = [min, max];
    if (range !== '*' && range !== '?') {
      const [a, b] = range.split('-') as [string, string | undefined];
      from = value(a);
      to = b === undefined ? (stepText === undefined ? from : max) : value(b);
    }
    for (let n = from; n <= to; n += step) values.add(n);
  }
  return values;
}

/** Longest gap between firings over the next two years, walking days and then minutes of matching days. */
function longestGap(
  minutes: Set<number>,
  hours: Set<number>,
  doms: Set<number> | undefined,
  months: Set<number>,
  dows: Set<number> | undefined,
  years: Set<number>,
): number | undefined {
  const minutesOfDay = [...hours].flatMap((h) => [...minutes].map((m) => h * 60 + m)).sort((a, b) => a - b);
  const start = Date.UTC(new Date().getUTCFullYear(), 0, 1);
  let previous: number | undefined;
  let longest = 0;
  for (let day = 0; day < 731; day++) {
    const date = new Date(start + day * 86_400_000);
    const matches =
      years.has(date.getUTCFullYear()) &&
      months.has(date.getUTCMonth() + 1) &&
      (doms ? doms.has(date.getUTCDate()) : true) &&
      (dows ? dows.has(date.getUTCDay() + 1) : true);
    if (!matches) continue;
    for (const minute of minutesOfDay) {
      const at = (start + day * 86_400_000) / 1000 + minute * 60;
      if (previous !== undefined) longest = Math.max(longest, at - previous);
      previous = at;
    }
  }
  return longest === 0 ? undefined : longest;
}
