import {
  DeleteDBClusterSnapshotCommand,
  DeleteDBSnapshotCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBSnapshotsCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pruneVault } from '../../functions/vault/prune-vault';

const rds = mockClient(RDSClient);
const sns = mockClient(SNSClient);
const TOPIC = 'arn:aws:sns:eu-west-1:210987654321:lifeline-vault-alerts';
beforeEach(() => {
  process.env.AWS_REGION = 'eu-west-1';
  process.env.VAULT_ACCOUNT = '210987654321';
  process.env.LIFELINE_INSTALLATION = 'lifeline';
  process.env.ALERTS_TOPIC_ARN = TOPIC;
  process.env.VAULT_RETENTION = JSON.stringify({ daily: 2, weekly: 0, monthly: 0, yearly: 0 });
  process.env.VAULT_DATABASES = JSON.stringify([
    { id: 'orders', kind: 'instance', timeZone: 'UTC' },
    { id: 'ledger', kind: 'cluster', timeZone: 'UTC' },
  ]);
  rds.on(DescribeDBClusterSnapshotsCommand).resolves({ DBClusterSnapshots: [] });
  rds.on(DeleteDBSnapshotCommand).resolves({});
  rds.on(DeleteDBClusterSnapshotCommand).resolves({});
  sns.on(PublishCommand).resolves({});
});
afterEach(() => {
  rds.reset();
  sns.reset();
});

/** A vault copy of `database` made by this installation for 02:00 UTC on 2026-11-<day>, verified. */
const copy = (day: number, tags: Record<string, string> = {}, database = 'orders') => {
  const dd = String(day).padStart(2, '0');
  return {
    DBSnapshotIdentifier: `lifeline-${database}-202611${dd}t0200`,
    SnapshotType: 'manual',
    Status: 'available',
    TagList: Object.entries({
      'lifeline:managed-by': 'lifeline',
      'lifeline:database': database,
      'lifeline:installation': 'lifeline',
      'lifeline:scheduled-time': `2026-11-${dd}T02:00:00.000Z`,
      'lifeline:verified': 'copy-verified',
      ...tags,
    }).map(([Key, Value]) => ({ Key, Value })),
  };
};
const deleted = () => rds.commandCalls(DeleteDBSnapshotCommand).map((c) => c.args[0].input.DBSnapshotIdentifier);

