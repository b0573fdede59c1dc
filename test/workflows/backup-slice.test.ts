import { DescribeDBSnapshotsCommand, ListTagsForResourceCommand, RDSClient } from '@aws-sdk/client-rds';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { baseConfig } from '../fixtures/configs';
import { createOrdersDatabase } from '../fixtures/production';
import { failWith, serverError, snapshotStatus, throttle } from '../harness/faults';
import { type LocalAws, startLocalAws } from '../harness/local-aws';
import { runWorkflow } from '../harness/run-workflow';

let aws: LocalAws;
const PRIMARY = 'eu-central-1';

beforeAll(async () => {
  aws = await startLocalAws(baseConfig());
});
afterAll(async () => aws?.stop());
beforeEach(async (test) => {
  await aws.fresh(test);
  await createOrdersDatabase(aws);
});

const request = { database: 'orders', scheduledTime: '2026-11-22T02:00:00Z' };

describe('the synthesized backup workflow against moto', () => {
  it("snapshots the database and tags the snapshot as Lifeline's", async () => {
    // Act
    const run = await runWorkflow(aws.cloud, aws.cloud.stateMachine('-backup'), request);
    // Assess
    expect(run.status, run.cause).toBe('SUCCEEDED');
    const rds = aws.client(RDSClient, PRIMARY);
    const { DBSnapshots } = await rds.send(
      new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: 'lifeline-orders-20261122t0200' }),
    );
    expect(DBSnapshots?.[0]?.DBInstanceIdentifier).toBe('orders-prod');
    const { TagList } = await rds.send(
      new ListTagsForResourceCommand({ ResourceName: DBSnapshots?.[0]?.DBSnapshotArn }),
    );
    const tags = Object.fromEntries((TagList ?? []).map((t) => [t.Key, t.Value]));
    expect(tags).toMatchObject({
      'lifeline:managed-by': 'lifeline',
      'lifeline:database': 'orders',
      'lifeline:scheduled-time': '2026-11-22T02:00:00.000Z',
      'lifeline:execution': run.executionArn,
      'lifeline:verified': 'available',
    });
    expect(run.states.slice(0, 4)).toEqual([
      'Validate the request',
      'Keep the request beside the plan',
      'Create the snapshot',
      'Wait until the snapshot is available',
    ]);
  });

  it('retries a throttled CreateDBSnapshot, first in the bundled SDK, then in the state, and succeeds', async () => {
    // Act: RDS answers Throttling four times; the SDK makes three attempts per invocation.
    const run = await runWorkflow(aws.cloud, aws.cloud.stateMachine('-backup'), request, {
      faults: [throttle('CreateDBSnapshotCommand', 4)],
    });
    // Assess
    expect(run.status, run.cause).toBe('SUCCEEDED');
    expect(run.faults[0]?.fired).toBe(4);
    expect(run.retries['Create the snapshot']).toBe(1);
    const { DBSnapshots } = await aws
      .client(RDSClient, PRIMARY)
      .send(new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: 'orders-prod', SnapshotType: 'manual' }));
    expect(DBSnapshots?.map((s) => s.DBSnapshotIdentifier)).toEqual(['lifeline-orders-20261122t0200']);
  });

  it('rides out 5xx answers from RDS in the bundled SDK, without a retry of the state', async () => {
    // Act: the availability check gets InternalFailure (HTTP 500) twice; the SDK's third attempt gets through.
    const run = await runWorkflow(aws.cloud, aws.cloud.stateMachine('-backup'), request, {
      faults: [serverError('DescribeDBSnapshotsCommand', 2)],
    });
    // Assess
    expect(run.status, run.cause).toBe('SUCCEEDED');
    expect(run.faults[0]?.fired).toBe(2);
    expect(run.retries).toEqual({});
    const answered = run.calls.filter((c) => c.action === 'DescribeDBSnapshots' && c.status === 500);
    expect(answered).toHaveLength(2);
  });

  it('waits with backoff while the snapshot is creating', async () => {
    // Act
    const run = await runWorkflow(aws.cloud, aws.cloud.stateMachine('-backup'), request, {
      faults: snapshotStatus('creating', { times: 3 }),
    });
    // Assess
    expect(run.status, run.cause).toBe('SUCCEEDED');
    expect(run.retries['Wait until the snapshot is available']).toBe(3);
    // 60 s, 90 s, 135 s of simulated waiting, no real time.
    expect(run.simulatedSeconds).toBeCloseTo(285, 0);
  });

  it('fails clearly and alerts when the snapshot is stuck in creating past the limit', async () => {
    // Prepare
    const alerts = await aws.subscribe(aws.cloud.ref(aws.app.templates.primary!, 'AWS::SNS::Topic'), PRIMARY);
    // Act
    const run = await runWorkflow(aws.cloud, aws.cloud.stateMachine('-backup'), request, {
      faults: snapshotStatus('creating'),
    });
    // Assess
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('NotReady');
    expect(run.cause).toContain('Snapshot lifeline-orders-20261122t0200 in eu-central-1 is creating');
    expect(run.retries['Wait until the snapshot is available']).toBe(30);
    expect(run.simulatedSeconds).toBeGreaterThan(4 * 3600);
    const messages = await alerts();
    expect(messages).toHaveLength(1);
    expect(messages[0]?.Subject).toBe('Lifeline backup failed for orders: Wait until the snapshot is available');
    expect(messages[0]?.Message).toContain('What to do: The resource did not become available in time.');
    expect(run.states).not.toContain('Mark the snapshot as a recovery point');
  });

  it('ends AlertNotDelivered, with both errors in the cause, when the failure alert cannot be published', async () => {
    // Act: the snapshot is refused, then the alert topic's key refuses the publish.
    const run = await runWorkflow(aws.cloud, aws.cloud.stateMachine('-backup'), request, {
      faults: [
        failWith('CreateDBSnapshotCommand', 'InvalidParameterValue'),
        failWith('PublishCommand', 'KMSAccessDeniedException'),
      ],
    });
    // Assess
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('AlertNotDelivered');
    expect(run.cause).toContain('the publish to the alert topic (Publish the failure alert) failed with');
    expect(run.cause).toContain('SNS.KMSAccessDeniedException');
    expect(run.cause).toContain('InvalidParameterValue');
    expect(run.states.slice(-3)).toEqual([
      'Publish the failure alert',
      'Note that the failure alert was not published',
      'Alert not delivered',
    ]);
    expect(run.faults.map((f) => f.fired > 0)).toEqual([true, true]);
  });

  it('rejects a malformed request in its first state, before any call that changes something', async () => {
    // Act
    const run = await runWorkflow(aws.cloud, aws.cloud.stateMachine('-backup'), {
      database: 'orderz',
      when: 'yesterday',
    });
    // Assess
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('InvalidInput');
    expect(run.cause).toContain('unknown field \\"when\\"');
    expect(run.states).toEqual(['Validate the request', 'Reject the request']);
    const { DBSnapshots } = await aws
      .client(RDSClient, PRIMARY)
      .send(new DescribeDBSnapshotsCommand({ SnapshotType: 'manual' }));
    expect(DBSnapshots).toEqual([]);
  });
});
