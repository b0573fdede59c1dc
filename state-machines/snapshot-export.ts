import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { ALERT_HANDLERS } from '../functions/alerts/contracts';
import { ALERT_NOT_DELIVERED, ENV } from '../functions/commons/contracts';
import {
  EXPORT_ENV,
  EXPORT_HANDLERS,
  EXPORT_STATE,
  EXPORT_TAG,
  EXPORTS_PREFIX,
  type ExportCatalogEntry,
  RECORDS_PREFIX,
} from '../functions/export/contracts';
import { ALERT_ATTRIBUTE, EVERY_DATABASE } from '../functions/incidents/contracts';
import { rdsArns, rdsService } from './arns';
import { evidenceTags, ownSnapshots, perSnapshotType, taggedAsInstallation } from './backup-steps';
import { executionTimeoutSeconds } from './budget';
import { definitionOf, invoke, type PollPolicy, poll, SNS_PUBLISH_RETRY_ERRORS, workflowLogs } from './common';
import { kindOf, type ProtectedDatabase, problemsOfDatabases, refuse } from './databases';
import { at, LambdaStep } from './step';

/** A database whose monthly and yearly recovery points are exported, and where to. */
export interface ArchivedDatabase {
  /** The database, as the backup workflow protects it (its source snapshots in this region are exported). */
  readonly database: ProtectedDatabase;
  /** The archive bucket, in this region (RDS exports only into a bucket of the snapshot's region). */
  readonly bucket: s3.IBucket;
}

/**
 * How long an export is waited for: 5 minutes, then 1.5 times longer each time up to an hour, 60 checks: about 55
 * hours. RDS exports take from minutes to many hours by the snapshot's size.
 */
export const DEFAULT_EXPORT_POLL: PollPolicy = {
  interval: Duration.minutes(5),
  backoffRate: 1.5,
  maxDelay: Duration.hours(1),
  maxAttempts: 60,
};

export interface SnapshotExportProps {
  /** The databases to export, each with its archive bucket. */
  readonly databases: readonly ArchivedDatabase[];
  /**
   * A symmetric customer-managed key of this region: the exports are encrypted with it (RDS requires one), and the
   * workflow's logs and schedule. Give the archive buckets' own key, so one key protects the bucket and its exports.
   */
  readonly key: kms.IKey;
  /** Where failures are reported. */
  readonly alerts: sns.ITopic;
  /** The installation's name: whose snapshots are exported, the state machine's name. @default 'lifeline' */
  readonly installation?: string;
  /** When a run looks for settled points. @default - every day at 06:00 UTC */
  readonly schedule?: scheduler.ScheduleExpression;
  /**
   * Most exports one run starts (the first run after enabling exports may find a year of settled points). RDS runs a
   * limited number of export tasks at once per account. @default 5
   */
  readonly maxExportsPerRun?: number;
  /** How long to wait for one export. @default DEFAULT_EXPORT_POLL (about 55 h) */
  readonly exportPoll?: PollPolicy;
}

/**
 * The export of monthly and yearly recovery points to the archive bucket, as Parquet, by RDS (`StartExportTask`).
 *
 * It runs on its own schedule rather than at the end of each backup: a month's point is settled only once the month
 * is over, whichever backup run comes next, and an export takes hours that the backup's budget, its copy slots and
 * its alerts should not carry; a failed export never fails a backup. Each run plans (functions/export/plan-exports.ts:
 * the settled points not yet exported, never one twice), then per point: start the export, wait for it with backoff
 * (the check throws NotReady until RDS says COMPLETE, FAILED or CANCELED), record it (a JSON record in the bucket and a
 * tag on the snapshot), and alert on a failure through the incident path (kind `export-failed`). One failed export
 * does not stop the others; the execution ends failed if any did.
 */
export class SnapshotExport extends Construct {
  readonly stateMachine: sfn.StateMachine;
  /** The role RDS assumes to write the exports: trusted by export.rds.amazonaws.com only. */
  readonly exportRole: iam.Role;
  readonly schedule: scheduler.Schedule;
  /** The execution timeout: the worst case of every state's retries, plus a margin. */
  readonly timeoutSeconds: number;

