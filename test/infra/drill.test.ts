import { Match, Template } from 'aws-cdk-lib/assertions';
import { StateMachine } from 'aws-local-stepfunctions';
import { beforeAll, describe, expect, it } from 'vitest';
import { readConfig } from '../../infra/config/load';
import { synthesize } from '../harness/synth';

let dr: Template;
let definition: {
  StartAt: string;
  States: Record<string, { Type: string; Next?: string; Catch?: Array<{ ErrorEquals: string[]; Next: string }> }>;
};

beforeAll(async () => {
  const app = synthesize(await readConfig());
  dr = Template.fromJSON(app.templates.dr?.template as never);
  const machine = Object.values(
    dr.findResources('AWS::StepFunctions::StateMachine', { Properties: { StateMachineName: 'lifeline-drill' } }),
  )[0];
  if (!machine) throw new Error('the DR stack has no lifeline-drill state machine');
  const [, parts] = machine.Properties.DefinitionString['Fn::Join'] as [string, unknown[]];
  // Tokens (function ARNs, the topic) do not matter for the shape of the workflow.
  definition = JSON.parse(parts.map((p) => (typeof p === 'string' ? p : 'TOKEN')).join(''));
});

describe('the drill infrastructure in the DR stack', () => {
  it('has a network with isolated subnets only: no internet gateway, no NAT', () => {
    dr.resourceCountIs('AWS::EC2::InternetGateway', 0);
    dr.resourceCountIs('AWS::EC2::NatGateway', 0);
    const subnets = dr.findResources('AWS::EC2::Subnet');
    expect(Object.keys(subnets)).toHaveLength(2);
    for (const subnet of Object.values(subnets)) expect(subnet.Properties.MapPublicIpOnLaunch).toBe(false);
    dr.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'ALL' });
  });

  it('runs the check function in the isolated subnets with its own security group', () => {
    const subnetIds = Object.keys(dr.findResources('AWS::EC2::Subnet')).map((id) => ({ Ref: id }));
    dr.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'the data checks against a restored database',
      VpcConfig: {
        SubnetIds: Match.arrayEquals(subnetIds),
        SecurityGroupIds: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^DrillCheck'), 'GroupId'] }],
      },
    });
  });

  it('lets only the check function reach a restored database, and the check function nothing else but the database and Secrets Manager', () => {
    const ingress = Object.values(dr.findResources('AWS::EC2::SecurityGroupIngress')).map((r) => r.Properties);
    const intoDatabase = ingress.filter((r) => JSON.stringify(r.GroupId).includes('DrillDatabase'));
    expect(intoDatabase).toEqual([
      expect.objectContaining({
        IpProtocol: 'tcp',
        FromPort: 5432,
        ToPort: 5432,
        SourceSecurityGroupId: { 'Fn::GetAtt': [expect.stringMatching(/^DrillCheck/), 'GroupId'] },
      }),
    ]);
    const inline = Object.values(dr.findResources('AWS::EC2::SecurityGroup')).flatMap(
      (sg) => sg.Properties.SecurityGroupIngress ?? [],
    );
    expect(inline.filter((rule: { CidrIp?: string }) => rule.CidrIp === '0.0.0.0/0')).toEqual([]);
    const egress = Object.values(dr.findResources('AWS::EC2::SecurityGroupEgress'))
      .map((r) => r.Properties)
      .filter((r) => JSON.stringify(r.GroupId).includes('DrillCheck'));
    expect(
      egress
        .map((r) => [r.FromPort, JSON.stringify(r.DestinationSecurityGroupId).match(/Drill(Database|Endpoints)/)?.[1]])
        .sort(),
    ).toEqual([
      [443, 'Endpoints'],
      [5432, 'Database'],
    ]);
  });

  it('keeps reports in a locked, versioned, KMS-encrypted, private bucket that refuses plain HTTP', () => {
    dr.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockEnabled: true,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 400 } },
      },
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          { ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: Match.anyValue() } },
        ],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
    dr.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: Match.stringLikeRegexp('^Reports') },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('deletes only drill databases: named lifeline-drill-* and tagged as a drill', () => {
    dr.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'rds:DeleteDBInstance',
            Resource: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(':db:lifeline-drill-\\*$')])] },
            Condition: { StringLike: { 'rds:db-tag/lifeline:drill': '*' } },
          }),
        ]),
      },
    });
  });

  it('sends every failure after validation through the deletion of the drill database', () => {
    const tasks = Object.entries(definition.States).filter(
      ([name, state]) => state.Type === 'Task' && !/failure|failed drill|Validate|Explain|Publish/i.test(name),
    );
    expect(tasks.map(([name]) => name)).toEqual([
      'Preflight and choose the recovery point',
      'Restore the recovery point into the isolated subnets',
      'Wait until the restored database is available',
      'Check the data',
      'Delete the drill database',
      'Write the drill report',
    ]);
    for (const [name, state] of tasks) {
      const catcher = state.Catch?.find((c) => c.ErrorEquals.includes('States.ALL'));
      expect(catcher, name).toBeDefined();
      expect(definition.States[catcher?.Next ?? '']?.Next, name).toBe('Delete the drill database after the failure');
    }
    expect(definition.StartAt).toBe('Validate the drill request');
  });

  it("lets the report function write only each drill database's reports and history, and read back only the history", () => {
    const render = (r: unknown): string =>
      typeof r === 'string'
        ? r
        : 'Fn::Join' in (r as object)
          ? ((r as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1] as unknown[]).map(render).join('')
          : 'Fn::GetAtt' in (r as object)
            ? `<${(r as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]}>`
            : JSON.stringify(r);
    const statementsOn = (logicalId: RegExp) =>
      Object.entries(dr.findResources('AWS::IAM::Policy'))
        .filter(([id]) => logicalId.test(id))
        .flatMap(
          ([, p]) => p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>,
        )
        .filter((st) => ([] as string[]).concat(st.Action).some((a) => a.startsWith('s3:')));
    // Which roles may touch the reports bucket at all: the drill's report function, the evidence report, the
    // failover record (the example config fails orders over), the replication verification's report and the
    // readiness probe (which reads the drill histories and failover records).
    const s3Users = Object.entries(dr.findResources('AWS::IAM::Policy'))
      .filter(([, p]) => JSON.stringify(p.Properties.PolicyDocument).includes('"Reports'))
      .map(([id]) => id.replace(/[0-9A-F]{8}$/, ''));
    expect(s3Users.sort()).toEqual([
      'DrillReportRoleDefaultPolicy',
      'EvidenceReportRoleDefaultPolicy',
      'FailoverRecordRoleDefaultPolicy',
      'ReadinessProbeRoleDefaultPolicy',
      'ReplicationVerificationReportRoleDefaultPolicy',
    ]);
    const granted = statementsOn(/^DrillReportRole/).map((st) => [
      ([] as string[]).concat(st.Action).join(','),
      ([] as unknown[])
        .concat(st.Resource)
        .map((r) => render(r).replace(/^<Reports[0-9A-F]{8}>/, '<Reports>'))
        .sort(),
    ]);
    // The config drills one database, orders.
    const history = ['<Reports>/history/orders/index.html', '<Reports>/history/orders/index.json'];
    expect(granted).toEqual([
      ['s3:PutObject', ['<Reports>/drills/orders/*', ...history]],
      ['s3:GetObject', history],
    ]);
    // The evidence report reads each drilled database's history and reports, the failover records of orders and the
    // replication verification reports of the archive bucket (listed by those prefixes only), and writes only the
    // roll-ups.
    expect(
      statementsOn(/^EvidenceReportRole/).map((st) => [
        ([] as string[]).concat(st.Action).join(','),
        ([] as unknown[])
          .concat(st.Resource)
          .map((r) => render(r).replace(/^<Reports[0-9A-F]{8}>/, '<Reports>'))
          .sort(),
      ]),
    ).toEqual([
      [
        's3:GetObject',
        [
          '<Reports>/drills/orders/*',
          '<Reports>/failovers/orders/*',
          '<Reports>/history/orders/index.json',
          '<Reports>/replication/archive/*',
        ],
      ],
      ['s3:ListBucket', ['<Reports>']],
      ['s3:PutObject', ['<Reports>/evidence/month/*', '<Reports>/evidence/week/*']],
    ]);
  });

  it('schedules the drill in its time zone and the sweeper every hour', () => {
    dr.hasResourceProperties('AWS::Scheduler::Schedule', {
      Name: 'lifeline-drill-orders',
      ScheduleExpression: 'cron(0 5 1 * ? *)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
      // The scheduler fills in which schedule fired and when; the report says so.
      Target: {
        Input: JSON.stringify({
          database: 'orders',
          schedule: { arn: '<aws.scheduler.schedule-arn>', scheduledTime: '<aws.scheduler.scheduled-time>' },
        }),
      },
    });
    dr.hasResourceProperties('AWS::Scheduler::Schedule', {
      Name: 'lifeline-sweep-drills',
      ScheduleExpression: 'rate(1 hour)',
    });
  });
});

