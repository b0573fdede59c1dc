import {
  CloudWatchClient,
  GetMetricDataCommand,
  ListMetricsCommand,
  PutMetricDataCommand,
} from '@aws-sdk/client-cloudwatch';
import { CreateDBInstanceReadReplicaCommand, PromoteReadReplicaCommand, RDSClient } from '@aws-sdk/client-rds';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LifelineConfigInput } from '../../infra/config/schema';
import { twoEngineConfig } from '../fixtures/configs';
import { createOrdersDatabase, createShopDatabase } from '../fixtures/production';
import { evaluateRun } from '../harness/iam-evaluation';
import { invokeBundled } from '../harness/lambda-runtime';
import { type LocalAws, startLocalAws } from '../harness/local-aws';
import type { WorkflowRun } from '../harness/run-workflow';
import type { WireCall, WireResponse } from '../harness/wire';

vi.setConfig({ testTimeout: 300_000 });

const PRIMARY = 'eu-central-1';
const DR = 'eu-west-1';
const ACCOUNT = '123456789012';
const ORDERS = `arn:aws:rds:${PRIMARY}:${ACCOUNT}:db:orders-prod`;
const SHOP = `arn:aws:rds:${PRIMARY}:${ACCOUNT}:db:shop-prod`;

/** orders has a read replica in the DR region; shop's automated backups are replicated there. Both: an RPO of 15 min. */
function continuousConfig(): LifelineConfigInput {
  const config = twoEngineConfig();
  return {
    ...config,
    databases: config.databases.map((db) =>
      db.id === 'orders'
        ? {
            ...db,
            objectives: { ...db.objectives, rpo: '15m' },
            continuous: { mode: 'read-replica', replica: 'orders-dr' },
          }
        : db.id === 'shop'
          ? {
              ...db,
              objectives: { ...db.objectives, rpo: '15m' },
              continuous: { mode: 'automated-backup-replication', retentionDays: 7 },
            }
          : db,
    ),
  };
}

/**
 * moto has no automated-backup replication (DescribeDBInstanceAutomatedBackups, StartDBInstanceAutomatedBackupsReplication).
 * This stands in for RDS's control plane of it in the DR region: the replicated backups it holds, and the calls
 * that turn replication on, answered as RDS answers them.
 */
class ReplicatedBackupsStandIn {
  backups: { sourceArn: string; status: string; latest: Date }[] = [];
  readonly started: Record<string, unknown>[] = [];

  before(call: WireCall): WireResponse | undefined {
    if (call.service !== 'rds' || call.region !== DR) return undefined;
    if (call.action === 'DescribeDBInstanceAutomatedBackups') {
      const wanted = String(call.params['Filters.Filter.1.Values.Value.1'] ?? '');
      const members = this.backups
        .filter((b) => !wanted || b.sourceArn === wanted)
        .map(
          (b, i) =>
            `<DBInstanceAutomatedBackup><DBInstanceArn>${b.sourceArn}</DBInstanceArn><DBInstanceAutomatedBackupsArn>arn:aws:rds:${DR}:${ACCOUNT}:auto-backup:ab-${i}</DBInstanceAutomatedBackupsArn><Status>${b.status}</Status><RestoreWindow><EarliestTime>${new Date(b.latest.getTime() - 86_400_000).toISOString()}</EarliestTime><LatestTime>${b.latest.toISOString()}</LatestTime></RestoreWindow></DBInstanceAutomatedBackup>`,
        )
        .join('');
      return this.answer(call.action, `<DBInstanceAutomatedBackups>${members}</DBInstanceAutomatedBackups>`);
    }
    if (call.action === 'StartDBInstanceAutomatedBackupsReplication') {
      this.started.push(call.params);
      return this.answer(
        call.action,
        `<DBInstanceAutomatedBackup><DBInstanceArn>${String(call.params.SourceDBInstanceArn)}</DBInstanceArn><Status>pending</Status></DBInstanceAutomatedBackup>`,
      );
    }
    return undefined;
  }

  private answer(action: string, result: string): WireResponse {
    return {
      status: 200,
      headers: { 'content-type': 'text/xml' },
      body: `<${action}Response xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><${action}Result>${result}</${action}Result><ResponseMetadata><RequestId>stand-in</RequestId></ResponseMetadata></${action}Response>`,
    };
  }
}

