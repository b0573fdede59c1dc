import { PublishCommand } from '@aws-sdk/client-sns';
import { sns } from '../commons/aws';
import { ENV } from '../commons/contracts';
import { lifelineHandler, logger, metrics } from '../commons/handler';
import { env, now } from '../commons/runtime';
import type { BackupRecord, RecordRunInput } from './contracts';

const seconds = (from?: string, to?: string) =>
  from && to ? Math.max(0, (Date.parse(to) - Date.parse(from)) / 1000) : undefined;

/** The run's evidence: a record in the execution output and logs, metrics, and a warning if the quota runs low. */
export async function recordRun(input: RecordRunInput): Promise<BackupRecord> {
  const finishedAt = now().toISOString();
  const record: BackupRecord = {
    database: input.database,
    snapshotId: input.snapshotId,
    execution: input.execution,
    startedAt: input.startedAt,
    finishedAt,
    snapshotSeconds: seconds(input.startedAt, input.snapshotCreatedAt),
    copySeconds: seconds(input.snapshotCreatedAt, input.copy?.verifiedAt),
    newestVerifiedCopyAgeSeconds: input.copy?.verifiedAt
      ? seconds(input.copy.createdAt ?? input.copy.verifiedAt, finishedAt)
      : undefined,
    vaultCopyArn: input.vault?.arn,
    vaultCopySeconds: seconds(input.snapshotCreatedAt, input.vault?.verifiedAt),
    pruned: Object.fromEntries(input.pruned.map((p) => [p.region, p.deleted])),
  };
  metrics.addDimension('database', input.database);
  metrics.addMetric('BackupSucceeded', 'Count', 1);
  if (record.snapshotSeconds !== undefined) metrics.addMetric('SnapshotDuration', 'Seconds', record.snapshotSeconds);
  if (record.copySeconds !== undefined) metrics.addMetric('CopyDuration', 'Seconds', record.copySeconds);
  if (record.vaultCopySeconds !== undefined) metrics.addMetric('VaultCopyDuration', 'Seconds', record.vaultCopySeconds);
  if (record.newestVerifiedCopyAgeSeconds !== undefined)
    metrics.addMetric('NewestVerifiedCopyAge', 'Seconds', record.newestVerifiedCopyAgeSeconds);
  logger.info('Backup recorded', { record });
  if (input.quotaWarning) {
    await sns().send(
      new PublishCommand({
        TopicArn: env(ENV.alertsTopicArn),
        Subject: 'Lifeline: manual snapshot quota running low',
        Message: input.quotaWarning,
      }),
    );
  }
  return record;
}

export const handler = lifelineHandler(recordRun);
