import { GetMetricDataCommand, type MetricDatum, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  DescribeDBClustersCommand,
  DescribeDBInstanceAutomatedBackupsCommand,
  DescribeDBInstancesCommand,
  DescribeGlobalClustersCommand,
  StartDBInstanceAutomatedBackupsReplicationCommand,
} from '@aws-sdk/client-rds';
import { cloudwatch, rds } from '../commons/aws';
import { METRICS_NAMESPACE } from '../commons/contracts';
import { ContinuousProbeFailed } from '../commons/errors';
import { lifelineHandler, logger } from '../commons/handler';
import { env, now } from '../commons/runtime';
import {
  CONTINUOUS_ENV,
  CONTINUOUS_RPO_METRIC,
  type ContinuousDatabase,
  type ContinuousProbeInput,
  type ContinuousProbeOutput,
  type ContinuousRpoOfDatabase,
} from './contracts';
import {
  type LagPoint,
  MAX_LAG_POINT_AGE_SECONDS,
  type ReplicatedBackup,
  replicationOf,
  rpoFromLag,
  rpoFromRestorableTime,
} from './measure-rpo';

const databasesOf = (): ContinuousDatabase[] => JSON.parse(env(CONTINUOUS_ENV.databases)) as ContinuousDatabase[];
const errorText = (error: unknown) => `${(error as Error).name}: ${(error as Error).message}`;

/**
 * In the DR region, every few minutes: measures each continuously protected database's RPO as a restore here would
 * see it, and publishes it (`Lifeline/ContinuousRPO`, dimension `database`). Replicated automated backups: now minus
 * the latest restorable time here; replication found off is turned on again. A read replica: its `ReplicaLag`; a
 * global database: its secondary's `AuroraGlobalDBReplicationLag`. What cannot be measured publishes nothing, so the
 * RPO alarm (missing data breaches) fires; the output and the logs say why.
 */
export async function probeContinuous(_event: ContinuousProbeInput = {}): Promise<ContinuousProbeOutput> {
  const measuredAt = now();
  const databases: ContinuousRpoOfDatabase[] = [];
  const failures: string[] = [];
  for (const db of databasesOf()) {
    try {
      const found = await measure(db, measuredAt);
      if (found.rpoSeconds === undefined)
        logger.error('Could not measure the RPO of the database: publishing none, so its alarm fires', { ...found });
      databases.push(found);
    } catch (error) {
      logger.error('Could not look at the continuous protection of the database', {
        database: db.id,
        error: error as Error,
      });
      failures.push(`${db.id}: ${errorText(error)}`);
      databases.push({ database: db.id, mode: db.mode, problem: errorText(error) });
    }
  }
  const data: MetricDatum[] = databases.flatMap((d) =>
    d.rpoSeconds === undefined
      ? []
      : [
          {
            MetricName: CONTINUOUS_RPO_METRIC,
            Dimensions: [{ Name: 'database', Value: d.database }],
            Timestamp: measuredAt,
            Value: d.rpoSeconds,
            Unit: 'Seconds',
          },
        ],
  );
  for (let i = 0; i < data.length; i += 1000)
    await cloudwatch().send(
      new PutMetricDataCommand({ Namespace: METRICS_NAMESPACE, MetricData: data.slice(i, i + 1000) }),
    );
  logger.info('Published the measured RPO of the continuously protected databases', { databases });
  if (failures.length > 0)
    throw new ContinuousProbeFailed(`Could not look at the continuous protection of ${failures.join('; ')}`);
  return { measuredAt: measuredAt.toISOString(), databases };
}

function measure(db: ContinuousDatabase, at: Date): Promise<ContinuousRpoOfDatabase> {
  switch (db.mode) {
    case 'automated-backup-replication':
      return measureReplicatedBackups(db, at);
    case 'read-replica':
      return measureReadReplica(db, at);
    case 'global-database':
      return measureGlobalDatabase(db, at);
  }
}

