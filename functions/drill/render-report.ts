import type { DrillReport, Objective } from './contracts';
import { formatDuration } from './verdict';

const esc = (value: unknown) => String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
/** The words and colour of each outcome: only a measured objective within its bound reads "met". */
const OUTCOME: Record<Objective['outcome'], { readonly css: string; readonly words: (o: Objective) => string }> = {
  met: { css: 'ok', words: () => 'met' },
  missed: { css: 'bad', words: () => 'not met' },
  'not-measured': { css: 'bad', words: () => 'not measured, so not met' },
  waived: { css: 'waived', words: (o) => `not measured; waived: ${o.waiver ?? ''}` },
};
const objective = (name: string, o: Objective) => {
  const outcome = OUTCOME[o.outcome] ?? OUTCOME['not-measured'];
  const value = o.measured && o.measuredSeconds !== null ? formatDuration(o.measuredSeconds) : 'not measured';
  return `<tr><th>${name}</th><td>${value}</td><td>objective ${formatDuration(o.objectiveSeconds)}</td><td class="${outcome.css}">${esc(outcome.words(o))}</td></tr>`;
};

export function renderHtml(report: DrillReport): string {
  const checks = report.checks
    .map(
      (c) =>
        `<tr><td>${esc(c.name)}</td><td class="${c.passed ? 'ok' : 'bad'}">${c.passed ? 'passed' : 'failed'}</td><td>${esc(c.detail)}</td></tr>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Lifeline drill of ${esc(report.database)}: ${report.status}</title>
<style>body{font:15px/1.4 system-ui,sans-serif;margin:2rem;max-width:60rem}th,td{padding:.3rem .8rem;text-align:left;border-bottom:1px solid #ddd}.ok{color:#17643a}.bad{color:#a4161a;font-weight:600}.waived{color:#7a5a00}</style></head>
<body><h1>Drill of ${esc(report.database)}: <span class="${report.status === 'passed' ? 'ok' : 'bad'}">${report.status}</span></h1>
<p>${esc(report.summary)}</p>
<table>${objective('RTO', report.rto)}${objective('RPO', report.rpo)}</table>
<h2>Recovery point</h2><p>${report.recoveryPoint ? `${esc(report.recoveryPoint.type)} ${esc(report.recoveryPoint.id)} of ${esc(report.recoveryPoint.time)}` : 'none was chosen'}</p>
<h2>Checks</h2><table><tr><th>check</th><th>result</th><th>detail</th></tr>${checks || '<tr><td colspan="3">no check ran</td></tr>'}</table>
<h2>Cleanup</h2><p>Deleted: ${esc(report.cleanup.deleted.join(', ') || 'nothing')}. Left behind: <span class="${report.cleanup.leaked.length ? 'bad' : 'ok'}">${esc(report.cleanup.leaked.join(', ') || 'nothing')}</span>.</p>
<p><small>${esc(report.drillId)} · ${esc(report.execution)} · ${esc(report.startedAt)} – ${esc(report.finishedAt)}</small></p>
</body></html>
`;
}