let aws: LocalAws;
const standIn = new ReplicatedBackupsStandIn();
beforeAll(async () => {
  aws = await startLocalAws(continuousConfig());
  aws.wire.use({ before: (call) => standIn.before(call) });
}, 300_000);
afterAll(async () => aws?.stop());
beforeEach(async (test) => {
  await aws.fresh(test);
  standIn.backups = [];
  standIn.started.length = 0;
  await createOrdersDatabase(aws);
  await createShopDatabase(aws);
});

/** The probe as its schedule runs it: the bundle, under its own role, in the DR region, at `now`. */
const probe = async (now: number) => {
  const fn = [...aws.cloud.functions.values()].find((f) => f.environment.CONTINUOUS_DATABASES !== undefined);
  if (!fn) throw new Error('no continuous probe deployed');
  // The session is the harness's (as Lambda's), before the calls the probe makes with it.
  const credentials = await aws.cloud.credentials(fn.roleArn);
  const first = aws.cloud.wire.calls.length;
  const output = (await invokeBundled(
    fn,
    {},
    {
      generation: aws.cloud.generation,
      credentials,
      endpoint: aws.cloud.endpoint,
      now: () => now,
      environment: { POWERTOOLS_LOG_LEVEL: 'CRITICAL' },
    },
  )) as { databases: { database: string; rpoSeconds?: number; problem?: string; replicationStarted?: boolean }[] };
  const calls = aws.cloud.wire.calls.slice(first).map((call) => ({ ...call, roleArn: fn.roleArn }));
  return {
    output,
    run: { calls } as unknown as WorkflowRun,
    of: (id: string) => output.databases.find((d) => d.database === id),
  };
};

/** The ContinuousRPO points of `database` moto holds around `now`, as the alarm reads them (Maximum per 5 min). */
const published = async (database: string, now: number) => {
  const out = await aws.client(CloudWatchClient, DR).send(
    new GetMetricDataCommand({
      StartTime: new Date(now - 900_000),
      EndTime: new Date(now + 300_000),
      MetricDataQueries: [
        {
          Id: 'rpo',
          MetricStat: {
            Metric: {
              Namespace: 'Lifeline',
              MetricName: 'ContinuousRPO',
              Dimensions: [{ Name: 'database', Value: database }],
            },
            Period: 300,
            Stat: 'Maximum',
          },
        },
      ],
    }),
  );
  return out.MetricDataResults?.[0]?.Values ?? [];
};

/** The synthesized RPO alarm of `database`: what it compares, and what missing data counts as. */
const alarmOf = (database: string) => {
  const alarm = Object.values(aws.app.templates.dr?.template.Resources ?? {}).find(
    (r) =>
      r.Type === 'AWS::CloudWatch::Alarm' && r.Properties?.AlarmName === `lifeline-${database}-continuous-rpo-missed`,
  );
  if (!alarm) throw new Error(`no RPO alarm for ${database}`);
  return {
    threshold: Number(alarm.Properties?.Threshold),
    missing: String(alarm.Properties?.TreatMissingData),
    operator: String(alarm.Properties?.ComparisonOperator),
  };
};
/** Whether a point of `value` is past the alarm's threshold (its comparison, as synthesized). */
const breaches = (database: string, value: number) => {
  const { threshold, operator } = alarmOf(database);
  if (operator !== 'GreaterThanThreshold') throw new Error(`unexpected comparison ${operator}`);
  return value > threshold;
};

