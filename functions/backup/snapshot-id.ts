/** Derives names and retention classes from a database and the time a run stands for. No SDK here. */
import { snapshotPrefix } from '../commons/contracts';

/**
 * `lifeline-orders-20261122t0200` (installation `lifeline`): one id per installation, database and scheduled minute,
 * so a re-run reuses it.
 */
export function snapshotIdFor(installation: string, database: string, scheduledTime: Date): string {
  const stamp = scheduledTime.toISOString().slice(0, 16).replace(/[-:]/g, '').toLowerCase();
  return `${snapshotPrefix(installation)}${database}-${stamp}`;
}

/** The retention classes a point taken at `at` (in `timeZone`) stands for: the last run of a week, month, year. */
export function retentionClassesFor(at: Date, timeZone: string): string[] {
  const local = (d: Date) => {
    const parts = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      weekday: 'short',
    }).formatToParts(d);
    const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
    return { year: get('year'), month: get('month'), day: get('day'), weekday: get('weekday') };
  };
  const today = local(at);
  const tomorrow = local(new Date(at.getTime() + 86_400_000));
  const classes = ['daily'];
  if (today.weekday === 'Sun') classes.push('weekly');
  if (tomorrow.month !== today.month) classes.push('monthly');
  if (tomorrow.year !== today.year) classes.push('yearly');
  return classes;
}
