import { CreateDBInstanceReadReplicaCommand, DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import {
  ChangeResourceRecordSetsCommand,
  CreateHostedZoneCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import type { LifelineConfigInput } from '../../infra/config/schema';
import { baseConfig } from '../fixtures/configs';
import { createDrillSecret, createOrdersDatabase } from '../fixtures/production';
import { type SampleData, seedOrders } from '../fixtures/sample-data';
import { LocalDataPlane } from '../harness/data-plane';
import { type DnsAnswer, route53Lookup, startDnsAnswer } from '../harness/dns';
import { type Fault, replaceXml } from '../harness/faults';
import { invokeBundled } from '../harness/lambda-runtime';
import { type Delivered, type LocalAws, startLocalAws } from '../harness/local-aws';
import { latestFailoverRecord } from '../harness/reports';
import { runWorkflow, type ScheduledEvent, type WorkflowRun } from '../harness/run-workflow';

export const DR = 'eu-west-1';
export const ZONE = 'Z0LIFELINETEST';
export const RECORD = 'db.example.com';
/** What the record names before the failover: the production endpoint in the primary region. */
export const OLD_TARGET = 'orders-prod.c0ffee.eu-central-1.rds.amazonaws.com';

/** The fixture config with a failover of orders through db.example.com; orders has a read replica in the DR region. */
export function failoverConfig(): LifelineConfigInput {
  const config = baseConfig();
  return {
    ...config,
    databases: config.databases.map((db) =>
      db.id === 'orders' ? { ...db, continuous: { mode: 'read-replica', replica: 'orders-dr' } } : db,
    ),
    failover: {
      hostedZoneId: ZONE,
      recordName: RECORD,
      ttl: 60,
      databases: ['orders'],
      approval: { timeout: '30m' },
    },
  };
}

/**
 * What the failover files share (of `config`, by default the failover config): moto with the failover app deployed, an embedded PostgreSQL as production, the hosted
 * zone with the record pointing at production, and a DNS answer of moto's Route 53 records for the verification.
 */
export function failoverHarness(config: LifelineConfigInput = failoverConfig()) {
  const h = {} as { aws: LocalAws; plane: LocalDataPlane; dns: DnsAnswer };
  beforeAll(async () => {
    h.aws = await startLocalAws(config);
    h.plane = await LocalDataPlane.start((db) => seedOrders(db));
    h.dns = await startDnsAnswer(route53Lookup(() => h.aws.client(Route53Client, 'us-east-1')));
  }, 300_000);
  afterAll(async () => {
    await h.dns?.stop();
    await h.plane?.stop();
    await h.aws?.stop();
  });
  beforeEach(async (test) => {
    await h.aws.fresh(test);
    h.plane.unreachable = false;
    h.dns.stale.clear();
    await createOrdersDatabase(h.aws);
    await createDrillSecret(h.aws, 'orders');
    const r53 = h.aws.client(Route53Client, 'us-east-1');
    await r53.send(
      new CreateHostedZoneCommand({ Name: 'example.com', CallerReference: `lifeline-harness-zone:${ZONE}` }),
    );
    await setRecord(OLD_TARGET);
  });

  const setRecord = (value: string) =>
    h.aws.client(Route53Client, 'us-east-1').send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: ZONE,
        ChangeBatch: {
          Changes: [
            {
              Action: 'UPSERT',
              ResourceRecordSet: { Name: RECORD, Type: 'CNAME', TTL: 60, ResourceRecords: [{ Value: value }] },
            },
          ],
        },
      }),
    );

  /** The record's value now, as Route 53 has it. */
  const record = async () => {
    const sets =
      (await h.aws.client(Route53Client, 'us-east-1').send(new ListResourceRecordSetsCommand({ HostedZoneId: ZONE })))
        .ResourceRecordSets ?? [];
    return sets.find((s) => s.Name === `${RECORD}.` && s.Type === 'CNAME')?.ResourceRecords?.[0]?.Value;
  };

  /** A verified DR copy of orders, as the backup workflow makes it. */
  const backup = async (data: SampleData = {}) => {
    await seedOrders(h.plane.source, data);
    const run = await runWorkflow(h.aws.cloud, h.aws.cloud.stateMachine('-backup'), { database: 'orders' });
    expect(run.status, run.cause).toBe('SUCCEEDED');
  };

  /** The orders read replica in the DR region, made from production. */
  const createReplica = () =>
    h.aws.client(RDSClient, DR).send(
      new CreateDBInstanceReadReplicaCommand({
        DBInstanceIdentifier: 'orders-dr',
        SourceDBInstanceIdentifier: `arn:aws:rds:${h.aws.app.config.primaryRegion}:123456789012:db:orders-prod`,
        DBInstanceClass: 'db.t4g.micro',
      }),
    );

  const alertTopic = () => {
    const dr = h.aws.app.templates.dr;
    const id = Object.keys(dr?.template.Resources ?? {}).find((key) => /^Alerts[0-9A-F]{8}$/.test(key));
    if (!dr || !id) throw new Error('the DR stack has no alert topic');
    return h.aws.cloud.physicalId(dr, id);
  };

  /** A Lifeline function as Lambda runs it, at simulated `now`. */
  const invoke = async (name: string, payload: unknown, now: () => number) => {
    const fn = [...h.aws.cloud.functions.values()].find((f) => f.name === name);
    if (!fn) throw new Error(`no function ${name}`);
    return invokeBundled(fn, payload, {
      generation: h.aws.cloud.generation,
      credentials: await h.aws.cloud.credentials(fn.roleArn),
      endpoint: h.aws.cloud.endpoint,
      now,
      environment: { POWERTOOLS_LOG_LEVEL: 'CRITICAL' },
    }).then(
      (output) => ({ output, error: undefined }),
      (error: Error) => ({ output: undefined, error }),
    );
  };

  /** Someone answers the approval request at `atSeconds`, with the command the request shows. */
  const answer = (
    action: 'approve' | 'reject',
    atSeconds: number,
    read: () => Promise<Delivered[]>,
    seen: Delivered[],
    by = 'Dana',
  ): ScheduledEvent => ({
    atSeconds,
    run: async (now) => {
      seen.push(...(await read()));
      const request = seen.find((m) => m.Subject?.includes('waits for approval'));
      const token = /"token":"([^"]+)"/.exec(request?.Message ?? '')?.[1];
      if (!token) throw new Error('no approval request was published');
      const out = await invoke('lifeline-failover-command', { action, token, by, note: `${action}d in the test` }, now);
      if (out.error) throw out.error;
    },
  });

  /** Runs a failover; returns the run, the alerts published, the record and what the DR region has. */
  const failover = async (
    input: unknown,
    options: { faults?: Fault[]; answer?: 'approve' | 'reject'; answerAt?: number } = {},
  ) => {
    const read = await h.aws.subscribe(alertTopic(), DR);
    const seen: Delivered[] = [];
    const events = options.answer ? [answer(options.answer, options.answerAt ?? 120, read, seen)] : [];
    const run = await runWorkflow(h.aws.cloud, h.aws.cloud.stateMachine('-failover'), input, {
      faults: [...(options.faults ?? []), ROUTE53_PENDING],
      events,
      environment: { LIFELINE_DNS_SERVERS: h.dns.server },
    });
    seen.push(...(await read()));
    const instances = (await h.aws.client(RDSClient, DR).send(new DescribeDBInstancesCommand({}))).DBInstances ?? [];
    return {
      run,
      alerts: seen,
      record: await latestFailoverRecord(h.aws),
      restored: instances.map((i) => i.DBInstanceIdentifier).filter((id) => id?.startsWith('lifeline-failover-')),
      dns: await record(),
    };
  };

  return { h, backup, createReplica, failover, record, setRecord };
}

/**
 * Route 53 answers a change PENDING until its servers have it (GetChange then says INSYNC); moto answers INSYNC at
 * once. Every failover run gets Route 53's answer, so the wait for INSYNC is exercised.
 */
export const ROUTE53_PENDING: Fault = {
  command: 'ChangeResourceRecordSetsCommand',
  rewrite: (body) => replaceXml(body, 'Status', 'PENDING'),
};

/** Calls that change something (anything but reading, the sessions the SDK starts, and the failover's record). */
export function mutatingCalls(run: WorkflowRun): string[] {
  return (
    run.calls
      .filter((c) => !/^(Describe|List|Get|Head|AssumeRole$)/.test(c.action))
      // The failover's own record (failovers/<db>/…, in Lifeline's reports bucket) changes nothing it protects.
      .filter((c) => !(c.service === 's3' && c.action === 'PutObject' && /^failovers\//.test(String(c.params.Key))))
      .map((c) => `${c.service}:${c.action}`)
  );
}
