import { DescribeDBClustersCommand, DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { rds, sfn } from '../commons/aws';
import { ENV, TAG } from '../commons/contracts';
import { lifelineHandler, logger } from '../commons/handler';
import { tagMap } from '../commons/rds-snapshots';
import { env } from '../commons/runtime';
import { FAILOVER_ENV, type FailoverDrillSweep, failoverDrillRecord } from './contracts';
import { deleteDrillCluster, deleteDrillInstance, deleteShadowRecord, isDrillCopy } from './drill-cleanup';

/** A swept copy: the database it was a drill of, and the endpoints its shadow record may name. */
interface Swept {
  readonly database: string | undefined;
  readonly endpoints: string[];
}

const hostOf = (value: string | undefined) => value?.replace(/\.$/, '').toLowerCase();

/**
 * The safety net for failover drills whose execution timed out or was stopped before its cleanup ran: deletes the
 * copies (`<installation>-failover-*`, tagged as a drill) whose execution is no longer running, and the database's
 * shadow record when it still names one of them (another drill of the database may be running on it otherwise).
 * Touches nothing without the drill tag, outside the name prefix, or of an execution that is not this installation's
 * failover; never the production record.
 */
export async function sweepDrills(): Promise<FailoverDrillSweep> {
  const client = rds();
  const installation = env(ENV.installation);
  const ended = executionEnded(installation);
  const swept = new Map<string, Swept>();
  const sweepable = async (id: string | undefined, tags: Record<string, string>) =>
    isDrillCopy(id, tags) && (await ended(tags[TAG.execution], id as string));

  let marker: string | undefined;
  do {
    const page = await client.send(new DescribeDBInstancesCommand({ Marker: marker }));
    for (const instance of page.DBInstances ?? []) {
      const id = instance.DBInstanceIdentifier as string;
      const tags = tagMap(instance.TagList);
      if (!(await sweepable(id, tags)) || !(await deleteDrillInstance(client, instance))) continue;
      swept.set(id, { database: tags[TAG.database], endpoints: [instance.Endpoint?.Address ?? ''] });
      const cluster = instance.DBClusterIdentifier;
      if (cluster && !swept.has(cluster)) await sweepCluster(cluster);
    }
    marker = page.Marker;
  } while (marker);
  // A cluster whose instance was never created (the execution stopped in between) has no instance to find it by.
  do {
    const page = await client.send(new DescribeDBClustersCommand({ Marker: marker }));
    for (const cluster of page.DBClusters ?? []) {
      const id = cluster.DBClusterIdentifier as string;
      if (!swept.has(id) && (await sweepable(id, tagMap(cluster.TagList)))) await sweepCluster(id);
    }
    marker = page.Marker;
  } while (marker);

  async function sweepCluster(id: string) {
    const cluster = await client.send(new DescribeDBClustersCommand({ DBClusterIdentifier: id })).then(
      (out) => out.DBClusters?.[0],
      (error: Error) => (error.name === 'DBClusterNotFoundFault' ? undefined : Promise.reject(error)),
    );
    if (!cluster || !(await sweepable(id, tagMap(cluster.TagList)))) return;
    if ((await deleteDrillCluster(client, id)).length === 0) return;
    const endpoints = [cluster.Endpoint ?? '', cluster.ReaderEndpoint ?? ''];
    swept.set(id, { database: tagMap(cluster.TagList)[TAG.database], endpoints });
  }

  const records = await sweepShadowRecords([...swept.values()]);
  if (swept.size > 0)
    logger.warn('Swept failover drill copies whose execution did not clean up', { swept: [...swept.keys()], records });
  return { swept: [...swept.keys()], records };
}

/** Deletes each database's shadow record when it names one of the swept copies; `name -> value` of those deleted. */
async function sweepShadowRecords(swept: Swept[]): Promise<Record<string, string>> {
  const hostedZoneId = env(FAILOVER_ENV.hostedZoneId);
  const recordName = env(FAILOVER_ENV.recordName);
  const records: Record<string, string> = {};
  for (const database of new Set(swept.flatMap((s) => (s.database ? [s.database] : [])))) {
    const endpoints = new Set(
      swept.filter((s) => s.database === database).flatMap((s) => s.endpoints.map(hostOf).filter(Boolean)),
    );
    const shadow = failoverDrillRecord(database, recordName);
    const value = await deleteShadowRecord(hostedZoneId, shadow, database, (v) => endpoints.has(hostOf(v)));
    if (value !== null) records[shadow] = value;
  }
  return records;
}

/**
 * Whether the execution a copy names has ended (an execution Step Functions no longer knows has ended too). A copy
 * that names no execution of this installation's failover workflow is never judged ended: it is kept, and said so.
 */
function executionEnded(installation: string) {
  const known = new Map<string, Promise<boolean>>();
  const ofFailover = new RegExp(`^arn:[\\w-]+:states:[\\w-]+:\\d{12}:execution:${installation}-failover:[^:]+$`);
  const describe = async (executionArn: string) => {
    try {
      const out = await sfn().send(new DescribeExecutionCommand({ executionArn }));
      return out.status !== 'RUNNING';
    } catch (error) {
      if ((error as Error).name === 'ExecutionDoesNotExist') return true;
      throw error;
    }
  };
  return async (executionArn: string | undefined, copy: string) => {
    if (!executionArn || !ofFailover.test(executionArn)) {
      logger.warn('Failover drill copy names no failover execution: kept', { copy, execution: executionArn ?? null });
      return false;
    }
    if (!known.has(executionArn)) known.set(executionArn, describe(executionArn));
    return known.get(executionArn) as Promise<boolean>;
  };
}

export const handler = lifelineHandler(sweepDrills);
