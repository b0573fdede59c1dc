import { DescribeKeyCommand } from '@aws-sdk/client-kms';
import {
  DescribeAccountAttributesCommand,
  DescribeDBInstanceAutomatedBackupsCommand,
  DescribeDBSnapshotsCommand,
  DescribeDBSubnetGroupsCommand,
  DescribeOrderableDBInstanceOptionsCommand,
} from '@aws-sdk/client-rds';
import { describe, expect, it } from 'vitest';
import { PreflightFailed } from '../../../functions/commons/errors';
import { preflight } from '../../../functions/drill/preflight';
import { awsError, kms, plan, rds, tags, useDrillEnvironment } from './drill-fixtures';

useDrillEnvironment();

describe('preflight', () => {
  const snapshot = (id: string, snapshotTags: Record<string, string>, extra: Record<string, unknown> = {}) => ({
    DBSnapshotIdentifier: id,
    DBInstanceIdentifier: 'orders-prod',
    DBSnapshotArn: `arn:aws:rds:eu-west-1:123456789012:snapshot:${id}`,
    SnapshotType: 'manual',
    Status: 'available',
    SnapshotCreateTime: new Date('2026-11-22T05:00:00.000Z'),
    KmsKeyId: 'arn:aws:kms:eu-west-1:123456789012:key/dr-key',
    EngineVersion: '16.4',
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

  it('chooses the newest verified copy of the database, with what RDS says of it for the report', async () => {
    // Prepare
    healthyRegion();
    // Act
    const out = await preflight(plan);
    // Assess
    expect(out).toEqual({
      type: 'latest-copy',
      id: 'lifeline-orders-20261122t0200',
      time: '2026-11-22T02:00:00.000Z',
      arn: 'arn:aws:rds:eu-west-1:123456789012:snapshot:lifeline-orders-20261122t0200',
      kmsKeyId: 'arn:aws:kms:eu-west-1:123456789012:key/dr-key',
      engineVersion: '16.4',
    });
    expect(kms.commandCalls(DescribeKeyCommand)[0]?.args[0].input).toEqual({ KeyId: 'alias/lifeline-dr' });
    expect(rds.commandCalls(DescribeDBSubnetGroupsCommand)[0]?.args[0].input).toEqual({
      DBSubnetGroupName: 'lifeline-drill-subnets',
    });
  });

  it('uses a named snapshot only when it is available', async () => {
    // Prepare
    healthyRegion();
    const named = { ...plan, recoveryPoint: { type: 'snapshot' as const, id: 'lifeline-orders-20261121t0200' } };
    rds
      .on(DescribeDBSnapshotsCommand, { DBSnapshotIdentifier: 'lifeline-orders-20261121t0200' })
      .resolves({ DBSnapshots: [snapshot('lifeline-orders-20261121t0200', verified('21'))] });
    // Act
    const available = await preflight(named);
    // Assess
    expect(available).toEqual({
      type: 'snapshot',
      id: 'lifeline-orders-20261121t0200',
      time: '2026-11-21T02:00:00.000Z',
      arn: 'arn:aws:rds:eu-west-1:123456789012:snapshot:lifeline-orders-20261121t0200',
      kmsKeyId: 'arn:aws:kms:eu-west-1:123456789012:key/dr-key',
      engineVersion: '16.4',
    });

    // Prepare: the named snapshot is still copying
    rds
      .on(DescribeDBSnapshotsCommand, { DBSnapshotIdentifier: 'lifeline-orders-20261121t0200' })
      .resolves({ DBSnapshots: [snapshot('lifeline-orders-20261121t0200', verified('21'), { Status: 'copying' })] });
    // Act
    const copying = preflight(named);
    // Assess
    await expect(copying).rejects.toThrow(
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
    // Prepare
    healthyRegion();
    rds.on(DescribeDBSnapshotsCommand).resolves({
      DBSnapshots: [
        snapshot('lifeline-orders-20261121t0200', verified('21')),
        snapshot('lifeline-orders-20261125t0200', { ...verified('25'), 'lifeline:installation': 'staging' }),
        snapshot('lifeline-orders-20261126t0200', verified('26'), { DBInstanceIdentifier: 'orders-test' }),
        snapshot('lifeline-orders-20261127t0200', { ...verified('27'), 'lifeline:managed-by': 'someone' }),
      ],
    });
    // Act
    const out = await preflight(plan);
    // Assess
    expect(out).toMatchObject({ type: 'latest-copy', id: 'lifeline-orders-20261121t0200' });
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
    // Prepare
    healthyRegion();
    // Act
    await preflight(plan);
    // Assess
    expect(rds.commandCalls(DescribeOrderableDBInstanceOptionsCommand)).toHaveLength(0);
  });

  it('fails when there is no verified copy', async () => {
    // Prepare
    healthyRegion();
    rds.on(DescribeDBSnapshotsCommand).resolves({
      DBSnapshots: [snapshot('lifeline-orders-20261123t0200', { ...verified('23'), 'lifeline:verified': 'available' })],
    });
    // Act
    const error = await preflight(plan).catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(PreflightFailed);
    expect((error as Error).message).toContain('there is no verified copy of orders in eu-west-1');
  });

  it('fails on a disabled DR key, and on one it cannot read', async () => {
    // Prepare
    healthyRegion();
    kms.on(DescribeKeyCommand).resolves({ KeyMetadata: { KeyId: 'key-dr', KeyState: 'Disabled' } });
    // Act
    const disabled = preflight(plan);
    // Assess
    await expect(disabled).rejects.toMatchObject({
      name: 'PreflightFailed',
      message: expect.stringContaining('the DR key alias/lifeline-dr is Disabled: enable it'),
    });

    // Prepare: a key it cannot read
    kms.on(DescribeKeyCommand).rejects(awsError('NotFoundException'));
    // Act
    const unreadable = preflight(plan);
    // Assess
    await expect(unreadable).rejects.toMatchObject({
      name: 'PreflightFailed',
      message: expect.stringContaining('the DR key alias/lifeline-dr cannot be read in eu-west-1'),
    });
  });

  it('fails when the drill subnet group is missing', async () => {
    // Prepare
    healthyRegion();
    rds.on(DescribeDBSubnetGroupsCommand).rejects(awsError('DBSubnetGroupNotFoundFault'));
    // Act
    const run = preflight(plan);
    // Assess
    await expect(run).rejects.toMatchObject({
      name: 'PreflightFailed',
      message: expect.stringContaining('the drill subnet group lifeline-drill-subnets does not exist in eu-west-1'),
    });
  });

  it('fails when the DB instance quota is used up', async () => {
    // Prepare
    healthyRegion();
    rds
      .on(DescribeAccountAttributesCommand)
      .resolves({ AccountQuotas: [{ AccountQuotaName: 'DBInstances', Used: 40, Max: 40 }] });
    // Act
    const run = preflight(plan);
    // Assess
    await expect(run).rejects.toMatchObject({
      name: 'PreflightFailed',
      message: expect.stringContaining('the account runs 40 of 40 DB instances in eu-west-1'),
    });
  });

  it('accepts a point in time inside a restore window, and fails one no automated backup covers', async () => {
    // Prepare
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
    // Act
    const covered = await preflight(inside);
    // Assess
    // RDS named no key or version for these backups: the recovery point says nothing of them.
    expect(covered).toEqual({
      type: 'point-in-time',
      id: 'arn:aws:rds:eu-west-1:123456789012:auto-backup:ab-orders',
      time: '2026-11-22T09:30:00.000Z',
      arn: 'arn:aws:rds:eu-west-1:123456789012:auto-backup:ab-orders',
    });
    expect(rds.commandCalls(DescribeDBInstanceAutomatedBackupsCommand)[0]?.args[0].input).toEqual({
      DBInstanceIdentifier: 'orders-prod',
    });

    // Prepare: a time after the newest restorable time
    const outside = { ...plan, recoveryPoint: { type: 'pointInTime' as const, time: '2026-11-22T09:58:00.000Z' } };
    // Act
    const uncovered = preflight(outside);
    // Assess
    await expect(uncovered).rejects.toMatchObject({
      name: 'PreflightFailed',
      message: expect.stringContaining('orders-prod has no automated backups in eu-west-1 covering 2026-11-22T09:58'),
    });
  });

  it('finds the replicated automated backups by their source ARN, and restores "latest" to their latest restorable time', async () => {
    // Prepare: the source's backups replicated here: one retained (replication was stopped once), one replicating
    healthyRegion();
    const source = 'arn:aws:rds:eu-central-1:123456789012:db:orders-prod';
    rds.on(DescribeDBInstanceAutomatedBackupsCommand).resolves({
      DBInstanceAutomatedBackups: [
        {
          DBInstanceArn: source,
          Status: 'retained',
          DBInstanceAutomatedBackupsArn: 'arn:aws:rds:eu-west-1:123456789012:auto-backup:ab-old',
          RestoreWindow: {
            EarliestTime: new Date('2026-11-01T00:00:00Z'),
            LatestTime: new Date('2026-11-10T00:00:00Z'),
          },
        },
        {
          DBInstanceArn: source,
          Status: 'replicating',
          DBInstanceAutomatedBackupsArn: 'arn:aws:rds:eu-west-1:123456789012:auto-backup:ab-orders',
          RestoreWindow: {
            EarliestTime: new Date('2026-11-15T00:00:00Z'),
            LatestTime: new Date('2026-11-22T09:55:00Z'),
          },
        },
      ],
    });
    const latest = {
      ...plan,
      pointInTimeSource: source,
      recoveryPoint: { type: 'pointInTime' as const, time: 'latest' },
    };
    // Act
    const point = await preflight(latest);
    // Assess
    expect(rds.commandCalls(DescribeDBInstanceAutomatedBackupsCommand)[0]?.args[0].input).toEqual({
      Filters: [{ Name: 'db-instance-id', Values: [source] }],
    });
    // The time restored is the one the report measures the RPO from.
    expect(point).toMatchObject({
      type: 'point-in-time',
      id: 'arn:aws:rds:eu-west-1:123456789012:auto-backup:ab-orders',
      time: '2026-11-22T09:55:00.000Z',
    });

    // Prepare: a time before every restore window
    const before = { ...latest, recoveryPoint: { type: 'pointInTime' as const, time: '2026-10-01T00:00:00.000Z' } };
    // Act
    const refused = preflight(before);
    // Assess: the windows there are are named, before anything is restored
    await expect(refused).rejects.toMatchObject({
      name: 'PreflightFailed',
      message: expect.stringContaining(
        'orders-prod has no automated backups in eu-west-1 covering 2026-10-01T00:00:00.000Z (restorable: 2026-11-01T00:00:00.000Z to 2026-11-10T00:00:00.000Z, 2026-11-15T00:00:00.000Z to 2026-11-22T09:55:00.000Z)',
      ),
    });
  });
});
