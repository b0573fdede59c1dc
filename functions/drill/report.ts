import { PutObjectCommand } from '@aws-sdk/client-s3';
import { s3 } from '../commons/aws';
import { ENV } from '../commons/contracts';
import { causeText } from '../commons/failure-alert';
import { lifelineHandler, logger, metrics } from '../commons/handler';
import { env, now } from '../commons/runtime';
import { arnParts, executionLink, s3ObjectLink, snapshotLink } from './console-links';
import type { DrillPlan, DrillReport, ReportInput, ReportOutput, TimelineEntry } from './contracts';
import { historyRowOf } from './history';
import { historyKeys, recordHistory } from './record-history';
import { renderHtml } from './render-report';
import { judgeObjective } from './verdict';

/** Where a drill's report lives in the reports bucket, without the extension: dated by the drill's start. */
export const reportKey = (plan: Pick<DrillPlan, 'database' | 'startedAt' | 'drillId'>) =>
  `drills/${plan.database}/${plan.startedAt.slice(0, 10)}/${plan.drillId}`;

/**
 * Builds the drill's evidence, stores it as JSON and HTML in the locked reports bucket, adds it to the database's
 * drill history, emits metrics. Runs after the cleanup, so the report can say when the cleanup was done.
 */
export async function writeReport(input: ReportInput): Promise<ReportOutput> {
  const bucket = env(ENV.reportsBucket);
  const report = buildReport(input, now().toISOString(), bucket);
  const key = reportKey(input.plan);
  await s3().send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: `${key}.json`,
      Body: JSON.stringify(report, null, 2),
      ContentType: 'application/json',
      ChecksumAlgorithm: 'SHA256',
    }),
  );
  await s3().send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: `${key}.html`,
      Body: renderHtml(report),
      ContentType: 'text/html; charset=utf-8',
      ChecksumAlgorithm: 'SHA256',
    }),
  );
  // The history is a view of the reports: a failure to update it is said, and changes no verdict.
  const historyNotUpdated = await recordHistory(
    s3(),
    bucket,
    report.database,
    historyRowOf(report, { json: `${key}.json`, html: `${key}.html` }, report.links.report),
    report.timeZone,
  ).then(
    () => undefined,
    (error: Error) => {
      logger.error('The drill history was not updated', { error });
      return `${error.name}: ${error.message}`;
    },
  );
  metrics.addDimension('database', report.database);
  metrics.addMetric('DrillPassed', 'Count', report.status === 'passed' ? 1 : 0);
  // An objective nobody measured has no value to publish: a zero would read as "no data lost".
  if (report.rto.measured && report.rto.measuredSeconds !== null)
    metrics.addMetric('DrillRTO', 'Seconds', report.rto.measuredSeconds);
  if (report.rpo.measured && report.rpo.measuredSeconds !== null)
    metrics.addMetric('DrillRPO', 'Seconds', report.rpo.measuredSeconds);
  const subject = `Lifeline drill ${report.status === 'passed' ? 'passed' : 'FAILED'} for ${report.database}`;
  const location = {
    json: `s3://${bucket}/${key}.json`,
    html: `s3://${bucket}/${key}.html`,
    console: report.links.report ?? `s3://${bucket}/${key}.html`,
    history: `s3://${bucket}/${historyKeys(report.database).page}`,
  };
  const message = [
    report.summary,
    '',
    `Report: ${location.html}`,
    ...(report.links.report ? [`Open it in the console: ${report.links.report}`] : []),
    `History of ${report.database}: ${location.history}${historyNotUpdated ? ` (not updated by this drill: ${historyNotUpdated})` : ''}`,
    `Execution: ${report.links.execution}`,
  ].join('\n');
  return { report, location, subject, message, ...(historyNotUpdated ? { historyNotUpdated } : {}) };
}

/** The report of a drill from what its steps returned; `bucket` names where it is stored, for its console link. */
export function buildReport(input: ReportInput, finishedAt: string, bucket?: string): DrillReport {
  const { plan } = input;
  const verdict = input.checks?.verdict;
  const cleanup = input.cleanup ?? { deleted: [], leaked: [] };
  const failure = input.error
    ? `Drill of ${plan.database} failed at "${input.failedStep ?? 'unknown step'}": ${withoutPeriod(causeText(input.error.Cause))}.`
    : undefined;
  const leak = cleanup.leaked.length > 0 ? ` Cleanup left ${cleanup.leaked.join(', ')} behind.` : '';
  const passed = !failure && verdict?.status === 'passed' && cleanup.leaked.length === 0;
  const where = arnParts(plan.execution);
  const recoveryPoint = input.recoveryPoint ?? null;
  return {
    database: plan.database,
    status: passed ? 'passed' : 'failed',
    summary: `${failure ?? verdict?.summary ?? `Drill of ${plan.database} failed before its checks ran.`}${leak}`,
    recoveryPoint,
    rto: verdict?.rto ?? judgeObjective(null, plan.rtoSeconds, plan.waive?.rto),
    rpo: verdict?.rpo ?? judgeObjective(null, plan.rpoSeconds, plan.waive?.rpo),
    checks: input.checks?.results ?? [],
    cleanup,
    drillId: plan.drillId,
    execution: plan.execution,
    startedAt: plan.startedAt,
    finishedAt,
    account: where?.account ?? 'unknown (the execution ARN does not say)',
    region: where?.region ?? 'unknown (the execution ARN does not say)',
    source: { identifier: plan.identifier, kind: plan.kind },
    engine: plan.engine,
    engineVersion: input.endpoint?.engineVersion ?? recoveryPoint?.engineVersion ?? null,
    trigger: plan.trigger,
    timeline: timelineOf(input, finishedAt),
    timeZone: plan.timeZone ?? 'UTC',
    links: {
      execution: executionLink(plan.execution) ?? plan.execution,
      recoveryPoint: where && recoveryPoint ? snapshotLink(where, recoveryPoint, plan.kind, plan.engine) : null,
      report: where && bucket ? s3ObjectLink(where, bucket, `${reportKey(plan)}.html`) : null,
    },
  };
}

/** What the steps recorded, in order; a moment no step recorded stays null rather than being guessed. */
function timelineOf(input: ReportInput, finishedAt: string): TimelineEntry[] {
  return [
    { event: 'drill started', at: input.plan.startedAt, note: 'the execution started' },
    { event: 'restore started', at: input.restore?.restoreStartedAt ?? null },
    {
      event: 'database available',
      at: input.endpoint?.availableAt ?? null,
      note: 'when the wait first saw it available; it looks at intervals, so RDS may have finished a little earlier',
    },
    { event: 'first query answered', at: input.checks?.firstGoodQueryAt ?? null, note: 'the end of the measured RTO' },
    { event: 'cleanup done', at: input.cleanup?.finishedAt ?? null },
    { event: 'report written', at: finishedAt },
  ];
}

const withoutPeriod = (text: string) => text.replace(/[.\s]+$/, '');

export const handler = lifelineHandler(writeReport);
