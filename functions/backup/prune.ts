import { rds } from '../commons/aws';
import { lifelineHandler, logger, metrics } from '../commons/handler';
import { deleteSnapshot, type Kind, listManualSnapshots } from '../commons/rds-snapshots';
import { TAG } from './contracts';
import { planRetention, type RecoveryPoint, type RetentionPolicy } from './plan-retention';
import { isTransitCopy, transitCopiesToDelete } from './vault-copy-plan';

export interface PruneInput {
  readonly database: string;
  readonly identifier: string;
  readonly kind: Kind;
  readonly region: string;
  /** 'source': the primary region, where a point may go only once its DR copy is verified. */
  readonly role: 'source' | 'copy';
  /** Whether the database's points are copied to the DR region at all. */
  readonly copyToDr: boolean;
  readonly retention: RetentionPolicy;
}

export interface PruneOutput {
  readonly region: string;
  readonly kept: number;
  readonly deleted: string[];
}

/** Lists the database's manual snapshots in one region, lets the planner decide, deletes what it says. */
export async function prune(input: PruneInput): Promise<PruneOutput> {
  const client = rds(input.region);
  const listed = (await listManualSnapshots(client, input.kind)).filter(
    (s) => s.tags[TAG.database] === input.database || (s.source === input.identifier && input.role === 'source'),
  );
  // Transit copies made to share a point with the vault are not recovery points; they go once the vault copy verifies.
  const snapshots = listed.filter((s) => !isTransitCopy(s.tags));
  const transit = input.role === 'source' ? transitCopiesToDelete(listed) : [];
  const points: RecoveryPoint[] = snapshots.map((s) => ({
    id: s.id,
    createdAt: s.tags[TAG.scheduledTime] ?? s.createdAt ?? new Date(0).toISOString(),
    managed: s.tags[TAG.managedBy] === 'lifeline' && s.id.startsWith('lifeline-'),
    status: s.status,
    verified: input.role === 'source' ? s.tags[TAG.verified] !== undefined : s.tags[TAG.verified] === 'copy-verified',
    copyVerified: input.role === 'source' && input.copyToDr ? s.tags[TAG.drCopy] === 'verified' : undefined,
  }));
  const plan = planRetention(points, input.retention);
  for (const doomed of plan.delete) {
    logger.info('Deleting a recovery point the retention policy no longer needs', {
      snapshotId: doomed.id,
      region: input.region,
    });
    await deleteSnapshot(client, input.kind, doomed.id);
  }
  for (const id of transit) {
    logger.info('Deleting a transit copy whose vault copy is verified', { snapshotId: id, region: input.region });
    await deleteSnapshot(client, input.kind, id);
  }
  metrics.addDimension('database', input.database);
  metrics.addMetric('RecoveryPointsPruned', 'Count', plan.delete.length);
  return { region: input.region, kept: plan.keep.length, deleted: [...plan.delete.map((d) => d.id), ...transit] };
}

export const handler = lifelineHandler(prune);
