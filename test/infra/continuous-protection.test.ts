import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { INCIDENT_KINDS } from '../../functions/incidents/contracts';
import { alarmSubject } from '../../functions/incidents/intake';
import type { LifelineConfigInput } from '../../infra/config/schema';
import { baseConfig } from '../fixtures/configs';
import { synthesize } from '../harness/synth';

const SOURCE_KEY = 'arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

/** The base config, every mode once: orders replicates its automated backups, ledger is a global database, shop has a read replica. */
function continuousConfig(): LifelineConfigInput {
  const config = baseConfig();
  const [orders, ledger] = config.databases as [(typeof config.databases)[number], (typeof config.databases)[number]];
  return {
    ...config,
    account: '123456789012',
    databases: [
      {
        ...orders,
        sourceKey: SOURCE_KEY,
        objectives: { rpo: '15m', rto: '1h' },
        continuous: { mode: 'automated-backup-replication', retentionDays: 14 },
      },
      {
        ...ledger,
        objectives: { rpo: '5m', rto: '1h' },
        continuous: { mode: 'global-database', globalCluster: 'ledger-global', secondaryCluster: 'ledger-dr' },
      },
      {
        id: 'shop',
        kind: 'instance',
        identifier: 'shop-prod',
        engine: 'mysql',
        objectives: { rpo: '1m', rto: '1h' },
        backup: { schedule: 'cron(0 3 * * ? *)' },
        retention: { daily: 7, weekly: 0, monthly: 0, yearly: 0 },
        continuous: { mode: 'read-replica', replica: 'shop-dr' },
      },
    ],
    escalation: { levels: [{ name: 'on-call', after: '0m', notify: ['oncall@example.com'] }] },
  };
}

