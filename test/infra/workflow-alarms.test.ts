import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { INCIDENT_KINDS } from '../../functions/incidents/contracts';
import { alarmSubject } from '../../functions/incidents/intake';
import { archivingConfig } from '../fixtures/archive-config';
import { baseConfig, type Mutable } from '../fixtures/configs';
import { synthesize } from '../harness/synth';

let primary: Template;

beforeAll(() => {
  primary = Template.fromStack(synthesize(baseConfig(), { bundle: false }).stacks.primary);
});

describe('alarms on the backup executions', () => {
  it.each([
    ['ExecutionsFailed', 'lifeline-backup-executions-failed'],
    ['ExecutionsTimedOut', 'lifeline-backup-executions-timed-out'],
    ['ExecutionsAborted', 'lifeline-backup-executions-aborted'],
  ])('alarm on %s of the backup state machine, to the alert topic, with what to do first', (metric, name) => {
    // Assess
    const machine = Object.keys(primary.findResources('AWS::StepFunctions::StateMachine'))[0] as string;
    const topic = Object.keys(primary.findResources('AWS::SNS::Topic'))[0] as string;
    primary.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: name,
      Namespace: 'AWS/States',
      MetricName: metric,
      Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: machine } }],
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: topic }],
    });
    const [alarm] = Object.values(primary.findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmName: name } }));
    expect(JSON.stringify(alarm?.Properties.AlarmDescription)).toMatch(/A Lifeline backup execution .*First: /);
  });

  it('may publish to the encrypted alert topic: the key and the topic let CloudWatch, for these alarms only', () => {
    // Exactly the stack's alarms, by name.
    const names = Object.values(primary.findResources('AWS::CloudWatch::Alarm')).map((a) =>
      String(a.Properties.AlarmName),
    );
    const fromAlarms = {
      ArnEquals: {
        'aws:SourceArn': names.map((name) => ({
          'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(`:alarm:${name}$`)])],
        })),
      },
      StringEquals: { 'aws:SourceAccount': Match.anyValue() },
    };
    primary.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'AlarmsPublishAlerts',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
            Condition: fromAlarms,
          }),
        ]),
      },
    });
    primary.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: fromAlarms,
          }),
        ]),
      },
    });
    // Three on the executions, and one quota alarm per database.
    expect(Object.keys(primary.findResources('AWS::CloudWatch::Alarm'))).toHaveLength(
      3 + baseConfig().databases.length,
    );
  });
});

describe('the snapshot quota alarm', () => {
  it.each(baseConfig().databases.map((db) => db.id))(
    'alarms for %s when a backup finds the region 90 percent used, as the snapshot step publishes it',
    (id) => {
      primary.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: `lifeline-${id}-snapshot-quota`,
        Namespace: 'Lifeline',
        MetricName: 'SnapshotQuotaUsedPercent',
        Dimensions: [
          { Name: 'database', Value: id },
          { Name: 'service', Value: 'lifeline' },
        ],
        Statistic: 'Maximum',
        Threshold: 90,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
        AlarmDescription: Match.stringLikeRegexp('First: delete manual snapshots'),
      });
    },
  );
});

describe('alarms of the DR stack on drills', () => {
  let dr: Template;
  beforeAll(() => {
    dr = Template.fromStack(synthesize(baseConfig(), { bundle: false }).stacks.dr);
  });
  const drilled = baseConfig().databases.filter((db) => db.drill);

  it.each(drilled.map((db) => [db.id, db]))(
    'alarm when the drill of %s does not pass, or misses its RTO or RPO',
    (id, db) => {
      const seconds = (text: string) =>
        Number(text.slice(0, -1)) * { m: 60, h: 3600, d: 86_400 }[text.slice(-1) as 'm' | 'h' | 'd'];
      const alarm = (suffix: string, metric: string, statistic: string, threshold: number, comparison: string) =>
        dr.hasResourceProperties('AWS::CloudWatch::Alarm', {
          AlarmName: `lifeline-${id}-drill-${suffix}`,
          Namespace: 'Lifeline',
          MetricName: metric,
          Dimensions: [
            { Name: 'database', Value: id },
            { Name: 'service', Value: 'lifeline' },
          ],
          Statistic: statistic,
          Threshold: threshold,
          ComparisonOperator: comparison,
          TreatMissingData: 'notBreaching',
          AlarmActions: [Match.anyValue()],
        });
      alarm('failed', 'DrillPassed', 'Minimum', 1, 'LessThanThreshold');
      alarm('rto-missed', 'DrillRTO', 'Maximum', seconds(String(db.objectives.rto)), 'GreaterThanThreshold');
      alarm('rpo-missed', 'DrillRPO', 'Maximum', seconds(String(db.objectives.rpo)), 'GreaterThanThreshold');
    },
  );

  it('alarm on drill executions that failed, timed out or were stopped', () => {
    for (const ending of ['failed', 'timed-out', 'aborted'])
      dr.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: `lifeline-drill-executions-${ending}`,
        Namespace: 'AWS/States',
      });
  });
});