/** The automated backups of `sourceArn` replicated into this region (every page). */
async function replicatedBackups(sourceArn: string): Promise<ReplicatedBackup[]> {
  const backups: ReplicatedBackup[] = [];
  let Marker: string | undefined;
  do {
    const page = await rds().send(
      new DescribeDBInstanceAutomatedBackupsCommand({
        Filters: [{ Name: 'db-instance-id', Values: [sourceArn] }],
        Marker,
      }),
    );
    for (const b of page.DBInstanceAutomatedBackups ?? [])
      backups.push({
        arn: b.DBInstanceAutomatedBackupsArn,
        sourceArn: b.DBInstanceArn,
        status: b.Status,
        latestRestorableTime: b.RestoreWindow?.LatestTime,
        earliestRestorableTime: b.RestoreWindow?.EarliestTime,
      });
    Marker = page.Marker;
  } while (Marker);
  return backups;
}

async function measureReplicatedBackups(
  db: Extract<ContinuousDatabase, { mode: 'automated-backup-replication' }>,
  at: Date,
): Promise<ContinuousRpoOfDatabase> {
  const base = { database: db.id, mode: db.mode } as const;
  const state = replicationOf(await replicatedBackups(db.sourceArn), db.sourceArn);
  // A retained backup still restores up to its latest time: the RPO is measured, and it grows until replication runs.
  const measured = state.newest?.latestRestorableTime
    ? {
        rpoSeconds: rpoFromRestorableTime(state.newest.latestRestorableTime, at),
        measuredFrom: state.newest.latestRestorableTime.toISOString(),
      }
    : {};
  if (state.on) {
    return state.newest
      ? { ...base, ...measured }
      : {
          ...base,
          problem: `replication of ${db.sourceArn} is on, but no point is restorable in ${env('AWS_REGION')} yet (the first backup is still being replicated)`,
        };
  }
  const started = await startReplication(db);
  return { ...base, ...measured, ...started };
}

/** Turns the replication of the source's automated backups into this region on, under the DR key; says what it did. */
async function startReplication(
  db: Extract<ContinuousDatabase, { mode: 'automated-backup-replication' }>,
): Promise<Pick<ContinuousRpoOfDatabase, 'problem' | 'replicationStarted'>> {
  const region = env('AWS_REGION');
  const primary = env(CONTINUOUS_ENV.primaryRegion);
  const source = await rds(primary)
    .send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: db.sourceArn }))
    .then((out) => out.DBInstances?.[0])
    .catch((error: Error) => error);
  if (source instanceof Error)
    return {
      problem: `replication of automated backups into ${region} is off, and the source ${db.sourceArn} cannot be read in ${primary} (${errorText(source)}): replication was not turned on again`,
    };
  if (!source) return { problem: `replication into ${region} is off, and the source ${db.sourceArn} does not exist` };
  if (!source.BackupRetentionPeriod)
    return {
      problem: `replication into ${region} is off, and ${db.sourceArn} keeps no automated backups (backup retention 0): set its backup retention period to at least 1 day; Lifeline then turns replication on`,
    };
  try {
    await rds().send(
      new StartDBInstanceAutomatedBackupsReplicationCommand({
        SourceDBInstanceArn: db.sourceArn,
        BackupRetentionPeriod: db.retentionDays,
        // An unencrypted source replicates unencrypted: RDS takes no key for it.
        KmsKeyId: source.StorageEncrypted ? env(CONTINUOUS_ENV.drKeyArn) : undefined,
      }),
    );
  } catch (error) {
    return {
      problem: `replication into ${region} is off, and turning it on failed: ${errorText(error)}`,
    };
  }
  logger.warn('Replication of automated backups was off: turned it on again', {
    database: db.id,
    source: db.sourceArn,
    retentionDays: db.retentionDays,
    encrypted: source.StorageEncrypted === true,
  });
  return {
    replicationStarted: true,
    problem: `replication into ${region} was off; Lifeline turned it on again (${db.retentionDays} days${source.StorageEncrypted ? ', under the DR key' : ', unencrypted like its source'})`,
  };
}

/** The newest data points of an AWS/RDS metric of one instance or cluster, in this region. */
async function lagPoints(metric: string, dimension: string, value: string, at: Date): Promise<LagPoint[]> {
  const out = await cloudwatch().send(
    new GetMetricDataCommand({
      StartTime: new Date(at.getTime() - MAX_LAG_POINT_AGE_SECONDS * 1000),
      EndTime: at,
      MetricDataQueries: [
        {
          Id: 'lag',
          MetricStat: {
            Metric: { Namespace: 'AWS/RDS', MetricName: metric, Dimensions: [{ Name: dimension, Value: value }] },
            Period: 60,
            Stat: 'Maximum',
          },
        },
      ],
    }),
  );
  const result = out.MetricDataResults?.[0];
  const times = result?.Timestamps ?? [];
  return (result?.Values ?? []).flatMap((v, i) => (times[i] ? [{ at: times[i] as Date, value: v }] : []));
}