type TailState = {
  Type: string;
  Next?: string;
  Default?: string;
  Choices?: Array<{ Next: string }>;
  Catch?: Array<{ Next: string }>;
};
const VERDICT = 'Did the drill pass?';
const ANNOUNCE = 'Publish the drill summary';
const ALERT = 'Publish the alert of the failed drill';

/** The end of the synthesized definition, from "Did the drill pass?" on, to run in-process. */
function definitionTail() {
  const states = definition.States as unknown as Record<string, TailState>;
  const reachable = new Set<string>();
  const visit = (name: string | undefined) => {
    if (!name || reachable.has(name)) return;
    reachable.add(name);
    const s = states[name] as TailState;
    for (const next of [
      s.Next,
      s.Default,
      ...(s.Choices ?? []).map((c) => c.Next),
      ...(s.Catch ?? []).map((c) => c.Next),
    ])
      visit(next);
  };
  visit(VERDICT);
  return { StartAt: VERDICT, States: Object.fromEntries([...reachable].map((name) => [name, states[name]])) };
}

const input = (status: 'passed' | 'failed') => ({
  // The execution's own input: the failed drill's alert names the database from it ($$.Execution.Input).
  database: 'orders',
  plan: { database: 'orders' },
  report: {
    subject: `Lifeline drill ${status} for orders`,
    message: `Drill of orders ${status}\n\nReport: s3://reports/drills/orders/x.html`,
    report: { status, summary: `Drill of orders ${status}` },
  },
});

