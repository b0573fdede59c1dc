import { PutObjectCommand } from '@aws-sdk/client-s3';
import { PublishCommand } from '@aws-sdk/client-sns';
import { sns } from '../commons/aws';
import { ENV } from '../commons/contracts';
import { lifelineHandler, metrics } from '../commons/handler';
import { env, now, optionalEnv } from '../commons/runtime';
import { ALERT_ATTRIBUTE } from '../incidents/contracts';
import { tellIncidentSink } from '../incidents/tell';
import type { ReportVerificationInput, VerificationOutcome, VerificationPlan } from './contracts';
import { type DiffSummary, mergeSummaries, RTC_THRESHOLD_MS, verdictOf } from './inventory-diff';
import { readableKey } from './inventory-rows';
import { archiveS3, keysUnder, readJson } from './inventory-s3';
import { replicationAlerts } from './verification-alerts';

/**
 * Adds up the partitions' summaries, writes the report (JSON) to the reports bucket, and alerts through the alert
 * topic, tagged for the incident sink: one alert for discrepancies, one for replication later than the RTC threshold.
 */
export async function reportVerification({ plan, execution }: ReportVerificationInput): Promise<VerificationOutcome> {
  const s3 = archiveS3();
  const parts: DiffSummary[] = [];
  // One summary per partition, each with at most 20 samples per category: small, whatever the bucket's size.
  for await (const key of keysUnder(s3, plan.workBucket, `${plan.workPrefix}summaries/`))
    parts.push(await readJson<DiffSummary>(s3, plan.workBucket, key));
  if (parts.length !== plan.partitions)
    throw new Error(
      `${parts.length} of ${plan.partitions} partition summaries found under ${plan.workPrefix}summaries/`,
    );
  const summary = mergeSummaries(parts);
  const at = now();
  const verdict = verdictOf(summary, at.getTime(), RTC_THRESHOLD_MS);
  const status: VerificationOutcome['status'] =
    verdict.discrepancies && verdict.late
      ? 'discrepancies-and-late'
      : verdict.discrepancies
        ? 'discrepancies'
        : verdict.late
          ? 'late'
          : 'verified';
  const reports = optionalEnv(ENV.reportsBucket);
  const reportKey = `replication/${plan.bucket}/${plan.startedAt.slice(0, 10)}/${plan.runId}.json`;
  const report = buildReport(plan, summary, status, verdict.oldestUnreplicatedSeconds, at);
  const location = reports ? `s3://${reports}/${reportKey}` : 'not stored (no reports bucket)';
  if (reports)
    await s3.send(
      new PutObjectCommand({
        Bucket: reports,
        Key: reportKey,
        Body: JSON.stringify(report, null, 2),
        ContentType: 'application/json',
        ChecksumAlgorithm: 'SHA256',
      }),
    );
  const alerts = replicationAlerts(plan, summary, verdict, location);
  for (const alert of alerts)
    await sns().send(
      new PublishCommand({
        TopicArn: env(ENV.alertsTopicArn),
        Subject: alert.subject,
        Message: alert.message,
        MessageAttributes: {
          [ALERT_ATTRIBUTE.kind]: { DataType: 'String', StringValue: alert.kind },
          [ALERT_ATTRIBUTE.database]: { DataType: 'String', StringValue: plan.bucket },
          [ALERT_ATTRIBUTE.execution]: { DataType: 'String', StringValue: execution },
        },
      }),
    );
  // A completed run closes what it no longer finds (the incidents opened before it): the sink decides which.
  await tellIncidentSink(
    {
      bucketsVerified: [
        { bucket: plan.bucket, verifiedAt: at.toISOString(), discrepancies: verdict.discrepancies, late: verdict.late },
      ],
    },
    `the replication incidents of ${plan.bucket} stay open until resolved by hand`,
  );
  metrics.addDimension('bucket', plan.bucket);
  metrics.addMetric('ReplicationDiscrepancies', 'Count', summary.missing + summary.mismatched + summary.failed);
  if (verdict.oldestUnreplicatedSeconds !== undefined)
    metrics.addMetric('OldestUnreplicatedSeconds', 'Seconds', verdict.oldestUnreplicatedSeconds);
  return {
    bucket: plan.bucket,
    status,
    report: location,
    missing: summary.missing,
    mismatched: summary.mismatched,
    failed: summary.failed,
    pending: summary.pending,
    ...(verdict.oldestUnreplicatedSeconds !== undefined
      ? { oldestUnreplicatedSeconds: verdict.oldestUnreplicatedSeconds }
      : {}),
    alerted: alerts.map((a) => a.kind),
    // Without a reports bucket the report is the output.
    ...(reports ? {} : { details: report }),
  };
}

function buildReport(
  plan: VerificationPlan,
  summary: DiffSummary,
  status: VerificationOutcome['status'],
  oldestSeconds: number | undefined,
  at: Date,
) {
  const readable = (samples: DiffSummary['samples'][keyof DiffSummary['samples']]) =>
    samples.map((s) => ({ ...s, key: readableKey(s.key) }));
  return {
    bucket: plan.bucket,
    status,
    checkedAt: at.toISOString(),
    source: plan.source,
    replica: plan.replica,
    partitions: plan.partitions,
    rtcThresholdSeconds: RTC_THRESHOLD_MS / 1000,
    counts: {
      sourceVersions: summary.sourceRows,
      replicaVersions: summary.replicaRows,
      missing: summary.missing,
      mismatched: summary.mismatched,
      failed: summary.failed,
      pending: summary.pending,
      notYetListedInReplica: summary.tooNew,
      onlyInReplica: summary.replicaOnly,
    },
    oldestUnreplicated:
      summary.oldestUnreplicated === undefined
        ? null
        : { lastModified: new Date(summary.oldestUnreplicated).toISOString(), ageSeconds: oldestSeconds },
    samples: {
      missing: readable(summary.samples.missing),
      mismatched: readable(summary.samples.mismatched),
      failed: readable(summary.samples.failed),
      pending: readable(summary.samples.pending),
    },
  };
}

export const handler = lifelineHandler(reportVerification);
