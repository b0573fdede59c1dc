import { CloudWatchClient, GetMetricDataCommand, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  DescribeDBClustersCommand,
  DescribeDBInstanceAutomatedBackupsCommand,
  DescribeDBInstancesCommand,
  DescribeGlobalClustersCommand,
  RDSClient,
  StartDBInstanceAutomatedBackupsReplicationCommand,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ContinuousDatabase } from '../../functions/continuous/contracts';
import { replicationOf, rpoFromLag, rpoFromRestorableTime } from '../../functions/continuous/measure-rpo';
import { probeContinuous } from '../../functions/continuous/probe';

// moto has no automated-backup replication: the probe's calls are answered here, as RDS and CloudWatch document them.

const rds = mockClient(RDSClient);
const cloudwatch = mockClient(CloudWatchClient);
const NOW = new Date('2026-11-23T03:00:00.000Z');
const SOURCE = 'arn:aws:rds:eu-central-1:123456789012:db:orders-prod';
const DR_KEY = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const minutesAgo = (m: number) => new Date(NOW.getTime() - m * 60_000);

const replicated: ContinuousDatabase = {
  id: 'orders',
  mode: 'automated-backup-replication',
  sourceArn: SOURCE,
  retentionDays: 7,
};
const replica: ContinuousDatabase = {
  id: 'shop',
  mode: 'read-replica',
  sourceArn: 'arn:aws:rds:eu-central-1:123456789012:db:shop-prod',
  replica: 'shop-dr',
};
const global: ContinuousDatabase = {
  id: 'ledger',
  mode: 'global-database',
  globalCluster: 'ledger-global',
  secondaryCluster: 'ledger-dr',
};

function given(...databases: ContinuousDatabase[]) {
  process.env.CONTINUOUS_DATABASES = JSON.stringify(databases);
}
const backup = (status: string, latestMinutesAgo?: number) => ({
  DBInstanceAutomatedBackupsArn: `arn:aws:rds:eu-west-1:123456789012:auto-backup:ab-${status}`,
  DBInstanceArn: SOURCE,
  Region: 'eu-central-1',
  Status: status,
  ...(latestMinutesAgo === undefined
    ? {}
    : { RestoreWindow: { EarliestTime: minutesAgo(3 * 1440), LatestTime: minutesAgo(latestMinutesAgo) } }),
});
const lag = (value: number, minutes = 1) => ({
  MetricDataResults: [{ Id: 'lag', Timestamps: [minutesAgo(minutes)], Values: [value] }],
});
const published = () =>
  cloudwatch
    .commandCalls(PutMetricDataCommand)
    .flatMap((c) => c.args[0].input.MetricData ?? [])
    .map((d) => ({
      database: d.Dimensions?.[0]?.Value,
      name: d.MetricName,
      value: d.Value,
      unit: d.Unit,
    }));

beforeEach(() => {
  vi.useFakeTimers({ now: NOW, toFake: ['Date'] });
  process.env.AWS_REGION = 'eu-west-1';
  process.env.CONTINUOUS_PRIMARY_REGION = 'eu-central-1';
  process.env.CONTINUOUS_DR_KEY_ARN = DR_KEY;
  cloudwatch.on(PutMetricDataCommand).resolves({});
});
afterEach(() => {
  vi.useRealTimers();
  rds.reset();
  cloudwatch.reset();
});

