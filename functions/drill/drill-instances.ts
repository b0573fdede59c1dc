import {
  type DBInstance,
  DeleteDBClusterCommand,
  DeleteDBInstanceCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  type RDSClient,
} from '@aws-sdk/client-rds';
import { tagMap } from '../commons/rds-snapshots';
import { DRILL_PREFIX, DRILL_TAG } from './contracts';

/** The instance a drill queries: the restored instance, or the one instance added to a restored cluster. */
export const drillInstanceId = (drillId: string, kind: 'instance' | 'cluster') =>
  kind === 'cluster' ? `${drillId}-1` : drillId;

const NOT_FOUND = new Set([
  'DBInstanceNotFound',
  'DBInstanceNotFoundFault',
  'DBClusterNotFoundFault',
  'DBClusterNotFound',
]);
const isNotFound = (error: unknown) => NOT_FOUND.has((error as Error).name);

export async function describeInstance(client: RDSClient, id: string): Promise<DBInstance | undefined> {
  try {
    return (await client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances?.[0];
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** Only what a drill made: named lifeline-drill-* and tagged as a drill. */
export function isDrillResource(id: string | undefined, tags: Record<string, string>): boolean {
  return !!id && id.startsWith(DRILL_PREFIX) && tags[DRILL_TAG.drill] !== undefined;
}

/**
 * Deletes a drill's instance (and cluster) without a final snapshot. Returns what is gone or going, and
 * what is still there afterwards.
 */
export async function deleteDrillResources(
  client: RDSClient,
  drillId: string,
  kind: 'instance' | 'cluster',
): Promise<{ deleted: string[]; leaked: string[] }> {
  const deleted: string[] = [];
  const leaked: string[] = [];
  const instanceId = drillInstanceId(drillId, kind);
  const instance = await describeInstance(client, instanceId);
  if (instance && isDrillResource(instance.DBInstanceIdentifier, tagMap(instance.TagList))) {
    if (instance.DBInstanceStatus !== 'deleting') {
      await client
        .send(
          new DeleteDBInstanceCommand({
            DBInstanceIdentifier: instanceId,
            SkipFinalSnapshot: true,
            DeleteAutomatedBackups: true,
          }),
        )
        .catch((e) => {
          if (!isNotFound(e)) throw e;
        });
    }
    deleted.push(instanceId);
  }
  if (kind === 'cluster') {
    const cluster = await client.send(new DescribeDBClustersCommand({ DBClusterIdentifier: drillId })).then(
      (out) => out.DBClusters?.[0],
      (e) => (isNotFound(e) ? undefined : Promise.reject(e)),
    );
    if (cluster && isDrillResource(cluster.DBClusterIdentifier, tagMap(cluster.TagList))) {
      if (cluster.Status !== 'deleting')
        await client
          .send(new DeleteDBClusterCommand({ DBClusterIdentifier: drillId, SkipFinalSnapshot: true }))
          .catch((e) => {
            if (!isNotFound(e)) throw e;
          });
      deleted.push(drillId);
    }
  }
  const after = await describeInstance(client, instanceId);
  if (after && after.DBInstanceStatus !== 'deleting') leaked.push(instanceId);
  return { deleted, leaked };
}
