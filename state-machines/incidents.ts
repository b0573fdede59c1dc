import { Arn, ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subs from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { ENV, THROTTLING_ERRORS } from '../functions/commons/contracts';
import {
  type EscalationLevelEnv,
  INCIDENT_ENV,
  INCIDENT_HANDLERS,
  type PageInput,
} from '../functions/incidents/contracts';
import { LAMBDA_SERVICE_RETRY, workflowLogs } from './common';
import type { EscalationLevels } from './escalation';
import { at, LambdaStep, type Payload, renderPayload } from './step';

export interface IncidentSinkProps {
  /** The installation's name: prefix of the table, the functions and the ladder. @default 'lifeline' */
  readonly installation?: string;
  /** The levels the ladder climbs, with their topics (in this stack). */
  readonly escalation: EscalationLevels;
  /** The key of this region: the table, the logs, and the level topics (publishing a page needs it). */
  readonly key: kms.IKey;
  /** How long the top level waits before it is paged again. @default Duration.minutes(30) */
  readonly repeatEvery?: Duration;
  /** A drill workflow whose passing executions resolve the drill incidents of their database. @default - none */
  readonly drillStateMachine?: sfn.IStateMachine;
  /**
   * Where the sink's own failures go (an alert it could not take in, a ladder that failed): a topic people subscribe
   * to directly, such as the DR alert topic. Its alarms are named so that the intake does not take them in again.
   */
  readonly fallback: sns.ITopic;
}

/** SNS errors a page's publish may meet (within the function they surface by these names), retried by the ladder. */
const PAGE_RETRY_ERRORS = [
  ...THROTTLING_ERRORS,
  'ThrottledException',
  'KMSThrottlingException',
  'InternalErrorException',
];

/** The names an installation's sink gives what other stacks and people must name before it exists. */
export const incidentNames = (installation: string) => ({
  intake: `${installation}-incident-intake`,
  command: `${installation}-incident-command`,
  ladder: `${installation}-escalation`,
  table: `${installation}-incidents`,
});

/**
 * The one place every failure and alarm goes, in the DR region so that it keeps working when the primary region does
 * not: an intake function (subscribed to the alert topics) opens an incident with a severity and a deduplication key
 * (database + kind) in a table, or joins the one already open; a Step Functions ladder pages the escalation levels,
 * from the one the severity starts at, each waiting `.waitForTaskToken` until its time is up or someone acknowledges;
 * a command function acknowledges (paging stops) and resolves (paging stops, those paged are told).
 */
export class IncidentSink extends Construct {
  readonly table: dynamodb.Table;
  readonly intake: LambdaStep<unknown>;
  readonly page: LambdaStep<PageInput>;
  readonly command: LambdaStep<unknown>;
  readonly ladder: sfn.StateMachine;
  /** Deliveries the intake failed on, after Lambda's own two retries: kept, not dropped. */
  readonly undelivered: sqs.Queue;
  /** The sink's own alarms (to `fallback`), by name. */
  readonly alarmNames: string[] = [];

  constructor(scope: Construct, id: string, props: IncidentSinkProps) {
    super(scope, id);
    const installation = props.installation ?? 'lifeline';
    const names = incidentNames(installation);
    const repeat = props.repeatEvery ?? Duration.minutes(30);
    const levels = props.escalation.levels;

    this.table = new dynamodb.Table(this, 'Incidents', {
      tableName: names.table,
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: props.key,
      // The incidents are the record of what went wrong and who answered: kept, and restorable.
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const ladderArn = Arn.format(
      {
        service: 'states',
        resource: 'stateMachine',
        resourceName: names.ladder,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      },
      Stack.of(this),
    );
    const levelsEnv: EscalationLevelEnv[] = levels.map((level) => ({
      name: level.name,
      topicArn: level.topic.topicArn,
      afterSeconds: level.after.toSeconds(),
    }));
    const environment = {
      [ENV.installation]: installation,
      [INCIDENT_ENV.table]: this.table.tableName,
      [INCIDENT_ENV.levels]: JSON.stringify(levelsEnv),
      [INCIDENT_ENV.startAt]: JSON.stringify(props.escalation.startAt),
      [INCIDENT_ENV.repeatSeconds]: String(repeat.toSeconds()),
      [INCIDENT_ENV.commandFunction]: names.command,
      [INCIDENT_ENV.ladderArn]: ladderArn,
    };
    const step = <I>(stepId: string, contract: { entry: string }, description: string, functionName?: string) =>
      new LambdaStep<I>(this, stepId, contract, { description, logKey: props.key, environment, functionName });

    this.intake = step(
      'Intake',
      INCIDENT_HANDLERS.intake,
      'the incident intake: opens, joins and resolves incidents',
      names.intake,
    );
    this.page = step<PageInput>('Page', INCIDENT_HANDLERS.page, 'the page of one escalation level');
    this.command = step('Command', INCIDENT_HANDLERS.command, 'acknowledge, resolve or list incidents', names.command);
    if (props.drillStateMachine)
      this.intake.function.addEnvironment(INCIDENT_ENV.drillStateMachineArn, props.drillStateMachine.stateMachineArn);
    // SNS and EventBridge invoke the intake asynchronously: Lambda retries a failure twice, then would drop the event.
    this.undelivered = new sqs.Queue(this, 'Undelivered', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.intake.function.configureAsyncInvoke({
      onFailure: new destinations.SqsDestination(this.undelivered),
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
    });
    const undeliveredAlarm = `${installation}-incident-intake-undelivered`;
    this.alarmNames.push(undeliveredAlarm);
    new cloudwatch.Alarm(this, 'UndeliveredAlarm', {
      alarmName: undeliveredAlarm,
      alarmDescription: `The incident sink could not take in an alert or alarm (it is kept in ${this.undelivered.node.path}): nobody was paged for it. First: read the intake's logs (${names.intake}) for the error, then the message in the queue; fix the cause, and handle what the message reports by hand.`,
      metric: this.undelivered.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }).addAlarmAction(new actions.SnsAction(props.fallback));

    // Incident items and their open pointers; nothing else of the table.
    const items = [
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
      'dynamodb:ConditionCheckItem',
    ];
    this.table.grant(this.intake.role, ...items);
    this.table.grant(this.command.role, ...items, 'dynamodb:Scan');
    this.table.grant(this.page.role, 'dynamodb:GetItem', 'dynamodb:UpdateItem');
    for (const fn of [this.intake, this.command, this.page])
      props.key.grant(fn.role, 'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey*');
    // Pages (the page step) and notices to those paged (acknowledge, resolve) go to the level topics only.
    for (const fn of [this.intake, this.command, this.page])
      for (const topic of props.escalation.topics) topic.grantPublish(fn.role);
    this.intake.allow(['states:StartExecution'], [ladderArn]);
    // SendTaskSuccess has no resource type: the token names the task; only these functions hold the ladder's tokens.
    for (const fn of [this.intake, this.command, this.page]) fn.allow(['states:SendTaskSuccess'], ['*']);

    // The ladder: start at the severity's level, page it, wait for an acknowledgement until the next level's time.
    const stopped = new sfn.Succeed(this, 'Paging stopped', { comment: 'Acknowledged or resolved' });
    const failed = new sfn.Fail(this, 'Paging failed', {
      error: 'PagingFailed',
      causePath: '$.error.Cause',
      comment: 'A page could not be sent: the execution alarm tells the DR alert topic',
    });
    const pages = levels.map((level, i) => {
      const next = levels[i + 1];
      const wait = next ? next.after.minus(level.after) : repeat;
      const payload: Payload<PageInput> = {
        incident: at('$.incident'),
        level: level.name,
        token: sfn.JsonPath.taskToken,
      };
      return new tasks.LambdaInvoke(this, `Page ${level.name}`, {
        lambdaFunction: this.page.function,
        integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
        payload: sfn.TaskInput.fromObject(renderPayload(payload)),
        taskTimeout: sfn.Timeout.duration(wait),
        resultPath: '$.outcome',
        retryOnServiceExceptions: false,
        comment: next
          ? `Waits ${wait.toHumanString()} for an acknowledgement, then pages ${next.name}`
          : `The top level: paged again every ${wait.toHumanString()} until someone acknowledges`,
      })
        .addRetry(LAMBDA_SERVICE_RETRY)
        .addRetry({ errors: PAGE_RETRY_ERRORS, interval: Duration.seconds(5), backoffRate: 2, maxAttempts: 5 });
    });
    pages.forEach((page, i) => {
      page.addCatch(pages[i + 1] ?? page, { errors: [sfn.Errors.TIMEOUT], resultPath: '$.timedOut' });
      page.addCatch(failed, { errors: [sfn.Errors.ALL], resultPath: '$.error' });
      page.next(stopped);
    });
    const start = new sfn.Choice(this, 'Where does paging start?');
    for (const [i, level] of levels.entries())
      if (i > 0) start.when(sfn.Condition.stringEquals('$.start', level.name), pages[i] as sfn.IChainable);
    start.otherwise(pages[0] as sfn.IChainable);
    this.ladder = new sfn.StateMachine(this, 'Ladder', {
      stateMachineName: names.ladder,
      definitionBody: sfn.DefinitionBody.fromChainable(start),
      tracingEnabled: true,
      logs: workflowLogs(this, props.key),
    });
    this.page.function.grantInvoke(this.ladder);

    if (props.drillStateMachine)
      new events.Rule(this, 'DrillPassed', {
        description: 'A drill that passed resolves the drill incidents of its database',
        eventPattern: {
          source: ['aws.states'],
          detailType: ['Step Functions Execution Status Change'],
          detail: { status: ['SUCCEEDED'], stateMachineArn: [props.drillStateMachine.stateMachineArn] },
        },
        targets: [
          new eventTargets.LambdaFunction(this.intake.function, { retryAttempts: 8, maxEventAge: Duration.hours(6) }),
        ],
      });
  }

  /** Subscribes the intake to an alert topic of this stack. */
  listenTo(topic: sns.ITopic): void {
    topic.addSubscription(new subs.LambdaSubscription(this.intake.function));
  }

  /**
   * Lets an alert topic of another region (or stack) deliver to the intake: the topic's stack subscribes with
   * `subscribeFromAnotherRegion`. By ARN, so no reference crosses regions.
   */
  allowTopic(topicArn: string, id: string, options: { readonly fromOptInRegion?: string } = {}): void {
    new lambda.CfnPermission(this, `Delivery-${id}`, {
      action: 'lambda:InvokeFunction',
      functionName: this.intake.function.functionName,
      // From an opt-in region SNS delivers as that region's own principal (SNS Developer Guide, "Prerequisites for
      // integrating Amazon SNS with Lambda functions across regions").
      principal: options.fromOptInRegion ? `sns.${options.fromOptInRegion}.amazonaws.com` : 'sns.amazonaws.com',
      sourceArn: topicArn,
    });
  }

  /** The intake's ARN as another region (or, with `account`, another account) names it. */
  static intakeArn(scope: Construct, installation: string, region: string, account?: string): string {
    const stack = Stack.of(scope);
    return Arn.format(
      {
        service: 'lambda',
        region,
        account,
        resource: 'function',
        resourceName: incidentNames(installation).intake,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      },
      stack,
    );
  }

  /**
   * Subscribes the sink's intake in `region` (of `account`, by default this stack's) to `topic` of this stack: the
   * sink's stack must `allowTopic`. SNS subscriptions are made where the topic is, also across accounts.
   */
  static subscribeFromAnotherRegion(
    topic: sns.ITopic,
    installation: string,
    region: string,
    account?: string,
  ): sns.Subscription {
    return new sns.Subscription(topic, 'IncidentIntake', {
      topic,
      protocol: sns.SubscriptionProtocol.LAMBDA,
      endpoint: IncidentSink.intakeArn(topic, installation, region, account),
    });
  }
}
