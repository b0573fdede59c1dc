import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../infra/config/load';
import type { LifelineConfigInput } from '../../infra/config/schema';
import { readinessDatabases } from '../../infra/readiness';
import { baseConfig, type Mutable, problemsOf } from '../fixtures/configs';
import { synthesize } from '../harness/synth';

/** The DR stack of the fixture config, orders with a readiness floor of 70 and ledger with the default. */
let dr: Template;
beforeAll(() => {
  const config = structuredClone(baseConfig()) as Mutable;
  config.databases[0].objectives.readinessFloor = 70;
  dr = Template.fromStack(synthesize(config as LifelineConfigInput, { bundle: false }).stacks.dr);
});

const alarmOf = (name: string) => {
  const found = Object.values(dr.findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmName: name } }));
  expect(found).toHaveLength(1);
  return (found[0] as { Properties: Record<string, unknown> }).Properties;
};

describe('the readiness probe and its alarms', () => {
  it('alarms per database when Lifeline/ReadinessScore stays below its floor: the configured one, or the default', () => {
    expect(alarmOf('lifeline-orders-readiness-low')).toMatchObject({
      Namespace: 'Lifeline',
      MetricName: 'ReadinessScore',
      Dimensions: [{ Name: 'database', Value: 'orders' }],
      Statistic: 'Minimum',
      Threshold: 70,
      ComparisonOperator: 'LessThanThreshold',
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      TreatMissingData: 'ignore',
    });
    // ledger is copied and drilled, with no continuous protection, vault or failover: it can score 61 (55 of 90),
    // and is held to 80 % of that.
    expect(alarmOf('lifeline-ledger-readiness-low')).toMatchObject({ MetricName: 'ReadinessScore', Threshold: 48 });
    // Routed like every alarm: to the DR alert topic, which the incident sink reads; back to OK closes the incident.
    const alarm = alarmOf('lifeline-orders-readiness-low');
    expect(alarm.AlarmActions).toEqual(alarm.OKActions);
    expect(JSON.stringify(alarm.AlarmActions)).toMatch(/Alerts/);
  });

  it('draws each database’s readiness on the dashboard against the same floor', () => {
    const [dashboard] = Object.values(dr.findResources('AWS::CloudWatch::Dashboard')) as {
      Properties: { DashboardBody: { 'Fn::Join': [string, unknown[]] } | string };
    }[];
    const body = dashboard?.Properties.DashboardBody;
    const text =
      typeof body === 'string'
        ? body
        : (body as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1]
            .map((p) => (typeof p === 'string' ? p : '<token>'))
            .join('');
    const widgets = (
      JSON.parse(text) as {
        widgets: { properties: { title?: string; metrics?: unknown[][]; annotations?: { horizontal?: unknown[] } } }[];
      }
    ).widgets.filter((w) => w.properties.title?.endsWith('recovery readiness (0-100)'));
    expect(
      widgets.map((w) => [w.properties.title, w.properties.metrics?.[0]?.slice(0, 4), w.properties.annotations]),
    ).toEqual([
      [
        'orders: recovery readiness (0-100)',
        ['Lifeline', 'ReadinessScore', 'database', 'orders'],
        { horizontal: [expect.objectContaining({ label: 'floor', value: 70 })] },
      ],
      [
        'ledger: recovery readiness (0-100)',
        ['Lifeline', 'ReadinessScore', 'database', 'ledger'],
        { horizontal: [expect.objectContaining({ label: 'floor', value: 48 })] },
      ],
    ]);
  });

  it('runs every hour and may read only the drill histories, and publish only in the Lifeline namespace', () => {
    dr.hasResourceProperties('AWS::Scheduler::Schedule', {
      Name: 'lifeline-readiness-probe',
      ScheduleExpression: 'rate(1 hour)',
    });
    const statements = Object.entries(dr.findResources('AWS::IAM::Policy'))
      .filter(([id]) => id.startsWith('ReadinessProbeRole'))
      .flatMap(
        ([, p]) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Condition?: unknown }[],
      );
    expect(statements.flatMap((s) => ([] as string[]).concat(s.Action)).sort()).toEqual([
      'cloudwatch:PutMetricData',
      'kms:Decrypt',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'rds:DescribeDBClusterSnapshots',
      'rds:DescribeDBSnapshots',
      's3:GetObject',
    ]);
    const read = statements.find((s) => s.Action === 's3:GetObject') as unknown as { Resource: unknown };
    const keys = JSON.stringify(read.Resource).match(/"\/[^"]+"/g);
    expect(keys?.sort()).toEqual(['"/history/ledger/index.json"', '"/history/orders/index.json"']);
  });
});

describe('objectives.readinessFloor', () => {
  it('is a whole number from 0 to 100', () => {
    expect(problemsOf((c) => (c.databases[0].objectives.readinessFloor = 101))).toEqual([
      expect.stringContaining('databases[0].objectives.readinessFloor'),
    ]);
    expect(problemsOf((c) => (c.databases[0].objectives.readinessFloor = 101))[0]).toMatch(
      /expected a whole number from 0 to 100/,
    );
    expect(problemsOf((c) => (c.databases[0].objectives.readinessFloor = 0))).toEqual([]);
  });
});

describe('the failover drill in the readiness of a database that fails over', () => {
  const withFailover = (drill?: Mutable) => {
    const config = structuredClone(baseConfig()) as Mutable;
    config.failover = { hostedZoneId: 'Z0123456789ABC', recordName: 'db.example.com', databases: ['orders'], drill };
    return validateConfig(config);
  };
  const cadence = () => 31 * 86_400;

  it('counts the scheduled failover drill within its cadence, and raises the default floor by what it can earn', () => {
    const [orders, ledger] = readinessDatabases(withFailover(), cadence);
    expect(orders).toMatchObject({ id: 'orders', failover: true, failoverDrillCadenceSeconds: 31 * 86_400 });
    expect(ledger?.failoverDrillCadenceSeconds).toBeUndefined();
    const [off] = readinessDatabases(withFailover({ enabled: false }), cadence);
    expect(off?.failoverDrillCadenceSeconds).toBeUndefined();
    expect(orders?.floor).toBeGreaterThan(off?.floor as number);
  });
});
