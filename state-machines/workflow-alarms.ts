import { Arn, ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

/**
 * Lets CloudWatch publish the alarms named `alarmNames` (of this account and region) to `topic`, which is encrypted
 * with `key`: the key and the topic each need a statement for cloudwatch.amazonaws.com, scoped to exactly those
 * alarms. Names, not the alarms' ARN attributes: those would make the key depend on the alarms, which depend on the
 * topic, which depends on the key.
 */
export function allowAlarmsToPublish(
  topic: sns.ITopic,
  key: kms.IKey,
  alarmNames: readonly string[],
  sid: string,
): void {
  if (alarmNames.length === 0) return;
  const stack = Stack.of(topic);
  const arns = alarmNames.map((name) =>
    Arn.format(
      { service: 'cloudwatch', resource: 'alarm', resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME },
      stack,
    ),
  );
  const fromAlarms = { ArnEquals: { 'aws:SourceArn': arns }, StringEquals: { 'aws:SourceAccount': stack.account } };
  const principals = [new iam.ServicePrincipal('cloudwatch.amazonaws.com')];
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid,
      principals,
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      resources: ['*'],
      conditions: fromAlarms,
    }),
  );
  topic.addToResourcePolicy(
    new iam.PolicyStatement({
      principals,
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions: fromAlarms,
    }),
  );
}

export interface WorkflowAlarmsProps {
  /** The workflow whose executions are watched. */
  readonly stateMachine: sfn.IStateMachine;
  /** The workflow's name in alarm names and descriptions (`backup`, `drill`). */
  readonly workflow: string;
  /** Prefix of the alarm names: `<prefix><workflow>-executions-<failed|timed-out|aborted>`. */
  readonly alarmPrefix: string;
  /** Where the alarms go. */
  readonly action: sns.ITopic;
  /**
   * What to do first after a timed-out execution, for a workflow whose timeout leaves nothing to clean up.
   * @default - the backup and drill advice: check that the execution-ended rule gave back the copy slot or deleted
   * the drill database
   */
  readonly afterTimeout?: string;
  /** What to do first after a stopped execution. @default - find who stopped it and start it again if not meant */
  readonly afterAbort?: string;
  /**
   * Which endings alarm. @default - all three; a workflow that records and pages its own failures leaves out `failed`
   */
  readonly endings?: readonly WorkflowEnding[];
}

export type WorkflowEnding = 'failed' | 'timed-out' | 'aborted';

const ENDINGS = [
  {
    metric: 'ExecutionsFailed',
    name: 'failed',
    what: 'failed',
    first: 'Open the failed execution in the Step Functions console: its failure alert names the step and the error.',
  },
  {
    metric: 'ExecutionsTimedOut',
    name: 'timed-out',
    what: 'timed out (its own retries did not end it first)',
    first:
      'Open the execution: the last state that ran is where it hung; the execution-ended rule has given back its copy slot or deleted its drill database, check that it did.',
  },
  {
    metric: 'ExecutionsAborted',
    name: 'aborted',
    what: 'was stopped by hand or by a deployment',
    first: 'Find who stopped it (CloudTrail StopExecution), and start it again if the stop was not meant.',
  },
] as const;

/**
 * CloudWatch alarms on a workflow's executions that failed, timed out or were stopped, from Step Functions' own
 * metrics: they alarm even when the execution-ended rule's function, which alerts on the same endings, is broken.
 */
export class WorkflowAlarms extends Construct {
  readonly alarms: cloudwatch.Alarm[];
  readonly alarmNames: string[];

  constructor(scope: Construct, id: string, props: WorkflowAlarmsProps) {
    super(scope, id);
    const endings = ENDINGS.filter((e) => (props.endings ?? ENDINGS.map((x) => x.name)).includes(e.name));
    const first = (ending: (typeof ENDINGS)[number]) =>
      (ending.name === 'timed-out' ? props.afterTimeout : ending.name === 'aborted' ? props.afterAbort : undefined) ??
      ending.first;
    this.alarmNames = endings.map((ending) => `${props.alarmPrefix}${props.workflow}-executions-${ending.name}`);
    this.alarms = endings.map(
      (ending, i) =>
        new cloudwatch.Alarm(this, ending.metric, {
          alarmName: this.alarmNames[i],
          alarmDescription: `A Lifeline ${props.workflow} execution ${ending.what} (${ending.metric} of ${props.stateMachine.stateMachineArn}). First: ${first(ending)}`,
          metric: new cloudwatch.Metric({
            namespace: 'AWS/States',
            metricName: ending.metric,
            dimensionsMap: { StateMachineArn: props.stateMachine.stateMachineArn },
            statistic: cloudwatch.Stats.SUM,
            period: Duration.minutes(5),
          }),
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          // No executions, no data: nothing ended badly.
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
    );
    // Back to OK tells the topic too: the incident sink resolves the alarm's incident (the net closes itself; the
    // per-database failure incident stays open until the next good run).
    for (const alarm of this.alarms) {
      alarm.addAlarmAction(new actions.SnsAction(props.action));
      alarm.addOkAction(new actions.SnsAction(props.action));
    }
  }
}

export interface SnapshotQuotaAlarmsProps {
  /** The databases whose backups report the region's manual snapshot quota in use. */
  readonly databases: readonly { readonly id: string }[];
  /** Prefix of the alarm names: `<prefix><database>-snapshot-quota`. */
  readonly alarmPrefix: string;
  /** Where the alarms go. */
  readonly action: sns.ITopic;
  /** Percent of the quota in use that alarms. @default 90 */
  readonly thresholdPercent?: number;
}

/**
 * Alarms when a backup finds the region's manual snapshot quota at 90 % or more (`SnapshotQuotaUsedPercent`, which
 * the snapshot step publishes before it creates one): at 100 % backups stop.
 */
export class SnapshotQuotaAlarms extends Construct {
  readonly alarms: cloudwatch.Alarm[];
  readonly alarmNames: string[];

  constructor(scope: Construct, id: string, props: SnapshotQuotaAlarmsProps) {
    super(scope, id);
    const threshold = props.thresholdPercent ?? 90;
    this.alarmNames = props.databases.map((db) => `${props.alarmPrefix}${db.id}-snapshot-quota`);
    this.alarms = props.databases.map((db, i) => {
      const alarm = new cloudwatch.Alarm(this, db.id, {
        alarmName: this.alarmNames[i],
        alarmDescription: `The manual snapshot quota of this region is ${threshold} % used or more (seen by the backup of ${db.id}); at 100 % every backup in the region stops. First: delete manual snapshots that are no longer needed, or raise the "Manual DB snapshots" quota in Service Quotas and the config's snapshotQuota with it.`,
        metric: new cloudwatch.Metric({
          namespace: 'Lifeline',
          metricName: 'SnapshotQuotaUsedPercent',
          dimensionsMap: { service: 'lifeline', database: db.id },
          statistic: cloudwatch.Stats.MAXIMUM,
          period: Duration.hours(1),
        }),
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(new actions.SnsAction(props.action));
      alarm.addOkAction(new actions.SnsAction(props.action));
      return alarm;
    });
  }
}
