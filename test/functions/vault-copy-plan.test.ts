import {
  CopyDBSnapshotCommand,
  DeleteDBSnapshotCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBSnapshotsCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { prepareVaultShare } from '../../functions/backup/prepare-vault-share';
import { prune } from '../../functions/backup/prune';
import {
  copyProblems,
  identityTags,
  planShare,
  sameKey,
  shareCopyIdFor,
  shareCopyTags,
  transitCopiesToDelete,
} from '../../functions/backup/vault-copy-plan';

beforeEach(() => {
  process.env.LIFELINE_INSTALLATION = 'lifeline';
});

const PRIMARY_KEY = 'arn:aws:kms:eu-central-1:123456789012:key/1111-primary';
const VAULT_KEY = 'arn:aws:kms:eu-west-1:210987654321:key/2222-vault';
const identity = {
  'lifeline:managed-by': 'lifeline',
  'lifeline:database': 'orders',
  'lifeline:installation': 'lifeline',
  'lifeline:retention': 'daily',
  'lifeline:execution': 'arn:aws:states:eu-central-1:123456789012:execution:lifeline-backup:run-1',
  'lifeline:scheduled-time': '2026-11-22T02:00:00.000Z',
};

describe('planShare: does the snapshot need re-encryption before it is shared with the vault?', () => {
  it("shares a snapshot under Lifeline's primary key as it is, by key ARN or key id", () => {
    expect(planShare({ kind: 'instance', encrypted: true, kmsKeyId: PRIMARY_KEY }, PRIMARY_KEY).action).toBe('share');
    expect(planShare({ kind: 'cluster', encrypted: true, kmsKeyId: '1111-primary' }, PRIMARY_KEY).action).toBe('share');
  });

  it.each([
    ['the AWS-managed key', 'arn:aws:kms:eu-central-1:123456789012:key/aws-managed-rds'],
    ['the AWS-managed key by alias', 'alias/aws/rds'],
    ['another customer key', 'arn:aws:kms:eu-central-1:123456789012:key/3333-team'],
  ])('re-encrypts a snapshot under %s', (_, kmsKeyId) => {
    const plan = planShare({ kind: 'instance', encrypted: true, kmsKeyId }, PRIMARY_KEY);
    expect(plan.action).toBe('re-encrypt');
    expect(plan.reason).toContain(kmsKeyId);
  });

  it('re-encrypts an unencrypted instance snapshot, which must not leave the account unencrypted', () => {
    expect(planShare({ kind: 'instance', encrypted: false }, PRIMARY_KEY)).toEqual({
      action: 're-encrypt',
      reason: 'the snapshot is not encrypted',
    });
  });

  it('cannot share an unencrypted Aurora cluster snapshot: RDS cannot encrypt one by copying it', () => {
    const plan = planShare({ kind: 'cluster', encrypted: false }, PRIMARY_KEY);
    expect(plan.action).toBe('impossible');
    expect(plan.reason).toContain('encrypt the cluster');
  });
});

describe('names and tags', () => {
  it('names the transit copy after its source, within the 63 characters of a cluster snapshot id', () => {
    const longest = `lifeline-${'a'.repeat(32)}-20261122t0200`;
    expect(shareCopyIdFor('lifeline-orders-20261122t0200')).toBe('lifeline-orders-20261122t0200-share');
    expect(shareCopyIdFor(longest).length).toBeLessThanOrEqual(63);
  });

  it('carries identity tags, not the evidence a copy has to earn, and marks the transit copy', () => {
    const source = { ...identity, 'lifeline:verified': 'available', 'lifeline:dr-copy': 'verified', team: 'x' };
    expect(identityTags(source)).toEqual(identity);
    expect(shareCopyTags(source, 'lifeline-orders-20261122t0200')).toEqual({
      ...identity,
      'lifeline:vault-share': 'lifeline-orders-20261122t0200',
    });
  });

  it('sameKey compares key ids, not spellings', () => {
    expect(sameKey(VAULT_KEY, '2222-vault')).toBe(true);
    expect(sameKey(VAULT_KEY, PRIMARY_KEY)).toBe(false);
  });
});

describe('copyProblems', () => {
  const expected = { keyArn: VAULT_KEY, keyName: 'vault key', database: 'orders' };

  it('accepts a copy under the expected key with the identity tags', () => {
    expect(copyProblems({ encrypted: true, kmsKeyId: VAULT_KEY, tags: identity }, expected)).toEqual([]);
  });

  it('names every problem: wrong key, missing tags, another database', () => {
    const problems = copyProblems(
      { encrypted: true, kmsKeyId: PRIMARY_KEY, tags: { 'lifeline:database': 'ledger' } },
      expected,
    );
    expect(problems).toEqual([
      `it is encrypted with ${PRIMARY_KEY}, not the vault key ${VAULT_KEY}`,
      'tags lifeline:managed-by, lifeline:installation, lifeline:execution, lifeline:scheduled-time did not arrive',
      'it is tagged as a copy of ledger',
    ]);
    expect(copyProblems({ encrypted: false, tags: identity }, expected)).toEqual(['it is not encrypted']);
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
      transitCopiesToDelete([
        transit('lifeline-orders-1-share', { 'lifeline:vault-copy': 'verified' }),
        transit('lifeline-orders-2-share'),
        transit('lifeline-orders-3-share', { 'lifeline:vault-copy': 'verified' }, 'copying'),
        transit('someone-elses-share', { 'lifeline:vault-copy': 'verified' }),
        transit('lifeline-orders-4-share', { 'lifeline:vault-copy': 'verified', 'lifeline:managed-by': 'team' }),
        { id: 'lifeline-orders-5', status: 'available', tags: { ...identity, 'lifeline:vault-copy': 'verified' } },
      ]),
    ).toEqual(['lifeline-orders-1-share']);
  });
});

