import { Arn, ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE } from '../functions/commons/contracts';
import {
  CONTINUOUS_ENV,
  CONTINUOUS_HANDLERS,
  CONTINUOUS_RPO_METRIC,
  type ContinuousDatabase,
} from '../functions/continuous/contracts';
import { rdsArns, rdsService } from './arns';
import { kindOf, type ProtectedDatabase, refuse } from './databases';
import { rdsKeyUse } from './keys';
import { LambdaStep } from './step';

/** How a database is protected between snapshots. */
export type ContinuousProtectionSpec =
  | {
      /** Replicate the RDS instance's automated backups into the DR region (Lifeline turns it on and keeps it on). */
      readonly mode: 'automated-backup-replication';
      /** Days of replicated automated backups kept in the DR region, 1-35. @default 7 */
      readonly retentionDays?: number;
    }
  | {
      /** A cross-region read replica you created; Lifeline watches its lag. */
      readonly mode: 'read-replica';
      /** The replica's DB instance identifier in the DR region. */
      readonly replica: string;
    }
  | {
      /** An Aurora global database; Lifeline watches its secondary's lag. */
      readonly mode: 'global-database';
      readonly globalCluster: string;
      /** The secondary cluster's identifier in the DR region. */
      readonly secondaryCluster: string;
    };

/** A database and how it is protected between snapshots. */
export interface ContinuouslyProtectedDatabase extends ProtectedDatabase {
  readonly continuous: ContinuousProtectionSpec;
}

export interface ContinuousProtectionProps {
  /** The databases protected between snapshots; the probe and an RPO alarm each. */
  readonly databases: readonly ContinuouslyProtectedDatabase[];
  /** The installation's name: the prefix of the alarm and schedule names. @default 'lifeline' */
  readonly installation?: string;
  /** Where the databases run (the sources of replicated automated backups and read replicas). */
  readonly primaryRegion: string;
  /** This (the DR) region's key: the replicated automated backups, the probe's logs and its schedule. */
  readonly key: kms.IKey;
  /** Where each RPO alarm goes when it fires and when it clears. */
  readonly alarmAction: sns.ITopic;
  /**
   * How often the probe measures; each alarm's period, and an alarm fires after two periods in a row past the RPO
   * (or without a measurement). Whole minutes, 1 to 60. @default Duration.minutes(5)
   */
  readonly every?: Duration;
}

const alarmNameOf = (installation: string, database: string) => `${installation}-${database}-continuous-rpo-missed`;

/**
 * In the DR region: a scheduled probe that measures the RPO of every continuously protected database as a restore
 * there would see it (`Lifeline/ContinuousRPO`, dimension `database`), and per database an alarm when it passes the
 * RPO objective. Replicated automated backups: now minus the latest restorable time in this region, and replication
 * found off is turned on again (under this region's key). A read replica: `ReplicaLag`; a global database:
 * `AuroraGlobalDBReplicationLag`. What cannot be measured publishes no data point, and missing data breaches: a
 * replica that stopped and a probe that stopped both page.
 */
export class ContinuousProtection extends Construct {
  readonly probe: LambdaStep<unknown>;
  /** The RPO alarm of each database, by id. */
  readonly alarms: Readonly<Record<string, cloudwatch.Alarm>>;
  /** The alarms' names as plain strings, for the key and topic policies that let CloudWatch publish them. */
  readonly alarmNames: readonly string[];

