import { Stack, type StackProps, TimeZone } from 'aws-cdk-lib';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { BackupWorkflow } from '../../state-machines/backup';
import { ExecutionEndedRule } from '../../state-machines/execution-ended';
import { IncidentSink } from '../../state-machines/incidents';
import { lifelineKey } from '../../state-machines/keys';
import { InventoryReports, ProtectedBucket } from '../../state-machines/protected-bucket';
import { SnapshotExport } from '../../state-machines/snapshot-export';
import { allowAlarmsToPublish, SnapshotQuotaAlarms, WorkflowAlarms } from '../../state-machines/workflow-alarms';
import { INVENTORY_BUCKET_ID, protectedBucketName } from '../config/buckets';
import type { LifelineConfig } from '../config/schema';
import { namesOf } from '../names';
import { protectedBucketProps, protectedDatabase, protectedDatabases } from '../specs';
import { addPrimaryOutputs } from './outputs';

export interface PrimaryStackProps extends StackProps {
  readonly config: LifelineConfig;
}

/** The primary region: where the databases live, their snapshots are taken and the backups are scheduled. */
export class PrimaryStack extends Stack {
  readonly backup: BackupWorkflow;
  readonly alerts: sns.Topic;
  /** The configured buckets, by id: each replicates to its replica in the DR stack. */
  readonly buckets: Record<string, ProtectedBucket> = {};
  /** The export of monthly and yearly points to the archive buckets; only when a database has `archive.export`. */
  readonly export?: SnapshotExport;
  /** Where the replicated buckets' inventories are delivered; only with a replicated bucket. */
  readonly inventory?: InventoryReports;

  constructor(scope: Construct, id: string, props: PrimaryStackProps) {
    super(scope, id, props);
    const { config } = props;
    const names = namesOf(config);
    const key = lifelineKey(this, names.keyAlias('primary'), 'primary');
    this.alerts = new sns.Topic(this, 'Alerts', {
      topicName: names.alertsTopic('primary'),
      displayName: 'Lifeline alerts',
      masterKey: key,
      enforceSSL: true,
    });
    // The incident sink in the DR region hears this region's alerts: failures of backups, and alarms.
    if (config.escalation) IncidentSink.subscribeFromAnotherRegion(this.alerts, config.name, config.drRegion);
    this.backup = new BackupWorkflow(this, 'Backup', {
      databases: protectedDatabases(this, config),
      key,
      alerts: this.alerts,
      drRegion: config.drRegion,
      drKeyAlias: names.keyAlias('dr'),
      installation: config.name,
      snapshotQuota: config.snapshotQuota,
      copySlots: config.copySlots,
      vault: config.vault && {
        account: config.vault.account,
        copierRoleName: names.vaultCopierRole,
        sourceRoleName: names.vaultCopySourceRole,
        keyAlias: names.keyAlias('vault'),
      },
    });
    // A timeout or a stop cannot be caught inside the workflow: give back its copy slot and alert from outside.
    new ExecutionEndedRule(this, 'BackupEnded', {
      stateMachine: this.backup.stateMachine,
      workflow: 'backup',
      alerts: this.alerts,
      alertsKey: key,
      logKey: key,
      copySlots: { table: this.backup.copySlots, regions: [config.drRegion], limit: config.copySlots },
    });

    const executionAlarms = new WorkflowAlarms(this, 'BackupAlarms', {
      stateMachine: this.backup.stateMachine,
      workflow: 'backup',
      alarmPrefix: `${config.name}-`,
      action: this.alerts,
    });
    const quotaAlarms = new SnapshotQuotaAlarms(this, 'SnapshotQuotaAlarms', {
      databases: config.databases,
      alarmPrefix: `${config.name}-`,
      action: this.alerts,
    });
    allowAlarmsToPublish(
      this.alerts,
      key,
      [...executionAlarms.alarmNames, ...quotaAlarms.alarmNames],
      'AlarmsPublishAlerts',
    );

    // The daily inventories of the replicated buckets, which the replication verification in the DR region reads.
    const replicated = config.buckets.filter((b) => b.replicate);
    if (replicated.length > 0)
      this.inventory = new InventoryReports(this, 'Inventory', {
        bucketName: protectedBucketName(config.name, INVENTORY_BUCKET_ID, this.account, config.primaryRegion),
        key,
      });
    for (const bucket of config.buckets)
      this.buckets[bucket.id] = new ProtectedBucket(this, `Bucket-${bucket.id}`, {
        ...protectedBucketProps(this, config, bucket, 'source', key),
        inventory: bucket.replicate ? this.inventory : undefined,
      });

    // Exports go into the primary bucket (RDS exports only within the snapshot's region), which replicates them.
    const exported = config.databases.flatMap((db) =>
      db.archive?.export ? [{ db, bucket: this.buckets[db.archive.bucket] as ProtectedBucket }] : [],
    );
    if (exported.length > 0)
      this.export = new SnapshotExport(this, 'Export', {
        databases: exported.map(({ db, bucket }) => ({ database: protectedDatabase(this, db), bucket: bucket.bucket })),
        key,
        alerts: this.alerts,
        installation: config.name,
      });
    // A stopped or timed-out export ends outside its own failure path: Step Functions' metrics still alarm.
    const exportAlarms =
      this.export &&
      new WorkflowAlarms(this, 'ExportAlarms', {
        stateMachine: this.export.stateMachine,
        workflow: 'export',
        alarmPrefix: `${config.name}-`,
        action: this.alerts,
        afterTimeout:
          'Open the execution: the last state that ran is where it waited; an export task it started may still be running (RDS console, Exports in Amazon S3), and the next daily run resumes from its record.',
      });
    if (exportAlarms) allowAlarmsToPublish(this.alerts, key, exportAlarms.alarmNames, 'ExportAlarmsPublishAlerts');

    const group = new scheduler.ScheduleGroup(this, 'Schedules', { scheduleGroupName: `${config.name}-backups` });
    for (const db of config.databases) {
      new scheduler.Schedule(this, `Backup-${db.id}`, {
        scheduleName: `${config.name}-backup-${db.id}`,
        description: `Backup of ${db.id} (${db.identifier})`,
        scheduleGroup: group,
        schedule: scheduler.ScheduleExpression.expression(db.backup.schedule, TimeZone.of(db.backup.timeZone)),
        key,
        target: new targets.StepFunctionsStartExecution(this.backup.stateMachine, {
          input: scheduler.ScheduleTargetInput.fromObject({
            database: db.id,
            scheduledTime: scheduler.ContextAttribute.scheduledTime,
          }),
          retryAttempts: 3,
        }),
      });
    }

    // What a person or the lifeline CLI reads of this deployment (keys in infra/outputs.ts).
    addPrimaryOutputs(this, config, key.keyArn);
  }
}
