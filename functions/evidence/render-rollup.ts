import type { DatabaseRollup, ObjectiveTally, Rollup } from './contracts';

const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
const esc = (value: unknown) => String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const percent = (rate: number | null) =>
  rate === null ? '<span class="unknown">none ran</span>' : `${(100 * rate).toFixed(1)} %`;
const yesNo = (value: boolean | null, yes: string, no: string, unknown: string) =>
  value === null
    ? `<span class="unknown">${unknown}</span>`
    : value
      ? `<span class="ok">${yes}</span>`
      : `<span class="bad">${no}</span>`;

/** "met 3 · missed 1 · not measured 1": an objective nobody measured is never shown as met. */
const objectives = (t: ObjectiveTally) =>
  [
    t.met && `<span class="ok">met ${t.met}</span>`,
    t.missed && `<span class="bad">missed ${t.missed}</span>`,
    t['not-measured'] && `<span class="bad">not measured ${t['not-measured']}</span>`,
    t.waived && `<span class="waived">waived ${t.waived}</span>`,
  ]
    .filter(Boolean)
    .join(' · ') || '<span class="unknown">no drill</span>';

const findings = (items: readonly string[]) =>
  items.length === 0
    ? '<span class="ok">none</span>'
    : `<ul>${items.map((f) => `<li class="bad">${esc(f)}</li>`).join('')}</ul>`;

const failoverCell = (d: DatabaseRollup) => {
  const f = d.failovers;
  const parts = [
    f.dryRunsPassed + f.dryRunsFailed > 0 &&
      `dry runs ${f.dryRunsPassed} passed${f.dryRunsFailed ? `, <span class="bad">${f.dryRunsFailed} failed</span>` : ''}`,
    d.failoverDrills.passed + d.failoverDrills.failed > 0 &&
      `drills ${d.failoverDrills.passed} passed${d.failoverDrills.failed ? `, <span class="bad">${d.failoverDrills.failed} failed</span>` : ''}`,
    f.failedOver + f.notVerified > 0 &&
      `failovers ${f.failedOver} verified${f.notVerified ? `, <span class="bad">${f.notVerified} not</span>` : ''}`,
  ].filter(Boolean);
  return parts.join('<br>') || '<span class="unknown">none</span>';
};

const archiveCell = (d: DatabaseRollup) => {
  const a = d.archives;
  const parts = [
    a.exported + a.exportsFailed > 0 &&
      `${count(a.exported, 'export')}${a.exportsFailed ? `, <span class="bad">${a.exportsFailed} failed</span>` : ''}`,
    a.dumps > 0 && count(a.dumps, 'dump'),
  ].filter(Boolean);
  return parts.join('<br>') || '<span class="unknown">none</span>';
};

/** The evidence page an auditor is handed: the period's counts, what needs attention, every record with its checksum. */
export function renderRollupHtml(rollup: Rollup): string {
  const { totals } = rollup;
  const databases = rollup.databases
    .map(
      (d) =>
        `<tr><th>${esc(d.id)}</th><td>${esc(d.engine)}</td><td>${d.backups.succeeded} / ${d.backups.succeeded + d.backups.failed} (${percent(d.backups.successRate)})</td><td>${d.drills.passed} passed, ${d.drills.failed} failed</td><td>${objectives(d.rto)}</td><td>${objectives(d.rpo)}</td><td>${yesNo(d.retentionCompliant, 'kept', d.retention && d.retention.beyond > 0 && d.retention.kept >= d.retention.expected ? 'kept beyond' : 'short', 'not checked')}${d.retention ? ` <small>${d.retention.kept} of ${d.retention.expected}${d.retention.beyond ? `, ${d.retention.beyond} beyond` : ''}</small>` : ''}</td><td>${failoverCell(d)}</td><td>${archiveCell(d)}</td><td>${findings(d.findings)}</td></tr>`,
    )
    .join('');
  const buckets = rollup.buckets
    .map(
      (b) =>
        `<tr><th>${esc(b.id)}</th><td>${b.replicate ? 'yes' : 'no'}</td><td>${esc(b.objectLock ?? 'none')}</td><td>${b.lastVerifiedAt ? `<time datetime="${esc(b.lastVerifiedAt)}">${esc(b.lastVerifiedAt)}</time>` : '<span class="unknown">never</span>'}</td><td>${b.discrepancies === null ? '<span class="unknown">not verified</span>' : b.discrepancies === 0 ? '<span class="ok">0</span>' : `<span class="bad">${b.discrepancies}</span>`}</td><td>${findings(b.findings)}</td></tr>`,
    )
    .join('');
  const records = rollup.records
    .map(
      (r) =>
        `<tr><td>${esc(r.kind)}</td><td>${esc(r.database ?? '')}</td><td><code>${esc(r.location)}</code></td><td><code>${esc(r.sha256)}</code></td></tr>`,
    )
    .join('');
  const verdict =
    totals.findings === 0
      ? '<span class="ok">nothing needs attention</span>'
      : `<span class="bad">${totals.findings} finding${totals.findings === 1 ? '' : 's'} need attention</span>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Lifeline evidence ${esc(rollup.period.label)}: ${esc(rollup.installation)}</title>
<style>body{font:15px/1.4 system-ui,sans-serif;margin:2rem;max-width:72rem}table{border-collapse:collapse}th,td{padding:.3rem .7rem;text-align:left;border-bottom:1px solid #ddd;vertical-align:top}ul{margin:0;padding-left:1.1rem}.ok{color:#17643a}.bad{color:#a4161a;font-weight:600}.waived{color:#7a5a00}.unknown{color:#777}code{font-size:12px;word-break:break-all}</style></head>
<body><h1>Recovery evidence, ${esc(rollup.period.kind)} ${esc(rollup.period.label)}</h1>
<p id="summary">${esc(rollup.installation)}: ${count(totals.backupsSucceeded, 'backup')} succeeded, ${totals.backupsFailed} did not; ${count(totals.drillsPassed, 'restore drill')} passed, ${totals.drillsFailed} failed; ${verdict}.</p>
<p><small>From ${esc(rollup.period.from)} to ${esc(rollup.period.to)} (UTC) · generated ${esc(rollup.generatedAt)}</small></p>
<h2>Databases</h2><table id="databases"><tr><th>database</th><th>engine</th><th>backups</th><th>restore drills</th><th>RTO</th><th>RPO</th><th>retention</th><th>failover</th><th>archives</th><th>findings</th></tr>${databases}</table>
<h2>Buckets</h2><table id="buckets"><tr><th>bucket</th><th>replicated</th><th>object lock</th><th>last verified</th><th>discrepancies</th><th>findings</th></tr>${buckets || '<tr><td colspan="6">no protected bucket</td></tr>'}</table>
<h2>Records</h2><p><small>Every record counted above, with the SHA-256 of its content as read when this page was made.</small></p>
<table id="records"><tr><th>kind</th><th>database</th><th>where</th><th>SHA-256</th></tr>${records || '<tr><td colspan="4">no record in the period</td></tr>'}</table>
</body></html>
`;
}
