import { Duration, Stack, type StackProps, TimeZone } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as route53 from 'aws-cdk-lib/aws-route53';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { ContinuousProtection } from '../../state-machines/continuous-protection';
import { CopyAgeProbe } from '../../state-machines/copy-age-probe';
import { RecoveryDashboard } from '../../state-machines/dashboard';
import { DrillWorkflow } from '../../state-machines/drill';
import { DrillAlarms } from '../../state-machines/drill-alarms';
import { drillNetwork, reportsBucket } from '../../state-machines/drill-network';
import { EscalationLevels } from '../../state-machines/escalation';
import { EvidenceReports } from '../../state-machines/evidence-reports';
import { ExecutionEndedRule } from '../../state-machines/execution-ended';
import { FailoverWorkflow } from '../../state-machines/failover';
import { IncidentSink } from '../../state-machines/incidents';
import { lifelineKey } from '../../state-machines/keys';
import { ObjectivesProbe } from '../../state-machines/objectives-probe';
import { InventoryReports, ProtectedBucket } from '../../state-machines/protected-bucket';
import { ReadinessProbe } from '../../state-machines/readiness-probe';
import { ReplicationVerification } from '../../state-machines/replication-verification';
import { allowAlarmsToPublish, WorkflowAlarms } from '../../state-machines/workflow-alarms';
import { INVENTORY_BUCKET_ID, protectedBucketName } from '../config/buckets';
import { type LifelineConfig, OPT_IN_REGIONS } from '../config/schema';
import { namesOf } from '../names';
import { drillCadenceSeconds, readinessDatabases } from '../readiness';
import {
  continuousDatabases,
  copyAgeDatabases,
  drillSpecs,
  escalationLevels,
  protectedBucketProps,
  retentionOf,
} from '../specs';
import { operatorPolicy } from './operator-policy';
import { addDrOutputs } from './outputs';

export interface DrStackProps extends StackProps {
  readonly config: LifelineConfig;
}

/**
 * The DR region: the copies of every recovery point, and the recovery control plane (drills, failover),
 * which must keep working while the primary region is down.
 */
export class DrStack extends Stack {
  readonly key: kms.Key;
  readonly alerts: sns.Topic;
  readonly reports: s3.Bucket;
  readonly drill: DrillWorkflow;
  /** The week's and month's evidence roll-ups. */
  readonly evidence: EvidenceReports;
  /** `<name>-operator`: what the lifeline CLI needs, for the on-call role or group. */
  readonly operatorPolicy: iam.ManagedPolicy;
  /** The failover runbook, when the config has a `failover` section. */
  readonly failover?: FailoverWorkflow;
  readonly vpc: ec2.IVpc;
  readonly databaseSecurityGroup: ec2.ISecurityGroup;
  readonly checkSecurityGroup: ec2.ISecurityGroup;
  /** One topic per escalation level, here where paging keeps working when the primary region does not. */
  readonly escalation?: EscalationLevels;
  /** Where every failure and alarm goes, and the ladder that pages the levels; only with an escalation. */
  readonly incidents?: IncidentSink;
  /** The replicas of the configured buckets that replicate, by id, under this region's key. */
  readonly bucketReplicas: Record<string, ProtectedBucket> = {};
  /** Where the replicas' inventories are delivered, and the verification's work area; only with a replicated bucket. */
  readonly inventory?: InventoryReports;
  /** Compares each replicated bucket's inventory with its replica's; only with a replicated bucket. */
  readonly replicationVerification?: ReplicationVerification;

  private readonly zones: string[];

