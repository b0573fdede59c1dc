import {
  DeleteDBClusterCommand,
  DeleteDBInstanceCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
} from '@aws-sdk/client-rds';
import { describe, expect, it } from 'vitest';
import { sweep } from '../../../functions/drill/sweep';
import { at, clusterPlan, rds, tags, useDrillEnvironment } from './drill-fixtures';

useDrillEnvironment();

describe('sweep', () => {
  const NOW = '2026-11-22T12:00:00.000Z';
  const drillTags = (database: string, expires: string) =>
    tags({ 'lifeline:drill': database, 'lifeline:managed-by': 'lifeline', 'lifeline:expires': expires });
  const expired = {
    DBInstanceIdentifier: 'lifeline-drill-orders-00000001',
    DBInstanceStatus: 'available',
    TagList: drillTags('orders', '2026-11-22T11:00:00.000Z'),
  };
  const running = {
    DBInstanceIdentifier: 'lifeline-drill-orders-00000002',
    DBInstanceStatus: 'available',
    TagList: drillTags('orders', '2026-11-22T13:00:00.000Z'),
  };
  const production = {
    DBInstanceIdentifier: 'orders-prod',
    DBInstanceStatus: 'available',
    TagList: tags({ 'lifeline:expires': '2026-11-22T11:00:00.000Z' }),
  };
  const untagged = {
    DBInstanceIdentifier: 'lifeline-drill-handmade',
    DBInstanceStatus: 'available',
    TagList: tags({ 'lifeline:expires': '2026-11-22T11:00:00.000Z' }),
  };

  it('deletes expired drill instances, on every page, and leaves the rest alone', async () => {
    // Prepare
    const expiredToo = { ...expired, DBInstanceIdentifier: 'lifeline-drill-orders-00000003' };
    rds
      .on(DescribeDBInstancesCommand)
      .resolvesOnce({ DBInstances: [expired, running, production], Marker: 'page-2' })
      .resolves({ DBInstances: [untagged, expiredToo] });
    // Every instance answers a lookup by its id, so a wrong deletion would be attempted and seen.
    for (const instance of [running, production, untagged])
      rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: instance.DBInstanceIdentifier }).resolves({
        DBInstances: [instance],
      });
    for (const instance of [expired, expiredToo])
      rds
        .on(DescribeDBInstancesCommand, { DBInstanceIdentifier: instance.DBInstanceIdentifier })
        .resolvesOnce({ DBInstances: [instance] })
        .resolves({ DBInstances: [{ ...instance, DBInstanceStatus: 'deleting' }] });
    rds.on(DeleteDBInstanceCommand).resolves({});
    rds.on(DescribeDBClustersCommand).resolves({ DBClusters: [] });
    // Act
    const out = await at(NOW, () => sweep());
    // Assess
    expect(out.swept).toEqual([expired.DBInstanceIdentifier, expiredToo.DBInstanceIdentifier]);
    expect(rds.commandCalls(DeleteDBInstanceCommand).map((c) => c.args[0].input)).toEqual([
      expect.objectContaining({ DBInstanceIdentifier: expired.DBInstanceIdentifier, SkipFinalSnapshot: true }),
      expect.objectContaining({ DBInstanceIdentifier: expiredToo.DBInstanceIdentifier, SkipFinalSnapshot: true }),
    ]);
    expect(rds.commandCalls(DeleteDBClusterCommand)).toHaveLength(0);
  });

  it('deletes the instance and the cluster of an expired cluster drill', async () => {
    // Prepare
    const instance = {
      DBInstanceIdentifier: `${clusterPlan.drillId}-1`,
      DBClusterIdentifier: clusterPlan.drillId,
      DBInstanceStatus: 'available',
      TagList: drillTags('shop', '2026-11-22T11:00:00.000Z'),
    };
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [instance] });
    rds
      .on(DescribeDBInstancesCommand, { DBInstanceIdentifier: instance.DBInstanceIdentifier })
      .resolvesOnce({ DBInstances: [instance] })
      .resolves({ DBInstances: [{ ...instance, DBInstanceStatus: 'deleting' }] });
    rds.on(DescribeDBClustersCommand).resolves({
      DBClusters: [{ DBClusterIdentifier: clusterPlan.drillId, TagList: instance.TagList }],
    });
    rds.on(DeleteDBInstanceCommand).resolves({});
    rds.on(DeleteDBClusterCommand).resolves({});
    // Act
    const out = await at(NOW, () => sweep());
    // Assess
    expect(out.swept).toEqual([instance.DBInstanceIdentifier, clusterPlan.drillId]);
    expect(rds.commandCalls(DeleteDBInstanceCommand).map((c) => c.args[0].input.DBInstanceIdentifier)).toEqual([
      instance.DBInstanceIdentifier,
    ]);
    expect(rds.commandCalls(DeleteDBClusterCommand).map((c) => c.args[0].input)).toEqual([
      expect.objectContaining({ DBClusterIdentifier: clusterPlan.drillId, SkipFinalSnapshot: true }),
    ]);
  });
});

describe('sweep of a cluster whose instance was never created', () => {
  it('deletes the expired drill cluster, and leaves an unexpired or untagged one alone', async () => {
    // Prepare
    const tagged = (expires: string) =>
      tags({ 'lifeline:drill': 'shop', 'lifeline:managed-by': 'lifeline', 'lifeline:expires': expires });
    const orphan = {
      DBClusterIdentifier: 'lifeline-drill-shop-0000000a',
      Status: 'available',
      TagList: tagged('2026-11-22T11:00:00.000Z'),
    };
    const young = {
      DBClusterIdentifier: 'lifeline-drill-shop-0000000b',
      Status: 'available',
      TagList: tagged('2026-11-22T13:00:00.000Z'),
    };
    const foreign = {
      DBClusterIdentifier: 'ledger-aurora',
      Status: 'available',
      TagList: tagged('2026-11-22T11:00:00.000Z'),
    };
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [] });
    rds.on(DescribeDBClustersCommand).resolves({ DBClusters: [orphan, young, foreign] });
    rds
      .on(DescribeDBClustersCommand, { DBClusterIdentifier: orphan.DBClusterIdentifier })
      .resolves({ DBClusters: [orphan] });
    rds.on(DeleteDBClusterCommand).resolves({});
    // Act
    const out = await at('2026-11-22T12:00:00.000Z', () => sweep());
    // Assess
    expect(out.swept).toEqual([orphan.DBClusterIdentifier]);
    expect(rds.commandCalls(DeleteDBClusterCommand).map((c) => c.args[0].input.DBClusterIdentifier)).toEqual([
      orphan.DBClusterIdentifier,
    ]);
    expect(rds.commandCalls(DeleteDBInstanceCommand)).toHaveLength(0);
  });
});
