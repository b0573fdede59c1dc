import { DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { rds } from '../commons/aws';
import { lifelineHandler, logger } from '../commons/handler';
import { tagMap } from '../commons/rds-snapshots';
import { now } from '../commons/runtime';
import { DRILL_TAG } from './contracts';
import { deleteDrillResources, isDrillResource } from './drill-instances';

/**
 * The safety net for drills whose execution was stopped before its cleanup ran: deletes drill instances
 * (and their clusters) whose drill timeout has passed. Touches nothing that is not tagged as a drill.
 */
export async function sweep(): Promise<{ readonly swept: string[] }> {
  const client = rds();
  const swept: string[] = [];
  let marker: string | undefined;
  do {
    const page = await client.send(new DescribeDBInstancesCommand({ Marker: marker }));
    for (const instance of page.DBInstances ?? []) {
      const tags = tagMap(instance.TagList);
      const expires = Date.parse(tags[DRILL_TAG.expires] ?? '');
      if (!isDrillResource(instance.DBInstanceIdentifier, tags) || !(expires <= now().getTime())) continue;
      const cluster = instance.DBClusterIdentifier;
      const outcome = await deleteDrillResources(
        client,
        cluster ?? (instance.DBInstanceIdentifier as string),
        cluster ? 'cluster' : 'instance',
      );
      swept.push(...outcome.deleted);
    }
    marker = page.Marker;
  } while (marker);
  if (swept.length > 0) logger.warn('Swept drill resources whose execution did not clean up', { swept });
  return { swept };
}

export const handler = lifelineHandler(sweep);
