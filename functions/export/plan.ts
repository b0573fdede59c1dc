import { rds } from '../commons/aws';
import { ENV } from '../commons/contracts';
import { lifelineHandler, logger, metrics } from '../commons/handler';
import { listManualSnapshots } from '../commons/rds-snapshots';
import { env, now } from '../commons/runtime';
import { EVERY_DATABASE } from '../incidents/contracts';
import type { ExportPlan, ExportTarget, PlanExportsInput } from './contracts';
import { exportTasksOf } from './export-tasks';
import { exportTargetOf, settledPoints } from './plan-exports';

/**
 * Lists each database's manual snapshots in this region, lets the planner pick the settled monthly and yearly points
 * not yet exported, asks RDS which of them have export tasks already, and returns at most `maxExports`, oldest first.
 */
export async function planExports(input: PlanExportsInput): Promise<ExportPlan> {
  const installation = env(ENV.installation);
  const client = rds();
  const at = input.now ?? now().toISOString();
  const candidates: ExportTarget[] = [];
  for (const db of input.catalog) {
    if (input.database !== undefined && input.database !== EVERY_DATABASE && db.id !== input.database) continue;
    const snapshots = await listManualSnapshots(client, db.kind);
    for (const point of settledPoints(snapshots, db, installation, at)) {
      const target = exportTargetOf(point, db, await exportTasksOf(client, point.snapshot.arn));
      if (target) candidates.push(target);
    }
  }
  // Adopted exports first (they cost nothing new), then the oldest points.
  const ordered = [...candidates.filter((t) => !t.start), ...candidates.filter((t) => t.start)];
  const exports = ordered.slice(0, input.maxExports);
  const deferred = ordered.slice(input.maxExports).map((t) => t.snapshotId);
  if (deferred.length > 0)
    logger.info('More settled points than one run exports; the rest go in the next runs', { deferred });
  metrics.addMetric('ExportsPlanned', 'Count', exports.length);
  return { exports, deferred };
}

export const handler = lifelineHandler(planExports);
