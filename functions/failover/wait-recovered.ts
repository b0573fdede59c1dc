import { DescribeDBClustersCommand } from '@aws-sdk/client-rds';
import { rds } from '../commons/aws';
import { NotReady } from '../commons/errors';
import { lifelineHandler } from '../commons/handler';
import { env, now } from '../commons/runtime';
import { describeInstance } from '../drill/drill-instances';
import { formatDuration } from '../drill/verdict';
import type { RecoveredEndpoint, WaitRecoveredInput } from './contracts';
import { RecoveryFailed } from './errors';

const FAILED = new Set([
  'failed',
  'incompatible-restore',
  'incompatible-parameters',
  'incompatible-network',
  'storage-full',
  'inaccessible-encryption-credentials',
]);

/**
 * NotReady until the recovered database takes writes (a promoted replica no longer replicating, a restore available),
 * then the endpoint the record will name: the instance's, or for a cluster its writer endpoint.
 */
export async function waitRecovered({ plan, recovery }: WaitRecoveredInput): Promise<RecoveredEndpoint> {
  const client = rds(env('AWS_REGION'));
  const waited = formatDuration((now().getTime() - Date.parse(recovery.startedAt)) / 1000);
  const cluster = plan.entry.kind === 'cluster';
  const continuous = plan.entry.continuous;
  if (continuous?.mode === 'global-database' && recovery.instance === continuous.secondaryCluster) {
    const found = (await client.send(new DescribeDBClustersCommand({ DBClusterIdentifier: recovery.instance })))
      .DBClusters?.[0];
    const status = found?.Status ?? 'missing';
    if (FAILED.has(status) || status === 'missing')
      throw new RecoveryFailed(`${recovery.instance} is ${status}: the failover of ${plan.database} did not complete`);
    const writer = found?.DBClusterMembers?.some((m) => m.IsClusterWriter);
    if (status !== 'available' || !writer || !found?.Endpoint)
      throw new NotReady(`${recovery.instance} is ${status}${writer ? '' : ', no writer yet'} after ${waited}`);
    return { host: found.Endpoint, port: found.Port ?? 5432, availableAt: now().toISOString() };
  }
  const instance = await describeInstance(client, recovery.instance);
  const status = instance?.DBInstanceStatus ?? 'missing';
  if (FAILED.has(status) || status === 'missing')
    throw new RecoveryFailed(`${recovery.instance} is ${status}: RDS could not recover ${plan.database}`);
  const stillReplica = !!instance?.ReadReplicaSourceDBInstanceIdentifier;
  if (status !== 'available' || !instance?.Endpoint?.Address || stillReplica)
    throw new NotReady(
      `${recovery.instance} is ${status}${stillReplica ? ' and still a replica' : ''} after ${waited}`,
    );
  if (cluster) {
    const owner = instance.DBClusterIdentifier;
    const found = owner
      ? (await client.send(new DescribeDBClustersCommand({ DBClusterIdentifier: owner }))).DBClusters?.[0]
      : undefined;
    if (found?.Endpoint) return { host: found.Endpoint, port: found.Port ?? 5432, availableAt: now().toISOString() };
  }
  return {
    host: instance.Endpoint.Address,
    port: instance.Endpoint.Port ?? 5432,
    availableAt: now().toISOString(),
  };
}

export const handler = lifelineHandler(waitRecovered);