  constructor(scope: Construct, id: string, props: ContinuousProtectionProps) {
    super(scope, id);
    const installation = props.installation ?? 'lifeline';
    const every = props.every ?? Duration.minutes(5);
    const minutes = every.toSeconds() / 60;
    const stack = Stack.of(this);
    refuse(`ContinuousProtection ${this.node.path}`, [
      ...(props.databases.length === 0 ? ['needs at least one database'] : []),
      ...(Number.isInteger(minutes) && minutes >= 1 && minutes <= 60
        ? []
        : [`every ${every.toHumanString()} must be whole minutes, from 1 minute to 1 hour`]),
      ...(props.primaryRegion === stack.region
        ? [`primaryRegion ${props.primaryRegion} must not be this stack's region`]
        : []),
      ...props.databases.flatMap((db) => problemsOf(db)),
    ]);

    const { arn } = rdsArns(this);
    const sourceArn = (db: ProtectedDatabase) => arn('db', db.identifier, props.primaryRegion);
    const databases: ContinuousDatabase[] = props.databases.map((db) => {
      const c = db.continuous;
      switch (c.mode) {
        case 'automated-backup-replication':
          return { id: db.id, mode: c.mode, sourceArn: sourceArn(db), retentionDays: c.retentionDays ?? 7 };
        case 'read-replica':
          return { id: db.id, mode: c.mode, sourceArn: sourceArn(db), replica: c.replica };
        default:
          return { id: db.id, mode: c.mode, globalCluster: c.globalCluster, secondaryCluster: c.secondaryCluster };
      }
    });
    const probe = new LambdaStep(this, 'Probe', CONTINUOUS_HANDLERS.probe, {
      description: 'the continuous probe: the RPO of each continuously protected database, as a metric',
      logKey: props.key,
      timeout: Duration.minutes(2),
      environment: {
        [CONTINUOUS_ENV.databases]: JSON.stringify(databases),
        [CONTINUOUS_ENV.drKeyArn]: props.key.keyArn,
        [CONTINUOUS_ENV.primaryRegion]: props.primaryRegion,
      },
    });
    this.probe = probe;

    const replicated = props.databases.filter((db) => db.continuous.mode === 'automated-backup-replication');
    if (replicated.length > 0) {
      // Reads the automated backups replicated here, and the sources' backup retention and encryption.
      probe.allow(['rds:DescribeDBInstanceAutomatedBackups'], [arn('auto-backup', '*'), ...replicated.map(sourceArn)]);
      probe.allow(['rds:DescribeDBInstances'], replicated.map(sourceArn));
      // Turns replication on, in this region, for these sources only.
      probe.allow(
        ['rds:StartDBInstanceAutomatedBackupsReplication'],
        [...replicated.map(sourceArn), arn('auto-backup', '*')],
      );
      // RDS here encrypts the replicated backups with this region's key, through a grant the caller creates.
      probe.allow(['kms:DescribeKey'], [props.key.keyArn], {
        StringEquals: { 'kms:ViaService': rdsService(this, stack.region) },
      });
      probe.allow(['kms:CreateGrant'], [props.key.keyArn], {
        StringEquals: { 'kms:ViaService': rdsService(this, stack.region) },
        Bool: { 'kms:GrantIsForAWSResource': true },
      });
      // A source under a customer-managed key: RDS reads its backups with it, in the primary region.
      const sourceKeys = [...new Set(replicated.flatMap((db) => (db.sourceKey ? [db.sourceKey.keyArn] : [])))];
      if (sourceKeys.length > 0) probe.allowAll(rdsKeyUse(sourceKeys, [props.primaryRegion]));
    }
    const replicas = props.databases.flatMap((db) =>
      db.continuous.mode === 'read-replica' ? [db.continuous.replica] : [],
    );
    if (replicas.length > 0)
      probe.allow(
        ['rds:DescribeDBInstances'],
        replicas.map((r) => arn('db', r)),
      );
    const globals = props.databases.flatMap((db) => (db.continuous.mode === 'global-database' ? [db.continuous] : []));
    if (globals.length > 0) {
      // Global clusters have no region in their ARN.
      probe.allow(
        ['rds:DescribeGlobalClusters'],
        globals.map((g) =>
          Arn.format(
            {
              service: 'rds',
              region: '',
              resource: 'global-cluster',
              resourceName: g.globalCluster,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            },
            stack,
          ),
        ),
      );
      probe.allow(
        ['rds:DescribeDBClusters'],
        globals.map((g) => arn('cluster', g.secondaryCluster)),
      );
    }
    if (replicas.length > 0 || globals.length > 0)
      // GetMetricData has no resource type: it reads the replication lag metrics of AWS/RDS.
      probe.allow(['cloudwatch:GetMetricData'], ['*']);
    // PutMetricData has no resource; the namespace condition keeps it to Lifeline's metrics.
    probe.allow(['cloudwatch:PutMetricData'], ['*'], { StringEquals: { 'cloudwatch:namespace': METRICS_NAMESPACE } });

    new scheduler.Schedule(this, 'Schedule', {
      scheduleName: `${installation}-continuous-probe`,
      description: 'Publish the measured RPO of each continuously protected database',
      schedule: scheduler.ScheduleExpression.rate(every),
      key: props.key,
      target: new targets.LambdaInvoke(probe.function, { retryAttempts: 2 }),
    });

    const alarms: Record<string, cloudwatch.Alarm> = {};
    this.alarms = alarms;
    this.alarmNames = props.databases.map((db) => alarmNameOf(installation, db.id));
    const region = stack.region;
    for (const db of props.databases) {
      const rpo = db.objectives.rpo;
      const alarm = new cloudwatch.Alarm(this, `RpoMissed-${db.id}`, {
        alarmName: alarmNameOf(installation, db.id),
        alarmDescription: [
          `${db.id} (${describeMode(db.continuous)}) could lose more than its RPO of ${rpo.toHumanString()} if it were recovered in ${region} now, or its RPO could not be measured (the continuous probe ${probe.function.functionName} found nothing to measure, or stopped).`,
          `First: read the probe's latest output in its logs in ${region}: it says what it measured or why it could not (${firstStep(db.continuous, installation)}).`,
          'The alarm clears at the next probe that measures an RPO within the objective.',
        ].join(' '),
        metric: new cloudwatch.Metric({
          namespace: METRICS_NAMESPACE,
          metricName: CONTINUOUS_RPO_METRIC,
          dimensionsMap: { database: db.id },
          statistic: cloudwatch.Stats.MAXIMUM,
          period: every,
        }),
        threshold: rpo.toSeconds(),
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        // Two periods in a row: one slow probe does not page, a stopped one (or nothing measurable) pages after two.
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      });
      alarm.addAlarmAction(new actions.SnsAction(props.alarmAction));
      alarm.addOkAction(new actions.SnsAction(props.alarmAction));
      alarms[db.id] = alarm;
    }
  }
}

