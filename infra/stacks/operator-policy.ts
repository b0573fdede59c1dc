import { Arn, ArnFormat, type CfnResource, Token, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { LifelineConfig } from '../config/schema';
import type { DrStack } from './dr-stack';

/**
 * `<name>-operator`: what a person needs to run the `lifeline` CLI against this installation, for attaching to the
 * on-call role or group. It finds the stacks, reads status and records, starts and follows backups, drills and
 * failovers, and answers incidents and approvals through Lifeline's command functions. It deletes nothing and cannot
 * change a record or a copy itself.
 */
export function operatorPolicy(stack: DrStack, config: LifelineConfig): iam.ManagedPolicy {
  const name = config.name;
  const inRegion = (region: string, service: string, resource: string, resourceName: string) =>
    Arn.format({ service, region, resource, resourceName, arnFormat: ArnFormat.COLON_RESOURCE_NAME }, stack);
  const workflows: [string, string][] = [
    [config.primaryRegion, `${name}-backup`],
    [config.drRegion, `${name}-drill`],
    ...(stack.failover ? ([[config.drRegion, `${name}-failover`]] as [string, string][]) : []),
  ];
  const followed: [string, string][] = [
    ...workflows,
    ...(stack.incidents ? ([[config.drRegion, `${name}-escalation`]] as [string, string][]) : []),
  ];
  const commands = [
    stack.evidence.function.function.functionArn,
    ...(stack.incidents ? [stack.incidents.command.function.functionArn] : []),
    ...(stack.failover ? [stack.failover.command.function.functionArn] : []),
  ];
  const policy = new iam.ManagedPolicy(stack, 'OperatorPolicy', {
    managedPolicyName: `${name}-operator`,
    description: `Runs the lifeline CLI against ${name}: status, records, backups, drills, failovers, incidents. Deletes nothing.`,
    statements: [
      new iam.PolicyStatement({
        sid: 'FindTheInstallation',
        actions: ['cloudformation:DescribeStacks'],
        resources: [
          Arn.format(
            { service: 'cloudformation', region: config.drRegion, resource: 'stack', resourceName: `${name}-dr/*` },
            stack,
          ),
          Arn.format(
            {
              service: 'cloudformation',
              region: config.primaryRegion,
              resource: 'stack',
              resourceName: `${name}-primary/*`,
            },
            stack,
          ),
        ],
      }),
      new iam.PolicyStatement({
        sid: 'ReadStatus',
        actions: [
          'cloudwatch:DescribeAlarms',
          'cloudwatch:GetMetricStatistics',
          'rds:DescribeDBSnapshots',
          'rds:DescribeDBClusterSnapshots',
        ],
        resources: ['*'],
      }),
      new iam.PolicyStatement({
        sid: 'StartWorkflows',
        actions: ['states:StartExecution'],
        resources: workflows.map(([region, machine]) => inRegion(region, 'states', 'stateMachine', machine)),
      }),
      new iam.PolicyStatement({
        sid: 'FollowWorkflows',
        actions: ['states:DescribeExecution', 'states:GetExecutionHistory'],
        resources: followed.map(([region, machine]) => inRegion(region, 'states', 'execution', `${machine}:*`)),
      }),
      new iam.PolicyStatement({
        sid: 'AnswerThroughLifeline',
        actions: ['lambda:InvokeFunction'],
        resources: commands,
      }),
      new iam.PolicyStatement({
        sid: 'ListRecords',
        actions: ['s3:ListBucket'],
        resources: [stack.reports.bucketArn],
      }),
      new iam.PolicyStatement({
        sid: 'ReadRecords',
        actions: ['s3:GetObject'],
        resources: [stack.reports.arnForObjects('*')],
      }),
      new iam.PolicyStatement({
        sid: 'DecryptRecords',
        actions: ['kms:Decrypt'],
        resources: [stack.key.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${config.drRegion}.${stack.urlSuffix}` } },
      }),
    ],
  });
  const cfn = policy.node.defaultChild as CfnResource;
  // How cdk-nag renders the account in a finding: the stack's own, or the pseudo parameter.
  const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
  const acknowledge = (finding: string, reason: string) =>
    Validations.of(cfn).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
  acknowledge(
    'Resource::*',
    'Read-only: GetMetricStatistics has no resource type; DescribeAlarms by name prefix and the DR snapshot listing (DescribeDBSnapshots, DescribeDBClusterSnapshots without an identifier) are account-wide reads.',
  );
  for (const [region, machine] of followed)
    acknowledge(
      `Resource::arn:<AWS::Partition>:states:${region}:${account}:execution:${machine}:*`,
      `Every execution of Lifeline's own ${machine} workflow, to follow it; execution names are not known in advance.`,
    );
  acknowledge(
    `Resource::<${stack.getLogicalId(stack.reports.node.defaultChild as CfnResource)}.Arn>/*`,
    "Read-only: the records in Lifeline's own reports bucket (drill reports, failover records, evidence), keyed by date and execution.",
  );
  for (const [region, stackName] of [
    [config.drRegion, `${name}-dr`],
    [config.primaryRegion, `${name}-primary`],
  ])
    acknowledge(
      `Resource::arn:<AWS::Partition>:cloudformation:${region}:${account}:stack/${stackName}/*`,
      `Lifeline's own ${stackName} stack; the suffix is its id, known only once deployed.`,
    );
  return policy;
}
