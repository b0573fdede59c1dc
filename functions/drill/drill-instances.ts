import {
  type DBInstance,
  DeleteDBClusterCommand,
  DeleteDBInstanceCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  type RDSClient,
} from '@aws-sdk/client-rds';
import { drillPrefix, TAG } from '../commons/contracts';
import { tagMap } from '../commons/rds-snapshots';

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

/** Only what a drill of `installation` made: named `<installation>-drill-*` and tagged as a drill. */
export function isDrillResource(id: string | undefined, tags: Record<string, string>, installation: string): boolean {
  return !!id && id.startsWith(drillPrefix(installation)) && tags[TAG.drill] !== undefined;
}

/**
 * Deletes a drill's instance (and cluster), if `installation`'s drill made it, without a final snapshot. Returns what is gone or going, and
 * what is still there afterwards.
 */
export async function deleteDrillResources(
  client: RDSClient,
  drillId: string,
  kind: 'instance' | 'cluster',
  installation: string,
): Promise<{ deleted: string[]; leaked: string[] }> {
  const deleted: string[] = [];
  const leaked: string[] = [];
  const instanceId = drillInstanceId(drillId, kind);
  const instance = await describeInstance(client, instanceId);
  if (instance && isDrillResource(instance.DBInstanceIdentifier, tagMap(instance.TagList), installation)) {
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
    if (cluster && isDrillResource(cluster.DBClusterIdentifier, tagMap(cluster.TagList), installation)) {
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
