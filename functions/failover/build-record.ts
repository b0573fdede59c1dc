/** The failover record, built from what each step left in the state. Pure: no SDK; the clock is `finishedAt`. */
import { causeText } from '../commons/failure-alert';
import { formatDuration } from '../drill/verdict';
import type { FailoverRecord, FailoverStatus, RecordInput } from './contracts';

const seconds = (from: string, to: string) => Math.round((Date.parse(to) - Date.parse(from)) / 1000);

export function buildRecord(input: RecordInput, finishedAt: string): FailoverRecord {
  const { plan, precheck, approval, recovery, endpoint, dns, verification, rollback, error, cleanup } = input;
  const rejected = error?.Error === 'FailoverRejected';
  const timedOut = error?.Error === 'States.Timeout' && !approval && precheck && !recovery;
  const verifiedAt = verification?.verified ? verification.verifiedAt : null;
  const rtoSeconds = verifiedAt ? seconds(plan.startedAt, verifiedAt) : null;
  const drillProblems = plan.drill ? drillProblemsOf(input, rtoSeconds) : [];
  const status: FailoverStatus =
    plan.dryRun && !error
      ? 'planned'
      : plan.drill
        ? drillProblems.length === 0
          ? 'drill-passed'
          : 'drill-failed'
        : rejected
          ? 'rejected'
          : timedOut
            ? 'not-approved'
            : verification?.verified
              ? 'failed-over'
              : rollback
                ? 'rolled-back'
                : verification
                  ? 'verification-failed'
                  : 'failed';
  const pointTime = precheck?.pointTime ?? null;
  const lag = precheck?.source.type === 'promote-replica' ? precheck.source.lagSeconds : null;
  const dataLoss: FailoverRecord['dataLoss'] = pointTime
    ? {
        from: pointTime,
        to: plan.startedAt,
        seconds: Math.max(0, seconds(pointTime, plan.startedAt)),
        note: 'writes after the recovery point are not in the recovered database (at most this window: the outage may have begun later)',
      }
    : {
        from: null,
        to: plan.startedAt,
        seconds: lag,
        note:
          precheck?.source.type === 'promote-replica'
            ? 'a promoted replica holds what it had replicated: the replica lag at the promotion (see its ReplicaLag metric)'
            : precheck?.source.type === 'global-failover'
              ? 'a global database fails over with what it had replicated: its replication lag (AuroraGlobalDBReplicationLag)'
              : 'not known: no recovery point was chosen',
      };
  const cause = error ? causeText(error.Cause) : '';
  const what = `${plan.database} (${plan.scenario})`;
  const summary = {
    planned: `Dry run of the failover of ${what}: ${precheck?.changes.length ?? 0} change(s) planned, nothing changed`,
    'failed-over': `Failover of ${what} verified through ${plan.settings.recordName} after ${formatDuration(rtoSeconds ?? 0)} (RTO objective ${formatDuration(plan.entry.rtoSeconds)})`,
    rejected: `Failover of ${what} rejected; nothing was changed. ${cause}`.trim(),
    'not-approved': `Failover of ${what} was not approved within ${formatDuration(plan.settings.approvalTimeoutSeconds)}; nothing was changed`,
    'rolled-back': `Failover of ${what} failed verification (${verification?.summary ?? ''}); ${plan.settings.recordName} was set back to ${rollback?.value ?? ''}`,
    'verification-failed': `Failover of ${what} failed verification (${verification?.summary ?? ''}); the old target ${verification?.oldTarget?.healthy ? 'answers' : 'does not answer'}, so ${plan.settings.recordName} stays on the recovered database`,
    failed: `${plan.dryRun ? 'Dry run of the failover' : 'Failover'} of ${what} failed at ${input.failedStep ?? 'an unknown step'}: ${error?.Error ?? 'error'}: ${cause}`,
    'drill-passed': `Failover drill of ${what} passed: a restored copy verified through ${plan.settings.recordName} after ${formatDuration(rtoSeconds ?? 0)} (RTO objective ${formatDuration(plan.entry.rtoSeconds)}); the copy and the shadow record are deleted, ${plan.drill?.productionRecord ?? ''} was not touched`,
    'drill-failed': `Failover drill of ${what} failed: ${drillProblems.join('; ')}. ${plan.drill?.productionRecord ?? ''} was not touched`,
  }[status];
  const steps: FailoverRecord['steps'] = [
    { step: 'failover started', at: plan.startedAt, ...(plan.startedBy ? { detail: `by ${plan.startedBy}` } : {}) },
    { step: 'pre-checks done', at: precheck?.checkedAt ?? null },
    {
      step: 'approved',
      at: approval?.at ?? null,
      detail: plan.approval.required
        ? approval
          ? `by ${approval.by}`
          : 'not approved'
        : `waived: ${plan.approval.waiver}`,
    },
    { step: 'recovery started', at: recovery?.startedAt ?? null, ...(recovery ? { detail: recovery.action } : {}) },
    {
      step: 'database available',
      at: endpoint?.availableAt ?? null,
      ...(endpoint ? { detail: `${endpoint.host}:${endpoint.port}` } : {}),
    },
    {
      step: 'DNS change submitted',
      at: dns?.submittedAt ?? null,
      ...(dns ? { detail: `change ${dns.changeId}` } : {}),
    },
    { step: 'DNS in sync', at: dns?.insyncAt ?? null },
    { step: 'verified through the name', at: verifiedAt, ...(verification ? { detail: verification.summary } : {}) },
    ...(rollback
      ? [{ step: 'DNS rolled back', at: rollback.insyncAt ?? rollback.submittedAt, detail: `to ${rollback.value}` }]
      : []),
    ...(plan.drill
      ? [
          {
            step: 'drill copy and shadow record deleted',
            at: cleanup?.finishedAt ?? null,
            detail: cleanup
              ? `deleted ${[...cleanup.deleted, ...(cleanup.recordDeleted !== null ? [plan.settings.recordName] : [])].join(', ') || 'nothing (nothing was made)'}${cleanup.leaked.length > 0 ? `; LEFT BEHIND: ${cleanup.leaked.join(', ')}` : ''}`
              : 'not cleaned up',
          },
        ]
      : []),
    { step: 'record written', at: finishedAt },
  ];
  return {
    database: plan.database,
    scenario: plan.scenario,
    status,
    summary,
    dryRun: plan.dryRun,
    execution: plan.execution,
    startedAt: plan.startedAt,
    finishedAt,
    startedBy: plan.startedBy,
    approval: {
      required: plan.approval.required,
      waiver: plan.approval.waiver,
      by: approval?.by ?? null,
      at: approval?.at ?? null,
    },
    source: precheck?.source ?? null,
    changes: precheck?.changes ?? [],
    checks: precheck?.checks ?? [],
    considered: precheck?.considered ?? [],
    steps,
    rtoSeconds,
    rtoObjectiveSeconds: plan.entry.rtoSeconds,
    dataLoss,
    verification: verification ?? null,
    error:
      error && !rejected && !timedOut ? { step: input.failedStep ?? null, error: error.Error ?? 'error', cause } : null,
    ...(plan.drill ? { drill: { ...plan.drill, cleanup: cleanup ?? null } } : {}),
  };
}

