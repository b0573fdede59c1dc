import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { ENV, METRICS_NAMESPACE } from '../functions/commons/contracts';
import {
  READINESS_ENV,
  READINESS_HANDLERS,
  READINESS_METRIC,
  type ReadinessProbeDatabase,
  type ReadinessProbeEnv,
} from '../functions/readiness/contracts';
import { rdsArns } from './arns';
import { LambdaStep } from './step';

export interface ReadinessProbeProps {
  /** The installation's name: whose copies count, the schedule's and the alarms' prefix. @default 'lifeline' */
  readonly installation?: string;
  /** The key of this region: the probe's logs, its schedule, and the reports bucket it reads. */
  readonly key: kms.IKey;
  /** The reports bucket: drill histories and failover records are read from it. */
  readonly reportsBucket: s3.IBucket;
  /** Every database to score, each with its floor. */
  readonly databases: readonly ReadinessProbeDatabase[];
  /** Where each alarm goes when it fires and when it clears. */
  readonly alarmAction: sns.ITopic;
  /** How often the scores are published; each alarm's period. Whole minutes, 1 minute to 1 day. @default Duration.hours(1) */
  readonly every?: Duration;
}

const alarmNameOf = (installation: string, database: string) => `${installation}-${database}-readiness-low`;

/**
 * In the DR region: a scheduled function that scores every database's recovery readiness from measured evidence and
 * publishes it (`Lifeline/ReadinessScore`, dimension `database`, 0 to 100), and per database an alarm
 * `<installation>-<database>-readiness-low` when the score stays below the database's floor.
 */
export class ReadinessProbe extends Construct {
  readonly probe: LambdaStep<unknown>;
  /** The alarm of each database, by id. */
  readonly alarms: Readonly<Record<string, cloudwatch.Alarm>>;
  /** The alarms' names as plain strings, for the topic and key policies that let CloudWatch publish them. */
  readonly alarmNames: readonly string[];

  constructor(scope: Construct, id: string, props: ReadinessProbeProps) {
    super(scope, id);
    const installation = props.installation ?? 'lifeline';
    const every = props.every ?? Duration.hours(1);
    const minutes = every.toSeconds() / 60;
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > 1440)
      throw new Error(
        `ReadinessProbe ${this.node.path}: every ${every.toHumanString()} must be whole minutes, from 1 minute to 1 day`,
      );
    for (const db of props.databases)
      if (!Number.isInteger(db.floor) || db.floor < 0 || db.floor > 100)
        throw new Error(`ReadinessProbe ${this.node.path}: the floor of ${db.id} is ${db.floor}: expected 0 to 100`);
    const config: ReadinessProbeEnv = { installation, databases: props.databases };
    this.probe = new LambdaStep(this, 'Probe', READINESS_HANDLERS.probe, {
      description: 'the readiness probe: the recovery-readiness score of each database, from measured evidence',
      logKey: props.key,
      timeout: Duration.minutes(5),
      environment: {
        [READINESS_ENV]: JSON.stringify(config),
        [ENV.reportsBucket]: props.reportsBucket.bucketName,
      },
    });
    const probe = this.probe;
    const { arn } = rdsArns(this);
    const copied = props.databases.filter((db) => db.copyToDr);
    if (copied.some((db) => db.kind === 'instance')) probe.allow(['rds:DescribeDBSnapshots'], [arn('snapshot', '*')]);
    if (copied.some((db) => db.kind === 'cluster'))
      probe.allow(['rds:DescribeDBClusterSnapshots'], [arn('cluster-snapshot', '*')]);
    // Read only: each drilled database's history index, each failed-over database's records.
    const drilled = props.databases.filter((db) => db.drillCadenceSeconds !== undefined).map((db) => db.id);
    const failover = props.databases.filter((db) => db.failover).map((db) => db.id);
    const objects = [
      ...drilled.map((id) => props.reportsBucket.arnForObjects(`history/${id}/index.json`)),
      ...failover.map((id) => props.reportsBucket.arnForObjects(`failovers/${id}/*`)),
    ];
    if (objects.length > 0) {
      probe.allow(['s3:GetObject'], objects);
      probe.allow(['kms:Decrypt'], [props.key.keyArn], {
        StringEquals: { 'kms:ViaService': `s3.${Stack.of(this).region}.${Stack.of(this).urlSuffix}` },
      });
    }
    if (failover.length > 0)
      probe.allow(['s3:ListBucket'], [props.reportsBucket.bucketArn], {
        StringLike: { 's3:prefix': failover.map((id) => `failovers/${id}/*`) },
      });
    // GetMetricStatistics has no resource; it reads the continuous RPO.
    if (props.databases.some((db) => db.continuous)) probe.allow(['cloudwatch:GetMetricStatistics'], ['*']);
    probe.allow(['cloudwatch:PutMetricData'], ['*'], { StringEquals: { 'cloudwatch:namespace': METRICS_NAMESPACE } });

    new scheduler.Schedule(this, 'Schedule', {
      scheduleName: `${installation}-readiness-probe`,
      description: 'Publish the recovery-readiness score of each database',
      schedule: scheduler.ScheduleExpression.rate(every),
      key: props.key,
      target: new targets.LambdaInvoke(probe.function, { retryAttempts: 2 }),
    });

    const alarms: Record<string, cloudwatch.Alarm> = {};
    for (const db of props.databases) {
      const alarm = new cloudwatch.Alarm(this, `ReadinessLow-${db.id}`, {
        alarmName: alarmNameOf(installation, db.id),
        alarmDescription: [
          `The recovery-readiness score of ${db.id} is below its floor of ${db.floor} (of 100): the measured evidence no longer shows it can be recovered as promised.`,
          `First: run lifeline status ${db.id} (or read the probe's logs, ${probe.function.functionName}): each part of the score says what it lacks (a DR copy past the RPO, a drill that failed or is overdue, a failed preflight).`,
          'Fix that part; the alarm clears at the next probe after the score is back at the floor.',
        ].join(' '),
        metric: new cloudwatch.Metric({
          namespace: METRICS_NAMESPACE,
          metricName: READINESS_METRIC,
          dimensionsMap: { database: db.id },
          statistic: cloudwatch.Stats.MINIMUM,
          period: every,
        }),
        threshold: db.floor,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        // Two probes in a row: a copy a few minutes late does not page on its own.
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
        // No score (the probe could not read): keep the state; the copy-age and drill alarms page for what stopped.
        treatMissingData: cloudwatch.TreatMissingData.IGNORE,
      });
      alarm.addAlarmAction(new actions.SnsAction(props.alarmAction));
      alarm.addOkAction(new actions.SnsAction(props.alarmAction));
      alarms[db.id] = alarm;
    }
    this.alarms = alarms;
    this.alarmNames = props.databases.map((db) => alarmNameOf(installation, db.id));
  }
}
