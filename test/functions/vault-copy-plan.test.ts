import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import {
  CopyDBSnapshotCommand,
  DeleteDBSnapshotCommand,
  DescribeDBSnapshotsCommand,
  ModifyDBSnapshotAttributeCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { copySnapshot } from '../../functions/backup/copy-snapshot';
import { planRetention } from '../../functions/backup/plan-retention';
import { prune } from '../../functions/backup/prune';
import { shareWithVault } from '../../functions/backup/share-with-vault';
import {
  identityTags,
  shareProblems,
  transitCopiesToDelete,
  vaultCopiesToDelete,
  vaultRecoveryPoints,
} from '../../functions/backup/vault-copy-plan';

beforeEach(() => {
  process.env.LIFELINE_INSTALLATION = 'lifeline';
});

const identity = {
  'lifeline:managed-by': 'lifeline',
  'lifeline:database': 'orders',
  'lifeline:installation': 'lifeline',
  'lifeline:retention': 'daily',
  'lifeline:execution': 'arn:aws:states:eu-central-1:123456789012:execution:lifeline-backup:run-1',
  'lifeline:scheduled-time': '2026-11-22T02:00:00.000Z',
};

describe('shareProblems: may the DR copy be shared with the vault account?', () => {
  const copy = (extra: Record<string, string> = {}, status = 'available', id = 'lifeline-orders-20261122t0200') => ({
    id,
    status,
    tags: { ...identity, 'lifeline:verified': 'copy-verified', ...extra },
  });

  it("shares Lifeline's verified, available DR copy of the database", () => {
    expect(shareProblems(copy(), 'orders', 'lifeline')).toEqual([]);
  });

  it("names every reason not to share: missing, not Lifeline's, another database, not available, not verified", () => {
    expect(shareProblems(undefined, 'orders', 'lifeline')).toEqual(['the DR copy does not exist']);
    expect(shareProblems(copy({ 'lifeline:managed-by': 'team' }), 'orders', 'lifeline')).toEqual([
      "it is not Lifeline's",
    ]);
    expect(shareProblems(copy({}, 'available', 'manual-orders'), 'orders', 'lifeline')).toEqual([
      "it is not Lifeline's",
    ]);
    // Named by another installation's prefix: the name is not the one this installation gives its snapshots.
    expect(shareProblems(copy(), 'orders', 'staging')).toEqual(["it is not Lifeline's"]);
    expect(shareProblems(copy(), 'ledger', 'lifeline')).toEqual(['it is tagged as a copy of orders']);
    expect(shareProblems(copy({}, 'copying'), 'orders', 'lifeline')).toEqual(['it is copying']);
    expect(shareProblems(copy({ 'lifeline:verified': 'available' }), 'orders', 'lifeline')).toEqual([
      'it is not a verified copy',
    ]);
  });
});

describe('tags', () => {
  it('carries identity tags, not the evidence a copy has to earn', () => {
    const source = { ...identity, 'lifeline:verified': 'available', 'lifeline:dr-copy': 'verified', team: 'x' };
    expect(identityTags(source)).toEqual(identity);
  });
});

describe('vault retention: which vault copies may go', () => {
  const RETENTION = { daily: 2, weekly: 1, monthly: 0, yearly: 0, timeZone: 'UTC' };
  /** A vault copy of `database` taken at 02:00 UTC on 2026-11-<day>. */
  const vaultCopy = (day: number, extra: Record<string, string> = {}, database = 'orders') => {
    const stamp = `202611${String(day).padStart(2, '0')}t0200`;
    return {
      id: `lifeline-${database}-${stamp}`,
      status: 'available',
      tags: {
        ...identity,
        'lifeline:database': database,
        'lifeline:scheduled-time': `2026-11-${String(day).padStart(2, '0')}T02:00:00.000Z`,
        'lifeline:verified': 'copy-verified',
        ...extra,
      },
    };
  };

  it('keeps what the GFS planner keeps and deletes the rest, oldest first', () => {
    // Nov 23 is a Monday: days 23 and 22 are daily, 22 is also the newest of the week before.
    const copies = [16, 17, 18, 19, 20, 21, 22, 23].map((d) => vaultCopy(d));
    expect(vaultCopiesToDelete(copies, 'orders', RETENTION, 'lifeline')).toEqual(
      [16, 17, 18, 19, 20, 21].map((d) => `lifeline-orders-202611${d}t0200`),
    );
    // The same answer as the planner over the same points: there is one planner, not two.
    const plan = planRetention(vaultRecoveryPoints(copies, 'orders', 'lifeline'), RETENTION);
    expect(plan.delete.map((d) => d.id)).toEqual(vaultCopiesToDelete(copies, 'orders', RETENTION, 'lifeline'));
  });

  it("never deletes another database's copy, one that is not Lifeline's, or one still copying", () => {
    const copies = [
      ...[20, 21, 22, 23].map((d) => vaultCopy(d)),
      vaultCopy(10, {}, 'ledger'),
      { ...vaultCopy(11), id: 'manual-orders-keep' },
      vaultCopy(12, { 'lifeline:managed-by': 'someone' }),
      { ...vaultCopy(13), status: 'copying' },
    ];
    expect(vaultCopiesToDelete(copies, 'orders', { ...RETENTION, weekly: 0 }, 'lifeline')).toEqual([
      'lifeline-orders-20261120t0200',
      'lifeline-orders-20261121t0200',
    ]);
  });

  it('never deletes the newest verified vault copy, nor an unverified copy newer than it', () => {
    // The newest copy (23) is not verified yet: 22 is the newest verified and stays beside it.
    const copies = [20, 21, 22].map((d) => vaultCopy(d));
    copies.push(vaultCopy(23, { 'lifeline:verified': 'pending' }));
    const doomed = vaultCopiesToDelete(copies, 'orders', { daily: 1, weekly: 0, monthly: 0, yearly: 0 }, 'lifeline');
    expect(doomed).toEqual(['lifeline-orders-20261120t0200', 'lifeline-orders-20261121t0200']);
  });

  it('never prunes below the configured counts: every distinct day up to daily stays', () => {
    const copies = [1, 2, 3, 4, 5, 6, 7, 8, 9].map((d) => vaultCopy(d));
    const doomed = vaultCopiesToDelete(copies, 'orders', { daily: 7, weekly: 0, monthly: 0, yearly: 0 }, 'lifeline');
    expect(copies.length - doomed.length).toBe(7);
    expect(doomed).toEqual(['lifeline-orders-20261101t0200', 'lifeline-orders-20261102t0200']);
  });
});

describe('vault retention invariants', () => {
  const copyArb = fc.record({
    day: fc.integer({ min: 1, max: 400 }),
    verified: fc.boolean(),
    ours: fc.boolean(),
    database: fc.constantFrom('orders', 'ledger'),
  });
  const policyArb = fc.record({
    daily: fc.integer({ min: 1, max: 10 }),
    weekly: fc.integer({ min: 0, max: 5 }),
    monthly: fc.integer({ min: 0, max: 5 }),
    yearly: fc.integer({ min: 0, max: 2 }),
  });

  it("never deletes the newest verified copy, another database's, one not Lifeline's, nor below daily", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(copyArb, { selector: (c) => `${c.database}${c.day}` }),
        policyArb,
        (copies, policy) => {
          const at = (day: number) => new Date(Date.UTC(2026, 0, day, 2)).toISOString();
          const snapshots = copies.map((c) => ({
            id: `${c.ours ? 'lifeline' : 'team'}-${c.database}-${c.day}`,
            status: 'available',
            tags: {
              ...identity,
              'lifeline:database': c.database,
              'lifeline:scheduled-time': at(c.day),
              ...(c.verified ? { 'lifeline:verified': 'copy-verified' } : {}),
            },
          }));
          const doomed = new Set(vaultCopiesToDelete(snapshots, 'orders', policy, 'lifeline'));
          const orders = copies.filter((c) => c.database === 'orders');
          for (const c of copies) {
            const id = `${c.ours ? 'lifeline' : 'team'}-${c.database}-${c.day}`;
            if (c.database !== 'orders' || !c.ours) expect(doomed.has(id)).toBe(false);
          }
          const verifiedDays = orders.filter((c) => c.verified).map((c) => c.day);
          const newest = Math.max(...verifiedDays);
          for (const c of orders.filter((o) => o.day >= newest))
            expect(doomed.has(`${c.ours ? 'lifeline' : 'team'}-orders-${c.day}`)).toBe(false);
          const keptVerified = orders.filter(
            (c) => c.verified && !doomed.has(`${c.ours ? 'lifeline' : 'team'}-orders-${c.day}`),
          );
          expect(keptVerified.length).toBeGreaterThanOrEqual(Math.min(policy.daily, verifiedDays.length));
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('transitCopiesToDelete', () => {
  const transit = (id: string, extra: Record<string, string> = {}, status = 'available') => ({
    id,
    status,
    tags: { ...identity, 'lifeline:vault-share': 'src', ...extra },
  });

  it('deletes only available Lifeline transit copies whose vault copy is verified', () => {
    expect(
      transitCopiesToDelete(
        [
          transit('lifeline-orders-1-share', { 'lifeline:vault-copy': 'verified' }),
          transit('lifeline-orders-2-share'),
          transit('lifeline-orders-3-share', { 'lifeline:vault-copy': 'verified' }, 'copying'),
          transit('someone-elses-share', { 'lifeline:vault-copy': 'verified' }),
          transit('lifeline-orders-4-share', { 'lifeline:vault-copy': 'verified', 'lifeline:managed-by': 'team' }),
          { id: 'lifeline-orders-5', status: 'available', tags: { ...identity, 'lifeline:vault-copy': 'verified' } },
        ],
        'lifeline',
      ),
    ).toEqual(['lifeline-orders-1-share']);
  });
});

describe('handlers', () => {
  const rds = mockClient(RDSClient);
  beforeEach(() => {
    process.env.AWS_REGION = 'eu-central-1';
  });
  afterEach(() => rds.reset());
  const tagList = (tags: Record<string, string>) => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

  it('share-with-vault shares the verified DR copy in the DR region and hands on its identity tags', async () => {
    process.env.DR_REGION = 'eu-west-1';
    process.env.VAULT_ACCOUNT = '210987654321';
    const arn = 'arn:aws:rds:eu-west-1:123456789012:snapshot:lifeline-orders-20261122t0200';
    rds.on(DescribeDBSnapshotsCommand).resolves({
      DBSnapshots: [
        {
          DBSnapshotIdentifier: 'lifeline-orders-20261122t0200',
          DBSnapshotArn: arn,
          Status: 'available',
          TagList: tagList({ ...identity, 'lifeline:verified': 'copy-verified' }),
        },
      ],
    });
    rds.on(ModifyDBSnapshotAttributeCommand).resolves({});
    const out = await shareWithVault({
      kind: 'instance',
      database: 'orders',
      snapshotId: 'lifeline-orders-20261122t0200',
    });
    expect(out).toEqual({
      snapshotId: 'lifeline-orders-20261122t0200',
      arn,
      region: 'eu-west-1',
      sharedWith: '210987654321',
      tags: identity,
    });
    expect(rds.commandCalls(ModifyDBSnapshotAttributeCommand)[0]?.args[0].input).toEqual({
      DBSnapshotIdentifier: 'lifeline-orders-20261122t0200',
      AttributeName: 'restore',
      ValuesToAdd: ['210987654321'],
    });
  });

  it('share-with-vault refuses an unverified DR copy, in words, before sharing anything', async () => {
    process.env.DR_REGION = 'eu-west-1';
    process.env.VAULT_ACCOUNT = '210987654321';
    rds.on(DescribeDBSnapshotsCommand).resolves({
      DBSnapshots: [
        { DBSnapshotIdentifier: 'lifeline-orders-20261122t0200', Status: 'available', TagList: tagList(identity) },
      ],
    });
    await expect(
      shareWithVault({ kind: 'instance', database: 'orders', snapshotId: 'lifeline-orders-20261122t0200' }),
    ).rejects.toThrow(
      'The DR copy lifeline-orders-20261122t0200 in eu-west-1 cannot be shared with the vault (210987654321): it is not a verified copy',
    );
    expect(rds.commandCalls(ModifyDBSnapshotAttributeCommand)).toHaveLength(0);
  });

  it('copy-snapshot stops before CopyDBSnapshot when the DR region is at its manual snapshot quota, naming it', async () => {
    const kms = mockClient(KMSClient);
    process.env.DR_REGION = 'eu-west-1';
    process.env.DR_KEY_ALIAS = 'alias/lifeline/dr';
    process.env.SNAPSHOT_QUOTA = '3';
    kms
      .on(DescribeKeyCommand)
      .resolves({ KeyMetadata: { KeyId: 'dr', Arn: 'arn:aws:kms:eu-west-1:123456789012:key/dr' } });
    const manual = (id: string) => ({ DBSnapshotIdentifier: id, SnapshotType: 'manual', Status: 'available' });
    // The source is in the primary region (with Lifeline's tags, which the copy carries); no copy in the DR region yet.
    rds
      .on(DescribeDBSnapshotsCommand, { DBSnapshotIdentifier: 'lifeline-orders-20261122t0200' })
      .callsFake(async (_input, getClient) => {
        if ((await getClient().config.region()) !== 'eu-central-1')
          throw Object.assign(new Error('not found'), { name: 'DBSnapshotNotFound' });
        return {
          DBSnapshots: [
            { DBSnapshotIdentifier: 'lifeline-orders-20261122t0200', Status: 'available', TagList: tagList(identity) },
          ],
        };
      });
    rds.on(DescribeDBSnapshotsCommand, { SnapshotType: 'manual' }).resolves({
      DBSnapshots: [manual('a'), manual('b'), manual('c')],
    });
    try {
      const input = {
        kind: 'instance' as const,
        sourceArn: 'arn:aws:rds:eu-central-1:123456789012:snapshot:lifeline-orders-20261122t0200',
        snapshotId: 'lifeline-orders-20261122t0200',
      };
      await expect(copySnapshot(input)).rejects.toThrow(
        expect.objectContaining({
          name: 'SnapshotQuotaExceeded',
          message: expect.stringMatching(
            /^eu-west-1 \(the DR region\) holds 3 manual instance snapshots, the quota is 3/,
          ),
        }),
      );
      expect(rds.commandCalls(CopyDBSnapshotCommand)).toHaveLength(0);
      // Below the quota the copy starts.
      process.env.SNAPSHOT_QUOTA = '4';
      rds.on(CopyDBSnapshotCommand).resolves({ DBSnapshot: { DBSnapshotIdentifier: input.snapshotId } });
      await expect(copySnapshot(input)).resolves.toMatchObject({ snapshotId: input.snapshotId, reused: false });
    } finally {
      kms.restore();
      delete process.env.SNAPSHOT_QUOTA;
    }
  });

  it('prune never counts a transit copy as a recovery point, and deletes it once its vault copy is verified', async () => {
    const snapshot = (id: string, tags: Record<string, string>) => ({
      DBSnapshotIdentifier: id,
      DBInstanceIdentifier: 'orders-prod',
      SnapshotType: 'manual',
      Status: 'available',
      TagList: tagList(tags),
    });
    rds.on(DescribeDBSnapshotsCommand).resolves({
      DBSnapshots: [
        snapshot('lifeline-orders-20261122t0200', {
          ...identity,
          'lifeline:verified': 'available',
          'lifeline:dr-copy': 'verified',
        }),
        snapshot('lifeline-orders-20261122t0200-share', {
          ...identity,
          'lifeline:vault-share': 'lifeline-orders-20261122t0200',
          'lifeline:vault-copy': 'verified',
        }),
        snapshot('lifeline-orders-20261121t0200-share', {
          ...identity,
          'lifeline:scheduled-time': '2026-11-21T02:00:00.000Z',
          'lifeline:vault-share': 'lifeline-orders-20261121t0200',
        }),
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
      retention: { daily: 1, weekly: 0, monthly: 0, yearly: 0 },
    });
    expect(out).toEqual({ region: 'eu-central-1', kept: 1, deleted: ['lifeline-orders-20261122t0200-share'] });
  });
});
