import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import type { LifelineConfigInput } from '../../infra/config/schema';
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
});