type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown };
const text = (value: unknown): string => {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(text).join(' | ');
  const v = value as Record<string, unknown>;
  if (v && 'Ref' in v) return `<${v.Ref}>`;
  if (v && 'Fn::GetAtt' in v) return `<${(v['Fn::GetAtt'] as string[]).join('.')}>`;
  if (v && 'Fn::Join' in v) {
    const [separator, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map(text).join(separator);
  }
  return JSON.stringify(value);
};

let dr: Template;
beforeAll(() => {
  // synthesize() runs cdk-nag as a validation plugin: an unacknowledged finding throws.
  const app = synthesize(continuousConfig(), { bundle: false });
  dr = Template.fromJSON(app.templates.dr?.template as never);
});

const probeId = () => {
  const [id] = Object.keys(
    dr.findResources('AWS::Lambda::Function', {
      Properties: { Environment: { Variables: { CONTINUOUS_DATABASES: Match.anyValue() } } },
    }),
  );
  if (!id) throw new Error('no continuous probe in the DR stack');
  return id;
};
const probeStatements = (): Statement[] => {
  const role = dr.toJSON().Resources[probeId()].Properties.Role['Fn::GetAtt'][0] as string;
  return Object.values(dr.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(`"${role}"`))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
};
const grantsOf = (action: string) =>
  probeStatements()
    .filter((s) => ([] as string[]).concat(s.Action).includes(action))
    .map((s) => ({ Resource: text(s.Resource), Condition: s.Condition }));

describe('continuous protection in the DR stack', () => {
  it('tells the probe each database, its mode and its source, the DR key and the primary region', () => {
    const variables = dr.toJSON().Resources[probeId()].Properties.Environment.Variables;
    // The source ARNs are in the stack's partition.
    expect(JSON.parse(text(variables.CONTINUOUS_DATABASES))).toEqual([
      {
        id: 'orders',
        mode: 'automated-backup-replication',
        sourceArn: 'arn:<AWS::Partition>:rds:eu-central-1:123456789012:db:orders-prod',
        retentionDays: 14,
      },
      { id: 'ledger', mode: 'global-database', globalCluster: 'ledger-global', secondaryCluster: 'ledger-dr' },
      {
        id: 'shop',
        mode: 'read-replica',
        sourceArn: 'arn:<AWS::Partition>:rds:eu-central-1:123456789012:db:shop-prod',
        replica: 'shop-dr',
      },
    ]);
    expect(text(variables.CONTINUOUS_DR_KEY_ARN)).toMatch(/^<.+\.Arn>$/);
    expect(variables.CONTINUOUS_PRIMARY_REGION).toBe('eu-central-1');
  });

  it('runs the probe every 5 minutes through EventBridge Scheduler, under the DR key', () => {
    dr.hasResourceProperties('AWS::Scheduler::Schedule', {
      Name: 'lifeline-continuous-probe',
      ScheduleExpression: 'rate(5 minutes)',
      KmsKeyArn: Match.anyValue(),
      Target: { Arn: { 'Fn::GetAtt': [probeId(), 'Arn'] }, RetryPolicy: { MaximumRetryAttempts: 2 } },
    });
  });

  it.each([
    ['orders', 900],
    ['ledger', 300],
    ['shop', 60],
  ])('alarms on %s when its measured RPO passes the objective (%i s), or is not measured', (database, threshold) => {
    const topic = Object.keys(
      dr.findResources('AWS::SNS::Topic', { Properties: { TopicName: 'lifeline-dr-alerts' } }),
    )[0];
    dr.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: `lifeline-${database}-continuous-rpo-missed`,
      Namespace: 'Lifeline',
      MetricName: 'ContinuousRPO',
      Dimensions: [{ Name: 'database', Value: database }],
      Statistic: 'Maximum',
      Period: 300,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      Threshold: threshold,
      ComparisonOperator: 'GreaterThanThreshold',
      // A probe that stops, or finds nothing to measure, is not "fine".
      TreatMissingData: 'breaching',
      AlarmActions: [{ Ref: topic }],
      OKActions: [{ Ref: topic }],
    });
    const [alarm] = Object.values(
      dr.findResources('AWS::CloudWatch::Alarm', {
        Properties: { AlarmName: `lifeline-${database}-continuous-rpo-missed` },
      }),
    );
    const description = text(alarm?.Properties.AlarmDescription);
    expect(description).toMatch(new RegExp(`^${database} \\(.+\\) could lose more than its RPO of .+ First: `));
    expect(description.length).toBeLessThanOrEqual(1024);
  });

  it('names the alarms as the incident sink reads them: a P1 that closes when the alarm is OK', () => {
    expect(alarmSubject('lifeline-orders-continuous-rpo-missed', 'lifeline')).toEqual({
      database: 'orders',
      kind: 'continuous-rpo-missed',
    });
    expect(INCIDENT_KINDS['continuous-rpo-missed']).toMatchObject({ severity: 'P1', closes: 'alarm-ok' });
  });

  it('lets CloudWatch publish the RPO alarms to the alert topic', () => {
    const [topicPolicy] = Object.values(dr.findResources('AWS::SNS::TopicPolicy'));
    expect(JSON.stringify(topicPolicy)).toContain('alarm:lifeline-orders-continuous-rpo-missed');
    expect(JSON.stringify(topicPolicy)).toContain('alarm:lifeline-shop-continuous-rpo-missed');
  });

  it('turns replication on only for the configured source, under the DR key, through RDS', () => {
    expect(grantsOf('rds:StartDBInstanceAutomatedBackupsReplication')).toEqual([
      {
        Resource:
          'arn:<AWS::Partition>:rds:eu-central-1:123456789012:db:orders-prod | arn:<AWS::Partition>:rds:eu-west-1:123456789012:auto-backup:*',
        Condition: undefined,
      },
    ]);
    expect(grantsOf('rds:DescribeDBInstances').map((g) => g.Resource)).toEqual([
      'arn:<AWS::Partition>:rds:eu-central-1:123456789012:db:orders-prod | arn:<AWS::Partition>:rds:eu-west-1:123456789012:db:shop-dr',
    ]);
    const [grant] = grantsOf('kms:CreateGrant').filter((g) => g.Resource.startsWith('<'));
    expect(grant?.Condition).toEqual({
      StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['rds.eu-west-1.', { Ref: 'AWS::URLSuffix' }]] } },
      Bool: { 'kms:GrantIsForAWSResource': true },
    });
    // The source key, through RDS in the primary region only.
    const onSourceKey = probeStatements().filter((s) => text(s.Resource) === SOURCE_KEY);
    expect(onSourceKey.flatMap((s) => ([] as string[]).concat(s.Action)).sort()).toEqual([
      'kms:CreateGrant',
      'kms:Decrypt',
      'kms:DescribeKey',
    ]);
    for (const s of onSourceKey) expect(JSON.stringify(s.Condition)).toContain('rds.eu-central-1.');
  });

  it('reads only the configured replica, global cluster and secondary, and writes metrics only in its namespace', () => {
    expect(grantsOf('rds:DescribeGlobalClusters').map((g) => g.Resource)).toEqual([
      'arn:<AWS::Partition>:rds::123456789012:global-cluster:ledger-global',
    ]);
    expect(grantsOf('rds:DescribeDBClusters').map((g) => g.Resource)).toEqual([
      'arn:<AWS::Partition>:rds:eu-west-1:123456789012:cluster:ledger-dr',
    ]);
    expect(grantsOf('cloudwatch:GetMetricData')).toEqual([{ Resource: '*', Condition: undefined }]);
    expect(grantsOf('cloudwatch:PutMetricData')).toEqual([
      { Resource: '*', Condition: { StringEquals: { 'cloudwatch:namespace': 'Lifeline' } } },
    ]);
    // Nothing here deletes, stops or modifies.
    const actions = probeStatements().flatMap((s) => ([] as string[]).concat(s.Action));
    expect(actions.filter((a) => /Delete|Stop|Modify|Promote|Failover/.test(a))).toEqual([]);
  });
});
