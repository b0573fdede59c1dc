import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LifelineConfigInput } from '../../infra/config/schema';
import { baseConfig } from '../fixtures/configs';
import { synthesize } from '../harness/synth';

let dr: Template;
let primary: Template;

beforeAll(() => {
  const config: LifelineConfigInput = {
    ...baseConfig(),
    escalation: {
      levels: [
        { name: 'on-call', after: '0m', notify: ['oncall@example.com', '+4915112345678'] },
        {
          name: 'tech-lead',
          after: '15m',
          notify: ['tech-lead@example.com', 'https://pager.example.com/sns/lifeline'],
        },
        { name: 'cto', after: '1h', notify: ['cto@example.com'] },
      ],
      severities: { P3: 'tech-lead' },
    },
  };
  const app = synthesize(config, { bundle: false });
  dr = Template.fromJSON(app.templates.dr?.template as never);
  primary = Template.fromJSON(app.templates.primary?.template as never);
});

/** The logical id of the topic named `name`. */
function topicId(name: string): string {
  const [id] = Object.keys(dr.findResources('AWS::SNS::Topic', { Properties: { TopicName: name } }));
  if (!id) throw new Error(`no topic named ${name}`);
  return id;
}

describe('escalation levels in the DR stack', () => {
  it('make one topic per level, encrypted with the DR key, in the DR region only', () => {
    const [key] = Object.keys(dr.findResources('AWS::KMS::Key'));
    for (const name of ['lifeline-page-on-call', 'lifeline-page-tech-lead', 'lifeline-page-cto'])
      dr.hasResourceProperties('AWS::SNS::Topic', {
        TopicName: name,
        KmsMasterKeyId: { 'Fn::GetAtt': [key, 'Arn'] },
      });
    expect(
      Object.keys(
        primary.findResources('AWS::SNS::Topic', { Properties: { TopicName: Match.stringLikeRegexp('-page-') } }),
      ),
    ).toEqual([]);
  });

  it('refuse publishing without TLS on every level topic', () => {
    for (const name of ['lifeline-page-on-call', 'lifeline-page-tech-lead', 'lifeline-page-cto'])
      dr.hasResourceProperties('AWS::SNS::TopicPolicy', {
        Topics: [{ Ref: topicId(name) }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
  });

  it('subscribe each contact to its level: e-mail, SMS and HTTPS with the SNS envelope', () => {
    const subscriptions = Object.values(
      dr.findResources('AWS::SNS::Subscription', { Properties: { Protocol: Match.not('lambda') } }),
    ).map((s) => s.Properties);
    expect(subscriptions).toHaveLength(5);
    const onCall = { Ref: topicId('lifeline-page-on-call') };
    const techLead = { Ref: topicId('lifeline-page-tech-lead') };
    expect(subscriptions).toEqual(
      expect.arrayContaining([
        { Protocol: 'email', Endpoint: 'oncall@example.com', TopicArn: onCall },
        { Protocol: 'sms', Endpoint: '+4915112345678', TopicArn: onCall },
        { Protocol: 'email', Endpoint: 'tech-lead@example.com', TopicArn: techLead },
        {
          Protocol: 'https',
          Endpoint: 'https://pager.example.com/sns/lifeline',
          TopicArn: techLead,
          RawMessageDelivery: false,
        },
        { Protocol: 'email', Endpoint: 'cto@example.com', TopicArn: { Ref: topicId('lifeline-page-cto') } },
      ]),
    );
  });
});

/** The logical id of the only resource of `type` whose properties match. */
function idOf(template: Template, type: string, props: Record<string, unknown>): string {
  const ids = Object.keys(template.findResources(type, { Properties: props }));
  if (ids.length !== 1) throw new Error(`${ids.length} ${type} match ${JSON.stringify(props)}`);
  return ids[0] as string;
}

describe('the incident sink in the DR stack', () => {
  it('hears both alert topics: the DR one by a subscription here, the primary one across regions by name', () => {
    const intake = idOf(dr, 'AWS::Lambda::Function', { FunctionName: 'lifeline-incident-intake' });
    const drAlerts = idOf(dr, 'AWS::SNS::Topic', { TopicName: 'lifeline-dr-alerts' });
    dr.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'lambda',
      TopicArn: { Ref: drAlerts },
      Endpoint: { 'Fn::GetAtt': [intake, 'Arn'] },
    });
    // The primary topic subscribes the intake by its ARN in the DR region; the DR stack lets that topic invoke it.
    primary.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'lambda',
      Endpoint: {
        'Fn::Join': [
          '',
          Match.arrayWith([Match.stringLikeRegexp(':lambda:eu-west-1:\\d+:function:lifeline-incident-intake$')]),
        ],
      },
    });
    dr.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'sns.amazonaws.com',
      FunctionName: { Ref: intake },
      SourceArn: {
        'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('^:sns:eu-central-1:\\d+:lifeline-alerts$')])],
      },
    });
  });

  it('keeps incidents in a table encrypted with the DR key, recoverable to a point in time, never deleted with the stack', () => {
    const [key] = Object.keys(dr.findResources('AWS::KMS::Key'));
    dr.hasResource('AWS::DynamoDB::Table', {
      Properties: Match.objectLike({
        TableName: 'lifeline-incidents',
        SSESpecification: Match.objectLike({ SSEEnabled: true, KMSMasterKeyId: { 'Fn::GetAtt': [key, 'Arn'] } }),
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
      }),
      DeletionPolicy: 'Retain',
    });
  });

  it('climbs the configured levels: each waits for an acknowledgement until the next one is due, the top repeats', () => {
    const [ladder] = Object.values(
      dr.findResources('AWS::StepFunctions::StateMachine', { Properties: { StateMachineName: 'lifeline-escalation' } }),
    );
    const body = ladder?.Properties?.DefinitionString as { 'Fn::Join': [string, unknown[]] };
    const definition = JSON.parse(body['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : 'x')).join('')) as {
      StartAt: string;
      States: Record<string, Record<string, unknown>>;
    };
    const page = (level: string) => definition.States[`Page ${level}`] as Record<string, unknown>;
    // 0 → 15 min → 1 h: the on-call level waits 15 min, the tech lead 45 min, the top (cto) 30 min before it repeats.
    expect(['on-call', 'tech-lead', 'cto'].map((l) => page(l).TimeoutSeconds)).toEqual([900, 2700, 1800]);
    expect(['on-call', 'tech-lead', 'cto'].map((l) => (page(l).Catch as { Next: string }[])[0]?.Next)).toEqual([
      'Page tech-lead',
      'Page cto',
      'Page cto',
    ]);
    for (const level of ['on-call', 'tech-lead', 'cto']) {
      expect(String(page(level).Resource)).toContain(':states:::lambda:invoke.waitForTaskToken');
      expect((page(level).Parameters as { Payload: unknown }).Payload).toEqual({
        'incident.$': '$.incident',
        level,
        'token.$': '$$.Task.Token',
      });
    }
    // P3 starts at the tech lead (severities), the rest at the first level.
    expect(definition.States['Where does paging start?']).toMatchObject({
      Choices: expect.arrayContaining([{ Variable: '$.start', StringEquals: 'tech-lead', Next: 'Page tech-lead' }]),
      Default: 'Page on-call',
    });
  });

  it('tells the functions the levels, their topics and where each severity starts', () => {
    const intake = dr.findResources('AWS::Lambda::Function', {
      Properties: { FunctionName: 'lifeline-incident-intake' },
    });
    const variables = Object.values(intake)[0]?.Properties?.Environment?.Variables as Record<string, unknown>;
    expect(variables.ESCALATION_START_AT).toBe('{"P3":"tech-lead"}');
    expect(variables.ESCALATION_REPEAT_SECONDS).toBe('1800');
    expect(JSON.stringify(variables.ESCALATION_LEVELS)).toContain('\\"afterSeconds\\":900');
  });
});

