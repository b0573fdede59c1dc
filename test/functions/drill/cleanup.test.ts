import {
  type DBInstance,
  DeleteDBClusterCommand,
  DeleteDBInstanceCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
} from '@aws-sdk/client-rds';
import { describe, expect, it, vi } from 'vitest';
import { cleanup } from '../../../functions/drill/cleanup';
import { at, clusterPlan, plan, rds, tags, useDrillEnvironment } from './drill-fixtures';

useDrillEnvironment();

describe('cleanup', () => {
  const drillInstance = (over: Partial<DBInstance> = {}): DBInstance => ({
    DBInstanceIdentifier: plan.drillId,
    DBInstanceStatus: 'available',
    TagList: tags({ 'lifeline:drill': 'orders', 'lifeline:managed-by': 'lifeline' }),
    ...over,
  });

  it('deletes the drill instance without a final snapshot and reports it deleted', async () => {
    // Prepare
    rds
      .on(DescribeDBInstancesCommand, { DBInstanceIdentifier: plan.drillId })
      .resolvesOnce({ DBInstances: [drillInstance()] })
      .resolves({ DBInstances: [drillInstance({ DBInstanceStatus: 'deleting' })] });
    rds.on(DeleteDBInstanceCommand).resolves({});
    // Act
    const out = await at('2026-11-22T10:30:00.000Z', () => cleanup(plan));
    // Assess: and when, for the report's timeline
    expect(out).toEqual({ deleted: [plan.drillId], leaked: [], finishedAt: '2026-11-22T10:30:00.000Z' });
    const calls = rds.commandCalls(DeleteDBInstanceCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toMatchObject({ DBInstanceIdentifier: plan.drillId, SkipFinalSnapshot: true });
  });

  it('never deletes an instance that is not tagged as a drill', async () => {
    // Prepare
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [drillInstance({ TagList: tags({ team: 'db' }) })] });
    rds.on(DeleteDBInstanceCommand).resolves({});
    // Act
    const out = await cleanup(plan);
    // Assess
    expect(out.deleted).toEqual([]);
    expect(rds.commandCalls(DeleteDBInstanceCommand)).toHaveLength(0);
  });

  it('never deletes an instance or cluster that is not named lifeline-drill-*', async () => {
    // Prepare
    const stray = { ...clusterPlan, drillId: 'shop-prod' };
    rds
      .on(DescribeDBInstancesCommand)
      .resolves({ DBInstances: [drillInstance({ DBInstanceIdentifier: 'shop-prod-1' })] });
    rds.on(DescribeDBClustersCommand).resolves({
      DBClusters: [{ DBClusterIdentifier: 'shop-prod', TagList: tags({ 'lifeline:drill': 'shop' }) }],
    });
    rds.on(DeleteDBInstanceCommand).resolves({});
    rds.on(DeleteDBClusterCommand).resolves({});
    // Act
    const out = await cleanup(stray);
    // Assess
    expect(out.deleted).toEqual([]);
    expect(rds.commandCalls(DescribeDBInstancesCommand)[0]?.args[0].input).toEqual({
      DBInstanceIdentifier: 'shop-prod-1',
    });
    expect(rds.commandCalls(DeleteDBInstanceCommand)).toHaveLength(0);
    expect(rds.commandCalls(DeleteDBClusterCommand)).toHaveLength(0);
  });

  it('never deletes a drill database of another installation, whose names have another prefix', async () => {
    // Prepare
    vi.stubEnv('LIFELINE_INSTALLATION', 'staging');
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [drillInstance()] });
    rds.on(DeleteDBInstanceCommand).resolves({});
    // Act
    const out = await cleanup(plan);
    // Assess
    expect(out.deleted).toEqual([]);
    expect(rds.commandCalls(DeleteDBInstanceCommand)).toHaveLength(0);
  });

  it('reports the instance as leaked when it is still there and not deleting afterwards', async () => {
    // Prepare
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [drillInstance()] });
    rds.on(DeleteDBInstanceCommand).resolves({});
    // Act
    const out = await cleanup(plan);
    // Assess
    expect(out).toMatchObject({ deleted: [plan.drillId], leaked: [plan.drillId] });
  });
});
