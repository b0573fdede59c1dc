import { afterEach, describe, expect, it, vi } from 'vitest';
import { validateConfig } from '../../infra/config/load';
import { type ParsedSchedule, parseSchedule } from '../../infra/config/schedule';
import { baseConfig, type Mutable, problemsOf } from '../fixtures/configs';

const parsed = (expression: string, timeZone = 'UTC'): ParsedSchedule => {
  const result = parseSchedule(expression, timeZone);
  if (typeof result === 'string') throw new Error(result);
  return result;
};
/** The local dates a longest gap runs between: `2026-01-16 02:00 → 2026-02-20 02:00` gives both days. */
const gapDays = (schedule: ParsedSchedule) =>
  (schedule.longestGap ?? '').split(' → ').map((local) => new Date(`${local.slice(0, 10)}T00:00:00Z`));

describe('schedules', () => {
  it.each([
    ['rate(1 hour)', 3600],
    ['rate(15 minutes)', 900],
    ['cron(0 2 * * ? *)', 86_400],
    ['cron(0 */4 * * ? *)', 4 * 3600],
    ['cron(30 1 ? * SUN *)', 7 * 86_400],
    ['cron(0 5 1 * ? *)', 31 * 86_400],
    ['cron(0 8,20 ? * MON-FRI *)', 60 * 3600],
    // AWS's L, W and #: last day of the month, weekday nearest the 15th, first Monday, last Friday, every Saturday.
    ['cron(0 18 L * ? *)', 31 * 86_400],
    ['cron(0 9 15W * ? *)', 32 * 86_400],
    ['cron(0 9 ? * 2#1 *)', 35 * 86_400],
    ['cron(0 9 ? * 6L *)', 35 * 86_400],
    ['cron(0 9 ? * L *)', 7 * 86_400],
  ])('%s runs at most %i s apart', (expression, seconds) => {
    expect(parseSchedule(expression)).toMatchObject({
      expression,
      maxIntervalSeconds: seconds,
      skipped: [],
      repeated: [],
    });
  });

  it.each([
    'rate(1 hours)',
    'cron(0 2 * *)',
    'every day',
    'cron(61 2 * * ? *)',
    'cron(0 2 ? * 1/2 *)',
    'cron(0 2 ? * 3#1,6#3 *)',
    'cron(0 2 ? * 3#6 *)',
    'cron(0 2 L-2 * ? *)',
    'cron(0 2 15W,L * ? *)',
    'cron(0 2 32W * ? *)',
    'cron(0 2 ? * ? *)',
    'cron(0 22-2 * * ? *)',
    'cron(0 2 * * ? 2019)',
    // What croner would read its own way: weekday 8 as Sunday, years past AWS's range, its L, W and # extensions,
    // ? outside the day fields, its AND modifier and nicknames.
    'cron(0 2 ? * 8 *)',
    'cron(0 2 ? * 0 *)',
    'cron(0 2 * * ? 2200)',
    'cron(0 2 * * ? 1969)',
    'cron(0 2 LW * ? *)',
    'cron(0 2 15,L * ? *)',
    'cron(0 2 ? * 2#L *)',
    'cron(0 2 ? * 1-3L *)',
    'cron(0 2 ? * +2 *)',
    'cron(0 ? * * ? *)',
    'cron(@daily)',
    'cron(0 2 1 * 2 *)',
  ])('rejects %s', (expression) => {
    expect(typeof parseSchedule(expression)).toBe('string');
  });

  it.each([
    'cron(0 2 ? * * *)',
    'cron(0 2 * * ? *)',
    'cron(0/15 * * * ? *)',
    'cron(0 9 ? JAN-MAR,OCT MON-FRI 2026-2030)',
  ])('accepts %s', (expression) => {
    expect(typeof parseSchedule(expression)).toBe('object');
  });

  it('accepts a config whose schedules use L, W and #', () => {
    const config = structuredClone(baseConfig()) as Mutable;
    config.databases[0].drill.schedule = 'cron(0 5 ? * 2#1 *)';
    config.databases[1].drill.schedule = 'cron(0 6 L * ? *)';
    expect(() => validateConfig(config)).not.toThrow();
  });

  it('measures gaps in the schedule zone: 25 h across the autumn change in Berlin, 23 h in spring', () => {
    const berlin = parseSchedule('cron(0 4 * * ? *)', 'Europe/Berlin');
    expect(berlin).toMatchObject({ maxIntervalSeconds: 25 * 3600, skipped: [], repeated: [] });
    expect(parseSchedule('cron(0 4 * * ? *)', 'UTC')).toMatchObject({ maxIntervalSeconds: 24 * 3600 });
  });

  it('finds the runs daylight saving skips and repeats, with their dates', () => {
    const spring = parseSchedule('cron(30 2 * * ? *)', 'Europe/Berlin');
    if (typeof spring === 'string') throw new Error(spring);
    expect(spring.skipped[0]).toEqual({ date: '2026-03-29', from: '02:00', to: '03:00' });
    expect(spring.repeated[0]).toEqual({ date: '2026-10-25', from: '03:00', to: '02:00' });
    // The skipped night leaves 47 h between two runs.
    expect(spring.maxIntervalSeconds).toBe(47 * 3600);
  });
});

