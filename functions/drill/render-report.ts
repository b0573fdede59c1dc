import { readableTime } from '../commons/calendar';
import type { DrillReport, Objective } from './contracts';
import { triggerWords } from './history';
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

const link = (href: string | null, text: string) =>
  href?.startsWith('https://') ? `<a href="${esc(href)}">${esc(text)}</a>` : esc(text);
const fact = (name: string, value: string) => `<tr><th>${name}</th><td>${value}</td></tr>`;

export function renderHtml(report: DrillReport): string {
  const zone = report.timeZone;
  const time = (iso: string | null) =>
    iso === null
      ? '<span class="unknown">not recorded</span>'
      : `<time datetime="${esc(iso)}">${esc(readableTime(iso, zone))}</time>`;
  const checks = report.checks
    .map(
      (c) =>
        `<tr><td>${esc(c.name)}</td><td class="${c.passed ? 'ok' : 'bad'}">${c.passed ? 'passed' : 'failed'}</td><td>${esc(c.detail)}</td></tr>`,
    )
    .join('');
  const point = report.recoveryPoint;
  const timeline = report.timeline
    .map((t) => `<tr><th>${esc(t.event)}</th><td>${time(t.at)}</td><td><small>${esc(t.note ?? '')}</small></td></tr>`)
    .join('');
  const facts = [
    fact('Account and region', `${esc(report.account)} · ${esc(report.region)}`),
    fact('Source', `${esc(report.source.kind)} ${esc(report.source.identifier)}`),
    fact(
      'Engine',
      `${esc(report.engine)} ${report.engineVersion ? esc(report.engineVersion) : '<span class="unknown">(version not read)</span>'}`,
    ),
    fact(
      'Recovery point',
      point
        ? `${esc(point.type)} ${link(report.links.recoveryPoint, point.id)} of ${time(point.time)}`
        : 'none was chosen',
    ),
    fact('Snapshot ARN', point?.arn ? `<code>${esc(point.arn)}</code>` : '<span class="unknown">not read</span>'),
    fact(
      'KMS key',
      point?.kmsKeyId ? `<code>${esc(point.kmsKeyId)}</code>` : '<span class="unknown">RDS named none</span>',
    ),
    fact('Started', esc(triggerWords(report.trigger, zone))),
    fact('Execution', link(report.links.execution, report.execution)),
    fact('Drill database', esc(report.drillId)),
    ...(report.links.report ? [fact('This report', link(report.links.report, 'in the S3 console'))] : []),
  ].join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Lifeline drill of ${esc(report.database)}: ${report.status}</title>
<style>body{font:15px/1.4 system-ui,sans-serif;margin:2rem;max-width:60rem}th,td{padding:.3rem .8rem;text-align:left;border-bottom:1px solid #ddd;vertical-align:top}.ok{color:#17643a}.bad{color:#a4161a;font-weight:600}.waived{color:#7a5a00}.unknown{color:#777}</style></head>
<body><h1>Drill of ${esc(report.database)}: <span class="${report.status === 'passed' ? 'ok' : 'bad'}">${report.status}</span></h1>
<p id="summary">${esc(report.summary)}</p>
<table id="objectives">${objective('RTO', report.rto)}${objective('RPO', report.rpo)}</table>
<h2>What was drilled</h2><table id="facts">${facts}</table>
<h2>Timeline</h2><p><small>Times in ${esc(zone)}.</small></p><table id="timeline">${timeline}</table>
<h2>Checks</h2><table><tr><th>check</th><th>result</th><th>detail</th></tr>${checks || '<tr><td colspan="3">no check ran</td></tr>'}</table>
<h2>Cleanup</h2><p>Deleted: ${esc(report.cleanup.deleted.join(', ') || 'nothing')}. Left behind: <span class="${report.cleanup.leaked.length ? 'bad' : 'ok'}">${esc(report.cleanup.leaked.join(', ') || 'nothing')}</span>.</p>
<p><small>${esc(report.drillId)} · ${esc(report.execution)} · ${esc(report.startedAt)} – ${esc(report.finishedAt)}</small></p>
</body></html>
`;
}
