import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import {
  DescribeDBSnapshotAttributesCommand,
  DescribeDBSnapshotsCommand,
  ListTagsForResourceCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LifelineConfigInput } from '../../infra/config/schema';
import { baseConfig } from '../fixtures/configs';
import { createOrdersDatabase } from '../fixtures/production';
import { type Fault, failWith } from '../harness/faults';
import { type LocalAws, startLocalAws } from '../harness/local-aws';
import { runWorkflow } from '../harness/run-workflow';

const PRIMARY = 'eu-central-1';
const DR = 'eu-west-1';
const VAULT = '210987654321';
const VAULT_REGION = 'eu-west-1';
const SNAPSHOT = 'lifeline-orders-20261122t0200';
const SHARE = `${SNAPSHOT}-share`;
const request = { database: 'orders', scheduledTime: '2026-11-22T02:00:00Z' };

/** The base config with a vault account; orders goes to the vault and keeps one daily point, so a run prunes the last. */
function vaultConfig(): LifelineConfigInput {
  const config = baseConfig();
  const [orders, ...others] = config.databases;
  return {
    ...config,
    vault: { account: VAULT, region: VAULT_REGION },
    databases: [
      {
        ...(orders as (typeof config.databases)[number]),
        backup: { schedule: 'cron(0 2 * * ? *)', timeZone: 'UTC', copyToVault: true },
        retention: { daily: 1, weekly: 0, monthly: 0, yearly: 0 },
      },
      ...others,
    ],
  };
}

let aws: LocalAws;
beforeAll(async () => {
  aws = await startLocalAws(vaultConfig());
});
afterAll(async () => aws?.stop());
beforeEach(async () => {
  await aws.fresh();
});

const keyArn = async (alias: string, region: string, account?: string) =>
  (await aws.client(KMSClient, region, account).send(new DescribeKeyCommand({ KeyId: alias }))).KeyMetadata?.Arn;
const manualSnapshots = async (region: string, account?: string) =>
  (await aws.client(RDSClient, region, account).send(new DescribeDBSnapshotsCommand({ SnapshotType: 'manual' })))
    .DBSnapshots ?? [];
const idsIn = async (region: string, account?: string) =>
  (await manualSnapshots(region, account)).map((s) => s.DBSnapshotIdentifier).sort();
const tagsOf = async (region: string, arn: string | undefined, account?: string) =>
  Object.fromEntries(
    (
      (await aws.client(RDSClient, region, account).send(new ListTagsForResourceCommand({ ResourceName: arn })))
        .TagList ?? []
    ).map((t) => [t.Key, t.Value]),
  );
const sharedWith = async (id: string) =>
  (
    await aws.client(RDSClient, PRIMARY).send(new DescribeDBSnapshotAttributesCommand({ DBSnapshotIdentifier: id }))
  ).DBSnapshotAttributesResult?.DBSnapshotAttributes?.find((a) => a.AttributeName === 'restore')?.AttributeValues ?? [];
/** Records the input of every CopyDBSnapshot call (the fault never fires). */
const copyCalls = () => {
  const calls: Array<Record<string, unknown>> = [];
  const record = (input: Record<string, unknown>) => {
    calls.push(input);
    return false;
  };
  const fault: Fault = { command: 'CopyDBSnapshotCommand', when: record };
  return { calls, fault };
};
const backup = (input: unknown = request, faults: Fault[] = []) =>
  runWorkflow(aws.cloud, aws.cloud.stateMachine('-backup'), input, { faults });
const alertsOf = () => {
  const stack = aws.app.templates.primary;
  if (!stack) throw new Error('no primary stack');
  return aws.subscribe(aws.cloud.ref(stack, 'AWS::SNS::Topic'), PRIMARY);
};