describe('the vault pruner', () => {
  it('deletes the vault copies vault.retention no longer needs, oldest first, and says what it kept', async () => {
    // Prepare
    rds.on(DescribeDBSnapshotsCommand).resolves({ DBSnapshots: [18, 19, 20, 21].map((d) => copy(d)) });
    // Act
    const out = await pruneVault({});
    // Assess
    expect(deleted()).toEqual(['lifeline-orders-20261118t0200', 'lifeline-orders-20261119t0200']);
    expect(out.databases).toEqual([
      { database: 'orders', kept: 2, deleted: ['lifeline-orders-20261118t0200', 'lifeline-orders-20261119t0200'] },
      { database: 'ledger', kept: 0, deleted: [] },
    ]);
    expect(sns.commandCalls(PublishCommand)).toEqual([]);
  });

  it('never deletes the newest verified copy, nor what is newer, even when retention would let them go', async () => {
    // Prepare: the two newest copies are not verified (one still copying): day 19 is the newest verified.
    rds.on(DescribeDBSnapshotsCommand).resolves({
      DBSnapshots: [
        copy(17),
        copy(18),
        copy(19),
        copy(20, { 'lifeline:verified': 'available' }),
        { ...copy(21), Status: 'copying' },
      ],
    });
    process.env.VAULT_RETENTION = JSON.stringify({ daily: 1, weekly: 0, monthly: 0, yearly: 0 });
    // Act
    await pruneVault({});
    // Assess
    expect(deleted()).toEqual(['lifeline-orders-20261117t0200', 'lifeline-orders-20261118t0200']);
  });

  it("never touches another installation's, another database's, an untagged or a non-lifeline copy", async () => {
    // Prepare: only the three own copies count; everything old beside them is someone else's.
    rds.on(DescribeDBSnapshotsCommand).resolves({
      DBSnapshots: [
        copy(19),
        copy(20),
        copy(21),
        copy(1, { 'lifeline:installation': 'staging' }),
        copy(2, {}, 'billing'),
        { ...copy(3), TagList: [] },
        { ...copy(4, { 'lifeline:managed-by': 'someone' }) },
        { ...copy(5), DBSnapshotIdentifier: 'manual-orders-5' },
      ],
    });
    // Act
    const out = await pruneVault({});
    // Assess
    expect(deleted()).toEqual(['lifeline-orders-20261119t0200']);
    // Kept: the two newest, and the two tagged for this database and installation that are not Lifeline's to delete.
    expect(out.databases[0]).toEqual({ database: 'orders', kept: 4, deleted: ['lifeline-orders-20261119t0200'] });
  });

  it('counts vault.retention in each database’s time zone and prunes Aurora copies as cluster snapshots', async () => {
    // Prepare: 23:30 and 00:30 UTC fall on one day in Tokyo (UTC+9): with daily 1 only the later of them stays.
    process.env.VAULT_RETENTION = JSON.stringify({ daily: 1, weekly: 0, monthly: 0, yearly: 0 });
    process.env.VAULT_DATABASES = JSON.stringify([{ id: 'ledger', kind: 'cluster', timeZone: 'Asia/Tokyo' }]);
    const cluster = (id: string, at: string) => ({
      DBClusterSnapshotIdentifier: id,
      SnapshotType: 'manual',
      Status: 'available',
      TagList: Object.entries({
        'lifeline:managed-by': 'lifeline',
        'lifeline:database': 'ledger',
        'lifeline:installation': 'lifeline',
        'lifeline:scheduled-time': at,
        'lifeline:verified': 'copy-verified',
      }).map(([Key, Value]) => ({ Key, Value })),
    });
    rds.on(DescribeDBClusterSnapshotsCommand).resolves({
      DBClusterSnapshots: [
        cluster('lifeline-ledger-20261120t2330', '2026-11-20T23:30:00.000Z'),
        cluster('lifeline-ledger-20261121t0030', '2026-11-21T00:30:00.000Z'),
      ],
    });
    // Act
    await pruneVault({});
    // Assess
    expect(
      rds.commandCalls(DeleteDBClusterSnapshotCommand).map((c) => c.args[0].input.DBClusterSnapshotIdentifier),
    ).toEqual(['lifeline-ledger-20261120t2330']);
    expect(rds.commandCalls(DeleteDBSnapshotCommand)).toEqual([]);
  });

  it('goes on with the other databases when one fails, alerts on the vault topic naming it, and fails', async () => {
    // Prepare: listing the instance snapshots is denied; the Aurora database is pruned regardless.
    rds
      .on(DescribeDBSnapshotsCommand)
      .rejects(Object.assign(new Error('not authorized to perform rds:DescribeDBSnapshots'), { name: 'AccessDenied' }));
    // Act
    const run = pruneVault({});
    // Assess
    await expect(run).rejects.toMatchObject({ name: 'VaultPruneFailed' });
    expect(rds.commandCalls(DescribeDBClusterSnapshotsCommand)).toHaveLength(1);
    const [publish, ...more] = sns.commandCalls(PublishCommand);
    expect(more).toEqual([]);
    expect(publish?.args[0].input).toMatchObject({
      TopicArn: TOPIC,
      Subject: 'Lifeline vault prune failed for orders',
    });
    expect(publish?.args[0].input.Message).toContain(
      'orders: AccessDenied: not authorized to perform rds:DescribeDBSnapshots',
    );
    expect(publish?.args[0].input.Message).toContain('(account 210987654321, eu-west-1)');
    expect(deleted()).toEqual([]);
  });
});
