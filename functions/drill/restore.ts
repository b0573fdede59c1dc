import {
  CreateDBInstanceCommand,
  DescribeDBClusterSnapshotsCommand,
  RestoreDBClusterFromSnapshotCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
  RestoreDBInstanceToPointInTimeCommand,
} from '@aws-sdk/client-rds';
import { rds } from '../commons/aws';
import { ENV, MANAGED_BY, TAG } from '../commons/contracts';
import { RestoreFailed } from '../commons/errors';
import { lifelineHandler, logger } from '../commons/handler';
import { tagList } from '../commons/rds-snapshots';
import { env, now } from '../commons/runtime';
import type { RestoreInput, RestoreStarted } from './contracts';
import { describeInstance, drillInstanceId } from './drill-instances';

/**
 * Restores the recovery point into the isolated drill subnets: small, private, no deletion protection,
 * tagged as this execution's drill so cleanup and the sweeper find it. A re-run finds its own restore.
 */
export async function restore({ plan, recoveryPoint }: RestoreInput): Promise<RestoreStarted> {
  const client = rds();
  const restoreStartedAt = now().toISOString();
  const existing = await describeInstance(client, drillInstanceId(plan.drillId, plan.kind));
  if (existing) {
    logger.info('The drill instance exists already; waiting for it', { drillId: plan.drillId });
    return { drillId: plan.drillId, restoreStartedAt: existing.InstanceCreateTime?.toISOString() ?? restoreStartedAt };
  }
  const network = { DBSubnetGroupName: env(ENV.drillSubnetGroup), VpcSecurityGroupIds: [env(ENV.drillSecurityGroup)] };
  const Tags = tagList({
    [TAG.drill]: plan.database,
    [TAG.managedBy]: MANAGED_BY,
    [TAG.execution]: plan.execution,
    [TAG.expires]: new Date(Date.parse(restoreStartedAt) + plan.timeoutSeconds * 1000).toISOString(),
  });
  const instance = {
    DBInstanceClass: plan.instanceClass,
    PubliclyAccessible: false,
    DeletionProtection: false,
    MultiAZ: false,
    Tags,
  };
  if (plan.kind === 'cluster') {
    // Without EngineVersion RDS restores with the region's default version of the engine, which a snapshot of
    // another (older) version cannot be restored to: restore the version the snapshot was taken of.
    const snapshot = await client
      .send(new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: recoveryPoint.id }))
      .then((out) => out.DBClusterSnapshots?.[0]);
    if (!snapshot?.EngineVersion)
      throw new RestoreFailed(
        `Cannot restore ${plan.database}: cluster snapshot ${recoveryPoint.id} ${snapshot ? 'has no engine version' : 'was not found'} in ${env('AWS_REGION')}; check that the recovery point still exists`,
      );
    // A retry after the cluster was restored but before its instance was created (e.g. CreateDBInstance throttled)
    // finds the cluster of this execution and goes on to create the instance.
    await client
      .send(
        new RestoreDBClusterFromSnapshotCommand({
          DBClusterIdentifier: plan.drillId,
          SnapshotIdentifier: recoveryPoint.id,
          Engine: plan.engine,
          EngineVersion: snapshot.EngineVersion,
          DeletionProtection: false,
          Tags,
          ...network,
        }),
      )
      .catch((error: Error) => {
        if (error.name !== 'DBClusterAlreadyExistsFault') throw error;
      });
    await client.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: drillInstanceId(plan.drillId, 'cluster'),
        DBClusterIdentifier: plan.drillId,
        Engine: plan.engine,
        DBInstanceClass: plan.instanceClass,
        PubliclyAccessible: false,
        Tags,
      }),
    );
  } else if (recoveryPoint.type === 'point-in-time') {
    await client.send(
      new RestoreDBInstanceToPointInTimeCommand({
        TargetDBInstanceIdentifier: plan.drillId,
        SourceDBInstanceAutomatedBackupsArn: recoveryPoint.id.startsWith('arn:') ? recoveryPoint.id : undefined,
        SourceDBInstanceIdentifier: recoveryPoint.id.startsWith('arn:') ? undefined : recoveryPoint.id,
        RestoreTime: new Date(recoveryPoint.time),
        ...instance,
        ...network,
      }),
    );
  } else {
    await client.send(
      new RestoreDBInstanceFromDBSnapshotCommand({
        DBInstanceIdentifier: plan.drillId,
        DBSnapshotIdentifier: recoveryPoint.id,
        ...instance,
        ...network,
      }),
    );
  }
  return { drillId: plan.drillId, restoreStartedAt };
}

export const handler = lifelineHandler(restore);
