import { Arn, ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import {
  ALERT_HANDLERS,
  BACKUP_SUCCESS_RATE_METRIC,
  DRILL_PASS_AGE_METRIC,
  type ObjectivesProbeEnv,
} from '../functions/alerts/contracts';
import { ENV, METRICS_NAMESPACE } from '../functions/commons/contracts';
import { LambdaStep } from './step';

export interface ObjectivesProbeProps {
  /** The installation's name: the alarm names' prefix. @default 'lifeline' */
  readonly installation?: string;
  readonly key: kms.IKey;
  /** The backup workflow (by name and region: it is in the primary region) and the databases it backs up. */
  readonly backup?: {
    readonly stateMachineName: string;
    readonly region: string;
    readonly databases: readonly string[];
  };
  /** The drill workflow of this stack, and per drilled database how long without a passing drill is overdue. */
  readonly drill?: {
    readonly stateMachine: sfn.StateMachine;
    readonly databases: readonly { readonly id: string; readonly overdueAfter: Duration }[];
  };
  /** Where each alarm goes when it fires and when it clears. */
  readonly alarmAction: sns.ITopic;
  /** Backup success rates below these percentages warn and are critical. @default { warn: 97, critical: 95 } */
  readonly successRate?: { readonly warn: number; readonly critical: number };
  /** @default Duration.hours(6) */
  readonly every?: Duration;
  /** The incident sink's intake, told of the last passing drill of each database (closes drill incidents). */
  readonly incidentIntake?: lambda.IFunction;
}

/**
 * Objectives CloudWatch cannot alarm on by itself (an alarm looks back seven days at most): each database's backup
 * success rate over 30 days, and the time since its last passing drill. A scheduled function counts them from Step
 * Functions' records of the executions and publishes them; per database an alarm warns below 97 %, another is critical
 * below 95 % (the seeds' KPIs), and one fires when no drill passed within the drill's cadence plus grace.
 */
export class ObjectivesProbe extends Construct {
  readonly probe: LambdaStep<unknown>;
  readonly alarmNames: string[] = [];

  constructor(scope: Construct, id: string, props: ObjectivesProbeProps) {
    super(scope, id);
    const installation = props.installation ?? 'lifeline';
    const stack = Stack.of(this);
    const every = props.every ?? Duration.hours(6);
    const rate = props.successRate ?? { warn: 97, critical: 95 };
    const backupArn =
      props.backup &&
      Arn.format(
        {
          service: 'states',
          region: props.backup.region,
          resource: 'stateMachine',
          resourceName: props.backup.stateMachineName,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        },
        stack,
      );
    const objectives: ObjectivesProbeEnv = {
      ...(props.backup && backupArn
        ? { backup: { stateMachineArn: backupArn, databases: props.backup.databases } }
        : {}),
      ...(props.drill
        ? {
            drill: {
              stateMachineArn: props.drill.stateMachine.stateMachineArn,
              databases: props.drill.databases.map((d) => d.id),
            },
          }
        : {}),
    };
    this.probe = new LambdaStep(this, 'Probe', ALERT_HANDLERS.objectivesProbe, {
      description: 'the objectives probe: backup success rates over 30 days and the age of the last passing drill',
      logKey: props.key,
      timeout: Duration.minutes(10),
      environment: { [ENV.objectives]: JSON.stringify(objectives) },
    });
    if (props.incidentIntake) {
      this.probe.function.addEnvironment(ENV.incidentIntake, props.incidentIntake.functionName);
      props.incidentIntake.grantInvoke(this.probe.role);
    }
    const executionsOf = (stateMachineName: string, region?: string) =>
      Arn.format(
        {
          service: 'states',
          region,
          resource: 'execution',
          resourceName: `${stateMachineName}:*`,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        },
        stack,
      );
    if (props.backup && backupArn) {
      this.probe.allow(['states:ListExecutions'], [backupArn]);
      this.probe.allow(
        ['states:DescribeExecution'],
        [executionsOf(props.backup.stateMachineName, props.backup.region)],
      );
    }
    if (props.drill) {
      this.probe.allow(['states:ListExecutions'], [props.drill.stateMachine.stateMachineArn]);
      this.probe.allow(['states:DescribeExecution'], [executionsOf(props.drill.stateMachine.stateMachineName)]);
    }
    this.probe.allow(['cloudwatch:PutMetricData'], ['*'], {
      StringEquals: { 'cloudwatch:namespace': METRICS_NAMESPACE },
    });
    new scheduler.Schedule(this, 'Schedule', {
      scheduleName: `${installation}-objectives-probe`,
      description: 'Publish backup success rates over 30 days and the age of the last passing drill',
      schedule: scheduler.ScheduleExpression.rate(every),
      key: props.key,
      target: new targets.LambdaInvoke(this.probe.function, { retryAttempts: 2 }),
    });

    const alarm = (
      database: string,
      kind: string,
      description: string,
      metricName: string,
      threshold: number,
      comparisonOperator: cloudwatch.ComparisonOperator,
    ) => {
      const alarmName = `${installation}-${database}-${kind}`;
      this.alarmNames.push(alarmName);
      const created = new cloudwatch.Alarm(this, `${database}-${kind}`, {
        alarmName,
        alarmDescription: description,
        metric: new cloudwatch.Metric({
          namespace: METRICS_NAMESPACE,
          metricName,
          dimensionsMap: { database },
          statistic: metricName === BACKUP_SUCCESS_RATE_METRIC ? cloudwatch.Stats.MINIMUM : cloudwatch.Stats.MAXIMUM,
          period: every,
        }),
        threshold,
        evaluationPeriods: 1,
        comparisonOperator,
        // No data (no backup in 30 days, no pass on record, or the probe could not read): keep the state, neither
        // clear an incident nor open one on a guess. The no-recent-copy alarm pages for backups that stopped.
        treatMissingData: cloudwatch.TreatMissingData.IGNORE,
      });
      created.addAlarmAction(new actions.SnsAction(props.alarmAction));
      created.addOkAction(new actions.SnsAction(props.alarmAction));
    };
    for (const database of props.backup?.databases ?? []) {
      const first = `First: open the failed executions of ${props.backup?.stateMachineName} for ${database} in ${props.backup?.region} (their failure alerts name the step); fix the most frequent cause. The alarm clears when the 30-day rate recovers.`;
      alarm(
        database,
        'backup-success-rate-low',
        `Fewer than ${rate.warn} % of the backups of ${database} in the last 30 days succeeded. ${first}`,
        BACKUP_SUCCESS_RATE_METRIC,
        rate.warn,
        cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      );
      alarm(
        database,
        'backup-success-rate-critical',
        `Fewer than ${rate.critical} % of the backups of ${database} in the last 30 days succeeded: its recovery points are unreliable. ${first}`,
        BACKUP_SUCCESS_RATE_METRIC,
        rate.critical,
        cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      );
    }
    for (const drill of props.drill?.databases ?? [])
      alarm(
        drill.id,
        'drill-overdue',
        `No restore drill of ${drill.id} passed in the last ${drill.overdueAfter.toHumanString()} (its cadence plus a day's grace): nothing shows its DR copies restore. First: look at the drill schedule ${installation}-drill-${drill.id} (enabled?) and the last drill executions; start a drill by hand: aws stepfunctions start-execution --state-machine-arn <${installation}-drill ARN> --input '{"database":"${drill.id}"}'.`,
        DRILL_PASS_AGE_METRIC,
        drill.overdueAfter.toSeconds(),
        cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      );
  }
}