/** Why a failover drill did not pass: a failed step, no verification through the shadow name, a missed RTO, a leak. */
function drillProblemsOf(input: RecordInput, rtoSeconds: number | null): string[] {
  const { plan, verification, error, cleanup } = input;
  const problems: string[] = [];
  if (error)
    problems.push(
      `${input.failedStep ?? 'a step'} failed with ${error.Error ?? 'an error'}: ${causeText(error.Cause)}`,
    );
  else if (!verification?.verified)
    problems.push(`not verified through ${plan.settings.recordName}: ${verification?.summary ?? 'no verification'}`);
  if (rtoSeconds !== null && rtoSeconds > plan.entry.rtoSeconds)
    problems.push(
      `the measured RTO of ${formatDuration(rtoSeconds)} is over the objective of ${formatDuration(plan.entry.rtoSeconds)}`,
    );
  if (!cleanup) problems.push('the cleanup did not run: delete the drill copy and the shadow record by hand');
  else if (cleanup.leaked.length > 0) problems.push(`the cleanup left ${cleanup.leaked.join(', ')} behind`);
  return problems;
}

const escapeHtml = (text: string) =>
  text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&#39;', '"': '&quot;' })[c] ?? c);

/** The record as a page a person reads: the verdict, the timeline, the checks, what was chosen and why. */
export function renderRecord(record: FailoverRecord): string {
  const ok = record.status === 'failed-over' || record.status === 'planned' || record.status === 'drill-passed';
  const rows = (items: string[][]) =>
    items.map((cells) => `<tr>${cells.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Failover of ${escapeHtml(record.database)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto}td{padding:.2rem .6rem;vertical-align:top}.ok{color:#176f2c}.bad{color:#b00020}</style></head>
<body>
<h1>${record.drill ? 'Failover drill' : 'Failover'} of ${escapeHtml(record.database)} (${escapeHtml(record.scenario)}): <span class="${ok ? 'ok' : 'bad'}">${escapeHtml(record.status)}</span></h1>
<p>${escapeHtml(record.summary)}</p>
<p>RTO: ${record.rtoSeconds === null ? 'not verified' : escapeHtml(formatDuration(record.rtoSeconds))} (objective ${escapeHtml(formatDuration(record.rtoObjectiveSeconds))}).
Data-loss window: ${record.dataLoss.seconds === null ? 'not known' : escapeHtml(formatDuration(record.dataLoss.seconds))}${record.dataLoss.from ? ` (from ${escapeHtml(record.dataLoss.from)})` : ''}: ${escapeHtml(record.dataLoss.note)}.
Approval: ${record.approval.required ? escapeHtml(record.approval.by ? `by ${record.approval.by} at ${record.approval.at}` : 'not given') : escapeHtml(`waived: ${record.approval.waiver ?? ''}`)}.</p>
<h2>Steps</h2><table>${rows(record.steps.map((s) => [s.step, s.at ?? '-', s.detail ?? '']))}</table>
<h2>Changes</h2><ol>${record.changes.map((c) => `<li>${escapeHtml(c)}</li>`).join('')}</ol>
<h2>Pre-checks</h2><table>${rows(record.checks.map((c) => [c.ok ? 'ok' : 'NOT OK', c.name, c.detail]))}</table>
<h2>Recovery sources considered</h2><table>${rows(record.considered.map((c) => [c.usable ? 'usable' : 'not usable', c.option, c.why]))}</table>
<h2>Verification</h2><table>${rows((record.verification?.checks ?? []).map((c) => [c.passed ? 'passed' : 'FAILED', c.name, c.detail]))}</table>
${record.error ? `<h2>Error</h2><p>${escapeHtml(`${record.error.step ?? ''}: ${record.error.error}: ${record.error.cause}`)}</p>` : ''}
<p>Execution: ${escapeHtml(record.execution)}</p>
</body></html>
`;
}
