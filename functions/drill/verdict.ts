/** Turns a drill's check results and timings into a verdict a person can read. Pure: no database, no SDK. */
import { InvalidInput } from '../commons/errors';
import type { CheckResult, DrillVerdict, Objective, Waivers } from './contracts';

/** The objective's record from what was measured (null: nothing measured it) and the database's waiver. */
export function judgeObjective(measuredSeconds: number | null, objectiveSeconds: number, waiver?: string): Objective {
  if (measuredSeconds === null) {
    const waived = waiver !== undefined && waiver.trim() !== '';
    return {
      outcome: waived ? 'waived' : 'not-measured',
      measured: false,
      measuredSeconds: null,
      objectiveSeconds,
      met: false,
      waiver: waived ? waiver : null,
    };
  }
  const met = measuredSeconds <= objectiveSeconds;
  return { outcome: met ? 'met' : 'missed', measured: true, measuredSeconds, objectiveSeconds, met, waiver: null };
}

export interface DrillInput {
  readonly database: string;
  readonly checks: readonly CheckResult[];
  readonly restoreStartedAt: string;
  /** Absent when no query against the restored database succeeded. */
  readonly firstGoodQueryAt?: string;
  readonly recoveryPointTime: string;
  readonly rtoObjectiveSeconds: number;
  readonly rpoObjectiveSeconds: number;
  /** Why the checks could not connect; the clearest reason when no query succeeded. */
  readonly connectError?: string;
  /** Objectives the config lets this database's drill pass without measuring. @default none */
  readonly waive?: Waivers;
}

const UNITS = [
  ['d', 86_400],
  ['h', 3_600],
  ['min', 60],
  ['s', 1],
] as const;

/** "45 s", "4 min 12 s", "2 h 5 min", "1 d 3 h": the two largest units, the smaller one left out when zero. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return 'an unknown time';
  const sign = seconds < 0 ? '-' : '';
  const total = Math.round(Math.abs(seconds));
  const index = UNITS.findIndex(([, size]) => total >= size);
  if (index === -1) return '0 s';
  const [unit, size] = UNITS[index] as (typeof UNITS)[number];
  const major = `${sign}${Math.floor(total / size)} ${unit}`;
  const next = UNITS[index + 1];
  if (!next) return major;
  const minor = Math.floor((total % size) / next[1]);
  return minor > 0 ? `${major} ${minor} ${next[0]}` : major;
}

function parseTime(field: string, value: string): number {
  const time = Date.parse(value);
  if (Number.isNaN(time)) throw new InvalidInput(`${field} is not a timestamp: ${JSON.stringify(value)}`);
  return time;
}

const withoutPeriod = (text: string) => text.replace(/[.\s]+$/, '');

export function judgeDrill(input: DrillInput): DrillVerdict {
  const restoreStarted = parseTime('restoreStartedAt', input.restoreStartedAt);
  const recoveryPoint = parseTime('recoveryPointTime', input.recoveryPointTime);

  const rtoMeasured =
    input.firstGoodQueryAt === undefined
      ? null
      : (parseTime('firstGoodQueryAt', input.firstGoodQueryAt) - restoreStarted) / 1000;
  const rto = judgeObjective(
    rtoMeasured === null ? null : Math.max(0, rtoMeasured),
    input.rtoObjectiveSeconds,
    input.waive?.rto,
  );

  // The newest row of any table is the best estimate of the last transaction the recovery point holds.
  const newestRows = input.checks
    .map((check) => (check.newestRow === undefined ? Number.NaN : Date.parse(check.newestRow)))
    .filter((time) => !Number.isNaN(time));
  const rpoMeasured = newestRows.length === 0 ? null : (recoveryPoint - Math.max(...newestRows)) / 1000;
  // A row newer than the recovery point means skewed clocks, not negative loss.
  const rpo = judgeObjective(
    rpoMeasured === null ? null : Math.max(0, rpoMeasured),
    input.rpoObjectiveSeconds,
    input.waive?.rpo,
  );

  const reasons: string[] = [];
  if (rto.measuredSeconds === null) {
    reasons.push(withoutPeriod(input.connectError ?? 'no query against the restored database succeeded'));
  }
  for (const check of input.checks) {
    if (!check.passed) reasons.push(withoutPeriod(check.detail) || `check ${check.name} failed`);
  }
  if (rto.outcome === 'missed' && rto.measuredSeconds !== null) {
    reasons.push(
      `the database took ${formatDuration(rto.measuredSeconds)} to restore, longer than the objective of ${formatDuration(rto.objectiveSeconds)}`,
    );
  }
  if (rpo.outcome === 'missed' && rpo.measuredSeconds !== null) {
    reasons.push(
      `${formatDuration(rpo.measuredSeconds)} of data would have been lost, more than the objective of ${formatDuration(rpo.objectiveSeconds)}`,
    );
  }
  // When the database never answered, that is the reason; an unmeasured RPO would only repeat it.
  if (rpo.outcome === 'not-measured' && rto.measured) {
    reasons.push(
      'the RPO was not measured because no freshness check found a row: add a freshness check on a table written to continuously, or waive the RPO for this database in drill.waive.rpo',
    );
  }

  const status = reasons.length === 0 ? 'passed' : 'failed';
  return { status, rto, rpo, summary: summarize(input, status, rto, rpo, reasons), reasons };
}

function summarize(
  input: DrillInput,
  status: 'passed' | 'failed',
  rto: Objective,
  rpo: Objective,
  reasons: readonly string[],
): string {
  if (status === 'failed') {
    const more = reasons.length - 1;
    const others = more > 0 ? ` (and ${more} more problem${more === 1 ? '' : 's'})` : '';
    return `Drill of ${input.database} failed: ${reasons[0]}${others}.`;
  }
  const total = input.checks.length;
  const checks = `${total} of ${total} check${total === 1 ? '' : 's'} passed`;
  const restored =
    rto.measuredSeconds === null
      ? `RTO not measured (waived: ${rto.waiver})`
      : `restored in ${formatDuration(rto.measuredSeconds)} (objective ${formatDuration(rto.objectiveSeconds)})`;
  const lost =
    rpo.measuredSeconds === null
      ? `RPO not measured (waived: ${rpo.waiver})`
      : `${rpo.measuredSeconds < 1 ? 'no data' : `${formatDuration(rpo.measuredSeconds)} of data`} would have been lost (objective ${formatDuration(rpo.objectiveSeconds)})`;
  return `Drill of ${input.database} passed: ${checks}, ${restored}, ${lost}.`;
}