async function measureReadReplica(
  db: Extract<ContinuousDatabase, { mode: 'read-replica' }>,
  at: Date,
): Promise<ContinuousRpoOfDatabase> {
  const base = { database: db.id, mode: db.mode } as const;
  const region = env('AWS_REGION');
  const replica = await rds()
    .send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: db.replica }))
    .then((out) => out.DBInstances?.[0])
    .catch((error: Error) => {
      if (error.name === 'DBInstanceNotFoundFault') return undefined;
      throw error;
    });
  if (!replica) return { ...base, problem: `the read replica ${db.replica} does not exist in ${region}` };
  // A replica promoted (by hand or a failover) replicates nothing any more: its lag would read as zero.
  if (replica.ReadReplicaSourceDBInstanceIdentifier !== db.sourceArn)
    return {
      ...base,
      problem: `${db.replica} in ${region} is not a read replica of ${db.sourceArn} (its source: ${replica.ReadReplicaSourceDBInstanceIdentifier ?? 'none, it is a standalone instance'})`,
    };
  const reading = rpoFromLag(
    await lagPoints('ReplicaLag', 'DBInstanceIdentifier', db.replica, at),
    at,
    'seconds',
    `ReplicaLag of ${db.replica}`,
  );
  const status =
    replica.DBInstanceStatus === 'available'
      ? {}
      : { problem: `the read replica ${db.replica} is ${replica.DBInstanceStatus}` };
  return 'problem' in reading
    ? { ...base, problem: [status.problem, reading.problem].filter(Boolean).join('; ') }
    : { ...base, ...status, rpoSeconds: reading.rpoSeconds, measuredFrom: reading.at.toISOString() };
}

async function measureGlobalDatabase(
  db: Extract<ContinuousDatabase, { mode: 'global-database' }>,
  at: Date,
): Promise<ContinuousRpoOfDatabase> {
  const base = { database: db.id, mode: db.mode } as const;
  const region = env('AWS_REGION');
  const global = await rds()
    .send(new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: db.globalCluster }))
    .then((out) => out.GlobalClusters?.[0])
    .catch((error: Error) => {
      if (error.name === 'GlobalClusterNotFoundFault') return undefined;
      throw error;
    });
  if (!global) return { ...base, problem: `the global database ${db.globalCluster} does not exist` };
  const member = global.GlobalClusterMembers?.find((m) => m.DBClusterArn?.endsWith(`:cluster:${db.secondaryCluster}`));
  if (!member)
    return { ...base, problem: `${db.secondaryCluster} is not a member of the global database ${db.globalCluster}` };
  // After a switchover or failover the secondary writes: nothing replicates into it, and its lag reads as nothing.
  if (member.IsWriter)
    return {
      ...base,
      problem: `${db.secondaryCluster} is the writer of ${db.globalCluster} now (switched or failed over): nothing replicates into ${region}`,
    };
  const cluster = await rds()
    .send(new DescribeDBClustersCommand({ DBClusterIdentifier: db.secondaryCluster }))
    .then((out) => out.DBClusters?.[0]);
  const status =
    cluster?.Status === 'available'
      ? {}
      : { problem: `the secondary cluster ${db.secondaryCluster} is ${cluster?.Status ?? 'not found'}` };
  const reading = rpoFromLag(
    await lagPoints('AuroraGlobalDBReplicationLag', 'DBClusterIdentifier', db.secondaryCluster, at),
    at,
    'milliseconds',
    `AuroraGlobalDBReplicationLag of ${db.secondaryCluster}`,
  );
  return 'problem' in reading
    ? { ...base, problem: [status.problem, reading.problem].filter(Boolean).join('; ') }
    : { ...base, ...status, rpoSeconds: reading.rpoSeconds, measuredFrom: reading.at.toISOString() };
}

export const handler = lifelineHandler(probeContinuous);