describe('the continuous probe: replicated automated backups', () => {
  it('publishes now minus the latest restorable time in the DR region, and changes nothing', async () => {
    // Prepare
    given(replicated);
    rds
      .on(DescribeDBInstanceAutomatedBackupsCommand)
      .resolves({ DBInstanceAutomatedBackups: [backup('replicating', 7)] });
    // Act
    const out = await probeContinuous();
    // Assess
    expect(out.databases).toEqual([
      {
        database: 'orders',
        mode: 'automated-backup-replication',
        rpoSeconds: 420,
        measuredFrom: minutesAgo(7).toISOString(),
      },
    ]);
    expect(published()).toEqual([{ database: 'orders', name: 'ContinuousRPO', value: 420, unit: 'Seconds' }]);
    expect(cloudwatch.commandCalls(PutMetricDataCommand)[0]?.args[0].input.Namespace).toBe('Lifeline');
    // Only the source's backups are asked for, by its ARN.
    expect(rds.commandCalls(DescribeDBInstanceAutomatedBackupsCommand)[0]?.args[0].input).toEqual({
      Filters: [{ Name: 'db-instance-id', Values: [SOURCE] }],
    });
    expect(rds.commandCalls(StartDBInstanceAutomatedBackupsReplicationCommand)).toHaveLength(0);
  });

  it('turns replication on again under the DR key with the configured retention when it is off, and still measures the retained backup', async () => {
    // Prepare: replication stopped (the backup is retained, restorable up to 2 h ago); the source keeps backups.
    given(replicated);
    rds
      .on(DescribeDBInstanceAutomatedBackupsCommand)
      .resolves({ DBInstanceAutomatedBackups: [backup('retained', 120)] });
    rds
      .on(DescribeDBInstancesCommand)
      .resolves({ DBInstances: [{ BackupRetentionPeriod: 7, StorageEncrypted: true }] });
    rds.on(StartDBInstanceAutomatedBackupsReplicationCommand).resolves({});
    // Act
    const out = await probeContinuous();
    // Assess
    expect(rds.commandCalls(DescribeDBInstancesCommand)[0]?.args[0].input).toEqual({ DBInstanceIdentifier: SOURCE });
    expect(rds.commandCalls(StartDBInstanceAutomatedBackupsReplicationCommand).map((c) => c.args[0].input)).toEqual([
      { SourceDBInstanceArn: SOURCE, BackupRetentionPeriod: 7, KmsKeyId: DR_KEY },
    ]);
    expect(out.databases[0]).toMatchObject({ rpoSeconds: 7200, replicationStarted: true });
    expect(out.databases[0]?.problem).toContain('was off; Lifeline turned it on again (7 days, under the DR key)');
    // The RPO is the truth: 2 h, which the alarm compares with the objective.
    expect(published()).toEqual([{ database: 'orders', name: 'ContinuousRPO', value: 7200, unit: 'Seconds' }]);
  });

  it('names no key for an unencrypted source: RDS replicates it unencrypted', async () => {
    given(replicated);
    rds.on(DescribeDBInstanceAutomatedBackupsCommand).resolves({ DBInstanceAutomatedBackups: [] });
    rds
      .on(DescribeDBInstancesCommand)
      .resolves({ DBInstances: [{ BackupRetentionPeriod: 1, StorageEncrypted: false }] });
    rds.on(StartDBInstanceAutomatedBackupsReplicationCommand).resolves({});
    const out = await probeContinuous();
    expect(rds.commandCalls(StartDBInstanceAutomatedBackupsReplicationCommand)[0]?.args[0].input).toEqual({
      SourceDBInstanceArn: SOURCE,
      BackupRetentionPeriod: 7,
      KmsKeyId: undefined,
    });
    // Nothing is restorable yet: no data point, so the alarm (missing data breaches) fires until one is.
    expect(out.databases[0]?.rpoSeconds).toBeUndefined();
    expect(published()).toEqual([]);
  });

  it('does not try to replicate a source that keeps no automated backups, and says what to set', async () => {
    given(replicated);
    rds.on(DescribeDBInstanceAutomatedBackupsCommand).resolves({ DBInstanceAutomatedBackups: [] });
    rds
      .on(DescribeDBInstancesCommand)
      .resolves({ DBInstances: [{ BackupRetentionPeriod: 0, StorageEncrypted: true }] });
    const out = await probeContinuous();
    expect(rds.commandCalls(StartDBInstanceAutomatedBackupsReplicationCommand)).toHaveLength(0);
    expect(out.databases[0]?.problem).toBe(
      `replication into eu-west-1 is off, and ${SOURCE} keeps no automated backups (backup retention 0): set its backup retention period to at least 1 day; Lifeline then turns replication on`,
    );
    expect(published()).toEqual([]);
  });

  it('keeps measuring the retained backup when the primary region cannot be reached', async () => {
    given(replicated);
    rds
      .on(DescribeDBInstanceAutomatedBackupsCommand)
      .resolves({ DBInstanceAutomatedBackups: [backup('retained', 30)] });
    rds.on(DescribeDBInstancesCommand).rejects(Object.assign(new Error('connect ETIMEDOUT'), { name: 'TimeoutError' }));
    const out = await probeContinuous();
    expect(out.databases[0]).toMatchObject({ rpoSeconds: 1800 });
    expect(out.databases[0]?.problem).toContain('cannot be read in eu-central-1 (TimeoutError: connect ETIMEDOUT)');
    expect(published()).toEqual([{ database: 'orders', name: 'ContinuousRPO', value: 1800, unit: 'Seconds' }]);
  });

  it('reports a refused StartDBInstanceAutomatedBackupsReplication in words, and publishes nothing it did not measure', async () => {
    given(replicated);
    rds.on(DescribeDBInstanceAutomatedBackupsCommand).resolves({ DBInstanceAutomatedBackups: [] });
    rds
      .on(DescribeDBInstancesCommand)
      .resolves({ DBInstances: [{ BackupRetentionPeriod: 7, StorageEncrypted: true }] });
    rds
      .on(StartDBInstanceAutomatedBackupsReplicationCommand)
      .rejects(Object.assign(new Error('The KMS key is not accessible'), { name: 'KMSKeyNotAccessibleFault' }));
    const out = await probeContinuous();
    expect(out.databases[0]?.problem).toBe(
      'replication into eu-west-1 is off, and turning it on failed: KMSKeyNotAccessibleFault: The KMS key is not accessible',
    );
    expect(published()).toEqual([]);
  });
});

