import {
  AddTagsToResourceCommand,
  CreateDBSnapshotCommand,
  DeleteDBSnapshotCommand,
  DescribeDBSnapshotsCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BackupPlan } from '../../functions/backup/contracts';
import { createSnapshot } from '../../functions/backup/create-snapshot';
import { prune } from '../../functions/backup/prune';
import { verifyCopy } from '../../functions/backup/verify-copy';

const rds = mockClient(RDSClient);
beforeEach(() => {
  process.env.AWS_REGION = 'eu-central-1';
  process.env.SNAPSHOT_QUOTA = '100';
  process.env.LIFELINE_INSTALLATION = 'lifeline';
});
afterEach(() => rds.reset());

const plan: BackupPlan = {
  database: 'orders',
  kind: 'instance',
  identifier: 'orders-prod',
  snapshotId: 'lifeline-orders-20261122t0200',
  scheduledTime: '2026-11-22T02:00:00.000Z',
  retentionClasses: ['daily', 'weekly'],
  retention: { daily: 2, weekly: 0, monthly: 0, yearly: 0, timeZone: 'UTC' },
  copyToDr: true,
  copyToVault: false,
  execution: 'arn:aws:states:eu-central-1:123456789012:execution:lifeline-backup:run-1',
  pruneTargets: [],
};
const manual = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    DBSnapshotIdentifier: `other-${i}`,
    SnapshotType: 'manual',
    Status: 'available',
  }));

describe('create-snapshot', () => {
  it("creates the snapshot with Lifeline's tags", async () => {
    // Prepare
    rds
      .on(DescribeDBSnapshotsCommand, { DBSnapshotIdentifier: plan.snapshotId })
      .rejects(Object.assign(new Error('not found'), { name: 'DBSnapshotNotFoundFault' }));
    rds.on(DescribeDBSnapshotsCommand, { SnapshotType: 'manual' }).resolves({ DBSnapshots: manual(3) });
    rds
      .on(CreateDBSnapshotCommand)
      .resolves({ DBSnapshot: { DBSnapshotIdentifier: plan.snapshotId, DBSnapshotArn: 'arn:snap' } });
    // Act
    const out = await createSnapshot(plan);
    // Assess
    expect(out).toMatchObject({
      snapshotId: plan.snapshotId,
      reused: false,
      quota: { used: 3, limit: 100, warning: null },
    });
    const tags = rds.commandCalls(CreateDBSnapshotCommand)[0]?.args[0].input.Tags;
    expect(tags).toEqual(
      expect.arrayContaining([
        { Key: 'lifeline:managed-by', Value: 'lifeline' },
        { Key: 'lifeline:database', Value: 'orders' },
        { Key: 'lifeline:installation', Value: 'lifeline' },
        { Key: 'lifeline:retention', Value: 'daily+weekly' },
        { Key: 'lifeline:execution', Value: plan.execution },
      ]),
    );
  });

  it('refuses to create at the quota, and warns from 80 %', async () => {
    rds.on(DescribeDBSnapshotsCommand, { DBSnapshotIdentifier: plan.snapshotId }).resolves({ DBSnapshots: [] });
    rds.on(DescribeDBSnapshotsCommand, { SnapshotType: 'manual' }).resolves({ DBSnapshots: manual(100) });
    await expect(createSnapshot(plan)).rejects.toMatchObject({ name: 'SnapshotQuotaExceeded' });
    expect(rds.commandCalls(CreateDBSnapshotCommand)).toHaveLength(0);

    rds.on(DescribeDBSnapshotsCommand, { SnapshotType: 'manual' }).resolves({ DBSnapshots: manual(85) });
    rds.on(CreateDBSnapshotCommand).resolves({ DBSnapshot: { DBSnapshotIdentifier: plan.snapshotId } });
    const out = await createSnapshot(plan);
    expect(out.quota.warning).toBe(
      'eu-central-1 is at 86 of 100 manual snapshots (86 %); raise the quota before backups start to fail',
    );
  });

  it("reuses the snapshot of an earlier attempt, but never one that is not Lifeline's", async () => {
    rds.on(DescribeDBSnapshotsCommand, { SnapshotType: 'manual' }).resolves({ DBSnapshots: [] });
    rds.on(DescribeDBSnapshotsCommand, { DBSnapshotIdentifier: plan.snapshotId }).resolves({
      DBSnapshots: [
        {
          DBSnapshotIdentifier: plan.snapshotId,
          DBSnapshotArn: 'arn:snap',
          TagList: [
            { Key: 'lifeline:managed-by', Value: 'lifeline' },
            { Key: 'lifeline:installation', Value: 'lifeline' },
            { Key: 'lifeline:database', Value: plan.database },
          ],
        },
      ],
    });
    expect(await createSnapshot(plan)).toMatchObject({ reused: true });

    // Another installation's point of the same id is not this run's to reuse.
    rds.on(DescribeDBSnapshotsCommand, { DBSnapshotIdentifier: plan.snapshotId }).resolves({
      DBSnapshots: [
        {
          DBSnapshotIdentifier: plan.snapshotId,
          DBSnapshotArn: 'arn:snap',
          TagList: [
            { Key: 'lifeline:managed-by', Value: 'lifeline' },
            { Key: 'lifeline:installation', Value: 'shop' },
            { Key: 'lifeline:database', Value: plan.database },
          ],
        },
      ],
    });
    await expect(createSnapshot(plan)).rejects.toMatchObject({
      name: 'SnapshotFailed',
      message: expect.stringContaining('installation "shop"'),
    });

    rds
      .on(DescribeDBSnapshotsCommand, { DBSnapshotIdentifier: plan.snapshotId })
      .resolves({ DBSnapshots: [{ DBSnapshotIdentifier: plan.snapshotId, TagList: [] }] });
    await expect(createSnapshot(plan)).rejects.toMatchObject({ name: 'SnapshotFailed' });
    expect(rds.commandCalls(CreateDBSnapshotCommand)).toHaveLength(0);
  });
});

