import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import {
  DeleteDBSnapshotCommand,
  DescribeDBSnapshotAttributesCommand,
  DescribeDBSnapshotsCommand,
  ListTagsForResourceCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LifelineConfigInput } from '../../infra/config/schema';
import { baseConfig } from '../fixtures/configs';
import { createOrdersDatabase } from '../fixtures/production';
import { needs } from '../harness/endpoint';
import { type Fault, failWith } from '../harness/faults';
import { evaluateRun } from '../harness/iam-evaluation';
import { invokeBundled } from '../harness/lambda-runtime';
import { type LocalAws, startLocalAws } from '../harness/local-aws';
import { runWorkflow, type WorkflowRun } from '../harness/run-workflow';

const PRIMARY = 'eu-central-1';
const DR = 'eu-west-1';
const VAULT = '210987654321';
// The vault copy is made from the DR copy, in the DR region: AWS copies across accounts only within one region.
const VAULT_REGION = DR;
const SNAPSHOT = 'lifeline-orders-20261122t0200';
const YESTERDAY = 'lifeline-orders-20261121t0200';
const request = { database: 'orders', scheduledTime: '2026-11-22T02:00:00Z' };

/**
 * The base config with a vault account; orders goes to the vault and keeps one daily point in each region and in
 * the vault, so a run prunes the day before.
 */
