import { rds } from '../commons/aws';
import { DrillTimedOut, NotReady, RestoreFailed } from '../commons/errors';
import { lifelineHandler } from '../commons/handler';
import { now } from '../commons/runtime';
import type { RestoredEndpoint, WaitRestoredInput } from './contracts';
import { describeInstance, drillInstanceId } from './drill-instances';
import { formatDuration } from './verdict';

const FAILED = new Set([
  'failed',
  'incompatible-restore',
  'incompatible-parameters',
  'incompatible-network',
  'storage-full',
  'inaccessible-encryption-credentials',
]);

/** NotReady until the restored instance is available, then its endpoint; a drill past its timeout fails here. */
export async function waitRestored({ plan, restore }: WaitRestoredInput): Promise<RestoredEndpoint> {
  const id = drillInstanceId(plan.drillId, plan.kind);
  const instance = await describeInstance(rds(), id);
  const status = instance?.DBInstanceStatus ?? 'missing';
  if (FAILED.has(status) || status === 'missing')
    throw new RestoreFailed(`${id} is ${status}: RDS could not restore ${plan.database}`);
  if (status === 'available' && instance?.Endpoint?.Address)
    return {
      host: instance.Endpoint.Address,
      port: instance.Endpoint.Port ?? 5432,
      availableAt: now().toISOString(),
      ...(instance.EngineVersion ? { engineVersion: instance.EngineVersion } : {}),
    };
  const waited = (now().getTime() - Date.parse(restore.restoreStartedAt)) / 1000;
  if (waited >= plan.timeoutSeconds) {
    throw new DrillTimedOut(
      `${id} did not become available within the drill timeout (${formatDuration(plan.timeoutSeconds)}); it was ${status}`,
    );
  }
  throw new NotReady(`${id} is ${status} after ${formatDuration(waited)}`);
}

export const handler = lifelineHandler(waitRestored);
