import { rds } from '../commons/aws';
import { ENV } from '../commons/contracts';
import { lifelineHandler, logger, metrics } from '../commons/handler';
import { deleteSnapshot, listManualSnapshots } from '../commons/rds-snapshots';
import { env } from '../commons/runtime';
import type { PruneInput, PruneOutput } from './contracts';
import { planPrune } from './prune-plan';

/**
 * Lists the region's manual snapshots, keeps to those this installation made for this database, lets the
 * planner decide, deletes what it says.
 */
export async function prune(input: PruneInput): Promise<PruneOutput> {
  const client = rds(input.region);
  const snapshots = await listManualSnapshots(client, input.kind);
  const { retention: plan, transit } = planPrune(
    snapshots,
    { database: input.database, installation: env(ENV.installation), role: input.role, copyToDr: input.copyToDr },
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
