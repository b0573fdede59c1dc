import { PutObjectCommand } from '@aws-sdk/client-s3';
import { s3 } from '../commons/aws';
import { ENV } from '../commons/contracts';
import { causeText } from '../commons/failure-alert';
import { lifelineHandler, metrics } from '../commons/handler';
import { env, now } from '../commons/runtime';
import type { DrillReport, ReportInput, ReportOutput } from './contracts';
import { renderHtml } from './render-report';
import { judgeObjective } from './verdict';

/** Builds the drill's evidence, stores it as JSON and HTML in the locked reports bucket, emits metrics. */
export async function writeReport(input: ReportInput): Promise<ReportOutput> {
  const report = buildReport(input, now().toISOString());
  const bucket = env(ENV.reportsBucket);
  const key = `drills/${report.database}/${report.startedAt.slice(0, 10)}/${input.plan.drillId}`;
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
  metrics.addDimension('database', report.database);
  metrics.addMetric('DrillPassed', 'Count', report.status === 'passed' ? 1 : 0);
  // An objective nobody measured has no value to publish: a zero would read as "no data lost".
  if (report.rto.measured && report.rto.measuredSeconds !== null)
    metrics.addMetric('DrillRTO', 'Seconds', report.rto.measuredSeconds);
  if (report.rpo.measured && report.rpo.measuredSeconds !== null)
    metrics.addMetric('DrillRPO', 'Seconds', report.rpo.measuredSeconds);
  const subject = `Lifeline drill ${report.status === 'passed' ? 'passed' : 'FAILED'} for ${report.database}`;
  return { report, location: { json: `s3://${bucket}/${key}.json`, html: `s3://${bucket}/${key}.html` }, subject };
}

export function buildReport(input: ReportInput, finishedAt: string): DrillReport {
  const { plan } = input;
  const verdict = input.checks?.verdict;
  const cleanup = input.cleanup ?? { deleted: [], leaked: [] };
  const failure = input.error
    ? `Drill of ${plan.database} failed at "${input.failedStep ?? 'unknown step'}": ${withoutPeriod(causeText(input.error.Cause))}.`
    : undefined;
  const leak = cleanup.leaked.length > 0 ? ` Cleanup left ${cleanup.leaked.join(', ')} behind.` : '';
  const passed = !failure && verdict?.status === 'passed' && cleanup.leaked.length === 0;
  return {
    database: plan.database,
    status: passed ? 'passed' : 'failed',
    summary: `${failure ?? verdict?.summary ?? `Drill of ${plan.database} failed before its checks ran.`}${leak}`,
    recoveryPoint: input.recoveryPoint ?? null,
    rto: verdict?.rto ?? judgeObjective(null, plan.rtoSeconds, plan.waive?.rto),
    rpo: verdict?.rpo ?? judgeObjective(null, plan.rpoSeconds, plan.waive?.rpo),
    checks: input.checks?.results ?? [],
    cleanup,
    drillId: plan.drillId,
    execution: plan.execution,
    startedAt: plan.startedAt,
    finishedAt,
  };
}

const withoutPeriod = (text: string) => text.replace(/[.\s]+$/, '');

export const handler = lifelineHandler(writeReport);
