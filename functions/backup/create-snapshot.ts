import { rds } from '../commons/aws';
import { ENV, MANAGED_BY, TAG } from '../commons/contracts';
import { SnapshotFailed, SnapshotQuotaExceeded } from '../commons/errors';
import { lifelineHandler, logger, metrics } from '../commons/handler';
import { createSnapshot as create, describeSnapshot, listManualSnapshots } from '../commons/rds-snapshots';
import { env, optionalEnv } from '../commons/runtime';
import type { CreateSnapshotInput, CreateSnapshotOutput } from './contracts';

/** Share of the manual snapshot quota at which Lifeline starts to warn. */
export const QUOTA_WARNING_SHARE = 0.8;

/** Creates the run's snapshot, or finds the one an earlier attempt of the same run created. */
export async function createSnapshot(plan: CreateSnapshotInput): Promise<CreateSnapshotOutput> {
  const client = rds();
  const region = env('AWS_REGION');
  const limit = Number(optionalEnv(ENV.snapshotQuota) ?? 100);
  const existing = await describeSnapshot(client, plan.kind, plan.snapshotId);
  const used = (await listManualSnapshots(client, plan.kind)).length;
  const quota = { used, limit, warning: quotaWarning(used, limit, region) };
  if (existing) {
    if (existing.tags[TAG.managedBy] === undefined) {
      throw new SnapshotFailed(
        `A snapshot named ${plan.snapshotId} exists but was not made by Lifeline; not touching it`,
      );
    }
    const installation = env(ENV.installation);
    const owner = { installation: existing.tags[TAG.installation], database: existing.tags[TAG.database] };
    if (owner.installation !== installation || owner.database !== plan.database) {
      // Reusing it would claim another installation's (or database's) point as this run's recovery point.
      throw new SnapshotFailed(
        `A snapshot named ${plan.snapshotId} exists but is Lifeline installation "${owner.installation ?? '(none)'}"'s point of database "${owner.database ?? '(none)'}", not installation "${installation}"'s of "${plan.database}"; not touching it. Two installations back up the same database id in this account and region: give one of them another config name or database id`,
      );
    }
    logger.info('Reusing the snapshot of an earlier attempt', { snapshotId: plan.snapshotId });
    return { snapshotId: existing.id, arn: existing.arn, region, reused: true, quota };
  }
  if (used >= limit) {
    throw new SnapshotQuotaExceeded(
      `${region} holds ${used} manual ${plan.kind} snapshots, the quota is ${limit}: delete unneeded manual snapshots or raise the quota, then re-run`,
    );
  }
  const created = await create(client, plan.kind, plan.identifier, plan.snapshotId, {
    [TAG.managedBy]: MANAGED_BY,
    [TAG.database]: plan.database,
    [TAG.installation]: env(ENV.installation),
    [TAG.retention]: plan.retentionClasses.join('+'),
    [TAG.execution]: plan.execution,
    [TAG.scheduledTime]: plan.scheduledTime,
  }).catch((error: Error) => {
    // RDS's own refusal (the SDK names it SnapshotQuotaExceededFault) is the same finding as Lifeline's count.
    if (error.name !== 'SnapshotQuotaExceededFault') throw error;
    throw new SnapshotQuotaExceeded(
      `RDS refused another manual ${plan.kind} snapshot in ${region} (${error.message}): delete unneeded manual snapshots or raise the quota, then re-run`,
      { cause: error },
    );
  });
  metrics.addDimension('database', plan.database);
  metrics.addMetric('SnapshotQuotaUsedPercent', 'Percent', (100 * (used + 1)) / limit);
  if (quota.warning) logger.warn(quota.warning);
  return { snapshotId: created.id || plan.snapshotId, arn: created.arn, region, reused: false, quota };
}

function quotaWarning(used: number, limit: number, region: string): string | null {
  if (used + 1 < limit * QUOTA_WARNING_SHARE) return null;
  return `${region} is at ${used + 1} of ${limit} manual snapshots (${Math.round((100 * (used + 1)) / limit)} %); raise the quota before backups start to fail`;
}

export const handler = lifelineHandler(createSnapshot);