describe('schedules with AWS L, W and #', () => {
  it('runs cron(0 3 L * ? *) on the last day of each month: 31 days apart, and an hour more across the autumn change', () => {
    expect(parsed('cron(0 3 L * ? *)').maxIntervalSeconds).toBe(31 * 86_400);
    const monthly = parsed('cron(0 3 L * ? *)', 'Europe/Berlin');

    expect(monthly.maxIntervalSeconds).toBe(31 * 86_400 + 3600);
    expect(monthly.longestGap).toBe('2026-09-30 03:00 → 2026-10-31 03:00');
    for (const day of gapDays(monthly)) {
      const tomorrow = new Date(day.getTime() + 86_400_000);
      expect(tomorrow.getUTCDate()).toBe(1);
    }
  });

  it('runs cron(0 2 ? * 6#3 *) on the third Friday (6 = FRI, as AWS counts), at most 35 days apart', () => {
    const third = parsed('cron(0 2 ? * 6#3 *)');

    expect(third.maxIntervalSeconds).toBe(35 * 86_400);
    for (const day of gapDays(third)) {
      expect(day.getUTCDay()).toBe(5);
      expect(day.getUTCDate()).toBeGreaterThanOrEqual(15);
      expect(day.getUTCDate()).toBeLessThanOrEqual(21);
    }
  });

  it('counts day-of-week from SUN = 1: cron(0 9 ? * 2 *) runs on Mondays, MON the same', () => {
    for (const expression of ['cron(0 9 ? * 2 *)', 'cron(0 9 ? * MON *)']) {
      const mondays = parsed(expression);

      expect(mondays.maxIntervalSeconds).toBe(7 * 86_400);
      expect(gapDays(mondays).map((day) => day.getUTCDay())).toEqual([1, 1]);
    }
  });

  it('runs cron(0 9 15W * ? *) on the weekday nearest the 15th, within the month', () => {
    const nearest = parsed('cron(0 9 15W * ? *)');

    for (const day of gapDays(nearest)) {
      expect([1, 2, 3, 4, 5]).toContain(day.getUTCDay());
      expect(Math.abs(day.getUTCDate() - 15)).toBeLessThanOrEqual(1);
    }
  });
});

describe('schedules in their time zone', () => {
  it('fails a 1d RPO for a Berlin nightly at 02:30: 25 h apart when the clocks go back', () => {
    const problems = problemsOf((c) => {
      c.databases[0].backup = { schedule: 'cron(30 4 * * ? *)', timeZone: 'Europe/Berlin' };
      c.databases[0].objectives.rpo = '1d';
    });

    expect(problems).toContain(
      'databases[0].objectives.rpo: is shorter than the 25h between backups of cron(30 4 * * ? *) in Europe/Berlin (2026-10-24 04:30 → 2026-10-25 04:30); snapshots alone cannot meet it: back up more often, raise the objective, or protect the database between snapshots (continuous: automated-backup-replication, read-replica or global-database), whose RPO is then measured and alarmed on instead, got "1d"',
    );
  });

  it('drops a Berlin run at 02:30 on the spring change, as EventBridge Scheduler does, and names the change', () => {
    const problems = problemsOf((c) => {
      c.databases[0].backup = { schedule: 'cron(30 2 * * ? *)', timeZone: 'Europe/Berlin' };
      c.databases[0].objectives.rpo = '1d';
    });

    expect(problems).toContainEqual(
      expect.stringMatching(
        /^databases\[0\]\.backup\.schedule: runs in Europe\/Berlin at a time that does not exist when the clocks go forward from 02:00 to 03:00 \(2026-03-29,/,
      ),
    );
    expect(problems).toContain(
      'databases[0].objectives.rpo: is shorter than the 47h between backups of cron(30 2 * * ? *) in Europe/Berlin (2026-03-28 02:30 → 2026-03-30 02:30); snapshots alone cannot meet it: back up more often, raise the objective, or protect the database between snapshots (continuous: automated-backup-replication, read-replica or global-database), whose RPO is then measured and alarmed on instead, got "1d"',
    );
  });

  it('evaluates a cron with a later year field over the years it lists, and names them', () => {
    const later = parsed('cron(30 2 * * ? 2040-2045)', 'Europe/Berlin');

    expect(later.evaluatedYears).toEqual({ first: 2040, last: 2047 });
    expect(later.skipped[0]?.date).toBe('2040-03-25');
    expect(later.skipped).toHaveLength(6);
  });
});

describe('schedule results do not depend on today', () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.resetModules();
  });
  const EXPRESSIONS: Array<[string, string]> = [
    ['cron(0 3 L * ? *)', 'Europe/Berlin'],
    ['cron(0 2 ? * 6#3 *)', 'UTC'],
    ['cron(30 2 * * ? *)', 'Europe/Berlin'],
    ['cron(0 3 * * ? 2027-2029)', 'UTC'],
    ['cron(0/15 * ? * MON-FRI *)', 'America/New_York'],
  ];

  it.each(['2099-06-01T00:00:00Z', '2031-10-26T01:30:00Z', '1999-12-31T23:59:59Z'])(
    'gives the same answers with the clock at %s',
    async (now) => {
      // A fresh module each time, so nothing comes from parseSchedule's cache.
      vi.resetModules();
      const real = await import('../../infra/config/schedule');
      const today = EXPRESSIONS.map(([expression, zone]) => real.parseSchedule(expression, zone));
      vi.resetModules();
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(new Date(now));
      const fresh = await import('../../infra/config/schedule');

      expect(EXPRESSIONS.map(([expression, zone]) => fresh.parseSchedule(expression, zone))).toEqual(today);
    },
  );
});
