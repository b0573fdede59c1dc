import {
  type DBInstance,
  DeleteDBClusterCommand,
  DeleteDBInstanceCommand,
  DescribeDBClustersCommand,
  type RDSClient,
} from '@aws-sdk/client-rds';
import { ChangeResourceRecordSetsCommand, ListResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { rds } from '../commons/aws';
import { ENV } from '../commons/contracts';
import { InvalidInput } from '../commons/errors';
import { lifelineHandler, logger } from '../commons/handler';
import { tagMap } from '../commons/rds-snapshots';
import { env, now } from '../commons/runtime';
import { describeInstance } from '../drill/drill-instances';
import { route53 } from './aws';
import { FAILOVER_DRILL_TAG, type FailoverDrillCleanup, type FailoverDrillCleanupInput } from './contracts';

const NOT_FOUND = new Set(['DBInstanceNotFound', 'DBInstanceNotFoundFault', 'DBClusterNotFoundFault']);
const ignoreNotFound = (error: Error) => {
  if (!NOT_FOUND.has(error.name)) throw error;
};

/** Only what a failover drill of this installation restored: named `<installation>-failover-*`, tagged as a drill. */
export const isDrillCopy = (id: string | undefined, tags: Record<string, string>) =>
  !!id && id.startsWith(`${env(ENV.installation)}-failover-`) && tags[FAILOVER_DRILL_TAG] !== undefined;

/**
 * The end of every failover drill, passed, failed or broken: deletes the copy it restored (without a final snapshot)
 * and its shadow record. Whatever was never made is skipped; whatever is still there afterwards is reported.
 */
export async function drillCleanup({ plan }: FailoverDrillCleanupInput): Promise<FailoverDrillCleanup> {
  // Never the production record: only a drill's plan, whose record is its shadow record.
  if (!plan.drill || plan.settings.recordName !== plan.drill.shadowRecord)
    throw new InvalidInput(`the cleanup of a failover drill got a plan that is not a drill's (${plan.execution})`);
  const client = rds(env('AWS_REGION'));
  const cluster = plan.entry.kind === 'cluster';
  const instanceId = cluster ? `${plan.targetId}-1` : plan.targetId;
  const deleted: string[] = [];
  const instance = await describeInstance(client, instanceId);
  if (instance && (await deleteDrillInstance(client, instance))) deleted.push(instanceId);
  if (cluster) deleted.push(...(await deleteDrillCluster(client, plan.targetId)));
  const recordDeleted = await deleteShadowRecord(plan.settings.hostedZoneId, plan.settings.recordName, plan.database);
  const after = await describeInstance(client, instanceId);
  const leaked = after && after.DBInstanceStatus !== 'deleting' ? [instanceId] : [];
  if (leaked.length > 0) logger.error('Failover drill copy left behind', { leaked });
  logger.info('Failover drill cleaned up', { deleted, recordDeleted });
  return { finishedAt: now().toISOString(), deleted, leaked, recordDeleted };
}

/** Deletes a drill's copy instance (without a final snapshot); false when it is not a drill's copy. */
export async function deleteDrillInstance(client: RDSClient, instance: DBInstance): Promise<boolean> {
  if (!isDrillCopy(instance.DBInstanceIdentifier, tagMap(instance.TagList))) return false;
  if (instance.DBInstanceStatus !== 'deleting')
    await client
      .send(
        new DeleteDBInstanceCommand({
          DBInstanceIdentifier: instance.DBInstanceIdentifier,
          SkipFinalSnapshot: true,
          DeleteAutomatedBackups: true,
        }),
      )
      .catch(ignoreNotFound);
  return true;
}

/** Deletes a drill's copy cluster (without a final snapshot): `[id]`, or none when it is not there or not a drill's. */
export async function deleteDrillCluster(client: RDSClient, id: string): Promise<string[]> {
  const found = await client.send(new DescribeDBClustersCommand({ DBClusterIdentifier: id })).then(
    (out) => out.DBClusters?.[0],
    (error: Error) => (NOT_FOUND.has(error.name) ? undefined : Promise.reject(error)),
  );
  if (!found || !isDrillCopy(found.DBClusterIdentifier, tagMap(found.TagList))) return [];
  if (found.Status !== 'deleting')
    await client
      .send(new DeleteDBClusterCommand({ DBClusterIdentifier: id, SkipFinalSnapshot: true }))
      .catch(ignoreNotFound);
  return [id];
}

/**
 * Deletes the shadow record (Route 53 deletes only the exact set it holds), only when `when` accepts its value; the
 * value deleted, null when there was none (or it was kept).
 */
export async function deleteShadowRecord(
  hostedZoneId: string,
  recordName: string,
  database: string,
  when: (value: string) => boolean = () => true,
): Promise<string | null> {
  const name = `${recordName.replace(/\.$/, '')}.`;
  const out = await route53().send(
    new ListResourceRecordSetsCommand({
      HostedZoneId: hostedZoneId,
      StartRecordName: name,
      StartRecordType: 'CNAME',
      MaxItems: 1,
    }),
  );
  const set = (out.ResourceRecordSets ?? []).find((r) => r.Name === name && r.Type === 'CNAME');
  if (!set) return null;
  const value = set.ResourceRecords?.[0]?.Value?.replace(/\.$/, '') ?? '';
  if (!when(value)) return null;
  await route53().send(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: hostedZoneId,
      ChangeBatch: {
        Comment: `Lifeline failover drill of ${database}: cleanup`,
        Changes: [{ Action: 'DELETE', ResourceRecordSet: set }],
      },
    }),
  );
  return value;
}

export const handler = lifelineHandler(drillCleanup);
