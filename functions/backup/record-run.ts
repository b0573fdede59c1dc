import { PublishCommand } from '@aws-sdk/client-sns';
import { sns } from '../commons/aws';
import { lifelineHandler, logger, metrics } from '../commons/handler';
import { env, now } from '../commons/runtime';

export interface RecordRunInput {
  readonly database: string;
  readonly snapshotId: string;
  readonly execution: string;
  readonly startedAt: string;
  readonly snapshotCreatedAt?: string;
  /** The verified DR copy; empty when the database is not copied. */
  readonly copy?: { readonly verifiedAt?: string; readonly createdAt?: string } | null;
  /** The verified copy in the vault account; empty when the database has none. */
  readonly vault?: { readonly verifiedAt?: string; readonly arn?: string } | null;
  readonly quotaWarning?: string | null;
  readonly pruned: ReadonlyArray<{ readonly region: string; readonly deleted: readonly string[] }>;
}

export interface BackupRecord {
  readonly database: string;
  readonly snapshotId: string;
  readonly execution: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly snapshotSeconds?: number;
  readonly copySeconds?: number;
  readonly newestVerifiedCopyAgeSeconds?: number;
  readonly vaultCopyArn?: string;
  readonly vaultCopySeconds?: number;
  readonly pruned: Record<string, readonly string[]>;
}

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
        TopicArn: env('ALERTS_TOPIC_ARN'),
        Subject: 'Lifeline: manual snapshot quota running low',
        Message: input.quotaWarning,
      }),
    );
  }
  return record;
}

export const handler = lifelineHandler(recordRun);
