import {
  CreateDBInstanceCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBInstancesCommand,
  RestoreDBClusterFromSnapshotCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
  RestoreDBInstanceToPointInTimeCommand,
} from '@aws-sdk/client-rds';
import { describe, expect, it } from 'vitest';
import { RestoreFailed } from '../../../functions/commons/errors';
import type { DrillPlan, RecoveryPoint } from '../../../functions/drill/contracts';
import { restore } from '../../../functions/drill/restore';
import { at, awsError, clusterPlan, latestCopy, plan, rds, useDrillEnvironment } from './drill-fixtures';

useDrillEnvironment();

describe('restore', () => {
  const START = '2026-11-22T10:05:00.000Z';
  const drillTags = (p: DrillPlan) => [
    { Key: 'lifeline:drill', Value: p.database },
    { Key: 'lifeline:managed-by', Value: 'lifeline' },
    { Key: 'lifeline:execution', Value: p.execution },
    { Key: 'lifeline:expires', Value: '2026-11-22T12:05:00.000Z' },
  ];

  it('restores an instance snapshot into the drill subnets, private, deletable and tagged', async () => {
    // Prepare
    rds.on(DescribeDBInstancesCommand).rejects(awsError('DBInstanceNotFoundFault'));
    rds.on(RestoreDBInstanceFromDBSnapshotCommand).resolves({});
    // Act
    const out = await at(START, () => restore({ plan, recoveryPoint: latestCopy }));
    // Assess
    expect(out).toEqual({ drillId: plan.drillId, restoreStartedAt: START });
    const calls = rds.commandCalls(RestoreDBInstanceFromDBSnapshotCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]?.args[0].input;
    expect(input).toMatchObject({
      DBInstanceIdentifier: plan.drillId,
      DBSnapshotIdentifier: latestCopy.id,
      DBInstanceClass: 'db.t4g.micro',
      DBSubnetGroupName: 'lifeline-drill-subnets',
      VpcSecurityGroupIds: ['sg-0drill'],
      PubliclyAccessible: false,
      DeletionProtection: false,
    });
    expect(input?.Tags).toHaveLength(4);
    expect(input?.Tags).toEqual(expect.arrayContaining(drillTags(plan)));
    expect(rds.commandCalls(RestoreDBInstanceToPointInTimeCommand)).toHaveLength(0);
    expect(rds.commandCalls(RestoreDBClusterFromSnapshotCommand)).toHaveLength(0);
  });

  it('restores an Aurora cluster at its snapshot engine version, then creates the one instance the checks query', async () => {
    // Prepare
    rds.on(DescribeDBInstancesCommand).rejects(awsError('DBInstanceNotFoundFault'));
    rds.on(DescribeDBClusterSnapshotsCommand, { DBClusterSnapshotIdentifier: 'lifeline-shop-20261122t0200' }).resolves({
      DBClusterSnapshots: [{ DBClusterSnapshotIdentifier: 'lifeline-shop-20261122t0200', EngineVersion: '15.4' }],
    });
    rds.on(RestoreDBClusterFromSnapshotCommand).resolves({});
    rds.on(CreateDBInstanceCommand).resolves({});
    // Act
    const out = await at(START, () =>
      restore({ plan: clusterPlan, recoveryPoint: { ...latestCopy, id: 'lifeline-shop-20261122t0200' } }),
    );
    // Assess
    expect(out).toEqual({ drillId: clusterPlan.drillId, restoreStartedAt: START });
    expect(rds.commandCalls(DescribeDBInstancesCommand)[0]?.args[0].input).toEqual({
      DBInstanceIdentifier: `${clusterPlan.drillId}-1`,
    });
    const cluster = rds.commandCalls(RestoreDBClusterFromSnapshotCommand);
    expect(cluster).toHaveLength(1);
    expect(cluster[0]?.args[0].input).toMatchObject({
      DBClusterIdentifier: clusterPlan.drillId,
      SnapshotIdentifier: 'lifeline-shop-20261122t0200',
      Engine: 'aurora-postgresql',
      EngineVersion: '15.4',
      DBSubnetGroupName: 'lifeline-drill-subnets',
      VpcSecurityGroupIds: ['sg-0drill'],
      DeletionProtection: false,
    });
    expect(cluster[0]?.args[0].input.Tags).toEqual(expect.arrayContaining(drillTags(clusterPlan)));
    const instance = rds.commandCalls(CreateDBInstanceCommand);
    expect(instance).toHaveLength(1);
    expect(instance[0]?.args[0].input).toMatchObject({
      DBInstanceIdentifier: `${clusterPlan.drillId}-1`,
      DBClusterIdentifier: clusterPlan.drillId,
      Engine: 'aurora-postgresql',
      DBInstanceClass: 'db.t4g.micro',
      PubliclyAccessible: false,
    });
    expect(instance[0]?.args[0].input.Tags).toEqual(expect.arrayContaining(drillTags(clusterPlan)));
    const order = rds.calls().map((c) => c.args[0].constructor.name);
    expect(order.indexOf('RestoreDBClusterFromSnapshotCommand')).toBeLessThan(order.indexOf('CreateDBInstanceCommand'));
    expect(rds.commandCalls(RestoreDBInstanceFromDBSnapshotCommand)).toHaveLength(0);
  });

  it('a re-run after the cluster was restored but before its instance was created only creates the instance', async () => {
    // Prepare: the first attempt restored the cluster, then CreateDBInstance was throttled and the state retried.
    rds.on(DescribeDBInstancesCommand).rejects(awsError('DBInstanceNotFoundFault'));
    rds.on(DescribeDBClusterSnapshotsCommand).resolves({ DBClusterSnapshots: [{ EngineVersion: '15.4' }] });
    rds.on(RestoreDBClusterFromSnapshotCommand).rejects(awsError('DBClusterAlreadyExistsFault'));
    rds.on(CreateDBInstanceCommand).resolves({});
    // Act
    const out = await at(START, () => restore({ plan: clusterPlan, recoveryPoint: latestCopy }));
    // Assess
    expect(out.drillId).toBe(clusterPlan.drillId);
    expect(rds.commandCalls(CreateDBInstanceCommand)).toHaveLength(1);
  });

  it('restores no cluster from a snapshot it cannot find, and says which', async () => {
    // Prepare
    rds.on(DescribeDBInstancesCommand).rejects(awsError('DBInstanceNotFoundFault'));
    rds.on(DescribeDBClusterSnapshotsCommand).resolves({ DBClusterSnapshots: [] });
    // Act
    const run = at(START, () => restore({ plan: clusterPlan, recoveryPoint: latestCopy }));
    // Assess
    await expect(run).rejects.toThrow(RestoreFailed);
    await expect(run).rejects.toThrow(`cluster snapshot ${latestCopy.id} was not found`);
    expect(rds.commandCalls(RestoreDBClusterFromSnapshotCommand)).toHaveLength(0);
    expect(rds.commandCalls(CreateDBInstanceCommand)).toHaveLength(0);
  });

  it('restores a point in time from the automated backups ARN', async () => {
    // Prepare
    const point: RecoveryPoint = {
      type: 'point-in-time',
      id: 'arn:aws:rds:eu-west-1:123456789012:auto-backup:ab-orders',
      time: '2026-11-22T09:30:00.000Z',
    };
    rds.on(DescribeDBInstancesCommand).rejects(awsError('DBInstanceNotFoundFault'));
    rds.on(RestoreDBInstanceToPointInTimeCommand).resolves({});
    // Act
    const out = await at(START, () => restore({ plan, recoveryPoint: point }));
    // Assess
    expect(out).toEqual({ drillId: plan.drillId, restoreStartedAt: START });
    const calls = rds.commandCalls(RestoreDBInstanceToPointInTimeCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]?.args[0].input;
    expect(input).toMatchObject({
      TargetDBInstanceIdentifier: plan.drillId,
      SourceDBInstanceAutomatedBackupsArn: point.id,
      RestoreTime: new Date(point.time),
      DBSubnetGroupName: 'lifeline-drill-subnets',
      VpcSecurityGroupIds: ['sg-0drill'],
      PubliclyAccessible: false,
      DeletionProtection: false,
    });
    expect(input?.SourceDBInstanceIdentifier).toBeUndefined();
    expect(input?.Tags).toEqual(expect.arrayContaining(drillTags(plan)));
    expect(rds.commandCalls(RestoreDBInstanceFromDBSnapshotCommand)).toHaveLength(0);
  });

  it('a re-run finds the instance it restored and does not restore again', async () => {
    // Prepare
    const created = new Date('2026-11-22T10:01:00.000Z');
    rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: plan.drillId }).resolves({
      DBInstances: [{ DBInstanceIdentifier: plan.drillId, DBInstanceStatus: 'creating', InstanceCreateTime: created }],
    });
    // Act
    const out = await at(START, () => restore({ plan, recoveryPoint: latestCopy }));
    // Assess
    expect(out).toEqual({ drillId: plan.drillId, restoreStartedAt: created.toISOString() });
    expect(rds.commandCalls(RestoreDBInstanceFromDBSnapshotCommand)).toHaveLength(0);
    expect(rds.commandCalls(RestoreDBInstanceToPointInTimeCommand)).toHaveLength(0);
    expect(rds.commandCalls(RestoreDBClusterFromSnapshotCommand)).toHaveLength(0);
    expect(rds.commandCalls(CreateDBInstanceCommand)).toHaveLength(0);
  });
});
