import {
  type DBCluster,
  type DBInstance,
  DeleteDBClusterCommand,
  DeleteDBInstanceCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import {
  ChangeResourceRecordSetsCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { DescribeExecutionCommand, ExecutionDoesNotExist, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { useRoute53 } from '../../../functions/failover/aws';
import { sweepDrills } from '../../../functions/failover/sweep-drills';

const rds = mockClient(RDSClient);
const states = mockClient(SFNClient);
const route53 = new Route53Client({ region: 'us-east-1' });
const dns = mockClient(route53);

const execution = (name: string) => `arn:aws:states:eu-west-1:123456789012:execution:lifeline-failover:${name}`;
const tagList = (tags: Record<string, string>) => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
const drillTags = (database: string, name: string) =>
  tagList({
    'lifeline:managed-by': 'lifeline',
    'lifeline:database': database,
    'lifeline:execution': execution(name),
    'lifeline:failover': 'region-outage',
    'lifeline:failover-drill': name,
  });
const copy = (id: string, tags: DBInstance['TagList']): DBInstance => ({
  DBInstanceIdentifier: id,
  DBInstanceStatus: 'available',
  Endpoint: { Address: `${id}.abc123.eu-west-1.rds.amazonaws.com`, Port: 5432 },
  TagList: tags,
});
const shadow = (value: string) => ({
  ResourceRecordSets: [
    { Name: 'drill-orders.db.example.com.', Type: 'CNAME' as const, TTL: 60, ResourceRecords: [{ Value: value }] },
  ],
});
const endpointOf = (instance: DBInstance) => instance.Endpoint?.Address as string;

const deletedInstances = () =>
  rds.commandCalls(DeleteDBInstanceCommand).map((c) => c.args[0].input.DBInstanceIdentifier);
const deletedClusters = () => rds.commandCalls(DeleteDBClusterCommand).map((c) => c.args[0].input.DBClusterIdentifier);
const recordChanges = () => dns.commandCalls(ChangeResourceRecordSetsCommand).map((c) => c.args[0].input);

describe('the sweeper of failover drills', () => {
  beforeEach(() => {
    process.env.AWS_REGION = 'eu-west-1';
    process.env.LIFELINE_INSTALLATION = 'lifeline';
    process.env.FAILOVER_HOSTED_ZONE_ID = 'Z123';
    process.env.FAILOVER_RECORD_NAME = 'db.example.com';
    useRoute53(route53);
    rds.on(DescribeDBClustersCommand).resolves({ DBClusters: [] });
    rds.on(DeleteDBInstanceCommand).resolves({});
    rds.on(DeleteDBClusterCommand).resolves({});
    dns.on(ListResourceRecordSetsCommand).resolves({ ResourceRecordSets: [] });
    dns
      .on(ChangeResourceRecordSetsCommand)
      .resolves({ ChangeInfo: { Id: 'c1', Status: 'PENDING', SubmittedAt: new Date() } });
  });
  afterEach(() => {
    rds.reset();
    states.reset();
    dns.reset();
    useRoute53(undefined);
    for (const name of ['LIFELINE_INSTALLATION', 'FAILOVER_HOSTED_ZONE_ID', 'FAILOVER_RECORD_NAME'])
      delete process.env[name];
  });

  it('deletes the copy of an ended execution and its shadow record, and keeps a running drill', async () => {
    // Prepare
    const stopped = copy('lifeline-failover-orders-00000001', drillTags('orders', 'stopped'));
    const gone = copy('lifeline-failover-orders-00000002', drillTags('orders', 'gone'));
    const running = copy('lifeline-failover-orders-00000003', drillTags('orders', 'running'));
    rds
      .on(DescribeDBInstancesCommand)
      .resolvesOnce({ DBInstances: [stopped, running], Marker: 'p2' })
      .resolves({
        DBInstances: [gone],
      });
    states.on(DescribeExecutionCommand, { executionArn: execution('stopped') }).resolves({ status: 'ABORTED' });
    states
      .on(DescribeExecutionCommand, { executionArn: execution('gone') })
      .rejects(new ExecutionDoesNotExist({ message: 'no such execution', $metadata: {} }));
    states.on(DescribeExecutionCommand, { executionArn: execution('running') }).resolves({ status: 'RUNNING' });
    dns.on(ListResourceRecordSetsCommand).resolves(shadow(`${endpointOf(stopped)}.`));
    // Act
    const out = await sweepDrills();
    // Assess
    expect(deletedInstances()).toEqual([stopped.DBInstanceIdentifier, gone.DBInstanceIdentifier]);
    expect(out.swept).toEqual([stopped.DBInstanceIdentifier, gone.DBInstanceIdentifier]);
    expect(out.records).toEqual({ 'drill-orders.db.example.com': endpointOf(stopped) });
    const changes = recordChanges();
    expect(changes).toHaveLength(1);
    expect(changes[0]?.HostedZoneId).toBe('Z123');
    expect(changes[0]?.ChangeBatch?.Changes).toEqual([
      { Action: 'DELETE', ResourceRecordSet: shadow(`${endpointOf(stopped)}.`).ResourceRecordSets[0] },
    ]);
    expect(dns.commandCalls(ListResourceRecordSetsCommand)[0]?.args[0].input.StartRecordName).toBe(
      'drill-orders.db.example.com.',
    );
  });

  it('keeps the shadow record when it names another copy (another drill of the database runs on it)', async () => {
    // Prepare
    const stopped = copy('lifeline-failover-orders-00000001', drillTags('orders', 'stopped'));
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [stopped] });
    states.on(DescribeExecutionCommand).resolves({ status: 'TIMED_OUT' });
    dns
      .on(ListResourceRecordSetsCommand)
      .resolves(shadow('lifeline-failover-orders-00000009.abc123.eu-west-1.rds.amazonaws.com.'));
    // Act
    const out = await sweepDrills();
    // Assess
    expect(deletedInstances()).toEqual([stopped.DBInstanceIdentifier]);
    expect(out.records).toEqual({});
    expect(recordChanges()).toEqual([]);
  });

  it('never touches what has no drill tag, is named outside the prefix, or names no failover execution', async () => {
    // Prepare
    const { 'lifeline:failover-drill': _drill, ...restored } = Object.fromEntries(
      (drillTags('orders', 'stopped') ?? []).map((t) => [t.Key as string, t.Value as string]),
    );
    const realFailover = copy('lifeline-failover-orders-00000001', tagList(restored));
    const outsidePrefix = copy('orders-prod', drillTags('orders', 'stopped'));
    const otherInstallation = copy('other-failover-orders-00000001', drillTags('orders', 'stopped'));
    const otherWorkflow = copy(
      'lifeline-failover-orders-00000002',
      tagList({
        'lifeline:failover-drill': 'x',
        'lifeline:database': 'orders',
        'lifeline:execution': 'arn:aws:states:eu-west-1:123456789012:execution:lifeline-drill:x',
      }),
    );
    const noExecution = copy('lifeline-failover-orders-00000003', tagList({ 'lifeline:failover-drill': 'y' }));
    const all = [realFailover, outsidePrefix, otherInstallation, otherWorkflow, noExecution];
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: all });
    rds.on(DescribeDBClustersCommand).resolves({
      DBClusters: [
        { DBClusterIdentifier: 'lifeline-failover-orders-00000004', TagList: tagList(restored) },
        { DBClusterIdentifier: 'orders-cluster', TagList: drillTags('orders', 'stopped') },
      ],
    });
    states.on(DescribeExecutionCommand).resolves({ status: 'ABORTED' });
    dns.on(ListResourceRecordSetsCommand).resolves(shadow(`${endpointOf(realFailover)}.`));
    // Act
    const out = await sweepDrills();
    // Assess
    expect(deletedInstances()).toEqual([]);
    expect(deletedClusters()).toEqual([]);
    expect(recordChanges()).toEqual([]);
    expect(out).toEqual({ swept: [], records: {} });
    // Not even asked about: only a drill copy's execution of this installation's failover is.
    expect(states.commandCalls(DescribeExecutionCommand)).toEqual([]);
  });

  it('sweeps a drill cluster: its instance, then the cluster; a cluster without an instance too', async () => {
    // Prepare
    const member = {
      ...copy('lifeline-failover-orders-0000000a-1', drillTags('orders', 'stopped')),
      DBClusterIdentifier: 'lifeline-failover-orders-0000000a',
    };
    const cluster: DBCluster = {
      DBClusterIdentifier: 'lifeline-failover-orders-0000000a',
      Status: 'available',
      Endpoint: 'lifeline-failover-orders-0000000a.cluster-abc123.eu-west-1.rds.amazonaws.com',
      TagList: drillTags('orders', 'stopped'),
    };
    const alone: DBCluster = { ...cluster, DBClusterIdentifier: 'lifeline-failover-orders-0000000b', Endpoint: 'b' };
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [member] });
    rds.on(DescribeDBClustersCommand).resolves({ DBClusters: [cluster, alone] });
    for (const c of [cluster, alone])
      rds.on(DescribeDBClustersCommand, { DBClusterIdentifier: c.DBClusterIdentifier }).resolves({ DBClusters: [c] });
    states.on(DescribeExecutionCommand).resolves({ status: 'FAILED' });
    dns.on(ListResourceRecordSetsCommand).resolves(shadow(`${cluster.Endpoint}.`));
    // Act
    const out = await sweepDrills();
    // Assess
    expect(deletedInstances()).toEqual([member.DBInstanceIdentifier]);
    expect(deletedClusters()).toEqual([cluster.DBClusterIdentifier, alone.DBClusterIdentifier]);
    expect(out.swept).toEqual([member.DBInstanceIdentifier, cluster.DBClusterIdentifier, alone.DBClusterIdentifier]);
    expect(out.records).toEqual({ 'drill-orders.db.example.com': cluster.Endpoint });
    // One execution, asked about once.
    expect(states.commandCalls(DescribeExecutionCommand)).toHaveLength(1);
  });
});