describe('handlers', () => {
  const rds = mockClient(RDSClient);
  beforeEach(() => {
    process.env.AWS_REGION = 'eu-central-1';
    process.env.PRIMARY_KEY_ARN = PRIMARY_KEY;
  });
  afterEach(() => rds.reset());
  const tagList = (tags: Record<string, string>) => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

  it('prepare-vault-share refuses an unencrypted cluster snapshot, in words, before changing anything', async () => {
    rds.on(DescribeDBClusterSnapshotsCommand).resolves({
      DBClusterSnapshots: [
        {
          DBClusterSnapshotIdentifier: 'lifeline-ledger-20261122t0200',
          DBClusterSnapshotArn: 'arn:aws:rds:eu-central-1:123456789012:cluster-snapshot:lifeline-ledger-20261122t0200',
          Status: 'available',
          StorageEncrypted: false,
          TagList: tagList(identity),
        },
      ],
    });
    await expect(prepareVaultShare({ kind: 'cluster', snapshotId: 'lifeline-ledger-20261122t0200' })).rejects.toThrow(
      expect.objectContaining({ name: 'VaultShareImpossible' }),
    );
    expect(rds.commandCalls(CopyDBSnapshotCommand)).toHaveLength(0);
  });

  it("prepare-vault-share does not touch a snapshot with the transit name that is not Lifeline's", async () => {
    rds.on(DescribeDBSnapshotsCommand, { DBSnapshotIdentifier: 'lifeline-orders-20261122t0200' }).resolves({
      DBSnapshots: [
        {
          DBSnapshotIdentifier: 'lifeline-orders-20261122t0200',
          DBSnapshotArn: 'arn:aws:rds:eu-central-1:123456789012:snapshot:lifeline-orders-20261122t0200',
          Status: 'available',
          Encrypted: false,
          TagList: tagList(identity),
        },
      ],
    });
    rds.on(DescribeDBSnapshotsCommand, { DBSnapshotIdentifier: 'lifeline-orders-20261122t0200-share' }).resolves({
      DBSnapshots: [{ DBSnapshotIdentifier: 'lifeline-orders-20261122t0200-share', Status: 'available' }],
    });
    await expect(prepareVaultShare({ kind: 'instance', snapshotId: 'lifeline-orders-20261122t0200' })).rejects.toThrow(
      /not Lifeline's copy/,
    );
    expect(rds.commandCalls(CopyDBSnapshotCommand)).toHaveLength(0);
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
