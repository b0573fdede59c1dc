import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  DeleteDBClusterCommand,
  DeleteDBInstanceCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ExecutionStatusChange } from '../../functions/alerts/contracts';
import { databaseOf, executionEnded } from '../../functions/alerts/execution-ended';

const dynamodb = mockClient(DynamoDBClient);
const rds = mockClient(RDSClient);
const sns = mockClient(SNSClient);

const BACKUP = 'arn:aws:states:eu-central-1:123456789012:execution:lifeline-backup:run-7';
const DRILL = 'arn:aws:states:eu-west-1:123456789012:execution:lifeline-drill:run-9';
const TOPIC = 'arn:aws:sns:eu-central-1:123456789012:lifeline-alerts';

const event = (execution: string, status: string, input: unknown = { database: 'orders' }): ExecutionStatusChange => ({
  'detail-type': 'Step Functions Execution Status Change',
  detail: { executionArn: execution, status, input: JSON.stringify(input), error: null, cause: null },
});
const lease = (holder: string) => ({ holder, acquiredAt: 0, expiresAt: Date.now() + 3_600_000 });
const slots = (...holders: string[]) => ({
  Item: { pk: { S: 'copy-slots#eu-west-1' }, leases: { S: JSON.stringify(holders.map(lease)) }, version: { N: '4' } },
});
const tags = (record: Record<string, string>) => Object.entries(record).map(([Key, Value]) => ({ Key, Value }));
const drillTags = (execution: string) =>
  tags({ 'lifeline:drill': 'ledger', 'lifeline:managed-by': 'lifeline', 'lifeline:execution': execution });

beforeEach(() => {
  process.env.AWS_REGION = 'eu-central-1';
  process.env.ALERTS_TOPIC_ARN = TOPIC;
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
});
afterEach(() => {
  dynamodb.reset();
  rds.reset();
  sns.reset();
  for (const name of ['WORKFLOW', 'COPY_SLOTS_TABLE', 'COPY_SLOT_REGIONS', 'COPY_SLOT_LIMIT', 'LIFELINE_INSTALLATION'])
    delete process.env[name];
});

describe('after a backup execution ended badly', () => {
  beforeEach(() => {
    process.env.WORKFLOW = 'backup';
    process.env.COPY_SLOTS_TABLE = 'lifeline-copy-slots';
    process.env.COPY_SLOT_REGIONS = 'eu-west-1';
    process.env.COPY_SLOT_LIMIT = '5';
  });

  it('gives back the copy slot a timed-out execution held and alerts with the database and what to do', async () => {
    // Prepare
    dynamodb.on(GetItemCommand).resolves(slots(BACKUP, 'other-execution'));
    dynamodb.on(PutItemCommand).resolves({});
    // Act
    const out = await executionEnded(event(BACKUP, 'TIMED_OUT'));
    // Assess
    expect(out).toEqual({ alerted: true, releasedSlots: ['eu-west-1'], deletedDrillResources: [] });
    const put = dynamodb.commandCalls(PutItemCommand)[0]?.args[0].input;
    expect(JSON.parse(put?.Item?.leases?.S ?? '[]').map((l: { holder: string }) => l.holder)).toEqual([
      'other-execution',
    ]);
    expect(put?.ConditionExpression).toContain('version = :expected');
    const alert = sns.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(alert?.TopicArn).toBe(TOPIC);
    expect(alert?.Subject).toBe('Lifeline backup of orders timed out');
    expect(alert?.Message).toContain('database "orders" ran out of time');
    expect(alert?.Message).toContain(`Execution: ${BACKUP}`);
    expect(alert?.Message).toContain('gave back its copy slot for eu-west-1');
    expect(alert?.Message).toContain('What to do first: Open the execution');
  });

  it('is idempotent: a slot no longer held is not written, a stopped execution is still reported', async () => {
    // Prepare
    dynamodb.on(GetItemCommand).resolves(slots('other-execution'));
    // Act
    const out = await executionEnded(event(BACKUP, 'ABORTED'));
    // Assess
    expect(out).toEqual({ alerted: true, releasedSlots: [], deletedDrillResources: [] });
    expect(dynamodb.commandCalls(PutItemCommand)).toHaveLength(0);
    expect(sns.commandCalls(PublishCommand)[0]?.args[0].input.Message).toContain('Find out who stopped it');
  });

  it('does not page twice for a FAILED execution whose own failure path already alerted and gave back its slot', async () => {
    // Prepare
    dynamodb.on(GetItemCommand).resolves(slots());
    // Act
    const out = await executionEnded(event(BACKUP, 'FAILED'));
    // Assess
    expect(out.alerted).toBe(false);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
  });

  it('alerts for a FAILED execution whose own failure alert was not delivered (AlertNotDelivered)', async () => {
    // Prepare
    dynamodb.on(GetItemCommand).resolves(slots());
    const failed = event(BACKUP, 'FAILED');
    const detail = {
      ...failed.detail,
      error: 'AlertNotDelivered',
      cause:
        'The backup failure alert was not delivered, so nobody was told: the publish to the alert topic failed with {"Error":"SNS.KMSAccessDeniedException"}',
    };
    // Act
    const out = await executionEnded({ ...failed, detail });
    // Assess
    expect(out.alerted).toBe(true);
    const alert = sns.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(alert?.Subject).toBe('Lifeline backup of orders failed, and its alert was not delivered');
    expect(alert?.Message).toContain('its own failure alert could not be delivered (AlertNotDelivered)');
    expect(alert?.Message).toContain('Error: AlertNotDelivered: The backup failure alert was not delivered');
    expect(alert?.Message).toContain('SNS.KMSAccessDeniedException');
    expect(alert?.Message).toContain('What to do first: Fix the alerting first');
  });

  it.each(['States.Runtime', 'States.Timeout', 'States.TaskFailed'])(
    'alerts for a FAILED execution that ended with %s outside its failure path',
    async (error) => {
      // Prepare
      dynamodb.on(GetItemCommand).resolves(slots());
      const failed = event(BACKUP, 'FAILED');
      const detail = { ...failed.detail, error, cause: 'The JSONPath $.plan could not be found in the input' };
      // Act
      const out = await executionEnded({ ...failed, detail });
      // Assess
      expect(out.alerted).toBe(true);
      expect(sns.commandCalls(PublishCommand)[0]?.args[0].input.Message).toContain(
        `failed with an error of Step Functions itself (${error}), so its own failure path may not have run`,
      );
    },
  );

  it('does not page twice for a States.* error the failure path already explained and published', async () => {
    // Prepare: the failure path ends with the published alert as the cause, which names the execution.
    dynamodb.on(GetItemCommand).resolves(slots());
    const failed = event(BACKUP, 'FAILED');
    const detail = { ...failed.detail, error: 'States.Timeout', cause: `Lifeline backup failed\nExecution: ${BACKUP}` };
    // Act
    const out = await executionEnded({ ...failed, detail });
    // Assess
    expect(out.alerted).toBe(false);
  });

  it('throws when the alert topic refuses this alert too, so EventBridge retries and keeps the event', async () => {
    // Prepare
    dynamodb.on(GetItemCommand).resolves(slots());
    sns
      .on(PublishCommand)
      .rejects(Object.assign(new Error('no access to the key'), { name: 'KMSAccessDeniedException' }));
    const failed = event(BACKUP, 'FAILED');
    // Act / Assess
    await expect(
      executionEnded({ ...failed, detail: { ...failed.detail, error: 'AlertNotDelivered' } }),
    ).rejects.toThrow('no access to the key');
  });

  it('alerts for a FAILED execution that still held its slot', async () => {
    // Prepare
    dynamodb.on(GetItemCommand).resolves(slots(BACKUP));
    dynamodb.on(PutItemCommand).resolves({});
    // Act
    const out = await executionEnded(event(BACKUP, 'FAILED'));
    // Assess
    expect(out).toMatchObject({ alerted: true, releasedSlots: ['eu-west-1'] });
  });
});

