/**
 * A database's drill history: the index of every drill (JSON) and the page a person reads (HTML, with a chart of
 * measured RTO and RPO against their objectives as inline SVG, nothing fetched). Pure: rows in, text out.
 */
import { readableTime } from '../commons/calendar';
import type { DrillReport, DrillTrigger, Objective } from './contracts';
import { formatDuration } from './verdict';

/** One objective of one drill, as the history keeps it. */
export interface HistoryObjective {
  readonly outcome: Objective['outcome'];
  /** Null when nothing measured it. */
  readonly measuredSeconds: number | null;
  readonly objectiveSeconds: number;
}

export interface HistoryRow {
  readonly drillId: string;
  readonly execution: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly status: 'passed' | 'failed';
  readonly summary: string;
  readonly trigger: DrillTrigger;
  readonly rto: HistoryObjective;
  readonly rpo: HistoryObjective;
  /** The drill's report: its keys in the reports bucket, and the HTML one in the S3 console (null if unknown). */
  readonly report: { readonly json: string; readonly html: string; readonly link: string | null };
}

export interface DrillHistory {
  readonly database: string;
  /** One more on every write: a page carries the generation it shows, so an older page never replaces a newer one. */
  readonly generation: number;
  /** The zone the page shows times in (the newest drill's). */
  readonly timeZone: string;
  /** Every drill, oldest first. */
  readonly drills: readonly HistoryRow[];
}

export class HistoryUnreadable extends Error {
  override name = 'HistoryUnreadable';
}

const objectiveOf = (o: Objective): HistoryObjective => ({
  outcome: o.outcome,
  measuredSeconds: o.measured ? o.measuredSeconds : null,
  objectiveSeconds: o.objectiveSeconds,
});

export function historyRowOf(
  report: DrillReport,
  keys: { readonly json: string; readonly html: string },
  link: string | null,
): HistoryRow {
  return {
    drillId: report.drillId,
    execution: report.execution,
    startedAt: report.startedAt,
    finishedAt: report.finishedAt,
    status: report.status,
    summary: report.summary,
    trigger: report.trigger,
    rto: objectiveOf(report.rto),
    rpo: objectiveOf(report.rpo),
    report: { ...keys, link },
  };
}

/** The history with `row` added; a row of the same drill (a retried report) is replaced, not repeated. */
export function withDrill(
  history: DrillHistory | undefined,
  database: string,
  row: HistoryRow,
  timeZone: string,
): DrillHistory {
  const others = (history?.drills ?? []).filter((d) => d.drillId !== row.drillId);
  const drills = [...others, row].sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  return { database, generation: (history?.generation ?? 0) + 1, timeZone, drills };
}

/** The stored index, checked enough that a page built from it says nothing wrong. */
export function parseHistory(text: string, database: string): DrillHistory {
  let value: Partial<DrillHistory>;
  try {
    value = JSON.parse(text) as Partial<DrillHistory>;
  } catch (error) {
    throw new HistoryUnreadable(`the drill history of ${database} is not JSON`, { cause: error });
  }
  if (value?.database !== database || !Number.isInteger(value.generation) || !Array.isArray(value.drills))
    throw new HistoryUnreadable(`the drill history of ${database} is not a history of ${database}`);
  return value as DrillHistory;
}

const esc = (value: unknown) => String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** "the schedule lifeline-drill-orders, for 2026-11-01 05:00" or "by hand (alice, as the request says)". */
export function triggerWords(trigger: DrillTrigger, timeZone: string): string {
  if (trigger.type === 'schedule') {
    const name = trigger.schedule.split('/').pop() || trigger.schedule;
    return `the schedule ${name}, which fired at ${readableTime(trigger.scheduledTime, timeZone)}`;
  }
  return trigger.startedBy
    ? `by hand, by ${trigger.startedBy} (as the request says)`
    : 'by hand (the request does not say by whom)';
}

const measured = (o: HistoryObjective) =>
  o.measuredSeconds === null
    ? o.outcome === 'waived'
      ? 'not measured (waived)'
      : 'not measured'
    : formatDuration(o.measuredSeconds);

const OUTCOME_CSS: Record<HistoryObjective['outcome'], string> = {
  met: 'ok',
  missed: 'bad',
  'not-measured': 'bad',
  waived: 'waived',
};

