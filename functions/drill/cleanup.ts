import { rds } from '../commons/aws';
import { ENV } from '../commons/contracts';
import { lifelineHandler, logger } from '../commons/handler';
import { env, now } from '../commons/runtime';
import type { CleanupInput, CleanupOutcome } from './contracts';
import { deleteDrillResources } from './drill-instances';

/** Deletes this drill's temporary database in every outcome; reports what is gone and what is left. */
export async function cleanup(plan: CleanupInput): Promise<CleanupOutcome> {
  const outcome = await deleteDrillResources(rds(), plan.drillId, plan.kind, env(ENV.installation));
  if (outcome.leaked.length > 0) logger.error('Drill resources left behind', { leaked: outcome.leaked });
  return { ...outcome, finishedAt: now().toISOString() };
}

export const handler = lifelineHandler(cleanup);