describe('verify-copy', () => {
  const input = {
    kind: 'instance' as const,
    database: 'orders',
    snapshotId: plan.snapshotId,
    region: 'eu-west-1',
    kmsKeyArn: 'arn:key/dr',
    sourceArn: 'arn:snap',
    sourceRegion: 'eu-central-1',
  };
  const copy = (over: Record<string, unknown>) => ({
    DBSnapshots: [
      {
        DBSnapshotIdentifier: plan.snapshotId,
        DBSnapshotArn: 'arn:copy',
        Status: 'available',
        Encrypted: true,
        KmsKeyId: 'arn:key/dr',
        TagList: Object.entries({
          'lifeline:managed-by': 'lifeline',
          'lifeline:database': 'orders',
          'lifeline:installation': 'lifeline',
          'lifeline:execution': plan.execution,
          'lifeline:scheduled-time': plan.scheduledTime,
        }).map(([Key, Value]) => ({ Key, Value })),
        ...over,
      },
    ],
  });

  it('throws NotReady while the copy is copying', async () => {
    rds.on(DescribeDBSnapshotsCommand).resolves(copy({ Status: 'copying' }));
    await expect(verifyCopy(input)).rejects.toMatchObject({ name: 'NotReady' });
    expect(rds.commandCalls(AddTagsToResourceCommand)).toHaveLength(0);
  });

  it('rejects a copy under another key, and does not mark the source', async () => {
    rds.on(DescribeDBSnapshotsCommand).resolves(copy({ KmsKeyId: 'arn:key/other' }));
    await expect(verifyCopy(input)).rejects.toThrow('it is encrypted with arn:key/other, not the DR key arn:key/dr');
    expect(rds.commandCalls(AddTagsToResourceCommand)).toHaveLength(0);
  });

  it('rejects a copy another installation made under the same name, and does not mark the source', async () => {
    // Prepare
    const tags = copy({}).DBSnapshots[0]?.TagList.map((t) =>
      t.Key === 'lifeline:installation' ? { ...t, Value: 'staging' } : t,
    );
    rds.on(DescribeDBSnapshotsCommand).resolves(copy({ TagList: tags }));
    // Act / Assess
    await expect(verifyCopy(input)).rejects.toMatchObject({
      name: 'CopyNotVerified',
      message: `The copy ${plan.snapshotId} in eu-west-1 is not a good recovery point: it is tagged as made by the installation staging, not lifeline`,
    });
    expect(rds.commandCalls(AddTagsToResourceCommand)).toHaveLength(0);
  });

  it('marks a good copy and its source as verified', async () => {
    rds.on(DescribeDBSnapshotsCommand).resolves(copy({}));
    rds.on(AddTagsToResourceCommand).resolves({});
    await verifyCopy(input);
    expect(rds.commandCalls(AddTagsToResourceCommand).map((c) => c.args[0].input.ResourceName)).toEqual([
      'arn:copy',
      'arn:snap',
    ]);
  });
});