describe('alarms, routed to the incident sink through the alert topics', () => {
  it('go to the alert topic of their region when they fire; those that measure a state also when they clear', () => {
    const drAlerts = idOf(dr, 'AWS::SNS::Topic', { TopicName: 'lifeline-dr-alerts' });
    const primaryAlerts = idOf(primary, 'AWS::SNS::Topic', { TopicName: 'lifeline-alerts' });
    const alarms = (template: Template) =>
      Object.values(template.findResources('AWS::CloudWatch::Alarm')).map(
        (a) => a.Properties as Record<string, unknown>,
      );
    const byName = [...alarms(dr), ...alarms(primary)].map((a) => [a.AlarmName, a.AlarmActions, a.OKActions ?? []]);
    const dr_ = [{ Ref: drAlerts }];
    const pr = [{ Ref: primaryAlerts }];
    expect(byName).toEqual(
      expect.arrayContaining([
        ['lifeline-orders-no-recent-copy', dr_, dr_],
        ['lifeline-orders-drill-failed', dr_, []],
        ['lifeline-orders-drill-rto-missed', dr_, []],
        ['lifeline-orders-drill-overdue', dr_, dr_],
        ['lifeline-orders-readiness-low', dr_, dr_],
        ['lifeline-orders-backup-success-rate-low', dr_, dr_],
        ['lifeline-ledger-backup-success-rate-critical', dr_, dr_],
        ['lifeline-drill-executions-failed', dr_, dr_],
        ['lifeline-escalation-executions-failed', dr_, dr_],
        ['lifeline-backup-executions-timed-out', pr, pr],
        ['lifeline-orders-snapshot-quota', pr, pr],
      ]),
    );
    // Every alarm has an action: none is left for nobody.
    for (const [name, actions] of byName) expect(actions, String(name)).not.toEqual([]);
  });
});

describe('the incident sink hearing an opt-in primary region', () => {
  it("lets that region's own SNS principal deliver the primary alerts", () => {
    const app = synthesize(
      {
        ...baseConfig(),
        primaryRegion: 'eu-south-1',
        escalation: { levels: [{ name: 'on-call', after: '0m', notify: ['oncall@example.com'] }] },
      },
      { bundle: false },
    );
    Template.fromJSON(app.templates.dr?.template as never).hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 'sns.eu-south-1.amazonaws.com',
      SourceArn: {
        'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('^:sns:eu-south-1:\\d+:lifeline-alerts$')])],
      },
    });
  });
});

describe('the vault account and the incident sink', () => {
  it("subscribes production's intake to the vault's alert topic, which the DR stack lets deliver, nothing more", () => {
    const app = synthesize(
      {
        ...baseConfig(),
        account: '111111111111',
        vault: { account: '222222222222', retention: { daily: 7, weekly: 4, monthly: 12, yearly: 2 } },
        escalation: { levels: [{ name: 'on-call', after: '0m', notify: ['oncall@example.com'] }] },
      },
      { bundle: false },
    );
    const vault = Template.fromJSON(app.templates.vault?.template as never);
    vault.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'lambda',
      Endpoint: {
        'Fn::Join': ['', Match.arrayWith([':lambda:eu-west-1:111111111111:function:lifeline-incident-intake'])],
      },
    });
    Template.fromJSON(app.templates.dr?.template as never).hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 'sns.amazonaws.com',
      SourceArn: { 'Fn::Join': ['', Match.arrayWith([':sns:eu-west-1:222222222222:lifeline-vault-alerts'])] },
    });
  });
});
