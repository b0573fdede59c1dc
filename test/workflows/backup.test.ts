import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import {
  CreateDBSnapshotCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBSnapshotsCommand,
  ListTagsForResourceCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { baseConfig } from '../fixtures/configs';
import { createLedgerCluster, createOrdersDatabase } from '../fixtures/production';
import { type Fault, failWith, snapshotStatus, throttle } from '../harness/faults';
import { type LocalAws, startLocalAws } from '../harness/local-aws';
import { runWorkflow } from '../harness/run-workflow';

let aws: LocalAws;
const PRIMARY = 'eu-central-1';
const DR = 'eu-west-1';
const SNAPSHOT = 'lifeline-orders-20261122t0200';
const request = { database: 'orders', scheduledTime: '2026-11-22T02:00:00Z' };

beforeAll(async () => {
  aws = await startLocalAws(baseConfig());
});
afterAll(async () => aws?.stop());
beforeEach(async (test) => {
  await aws.fresh(test);
  await createOrdersDatabase(aws);
});

const manualSnapshots = async (region: string) =>
  (await aws.client(RDSClient, region).send(new DescribeDBSnapshotsCommand({ SnapshotType: 'manual' }))).DBSnapshots ??
  [];
const tagsOf = async (region: string, arn: string | undefined) =>
  Object.fromEntries(
    (
      (await aws.client(RDSClient, region).send(new ListTagsForResourceCommand({ ResourceName: arn }))).TagList ?? []
    ).map((t) => [t.Key, t.Value]),
  );
const backup = (input: unknown = request, faults: Fault[] = []) =>
  runWorkflow(aws.cloud, aws.cloud.stateMachine('-backup'), input, { faults });
const alertsOf = () => aws.subscribe(aws.cloud.ref(aws.app.templates.primary!, 'AWS::SNS::Topic'), PRIMARY);

describe('backup across two regions', () => {
  it("copies the snapshot to the DR region under the DR key, with Lifeline's tags, and verifies it", async () => {
    // Act
    const run = await backup();
    // Assess
    expect(run.status, run.cause).toBe('SUCCEEDED');
    const [copy] = await manualSnapshots(DR);
    const drKey = await aws.client(KMSClient, DR).send(new DescribeKeyCommand({ KeyId: 'alias/lifeline/dr' }));
    expect(copy?.DBSnapshotIdentifier).toBe(SNAPSHOT);
    expect(copy?.Encrypted).toBe(true);
    expect(copy?.KmsKeyId).toBe(drKey.KeyMetadata?.Arn);
    expect(await tagsOf(DR, copy?.DBSnapshotArn)).toMatchObject({
      'lifeline:managed-by': 'lifeline',
      'lifeline:database': 'orders',
      'lifeline:verified': 'copy-verified',
    });
    const [source] = await manualSnapshots(PRIMARY);
    expect(await tagsOf(PRIMARY, source?.DBSnapshotArn)).toMatchObject({ 'lifeline:dr-copy': 'verified' });
    expect(run.output).toMatchObject({ database: 'orders', snapshotId: SNAPSHOT, pruned: { [PRIMARY]: [], [DR]: [] } });
  });

  it('reuses the snapshot and the copy when the same run is started again', async () => {
    // Act
    const first = await backup();
    const second = await backup();
    // Assess
    expect([first.status, second.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect((await manualSnapshots(PRIMARY)).map((s) => s.DBSnapshotIdentifier)).toEqual([SNAPSHOT]);
    expect((await manualSnapshots(DR)).map((s) => s.DBSnapshotIdentifier)).toEqual([SNAPSHOT]);
  });

  it('prunes by retention in both regions and never touches a snapshot it did not make', async () => {
    // Prepare: ten nightly runs with daily retention of 7 (and a manual snapshot someone else made).
    await aws
      .client(RDSClient, PRIMARY)
      .send(
        new CreateDBSnapshotCommand({ DBInstanceIdentifier: 'orders-prod', DBSnapshotIdentifier: 'before-migration' }),
      );
    // Act
    const runs = [];
    for (let day = 1; day <= 10; day++)
      runs.push(
        await backup({ database: 'orders', scheduledTime: `2026-11-${String(day).padStart(2, '0')}T01:00:00Z` }),
      );
    // Assess
    expect(runs.every((r) => r.status === 'SUCCEEDED')).toBe(true);
    const primary = (await manualSnapshots(PRIMARY)).map((s) => s.DBSnapshotIdentifier).sort();
    const dr = (await manualSnapshots(DR)).map((s) => s.DBSnapshotIdentifier).sort();
    expect(primary).toContain('before-migration');
    // 7 dailies + the newest of the ISO week before them (Nov 1 is a Sunday) = 8 kept of 10.
    expect(primary.filter((id) => id?.startsWith('lifeline-'))).toHaveLength(8);
    expect(dr).toHaveLength(8);
    expect(primary).toContain('lifeline-orders-20261110t0100');
    expect(primary).not.toContain('lifeline-orders-20261102t0100');
  });
});

describe('backup of an Aurora cluster', () => {
  it('snapshots the cluster and copies the cluster snapshot to the DR region under the DR key', async () => {
    // Prepare
    await createLedgerCluster(aws);
    // Act
    const run = await backup({ database: 'ledger', scheduledTime: '2026-11-22T04:00:00Z' });
    // Assess
    expect(run.status, run.cause).toBe('SUCCEEDED');
    const copies =
      (await aws.client(RDSClient, DR).send(new DescribeDBClusterSnapshotsCommand({ SnapshotType: 'manual' })))
        .DBClusterSnapshots ?? [];
    const drKey = await aws.client(KMSClient, DR).send(new DescribeKeyCommand({ KeyId: 'alias/lifeline/dr' }));
    expect(copies.map((c) => c.DBClusterSnapshotIdentifier)).toEqual(['lifeline-ledger-20261122t0400']);
    expect(copies[0]?.KmsKeyId).toBe(drKey.KeyMetadata?.Arn);
    expect(await tagsOf(DR, copies[0]?.DBClusterSnapshotArn)).toMatchObject({
      'lifeline:database': 'ledger',
      'lifeline:verified': 'copy-verified',
    });
    expect(await manualSnapshots(PRIMARY)).toEqual([]);
  });
});

describe('backup fault matrix: the execution ends clearly, the alert is published, nothing kept is deleted', () => {
  it('retries throttled RDS calls on the copy path, in the SDK and then in the state', async () => {
    // Three attempts of the SDK answer Throttling, then the state retries; the describe throttle the SDK absorbs.
    const run = await backup(request, [
      throttle('CopyDBSnapshotCommand', 3),
      throttle('DescribeDBSnapshotsCommand', 1),
    ]);
    expect(run.status, run.cause).toBe('SUCCEEDED');
    expect(run.faults.map((f) => f.fired)).toEqual([3, 1]);
    expect(run.retries['Copy the snapshot to the DR region']).toBe(1);
  });

  it('stops before creating when the manual snapshot quota is exhausted', async () => {
    const alerts = await alertsOf();
    const run = await backup(request, [
      failWith('CreateDBSnapshotCommand', 'SnapshotQuotaExceeded', 'Cannot create more than 100 manual snapshots'),
    ]);
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('SnapshotQuotaExceeded');
    const [alert] = await alerts();
    expect(alert?.Subject).toBe('Lifeline backup failed for orders: Create the snapshot');
    expect(alert?.Message).toContain('raise the "Manual DB snapshots" quota');
    expect(await manualSnapshots(PRIMARY)).toEqual([]);
  });

  it('waits in line while every copy slot is taken, then copies', async () => {
    // Prepare: five other executions hold all five slots, leases expiring in 10 simulated minutes.
    const now = Date.now();
    const leases = Array.from({ length: 5 }, (_, i) => ({
      holder: `other-${i}`,
      acquiredAt: now,
      expiresAt: now + 10 * 60_000,
    }));
    const table = aws.cloud.ref(aws.app.templates.primary!, 'AWS::DynamoDB::Table');
    await aws.client(DynamoDBClient, PRIMARY).send(
      new PutItemCommand({
        TableName: table,
        Item: { pk: { S: `copy-slots#${DR}` }, leases: { S: JSON.stringify(leases) }, version: { N: '1' } },
      }),
    );
    // Act
    const run = await runWorkflow(
      aws.cloud,
      aws.cloud.stateMachine('-backup'),
      { database: 'orders' },
      {
        startTime: new Date(now),
      },
    );
    // Assess
    expect(run.status, run.cause).toBe('SUCCEEDED');
    expect(run.retries['Acquire a copy slot']).toBeGreaterThan(0);
    expect(run.simulatedSeconds).toBeGreaterThanOrEqual(600);
    expect(await manualSnapshots(DR)).toHaveLength(1);
  });

  it('fails with the key named when RDS cannot use the DR key, gives the slot back and keeps the source', async () => {
    const alerts = await alertsOf();
    const run = await backup(request, [
      failWith('CopyDBSnapshotCommand', 'KMSKeyNotAccessibleFault', 'The specified KMS key is not accessible'),
    ]);
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('KMSKeyNotAccessibleFault');
    expect(run.states).toContain('Give back the copy slot after the failure');
    const [alert] = await alerts();
    expect(alert?.Message).toContain('Step: Copy the snapshot to the DR region');
    expect(alert?.Message).toContain('its policy lets RDS in that region use it');
    expect((await manualSnapshots(PRIMARY)).map((s) => s.DBSnapshotIdentifier)).toEqual([SNAPSHOT]);
  });

  it('fails when the copy fails, and the source is not marked as copied', async () => {
    const alerts = await alertsOf();
    const run = await backup(request, snapshotStatus('failed', { region: DR }));
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('SnapshotFailed');
    expect((await alerts())[0]?.Subject).toBe('Lifeline backup failed for orders: Wait for the copy and verify it');
    const [source] = await manualSnapshots(PRIMARY);
    expect((await tagsOf(PRIMARY, source?.DBSnapshotArn))['lifeline:dr-copy']).toBeUndefined();
  });

  it('fails when the copy stays in copying past the limit', async () => {
    const run = await backup(request, snapshotStatus('copying', { region: DR }));
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('NotReady');
    expect(run.retries['Wait for the copy and verify it']).toBe(100);
    expect(run.simulatedSeconds).toBeGreaterThan(20 * 3600);
  });
});