describe('prune', () => {
  it('deletes only old Lifeline points whose copy is verified', async () => {
    const point = (id: string, day: number, tags: Record<string, string>) => ({
      DBSnapshotIdentifier: id,
      DBInstanceIdentifier: 'orders-prod',
      SnapshotType: 'manual',
      Status: 'available',
      SnapshotCreateTime: new Date(Date.UTC(2026, 10, day)),
      TagList: Object.entries({ 'lifeline:database': 'orders', 'lifeline:installation': 'lifeline', ...tags }).map(
        ([Key, Value]) => ({ Key, Value }),
      ),
    });
    const ours = { 'lifeline:managed-by': 'lifeline', 'lifeline:verified': 'available' };
    rds.on(DescribeDBSnapshotsCommand).resolves({
      DBSnapshots: [
        point('lifeline-orders-1', 1, { ...ours, 'lifeline:dr-copy': 'verified' }),
        point('lifeline-orders-2', 2, ours),
        point('lifeline-orders-3', 3, { ...ours, 'lifeline:dr-copy': 'verified' }),
        point('lifeline-orders-4', 4, { ...ours, 'lifeline:dr-copy': 'verified' }),
        { ...point('hand-made', 0, {}), TagList: [] },
      ],
    });
    rds.on(DeleteDBSnapshotCommand).resolves({});
    const out = await prune({
      database: 'orders',
      identifier: 'orders-prod',
      kind: 'instance',
      region: 'eu-central-1',
      role: 'source',
      copyToDr: true,
      retention: plan.retention,
    });
    expect(out.deleted).toEqual(['lifeline-orders-1']);
    expect(rds.commandCalls(DeleteDBSnapshotCommand).map((c) => c.args[0].input.DBSnapshotIdentifier)).toEqual([
      'lifeline-orders-1',
    ]);
  });
  it("never deletes another database's or another installation's points on the same source", async () => {
    // Prepare: old, verified, Lifeline-made points of orders-prod, made for two other database ids (in this
    // installation) and for this database id by another installation ("staging"), besides this one's.
    const point = (id: string, day: number, database: string, installation: string) => ({
      DBSnapshotIdentifier: id,
      DBInstanceIdentifier: 'orders-prod',
      SnapshotType: 'manual',
      Status: 'available',
      SnapshotCreateTime: new Date(Date.UTC(2026, 10, day)),
      TagList: Object.entries({
        'lifeline:managed-by': 'lifeline',
        'lifeline:database': database,
        'lifeline:installation': installation,
        'lifeline:verified': 'available',
        'lifeline:dr-copy': 'verified',
      }).map(([Key, Value]) => ({ Key, Value })),
    });
    rds.on(DescribeDBSnapshotsCommand).resolves({
      DBSnapshots: [
        point('lifeline-reports-1', 1, 'reports', 'lifeline'),
        point('lifeline-reports-2', 2, 'reports', 'lifeline'),
        point('lifeline-orders-staging-1', 1, 'orders', 'staging'),
        point('lifeline-orders-staging-2', 2, 'orders', 'staging'),
        point('lifeline-orders-3', 3, 'orders', 'lifeline'),
        point('lifeline-orders-4', 4, 'orders', 'lifeline'),
        point('lifeline-orders-5', 5, 'orders', 'lifeline'),
      ],
    });
    rds.on(DeleteDBSnapshotCommand).resolves({});
    // Act
    const out = await prune({
      database: 'orders',
      identifier: 'orders-prod',
      kind: 'instance',
      region: 'eu-central-1',
      role: 'source',
      copyToDr: true,
      retention: plan.retention,
    });
    // Assess: with daily 2, only this installation's oldest point of orders goes.
    expect(out).toEqual({ region: 'eu-central-1', kept: 2, deleted: ['lifeline-orders-3'] });
    expect(rds.commandCalls(DeleteDBSnapshotCommand).map((c) => c.args[0].input.DBSnapshotIdentifier)).toEqual([
      'lifeline-orders-3',
    ]);
  });
});