function vaultConfig(): LifelineConfigInput {
  const config = baseConfig();
  const [orders, ...others] = config.databases;
  return {
    ...config,
    account: '123456789012',
    vault: { account: VAULT, retention: { daily: 1, weekly: 0, monthly: 0, yearly: 0 } },
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
beforeEach(async (test) => {
  await aws.fresh(test);
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
const sharedWith = async (id: string, region: string) =>
  (
    await aws.client(RDSClient, region).send(new DescribeDBSnapshotAttributesCommand({ DBSnapshotIdentifier: id }))
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
/**
 * Invokes the vault's pruner as its daily schedule does (the harness runs state machines; this one is a function):
 * the bundle, with its own role's credentials in the vault account. Its calls, for the IAM evaluation.
 */
const pruneVault = async () => {
  const fn = [...aws.cloud.functions.values()].find((f) => f.environment.VAULT_RETENTION !== undefined);
  if (!fn) throw new Error('no vault pruner deployed');
  const first = aws.cloud.wire.calls.length;
  const output = await invokeBundled(
    fn,
    {},
    {
      generation: aws.cloud.generation,
      credentials: await aws.cloud.credentials(fn.roleArn),
      endpoint: aws.cloud.endpoint,
      now: () => Date.parse('2026-11-22T05:30:00Z'),
      environment: { POWERTOOLS_LOG_LEVEL: 'ERROR', POWERTOOLS_METRICS_DISABLED: 'true' },
    },
  );
  const calls = aws.cloud.wire.calls.slice(first).flatMap((call) => {
    const roleArn = call.accessKeyId && aws.cloud.iam.sessions.get(call.accessKeyId);
    return roleArn ? [{ ...call, roleArn }] : [];
  });
  return { output, run: { calls } as unknown as WorkflowRun, roleArn: fn.roleArn };
};
const alertsOf = () => {
  const stack = aws.app.templates.primary;
  if (!stack) throw new Error('no primary stack');
  return aws.subscribe(aws.cloud.ref(stack, 'AWS::SNS::Topic'), PRIMARY);
};

describe('the copy into the vault account', () => {
  it('shares the verified DR copy and copies it into the vault within the DR region, under the vault key', async () => {
    // Prepare
    await createOrdersDatabase(aws);
    const { calls, fault } = copyCalls();
    // Act
    const run = await backup(request, [fault]);
    // Assess
    expect(run.status, run.cause).toBe('SUCCEEDED');
    expect(run.states).toEqual(
      expect.arrayContaining([
        'Give back the copy slot',
        'Copy to the vault account?',
        'Share the DR copy with the vault account',
        'Copy the snapshot to the vault account',
        'Wait for the vault copy and verify it',
      ]),
    );
    // The backup does not prune the vault: that is the vault's own pruner, in the vault account.
    expect(run.states.filter((s) => /vault/i.test(s) && /prune/i.test(s))).toEqual([]);
    expect(run.states.indexOf('Share the DR copy with the vault account')).toBeGreaterThan(
      run.states.indexOf('Give back the copy slot'),
    );
    // Every call, the vault copier's in the vault account included, is allowed with what AWS implies of it.
    expect(run.calls.some((c) => c.roleArn.endsWith(':role/lifeline-vault-copier'))).toBe(true);
    expect(await evaluateRun(aws, run)).toEqual([]);
    const drCopyArn = `arn:aws:rds:${DR}:123456789012:snapshot:${SNAPSHOT}`;
    const vaultKey = await keyArn('alias/lifeline/vault', VAULT_REGION, VAULT);
    // Two copies: to the DR region in production, then across accounts within the DR region. No transit copy.
    expect(calls).toEqual([
      expect.objectContaining({
        TargetDBSnapshotIdentifier: SNAPSHOT,
        KmsKeyId: await keyArn('alias/lifeline/dr', DR),
      }),
      expect.objectContaining({
        SourceDBSnapshotIdentifier: drCopyArn,
        TargetDBSnapshotIdentifier: SNAPSHOT,
        KmsKeyId: vaultKey,
      }),
    ]);
    const [copy, ...more] = await manualSnapshots(VAULT_REGION, VAULT);
    expect(more).toEqual([]);
    expect(copy?.DBSnapshotArn).toBe(`arn:aws:rds:${VAULT_REGION}:${VAULT}:snapshot:${SNAPSHOT}`);
    expect(copy?.KmsKeyId).toBe(vaultKey);
    expect(await tagsOf(VAULT_REGION, copy?.DBSnapshotArn, VAULT)).toMatchObject({
      'lifeline:managed-by': 'lifeline',
      'lifeline:database': 'orders',
      'lifeline:scheduled-time': '2026-11-22T02:00:00.000Z',
      'lifeline:execution': run.executionArn,
      'lifeline:verified': 'copy-verified',
    });
    // Only the DR copy was shared, with the vault account only; the source in the primary region never was.
    expect(await sharedWith(SNAPSHOT, DR)).toEqual([VAULT]);
    expect(await sharedWith(SNAPSHOT, PRIMARY)).toEqual([]);
    expect(await idsIn(PRIMARY)).toEqual([SNAPSHOT]);
    const [source] = await manualSnapshots(PRIMARY);
    expect(await tagsOf(PRIMARY, source?.DBSnapshotArn)).toMatchObject({
      'lifeline:dr-copy': 'verified',
      'lifeline:vault-copy': 'verified',
    });
    expect(await tagsOf(DR, drCopyArn)).toMatchObject({ 'lifeline:vault-copy': 'verified' });
    expect(run.output).toMatchObject({ database: 'orders', vaultCopyArn: copy?.DBSnapshotArn });
    expect(run.output).not.toHaveProperty('vaultPruned');
  });

  it('fails with the step and the key named when the vault copy cannot use the vault key, deletes nothing, then copies on the re-run', async () => {
    // Prepare: yesterday's run went through; today's would prune it, in both regions and in the vault.
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
    // Nothing was deleted: yesterday's points and today's source and DR copy are all there, and yesterday's vault copy.
    expect(await idsIn(PRIMARY)).toEqual([YESTERDAY, SNAPSHOT]);
    expect(await idsIn(DR)).toEqual([YESTERDAY, SNAPSHOT]);
    expect(await idsIn(VAULT_REGION, VAULT)).toEqual([YESTERDAY]);

    // Act: the key is fixed and the run started again.
    const { calls, fault } = copyCalls();
    const again = await backup(request, [fault]);
    // Assess: only the vault copy is made, and only once it verified are the regions pruned; the vault is not.
    expect(again.status, again.cause).toBe('SUCCEEDED');
    expect(calls.map((c) => c.TargetDBSnapshotIdentifier)).toEqual([SNAPSHOT]);
    expect(await idsIn(PRIMARY)).toEqual([SNAPSHOT]);
    expect(await idsIn(DR)).toEqual([SNAPSHOT]);
    expect(await idsIn(VAULT_REGION, VAULT)).toEqual([YESTERDAY, SNAPSHOT]);
    expect(again.output).toMatchObject({ pruned: { [PRIMARY]: [YESTERDAY], [DR]: [YESTERDAY] } });
  });
});

describe('the vault pruner, in the vault account', () => {
  it('prunes the vault by vault.retention with its own role, every call allowed as AWS would', async () => {
    // Prepare: two days of backups; the backups leave both vault copies.
    await createOrdersDatabase(aws);
    const runs: WorkflowRun[] = [];
    for (const scheduledTime of ['2026-11-21T02:00:00Z', '2026-11-22T02:00:00Z']) {
      const run = await backup({ database: 'orders', scheduledTime });
      expect(run.status, run.cause).toBe('SUCCEEDED');
      runs.push(run);
    }
    expect(await idsIn(VAULT_REGION, VAULT)).toEqual([YESTERDAY, SNAPSHOT]);
    // Act
    const { output, run, roleArn } = await pruneVault();
    // Assess: vault.retention keeps one daily copy; the pruner's calls are all its own role's, and all allowed.
    expect(output).toEqual({
      account: VAULT,
      region: VAULT_REGION,
      databases: [{ database: 'orders', kept: 1, deleted: [YESTERDAY] }],
    });
    expect(await idsIn(VAULT_REGION, VAULT)).toEqual([SNAPSHOT]);
    expect(run.calls.map((c) => c.action)).toContain('DeleteDBSnapshot');
    expect(new Set(run.calls.map((c) => c.roleArn))).toEqual(new Set([roleArn]));
    // Judged with the copies' history: the deleted copy's tags are known from the runs that made and tagged it.
    const history = { calls: [...runs.flatMap((r) => r.calls), ...run.calls] } as unknown as WorkflowRun;
    expect(await evaluateRun(aws, history)).toEqual([]);
  });

  // It needs the endpoint to enforce IAM (the embedded moto does), or every call is allowed.
  it.skipIf(needs.iam !== undefined)(
    'is the only one that can delete there: the copier role production assumes is refused',
    async () => {
      // Prepare: a vault copy exists.
      await createOrdersDatabase(aws);
      const run = await backup(request);
      expect(run.status, run.cause).toBe('SUCCEEDED');
      const copier = new RDSClient({
        region: VAULT_REGION,
        endpoint: aws.cloud.endpoint,
        credentials: await aws.cloud.credentials(`arn:aws:iam::${VAULT}:role/lifeline-vault-copier`),
      });
      // Act
      const deleting = copier.send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: SNAPSHOT }));
      // Assess
      await expect(deleting).rejects.toMatchObject({ name: expect.stringMatching(/AccessDenied/) });
      expect(await idsIn(VAULT_REGION, VAULT)).toEqual([SNAPSHOT]);
    },
  );
});