describe('the continuous probe against moto: a read replica in the DR region', () => {
  const replicaOf = () =>
    aws.client(RDSClient, DR).send(
      new CreateDBInstanceReadReplicaCommand({
        DBInstanceIdentifier: 'orders-dr',
        SourceDBInstanceIdentifier: ORDERS,
        DBInstanceClass: 'db.t4g.micro',
      }),
    );
  /** RDS's ReplicaLag of orders-dr (moto publishes no RDS metrics: the harness does, as RDS would, every minute). */
  const lag = (seconds: number, at: number) =>
    aws.client(CloudWatchClient, DR).send(
      new PutMetricDataCommand({
        Namespace: 'AWS/RDS',
        MetricData: [
          {
            MetricName: 'ReplicaLag',
            Dimensions: [{ Name: 'DBInstanceIdentifier', Value: 'orders-dr' }],
            Timestamp: new Date(at),
            Value: seconds,
            Unit: 'Seconds',
          },
        ],
      }),
    );

  it('publishes the replica lag as the RPO, which stays under the alarm, then passes it when the lag grows', async () => {
    // Prepare
    await replicaOf();
    const now = Date.now();
    await lag(42, now - 120_000);
    // Act
    const first = await probe(now);
    // Assess: the lag is the RPO, published as Lifeline/ContinuousRPO of orders; under the 15 min threshold.
    expect(first.of('orders')).toMatchObject({ mode: 'read-replica', rpoSeconds: 42 });
    expect(await published('orders', now)).toEqual([42]);
    const metrics = await aws.client(CloudWatchClient, DR).send(new ListMetricsCommand({ Namespace: 'Lifeline' }));
    expect(metrics.Metrics?.map((m) => [m.MetricName, m.Dimensions])).toContainEqual([
      'ContinuousRPO',
      [{ Name: 'database', Value: 'orders' }],
    ]);
    expect(alarmOf('orders').threshold).toBe(900);
    expect(breaches('orders', 42)).toBe(false);
    // Only what its role allows: the replica, the lag metric, the publication.
    expect(await evaluateRun(aws, first.run)).toEqual([]);

    // Act: five minutes later the replica lags 20 minutes.
    const later = now + 300_000;
    await lag(1200, later - 60_000);
    const second = await probe(later);
    // Assess
    expect(second.of('orders')?.rpoSeconds).toBe(1200);
    expect((await published('orders', later)).some((v) => breaches('orders', v))).toBe(true);
  });

  it('publishes nothing once the replica is promoted, so the alarm, whose missing data breaches, fires', async () => {
    // Prepare: the replica was promoted (by hand, or a failover); its old lag points are still there.
    await replicaOf();
    const now = Date.now();
    await lag(5, now - 60_000);
    await aws.client(RDSClient, DR).send(new PromoteReadReplicaCommand({ DBInstanceIdentifier: 'orders-dr' }));
    // Act
    const { of } = await probe(now);
    // Assess
    expect(of('orders')?.rpoSeconds).toBeUndefined();
    expect(of('orders')?.problem).toContain(`orders-dr in ${DR} is not a read replica of ${ORDERS}`);
    expect(await published('orders', now)).toEqual([]);
    expect(alarmOf('orders').missing).toBe('breaching');
  });
});

describe('the continuous probe against moto: replicated automated backups (RDS control plane stood in)', () => {
  it('publishes now minus the latest restorable time in the DR region', async () => {
    // Prepare: shop's backups replicate; the latest restorable time is 4 minutes ago.
    const now = Date.now();
    standIn.backups = [{ sourceArn: SHOP, status: 'replicating', latest: new Date(now - 240_000) }];
    // Act
    const { of, run } = await probe(now);
    // Assess
    expect(of('shop')).toMatchObject({ mode: 'automated-backup-replication', rpoSeconds: 240 });
    expect(await published('shop', now)).toEqual([240]);
    expect(breaches('shop', 240)).toBe(false);
    expect(standIn.started).toEqual([]);
    // The stood-in calls and moto's alike are what its role allows.
    expect(await evaluateRun(aws, run)).toEqual([]);
  });

  it('turns replication found off on again, publishes the retained backup’s growing RPO, and says so', async () => {
    // Prepare: replication stopped 30 minutes ago; the retained backup restores up to then.
    const now = Date.now();
    standIn.backups = [{ sourceArn: SHOP, status: 'retained', latest: new Date(now - 1_800_000) }];
    // Act
    const { of } = await probe(now);
    // Assess
    expect(standIn.started).toEqual([
      expect.objectContaining({ SourceDBInstanceArn: SHOP, BackupRetentionPeriod: '7' }),
    ]);
    expect(of('shop')).toMatchObject({ replicationStarted: true, rpoSeconds: 1800 });
    expect(of('shop')?.problem).toContain('was off; Lifeline turned it on again (7 days');
    expect((await published('shop', now)).some((v) => breaches('shop', v))).toBe(true);
  });
});