/** Runs the tail; `publish` answers for both publish states, and `published` records which one ran. */
async function runTail(status: 'passed' | 'failed', publish: () => Promise<unknown>, published: string[] = []) {
  const machine = new StateMachine(definitionTail() as never, {
    validationOptions: { checkArn: false, checkPaths: false },
  });
  const as = (state: string) => () => {
    published.push(state);
    return publish();
  };
  const execution = machine.run(input(status) as never, {
    context: { Execution: { Id: 'arn:aws:states:eu-west-1:123456789012:execution:lifeline-drill:t-1' } },
    overrides: {
      taskResourceLocalHandlers: { [ANNOUNCE]: as(ANNOUNCE) as never, [ALERT]: as(ALERT) as never },
      retryIntervalOverrides: { [ANNOUNCE]: 0, [ALERT]: 0 },
    },
  });
  try {
    return { status: 'SUCCEEDED', output: (await execution.result) as Record<string, unknown> };
  } catch (error) {
    const e = error as Error & { cause?: Error };
    return { status: 'FAILED', error: (e.cause ?? e).name };
  }
}

const awsError = (name: string) => Object.assign(new Error(`${name} (injected)`), { name });

describe('publishing the drill summary', () => {
  it('announces a passed drill on the report topic and alerts a failed one on the alert topic, with the report location', async () => {
    // Prepare
    const topicOf = (state: string) =>
      JSON.stringify((definition.States[state] as { Parameters?: unknown } | undefined)?.Parameters);
    const published: string[] = [];
    // Act
    const passed = await runTail('passed', () => Promise.resolve({}), published);
    const failed = await runTail('failed', () => Promise.resolve({}), published);
    // Assess
    expect(passed.status).toBe('SUCCEEDED');
    expect(failed).toMatchObject({ status: 'FAILED', error: 'DrillFailed' });
    expect(published).toEqual([ANNOUNCE, ALERT]);
    expect(topicOf(ANNOUNCE)).toContain('"Message.$":"$.report.message"');
    expect(topicOf(ALERT)).toContain('"Message.$":"$.report.message"');
    // Which topic each publishes to: the definition with each Ref token written as the logical id it names.
    const machine = Object.values(
      dr.findResources('AWS::StepFunctions::StateMachine', { Properties: { StateMachineName: 'lifeline-drill' } }),
    )[0];
    if (!machine) throw new Error('the DR stack has no lifeline-drill state machine');
    const [, parts] = machine.Properties.DefinitionString['Fn::Join'] as [string, unknown[]];
    const named = JSON.parse(
      parts.map((p) => (typeof p === 'string' ? p : ((p as { Ref?: string }).Ref ?? 'TOKEN'))).join(''),
    ) as { States: Record<string, { Parameters?: { TopicArn?: string } }> };
    const topic = (name: string) =>
      Object.keys(dr.findResources('AWS::SNS::Topic', { Properties: { TopicName: name } }))[0];
    expect(named.States[ANNOUNCE]?.Parameters?.TopicArn).toBe(topic('lifeline-drill-reports'));
    expect(named.States[ALERT]?.Parameters?.TopicArn).toBe(topic('lifeline-dr-alerts'));
    expect(topic('lifeline-drill-reports')).not.toBe(topic('lifeline-dr-alerts'));
  });

  it('encrypts the report topic with the DR key and refuses plain HTTP to it', () => {
    dr.hasResourceProperties('AWS::SNS::Topic', {
      TopicName: 'lifeline-drill-reports',
      KmsMasterKeyId: Match.anyValue(),
    });
    dr.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: Match.stringLikeRegexp('^DrillReportTopic') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('keeps a passed drill passed when the summary cannot be published, and says so in the output', async () => {
    // Act
    const run = await runTail('passed', () => Promise.reject(awsError('SNS.KMSAccessDeniedException')));
    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(run.output).toMatchObject({
      report: { status: 'passed' },
      summaryNotPublished: { Error: 'SNS.KMSAccessDeniedException' },
    });
  });

  it('keeps a failed drill failed when the summary cannot be published', async () => {
    const run = await runTail('failed', () => Promise.reject(awsError('SNS.NotFoundException')));
    expect(run).toMatchObject({ status: 'FAILED', error: 'DrillFailed' });
  });

  it('retries a throttled publish, and then reports nothing undelivered', async () => {
    // Prepare
    let calls = 0;
    const publish = () => (++calls < 3 ? Promise.reject(awsError('SNS.ThrottledException')) : Promise.resolve({}));
    // Act
    const run = await runTail('passed', publish);
    // Assess
    expect(calls).toBe(3);
    expect(run.status).toBe('SUCCEEDED');
    expect(run.output).not.toHaveProperty('summaryNotPublished');
  });
});
