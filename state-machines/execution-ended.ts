import { Arn, ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { LifelineFunction } from '../infra/constructs/lifeline-function';

/** Execution statuses the state machine cannot catch itself, or whose failure path may have left something behind. */
export const ENDED_BADLY = ['FAILED', 'TIMED_OUT', 'ABORTED'];

export interface ExecutionEndedRuleProps {
  /** The workflow whose executions are watched. */
  readonly stateMachine: sfn.IStateMachine;
  readonly workflow: 'backup' | 'drill';
  /** Where the alert goes. */
  readonly alerts: sns.ITopic;
  /** The alert topic's key: publishing to an encrypted topic needs it. */
  readonly alertsKey: kms.IKey;
  /** Key for the function's logs and the rule's dead-letter queue. */
  readonly logKey: kms.IKey;
  /** The copy-slot semaphore the workflow holds slots in, and the regions it holds them for. @default - none */
  readonly copySlots?: { readonly table: dynamodb.ITable; readonly regions: string[]; readonly limit: number };
  /** Delete drill databases of the execution (named lifeline-drill-*, tagged with the execution). @default false */
  readonly deletesDrillDatabases?: boolean;
}

/**
 * An EventBridge rule on the executions of one workflow that end FAILED, TIMED_OUT or ABORTED: a function gives back
 * the copy slots the execution held, deletes its drill databases, and alerts (see functions/alerts/execution-ended.ts).
 */
export class ExecutionEndedRule extends Construct {
  readonly rule: events.Rule;
  readonly handler: LifelineFunction;
  /** Where an event ends when the function kept failing (e.g. the alert topic refuses it too). */
  readonly deadLetters: sqs.Queue;

  constructor(scope: Construct, id: string, props: ExecutionEndedRuleProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.handler = new LifelineFunction(this, 'Handler', {
      entry: 'functions/alerts/execution-ended.ts',
      description: `the clean-up and alert after a ${props.workflow} execution that timed out, was stopped or failed`,
      logKey: props.logKey,
      timeout: Duration.minutes(2),
      environment: {
        WORKFLOW: props.workflow,
        ALERTS_TOPIC_ARN: props.alerts.topicArn,
        ...(props.copySlots
          ? {
              COPY_SLOTS_TABLE: props.copySlots.table.tableName,
              COPY_SLOT_REGIONS: props.copySlots.regions.join(','),
              COPY_SLOT_LIMIT: String(props.copySlots.limit),
            }
          : {}),
      },
    });
    const role = this.handler.role;
    props.alerts.grantPublish(role);
    props.alertsKey.grant(role, 'kms:GenerateDataKey*', 'kms:Decrypt');
    if (props.copySlots) {
      // Read and conditionally write the one item per region; nothing else of the table.
      props.copySlots.table.grant(role, 'dynamodb:GetItem', 'dynamodb:PutItem');
      props.copySlots.table.encryptionKey?.grant(role, 'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey*');
    }
    if (props.deletesDrillDatabases) {
      const rdsArn = (resource: string, name: string) =>
        Arn.format({ service: 'rds', resource, resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME }, stack);
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['rds:DescribeDBInstances', 'rds:DescribeDBClusters'],
          resources: [rdsArn('db', '*'), rdsArn('cluster', '*')],
        }),
      );
      // Deletion only of drill databases: named lifeline-drill-* and tagged as a drill.
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['rds:DeleteDBInstance'],
          resources: [rdsArn('db', 'lifeline-drill-*')],
          conditions: { StringLike: { 'rds:db-tag/lifeline:drill': '*' } },
        }),
      );
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['rds:DeleteDBCluster'],
          resources: [rdsArn('cluster', 'lifeline-drill-*')],
          conditions: { StringLike: { 'rds:cluster-tag/lifeline:drill': '*' } },
        }),
      );
      // DeleteDBCluster authorizes on cluster-snapshot too (the final snapshot, which the clean-up skips).
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['rds:DeleteDBCluster'],
          resources: [rdsArn('cluster-snapshot', 'lifeline-drill-*')],
        }),
      );
    }
    // The function alerts on the same topic the workflow failed to publish to; if the topic is what is broken, its
    // alert fails too and it throws, so EventBridge retries, and after the last retry the event is kept here rather
    // than dropped: the execution that nobody heard about can still be found.
    this.deadLetters = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.logKey,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    // EventBridge encrypts what it sends to the queue with the key: only for rules of this account and region.
    props.logKey.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': `arn:${stack.partition}:events:${stack.region}:${stack.account}:rule/*` },
        },
      }),
    );
    this.rule = new events.Rule(this, 'Rule', {
      description: `Lifeline ${props.workflow} executions that failed, timed out or were stopped`,
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: { status: ENDED_BADLY, stateMachineArn: [props.stateMachine.stateMachineArn] },
      },
      targets: [
        new targets.LambdaFunction(this.handler.function, {
          retryAttempts: 8,
          maxEventAge: Duration.hours(6),
          deadLetterQueue: this.deadLetters,
        }),
      ],
    });
  }
}