function problemsOf(db: ContinuouslyProtectedDatabase): string[] {
  const c = db.continuous;
  const kind = kindOf(db);
  const at = `databases ${db.id}`;
  if (c.mode === 'automated-backup-replication') {
    const days = c.retentionDays ?? 7;
    return [
      ...(kind === 'instance' ? [] : [`${at}: automated-backup-replication is for RDS instances, not Aurora clusters`]),
      ...(Number.isInteger(days) && days >= 1 && days <= 35 ? [] : [`${at}: retentionDays ${days} must be 1 to 35`]),
    ];
  }
  if (c.mode === 'global-database' && kind !== 'cluster') return [`${at}: global-database is for Aurora clusters`];
  return [];
}

function describeMode(c: ContinuousProtectionSpec): string {
  switch (c.mode) {
    case 'automated-backup-replication':
      return 'automated backups replicated to the DR region';
    case 'read-replica':
      return `read replica ${c.replica}`;
    case 'global-database':
      return `global database ${c.globalCluster}, secondary ${c.secondaryCluster}`;
  }
}

function firstStep(c: ContinuousProtectionSpec, installation: string): string {
  switch (c.mode) {
    case 'automated-backup-replication':
      return `replication off: the probe turns it on again and says if it could not; a source with backup retention 0 must keep automated backups. Until it is back, drill the newest DR copy: the ${installation}-drill workflow with {"database":"<id>"}`;
    case 'read-replica':
      return `aws rds describe-db-instances --db-instance-identifier ${c.replica}: is it available, and still a replica? Its ReplicaLag metric shows how far behind it is`;
    case 'global-database':
      return `aws rds describe-global-clusters --global-cluster-identifier ${c.globalCluster}: is ${c.secondaryCluster} a member, and not the writer? Its AuroraGlobalDBReplicationLag shows how far behind it is`;
  }
}
