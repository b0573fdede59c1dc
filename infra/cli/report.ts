import type { DrillReport } from '../../functions/drill/contracts';
import type { FailoverRecord } from '../../functions/failover/contracts';
import { duration, rows } from './output';

const objective = (o: DrillReport['rto']) =>
  `${o.measuredSeconds === null ? 'not measured' : duration(o.measuredSeconds)} (objective ${duration(o.objectiveSeconds)}): ${o.outcome}${o.waiver ? ` (${o.waiver})` : ''}`;

/** A drill record in the terminal: the verdict, each objective and check, the cleanup, where the report is. */
export function reportText(report: DrillReport, location: string): string {
  return rows([
    ['drill', `${report.status}: ${report.summary}`],
    [
      'database',
      `${report.database} (${report.source.identifier}, ${report.engine}${report.engineVersion ? ` ${report.engineVersion}` : ''})`,
    ],
    ['started', `${report.startedAt} (finished ${report.finishedAt})`],
    ['recovery point', report.recoveryPoint ? `${report.recoveryPoint.type} ${report.recoveryPoint.id}` : 'none'],
    ['RTO', objective(report.rto)],
    ['RPO', objective(report.rpo)],
    ...report.checks.map((c) => [c.name, `${c.passed ? 'passed' : 'FAILED'}: ${c.detail}`] as const),
    [
      'cleanup',
      report.cleanup.leaked.length > 0
        ? `LEFT BEHIND ${report.cleanup.leaked.join(', ')}`
        : `deleted ${report.cleanup.deleted.join(', ') || 'nothing'}; nothing left behind`,
    ],
    ['report', location],
    ...(report.links.report ? [['console', report.links.report] as const] : []),
  ]);
}

/** The failover statuses that are what was asked for: anything else exits 1. */
export const FAILOVER_DONE = new Set(['failed-over', 'planned', 'drill-passed']);

/** A failover record in the terminal: the outcome, the source, RTO and data loss, each step's time, where it is. */
export function failoverRecordText(record: FailoverRecord, location: string): string {
  const approval = record.dryRun
    ? 'not asked: a dry run changes nothing'
    : !record.approval.required
      ? `waived: ${record.approval.waiver ?? ''}`
      : record.approval.by
        ? `by ${record.approval.by} at ${record.approval.at ?? '?'}`
        : 'not given';
  return rows([
    [record.drill ? 'failover drill' : record.dryRun ? 'dry run' : 'failover', `${record.status}: ${record.summary}`],
    ['database', `${record.database} (${record.scenario})`],
    [
      'started',
      `${record.startedAt}${record.startedBy ? ` by ${record.startedBy}` : ''} (finished ${record.finishedAt})`,
    ],
    ['approval', approval],
    ['recovery from', record.source ? record.source.type : 'none chosen'],
    [
      'RTO',
      record.rtoSeconds === null
        ? `not measured (objective ${duration(record.rtoObjectiveSeconds)})`
        : `${duration(record.rtoSeconds)} (objective ${duration(record.rtoObjectiveSeconds)})`,
    ],
    [
      'data loss',
      record.dataLoss.seconds === null
        ? record.dataLoss.note
        : `${record.dryRun ? 'would be ' : ''}up to ${duration(record.dataLoss.seconds)}`,
    ],
    ...record.checks
      .filter((c) => !c.ok)
      .map((c) => [`check ${c.name}`, `${c.blocking ? 'FAILED' : 'warning'}: ${c.detail}`] as const),
    ...record.changes.map(
      (c, i) => [i === 0 ? (record.dryRun ? 'would change' : 'changes') : '', `${i + 1}. ${c}`] as const,
    ),
    // A dry run stops after its plan: the steps it never meant to reach are left out; a failover shows where it stopped.
    ...record.steps
      .filter((s) => !record.dryRun || s.at !== null)
      .map(
        (s, i) =>
          [i === 0 ? 'steps' : '', `${s.at ?? '-'.padEnd(24)}  ${s.step}${s.detail ? `: ${s.detail}` : ''}`] as const,
      ),
    ['record', location],
  ]);
}
