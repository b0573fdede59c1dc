/** What replication verification tells an on-call person, and under which incident kind. No SDK here. */
import type { VerificationPlan } from './contracts';
import type { DiffSummary, Verdict } from './inventory-diff';
import { RTC_THRESHOLD_MS } from './inventory-diff';
import { readableKey } from './inventory-rows';

export interface ReplicationAlert {
  readonly kind: 'replication-discrepancy' | 'replication-late';
  readonly subject: string;
  readonly message: string;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function duration(seconds: number): string {
  if (seconds < 3600) return `${Math.round(seconds / 60)} minutes`;
  if (seconds < 172_800) return `${(seconds / 3600).toFixed(1)} hours`;
  return `${Math.round(seconds / 86_400)} days`;
}

export function replicationAlerts(
  plan: VerificationPlan,
  summary: DiffSummary,
  verdict: Verdict,
  report: string,
): ReplicationAlert[] {
  const alerts: ReplicationAlert[] = [];
  const compared = `Compared the inventory of ${plan.source.bucket} (listed ${plan.source.listedAt}) with its replica ${plan.replica.bucket} (listed ${plan.replica.listedAt}): ${plural(summary.sourceRows, 'version')}.`;
  if (verdict.discrepancies) {
    const parts = [
      summary.missing > 0 ? `${plural(summary.missing, 'version')} missing in the replica` : undefined,
      summary.mismatched > 0 ? `${plural(summary.mismatched, 'version')} different in the replica` : undefined,
      summary.failed > 0 ? `${plural(summary.failed, 'version')} whose replication FAILED` : undefined,
    ].filter(Boolean);
    const sample = (label: string, samples: DiffSummary['samples']['missing']) =>
      samples.length === 0
        ? []
        : [
            `${label}:`,
            ...samples
              .slice(0, 5)
              .map((s) => `- ${readableKey(s.key)} (version ${s.versionId})${s.detail ? `: ${s.detail}` : ''}`),
          ];
    alerts.push({
      kind: 'replication-discrepancy',
      subject: `Lifeline replication of ${plan.bucket}: ${[
        summary.missing > 0 ? `${summary.missing} missing` : undefined,
        summary.mismatched > 0 ? `${summary.mismatched} different` : undefined,
        summary.failed > 0 ? `${summary.failed} failed` : undefined,
      ]
        .filter(Boolean)
        .join(', ')} in the replica`.slice(0, 99),
      message: [
        `The DR replica of bucket "${plan.bucket}" is not a copy of it: ${parts.join(', ')}.`,
        compared,
        ...sample('Missing', summary.samples.missing),
        ...sample('Different', summary.samples.mismatched),
        ...sample('Failed', summary.samples.failed),
        `Report: ${report}`,
        `What to do first: check the replication rule and the replication role of ${plan.source.bucket} (a KMS or IAM denial fails replication), then replicate the listed versions again with S3 Batch Replication; a version different in the replica was changed there, which only a person with access to ${plan.replica.bucket} can do.`,
      ].join('\n'),
    });
  }
  if (verdict.late && verdict.oldestUnreplicatedSeconds !== undefined) {
    const oldest = summary.oldestUnreplicated === undefined ? '' : new Date(summary.oldestUnreplicated).toISOString();
    alerts.push({
      kind: 'replication-late',
      subject:
        `Lifeline replication of ${plan.bucket} is late: a version has waited ${duration(verdict.oldestUnreplicatedSeconds)}`.slice(
          0,
          99,
        ),
      message: [
        `A version of bucket "${plan.bucket}" written ${oldest} has not reached the DR replica after ${duration(verdict.oldestUnreplicatedSeconds)}, beyond Replication Time Control's ${RTC_THRESHOLD_MS / 60_000} minutes (${plural(summary.pending, 'version')} pending, ${summary.failed} failed, ${summary.missing} missing).`,
        compared,
        `Report: ${report}`,
        `What to do first: look at the bucket's replication metrics (OperationsPendingReplication, ReplicationLatency) in CloudWatch and the AWS Health Dashboard for S3 in both regions; data written since then is not in the DR region yet.`,
      ].join('\n'),
    });
  }
  return alerts;
}
