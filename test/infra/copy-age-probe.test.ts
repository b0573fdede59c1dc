import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LifelineConfigInput } from '../../infra/config/schema';
import { CopyAgeProbe } from '../../state-machines/copy-age-probe';
import { baseConfig } from '../fixtures/configs';
import { synthesize } from '../harness/synth';

/**
 * The base config with orders' RPO raised past a day (its alarm still fires at 24 h) and a third database that is
 * not copied to the DR region (it has no DR copy to watch).
 */
function probeConfig(): LifelineConfigInput {
  const config = baseConfig();
  const [orders, ledger] = config.databases as [(typeof config.databases)[number], (typeof config.databases)[number]];
  return {
    ...config,
    databases: [
      { ...orders, objectives: { rpo: '2d', rto: '1h' } },
      ledger,
      {
        id: 'archive',
        kind: 'instance',
        identifier: 'archive-prod',
        engine: 'postgres',
        objectives: { rpo: '1d', rto: '4h' },
        backup: { schedule: 'cron(0 3 * * ? *)', timeZone: 'UTC', copyToDr: false },
        retention: { daily: 7, weekly: 0, monthly: 0, yearly: 0 },
      },
    ],
  };
}

type Statement = {
  Sid?: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
  Principal?: unknown;
};

let dr: Template;
beforeAll(() => {
  // synthesize() runs cdk-nag as a validation plugin: an unacknowledged finding throws.
  const app = synthesize(probeConfig(), { bundle: false });
  dr = Template.fromJSON(app.templates.dr?.template as never);
});

const probeLogicalId = () => {
  const [id] = Object.keys(
    dr.findResources('AWS::Lambda::Function', {
      Properties: { Environment: { Variables: { PROBED_DATABASES: Match.anyValue() } } },
    }),
  );
  if (!id) throw new Error('no copy-age probe in the DR stack');
  return id;
};
const probeStatements = (): Statement[] => {
  const fn = dr.toJSON().Resources[probeLogicalId()];
  const role = fn.Properties.Role['Fn::GetAtt'][0] as string;
  return Object.values(dr.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(`"${role}"`))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
};
const alertsTopic = () => {
  const [id] = Object.keys(dr.findResources('AWS::SNS::Topic', { Properties: { TopicName: 'lifeline-dr-alerts' } }));
  return id as string;
};
/** A value as text, intrinsics shown as `<Ref>` and `<Logical.Attr>`: `arn:<AWS::Partition>:rds:...`. */
const text = (value: unknown): string => {
  if (typeof value === 'string') return value;
  const v = value as Record<string, unknown>;
  if (v && 'Ref' in v) return `<${v.Ref}>`;
  if (v && 'Fn::GetAtt' in v) return `<${(v['Fn::GetAtt'] as string[]).join('.')}>`;
  if (v && 'Fn::Join' in v) {
    const [separator, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map(text).join(separator);
  }
  return JSON.stringify(value);
};
const alarmArn = (name: string) => `arn:<AWS::Partition>:cloudwatch:eu-west-1:123456789012:alarm:${name}`;
/** The statement's parts a reader checks, intrinsics as text. */
const readable = (s: Statement) => ({
  Sid: s.Sid,
  Principal: s.Principal,
  Action: s.Action,
  Resource: text(s.Resource),
  Condition: JSON.parse(
    JSON.stringify(s.Condition ?? {}, (_, v) =>
      v && typeof v === 'object' && ('Fn::Join' in v || 'Ref' in v) ? text(v) : v,
    ),
  ),
});

describe('the copy-age probe in the DR stack', () => {
  it('tells the probe which databases to look at: those copied to the DR region, with their kind', () => {
    // Act
    const fn = dr.toJSON().Resources[probeLogicalId()];
    // Assess
    expect(JSON.parse(fn.Properties.Environment.Variables.PROBED_DATABASES)).toEqual([
      { id: 'orders', kind: 'instance' },
      { id: 'ledger', kind: 'cluster' },
    ]);
    expect(fn.Properties.Environment.Variables.LIFELINE_INSTALLATION).toBe('lifeline');
  });

  it.each([
    ['orders', 24 * 3600],
    ['ledger', 4 * 3600],
  ])('alarms on %s when its newest verified copy is older than its RPO, at most 24 h (%i s)', (database, threshold) => {
    // Assess
    dr.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: `lifeline-${database}-no-recent-copy`,
      Namespace: 'Lifeline',
      MetricName: 'NewestVerifiedCopyAge',
      Dimensions: [{ Name: 'database', Value: database }],
      Statistic: 'Maximum',
      Period: 900,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      Threshold: threshold,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'breaching',
      AlarmActions: [{ Ref: alertsTopic() }],
    });
    const [alarm] = Object.values(
      dr.findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmName: `lifeline-${database}-no-recent-copy` } }),
    );
    // What broke, for which database, and what to do first.
    const description = text(alarm?.Properties.AlarmDescription);
    expect(description).toMatch(
      new RegExp(
        `^${database} has no verified DR copy in eu-west-1 newer than .+, or the copy-age probe \\(<.+>\\) stopped reporting: .+ First: in the primary region, look at the latest executions of lifeline-backup for ${database}.+--input '\\{"database":"${database}"\\}'`,
      ),
    );
    expect(description.length).toBeLessThanOrEqual(1024);
  });

  it('has no alarm for a database that is not copied to the DR region', () => {
    // Act
    const names = Object.values(dr.findResources('AWS::CloudWatch::Alarm')).map((a) => String(a.Properties.AlarmName));
    // Assess
    expect(names.filter((n) => n.endsWith('-no-recent-copy')).sort()).toEqual([
      'lifeline-ledger-no-recent-copy',
      'lifeline-orders-no-recent-copy',
    ]);
  });

  it('runs the probe every 15 minutes through EventBridge Scheduler, under the DR key', () => {
    // Assess
    dr.hasResourceProperties('AWS::Scheduler::Schedule', {
      Name: 'lifeline-copy-age-probe',
      ScheduleExpression: 'rate(15 minutes)',
      KmsKeyArn: Match.anyValue(),
      Target: { Arn: { 'Fn::GetAtt': [probeLogicalId(), 'Arn'] }, RetryPolicy: { MaximumRetryAttempts: 2 } },
    });
  });

  it('lets the probe read the region snapshots, and publish metrics only in the Lifeline namespace', () => {
    // Act
    const statements = probeStatements()
      .filter((s) => !String(s.Action).startsWith('logs:'))
      .map((s) => ({ Action: s.Action, Resource: text(s.Resource), Condition: s.Condition }));
    // Assess
    expect(statements).toEqual(
      expect.arrayContaining([
        { Action: 'rds:DescribeDBSnapshots', Resource: 'arn:<AWS::Partition>:rds:eu-west-1:123456789012:snapshot:*' },
        {
          Action: 'rds:DescribeDBClusterSnapshots',
          Resource: 'arn:<AWS::Partition>:rds:eu-west-1:123456789012:cluster-snapshot:*',
        },
        {
          Action: 'cloudwatch:PutMetricData',
          Resource: '*',
          Condition: { StringEquals: { 'cloudwatch:namespace': 'Lifeline' } },
        },
      ]),
    );
    expect(statements).toHaveLength(3);
  });

  it('lets CloudWatch use the DR key and publish to the alert topic, only for these alarms', () => {
    // Prepare
    // Every alarm of the DR stack publishes to the alert topic: the probe's and the drills'.
    const names = Object.values(dr.findResources('AWS::CloudWatch::Alarm')).map((a) => String(a.Properties.AlarmName));
    expect(names).toEqual(expect.arrayContaining(['lifeline-orders-no-recent-copy', 'lifeline-ledger-no-recent-copy']));
    const fromAlarms = {
      ArnEquals: { 'aws:SourceArn': names.map(alarmArn) },
      StringEquals: { 'aws:SourceAccount': '123456789012' },
    };
    const fromCloudWatch = (statements: Statement[]) =>
      statements
        .filter((s) => JSON.stringify(s.Principal) === JSON.stringify({ Service: 'cloudwatch.amazonaws.com' }))
        .map(readable);
    // Act
    const [key] = Object.values(dr.findResources('AWS::KMS::Key'));
    const [topicPolicy] = Object.values(
      dr.findResources('AWS::SNS::TopicPolicy', { Properties: { Topics: [{ Ref: alertsTopic() }] } }),
    );
    // Assess
    expect(fromCloudWatch(key?.Properties.KeyPolicy.Statement)).toEqual([
      {
        Sid: 'AlarmsPublishAlerts',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Resource: '*',
        Condition: fromAlarms,
      },
    ]);
    expect(fromCloudWatch(topicPolicy?.Properties.PolicyDocument.Statement)).toEqual([
      {
        Sid: '1',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: `<${alertsTopic()}>`,
        Condition: fromAlarms,
      },
    ]);
  });
});

