import { DescribeDBClustersCommand, DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { rds } from '../commons/aws';
import { ENV, TAG } from '../commons/contracts';
import { lifelineHandler, logger } from '../commons/handler';
import { tagMap } from '../commons/rds-snapshots';
import { env, now } from '../commons/runtime';
import type { SweepOutput } from './contracts';
import { deleteDrillResources, isDrillResource } from './drill-instances';

/**
 * The safety net for drills whose execution was stopped before its cleanup ran: deletes drill instances
 * (and their clusters) whose drill timeout has passed. Touches nothing that is not tagged as a drill.
 */
export async function sweep(): Promise<SweepOutput> {
  const client = rds();
  const installation = env(ENV.installation);
  const swept = new Set<string>();
  const expired = (id: string | undefined, tagList: Parameters<typeof tagMap>[0]) => {
    const tags = tagMap(tagList);
    return isDrillResource(id, tags, installation) && Date.parse(tags[TAG.expires] ?? '') <= now().getTime();
  };
  let marker: string | undefined;
  do {
    const page = await client.send(new DescribeDBInstancesCommand({ Marker: marker }));
    for (const instance of page.DBInstances ?? []) {
      if (!expired(instance.DBInstanceIdentifier, instance.TagList)) continue;
      const cluster = instance.DBClusterIdentifier;
      const id = cluster ?? (instance.DBInstanceIdentifier as string);
      for (const gone of (await deleteDrillResources(client, id, cluster ? 'cluster' : 'instance', installation))
        .deleted)
        swept.add(gone);
    }
    marker = page.Marker;
  } while (marker);
  // A cluster whose instance was never created (the execution stopped in between) has no instance to find it by.
  do {
    const page = await client.send(new DescribeDBClustersCommand({ Marker: marker }));
    for (const cluster of page.DBClusters ?? []) {
      if (swept.has(cluster.DBClusterIdentifier ?? '') || !expired(cluster.DBClusterIdentifier, cluster.TagList))
        continue;
      for (const gone of (
        await deleteDrillResources(client, cluster.DBClusterIdentifier as string, 'cluster', installation)
      ).deleted)
        swept.add(gone);
    }
    marker = page.Marker;
  } while (marker);
  if (swept.size > 0) logger.warn('Swept drill resources whose execution did not clean up', { swept: [...swept] });
  return { swept: [...swept] };
}

export const handler = lifelineHandler(sweep);
