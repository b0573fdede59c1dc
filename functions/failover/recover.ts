import {
  CopyDBClusterSnapshotCommand,
  CopyDBSnapshotCommand,
  CreateDBInstanceCommand,
  DescribeDBClusterSnapshotsCommand,
  FailoverGlobalClusterCommand,
  PromoteReadReplicaCommand,
  type RDSClient,
  RestoreDBClusterFromSnapshotCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
  RestoreDBInstanceToPointInTimeCommand,
} from '@aws-sdk/client-rds';
import { rds, rdsAs } from '../commons/aws';
import { ENV, MANAGED_BY, TAG } from '../commons/contracts';
import { NotReady } from '../commons/errors';
import { lifelineHandler, logger } from '../commons/handler';
import { describeSnapshot, shareSnapshot, tagList } from '../commons/rds-snapshots';
import { env, now } from '../commons/runtime';
import { describeInstance } from '../drill/drill-instances';
import { FAILOVER_DRILL_TAG, FAILOVER_ENV, type RecoverInput, type RecoveryStarted } from './contracts';
import { RecoveryFailed } from './errors';

/** Tags on what a failover restores: it is production now, so no drill tag (the sweeper never touches it). */
export const FAILOVER_TAG = 'lifeline:failover';

/**
 * Starts the recovery the pre-checks chose, in the DR region: promote the read replica, fail the global database
 * over (with data loss: its primary does not answer), or restore (a point in time, a DR copy, or the copy in this
 * account of a vault copy) as `<installation>-failover-<database>-<suffix>`. A retry finds its own restore.
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
        // A vault copy is restored from its copy in this account (NotReady until that copy is available).
        const snapshot = source.origin === 'vault' ? await copiedFromVault(plan, source, client) : source.snapshotId;
        if (entry.kind === 'cluster') {
          const from = source.origin === 'vault' ? snapshot : source.snapshotArn;
          const described = await client
            .send(new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: from }))
            .then((out) => out.DBClusterSnapshots?.[0]);
          await client
            .send(
              new RestoreDBClusterFromSnapshotCommand({
                DBClusterIdentifier: plan.targetId,
                SnapshotIdentifier: from,
                Engine: entry.engine,
                EngineVersion: described?.EngineVersion,
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
        // The target's name is this execution's own: an attempt retried after RDS took the first one finds it.
        const restored = await client
          .send(
            new RestoreDBInstanceFromDBSnapshotCommand({
              DBInstanceIdentifier: plan.targetId,
              DBSnapshotIdentifier: snapshot,
              ...replacement,
            }),
          )
          .then(
            () => true,
            (error: Error) => {
              if (error.name !== 'DBInstanceAlreadyExistsFault') throw error;
              return false;
            },
          );
        if (!restored) return started(`restore of ${snapshot} (found ${plan.targetId}, started by an earlier attempt)`);
        return started(
          `RestoreDBInstanceFromDBSnapshot ${snapshot}${snapshot === source.snapshotId ? '' : ` (the copy of vault copy ${source.snapshotId})`}`,
        );
      }
    }
  } catch (error) {
    const e = error as Error;
    if (e.name === 'ThrottlingException' || e.name === 'Throttling' || e instanceof NotReady) throw error;
    throw new RecoveryFailed(`RDS refused the recovery of ${plan.database} (${source.type}): ${e.name}: ${e.message}`, {
      cause: error,
    });
  }
}

type SnapshotSource = Extract<RecoverInput['precheck']['source'], { type: 'snapshot' }>;

/** What a copy of a vault copy ends in when RDS could not make it. */
const COPY_FAILED = new Set(['failed', 'incompatible-restore', 'inaccessible-encryption-credentials']);

/**
 * The copy in this account, under the DR key, of the vault copy the plan chose: its id once available, NotReady
 * until then. The vault's reader role shares the vault copy with this account; RDS copies it here (AWS requires a
 * key of the copying account for a copy of a shared encrypted snapshot), reading it under the vault key through a
 * grant the vault key's policy allows. The restored database then depends on the DR key only, not on the vault's.
 * The copy is named as the restore (`plan.targetId`) and tagged without a database, so no retention counts it.
 */
async function copiedFromVault(plan: RecoverInput['plan'], source: SnapshotSource, client: RDSClient): Promise<string> {
  const kind = plan.entry.kind;
  const id = plan.targetId;
  let copy = await describeSnapshot(client, kind, id);
  if (!copy) {
    const reader = rdsAs(env(FAILOVER_ENV.vaultReaderRoleArn), env('AWS_REGION'));
    await shareSnapshot(reader, kind, source.snapshotId, [env(FAILOVER_ENV.restoreAccount)]);
    const Tags = tagList({
      [TAG.managedBy]: MANAGED_BY,
      [TAG.installation]: env('LIFELINE_INSTALLATION'),
      [TAG.execution]: plan.execution,
      [FAILOVER_TAG]: plan.scenario,
    });
    const KmsKeyId = env(ENV.drKeyAlias);
    if (kind === 'cluster')
      await client.send(
        new CopyDBClusterSnapshotCommand({
          SourceDBClusterSnapshotIdentifier: source.snapshotArn,
          TargetDBClusterSnapshotIdentifier: id,
          KmsKeyId,
          Tags,
        }),
      );
    else
      await client.send(
        new CopyDBSnapshotCommand({
          SourceDBSnapshotIdentifier: source.snapshotArn,
          TargetDBSnapshotIdentifier: id,
          KmsKeyId,
          Tags,
        }),
      );
    logger.info('Copying the vault copy into this account', { vaultCopy: source.snapshotArn, copy: id });
    copy = await describeSnapshot(client, kind, id);
  }
  const status = copy?.status ?? 'missing';
  if (COPY_FAILED.has(status))
    throw new RecoveryFailed(`the copy ${id} of vault copy ${source.snapshotId} is ${status}: RDS could not copy it`);
  if (status !== 'available')
    throw new NotReady(`the copy ${id} of vault copy ${source.snapshotId} into this account is ${status}`);
  return id;
}

async function exists(client: RDSClient, id: string): Promise<boolean> {
  return (await describeInstance(client, id)) !== undefined;
}

export const handler = lifelineHandler(recover);
