import { civilDate, parseInstant, zoneCalendar } from '../commons/calendar';
import { type ArchiveClass, dumpPrefix, MANIFEST_SUFFIX } from './contracts';

const pad = (n: number) => String(n).padStart(2, '0');

/** The calendar year and month of `time` in `timeZone`, as the dump keys name them. */
export function archiveMonth(time: string, timeZone: string): { year: string; month: string } {
  const { year, month } = civilDate(zoneCalendar(timeZone).localDay(parseInstant(time)));
  return { year: String(year), month: pad(month) };
}

/** The prefixes a planner lists: the recovery point's year and month of `database`'s dumps. */
export function archivePrefixes(database: string, time: string, timeZone: string) {
  const { year, month } = archiveMonth(time, timeZone);
  const yearPrefix = `${dumpPrefix(database)}${year}/`;
  return { year: yearPrefix, month: `${yearPrefix}${month}/` };
}

/**
 * Which class a dump of a recovery point would be archived as, from the manifests already archived in its year: none
 * in the year makes it the year's `yearly` dump, none in its month the month's `monthly` one, and otherwise it is not
 * due. Only a manifest counts (it is written after its dump), so a failed dump leaves the month open for the next drill.
 */
export function archiveClassOf(
  database: string,
  time: string,
  timeZone: string,
  keysInYear: readonly string[],
): ArchiveClass | undefined {
  const prefixes = archivePrefixes(database, time, timeZone);
  const manifests = keysInYear.filter((key) => key.startsWith(prefixes.year) && key.endsWith(MANIFEST_SUFFIX));
  if (manifests.length === 0) return 'yearly';
  if (!manifests.some((key) => key.startsWith(prefixes.month))) return 'monthly';
  return undefined;
}

/** A recovery point id as part of a key: letters, digits, dot, dash and underscore only. */
export const keySafe = (id: string) => id.replace(/[^A-Za-z0-9._-]/g, '-');