describe('the CopyAgeProbe construct', () => {
  const objectives = { rpo: Duration.hours(6), rto: Duration.hours(1) };
  const retention = { daily: 7, weekly: 0, monthly: 0, yearly: 0 };
  const stackWith = (props: Partial<ConstructorParameters<typeof CopyAgeProbe>[2]> = {}) => {
    const stack = new Stack(new App(), 'Probe', { env: { account: '123456789012', region: 'eu-west-1' } });
    const probe = new CopyAgeProbe(stack, 'Probe', {
      databases: [{ id: 'shop', identifier: 'shop-prod', engine: 'postgres', objectives, retention }],
      key: new kms.Key(stack, 'Key'),
      alarmAction: new sns.Topic(stack, 'Alarms'),
      ...props,
    });
    return { probe, template: Template.fromStack(stack) };
  };

  it('alarms after two periods of its rate, and reads only instance snapshots when no database is a cluster', () => {
    // Act
    const { template, probe } = stackWith({ every: Duration.minutes(5) });
    // Assess
    template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(5 minutes)' });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'lifeline-shop-no-recent-copy',
      Period: 300,
      EvaluationPeriods: 2,
      Threshold: 6 * 3600,
    });
    expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).not.toContain('DescribeDBClusterSnapshots');
    expect(probe.alarmNames).toEqual(['lifeline-shop-no-recent-copy']);
  });

  it('creates nothing when no database is copied to the DR region', () => {
    // Act
    const { template, probe } = stackWith({
      databases: [{ id: 'shop', identifier: 'shop-prod', engine: 'postgres', objectives, retention, copyToDr: false }],
    });
    // Assess
    template.resourceCountIs('AWS::Lambda::Function', 0);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    expect(probe.probe).toBeUndefined();
  });

  it('refuses a rate an alarm period cannot follow, showing it', () => {
    // Act
    const build = () => stackWith({ every: Duration.seconds(90) });
    // Assess
    expect(build).toThrow(/every 1 minute 30 seconds must be whole minutes, from 1 minute to 1 hour/);
  });
});