  constructor(scope: Construct, id: string, props: DrStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.zones = config.drAvailabilityZones;
    const names = namesOf(config);
    this.key = lifelineKey(this, names.keyAlias('dr'), 'dr');
    if (config.vault) {
      const vaultCopierArn = `arn:${this.partition}:iam::${config.vault.account}:role/${names.vaultCopierRole}`;
      // The vault copy is made from the DR copy, in this region, by the vault's copier role: RDS reads the shared
      // copy under this key through a grant. Nothing else in the vault account may use it, and only through RDS here.
      this.key.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'VaultCopierReadsSharedCopies',
          principals: [new iam.AccountPrincipal(config.vault.account)],
          actions: ['kms:Decrypt', 'kms:DescribeKey'],
          resources: ['*'],
          conditions: {
            ArnEquals: { 'aws:PrincipalArn': vaultCopierArn },
            StringEquals: { 'kms:ViaService': `rds.${this.region}.${this.urlSuffix}` },
          },
        }),
      );
      this.key.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'VaultCopierGrantsRds',
          principals: [new iam.AccountPrincipal(config.vault.account)],
          actions: ['kms:CreateGrant'],
          resources: ['*'],
          conditions: {
            ArnEquals: { 'aws:PrincipalArn': vaultCopierArn },
            StringEquals: { 'kms:ViaService': `rds.${this.region}.${this.urlSuffix}` },
            Bool: { 'kms:GrantIsForAWSResource': true },
          },
        }),
      );
    }
    this.alerts = new sns.Topic(this, 'Alerts', {
      topicName: names.alertsTopic('dr'),
      displayName: 'Lifeline DR alerts',
      masterKey: this.key,
      enforceSSL: true,
    });

    const { escalation } = config;
    const escalationAlarmNames: string[] = [];
    if (escalation)
      this.escalation = new EscalationLevels(this, 'Escalation', escalationLevels({ ...config, escalation }, this.key));

    const network = drillNetwork(this, {
      key: this.key,
      engines: config.databases.filter((db) => db.drill).map((db) => db.engine),
      subnetGroupName: `${config.name}-drill`,
    });
    this.vpc = network.vpc;
    this.databaseSecurityGroup = network.databaseSecurityGroup;
    this.checkSecurityGroup = network.checkSecurityGroup;
    this.reports = reportsBucket(this, this.key);
    const replicated = config.buckets.filter((b) => b.replicate);
    const inventoryName = (region: string) =>
      protectedBucketName(config.name, INVENTORY_BUCKET_ID, this.account, region);
    if (replicated.length > 0)
      this.inventory = new InventoryReports(this, 'Inventory', {
        bucketName: inventoryName(config.drRegion),
        key: this.key,
      });
    for (const bucket of replicated)
      this.bucketReplicas[bucket.id] = new ProtectedBucket(this, `Replica-${bucket.id}`, {
        ...protectedBucketProps(this, config, bucket, 'replica', this.key),
        inventory: this.inventory,
      });

    const drills = drillSpecs(this, config);
    // Dumps are taken here, from the drill's restore, into the archive bucket's replica in this region.
    const archives = drills.flatMap((drill) => {
      const archive = config.databases.find((db) => db.id === drill.database.id)?.archive;
      const replica = archive?.dump ? this.bucketReplicas[archive.bucket] : undefined;
      return replica ? [{ drill, bucket: replica.bucket }] : [];
    });
    this.drill = new DrillWorkflow(this, 'Drill', {
      drills: drills,
      archives,
      installation: config.name,
      key: this.key,
      keyAlias: names.keyAlias('dr'),
      alerts: this.alerts,
      reports: this.reports,
      network,
    });

    if (config.failover) {
      const failover = config.failover;
      this.failover = new FailoverWorkflow(this, 'Failover', {
        databases: failover.databases.flatMap((id) => {
          const drill = drills.find((d) => d.database.id === id);
          const db = config.databases.find((d) => d.id === id);
          return drill && db
            ? [{ drill, continuous: db.continuous, instanceClass: failover.instanceClass ?? drill.instanceClass }]
            : [];
        }),
        hostedZone: route53.HostedZone.fromHostedZoneId(this, 'FailoverZone', failover.hostedZoneId),
        recordName: failover.recordName,
        ttl: Duration.seconds(failover.ttl),
        primaryRegion: config.primaryRegion,
        corruptionRestoreRegion: failover.corruptionRestoreRegion,
        approvalTimeout: Duration.seconds(failover.approval.timeout.seconds),
        approvalWaivable: failover.approval.waivable,
        healthCheckId: failover.healthCheckId,
        drillSchedule: failover.drill.enabled
          ? scheduler.ScheduleExpression.expression(failover.drill.schedule, TimeZone.of(failover.drill.timeZone))
          : undefined,
        key: this.key,
        keyAlias: names.keyAlias('dr'),
        alerts: this.alerts,
        reports: this.reports,
        network,
        installation: config.name,
        vault: config.vault && {
          account: config.vault.account,
          readerRoleName: names.vaultReaderRole,
          sourceRoleNames: names.vaultReaderSourceRoles,
          keyAlias: names.keyAlias('vault'),
        },
      });
    }

    // A timeout or a stop cannot be caught inside the workflow: delete its drill database and alert from outside.
    new ExecutionEndedRule(this, 'DrillEnded', {
      stateMachine: this.drill.stateMachine,
      workflow: 'drill',
      alerts: this.alerts,
      alertsKey: this.key,
      logKey: this.key,
      drillDatabasesOf: config.name,
    });

    const group = new scheduler.ScheduleGroup(this, 'Schedules', { scheduleGroupName: `${config.name}-drills` });
    for (const db of config.databases) {
      if (!db.drill) continue;
      new scheduler.Schedule(this, `Drill-${db.id}`, {
        scheduleName: `${config.name}-drill-${db.id}`,
        description: `Restore drill of ${db.id}`,
        scheduleGroup: group,
        schedule: scheduler.ScheduleExpression.expression(db.drill.schedule, TimeZone.of(db.drill.timeZone)),
        key: this.key,
        target: new targets.StepFunctionsStartExecution(this.drill.stateMachine, {
          // Which schedule fired and when, from the scheduler's context: the drill report says what started it.
          input: scheduler.ScheduleTargetInput.fromObject({
            database: db.id,
            schedule: {
              arn: scheduler.ContextAttribute.scheduleArn,
              scheduledTime: scheduler.ContextAttribute.scheduledTime,
            },
          }),
          retryAttempts: 3,
        }),
      });
    }
    new scheduler.Schedule(this, 'SweepDrills', {
      scheduleName: `${config.name}-sweep-drills`,
      description: 'Delete drill databases whose execution did not clean up',
      scheduleGroup: group,
      schedule: scheduler.ScheduleExpression.rate(Duration.hours(1)),
      key: this.key,
      target: new targets.LambdaInvoke(this.drill.sweeper.function, { retryAttempts: 2 }),
    });

    if (this.escalation) {
      this.incidents = new IncidentSink(this, 'Incidents', {
        installation: config.name,
        escalation: this.escalation,
        key: this.key,
        drillStateMachine: this.drill.stateMachine,
        fallback: this.alerts,
        repeatEvery: escalation?.repeatEvery && Duration.seconds(escalation.repeatEvery.seconds),
      });
      // Both alert topics feed it: this region's, and the primary region's (it subscribes from its own stack).
      this.incidents.listenTo(this.alerts);
      this.incidents.allowTopic(
        `arn:${this.partition}:sns:${config.primaryRegion}:${this.account}:${names.alertsTopic('primary')}`,
        'PrimaryAlerts',
        { fromOptInRegion: OPT_IN_REGIONS.includes(config.primaryRegion) ? config.primaryRegion : undefined },
      );
      // The vault account's alerts (a failed prune) too: it may page production's people, never change anything here.
      if (config.vault)
        this.incidents.allowTopic(
          `arn:${this.partition}:sns:${this.region}:${config.vault.account}:${config.name}-vault-alerts`,
          'VaultAlerts',
        );
      const ladderAlarms = new WorkflowAlarms(this, 'EscalationAlarms', {
        stateMachine: this.incidents.ladder,
        workflow: 'escalation',
        alarmPrefix: `${config.name}-`,
        action: this.alerts,
      });
      escalationAlarmNames.push(...ladderAlarms.alarmNames, ...this.incidents.alarmNames);
    }

    // Each replicated bucket's inventory against its replica's, here where the replicas and the incident sink are.
    if (this.inventory)
      this.replicationVerification = new ReplicationVerification(this, 'ReplicationVerification', {
        installation: config.name,
        key: this.key,
        work: this.inventory.bucket,
        sourceKeyAlias: names.keyAlias('primary'),
        alerts: this.alerts,
        reports: this.reports,
        incidentIntake: this.incidents?.intake.function,
        buckets: replicated.map((bucket) => ({
          id: bucket.id,
          source: {
            bucketName:
              bucket.bucketName ?? protectedBucketName(config.name, bucket.id, this.account, config.primaryRegion),
            region: config.primaryRegion,
            inventoryBucketName: inventoryName(config.primaryRegion),
          },
          replica: {
            bucketName: protectedBucketName(config.name, bucket.id, this.account, config.drRegion),
            region: config.drRegion,
            inventoryBucketName: inventoryName(config.drRegion),
          },
          schedule: scheduler.ScheduleExpression.expression(bucket.verify.schedule, TimeZone.ETC_UTC),
          compareEtag: bucket.verify.compareEtag,
        })),
      });

    // The age of every database's newest verified copy here, from RDS, whether or not its backups still run.
    const probe = new CopyAgeProbe(this, 'CopyAgeProbe', {
      databases: copyAgeDatabases(this, config),
      installation: config.name,
      key: this.key,
      alarmAction: this.alerts,
      incidentIntake: this.incidents?.intake.function,
    });
    // Backup success over 30 days and drills overdue: counted from the executions, beyond an alarm's 7-day window.
    const objectives = new ObjectivesProbe(this, 'ObjectivesProbe', {
      installation: config.name,
      key: this.key,
      backup: {
        stateMachineName: `${config.name}-backup`,
        region: config.primaryRegion,
        databases: config.databases.map((db) => db.id),
      },
      drill: {
        stateMachine: this.drill.stateMachine,
        databases: config.databases.flatMap((db) =>
          db.drill ? [{ id: db.id, overdueAfter: overdueAfter(db.drill) }] : [],
        ),
      },
      alarmAction: this.alerts,
      incidentIntake: this.incidents?.intake.function,
    });
    // Each database's recovery readiness from measured evidence, against its floor.
    const scored = readinessDatabases(config);
    const readiness = new ReadinessProbe(this, 'ReadinessProbe', {
      installation: config.name,
      key: this.key,
      reportsBucket: this.reports,
      databases: scored,
      alarmAction: this.alerts,
    });
    // One page that says whether each database and bucket is recoverable, readable while the primary region is down.
    new RecoveryDashboard(this, 'Dashboard', {
      installation: config.name,
      primaryRegion: config.primaryRegion,
      drRegion: config.drRegion,
      databases: config.databases.map((db) => ({
        id: db.id,
        rpo: Duration.seconds(db.objectives.rpo.seconds),
        rto: Duration.seconds(db.objectives.rto.seconds),
        drilled: db.drill !== undefined,
        readinessFloor: scored.find((d) => d.id === db.id)?.floor,
      })),
      buckets: config.buckets
        .filter((b) => b.replicate)
        .map((b) => ({
          id: b.id,
          sourceBucketName: b.bucketName ?? protectedBucketName(config.name, b.id, this.account, config.primaryRegion),
          replicaBucketName: protectedBucketName(config.name, b.id, this.account, config.drRegion),
          ruleId: `To-${config.drRegion}`,
          sourceRegion: config.primaryRegion,
          // What the replication verification's report function publishes here (Powertools: service and bucket).
          ...(this.replicationVerification && {
            verification: new cloudwatch.Metric({
              namespace: 'Lifeline',
              metricName: 'ReplicationDiscrepancies',
              dimensionsMap: { service: 'lifeline', bucket: b.id },
              statistic: cloudwatch.Stats.MAXIMUM,
              period: Duration.days(1),
            }),
          }),
        })),
    });
    // The week's and the month's evidence, for the people who answer for recovery and for auditors.
    this.evidence = new EvidenceReports(this, 'Evidence', {
      installation: config.name,
      key: this.key,
      reportsBucket: this.reports,
      reportTopic: this.drill.reportTopic,
      backup: { stateMachineName: `${config.name}-backup`, region: config.primaryRegion },
      databases: config.databases.map((db) => ({
        id: db.id,
        engine: db.engine,
        rpoSeconds: db.objectives.rpo.seconds,
        rtoSeconds: db.objectives.rto.seconds,
        ...(db.drill ? { drillCadenceSeconds: drillCadence(db.drill).toSeconds() } : {}),
        retention: { ...retentionOf(db.retention) },
        kind: db.kind,
        copyToDr: db.backup.copyToDr,
      })),
      buckets: config.buckets.map((b) => ({
        id: b.id,
        replicate: b.replicate,
        ...(b.objectLock
          ? {
              objectLock: {
                mode: b.objectLock.mode,
                retentionDays: Math.round(b.objectLock.retention.seconds / 86_400),
              },
            }
          : {}),
      })),
      failoverDatabases: config.failover?.databases ?? [],
      archives: config.databases.flatMap((db) => {
        const replica = db.archive ? this.bucketReplicas[db.archive.bucket] : undefined;
        return db.archive && replica
          ? [{ database: db.id, bucket: replica.bucket, export: db.archive.export, dump: db.archive.dump }]
          : [];
      }),
    });
    const drillAlarms = new DrillAlarms(this, 'DrillAlarms', {
      drills: drills,
      alarmPrefix: `${config.name}-`,
      action: this.alerts,
    });
    const executionAlarms = new WorkflowAlarms(this, 'DrillExecutionAlarms', {
      stateMachine: this.drill.stateMachine,
      workflow: 'drill',
      alarmPrefix: `${config.name}-`,
      action: this.alerts,
    });
    // The scheduled workflows and functions that have no failure path of their own to every ending.
    const verificationAlarms =
      this.replicationVerification &&
      new WorkflowAlarms(this, 'ReplicationVerificationAlarms', {
        stateMachine: this.replicationVerification.stateMachine,
        workflow: 'replication-verification',
        alarmPrefix: `${config.name}-`,
        action: this.alerts,
        afterTimeout:
          "Open the execution: the last state that ran is where it hung (a Distributed Map's child runs are listed under it); the next daily run verifies again.",
      });
    // A failover that fails records and pages it itself; one stopped or timed out does neither.
    const failoverAlarms =
      this.failover &&
      new WorkflowAlarms(this, 'FailoverExecutionAlarms', {
        stateMachine: this.failover.stateMachine,
        workflow: 'failover',
        alarmPrefix: `${config.name}-`,
        action: this.alerts,
        endings: ['timed-out', 'aborted'],
        afterTimeout: FAILOVER_ENDED_ADVICE,
        afterAbort: `Find who stopped it (CloudTrail StopExecution). ${FAILOVER_ENDED_ADVICE}`,
      });
    // By its literal name in the key policy below: the alarm's own reference would make key, topic and alarm a cycle.
    const evidenceFailedName = `${config.name}-evidence-failed`;
    const evidenceFailed = new cloudwatch.Alarm(this, 'EvidenceFailed', {
      alarmName: evidenceFailedName,
      alarmDescription: `The Lifeline evidence report function failed (Errors of ${this.evidence.function.function.functionName}). First: read its log group for the error, then write the period again with  lifeline evidence --month YYYY-MM  (or --week YYYY-Www).`,
      metric: this.evidence.function.function.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    evidenceFailed.addAlarmAction(new cloudwatchActions.SnsAction(this.alerts));
    evidenceFailed.addOkAction(new cloudwatchActions.SnsAction(this.alerts));
    // The RPO between snapshots of each continuously protected database, measured here, where it would be recovered.
    const continuous = continuousDatabases(this, config);
    const continuousProtection =
      continuous.length > 0
        ? new ContinuousProtection(this, 'ContinuousProtection', {
            databases: continuous,
            installation: config.name,
            primaryRegion: config.primaryRegion,
            key: this.key,
            alarmAction: this.alerts,
          })
        : undefined;
    // CloudWatch publishes these alarms to the alert topic, under this key: both must let it, for these alarms only.
    allowAlarmsToPublish(
      this.alerts,
      this.key,
      [
        ...probe.alarmNames,
        ...objectives.alarmNames,
        ...readiness.alarmNames,
        ...drillAlarms.alarmNames,
        ...executionAlarms.alarmNames,
        ...escalationAlarmNames,
        ...(continuousProtection?.alarmNames ?? []),
        ...(verificationAlarms?.alarmNames ?? []),
        ...(failoverAlarms?.alarmNames ?? []),
        evidenceFailedName,
      ],
      'AlarmsPublishAlerts',
    );

    // What an operator attaches to run the lifeline CLI against this installation.
    this.operatorPolicy = operatorPolicy(this, config);
    // What a person or the lifeline CLI reads of this deployment (keys in infra/outputs.ts).
    addDrOutputs(this, config);
  }

  /**
   * The configured zones (drAvailabilityZones), never Fn::GetAZs: that lists only zones with a default subnet, in an
   * order that can change when AWS adds a zone, and a drill subnet whose zone changes is replaced with the same CIDR,
   * which fails. No context lookup either, so synth needs no AWS credentials.
   */
  override get availabilityZones(): string[] {
    return this.zones;
  }
}

/** What to do first about a failover execution that ended with neither its record nor its page. */
const FAILOVER_ENDED_ADVICE =
  "Open the execution's history: the last state that ran says how far it got. If it restored a database (lifeline-failover-*) or changed the Route 53 record, decide now whether clients stay on it or go back; start a dry run (lifeline failover start <db> --scenario <s> --dry-run) to see the state. A failover drill (input drill: true) is cleaned up by the hourly sweeper.";

/** The longest gap between two scheduled drills. */
function drillCadence(drill: { schedule: string; timeZone: string }): Duration {
  return Duration.seconds(drillCadenceSeconds(drill));
}

/** A drill is overdue when none passed within the longest gap of its schedule plus a day's grace. */
function overdueAfter(drill: { schedule: string; timeZone: string }): Duration {
  return Duration.seconds(drillCadence(drill).toSeconds() + 86_400);
}