describe('the copy into the vault account', () => {
  it('shares a snapshot under the primary key as it is, and copies it into the vault under the vault key', async () => {
    // Prepare: the database is encrypted with Lifeline's primary key, which the vault may use.
    await createOrdersDatabase(aws, {
      StorageEncrypted: true,
      KmsKeyId: await keyArn('alias/lifeline/primary', PRIMARY),
    });
    // Act
    const run = await backup();
    // Assess
    expect(run.status, run.cause).toBe('SUCCEEDED');
    expect(run.states).toEqual(
      expect.arrayContaining([
        'Give back the copy slot',
        'Copy to the vault account?',
        'Prepare the snapshot for the vault',
        'Share the snapshot with the vault account',
        'Copy the snapshot to the vault account',
        'Wait for the vault copy and verify it',
      ]),
    );
    expect(run.states.indexOf('Prepare the snapshot for the vault')).toBeGreaterThan(
      run.states.indexOf('Give back the copy slot'),
    );
    const [copy, ...more] = await manualSnapshots(VAULT_REGION, VAULT);
    expect(more).toEqual([]);
    expect(copy?.DBSnapshotIdentifier).toBe(SNAPSHOT);
    expect(copy?.DBSnapshotArn).toBe(`arn:aws:rds:${VAULT_REGION}:${VAULT}:snapshot:${SNAPSHOT}`);
    expect(copy?.Encrypted).toBe(true);
    expect(copy?.KmsKeyId).toBe(await keyArn('alias/lifeline/vault', VAULT_REGION, VAULT));
    expect(await tagsOf(VAULT_REGION, copy?.DBSnapshotArn, VAULT)).toMatchObject({
      'lifeline:managed-by': 'lifeline',
      'lifeline:database': 'orders',
      'lifeline:scheduled-time': '2026-11-22T02:00:00.000Z',
      'lifeline:execution': run.executionArn,
      'lifeline:verified': 'copy-verified',
    });
    // The source itself was shared, with the vault account only, and carries the evidence.
    expect(await idsIn(PRIMARY)).toEqual([SNAPSHOT]);
    expect(await sharedWith(SNAPSHOT)).toEqual([VAULT]);
    const [source] = await manualSnapshots(PRIMARY);
    expect(await tagsOf(PRIMARY, source?.DBSnapshotArn)).toMatchObject({
      'lifeline:dr-copy': 'verified',
      'lifeline:vault-copy': 'verified',
    });
    // The DR copy stays in the production account; the vault's copy is in the vault account only.
    expect(await idsIn(DR)).toEqual([SNAPSHOT]);
    expect((await manualSnapshots(DR))[0]?.KmsKeyId).toBe(await keyArn('alias/lifeline/dr', DR));
    expect(run.output).toMatchObject({ database: 'orders', vaultCopyArn: copy?.DBSnapshotArn });
  });

  it.each([
    ['the AWS-managed key', { StorageEncrypted: true, KmsKeyId: 'alias/aws/rds' }],
    ['no key (unencrypted)', {}],
  ])('re-encrypts a snapshot under %s with the primary key before sharing it', async (_, encryption) => {
    // Prepare
    await createOrdersDatabase(aws, encryption);
    const { calls, fault } = copyCalls();
    // Act
    const run = await backup(request, [fault]);
    // Assess
    expect(run.status, run.cause).toBe('SUCCEEDED');
    const primaryKey = await keyArn('alias/lifeline/primary', PRIMARY);
    const vaultKey = await keyArn('alias/lifeline/vault', VAULT_REGION, VAULT);
    // The transit copy under the primary key was shared and copied; the source was never shared.
    expect(calls).toContainEqual(expect.objectContaining({ TargetDBSnapshotIdentifier: SHARE, KmsKeyId: primaryKey }));
    expect(calls).toContainEqual(
      expect.objectContaining({
        SourceDBSnapshotIdentifier: `arn:aws:rds:${PRIMARY}:123456789012:snapshot:${SHARE}`,
        TargetDBSnapshotIdentifier: SNAPSHOT,
        KmsKeyId: vaultKey,
      }),
    );
    expect(await sharedWith(SNAPSHOT)).toEqual([]);
    const [copy] = await manualSnapshots(VAULT_REGION, VAULT);
    expect(copy?.KmsKeyId).toBe(vaultKey);
    expect(await tagsOf(VAULT_REGION, copy?.DBSnapshotArn, VAULT)).toMatchObject({
      'lifeline:database': 'orders',
      'lifeline:verified': 'copy-verified',
    });
    expect((await tagsOf(VAULT_REGION, copy?.DBSnapshotArn, VAULT))['lifeline:vault-share']).toBeUndefined();
    // Once the vault copy verified, the transit copy has done its job and is pruned; the source stays.
    expect(await idsIn(PRIMARY)).toEqual([SNAPSHOT]);
    expect(run.output).toMatchObject({ pruned: { [PRIMARY]: [SHARE], [DR]: [] } });
  });

  it('fails with the step and the key named when the vault copy cannot use the vault key, and deletes nothing', async () => {
    // Prepare: yesterday's run went through; today's would prune it.
    await createOrdersDatabase(aws);
    const yesterday = await backup({ database: 'orders', scheduledTime: '2026-11-21T02:00:00Z' });
    expect(yesterday.status, yesterday.cause).toBe('SUCCEEDED');
    const alerts = await alertsOf();
    const vaultKey = await keyArn('alias/lifeline/vault', VAULT_REGION, VAULT);
    const keyFault: Fault = {
      ...failWith('CopyDBSnapshotCommand', 'KMSKeyNotAccessibleFault', 'The specified KMS key is not accessible'),
      when: (input) => input.KmsKeyId === vaultKey,
    };
    // Act
    const run = await backup(request, [keyFault]);
    // Assess
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('KMSKeyNotAccessibleFault');
    expect(run.faults[0]?.fired).toBe(1);
    expect(run.states).not.toContain('Prune old recovery points');
    const [alert, ...others] = await alerts();
    expect(others).toEqual([]);
    expect(alert?.Subject).toBe('Lifeline backup failed for orders: Copy the snapshot to the vault account');
    expect(alert?.Message).toContain('Error: KMSKeyNotAccessibleFault: The specified KMS key is not accessible');
    expect(alert?.Message).toContain('RDS cannot use the KMS key');
    // Nothing was deleted: yesterday's points, today's source, its transit copy and the DR copy are all there.
    expect(await idsIn(PRIMARY)).toEqual(['lifeline-orders-20261121t0200', SNAPSHOT, SHARE]);
    expect(await idsIn(DR)).toEqual(['lifeline-orders-20261121t0200', SNAPSHOT]);
    expect(await idsIn(VAULT_REGION, VAULT)).toEqual(['lifeline-orders-20261121t0200']);

    // Act: the key is fixed and the run started again.
    const { calls, fault } = copyCalls();
    const again = await backup(request, [fault]);
    // Assess: the transit copy is reused, the vault copy made, and only then is anything pruned.
    expect(again.status, again.cause).toBe('SUCCEEDED');
    expect(calls.map((c) => c.TargetDBSnapshotIdentifier)).toEqual([SNAPSHOT]);
    expect(await idsIn(PRIMARY)).toEqual([SNAPSHOT]);
    expect(await idsIn(VAULT_REGION, VAULT)).toEqual(['lifeline-orders-20261121t0200', SNAPSHOT]);
  });
});
