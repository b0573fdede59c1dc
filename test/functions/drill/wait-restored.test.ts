import { type DBInstance, DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { describe, expect, it } from 'vitest';
import { DrillTimedOut, NotReady, RestoreFailed } from '../../../functions/commons/errors';
import { waitRestored } from '../../../functions/drill/wait-restored';
import { at, awsError, clusterPlan, later, plan, rds, useDrillEnvironment } from './drill-fixtures';

useDrillEnvironment();

describe('wait-restored', () => {
  const started = { drillId: plan.drillId, restoreStartedAt: '2026-11-22T10:00:00.000Z' };
  const status = (DBInstanceStatus: string, extra: Partial<DBInstance> = {}) =>
    rds
      .on(DescribeDBInstancesCommand)
      .resolves({ DBInstances: [{ DBInstanceIdentifier: plan.drillId, DBInstanceStatus, ...extra }] });

  it('is NotReady while the instance is creating, up to the timeout', async () => {
    // Prepare
    status('creating');
    // Act: 10 minutes after the restore started
    const early = at(later(started.restoreStartedAt, 600), () => waitRestored({ plan, restore: started }));
    // Assess
    await expect(early).rejects.toBeInstanceOf(NotReady);
    // Act: a second before the timeout
    const late = at(later(started.restoreStartedAt, 7_199), () => waitRestored({ plan, restore: started }));
    // Assess
    await expect(late).rejects.toMatchObject({
      name: 'NotReady',
      message: `${plan.drillId} is creating after 1 h 59 min`,
    });
  });

  it('times the drill out once the timeout has passed since the restore started', async () => {
    // Prepare
    status('creating');
    // Act
    const error = await at(later(started.restoreStartedAt, 7_200), () =>
      waitRestored({ plan, restore: started }),
    ).catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(DrillTimedOut);
    expect((error as Error).message).toBe(
      `${plan.drillId} did not become available within the drill timeout (2 h); it was creating`,
    );
  });

  it('fails the restore when RDS reports incompatible-restore, or the instance is gone', async () => {
    // Prepare
    status('incompatible-restore');
    // Act
    const incompatible = at(later(started.restoreStartedAt, 60), () => waitRestored({ plan, restore: started }));
    // Assess
    await expect(incompatible).rejects.toMatchObject({
      name: 'RestoreFailed',
      message: expect.stringContaining('incompatible-restore'),
    });

    // Prepare: the instance is gone
    rds.reset();
    rds.on(DescribeDBInstancesCommand).rejects(awsError('DBInstanceNotFoundFault'));
    // Act
    const gone = at(later(started.restoreStartedAt, 60), () => waitRestored({ plan, restore: started }));
    // Assess
    await expect(gone).rejects.toBeInstanceOf(RestoreFailed);
  });

  it('returns the endpoint once the instance is available', async () => {
    // Prepare
    status('available', {
      Endpoint: { Address: 'drill.abc.eu-west-1.rds.amazonaws.com', Port: 5433 },
      EngineVersion: '16.4',
    });
    // Act
    const out = await at(later(started.restoreStartedAt, 900), () => waitRestored({ plan, restore: started }));
    // Assess: when it was first seen available, for the report's timeline
    expect(out).toEqual({
      host: 'drill.abc.eu-west-1.rds.amazonaws.com',
      port: 5433,
      availableAt: later(started.restoreStartedAt, 900),
      engineVersion: '16.4',
    });
    expect(rds.commandCalls(DescribeDBInstancesCommand)[0]?.args[0].input).toEqual({
      DBInstanceIdentifier: plan.drillId,
    });
  });

  it("waits on a cluster drill's instance", async () => {
    // Prepare
    status('available', { Endpoint: { Address: 'shop-drill.eu-west-1.rds.amazonaws.com', Port: 5432 } });
    // Act
    const out = await waitRestored({ plan: clusterPlan, restore: { ...started, drillId: clusterPlan.drillId } });
    // Assess
    expect(out.host).toBe('shop-drill.eu-west-1.rds.amazonaws.com');
    expect(rds.commandCalls(DescribeDBInstancesCommand)[0]?.args[0].input).toEqual({
      DBInstanceIdentifier: `${clusterPlan.drillId}-1`,
    });
  });
});
