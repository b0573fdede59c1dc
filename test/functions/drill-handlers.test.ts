import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import {
  CreateDBInstanceCommand,
  type DBInstance,
  DeleteDBClusterCommand,
  DeleteDBInstanceCommand,
  DescribeAccountAttributesCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBClustersCommand,
  DescribeDBInstanceAutomatedBackupsCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  DescribeDBSubnetGroupsCommand,
  DescribeOrderableDBInstanceOptionsCommand,
  RDSClient,
  RestoreDBClusterFromSnapshotCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
  RestoreDBInstanceToPointInTimeCommand,
} from '@aws-sdk/client-rds';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DrillTimedOut, InvalidInput, NotReady, PreflightFailed, RestoreFailed } from '../../functions/commons/errors';
import { metrics } from '../../functions/commons/handler';
import { runInScope } from '../../functions/commons/runtime';
import { checkData } from '../../functions/drill/check-data';
import { cleanup } from '../../functions/drill/cleanup';
import type { CheckOutcome, DrillPlan, RecoveryPoint } from '../../functions/drill/contracts';
import { preflight } from '../../functions/drill/preflight';
import { renderHtml } from '../../functions/drill/render-report';
import { buildReport, writeReport } from '../../functions/drill/report';
import { restore } from '../../functions/drill/restore';
import { sweep } from '../../functions/drill/sweep';
import { validateDrill } from '../../functions/drill/validate-drill';
import { judgeDrill, judgeObjective } from '../../functions/drill/verdict';
import { waitRestored } from '../../functions/drill/wait-restored';
import { ordersDrillEntry } from '../fixtures/drill-catalog';

const rds = mockClient(RDSClient);
const kms = mockClient(KMSClient);
const s3 = mockClient(S3Client);
const secrets = mockClient(SecretsManagerClient);

beforeEach(() => {
  process.env.AWS_REGION = 'eu-west-1';
  process.env.DR_KEY_ALIAS = 'alias/lifeline-dr';
  process.env.DRILL_SUBNET_GROUP = 'lifeline-drill-subnets';
  process.env.DRILL_SECURITY_GROUP = 'sg-0drill';
  process.env.REPORTS_BUCKET = 'lifeline-reports';
  process.env.LIFELINE_INSTALLATION = 'lifeline';
});
afterEach(() => {
  rds.reset();
  kms.reset();
  s3.reset();
  secrets.reset();
});

/** Runs `fn` with the clock fixed at `iso`. */
const at = <T>(iso: string, fn: () => T): T => runInScope({ env: process.env, now: () => Date.parse(iso) }, fn);
const later = (iso: string, seconds: number) => new Date(Date.parse(iso) + seconds * 1000).toISOString();
const tags = (record: Record<string, string>) => Object.entries(record).map(([Key, Value]) => ({ Key, Value }));
const awsError = (name: string) => Object.assign(new Error('not found'), { name });

const entry = ordersDrillEntry;
const plan: DrillPlan = {
  ...entry,
  database: 'orders',
  recoveryPoint: { type: 'latest' },
  drillId: 'lifeline-drill-orders-1a2b3c4d',
  execution: 'arn:aws:states:eu-west-1:123456789012:execution:lifeline-drill:run-1',
  startedAt: '2026-11-22T10:00:00.000Z',
};
const clusterPlan: DrillPlan = {
  ...plan,
  id: 'shop',
  kind: 'cluster',
  identifier: 'shop-prod',
  engine: 'aurora-postgresql',
  database: 'shop',
  drillId: 'lifeline-drill-shop-5e6f7a8b',
};
const latestCopy: RecoveryPoint = {
  type: 'latest-copy',
  id: 'lifeline-orders-20261122t0200',
  time: '2026-11-22T02:00:00.000Z',
};

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

