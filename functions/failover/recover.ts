import {
  CreateDBInstanceCommand,
  DescribeDBClusterSnapshotsCommand,
  FailoverGlobalClusterCommand,
  PromoteReadReplicaCommand,
  type RDSClient,
  RestoreDBClusterFromSnapshotCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
  RestoreDBInstanceToPointInTimeCommand,
} from '@aws-sdk/client-rds';
import { rds } from '../commons/aws';
import { MANAGED_BY, TAG } from '../commons/contracts';
import { lifelineHandler, logger } from '../commons/handler';
import { tagList } from '../commons/rds-snapshots';
import { env, now } from '../commons/runtime';
import { describeInstance } from '../drill/drill-instances';
import { FAILOVER_DRILL_TAG, FAILOVER_ENV, type RecoverInput, type RecoveryStarted } from './contracts';
import { RecoveryFailed } from './errors';

/** Tags on what a failover restores: it is production now, so no drill tag (the sweeper never touches it). */
export const FAILOVER_TAG = 'lifeline:failover';

/**
 * Starts the recovery the pre-checks chose, in the DR region: promote the read replica, fail the global database
 * over (with data loss: its primary does not answer), or restore (a point in time, a DR copy, a vault copy shared
 * with this account) as `<installation>-failover-<database>-<suffix>`. A retry finds its own restore.
 */
export async function recover({ plan, precheck }: RecoverInput): Promise<RecoveryStarted> {
  const client = rds(env('AWS_REGION'));
  const startedAt = now().toISOString();
  const source = precheck.source;
  const { entry } = plan;
  const instance = precheck.targetInstance;
  const Tags = tagList({
    [TAG.managedBy]: MANAGED_BY,
    [TAG.database]: plan.database,
    [TAG.installation]: env('LIFELINE_INSTALLATION'),
    [TAG.execution]: plan.execution,
    [FAILOVER_TAG]: plan.scenario,
    // A drill's copy is temporary: tagged so that only the drill's cleanup may delete it.
    ...(plan.drill ? { [FAILOVER_DRILL_TAG]: plan.execution.split(':').pop() ?? plan.execution } : {}),
  });
  const network = {
    DBSubnetGroupName: env(FAILOVER_ENV.subnetGroup),
    VpcSecurityGroupIds: env(FAILOVER_ENV.securityGroups).split(',').filter(Boolean),
  };
  const replacement = {
    DBInstanceClass: entry.instanceClass,
    PubliclyAccessible: false,
    DeletionProtection: !plan.drill,
    MultiAZ: false,
    Tags,
    ...network,
  };
  const started = (action: string) => {
    logger.info('Recovery started', { database: plan.database, action, instance });
    return { startedAt, instance, action };
  };
  if (plan.drill && (source.type === 'promote-replica' || source.type === 'global-failover'))
    throw new RecoveryFailed(`a failover drill of ${plan.database} restores a copy; it never runs ${source.type}`);
  try {
    switch (source.type) {
      case 'promote-replica':
        await client.send(new PromoteReadReplicaCommand({ DBInstanceIdentifier: source.replica }));
        return started(`PromoteReadReplica ${source.replica}`);
      case 'global-failover':
        await client.send(
          new FailoverGlobalClusterCommand({
            GlobalClusterIdentifier: source.globalCluster,
            TargetDbClusterIdentifier: source.secondaryArn,
            AllowDataLoss: true,
          }),
        );
        return started(`FailoverGlobalCluster ${source.globalCluster} AllowDataLoss`);
      case 'point-in-time': {
        if (await exists(client, plan.targetId))
          return started(`RestoreDBInstanceToPointInTime (found ${plan.targetId})`);
        await rds(source.region).send(
          new RestoreDBInstanceToPointInTimeCommand({
            TargetDBInstanceIdentifier: plan.targetId,
            SourceDBInstanceAutomatedBackupsArn: source.automatedBackupsArn ?? undefined,
            SourceDBInstanceIdentifier: source.sourceIdentifier ?? undefined,
            ...(source.useLatest ? { UseLatestRestorableTime: true } : { RestoreTime: new Date(source.time) }),
            ...replacement,
          }),
        );
        return started(`RestoreDBInstanceToPointInTime ${source.useLatest ? 'latest' : source.time}`);
      }
      case 'snapshot': {
        if (await exists(client, instance)) return started(`restore of ${source.snapshotId} (found ${instance})`);
        if (entry.kind === 'cluster') {
          const snapshot = await client
            .send(new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: source.snapshotArn }))
            .then((out) => out.DBClusterSnapshots?.[0]);
          await client
            .send(
              new RestoreDBClusterFromSnapshotCommand({
                DBClusterIdentifier: plan.targetId,
                SnapshotIdentifier: source.snapshotArn,
                Engine: entry.engine,
                EngineVersion: snapshot?.EngineVersion,
                DeletionProtection: !plan.drill,
                Tags,
                ...network,
              }),
            )
            .catch((error: Error) => {
              if (error.name !== 'DBClusterAlreadyExistsFault') throw error;
            });
          await client.send(
            new CreateDBInstanceCommand({
              DBInstanceIdentifier: instance,
              DBClusterIdentifier: plan.targetId,
              Engine: entry.engine,
              DBInstanceClass: entry.instanceClass,
              PubliclyAccessible: false,
              Tags,
            }),
          );
          return started(`RestoreDBClusterFromSnapshot ${source.snapshotId}`);
        }
        await client.send(
          new RestoreDBInstanceFromDBSnapshotCommand({
            DBInstanceIdentifier: plan.targetId,
            // A vault copy is shared with this account: RDS restores it by its ARN.
            DBSnapshotIdentifier: source.origin === 'vault' ? source.snapshotArn : source.snapshotId,
            ...replacement,
          }),
        );
        return started(`RestoreDBInstanceFromDBSnapshot ${source.snapshotId}`);
      }
    }
  } catch (error) {
    const e = error as Error;
    if (e.name === 'ThrottlingException' || e.name === 'Throttling') throw error;
    throw new RecoveryFailed(`RDS refused the recovery of ${plan.database} (${source.type}): ${e.name}: ${e.message}`, {
      cause: error,
    });
  }
}

async function exists(client: RDSClient, id: string): Promise<boolean> {
  return (await describeInstance(client, id)) !== undefined;
}

export const handler = lifelineHandler(recover);
