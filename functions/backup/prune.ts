import { rds } from '../commons/aws';
import { lifelineHandler, logger, metrics } from '../commons/handler';
import { deleteSnapshot, type Kind, listManualSnapshots } from '../commons/rds-snapshots';
import { env } from '../commons/runtime';
import { INSTALLATION_ENV } from './contracts';
import type { RetentionPolicy } from './plan-retention';
import { planPrune } from './prune-plan';

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

/**
 * Lists the region's manual snapshots, keeps to those this installation made for this database, lets the
 * planner decide, deletes what it says.
 */
export async function prune(input: PruneInput): Promise<PruneOutput> {
  const client = rds(input.region);
  const snapshots = await listManualSnapshots(client, input.kind);
  const { retention: plan, transit } = planPrune(
    snapshots,
    { database: input.database, installation: env(INSTALLATION_ENV), role: input.role, copyToDr: input.copyToDr },
    input.retention,
  );
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
