import { CreateDBInstanceCommand, DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import {
  ChangeResourceRecordSetsCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { describe, expect, it, vi } from 'vitest';
import { evaluateRun } from '../harness/iam-evaluation';
import { invokeBundled } from '../harness/lambda-runtime';
import type { WorkflowRun } from '../harness/run-workflow';
import { DR, failoverHarness, OLD_TARGET, ZONE } from './failover-harness';

// The failover app deployed in moto; the sweeper bundled and run under its own role.
vi.setConfig({ testTimeout: 300_000 });
const { h, record } = failoverHarness();
const SHADOW = 'drill-orders.db.example.com';
const FAILOVER = `arn:aws:states:${DR}:123456789012:stateMachine:lifeline-failover`;
const execution = (name: string) => `${FAILOVER.replace(':stateMachine:', ':execution:')}:${name}`;

/** A copy as recover.ts restores it for a failover drill of orders (or, without `drill`, for a real failover). */
const restoreCopy = async (id: string, name: string, drill = true) => {
  const rds = h.aws.client(RDSClient, DR);
  await rds.send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: id,
      DBInstanceClass: 'db.t4g.micro',
      Engine: 'postgres',
      MasterUsername: 'lifeline',
      MasterUserPassword: 'not-a-secret-1',
      AllocatedStorage: 20,
      Tags: Object.entries({
        'lifeline:managed-by': 'lifeline',
        'lifeline:database': 'orders',
        'lifeline:installation': 'lifeline',
        'lifeline:execution': execution(name),
        'lifeline:failover': 'region-outage',
        ...(drill ? { 'lifeline:failover-drill': name } : {}),
      }).map(([Key, Value]) => ({ Key, Value })),
    }),
  );
  const found = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }));
  return found.DBInstances?.[0]?.Endpoint?.Address as string;
};
const setShadow = (value: string) =>
  h.aws.client(Route53Client, 'us-east-1').send(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: ZONE,
      ChangeBatch: {
        Changes: [
          {
            Action: 'UPSERT',
            ResourceRecordSet: { Name: SHADOW, Type: 'CNAME', TTL: 60, ResourceRecords: [{ Value: value }] },
          },
        ],
      },
    }),
  );
const shadowRecord = async () =>
  (
    (await h.aws.client(Route53Client, 'us-east-1').send(new ListResourceRecordSetsCommand({ HostedZoneId: ZONE })))
      .ResourceRecordSets ?? []
  ).find((s) => s.Name === `${SHADOW}.`)?.ResourceRecords?.[0]?.Value;
const failoverCopies = async () =>
  Object.fromEntries(
    ((await h.aws.client(RDSClient, DR).send(new DescribeDBInstancesCommand({}))).DBInstances ?? [])
      .filter((i) => i.DBInstanceIdentifier?.startsWith('lifeline-failover-'))
      .map((i) => [i.DBInstanceIdentifier, i.DBInstanceStatus]),
  );

// The harness's clock replaces Date.now inside an invocation: the time is taken once, outside.
const NOW = Date.now();
const sweep = async () => {
  const fn = [...h.aws.cloud.functions.values()].find((f) => f.environment.FAILOVER_HOSTED_ZONE_ID !== undefined);
  if (!fn) throw new Error('no sweeper of failover drills deployed');
  const credentials = await h.aws.cloud.credentials(fn.roleArn);
  const first = h.aws.cloud.wire.calls.length;
  const output = (await invokeBundled(
    fn,
    {},
    {
      generation: h.aws.cloud.generation,
      credentials,
      endpoint: h.aws.cloud.endpoint,
      now: () => NOW,
      environment: { POWERTOOLS_LOG_LEVEL: 'CRITICAL' },
    },
  )) as { swept: string[]; records: Record<string, string> };
  // What it did, as IAM would authorize it under the sweeper's own role (moto checks only the action). A copy it
  // deleted is gone from moto, so the evaluation cannot read the tags its DeleteDBInstance condition names: those
  // deletions are left out here (the template test pins their name and tag condition); every other call is judged.
  const run = { calls: h.aws.cloud.wire.calls.slice(first).map((c) => ({ ...c, roleArn: fn.roleArn })) };
  const denials = (await evaluateRun(h.aws, run as unknown as WorkflowRun)).filter(
    (d) => !output.swept.some((id) => d.call === `rds:DeleteDBInstance arn:aws:rds:${DR}:123456789012:db:${id}`),
  );
  const deletions = run.calls.filter((c) => c.action === 'DeleteDBInstance').map((c) => c.params.DBInstanceIdentifier);
  return { ...output, deletions, denials };
};

describe('the sweeper of failover drills, after a drill whose execution was stopped before its cleanup', () => {
  it('deletes the stopped drill copy and its shadow record, under its own role; a running drill, a real failover and production untouched', async () => {
    // Prepare: the copy of a stopped drill (its execution gone from the record), with the shadow record on it;
    // a drill still running; what a real failover restored (no drill tag).
    const stopped = await restoreCopy('lifeline-failover-orders-0000dead', 'stopped');
    await restoreCopy('lifeline-failover-orders-0000beef', 'running');
    await restoreCopy('lifeline-failover-orders-0000f00d', 'real', false);
    h.aws.cloud.stepFunctions.executions.push({
      executionArn: execution('running'),
      stateMachineArn: FAILOVER,
      status: 'RUNNING',
      startDate: new Date(),
      input: { database: 'orders', scenario: 'region-outage', drill: true },
    });
    await setShadow(stopped);
    // Act
    const out = await sweep();
    // Assess
    expect(out).toEqual({
      swept: ['lifeline-failover-orders-0000dead'],
      records: { [SHADOW]: stopped },
      deletions: ['lifeline-failover-orders-0000dead'],
      denials: [],
    });
    const left = await failoverCopies();
    expect(left['lifeline-failover-orders-0000dead'] ?? 'gone').toMatch(/^(gone|deleting)$/);
    expect(left['lifeline-failover-orders-0000beef']).toBe('available');
    expect(left['lifeline-failover-orders-0000f00d']).toBe('available');
    expect(await shadowRecord()).toBeUndefined();
    expect(await record()).toBe(OLD_TARGET);
  });

  it('keeps the shadow record when it names the copy of a drill still running', async () => {
    // Prepare
    await restoreCopy('lifeline-failover-orders-0000dead', 'stopped');
    const running = await restoreCopy('lifeline-failover-orders-0000beef', 'running');
    h.aws.cloud.stepFunctions.executions.push({
      executionArn: execution('running'),
      stateMachineArn: FAILOVER,
      status: 'RUNNING',
      startDate: new Date(),
      input: { database: 'orders', scenario: 'region-outage', drill: true },
    });
    await setShadow(running);
    // Act
    const out = await sweep();
    // Assess
    expect(out).toEqual({
      swept: ['lifeline-failover-orders-0000dead'],
      records: {},
      deletions: ['lifeline-failover-orders-0000dead'],
      denials: [],
    });
    expect(await shadowRecord()).toBe(running);
    expect(await record()).toBe(OLD_TARGET);
  });
});