describe('wait-restored', () => {
  const started = { drillId: plan.drillId, restoreStartedAt: '2026-11-22T10:00:00.000Z' };
  const status = (DBInstanceStatus: string, extra: Partial<DBInstance> = {}) =>
    rds
      .on(DescribeDBInstancesCommand)
      .resolves({ DBInstances: [{ DBInstanceIdentifier: plan.drillId, DBInstanceStatus, ...extra }] });

  it('is NotReady while the instance is creating, up to the timeout', async () => {
    status('creating');
    await expect(
      at(later(started.restoreStartedAt, 600), () => waitRestored({ plan, restore: started })),
    ).rejects.toBeInstanceOf(NotReady);
    await expect(
      at(later(started.restoreStartedAt, 7_199), () => waitRestored({ plan, restore: started })),
    ).rejects.toMatchObject({ name: 'NotReady', message: `${plan.drillId} is creating after 1 h 59 min` });
  });

  it('times the drill out once the timeout has passed since the restore started', async () => {
    status('creating');
    const error = await at(later(started.restoreStartedAt, 7_200), () =>
      waitRestored({ plan, restore: started }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DrillTimedOut);
    expect((error as Error).message).toBe(
      `${plan.drillId} did not become available within the drill timeout (2 h); it was creating`,
    );
  });

  it('fails the restore when RDS reports incompatible-restore, or the instance is gone', async () => {
    status('incompatible-restore');
    await expect(
      at(later(started.restoreStartedAt, 60), () => waitRestored({ plan, restore: started })),
    ).rejects.toMatchObject({ name: 'RestoreFailed', message: expect.stringContaining('incompatible-restore') });

    rds.reset();
    rds.on(DescribeDBInstancesCommand).rejects(awsError('DBInstanceNotFoundFault'));
    await expect(
      at(later(started.restoreStartedAt, 60), () => waitRestored({ plan, restore: started })),
    ).rejects.toBeInstanceOf(RestoreFailed);
  });

  it('returns the endpoint once the instance is available', async () => {
    status('available', { Endpoint: { Address: 'drill.abc.eu-west-1.rds.amazonaws.com', Port: 5433 } });
    const out = await at(later(started.restoreStartedAt, 900), () => waitRestored({ plan, restore: started }));
    expect(out).toEqual({ host: 'drill.abc.eu-west-1.rds.amazonaws.com', port: 5433 });
    expect(rds.commandCalls(DescribeDBInstancesCommand)[0]?.args[0].input).toEqual({
      DBInstanceIdentifier: plan.drillId,
    });
  });

  it("waits on a cluster drill's instance", async () => {
    status('available', { Endpoint: { Address: 'shop-drill.eu-west-1.rds.amazonaws.com', Port: 5432 } });
    const out = await waitRestored({ plan: clusterPlan, restore: { ...started, drillId: clusterPlan.drillId } });
    expect(out.host).toBe('shop-drill.eu-west-1.rds.amazonaws.com');
    expect(rds.commandCalls(DescribeDBInstancesCommand)[0]?.args[0].input).toEqual({
      DBInstanceIdentifier: `${clusterPlan.drillId}-1`,
    });
  });
});

describe('preflight', () => {
  const snapshot = (id: string, snapshotTags: Record<string, string>, extra: Record<string, unknown> = {}) => ({
    DBSnapshotIdentifier: id,
    DBInstanceIdentifier: 'orders-prod',
    DBSnapshotArn: `arn:aws:rds:eu-west-1:123456789012:snapshot:${id}`,
    SnapshotType: 'manual',
    Status: 'available',
    SnapshotCreateTime: new Date('2026-11-22T05:00:00.000Z'),
    TagList: tags(snapshotTags),
    ...extra,
  });
  const verified = (day: string) => ({
    'lifeline:managed-by': 'lifeline',
    'lifeline:database': 'orders',
    'lifeline:installation': 'lifeline',
    'lifeline:verified': 'copy-verified',
    'lifeline:scheduled-time': `2026-11-${day}T02:00:00.000Z`,
  });

  /** A DR region where everything the drill needs is in place. */
  function healthyRegion() {
    kms.on(DescribeKeyCommand).resolves({ KeyMetadata: { KeyId: 'key-dr', KeyState: 'Enabled' } });
    rds
      .on(DescribeDBSubnetGroupsCommand)
      .resolves({ DBSubnetGroups: [{ DBSubnetGroupName: 'lifeline-drill-subnets' }] });
    rds
      .on(DescribeAccountAttributesCommand)
      .resolves({ AccountQuotas: [{ AccountQuotaName: 'DBInstances', Used: 12, Max: 40 }] });
    rds.on(DescribeDBSnapshotsCommand).resolves({
      DBSnapshots: [
        // Created last but scheduled earliest: the schedule, not the copy time, decides.
        snapshot('lifeline-orders-20261120t0200', verified('20'), {
          SnapshotCreateTime: new Date('2026-11-22T09:00:00.000Z'),
        }),
        snapshot('lifeline-orders-20261122t0200', verified('22')),
        snapshot('lifeline-orders-20261121t0200', verified('21')),
        snapshot('lifeline-orders-20261123t0200', { ...verified('23'), 'lifeline:verified': 'available' }),
        snapshot('lifeline-billing-20261124t0200', { ...verified('24'), 'lifeline:database': 'billing' }),
      ],
    });
  }

  it('chooses the newest verified copy of the database', async () => {
    healthyRegion();
    const out = await preflight(plan);
    expect(out).toEqual({
      type: 'latest-copy',
      id: 'lifeline-orders-20261122t0200',
      time: '2026-11-22T02:00:00.000Z',
    });
    expect(kms.commandCalls(DescribeKeyCommand)[0]?.args[0].input).toEqual({ KeyId: 'alias/lifeline-dr' });
    expect(rds.commandCalls(DescribeDBSubnetGroupsCommand)[0]?.args[0].input).toEqual({
      DBSubnetGroupName: 'lifeline-drill-subnets',
    });
  });

  it('uses a named snapshot only when it is available', async () => {
    healthyRegion();
    const named = { ...plan, recoveryPoint: { type: 'snapshot' as const, id: 'lifeline-orders-20261121t0200' } };
    rds
      .on(DescribeDBSnapshotsCommand, { DBSnapshotIdentifier: 'lifeline-orders-20261121t0200' })
      .resolves({ DBSnapshots: [snapshot('lifeline-orders-20261121t0200', verified('21'))] });
    expect(await preflight(named)).toEqual({
      type: 'snapshot',
      id: 'lifeline-orders-20261121t0200',
      time: '2026-11-21T02:00:00.000Z',
    });

    rds
      .on(DescribeDBSnapshotsCommand, { DBSnapshotIdentifier: 'lifeline-orders-20261121t0200' })
      .resolves({ DBSnapshots: [snapshot('lifeline-orders-20261121t0200', verified('21'), { Status: 'copying' })] });
    await expect(preflight(named)).rejects.toThrow(
      new PreflightFailed(
        'Drill of orders cannot start: snapshot lifeline-orders-20261121t0200 is copying, not available',
      ),
    );
  });

  it.each([
    [
      'one Lifeline did not make',
      { 'lifeline:managed-by': undefined },
      {},
      'snapshot before-migration was not made by Lifeline (it has no lifeline:managed-by tag)',
    ],
    [
      "another database's",
      { 'lifeline:database': 'billing' },
      {},
      'snapshot before-migration is a recovery point of billing, not of orders',
    ],
    [
      "another installation's",
      { 'lifeline:installation': 'staging' },
      {},
      'snapshot before-migration was made by the Lifeline installation staging, not by this one (lifeline)',
    ],
    [
      'one without the installation tag',
      { 'lifeline:installation': undefined },
      {},
      'snapshot before-migration has no lifeline:installation tag, so this installation (lifeline) did not make it',
    ],
    [
      "one of another instance's",
      {},
      { DBInstanceIdentifier: 'billing-prod' },
      'snapshot before-migration is a snapshot of billing-prod, not of orders-prod',
    ],
  ] as Array<[string, Record<string, string | undefined>, Record<string, unknown>, string]>)(
    'refuses to restore a named snapshot that is %s, before anything is created',
    async (_, over, extra, problem) => {
      // Prepare
      healthyRegion();
      const tagged = Object.fromEntries(
        Object.entries({ ...verified('21'), ...over }).filter(([, v]) => v !== undefined),
      ) as Record<string, string>;
      rds
        .on(DescribeDBSnapshotsCommand, { DBSnapshotIdentifier: 'before-migration' })
        .resolves({ DBSnapshots: [snapshot('before-migration', tagged, extra)] });
      const named = { ...plan, recoveryPoint: { type: 'snapshot' as const, id: 'before-migration' } };
      // Act
      const error = await preflight(named).catch((e: unknown) => e);
      // Assess
      expect(error).toBeInstanceOf(PreflightFailed);
      expect((error as Error).message).toBe(
        `Drill of orders cannot start: ${problem}; a drill restores only Lifeline's recovery points of orders: name one of them, or leave recoveryPoint out to drill the newest verified copy`,
      );
    },
  );

  it("never picks another installation's or another source's copy as the latest", async () => {
    healthyRegion();
    rds.on(DescribeDBSnapshotsCommand).resolves({
      DBSnapshots: [
        snapshot('lifeline-orders-20261121t0200', verified('21')),
        snapshot('lifeline-orders-20261125t0200', { ...verified('25'), 'lifeline:installation': 'staging' }),
        snapshot('lifeline-orders-20261126t0200', verified('26'), { DBInstanceIdentifier: 'orders-test' }),
        snapshot('lifeline-orders-20261127t0200', { ...verified('27'), 'lifeline:managed-by': 'someone' }),
      ],
    });
    expect(await preflight(plan)).toMatchObject({ type: 'latest-copy', id: 'lifeline-orders-20261121t0200' });
  });

  it('refuses an overridden instance class RDS does not offer for the engine, and accepts one it does', async () => {
    // Prepare
    healthyRegion();
    const overridden = { ...plan, instanceClass: 'db.x9.huge', instanceClassOverride: 'db.x9.huge' };
    rds.on(DescribeOrderableDBInstanceOptionsCommand).resolves({ OrderableDBInstanceOptions: [] });
    // Act
    const error = await preflight({ ...overridden, configuredInstanceClass: 'db.t4g.micro' }).catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(PreflightFailed);
    expect((error as Error).message).toBe(
      'Drill of orders cannot start: RDS does not offer the instance class db.x9.huge for postgres in eu-west-1: choose another overrides.instanceClass, or leave it out to use the configured db.t4g.micro',
    );
    expect(rds.commandCalls(DescribeOrderableDBInstanceOptionsCommand)[0]?.args[0].input).toEqual({
      Engine: 'postgres',
      DBInstanceClass: 'db.x9.huge',
    });

    rds
      .on(DescribeOrderableDBInstanceOptionsCommand)
      .resolves({ OrderableDBInstanceOptions: [{ Engine: 'postgres', DBInstanceClass: 'db.x9.huge' }] });
    expect(await preflight(overridden)).toMatchObject({ type: 'latest-copy' });
  });

  it('does not ask RDS about the configured instance class when nothing overrides it', async () => {
    healthyRegion();
    await preflight(plan);
    expect(rds.commandCalls(DescribeOrderableDBInstanceOptionsCommand)).toHaveLength(0);
  });

  it('fails when there is no verified copy', async () => {
    healthyRegion();
    rds.on(DescribeDBSnapshotsCommand).resolves({
      DBSnapshots: [snapshot('lifeline-orders-20261123t0200', { ...verified('23'), 'lifeline:verified': 'available' })],
    });
    const error = await preflight(plan).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PreflightFailed);
    expect((error as Error).message).toContain('there is no verified copy of orders in eu-west-1');
  });

  it('fails on a disabled DR key, and on one it cannot read', async () => {
    healthyRegion();
    kms.on(DescribeKeyCommand).resolves({ KeyMetadata: { KeyId: 'key-dr', KeyState: 'Disabled' } });
    await expect(preflight(plan)).rejects.toMatchObject({
      name: 'PreflightFailed',
      message: expect.stringContaining('the DR key alias/lifeline-dr is Disabled: enable it'),
    });

    kms.on(DescribeKeyCommand).rejects(awsError('NotFoundException'));
    await expect(preflight(plan)).rejects.toMatchObject({
      name: 'PreflightFailed',
      message: expect.stringContaining('the DR key alias/lifeline-dr cannot be read in eu-west-1'),
    });
  });

  it('fails when the drill subnet group is missing', async () => {
    healthyRegion();
    rds.on(DescribeDBSubnetGroupsCommand).rejects(awsError('DBSubnetGroupNotFoundFault'));
    await expect(preflight(plan)).rejects.toMatchObject({
      name: 'PreflightFailed',
      message: expect.stringContaining('the drill subnet group lifeline-drill-subnets does not exist in eu-west-1'),
    });
  });

  it('fails when the DB instance quota is used up', async () => {
    healthyRegion();
    rds
      .on(DescribeAccountAttributesCommand)
      .resolves({ AccountQuotas: [{ AccountQuotaName: 'DBInstances', Used: 40, Max: 40 }] });
    await expect(preflight(plan)).rejects.toMatchObject({
      name: 'PreflightFailed',
      message: expect.stringContaining('the account runs 40 of 40 DB instances in eu-west-1'),
    });
  });

  it('accepts a point in time inside a restore window, and fails one no automated backup covers', async () => {
    healthyRegion();
    const window = { EarliestTime: new Date('2026-11-15T00:00:00Z'), LatestTime: new Date('2026-11-22T09:55:00Z') };
    rds.on(DescribeDBInstanceAutomatedBackupsCommand).resolves({
      DBInstanceAutomatedBackups: [
        {
          DBInstanceIdentifier: 'orders-prod',
          DBInstanceAutomatedBackupsArn: 'arn:aws:rds:eu-west-1:123456789012:auto-backup:ab-orders',
          RestoreWindow: window,
        },
      ],
    });
    const inside = { ...plan, recoveryPoint: { type: 'pointInTime' as const, time: '2026-11-22T09:30:00.000Z' } };
    expect(await preflight(inside)).toEqual({
      type: 'point-in-time',
      id: 'arn:aws:rds:eu-west-1:123456789012:auto-backup:ab-orders',
      time: '2026-11-22T09:30:00.000Z',
    });
    expect(rds.commandCalls(DescribeDBInstanceAutomatedBackupsCommand)[0]?.args[0].input).toEqual({
      DBInstanceIdentifier: 'orders-prod',
    });

    const outside = { ...plan, recoveryPoint: { type: 'pointInTime' as const, time: '2026-11-22T09:58:00.000Z' } };
    await expect(preflight(outside)).rejects.toMatchObject({
      name: 'PreflightFailed',
      message: expect.stringContaining('orders-prod has no automated backups in eu-west-1 covering 2026-11-22T09:58'),
    });
  });
});