describe('alarms on the scheduled archive and evidence work', () => {
  const config = archivingConfig(['orders']) as Mutable;
  for (const db of config.databases as Mutable[]) if (db.archive) db.archive.export = true;
  const app = synthesize(config as never, { bundle: false });
  const archivePrimary = Template.fromStack(app.stacks.primary);
  const archiveDr = Template.fromStack(app.stacks.dr);
  const alarmsOf = (template: Template) =>
    Object.values(template.findResources('AWS::CloudWatch::Alarm')).map(
      (a) => a.Properties as { AlarmName: string; AlarmDescription: unknown; MetricName: string },
    );

  it('alarm on export executions that fail, time out or are stopped, with advice that fits an export', () => {
    const names = alarmsOf(archivePrimary).map((a) => a.AlarmName);
    expect(names).toEqual(
      expect.arrayContaining([
        'lifeline-export-executions-failed',
        'lifeline-export-executions-timed-out',
        'lifeline-export-executions-aborted',
      ]),
    );
    const timedOut = alarmsOf(archivePrimary).find((a) => a.AlarmName === 'lifeline-export-executions-timed-out');
    expect(JSON.stringify(timedOut?.AlarmDescription)).toMatch(/export task it started may still be running/);
    expect(JSON.stringify(timedOut?.AlarmDescription)).not.toMatch(/copy slot/);
    archivePrimary.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Sid: 'ExportAlarmsPublishAlerts' })]) },
    });
  });

  it('alarm on replication verification executions, and on the evidence function failing, to the DR alert topic', () => {
    const topic = Object.keys(
      archiveDr.findResources('AWS::SNS::Topic', { Properties: { TopicName: 'lifeline-dr-alerts' } }),
    )[0] as string;
    const names = alarmsOf(archiveDr).map((a) => a.AlarmName);
    expect(names).toEqual(
      expect.arrayContaining([
        'lifeline-replication-verification-executions-failed',
        'lifeline-replication-verification-executions-timed-out',
        'lifeline-replication-verification-executions-aborted',
      ]),
    );
    archiveDr.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'lifeline-evidence-failed',
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Threshold: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: topic }],
      OKActions: [{ Ref: topic }],
    });
    const evidence = alarmsOf(archiveDr).find((a) => a.AlarmName === 'lifeline-evidence-failed');
    expect(JSON.stringify(evidence?.AlarmDescription)).toMatch(/lifeline evidence --month YYYY-MM/);
  });

  it('name every alarm so that the incident sink knows its kind: none reaches it as an unknown alarm', () => {
    const names = [...alarmsOf(archivePrimary), ...alarmsOf(archiveDr)].map((a) => a.AlarmName);
    expect(names.length).toBeGreaterThan(10);
    const unknown = names.filter((name) => alarmSubject(name, 'lifeline') === undefined);
    expect(unknown).toEqual([]);
  });
});

describe('alarms on the failover runbook', () => {
  const config = {
    ...baseConfig(),
    failover: { hostedZoneId: 'Z0123456789ABC', recordName: 'db.example.com', databases: ['orders'] },
  };
  const dr = Template.fromJSON(synthesize(config as never, { bundle: false }).templates.dr?.template as never);
  const alarms = Object.values(dr.findResources('AWS::CloudWatch::Alarm')).map(
    (a) => a.Properties as { AlarmName: string; AlarmDescription: unknown; MetricName: string; Namespace: string },
  );

  it('alarm on a failover that timed out or was stopped (a failed one records and pages itself), at P1', () => {
    // Assess
    const failover = alarms.filter((a) => a.AlarmName.startsWith('lifeline-failover-executions-'));
    expect(failover.map((a) => [a.AlarmName, a.Namespace, a.MetricName]).sort()).toEqual([
      ['lifeline-failover-executions-aborted', 'AWS/States', 'ExecutionsAborted'],
      ['lifeline-failover-executions-timed-out', 'AWS/States', 'ExecutionsTimedOut'],
    ]);
    for (const alarm of failover) {
      expect(JSON.stringify(alarm.AlarmDescription)).toMatch(/restored a database \(lifeline-failover-\*\)/);
      expect(JSON.stringify(alarm.AlarmDescription)).not.toMatch(/copy slot/);
      expect(alarmSubject(alarm.AlarmName, 'lifeline')).toMatchObject({ kind: expect.stringMatching(/^failover-/) });
    }
    expect(INCIDENT_KINDS['failover-executions-aborted'].severity).toBe('P1');
    expect(INCIDENT_KINDS['failover-executions-timed-out'].severity).toBe('P1');
    // CloudWatch may publish them to the encrypted alert topic.
    const statement = (
      Object.values(dr.findResources('AWS::KMS::Key'))
        .flatMap((k) => (k.Properties.KeyPolicy.Statement as { Sid?: string; Condition?: unknown }[]) ?? [])
        .find((s) => s.Sid === 'AlarmsPublishAlerts') as { Condition: unknown } | undefined
    )?.Condition;
    expect(JSON.stringify(statement)).toContain('alarm:lifeline-failover-executions-aborted');
    expect(JSON.stringify(statement)).toContain('alarm:lifeline-failover-executions-timed-out');
  });
});
