import { Duration, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ALERT_HANDLERS } from '../functions/alerts/contracts';
import { ENV } from '../functions/commons/contracts';
import { rdsArns } from './arns';
import { drillDeletion } from './drill-steps';
import { LambdaStep } from './step';

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
  /**
   * Delete the drill databases of the execution: those of this installation (named `<installation>-drill-*`) tagged
   * with the execution. @default - deletes nothing
   */
  readonly drillDatabasesOf?: string;
}

/**
 * An EventBridge rule on the executions of one workflow that end FAILED, TIMED_OUT or ABORTED: a function gives back
 * the copy slots the execution held, deletes its drill databases, and alerts (see functions/alerts/execution-ended.ts).
 */
export class ExecutionEndedRule extends Construct {
  readonly rule: events.Rule;
  readonly handler: LambdaStep<unknown>;
  /** Where an event ends when the function kept failing (e.g. the alert topic refuses it too). */
  readonly deadLetters: sqs.Queue;

  constructor(scope: Construct, id: string, props: ExecutionEndedRuleProps) {
    super(scope, id);
    const stack = Stack.of(this);
    if (props.workflow === 'drill' && props.drillDatabasesOf === undefined)
      throw new Error(
        `ExecutionEndedRule ${this.node.path}: a drill workflow's rule needs drillDatabasesOf (the installation whose drill databases it deletes after a stopped or timed-out drill)`,
      );
    const { arn } = rdsArns(this);
    this.handler = new LambdaStep(this, 'Handler', ALERT_HANDLERS.executionEnded, {
      description: `the clean-up and alert after a ${props.workflow} execution that timed out, was stopped or failed`,
      logKey: props.logKey,
      timeout: Duration.minutes(2),
      environment: {
        [ENV.workflow]: props.workflow,
        ...(props.drillDatabasesOf !== undefined ? { [ENV.installation]: props.drillDatabasesOf } : {}),
        [ENV.alertsTopicArn]: props.alerts.topicArn,
        ...(props.copySlots
          ? {
              [ENV.copySlotsTable]: props.copySlots.table.tableName,
              [ENV.copySlotRegions]: props.copySlots.regions.join(','),
              [ENV.copySlotLimit]: String(props.copySlots.limit),
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
    if (props.drillDatabasesOf !== undefined) {
      this.handler.allow(['rds:DescribeDBInstances', 'rds:DescribeDBClusters'], [arn('db', '*'), arn('cluster', '*')]);
      drillDeletion(this, props.drillDatabasesOf, this.handler);
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