describe('cleanup', () => {
  const drillInstance = (over: Partial<DBInstance> = {}): DBInstance => ({
    DBInstanceIdentifier: plan.drillId,
    DBInstanceStatus: 'available',
    TagList: tags({ 'lifeline:drill': 'orders', 'lifeline:managed-by': 'lifeline' }),
    ...over,
  });

  it('deletes the drill instance without a final snapshot and reports it deleted', async () => {
    rds
      .on(DescribeDBInstancesCommand, { DBInstanceIdentifier: plan.drillId })
      .resolvesOnce({ DBInstances: [drillInstance()] })
      .resolves({ DBInstances: [drillInstance({ DBInstanceStatus: 'deleting' })] });
    rds.on(DeleteDBInstanceCommand).resolves({});
    const out = await cleanup(plan);
    expect(out).toEqual({ deleted: [plan.drillId], leaked: [] });
    const calls = rds.commandCalls(DeleteDBInstanceCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toMatchObject({ DBInstanceIdentifier: plan.drillId, SkipFinalSnapshot: true });
  });

  it('never deletes an instance that is not tagged as a drill', async () => {
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [drillInstance({ TagList: tags({ team: 'db' }) })] });
    rds.on(DeleteDBInstanceCommand).resolves({});
    const out = await cleanup(plan);
    expect(out.deleted).toEqual([]);
    expect(rds.commandCalls(DeleteDBInstanceCommand)).toHaveLength(0);
  });

  it('never deletes an instance or cluster that is not named lifeline-drill-*', async () => {
    const stray = { ...clusterPlan, drillId: 'shop-prod' };
    rds
      .on(DescribeDBInstancesCommand)
      .resolves({ DBInstances: [drillInstance({ DBInstanceIdentifier: 'shop-prod-1' })] });
    rds.on(DescribeDBClustersCommand).resolves({
      DBClusters: [{ DBClusterIdentifier: 'shop-prod', TagList: tags({ 'lifeline:drill': 'shop' }) }],
    });
    rds.on(DeleteDBInstanceCommand).resolves({});
    rds.on(DeleteDBClusterCommand).resolves({});
    const out = await cleanup(stray);
    expect(out.deleted).toEqual([]);
    expect(rds.commandCalls(DescribeDBInstancesCommand)[0]?.args[0].input).toEqual({
      DBInstanceIdentifier: 'shop-prod-1',
    });
    expect(rds.commandCalls(DeleteDBInstanceCommand)).toHaveLength(0);
    expect(rds.commandCalls(DeleteDBClusterCommand)).toHaveLength(0);
  });

  it('reports the instance as leaked when it is still there and not deleting afterwards', async () => {
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [drillInstance()] });
    rds.on(DeleteDBInstanceCommand).resolves({});
    const out = await cleanup(plan);
    expect(out).toEqual({ deleted: [plan.drillId], leaked: [plan.drillId] });
  });
});

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

    const out = await at(NOW, () => sweep());

    expect(out.swept).toEqual([expired.DBInstanceIdentifier, expiredToo.DBInstanceIdentifier]);
    expect(rds.commandCalls(DeleteDBInstanceCommand).map((c) => c.args[0].input)).toEqual([
      expect.objectContaining({ DBInstanceIdentifier: expired.DBInstanceIdentifier, SkipFinalSnapshot: true }),
      expect.objectContaining({ DBInstanceIdentifier: expiredToo.DBInstanceIdentifier, SkipFinalSnapshot: true }),
    ]);
    expect(rds.commandCalls(DeleteDBClusterCommand)).toHaveLength(0);
  });

  it('deletes the instance and the cluster of an expired cluster drill', async () => {
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

    const out = await at(NOW, () => sweep());

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

describe('report', () => {
  const FINISHED = '2026-11-22T10:40:00.000Z';
  const NEXT_DAY = '2026-11-23T00:10:00.000Z';
  const passedChecks: CheckOutcome = {
    results: [{ name: 'rowCount:orders', passed: true, detail: 'orders has 1200 rows (at least 1)' }],
    firstGoodQueryAt: '2026-11-22T10:20:00.000Z',
    verdict: {
      status: 'passed',
      rto: judgeObjective(900, 3_600),
      rpo: judgeObjective(1_800, 86_400),
      summary:
        'Drill of orders passed: 1 of 1 check passed, restored in 15 min (objective 1 h), 30 min of data would have been lost (objective 1 d).',
      reasons: [],
    },
  };
  const passedInput = {
    plan,
    recoveryPoint: latestCopy,
    restore: { drillId: plan.drillId, restoreStartedAt: '2026-11-22T10:05:00.000Z' },
    checks: passedChecks,
    cleanup: { deleted: [plan.drillId], leaked: [] },
  };

  it('builds the report of a passed drill', () => {
    const report = buildReport(passedInput, FINISHED);
    expect(report).toEqual({
      database: 'orders',
      status: 'passed',
      summary: passedChecks.verdict.summary,
      recoveryPoint: latestCopy,
      rto: passedChecks.verdict.rto,
      rpo: passedChecks.verdict.rpo,
      checks: passedChecks.results,
      cleanup: { deleted: [plan.drillId], leaked: [] },
      drillId: plan.drillId,
      execution: plan.execution,
      startedAt: plan.startedAt,
      finishedAt: FINISHED,
    });
  });

  it('names the step and the cause of a failure before the checks', () => {
    const report = buildReport(
      {
        plan,
        recoveryPoint: latestCopy,
        restore: null,
        checks: null,
        cleanup: { deleted: [plan.drillId], leaked: [] },
        failedStep: 'Wait until the restored database is available',
        error: {
          Error: 'RestoreFailed',
          Cause: JSON.stringify({
            errorType: 'RestoreFailed',
            errorMessage: `${plan.drillId} is incompatible-restore: RDS could not restore orders.`,
            trace: ['RestoreFailed: ...'],
          }),
        },
      },
      FINISHED,
    );
    expect(report.status).toBe('failed');
    expect(report.summary).toBe(
      `Drill of orders failed at "Wait until the restored database is available": ${plan.drillId} is incompatible-restore: RDS could not restore orders.`,
    );
    expect(report.rto).toEqual({
      outcome: 'not-measured',
      measured: false,
      measuredSeconds: null,
      objectiveSeconds: 3_600,
      met: false,
      waiver: null,
    });
    expect(report.rpo).toMatchObject({ outcome: 'not-measured', measured: false, met: false });
    expect(report.checks).toEqual([]);
  });

  it('fails a passed drill whose cleanup left the database behind', () => {
    const report = buildReport({ ...passedInput, cleanup: { deleted: [], leaked: [plan.drillId] } }, FINISHED);
    expect(report.status).toBe('failed');
    expect(report.summary).toBe(`${passedChecks.verdict.summary} Cleanup left ${plan.drillId} behind.`);
  });

  it('stores JSON and HTML under drills/<db>/<date>/<drillId> and words the subject', async () => {
    s3.on(PutObjectCommand).resolves({});
    // Finished the next day: the key is dated by the drill's start.
    const out = await at(NEXT_DAY, () => writeReport(passedInput));
    const key = `drills/orders/2026-11-22/${plan.drillId}`;
    const puts = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(puts.map((p) => [p.Bucket, p.Key, p.ContentType])).toEqual([
      ['lifeline-reports', `${key}.json`, 'application/json'],
      ['lifeline-reports', `${key}.html`, 'text/html; charset=utf-8'],
    ]);
    expect(JSON.parse(String(puts[0]?.Body))).toMatchObject({ status: 'passed', finishedAt: NEXT_DAY });
    expect(String(puts[1]?.Body)).toContain('<h1>Drill of orders: <span class="ok">passed</span></h1>');
    expect(out.subject).toBe('Lifeline drill passed for orders');
    expect(out.location).toEqual({
      json: `s3://lifeline-reports/${key}.json`,
      html: `s3://lifeline-reports/${key}.html`,
    });

    const failed = await at(NEXT_DAY, () =>
      writeReport({ ...passedInput, cleanup: { deleted: [], leaked: [plan.drillId] } }),
    );
    expect(failed.subject).toBe('Lifeline drill FAILED for orders');
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(4);
  });

  /** What check-data returns when only a row count ran: the RPO had nothing to measure it. */
  const withoutFreshness = (waive?: { rpo?: string }): CheckOutcome => {
    const results = [{ name: 'rowCount:orders', passed: true, detail: 'orders has 1200 rows (at least 1)' }];
    return {
      results,
      firstGoodQueryAt: '2026-11-22T10:20:00.000Z',
      verdict: judgeDrill({
        database: 'orders',
        checks: results,
        restoreStartedAt: '2026-11-22T10:05:00.000Z',
        firstGoodQueryAt: '2026-11-22T10:20:00.000Z',
        recoveryPointTime: latestCopy.time,
        rtoObjectiveSeconds: 3_600,
        rpoObjectiveSeconds: 86_400,
        waive,
      }),
    };
  };

  it('fails a drill whose RPO was not measured, says "not measured" and never "met" for it', async () => {
    // Prepare
    s3.on(PutObjectCommand).resolves({});
    const published = vi.spyOn(metrics, 'addMetric');
    // Act
    const out = await at(FINISHED, () => writeReport({ ...passedInput, checks: withoutFreshness() }));
    // Assess
    expect(out.report.status).toBe('failed');
    expect(out.report.rpo).toMatchObject({ outcome: 'not-measured', measured: false, met: false });
    const json = JSON.parse(String(s3.commandCalls(PutObjectCommand)[0]?.args[0].input.Body));
    expect(json.rpo).toMatchObject({ measured: false, met: false });
    const html = String(s3.commandCalls(PutObjectCommand)[1]?.args[0].input.Body);
    const rpoRow = html.match(/<tr><th>RPO<\/th>.*?<\/tr>/)?.[0] ?? '';
    expect(rpoRow).toContain('<td>not measured</td>');
    expect(rpoRow).toContain('<td class="bad">not measured, so not met</td>');
    expect(rpoRow).not.toMatch(/>met</);
    // The measured RTO is published; the unmeasured RPO is not.
    expect(published.mock.calls.map(([name]) => name)).toEqual(['DrillPassed', 'DrillRTO']);
    published.mockRestore();
  });

  it('lets a waived RPO pass unmeasured, and the report says "waived" with the reason', () => {
    const reason = 'append-only ledger without a timestamp column';
    const report = buildReport({ ...passedInput, checks: withoutFreshness({ rpo: reason }) }, FINISHED);
    expect(report.status).toBe('passed');
    expect(report.rpo).toMatchObject({ outcome: 'waived', measured: false, met: false, waiver: reason });
    const html = renderHtml(report);
    expect(html).toContain(`<td class="waived">not measured; waived: ${reason}</td>`);
    expect(html.match(/<tr><th>RPO<\/th>.*?<\/tr>/)?.[0]).not.toMatch(/>met</);
  });

  it('reads the waiver from the plan when the drill failed before its checks', () => {
    const reason = 'no timestamp column';
    const report = buildReport(
      { plan: { ...plan, waive: { rpo: reason } }, recoveryPoint: null, error: { Cause: 'boom' }, failedStep: 'x' },
      FINISHED,
    );
    expect(report.rpo).toMatchObject({ outcome: 'waived', waiver: reason, met: false });
    expect(report.rto).toMatchObject({ outcome: 'not-measured', met: false });
  });

  it('escapes HTML in check details', () => {
    const report = buildReport(
      {
        ...passedInput,
        checks: {
          ...passedChecks,
          results: [{ name: 'sql:evil', passed: false, detail: '<script>alert("x")</script> & more' }],
        },
      },
      FINISHED,
    );
    const html = renderHtml(report);
    expect(html).not.toContain('<script>');
    expect(html).toContain('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62; &#38; more');
  });
});

describe('check-data credentials', () => {
  const input = {
    database: 'orders',
    endpoint: { host: 'drill.invalid', port: 5432 },
    databaseName: 'orders',
    checks: entry.checks,
    recoveryPointTime: latestCopy.time,
    restoreStartedAt: '2026-11-22T10:05:00.000Z',
    objectives: { rpoSeconds: 86_400, rtoSeconds: 3_600 },
  };

  it('rejects a secret without a password before it connects', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ username: 'drill' }) });
    await expect(checkData({ ...input, credentialsSecret: 'lifeline/orders-drill' })).rejects.toThrow(
      new InvalidInput('Secret lifeline/orders-drill must be JSON with username and password'),
    );
    expect(secrets.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toEqual({
      SecretId: 'lifeline/orders-drill',
    });
  });

  it('needs credentials or a secret', async () => {
    await expect(checkData(input)).rejects.toBeInstanceOf(InvalidInput);
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });
});

