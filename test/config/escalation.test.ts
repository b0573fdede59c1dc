import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../infra/config/load';
import { baseConfig, type Mutable, problemsOf } from '../fixtures/configs';

/** The seeds' matrix: on-call at once, tech lead and incident manager at 15m, CTO and BC manager at 1h, management at 2h. */
const ladder = () => ({
  levels: [
    { name: 'on-call', after: '0m', notify: ['oncall@example.com', '+4915112345678'] },
    { name: 'tech-lead', after: '15m', notify: ['tech-lead@example.com', 'incidents@example.com'] },
    {
      name: 'cto',
      after: '1h',
      notify: ['cto@example.com', 'bc-manager@example.com', 'https://events.example.com/sns'],
    },
    { name: 'management', after: '2h', notify: ['management@example.com'] },
  ],
});

const withLadder = (change: (escalation: Mutable) => void) =>
  problemsOf((c) => {
    c.escalation = ladder();
    change(c.escalation);
  });

describe('the escalation section', () => {
  it('reads each contact as e-mail, SMS or HTTPS, and starts every severity at the first level by default', () => {
    // Act
    const config = validateConfig({ ...baseConfig(), escalation: ladder() });
    // Assess
    const levels = config.escalation?.levels ?? [];
    expect(levels.map((level) => [level.name, level.after.seconds])).toEqual([
      ['on-call', 0],
      ['tech-lead', 900],
      ['cto', 3600],
      ['management', 7200],
    ]);
    expect(levels[0]?.notify).toEqual([
      { type: 'email', address: 'oncall@example.com' },
      { type: 'sms', phoneNumber: '+4915112345678' },
    ]);
    expect(levels[2]?.notify[2]).toEqual({ type: 'https', url: 'https://events.example.com/sns' });
    expect(config.escalation?.severities).toEqual({});
  });

  it('accepts the level where a severity starts', () => {
    expect(withLadder((e) => (e.severities = { P2: 'tech-lead', P3: 'tech-lead' }))).toEqual([]);
  });

  it.each<[string, (e: Mutable) => void, string]>([
    [
      'a level with no contact',
      (e) => (e.levels[1].notify = []),
      'escalation.levels[1].notify: expected at least one contact: an e-mail address, a mobile number in E.164 form (+4915112345678) or an https:// URL (a pager or chat endpoint), got []',
    ],
    [
      'a contact that is none',
      (e) => (e.levels[0].notify = ['call bob']),
      'escalation.levels[0].notify[0]: expected an e-mail address, a mobile number in E.164 form (+4915112345678) or an https:// URL (a pager or chat endpoint), got "call bob"',
    ],
    [
      'an SNS topic as a contact',
      (e) => (e.levels[0].notify = ['arn:aws:sns:eu-west-1:123456789012:pager']),
      'escalation.levels[0].notify[0]: is an SNS topic, and SNS cannot subscribe a topic to another topic: list that topic\'s subscribers here instead (their e-mail addresses, E.164 numbers or https:// endpoints), got "arn:aws:sns:eu-west-1:123456789012:pager"',
    ],
    [
      'a phone number with spaces',
      (e) => (e.levels[0].notify = ['+49 151 12345678']),
      'escalation.levels[0].notify[0]: expected a mobile number in E.164 form: + country code and number, no spaces or punctuation, such as +4915112345678, got "+49 151 12345678"',
    ],
    [
      'a plain HTTP webhook',
      (e) => (e.levels[2].notify = ['http://events.example.com/sns']),
      'escalation.levels[2].notify[0]: is plain HTTP: pages go only to https:// endpoints, got "http://events.example.com/sns"',
    ],
    [
      'a repeat more often than every minute',
      (e) => (e.repeatEvery = '30s'),
      'escalation.repeatEvery: expected a duration from 1m to 1d, such as 30m, got "30s"',
    ],
    [
      'a contact listed twice in one level',
      (e) => e.levels[1].notify.push('tech-lead@example.com'),
      'escalation.levels[1].notify[2]: is listed twice in this level, got "tech-lead@example.com"',
    ],
    [
      'a first level that waits',
      (e) => (e.levels[0].after = '5m'),
      'escalation.levels[0].after: must be 0m: the first level is paged as soon as the incident begins, got "5m"',
    ],
    [
      'levels out of order',
      (e) => (e.levels[2].after = '10m'),
      'escalation.levels[2].after: must be later than the level before it (tech-lead, 15m), got "10m"',
    ],
    [
      'two levels at the same offset',
      (e) => (e.levels[3].after = '60m'),
      'escalation.levels[3].after: must be later than the level before it (cto, 1h), got "60m"',
    ],
    [
      'a duplicate level name',
      (e) => (e.levels[3].name = 'on-call'),
      'escalation.levels[3].name: is already the name of escalation.levels[0], got "on-call"',
    ],
    [
      'a level name that cannot be part of a topic name',
      (e) => (e.levels[1].name = 'team lead'),
      'escalation.levels[1].name: expected a short name of lower-case letters, digits and single hyphens',
    ],
    [
      'an unknown severity',
      (e) => (e.severities = { P4: 'on-call' }),
      'escalation.severities.P4: is not a severity: use P0, P1, P2 or P3, got "on-call"',
    ],
    [
      'a severity that starts at an unknown level',
      (e) => (e.severities = { P1: 'team-lead' }),
      'escalation.severities.P1: is not the name of a level (on-call, tech-lead, cto, management), got "team-lead"',
    ],
  ])('refuses %s, naming the field and the value', (_, change, message) => {
    // Act
    const problems = withLadder(change);
    // Assess
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(message);
  });
});

describe('the escalation across regions', () => {
  it('refuses an opt-in DR region, where SNS cannot deliver the primary region’s alerts to the sink', () => {
    expect(
      problemsOf((c) => {
        c.escalation = ladder();
        c.drRegion = 'eu-south-1';
        c.drAvailabilityZones = ['eu-south-1a', 'eu-south-1b'];
      }),
    ).toContain(
      'drRegion: is an opt-in region: SNS cannot deliver the alerts of eu-central-1 to the incident sink there (AWS delivers to Lambda across regions only into regions enabled by default). Choose a DR region enabled by default, or leave escalation out, got "eu-south-1"',
    );
    // Without an escalation there is no sink to deliver to.
    expect(
      problemsOf((c) => {
        c.drRegion = 'eu-south-1';
        c.drAvailabilityZones = ['eu-south-1a', 'eu-south-1b'];
      }),
    ).toEqual([]);
  });
});
