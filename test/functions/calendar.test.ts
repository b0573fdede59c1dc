import { describe, expect, it } from 'vitest';
import {
  civilDate,
  DAY_MS,
  mondayOf,
  parseInstant,
  readableTime,
  zoneCalendar,
} from '../../functions/commons/calendar';

const at = (iso: string) => Date.parse(iso);
const wall = (iso: string) => Date.parse(`${iso}Z`);

describe('zoneCalendar', () => {
  it('reads the offset from Intl, summer and winter', () => {
    const berlin = zoneCalendar('Europe/Berlin');

    expect(berlin.offsetMs(at('2026-07-01T12:00:00Z'))).toBe(2 * 3_600_000);
    expect(berlin.offsetMs(at('2026-01-01T12:00:00Z'))).toBe(3_600_000);
    expect(zoneCalendar('Asia/Kolkata').offsetMs(at('2026-01-01T00:00:00Z'))).toBe(5.5 * 3_600_000);
    expect(zoneCalendar('UTC').offsetMs(at('2026-01-01T00:00:00Z'))).toBe(0);
  });

  it('changes the offset at the minute the clocks change', () => {
    const berlin = zoneCalendar('Europe/Berlin');

    expect(berlin.offsetMs(at('2026-03-29T00:59:59.999Z'))).toBe(3_600_000);
    expect(berlin.offsetMs(at('2026-03-29T01:00:00Z'))).toBe(2 * 3_600_000);
    expect(berlin.changeBetween(at('2026-03-01T00:00:00Z'), at('2026-04-01T00:00:00Z'))).toEqual({
      at: at('2026-03-29T01:00:00Z'),
      before: 3_600_000,
      after: 2 * 3_600_000,
    });
    expect(berlin.changeBetween(at('2026-04-01T00:00:00Z'), at('2026-05-01T00:00:00Z'))).toBeUndefined();
  });

  it('finds no instant for a wall time the clocks skip, two for one they repeat, one otherwise', () => {
    const berlin = zoneCalendar('Europe/Berlin');

    expect(berlin.instantsAt(wall('2026-03-29T02:30:00'))).toEqual([]);
    expect(berlin.instantsAt(wall('2026-10-25T02:30:00'))).toEqual([
      at('2026-10-25T00:30:00Z'),
      at('2026-10-25T01:30:00Z'),
    ]);
    expect(berlin.instantsAt(wall('2026-10-25T03:30:00'))).toEqual([at('2026-10-25T02:30:00Z')]);
    expect(zoneCalendar('Australia/Lord_Howe').instantsAt(wall('2026-10-04T02:15:00'))).toEqual([]);
  });

  it('puts an instant on its local day', () => {
    const berlin = zoneCalendar('Europe/Berlin');
    const day = (iso: string) => Date.parse(`${iso}T00:00:00Z`) / DAY_MS;

    expect(berlin.localDay(at('2026-03-28T23:30:00Z'))).toBe(day('2026-03-29'));
    expect(zoneCalendar('UTC').localDay(at('2026-03-28T23:30:00Z'))).toBe(day('2026-03-28'));
    expect(civilDate(day('2024-02-29'))).toEqual({ year: 2024, month: 2, day: 29, weekday: 4 });
    expect(mondayOf(day('2021-01-03'))).toBe(day('2020-12-28'));
    expect(mondayOf(day('2021-01-04'))).toBe(day('2021-01-04'));
  });

  it('refuses a zone Intl does not know, naming it', () => {
    expect(() => zoneCalendar('Mars/Olympus_Mons')).toThrow(/'Mars\/Olympus_Mons' is not an IANA time zone/);
  });
});

describe('parseInstant', () => {
  it.each([
    '2026-03-29T01:30:00.000Z',
    '2026-03-29T03:30:00+02:00',
    '2026-03-29T03:30:00+0200',
    '2024-02-29T12:00:00Z',
    '0050-06-01T00:00:00Z',
    '2026-01-01T00:00:00.123456Z',
  ])('reads %s as Date.parse does', (iso) => {
    expect(parseInstant(iso)).toBe(Date.parse(iso));
  });

  it.each(['2023-02-29T12:00:00Z', '2025-04-31T00:00:00Z', '2025-01-01T10:00:00', '2025-01-01T24:00:00Z', 'soon'])(
    'refuses %s',
    (text) => {
      expect(parseInstant(text)).toBeNaN();
    },
  );
});

describe('readableTime', () => {
  it('shows the local time with its zone and offset, on both sides of a clock change', () => {
    expect(readableTime('2026-03-29T00:59:59.000Z', 'Europe/Berlin')).toBe(
      '2026-03-29 01:59:59 Europe/Berlin (UTC+01:00)',
    );
    expect(readableTime('2026-03-29T01:00:00.000Z', 'Europe/Berlin')).toBe(
      '2026-03-29 03:00:00 Europe/Berlin (UTC+02:00)',
    );
    expect(readableTime('2026-11-22T03:30:00Z', 'America/New_York')).toBe(
      '2026-11-21 22:30:00 America/New_York (UTC-05:00)',
    );
    expect(readableTime('2026-11-22T03:30:00Z', 'Asia/Kolkata')).toBe('2026-11-22 09:00:00 Asia/Kolkata (UTC+05:30)');
  });

  it('says UTC for UTC, and leaves what is not a time as it is', () => {
    expect(readableTime('2026-11-22T03:30:00.123Z', 'UTC')).toBe('2026-11-22 03:30:00 UTC');
    expect(readableTime('not a time', 'Europe/Berlin')).toBe('not a time');
  });
});