  constructor(scope: Construct, id: string, props: SnapshotExportProps) {
    super(scope, id);
    const installation = props.installation ?? 'lifeline';
    const maxExports = props.maxExportsPerRun ?? 5;
    refuse(`SnapshotExport ${this.node.path}`, [
      ...problemsOfDatabases(
        installation,
        props.databases.map((d) => d.database),
      ),
      ...(props.databases.length === 0 ? ['needs at least one database'] : []),
      ...(Number.isInteger(maxExports) && maxExports >= 1 ? [] : [`maxExportsPerRun ${maxExports} must be at least 1`]),
    ]);
    const stack = Stack.of(this);
    const buckets = [...new Set(props.databases.map((d) => d.bucket))];

    // RDS writes the export under exports/ (StartExportTask's IamRoleArn documents the S3 actions: put, get, delete
    // objects, list the bucket, get its location). Deleting here adds a delete marker on a versioned bucket: the role
    // is not granted s3:DeleteObjectVersion, so it cannot destroy a version, nor touch the records.
    this.exportRole = new iam.Role(this, 'ExportRole', {
      assumedBy: new iam.ServicePrincipal('export.rds.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: `RDS snapshot exports of ${installation} into the archive buckets' ${EXPORTS_PREFIX} prefix`,
    });
    this.exportRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject', 's3:GetObject', 's3:DeleteObject'],
        resources: buckets.map((b) => b.arnForObjects(`${EXPORTS_PREFIX}*`)),
      }),
    );
    this.exportRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket', 's3:GetBucketLocation'],
        resources: buckets.map((b) => b.bucketArn),
      }),
    );
    // The key RDS encrypts the export with: the operations StartExportTask's KmsKeyId lists (made by the export
    // service as this role; which service it names in kms:ViaService is not documented); grants only for AWS resources.
    this.exportRole.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: EXPORT_KEY_USE, resources: [props.key.keyArn] }),
    );
    this.exportRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kms:CreateGrant'],
        resources: [props.key.keyArn],
        conditions: { Bool: { 'kms:GrantIsForAWSResource': true } },
      }),
    );

    const environment = {
      [ENV.installation]: installation,
      [EXPORT_ENV.roleArn]: this.exportRole.roleArn,
      [EXPORT_ENV.keyArn]: props.key.keyArn,
    };
    const step = <I, O>(
      name: string,
      contract: { readonly entry: string; readonly types?: { input: I; output: O } },
      description: string,
    ) => new LambdaStep<I, O>(this, name, contract, { description, logKey: props.key, environment });
    const { snapshots } = rdsArns(this);
    const { own } = ownSnapshots(this, { installation, drRegion: stack.region });
    const kinds = new Set(props.databases.map((d) => kindOf(d.database)));
    const describeSnapshots = [
      ...(kinds.has('instance') ? ['rds:DescribeDBSnapshots'] : []),
      ...(kinds.has('cluster') ? ['rds:DescribeDBClusterSnapshots'] : []),
    ];

    const planner = step('Plan', EXPORT_HANDLERS.plan, 'the choice of the recovery points to export')
      .allow(describeSnapshots, snapshots('*'))
      .allow(['rds:DescribeExportTasks'], ['*']);
    // StartExportTask and DescribeExportTasks name no resource type (Service Authorization Reference): the export is
    // bounded by what the role it passes may write (the exports/ prefix) and the snapshot ids the planner chose.
    const starter = step('Start', EXPORT_HANDLERS.start, 'the start of a snapshot export')
      .allow(['rds:StartExportTask', 'rds:DescribeExportTasks'], ['*'])
      .allow(['iam:PassRole'], [this.exportRole.roleArn])
      // The caller of StartExportTask must be allowed the key's use too (its KmsKeyId), which RDS makes on its behalf.
      .allow(EXPORT_KEY_USE, [props.key.keyArn], { StringEquals: { 'kms:ViaService': rdsService(this, stack.region) } })
      .allow(['kms:CreateGrant'], [props.key.keyArn], {
        StringEquals: { 'kms:ViaService': rdsService(this, stack.region) },
        Bool: { 'kms:GrantIsForAWSResource': true },
      })
      .allowAll(evidenceTags(installation, [own], { [EXPORT_TAG]: EXPORT_STATE.started }));
    const checker = step('Check', EXPORT_HANDLERS.check, 'the check whether a snapshot export has ended').allow(
      ['rds:DescribeExportTasks'],
      ['*'],
    );
    const recorder = step('Record', EXPORT_HANDLERS.record, 'the record of a snapshot export')
      // The sizes: the export's objects, listed under exports/ only.
      .allow(
        ['s3:ListBucket'],
        buckets.map((b) => b.bucketArn),
        { StringLike: { 's3:prefix': `${EXPORTS_PREFIX}*` } },
      )
      // The outcome on the snapshot: complete or failed, no other tag, on this installation's snapshots.
      .allowAll(
        perSnapshotType(['rds:AddTagsToResource'], [own], (type) => ({
          'ForAllValues:StringEquals': { 'aws:TagKeys': [EXPORT_TAG] },
          Null: { 'aws:TagKeys': 'false' },
          StringEquals: {
            ...taggedAsInstallation(installation, type).StringEquals,
            [`aws:RequestTag/${EXPORT_TAG}`]: [EXPORT_STATE.complete, EXPORT_STATE.failed],
          },
        })),
      );
    // The record only: a plain PutObject (no retention or legal-hold changes), encrypted by S3 under the bucket key.
    recorder
      .allow(
        ['s3:PutObject'],
        buckets.map((b) => b.arnForObjects(`${RECORDS_PREFIX}*`)),
      )
      .allow(['kms:GenerateDataKey'], [props.key.keyArn], {
        StringEquals: { 'kms:ViaService': `s3.${stack.region}.${stack.urlSuffix}` },
      });
    const explainer = step('ExplainFailure', ALERT_HANDLERS.explainFailure, 'the explanation of a failed export');

    // One point's export. Its failures are alerted here, in the item, so the other exports go on.
    const item = new ExportFailurePath(this, {
      explain: explainer,
      alerts: props.alerts,
      what: 'export',
      databasePath: '$.target.database',
    });
    const start = item.guard(
      starter.task(this, 'Start the export', { input: at('$.target'), resultPath: '$.started' }),
    );
    const wait = item.guard(
      poll(
        checker.task(this, 'Wait for the export', {
          input: { exportTaskId: at('$.target.exportTaskId') },
          resultPath: '$.result',
        }),
        props.exportPoll ?? DEFAULT_EXPORT_POLL,
      ),
    );
    const record = item.guard(
      recorder.task(this, 'Record the export', {
        input: { target: at('$.target'), result: at('$.result'), execution: at('$$.Execution.Id') },
        resultPath: '$.record',
      }),
    );
    const exported = new sfn.Pass(this, 'Exported', {
      parameters: {
        'snapshotId.$': '$.target.snapshotId',
        'exportTaskId.$': '$.target.exportTaskId',
        'record.$': '$.record.recordKey',
        outcome: 'exported',
      },
    });
    const endedBadly = new sfn.Pass(this, 'Take the ended export as the error', {
      parameters: {
        Error: 'ExportFailed',
        'Cause.$': sfn.JsonPath.format(
          'Export {} of snapshot {} ended {}: {}. Record: s3://{}/{}',
          sfn.JsonPath.stringAt('$.target.exportTaskId'),
          sfn.JsonPath.stringAt('$.target.snapshotId'),
          sfn.JsonPath.stringAt('$.result.status'),
          sfn.JsonPath.stringAt('$.record.cause'),
          sfn.JsonPath.stringAt('$.target.bucket'),
          sfn.JsonPath.stringAt('$.record.recordKey'),
        ),
      },
      resultPath: '$.error',
    }).next(item.entry('RDS ended the export without completing it'));
    start
      .next(wait)
      .next(record)
      .next(
        new sfn.Choice(this, 'Did the export complete?')
          .when(sfn.Condition.stringEquals('$.record.outcome', 'exported'), exported)
          .otherwise(endedBadly),
      );

    const catalog = catalogOf(props.databases);
    const planExports = planner.task(this, 'Plan the exports', {
      input: {
        catalog,
        maxExports,
        database: at('$.database'),
      },
      resultPath: '$.plan',
    });
    const each = new sfn.Map(this, 'Export each settled point', {
      itemsPath: '$.plan.exports',
      itemSelector: { 'target.$': '$$.Map.Item.Value' },
      maxConcurrency: maxExports,
      resultPath: '$.exported',
    });
    each.itemProcessor(start);
    const outcomes = new sfn.Pass(this, 'Collect the outcomes', {
      parameters: {
        'database.$': '$.database',
        'plan.$': '$.plan',
        'exported.$': '$.exported',
        'outcomes.$': '$.exported[*].outcome',
      },
    });
    const verdict = new sfn.Pass(this, 'Judge the run', {
      parameters: {
        'plan.$': '$.plan',
        'exported.$': '$.exported',
        'failed.$': `States.ArrayContains($.outcomes, 'failed')`,
        'notDelivered.$': `States.ArrayContains($.outcomes, 'alert-not-delivered')`,
      },
    });
    const done = new sfn.Choice(this, 'Did every export complete?')
      .when(
        sfn.Condition.booleanEquals('$.notDelivered', true),
        new sfn.Fail(this, 'Export alert not delivered', {
          error: ALERT_NOT_DELIVERED,
          cause:
            'An export failed and its alert could not be published: read the failed item in the execution history.',
        }),
      )
      .when(
        sfn.Condition.booleanEquals('$.failed', true),
        new sfn.Fail(this, 'An export failed', {
          error: 'ExportFailed',
          cause: 'At least one export failed; its alert (kind export-failed) says which and what to do.',
        }),
      )
      .otherwise(new sfn.Succeed(this, 'Exports complete'));

    // A plan that fails (RDS refuses a listing) is alerted for the databases of the run: nothing was started.
    new ExportFailurePath(this, {
      explain: explainer,
      alerts: props.alerts,
      what: 'plan',
      databasePath: '$.database',
    }).guard(planExports);

    const chain = sfn.Chain.start(
      new sfn.Choice(this, 'Is one database named?')
        .when(
          sfn.Condition.isPresent('$.database'),
          new sfn.Pass(this, 'The named database', { parameters: { 'database.$': '$.database' } }).next(planExports),
        )
        .otherwise(
          new sfn.Pass(this, 'Every database', { parameters: { database: EVERY_DATABASE } }).next(planExports),
        ),
    );
    // With nothing to export the Map would give an empty list, from which no outcome can be read.
    planExports.next(
      new sfn.Choice(this, 'Anything to export?')
        .when(sfn.Condition.isPresent('$.plan.exports[0]'), each)
        .otherwise(new sfn.Succeed(this, 'Nothing to export')),
    );
    each.next(outcomes).next(verdict).next(done);

    const { definition, options } = definitionOf(chain);
    this.timeoutSeconds = executionTimeoutSeconds(definition, { ...options, mapItems: maxExports });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: `${installation}-export`,
      definitionBody: sfn.DefinitionBody.fromChainable(chain),
      timeout: Duration.seconds(this.timeoutSeconds),
      tracingEnabled: true,
      logs: workflowLogs(this, props.key),
    });
    props.alerts.grantPublish(this.stateMachine);

    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      scheduleName: `${installation}-export`,
      description: 'Export the settled monthly and yearly recovery points to the archive buckets',
      schedule: props.schedule ?? scheduler.ScheduleExpression.cron({ minute: '0', hour: '6' }),
      key: props.key,
      target: new targets.StepFunctionsStartExecution(this.stateMachine, {
        input: scheduler.ScheduleTargetInput.fromObject({}),
        retryAttempts: 3,
      }),
    });
  }
}

/** What StartExportTask's KmsKeyId asks its caller to be allowed, besides kms:CreateGrant (API reference). */
const EXPORT_KEY_USE = [
  'kms:Encrypt',
  'kms:Decrypt',
  'kms:GenerateDataKey',
  'kms:GenerateDataKeyWithoutPlaintext',
  'kms:ReEncryptFrom',
  'kms:ReEncryptTo',
  'kms:DescribeKey',
  'kms:RetireGrant',
];

/** What the planner needs of each database, embedded in the definition. */
function catalogOf(databases: readonly ArchivedDatabase[]): ExportCatalogEntry[] {
  return databases.map(({ database: db, bucket }) => ({
    id: db.id,
    kind: kindOf(db),
    timeZone: db.timeZone ?? 'UTC',
    copyToDr: db.copyToDr ?? true,
    retention: db.retention,
    bucket: bucket.bucketName,
  }));
}

/**
 * The failure path of one export (or of the plan): explain the failure in words an on-call person can act on, publish
 * it to the alert topic with the attributes the incident sink opens an `export-failed` incident from, then end: an
 * export item with its outcome (`failed`, or `alert-not-delivered` when the explanation or the publish failed) so the
 * other exports go on; the plan with the execution failed.
 */
class ExportFailurePath {
  private readonly explainAndAlert: sfn.IChainable;

  constructor(
    private readonly scope: Construct,
    private readonly props: {
      readonly explain: LambdaStep<unknown>;
      readonly alerts: sns.ITopic;
      /** `export`: the path inside one export item; `plan`: the run's own. */
      readonly what: 'export' | 'plan';
      readonly databasePath: string;
    },
  ) {
    const what = props.what;
    const explain = invoke(scope, `Explain the failed ${what}`, props.explain.function, {
      payload: {
        workflow: 'export',
        'database.$': props.databasePath,
        'step.$': '$.failedStep',
        'error.$': '$.error',
        'execution.$': '$$.Execution.Id',
      },
      resultPath: '$.alert',
    });
    const publish = new tasks.SnsPublish(scope, `Publish the ${what} failure alert`, {
      topic: props.alerts,
      subject: sfn.JsonPath.stringAt('$.alert.subject'),
      message: sfn.TaskInput.fromJsonPathAt('$.alert.message'),
      messageAttributes: {
        [ALERT_ATTRIBUTE.kind]: { value: 'export-failed' },
        [ALERT_ATTRIBUTE.database]: { value: sfn.JsonPath.stringAt(props.databasePath) },
        [ALERT_ATTRIBUTE.execution]: { value: sfn.JsonPath.stringAt('$$.Execution.Id') },
      },
      resultPath: sfn.JsonPath.DISCARD,
    }).addRetry({ errors: SNS_PUBLISH_RETRY_ERRORS, interval: Duration.seconds(5), backoffRate: 2, maxAttempts: 5 });
    const item = what === 'export';
    const alerted: sfn.IChainable = item
      ? new sfn.Pass(scope, 'Note the export failed', {
          parameters: {
            'snapshotId.$': '$.target.snapshotId',
            'exportTaskId.$': '$.target.exportTaskId',
            'error.$': '$.error',
            outcome: 'failed',
          },
        })
      : new sfn.Fail(scope, 'The plan failed', { errorPath: '$.error.Error', causePath: '$.alert.message' });
    const notDelivered: sfn.IChainable = item
      ? new sfn.Pass(scope, 'Note the export alert was not delivered', {
          parameters: {
            'snapshotId.$': '$.target.snapshotId',
            'exportTaskId.$': '$.target.exportTaskId',
            'error.$': '$.error',
            'alertError.$': '$.alertError',
            outcome: 'alert-not-delivered',
          },
        })
      : new sfn.Fail(scope, 'The plan failure alert was not delivered', {
          error: ALERT_NOT_DELIVERED,
          cause:
            'The export plan failed and its alert could not be explained or published: read the execution history.',
        });
    explain.addCatch(notDelivered, { resultPath: '$.alertError' });
    publish.addCatch(notDelivered, { resultPath: '$.alertError' });
    this.explainAndAlert = explain.next(publish).next(alerted);
  }

  /** Sends every error of `state` down the path, naming its step. */
  guard<T extends sfn.TaskStateBase>(state: T): T {
    state.addCatch(this.entry(state.id), { resultPath: '$.error' });
    return state;
  }

  /** A state that starts the path for `step`; expects the error at `$.error`. */
  entry(step: string): sfn.Pass {
    const note = new sfn.Pass(this.scope, `Note the failed ${this.props.what} step: ${step}`, {
      result: sfn.Result.fromString(step),
      resultPath: '$.failedStep',
    });
    note.next(this.explainAndAlert);
    return note;
  }
}