export interface HistoryPageOptions {
  /** How many of the newest drills the table and the chart show. @default 30 */
  readonly shown?: number;
}

/** The history page: the newest drills first in a table, and one chart per objective. */
export function renderHistoryHtml(history: DrillHistory, options: HistoryPageOptions = {}): string {
  const shown = history.drills.slice(-(options.shown ?? 30));
  const zone = history.timeZone;
  const newest = shown[shown.length - 1];
  const passed = shown.filter((d) => d.status === 'passed').length;
  const rows = [...shown]
    .reverse()
    .map((d) => {
      const report = d.report.link
        ? `<a href="${esc(d.report.link)}">${esc(d.drillId)}</a>`
        : `<code>${esc(d.report.html)}</code>`;
      const objective = (o: HistoryObjective) =>
        `<td class="${OUTCOME_CSS[o.outcome] ?? 'bad'}">${esc(measured(o))}</td><td>${esc(formatDuration(o.objectiveSeconds))}</td>`;
      return `<tr><td>${esc(readableTime(d.startedAt, zone))}</td><td class="${d.status === 'passed' ? 'ok' : 'bad'}">${d.status}</td>${objective(d.rto)}${objective(d.rpo)}<td>${esc(triggerWords(d.trigger, zone))}</td><td>${report}</td></tr>`;
    })
    .join('\n');
  const overview = newest
    ? `<p id="overview">${history.drills.length} drill${history.drills.length === 1 ? '' : 's'} recorded; ${shown.length === history.drills.length ? 'all' : `the newest ${shown.length}`} shown, ${passed} of them passed. The newest, started ${esc(readableTime(newest.startedAt, zone))}, <span class="${newest.status === 'passed' ? 'ok' : 'bad'}">${newest.status}</span>. Objectives now: RTO ${esc(formatDuration(newest.rto.objectiveSeconds))}, RPO ${esc(formatDuration(newest.rpo.objectiveSeconds))}.</p>`
    : '<p id="overview">No drill recorded yet.</p>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Lifeline drill history of ${esc(history.database)}</title>
<style>body{font:15px/1.4 system-ui,sans-serif;margin:2rem;max-width:64rem}th,td{padding:.3rem .7rem;text-align:left;border-bottom:1px solid #ddd;vertical-align:top}.ok{color:#17643a}.bad{color:#a4161a;font-weight:600}.waived{color:#7a5a00}figure{margin:1rem 0}svg text{font:12px system-ui,sans-serif}</style></head>
<body><h1>Drill history of ${esc(history.database)}</h1>
${overview}
<p><small>Times in ${esc(zone)}. A drill that did not measure an objective shows it as not measured, never as met.</small></p>
<figure><figcaption>RTO: time from the start of the restore to the first query answered</figcaption>${chart('rto', 'RTO', shown, zone)}</figure>
<figure><figcaption>RPO: data the recovery point would have lost</figcaption>${chart('rpo', 'RPO', shown, zone)}</figure>
<h2>Drills, newest first</h2>
<table id="drills"><tr><th>started</th><th>result</th><th>RTO</th><th>RTO objective</th><th>RPO</th><th>RPO objective</th><th>started by</th><th>report</th></tr>
${rows || '<tr><td colspan="8">no drill yet</td></tr>'}
</table>
<p><small>Generation ${history.generation} of this history.</small></p>
</body></html>
`;
}

const WIDTH = 760;
const HEIGHT = 240;
const PAD = { left: 100, right: 20, top: 28, bottom: 36 };

/** Measured values as points (green within the objective, red over it), the objective as a dashed line. */
function chart(id: 'rto' | 'rpo', label: string, drills: readonly HistoryRow[], zone: string): string {
  const values = drills.map((d) => d[id]);
  const top = Math.max(1, ...values.flatMap((o) => [o.objectiveSeconds, o.measuredSeconds ?? 0])) * 1.15;
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const x = (i: number) => PAD.left + (drills.length === 1 ? plotW / 2 : (plotW * i) / (drills.length - 1));
  const y = (seconds: number) => PAD.top + plotH - (plotH * seconds) / top;
  const step = drills.length === 1 ? plotW / 2 : plotW / (drills.length - 1) / 2;
  const objective = values
    .map((o, i) => {
      const from = Math.max(PAD.left, x(i) - step);
      const to = Math.min(WIDTH - PAD.right, x(i) + step);
      return `${i === 0 ? 'M' : 'L'}${from.toFixed(1)},${y(o.objectiveSeconds).toFixed(1)} L${to.toFixed(1)},${y(o.objectiveSeconds).toFixed(1)}`;
    })
    .join(' ');
  const line = values
    .map((o, i) => (o.measuredSeconds === null ? null : `${x(i).toFixed(1)},${y(o.measuredSeconds).toFixed(1)}`))
    .filter((p) => p !== null)
    .join(' ');
  const points = values
    .map((o, i) => {
      const when = readableTime(drills[i]?.startedAt ?? '', zone);
      if (o.measuredSeconds === null)
        return `<g class="not-measured"><title>${esc(`${when}: ${label} ${measured(o)}`)}</title><text x="${x(i).toFixed(1)}" y="${(PAD.top + plotH - 4).toFixed(1)}" text-anchor="middle" fill="#777">×</text></g>`;
      const met = o.measuredSeconds <= o.objectiveSeconds;
      return `<circle class="${met ? 'met' : 'missed'}" cx="${x(i).toFixed(1)}" cy="${y(o.measuredSeconds).toFixed(1)}" r="5" fill="${met ? '#17643a' : '#a4161a'}"><title>${esc(`${when}: ${label} ${formatDuration(o.measuredSeconds)}, objective ${formatDuration(o.objectiveSeconds)}`)}</title></circle>`;
    })
    .join('');
  // Zero, the newest objective and the largest value: the lines a reader compares against.
  const largest = Math.max(0, ...values.map((o) => o.measuredSeconds ?? 0));
  const kept: number[] = [];
  for (const s of [0, values[values.length - 1]?.objectiveSeconds ?? 0, largest].sort((a, b) => a - b))
    if (kept.every((k) => Math.abs(y(k) - y(s)) >= 14)) kept.push(s); // labels closer than a line would overlap
  const ticks = kept
    .map(
      (s) =>
        `<text x="${PAD.left - 8}" y="${(y(s) + 4).toFixed(1)}" text-anchor="end">${esc(formatDuration(s))}</text><line x1="${PAD.left}" x2="${WIDTH - PAD.right}" y1="${y(s).toFixed(1)}" y2="${y(s).toFixed(1)}" stroke="#eee"/>`,
    )
    .join('');
  const first = drills[0];
  const last = drills[drills.length - 1];
  const dates =
    first && last
      ? `<text x="${PAD.left}" y="${HEIGHT - 10}">${esc(readableTime(first.startedAt, zone).slice(0, 10))}</text><text x="${WIDTH - PAD.right}" y="${HEIGHT - 10}" text-anchor="end">${esc(readableTime(last.startedAt, zone).slice(0, 10))}</text>`
      : '';
  const shown = values.filter((o) => o.measuredSeconds !== null).length;
  return `<svg id="${id}-chart" role="img" aria-label="${label} of the last ${drills.length} drills against the objective: ${shown} measured" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}">
<rect x="0" y="0" width="${WIDTH}" height="${HEIGHT}" fill="#fff"/>${ticks}
<line x1="${PAD.left}" x2="${PAD.left}" y1="${PAD.top}" y2="${PAD.top + plotH}" stroke="#999"/>
<path class="objective" d="${objective}" fill="none" stroke="#7a5a00" stroke-width="2" stroke-dasharray="6 4"><title>${label} objective</title></path>
${line ? `<polyline class="measured" points="${line}" fill="none" stroke="#345" stroke-width="1.5"/>` : ''}${points}${dates}
<g class="legend"><circle cx="${PAD.left + 8}" cy="12" r="5" fill="#17643a"/><text x="${PAD.left + 18}" y="16">${label} measured (red: over the objective)</text><line x1="${PAD.left + 300}" x2="${PAD.left + 330}" y1="12" y2="12" stroke="#7a5a00" stroke-width="2" stroke-dasharray="6 4"/><text x="${PAD.left + 338}" y="16">${label} objective</text><text x="${PAD.left + 480}" y="16" fill="#777">× not measured</text></g>
</svg>`;
}
