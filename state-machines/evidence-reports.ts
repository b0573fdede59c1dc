import { Arn, ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { ENV } from '../functions/commons/contracts';
import {
  EVIDENCE_ENV,
  EVIDENCE_HANDLERS,
  type EvidenceEnv,
  type EvidenceRequest,
  type ProtectedBucketSummary,
  type ProtectedDatabase,
} from '../functions/evidence/contracts';
import { rdsArns } from './arns';
import { LambdaStep } from './step';

export interface EvidenceReportsProps {
  /** The installation's name: schedule names and the roll-up's title. @default 'lifeline' */
  readonly installation?: string;
  readonly key: kms.IKey;
  /** The locked reports bucket: drill reports and histories are read from it, the roll-ups written to `evidence/`. */
  readonly reportsBucket: s3.IBucket;
  readonly databases: readonly ProtectedDatabase[];
  readonly buckets?: readonly ProtectedBucketSummary[];
  /** The backup workflow, by name and region (it is in the primary region). @default - backups are not counted */
  readonly backup?: { readonly stateMachineName: string; readonly region: string };
  /** Where the digest of each roll-up is published. @default - no digest */
  readonly reportTopic?: sns.ITopic;
  /** The databases that fail over through the failover runbook: their records are rolled up. @default - none */
  readonly failoverDatabases?: readonly string[];
  /**
   * Each archived database's bucket here (the archive bucket's replica, under `key`): its export records and dump
   * manifests are rolled up. @default - none
   */
  readonly archives?: readonly {
    readonly database: string;
    readonly bucket: s3.IBucket;
    readonly export: boolean;
    readonly dump: boolean;
  }[];
  /** @default every Monday 06:00 UTC, for the week before */
  readonly weekly?: scheduler.ScheduleExpression;
  /** @default the 1st of every month 06:00 UTC, for the month before */
  readonly monthly?: scheduler.ScheduleExpression;
}

/**
 * The week's and the month's evidence: a scheduled function rolls up the backups (from the backup workflow's
 * executions), the restore drills (from their reports), and what is overdue, and writes the roll-up as JSON and HTML
 * to the reports bucket under `evidence/<week|month>/<label>`, each underlying record cited with its SHA-256, then
 * publishes a short digest. The month's roll-up is the bundle an auditor asks for. Run it by hand for any period:
 * invoke the function with `{"period":"2026-11"}`.
 */
export class EvidenceReports extends Construct {
  readonly function: LambdaStep<EvidenceRequest>;

  constructor(scope: Construct, id: string, props: EvidenceReportsProps) {
    super(scope, id);
    const installation = props.installation ?? 'lifeline';
    const stack = Stack.of(this);
    const machine = (resource: 'stateMachine' | 'execution', name: string, region: string) =>
      Arn.format(
        { service: 'states', region, resource, resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME },
        stack,
      );
    const backupArn = props.backup && machine('stateMachine', props.backup.stateMachineName, props.backup.region);
    const config: EvidenceEnv = {
      installation,
      ...(backupArn ? { backup: { stateMachineArn: backupArn } } : {}),
      databases: props.databases,
      buckets: props.buckets ?? [],
      ...(props.failoverDatabases?.length ? { failoverDatabases: props.failoverDatabases } : {}),
      ...(props.archives?.length
        ? {
            archives: props.archives.map((a) => ({
              database: a.database,
              bucketName: a.bucket.bucketName,
              export: a.export,
              dump: a.dump,
            })),
          }
        : {}),
      ...(props.reportTopic ? { reportTopicArn: props.reportTopic.topicArn } : {}),
    };
    this.function = new LambdaStep(this, 'Report', EVIDENCE_HANDLERS.report, {
      description:
        "the evidence report: the week's or month's backups, drills and findings, with every record's checksum",
      functionName: `${installation}-evidence`,
      logKey: props.key,
      timeout: Duration.minutes(10),
      environment: {
        [EVIDENCE_ENV]: JSON.stringify(config),
        [ENV.reportsBucket]: props.reportsBucket.bucketName,
      },
    });
    // Each drilled database's history and reports, read; the roll-ups, written: those keys and no others.
    const drilled = props.databases.filter((db) => db.drillCadenceSeconds !== undefined).map((db) => db.id);
    const objects = (keys: string[]) => keys.map((k) => props.reportsBucket.arnForObjects(k));
    if (drilled.length > 0)
      this.function.allow(
        ['s3:GetObject'],
        objects(drilled.flatMap((id) => [`history/${id}/index.json`, `drills/${id}/*`])),
      );
    // Read only, and listed only by these prefixes: failover records, replication verification reports.
    const listed = [
      ...(props.failoverDatabases ?? []).map((id) => `failovers/${id}/`),
      ...(props.buckets ?? []).filter((b) => b.replicate).map((b) => `replication/${b.id}/`),
    ];
    if (listed.length > 0) {
      this.function.allow(['s3:GetObject'], objects(listed.map((p) => `${p}*`)));
      this.function.allow(['s3:ListBucket'], [props.reportsBucket.bucketArn], {
        StringLike: { 's3:prefix': listed.map((p) => `${p}*`) },
      });
    }
    for (const archive of props.archives ?? []) {
      const prefixes = [
        ...(archive.export ? [`records/exports/${archive.database}/`] : []),
        ...(archive.dump ? [`dumps/${archive.database}/`] : []),
      ];
      if (prefixes.length === 0) continue;
      this.function.allow(
        ['s3:GetObject'],
        prefixes.map((p) => archive.bucket.arnForObjects(p.startsWith('dumps/') ? `${p}*.manifest.json` : `${p}*`)),
      );
      this.function.allow(['s3:ListBucket'], [archive.bucket.bucketArn], {
        StringLike: { 's3:prefix': prefixes.map((p) => `${p}*`) },
      });
    }
    // The retention check lists the DR copies (RDS cannot filter by tag in the call).
    const { arn } = rdsArns(this);
    const checked = props.databases.filter((db) => db.kind && db.copyToDr !== false);
    if (checked.some((db) => db.kind === 'instance'))
      this.function.allow(['rds:DescribeDBSnapshots'], [arn('snapshot', '*')]);
    if (checked.some((db) => db.kind === 'cluster'))
      this.function.allow(['rds:DescribeDBClusterSnapshots'], [arn('cluster-snapshot', '*')]);
    this.function
      .allow(['s3:PutObject'], objects(['evidence/week/*', 'evidence/month/*']))
      // The bucket is encrypted with this region's key: reading decrypts, writing needs a data key.
      .allow(['kms:Decrypt', 'kms:GenerateDataKey'], [props.key.keyArn], {
        StringEquals: { 'kms:ViaService': `s3.${stack.region}.${stack.urlSuffix}` },
      });
    if (props.backup && backupArn) {
      this.function.allow(['states:ListExecutions'], [backupArn]);
      this.function.allow(
        ['states:DescribeExecution'],
        [machine('execution', `${props.backup.stateMachineName}:*`, props.backup.region)],
      );
    }
    props.reportTopic?.grantPublish(this.function.role);
    const schedule = (id: string, kind: 'week' | 'month', expression: scheduler.ScheduleExpression) =>
      new scheduler.Schedule(this, id, {
        scheduleName: `${installation}-evidence-${kind}`,
        description: `Roll up the evidence of the last complete ${kind}`,
        schedule: expression,
        key: props.key,
        target: new targets.LambdaInvoke(this.function.function, {
          retryAttempts: 2,
          input: scheduler.ScheduleTargetInput.fromObject({
            kind,
            scheduledTime: scheduler.ContextAttribute.scheduledTime,
          }),
        }),
      });
    schedule(
      'Weekly',
      'week',
      props.weekly ?? scheduler.ScheduleExpression.cron({ weekDay: 'MON', hour: '6', minute: '0' }),
    );
    schedule(
      'Monthly',
      'month',
      props.monthly ?? scheduler.ScheduleExpression.cron({ day: '1', hour: '6', minute: '0' }),
    );
  }
}
