import type { CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import type { LifelineConfigInput } from '../../infra/config/schema';
import { LifelineFunction } from '../../state-machines/lifeline-function';
import { baseConfig } from '../fixtures/configs';
import { synthesize } from '../harness/synth';

const withFailover = (drill?: object): LifelineConfigInput => ({
  ...baseConfig(),
  failover: {
    hostedZoneId: 'Z0123456789ABC',
    recordName: 'db.example.com',
    databases: ['orders'],
    ...(drill ? { drill } : {}),
  },
});
const drOf = (config: LifelineConfigInput) =>
  Template.fromJSON(synthesize(config, { bundle: false }).templates.dr?.template as never);

describe('the monthly failover drill in the DR stack', () => {
  it('starts a drill of each failover database once a month, and deletes only what a drill restored', () => {
    // Act
    const dr = drOf(withFailover());
    // Assess: the first Tuesday of the month at 10:00 UTC, by default.
    const schedules = Object.values(
      dr.findResources('AWS::Scheduler::Schedule', { Properties: { Name: 'lifeline-failover-drill-orders' } }),
    );
    expect(schedules).toHaveLength(1);
    const schedule = schedules[0]?.Properties;
    expect(schedule.ScheduleExpression).toBe('cron(0 10 ? * 3#1 *)');
    expect(schedule.ScheduleExpressionTimezone).toBe('UTC');
    expect(JSON.parse(schedule.Target.Input)).toEqual({
      database: 'orders',
      scenario: 'region-outage',
      drill: true,
      startedBy: 'the monthly failover drill schedule',
    });
    // The cleanup deletes a database only when a failover drill tagged it; the record changes only the shadow.
    dr.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'rds:DeleteDBInstance',
            Condition: { StringLike: { 'rds:db-tag/lifeline:failover-drill': '*' } },
          }),
          Match.objectLike({
            Action: 'route53:ChangeResourceRecordSets',
            Condition: {
              'ForAllValues:StringEquals': {
                'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['drill-orders.db.example.com'],
                'route53:ChangeResourceRecordSetsRecordTypes': ['CNAME'],
                'route53:ChangeResourceRecordSetsActions': ['DELETE'],
              },
            },
          }),
        ]),
      },
    });
  }, 180_000);

  it('takes its own schedule, and none when disabled (a drill still runs when started)', () => {
    const own = drOf(withFailover({ schedule: 'cron(30 6 1 * ? *)', timeZone: 'Europe/Berlin' }));
    own.hasResourceProperties('AWS::Scheduler::Schedule', {
      Name: 'lifeline-failover-drill-orders',
      ScheduleExpression: 'cron(30 6 1 * ? *)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
    });
    const off = drOf(withFailover({ enabled: false }));
    expect(
      Object.keys(
        off.findResources('AWS::Scheduler::Schedule', { Properties: { Name: 'lifeline-failover-drill-orders' } }),
      ),
    ).toEqual([]);
  }, 180_000);

  it("sweeps every hour what a stopped or timed-out drill left, with only the cleanup's deletions", () => {
    // Prepare
    const app = synthesize(withFailover({ enabled: false }), { bundle: false });
    const dr = Template.fromJSON(app.templates.dr?.template as never);
    const stack = app.stacks.dr;
    const sweeper = stack.node
      .findAll()
      .find(
        (c): c is LifelineFunction => c instanceof LifelineFunction && c.entry === 'functions/failover/sweep-drills.ts',
      );
    if (!sweeper) throw new Error('no sweeper of failover drills');
    const role = stack.getLogicalId(sweeper.role.node.defaultChild as CfnElement);
    const fn = stack.getLogicalId(sweeper.function.node.defaultChild as CfnElement);
    // Assess: hourly, even when the monthly drill is off (a drill still runs when started), invoking the sweeper.
    dr.hasResourceProperties('AWS::Scheduler::Schedule', {
      Name: 'lifeline-sweep-failover-drills',
      ScheduleExpression: 'rate(1 hour)',
      Target: { Arn: { 'Fn::GetAtt': [fn, 'Arn'] } },
    });
    const statements = Object.values(
      dr.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: role }] } }),
    ).flatMap(
      (p) =>
        p.Properties.PolicyDocument.Statement as {
          Action: string | string[];
          Resource: unknown;
          Condition?: unknown;
        }[],
    );
    const of = (action: string) =>
      statements
        .filter((st) => [st.Action].flat().includes(action))
        .map(({ Resource, Condition }) => ({ Resource, Condition }));
    const arn = (service: string, resource: string) => ({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:${service}:eu-west-1:123456789012${resource}`]],
    });
    expect(of('rds:DeleteDBInstance')).toEqual([
      {
        Resource: arn('rds', ':db:lifeline-failover-*'),
        Condition: { StringLike: { 'rds:db-tag/lifeline:failover-drill': '*' } },
      },
    ]);
    expect(of('rds:DeleteDBCluster')).toEqual([
      {
        Resource: arn('rds', ':cluster:lifeline-failover-*'),
        Condition: { StringLike: { 'rds:cluster-tag/lifeline:failover-drill': '*' } },
      },
      { Resource: arn('rds', ':cluster-snapshot:lifeline-failover-*'), Condition: undefined },
    ]);
    expect(of('states:DescribeExecution')).toEqual([
      { Resource: arn('states', ':execution:lifeline-failover:*'), Condition: undefined },
    ]);
    expect(of('route53:ChangeResourceRecordSets')).toEqual([
      {
        Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':route53:::hostedzone/Z0123456789ABC']] },
        Condition: {
          'ForAllValues:StringEquals': {
            'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['drill-orders.db.example.com'],
            'route53:ChangeResourceRecordSetsRecordTypes': ['CNAME'],
            'route53:ChangeResourceRecordSetsActions': ['DELETE'],
          },
        },
      },
    ]);
    expect(of('route53:ListResourceRecordSets')).toHaveLength(1);
    // Nothing else that changes anything.
    const actions = [...new Set(statements.flatMap((st) => [st.Action].flat()))].sort();
    expect(actions.filter((a) => !/^(rds:Describe|logs:|xray:|kms:|ec2:)/.test(a))).toEqual([
      'rds:DeleteDBCluster',
      'rds:DeleteDBInstance',
      'route53:ChangeResourceRecordSets',
      'route53:ListResourceRecordSets',
      'states:DescribeExecution',
    ]);
  }, 180_000);
});
