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
    const subscriptions = Object.values(dr.findResources('AWS::SNS::Subscription')).map((s) => s.Properties);
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