describe('validate-drill', () => {
  const START = '2026-11-22T10:00:00.000Z';
  const validate = (request: unknown, execution = plan.execution) =>
    validateDrill({ request, catalog: { orders: entry }, execution, startTime: START });

  it('rejects an override longer than the workflow waits for a restore, naming the limit', async () => {
    // Prepare: a workflow whose restore poll and execution timeout allow 600 minutes.
    const request = { database: 'orders', overrides: { timeoutMinutes: 601 } };
    const input = { request, catalog: { orders: entry }, execution: plan.execution, startTime: START };
    // Act
    const run = validateDrill({ ...input, maxTimeoutMinutes: 600 });
    // Assess
    await expect(run).rejects.toThrow(InvalidInput);
    await expect(run).rejects.toThrow('overrides.timeoutMinutes: expected a whole number of minutes from 5 to 600');
    await expect(
      validateDrill({ ...input, request: { ...request, overrides: { timeoutMinutes: 600 } }, maxTimeoutMinutes: 600 }),
    ).resolves.toMatchObject({ timeoutSeconds: 36_000 });
  });

  it.each([
    ['a string', 'orders', 'input: Invalid input: expected object, received string'],
    ['null', null, 'input: Invalid input: expected object, received null'],
    ['an array', ['orders'], 'input: Invalid input: expected object, received array'],
    ['an unknown field', { database: 'orders', dryRun: true }, 'unknown field "dryRun"'],
    ['no database', {}, 'database: expected the id of a database'],
    ['a database that is not a string', { database: 7 }, 'database: expected the id of a database'],
    ['a database without a drill', { database: 'billing' }, 'database "billing" has no drill configured'],
    ['a recoveryPoint string', { database: 'orders', recoveryPoint: 'latest' }, 'recoveryPoint: expected'],
    [
      'an unknown recoveryPoint type',
      { database: 'orders', recoveryPoint: { type: 'newest' } },
      'recoveryPoint: expected',
    ],
    [
      'a field latest does not take',
      { database: 'orders', recoveryPoint: { type: 'latest', id: 'x' } },
      'recoveryPoint: unknown field "id"',
    ],
    ['a snapshot without id', { database: 'orders', recoveryPoint: { type: 'snapshot' } }, 'recoveryPoint.id:'],
    [
      'a malformed snapshot id',
      { database: 'orders', recoveryPoint: { type: 'snapshot', id: '1-snap' } },
      'recoveryPoint.id:',
    ],
    [
      'a pointInTime without time',
      { database: 'orders', recoveryPoint: { type: 'pointInTime' } },
      'recoveryPoint.time:',
    ],
    [
      'a pointInTime on 30 February',
      { database: 'orders', recoveryPoint: { type: 'pointInTime', time: '2026-02-30T00:00:00Z' } },
      'recoveryPoint.time: expected an ISO-8601 time',
    ],
    [
      'a future pointInTime',
      { database: 'orders', recoveryPoint: { type: 'pointInTime', time: '2026-11-22T10:00:01Z' } },
      'recoveryPoint.time: 2026-11-22T10:00:01Z is in the future',
    ],
    ['overrides that are not an object', { database: 'orders', overrides: 'big' }, 'overrides: Invalid input'],
    ['an unknown override', { database: 'orders', overrides: { retries: 3 } }, 'overrides: unknown field "retries"'],
    [
      'a bad instance class',
      { database: 'orders', overrides: { instanceClass: 'm5.large' } },
      'overrides.instanceClass:',
    ],
    [
      'a timeout under 5 minutes',
      { database: 'orders', overrides: { timeoutMinutes: 4 } },
      'overrides.timeoutMinutes:',
    ],
    ['a timeout over a day', { database: 'orders', overrides: { timeoutMinutes: 1441 } }, 'overrides.timeoutMinutes:'],
    ['a fractional timeout', { database: 'orders', overrides: { timeoutMinutes: 30.5 } }, 'overrides.timeoutMinutes:'],
    ['a timeout as text', { database: 'orders', overrides: { timeoutMinutes: '30' } }, 'overrides.timeoutMinutes:'],
  ])('rejects %s', async (_, request, field) => {
    const error = await validate(request).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInput);
    expect((error as Error).message).toMatch(/^Drill request rejected, nothing was restored: /);
    expect((error as Error).message).toContain(field);
  });

  it('plans a drill with a stable id per execution', async () => {
    const first = await validate({ database: 'orders' });
    expect(first).toEqual({
      ...entry,
      database: 'orders',
      recoveryPoint: { type: 'latest' },
      drillId: expect.stringMatching(/^lifeline-drill-orders-[0-9a-f]{8}$/),
      execution: plan.execution,
      startedAt: START,
    });
    expect((await validate({ database: 'orders' })).drillId).toBe(first.drillId);
    const other = await validate({ database: 'orders' }, `${plan.execution}-again`);
    expect(other.drillId).toMatch(/^lifeline-drill-orders-[0-9a-f]{8}$/);
    expect(other.drillId).not.toBe(first.drillId);
  });

  it('applies overrides and takes the recovery point as given', async () => {
    const out = await validate({
      database: 'orders',
      recoveryPoint: { type: 'pointInTime', time: START },
      overrides: { instanceClass: 'db.r6g.large', timeoutMinutes: 90 },
    });
    expect(out).toMatchObject({
      instanceClass: 'db.r6g.large',
      // Marked, so that preflight asks RDS whether it offers the class for the engine.
      instanceClassOverride: 'db.r6g.large',
      configuredInstanceClass: 'db.t4g.micro',
      timeoutSeconds: 5_400,
      recoveryPoint: { type: 'pointInTime', time: START },
    });
  });
});
