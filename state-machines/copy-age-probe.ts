import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { ALERT_HANDLERS, COPY_AGE_METRIC, type ProbedDatabase } from '../functions/alerts/contracts';
import { ENV, METRICS_NAMESPACE } from '../functions/commons/contracts';
import { rdsArns } from './arns';
import { kindOf, type ProtectedDatabase, problemsOfDatabases, refuse } from './databases';
import { LambdaStep } from './step';

export interface CopyAgeProbeProps {
  /** The databases whose DR copies to watch; only those with `copyToDr` (the default) get a probe and an alarm. */
  readonly databases: readonly ProtectedDatabase[];
  /** The installation's name: whose copies count (name prefix and tag), and the prefix of the alarm names. @default 'lifeline' */
  readonly installation?: string;
  /** The key of this region: the probe's logs and its schedule. */
  readonly key: kms.IKey;
  /**
   * Where each alarm goes when it fires. An encrypted topic's key must let cloudwatch.amazonaws.com use it, and the
   * topic's policy let it publish.
   */
  readonly alarmAction: sns.ITopic;
  /**
   * How often the probe looks; each alarm's period, and an alarm fires after two periods in a row without a fresh
   * enough copy (or without a data point). Whole minutes, from 1 minute to 1 hour. @default Duration.minutes(15)
   */
  readonly every?: Duration;
  /**
   * The incident sink's intake, told of the newest verified copy of each database (a backup incident opened before
   * it was taken resolves). @default - none
   */
  readonly incidentIntake?: lambda.IFunction;
}

const alarmNameOf = (installation: string, database: string) => `${installation}-${database}-no-recent-copy`;

/** The longest time an alarm lets the newest verified copy age, whatever the RPO. */
const MAX_COPY_AGE = Duration.hours(24);

/**
 * In the DR region: a scheduled function that publishes how old the newest verified DR copy of every database is
 * (`Lifeline/NewestVerifiedCopyAge`, dimension `database`), read from RDS and so independent of the backup schedule,
 * and per database an alarm when that age passes the RPO (at most 24 h). A database without a verified copy
 * publishes no data point, and missing data breaches: backups that stopped and a probe that stopped both alarm.
 */
export class CopyAgeProbe extends Construct {
  /** The probe; undefined when no database is copied to the DR region. */
  readonly probe?: LambdaStep<unknown>;
  /** The alarm of each probed database, by id. */
  readonly alarms: Readonly<Record<string, cloudwatch.Alarm>>;
  /**
   * The alarms' names as plain strings (`<installation>-<database>-no-recent-copy`), for a key or topic policy that
   * lets CloudWatch publish them: the alarms' own ARN attributes would make that policy depend on the alarms.
   */
  readonly alarmNames: readonly string[];

  constructor(scope: Construct, id: string, props: CopyAgeProbeProps) {
    super(scope, id);
    const installation = props.installation ?? 'lifeline';
    const every = props.every ?? Duration.minutes(15);
    const minutes = every.toSeconds() / 60;
    refuse(`CopyAgeProbe ${this.node.path}`, [
      ...problemsOfDatabases(installation, props.databases),
      ...(Number.isInteger(minutes) && minutes >= 1 && minutes <= 60
        ? []
        : [`every ${every.toHumanString()} must be whole minutes, from 1 minute to 1 hour`]),
    ]);
    // A database not copied to the DR region never has a DR copy: its alarm would be in alarm for ever.
    const probed = props.databases.filter((db) => db.copyToDr ?? true);
    const alarms: Record<string, cloudwatch.Alarm> = {};
    this.alarms = alarms;
    this.alarmNames = probed.map((db) => alarmNameOf(installation, db.id));
    if (probed.length === 0) return;

    const databases: ProbedDatabase[] = probed.map((db) => ({ id: db.id, kind: kindOf(db) }));
    const probe = new LambdaStep(this, 'Probe', ALERT_HANDLERS.copyAgeProbe, {
      description: 'the copy-age probe: the age of the newest verified DR copy of each database, as a metric',
      logKey: props.key,
      environment: { [ENV.installation]: installation, [ENV.probedDatabases]: JSON.stringify(databases) },
    });
    this.probe = probe;
    if (props.incidentIntake) {
      probe.function.addEnvironment(ENV.incidentIntake, props.incidentIntake.functionName);
      props.incidentIntake.grantInvoke(probe.role);
    }
    const { arn } = rdsArns(this);
    const kinds = new Set(databases.map((db) => db.kind));
    // It lists the region's manual snapshots (RDS cannot filter by tag in the call) and reads their tags.
    if (kinds.has('instance')) probe.allow(['rds:DescribeDBSnapshots'], [arn('snapshot', '*')]);
    if (kinds.has('cluster')) probe.allow(['rds:DescribeDBClusterSnapshots'], [arn('cluster-snapshot', '*')]);
    // PutMetricData has no resource; the namespace condition keeps it to Lifeline's metrics.
    probe.allow(['cloudwatch:PutMetricData'], ['*'], { StringEquals: { 'cloudwatch:namespace': METRICS_NAMESPACE } });

    new scheduler.Schedule(this, 'Schedule', {
      scheduleName: `${installation}-copy-age-probe`,
      description: 'Publish the age of the newest verified DR copy of each database',
      schedule: scheduler.ScheduleExpression.rate(every),
      key: props.key,
      target: new targets.LambdaInvoke(probe.function, { retryAttempts: 2 }),
    });

    const region = Stack.of(this).region;
    for (const db of probed) {
      const threshold = Math.min(db.objectives.rpo.toSeconds(), MAX_COPY_AGE.toSeconds());
      const limit = Duration.seconds(threshold).toHumanString();
      const alarm = new cloudwatch.Alarm(this, `NoRecentCopy-${db.id}`, {
        alarmName: alarmNameOf(installation, db.id),
        alarmDescription: [
          `${db.id} has no verified DR copy in ${region} newer than ${limit} (its RPO, at most 24 h), or the copy-age probe (${probe.function.functionName}) stopped reporting: a restore from the DR region would lose more data than the RPO allows.`,
          `First: in the primary region, look at the latest executions of ${installation}-backup for ${db.id} (failed, or none since the last success: is its backup schedule enabled?). If they succeeded, read the probe's logs in ${region}.`,
          `Then back it up now: aws stepfunctions start-execution --state-machine-arn <${installation}-backup ARN> --input '{"database":"${db.id}"}'. The alarm clears at the next probe after a verified copy exists.`,
        ].join(' '),
        metric: new cloudwatch.Metric({
          namespace: METRICS_NAMESPACE,
          metricName: COPY_AGE_METRIC,
          dimensionsMap: { database: db.id },
          statistic: cloudwatch.Stats.MAXIMUM,
          period: every,
        }),
        threshold,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        // Two periods in a row: one late probe does not page, a stopped one pages after two periods.
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      });
      alarm.addAlarmAction(new actions.SnsAction(props.alarmAction));
      // Back to OK resolves its incident: the alarm measures a state.
      alarm.addOkAction(new actions.SnsAction(props.alarmAction));
      alarms[db.id] = alarm;
    }
  }
}
