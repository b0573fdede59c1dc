import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import {
  CopyDBClusterSnapshotCommand,
  CopyDBSnapshotCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBSnapshotsCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { copySnapshot } from '../../functions/backup/copy-snapshot';

const rds = mockClient(RDSClient);
const kms = mockClient(KMSClient);
beforeEach(() => {
  process.env.AWS_REGION = 'eu-central-1';
  process.env.DR_REGION = 'eu-west-1';
  process.env.DR_KEY_ALIAS = 'alias/lifeline/dr';
  kms
    .on(DescribeKeyCommand)
    .resolves({ KeyMetadata: { KeyId: 'dr', Arn: 'arn:aws:kms:eu-west-1:123456789012:key/dr' } });
});
afterEach(() => {
  rds.reset();
  kms.reset();
});

const id = 'lifeline-ledger-20261122t0200';
const clusterSource = {
  kind: 'cluster' as const,
  snapshotId: id,
  sourceArn: `arn:aws:rds:eu-central-1:123456789012:cluster-snapshot:${id}`,
};
const clusterSnapshot = (encrypted: boolean) => ({
  DBClusterSnapshots: [
    {
      DBClusterSnapshotIdentifier: id,
      DBClusterSnapshotArn: clusterSource.sourceArn,
      DBClusterIdentifier: 'ledger-aurora',
      Status: 'available',
      StorageEncrypted: encrypted,
    },
  ],
});

describe('copy-snapshot', () => {
  it('refuses an unencrypted Aurora cluster snapshot before any copy, saying what to do', async () => {
    // Prepare
    rds.on(DescribeDBClusterSnapshotsCommand, { DBClusterSnapshotIdentifier: id }).resolves(clusterSnapshot(false));
    // Act
    const copied = copySnapshot(clusterSource);
    // Assess
    await expect(copied).rejects.toMatchObject({ name: 'CopyImpossible' });
    await expect(copied).rejects.toThrow(/ledger-aurora is not encrypted.*backup\.copyToDr: false/);
    expect(rds.commandCalls(CopyDBClusterSnapshotCommand)).toHaveLength(0);
  });

  it('copies an encrypted Aurora cluster snapshot under the DR key', async () => {
    // Prepare: the source is encrypted; no copy exists in the DR region yet, which holds a few manual cluster
    // snapshots, below its quota.
    rds
      .on(DescribeDBClusterSnapshotsCommand, { DBClusterSnapshotIdentifier: id })
      .resolvesOnce(clusterSnapshot(true))
      .rejects(Object.assign(new Error('not found'), { name: 'DBClusterSnapshotNotFoundFault' }));
    rds.on(DescribeDBClusterSnapshotsCommand, { SnapshotType: 'manual' }).resolves({
      DBClusterSnapshots: [
        { DBClusterSnapshotIdentifier: 'lifeline-ledger-20261121t0200', SnapshotType: 'manual' },
        { DBClusterSnapshotIdentifier: 'lifeline-ledger-20261120t0200', SnapshotType: 'manual' },
      ],
    });
    rds.on(CopyDBClusterSnapshotCommand).resolves({
      DBClusterSnapshot: { DBClusterSnapshotIdentifier: id, DBClusterSnapshotArn: 'arn:copy' },
    });
    // Act
    const started = await copySnapshot(clusterSource);
    // Assess
    expect(started).toMatchObject({ snapshotId: id, region: 'eu-west-1', reused: false });
    expect(rds.commandCalls(CopyDBClusterSnapshotCommand)[0]?.args[0].input).toMatchObject({
      SourceDBClusterSnapshotIdentifier: clusterSource.sourceArn,
      KmsKeyId: 'arn:aws:kms:eu-west-1:123456789012:key/dr',
    });
  });

  it('copies an unencrypted instance snapshot, which RDS encrypts under the DR key, with its identity tags', async () => {
    // Prepare: the source carries its identity tags and the mark of a recovery point; no copy in the DR region yet,
    // and no manual snapshot there.
    const tags = {
      'lifeline:managed-by': 'lifeline',
      'lifeline:installation': 'lifeline',
      'lifeline:database': 'orders',
      'lifeline:scheduled-time': '2026-11-22T02:00:00Z',
    };
    rds
      .on(DescribeDBSnapshotsCommand, { DBSnapshotIdentifier: id })
      .resolvesOnce({
        DBSnapshots: [
          {
            DBSnapshotIdentifier: id,
            Status: 'available',
            TagList: Object.entries({ ...tags, 'lifeline:verified': 'available' }).map(([Key, Value]) => ({
              Key,
              Value,
            })),
          },
        ],
      })
      .rejects(Object.assign(new Error('not found'), { name: 'DBSnapshotNotFound' }));
    rds.on(DescribeDBSnapshotsCommand, { SnapshotType: 'manual' }).resolves({ DBSnapshots: [] });
    rds.on(CopyDBSnapshotCommand).resolves({ DBSnapshot: { DBSnapshotIdentifier: id, DBSnapshotArn: 'arn:copy' } });
    // Act
    await copySnapshot({ kind: 'instance', snapshotId: id, sourceArn: `arn:aws:rds:eu-central-1:1:snapshot:${id}` });
    // Assess
    expect(rds.commandCalls(CopyDBSnapshotCommand)).toHaveLength(1);
    expect(rds.commandCalls(CopyDBSnapshotCommand)[0]?.args[0].input).toMatchObject({
      SourceDBSnapshotIdentifier: `arn:aws:rds:eu-central-1:1:snapshot:${id}`,
      KmsKeyId: 'arn:aws:kms:eu-west-1:123456789012:key/dr',
    });
    // The request names the identity tags (what the role may tag a new copy with), never the evidence.
    const given = rds.commandCalls(CopyDBSnapshotCommand)[0]?.args[0].input.Tags ?? [];
    expect(Object.fromEntries(given.map((t) => [t.Key, t.Value]))).toEqual(tags);
  });
});
