import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { describe, expect, it } from 'vitest';
import { type EscalationLevel, EscalationLevels, type EscalationLevelsProps } from '../../state-machines/escalation';

const levels: EscalationLevel[] = [
  { name: 'on-call', after: Duration.minutes(0), contacts: [{ type: 'sms', phoneNumber: '+4915112345678' }] },
  {
    name: 'tech-lead',
    after: Duration.minutes(15),
    contacts: [
      { type: 'email', address: 'tech-lead@example.com' },
      { type: 'https', url: 'https://pager.example.com/sns/shop' },
    ],
  },
  { name: 'management', after: Duration.hours(2), contacts: [{ type: 'email', address: 'board@example.com' }] },
];

function build(props: Partial<EscalationLevelsProps> = {}) {
  const stack = new Stack(new App(), 'Paging', { env: { account: '111111111111', region: 'eu-central-1' } });
  const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
  const escalation = new EscalationLevels(stack, 'Escalation', { levels, key, installation: 'shop', ...props });
  return { stack, escalation };
}

describe('EscalationLevels as a library construct', () => {
  it('builds a topic per level with its subscriptions in a plain stack, from props alone', () => {
    // Act
    const { stack, escalation } = build({ startAt: { P2: 'tech-lead', P3: 'management' } });
    // Assess
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SNS::Topic', 3);
    template.hasResourceProperties('AWS::SNS::Topic', { TopicName: 'shop-page-tech-lead' });
    template.resourceCountIs('AWS::SNS::Subscription', 4);
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'sms', Endpoint: '+4915112345678' });
    expect(escalation.levels.map((level) => level.name)).toEqual(['on-call', 'tech-lead', 'management']);
    expect(escalation.topicFor('P0')).toBe(escalation.topics[0]);
    expect(escalation.topicFor('P2')).toBe(escalation.topics[1]);
    expect(escalation.levelsFrom('P3').map((level) => [level.name, level.after.toMinutes()])).toEqual([
      ['management', 120],
    ]);
  });

  it('starts every severity at the first level by default', () => {
    const { escalation } = build();
    for (const severity of ['P0', 'P1', 'P2', 'P3'] as const)
      expect(escalation.levelsFrom(severity)).toEqual(escalation.levels);
  });

  it.each<[string, Partial<EscalationLevelsProps>, string]>([
    ['no levels', { levels: [] }, 'levels: needs at least one level'],
    [
      'a first level that waits',
      { levels: [{ ...(levels[0] as EscalationLevel), after: Duration.minutes(5) }] },
      'levels[0] (on-call): is paged after 5 minutes; the first level must be 0',
    ],
    [
      'levels out of order',
      { levels: [levels[0], levels[2], levels[1]] as EscalationLevel[] },
      'levels[2] (tech-lead): is paged after 15 minutes, not later than management (2 hours)',
    ],
    [
      'a level with no contact',
      { levels: [{ ...(levels[0] as EscalationLevel), contacts: [] }] },
      'levels[0] (on-call): has no contact',
    ],
    [
      'a plain HTTP endpoint',
      {
        levels: [{ ...(levels[0] as EscalationLevel), contacts: [{ type: 'https', url: 'http://pager.example.com' }] }],
      },
      'levels[0] (on-call).contacts[0]: "http://pager.example.com" is not an https:// URL',
    ],
    [
      'a severity that starts at an unknown level',
      { startAt: { P1: 'cto' } },
      'startAt.P1: "cto" is not a level (on-call, tech-lead, management)',
    ],
  ])('refuses %s at synth, showing the value', (_, props, message) => {
    expect(() => build(props)).toThrow(`EscalationLevels: ${message}`);
  });
});