describe('after a drill execution ended badly', () => {
  beforeEach(() => {
    process.env.WORKFLOW = 'drill';
    process.env.AWS_REGION = 'eu-west-1';
    process.env.LIFELINE_INSTALLATION = 'lifeline';
  });

  it("deletes only that execution's drill databases and says so", async () => {
    // Prepare
    rds.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        {
          DBInstanceIdentifier: 'lifeline-drill-ledger-1a2b3c4d-1',
          DBClusterIdentifier: 'lifeline-drill-ledger-1a2b3c4d',
          DBInstanceStatus: 'available',
          TagList: drillTags(DRILL),
        },
        // Another execution's drill, and a production database: not touched.
        {
          DBInstanceIdentifier: 'lifeline-drill-orders-99999999',
          DBInstanceStatus: 'available',
          TagList: drillTags('other'),
        },
        {
          DBInstanceIdentifier: 'orders-prod',
          DBInstanceStatus: 'available',
          TagList: tags({ 'lifeline:execution': DRILL }),
        },
      ],
    });
    rds
      .on(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'lifeline-drill-ledger-1a2b3c4d-1' })
      .resolvesOnce({
        DBInstances: [
          {
            DBInstanceIdentifier: 'lifeline-drill-ledger-1a2b3c4d-1',
            DBInstanceStatus: 'available',
            TagList: drillTags(DRILL),
          },
        ],
      })
      .resolves({
        DBInstances: [{ DBInstanceIdentifier: 'lifeline-drill-ledger-1a2b3c4d-1', DBInstanceStatus: 'deleting' }],
      });
    rds.on(DescribeDBClustersCommand).resolves({
      DBClusters: [
        { DBClusterIdentifier: 'lifeline-drill-ledger-1a2b3c4d', Status: 'available', TagList: drillTags(DRILL) },
      ],
    });
    rds.on(DeleteDBInstanceCommand).resolves({});
    rds.on(DeleteDBClusterCommand).resolves({});
    // Act
    const out = await executionEnded(event(DRILL, 'TIMED_OUT', { database: 'ledger' }));
    // Assess
    expect(out.deletedDrillResources.sort()).toEqual([
      'lifeline-drill-ledger-1a2b3c4d',
      'lifeline-drill-ledger-1a2b3c4d-1',
    ]);
    expect(rds.commandCalls(DeleteDBInstanceCommand).map((c) => c.args[0].input.DBInstanceIdentifier)).toEqual([
      'lifeline-drill-ledger-1a2b3c4d-1',
    ]);
    expect(rds.commandCalls(DeleteDBClusterCommand).map((c) => c.args[0].input.DBClusterIdentifier)).toEqual([
      'lifeline-drill-ledger-1a2b3c4d',
    ]);
    expect(dynamodb.calls()).toHaveLength(0);
    const alert = sns.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(alert?.Subject).toBe('Lifeline drill of ledger timed out');
    expect(alert?.Message).toContain('deleted its drill database(s)');
  });
});

describe('the database of an execution', () => {
  it.each([
    ['{"database":"orders"}', 'orders'],
    ['{"database":42}', undefined],
    ['{"__proto__":{"database":"x"}}', undefined],
    ['not json', undefined],
    [null, undefined],
  ])('from the input %s is %s', (input, database) => {
    expect(databaseOf(input)).toBe(database);
  });
});