describe('the continuous probe: read replica and global database', () => {
  it("publishes a read replica's ReplicaLag in seconds, read from AWS/RDS in the DR region", async () => {
    given(replica);
    rds.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        {
          DBInstanceStatus: 'available',
          ReadReplicaSourceDBInstanceIdentifier: replica.mode === 'read-replica' ? replica.sourceArn : '',
        },
      ],
    });
    cloudwatch.on(GetMetricDataCommand).resolves(lag(12));
    const out = await probeContinuous();
    expect(out.databases[0]).toEqual({
      database: 'shop',
      mode: 'read-replica',
      rpoSeconds: 12,
      measuredFrom: minutesAgo(1).toISOString(),
    });
    const query = cloudwatch.commandCalls(GetMetricDataCommand)[0]?.args[0].input.MetricDataQueries?.[0]?.MetricStat;
    expect(query?.Metric).toEqual({
      Namespace: 'AWS/RDS',
      MetricName: 'ReplicaLag',
      Dimensions: [{ Name: 'DBInstanceIdentifier', Value: 'shop-dr' }],
    });
    expect(published()).toEqual([{ database: 'shop', name: 'ContinuousRPO', value: 12, unit: 'Seconds' }]);
  });

  it.each([
    ['promoted (no source any more)', { DBInstanceStatus: 'available' }, lag(0), 'is not a read replica of'],
    [
      'not replicating (ReplicaLag -1)',
      undefined,
      lag(-1),
      'ReplicaLag of shop-dr is -1: the replica does not replicate',
    ],
    ['silent for 15 minutes', undefined, lag(3, 15), 'more than 10 minutes ago'],
    ['without data', undefined, { MetricDataResults: [{ Id: 'lag', Timestamps: [], Values: [] }] }, 'reported no data'],
  ])('measures nothing for a read replica %s, and says why', async (_case, instance, metric, problem) => {
    given(replica);
    rds.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        instance ?? {
          DBInstanceStatus: 'available',
          ReadReplicaSourceDBInstanceIdentifier: 'arn:aws:rds:eu-central-1:123456789012:db:shop-prod',
        },
      ],
    });
    cloudwatch.on(GetMetricDataCommand).resolves(metric);
    const out = await probeContinuous();
    expect(out.databases[0]?.rpoSeconds).toBeUndefined();
    expect(out.databases[0]?.problem).toContain(problem);
    expect(published()).toEqual([]);
  });

  it("publishes a global database's AuroraGlobalDBReplicationLag, from milliseconds to seconds", async () => {
    given(global);
    rds.on(DescribeGlobalClustersCommand).resolves({
      GlobalClusters: [
        {
          GlobalClusterMembers: [
            { DBClusterArn: 'arn:aws:rds:eu-central-1:123456789012:cluster:ledger-aurora', IsWriter: true },
            { DBClusterArn: 'arn:aws:rds:eu-west-1:123456789012:cluster:ledger-dr', IsWriter: false },
          ],
        },
      ],
    });
    rds.on(DescribeDBClustersCommand).resolves({ DBClusters: [{ Status: 'available' }] });
    cloudwatch.on(GetMetricDataCommand).resolves(lag(850));
    const out = await probeContinuous();
    expect(out.databases[0]).toMatchObject({ database: 'ledger', rpoSeconds: 0.85 });
    const query = cloudwatch.commandCalls(GetMetricDataCommand)[0]?.args[0].input.MetricDataQueries?.[0]?.MetricStat;
    expect(query?.Metric?.MetricName).toBe('AuroraGlobalDBReplicationLag');
    expect(query?.Metric?.Dimensions).toEqual([{ Name: 'DBClusterIdentifier', Value: 'ledger-dr' }]);
    expect(published()).toEqual([{ database: 'ledger', name: 'ContinuousRPO', value: 0.85, unit: 'Seconds' }]);
  });

  it('measures nothing when the secondary writes (switched or failed over)', async () => {
    given(global);
    rds.on(DescribeGlobalClustersCommand).resolves({
      GlobalClusters: [
        {
          GlobalClusterMembers: [
            { DBClusterArn: 'arn:aws:rds:eu-west-1:123456789012:cluster:ledger-dr', IsWriter: true },
          ],
        },
      ],
    });
    const out = await probeContinuous();
    expect(out.databases[0]?.problem).toContain('is the writer of ledger-global now');
    expect(cloudwatch.commandCalls(GetMetricDataCommand)).toHaveLength(0);
    expect(published()).toEqual([]);
  });

  it('measures the others when one database cannot be read, then fails naming it', async () => {
    // Prepare
    given(replicated, global);
    rds
      .on(DescribeDBInstanceAutomatedBackupsCommand)
      .resolves({ DBInstanceAutomatedBackups: [backup('replicating', 5)] });
    rds.on(DescribeGlobalClustersCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));
    // Act
    const run = probeContinuous();
    // Assess
    await expect(run).rejects.toThrow(
      'Could not look at the continuous protection of ledger: Throttling: Rate exceeded',
    );
    expect(published()).toEqual([{ database: 'orders', name: 'ContinuousRPO', value: 300, unit: 'Seconds' }]);
  });
});

describe('what the probe decides', () => {
  it('finds replication on from a replicating backup of the source, and the newest restorable point of any of them', () => {
    const at = (m: number) => minutesAgo(m);
    const state = replicationOf(
      [
        { sourceArn: SOURCE, status: 'retained', latestRestorableTime: at(60) },
        { sourceArn: SOURCE, status: 'replicating', latestRestorableTime: at(4) },
        {
          sourceArn: 'arn:aws:rds:eu-central-1:123456789012:db:other',
          status: 'replicating',
          latestRestorableTime: at(1),
        },
      ],
      SOURCE,
    );
    expect(state.on).toBe(true);
    expect(state.newest?.latestRestorableTime).toEqual(at(4));
    expect(replicationOf([{ sourceArn: SOURCE, status: 'retained' }], SOURCE)).toEqual({ on: false });
  });

  it('never measures a negative RPO, and rounds a lag to milliseconds', () => {
    expect(rpoFromRestorableTime(new Date(NOW.getTime() + 2000), NOW)).toBe(0);
    expect(rpoFromLag([{ at: minutesAgo(1), value: 1234.5678 }], NOW, 'milliseconds', 'm')).toEqual({
      rpoSeconds: 1.235,
      at: minutesAgo(1),
    });
  });
});
