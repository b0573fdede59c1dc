import type { DrillReport } from '../../functions/drill/contracts';
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
