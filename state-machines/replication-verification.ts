import { Aws, Duration, Stack, TimeZone, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ALERT_HANDLERS } from '../functions/alerts/contracts';
import {
  ARCHIVE_ENV,
  ARCHIVE_HANDLERS,
  INVENTORY_ID,
  INVENTORY_PREFIX,
  VERIFICATION_PREFIX,
  type VerifiedBucket,
} from '../functions/archive/contracts';
import { ENV, type HandlerContract } from '../functions/commons/contracts';
import { FailurePath, workflowLogs } from './common';
import { at, LambdaStep } from './step';

/** Where one side's inventory is delivered. */
export interface InventorySide {
  /** The inventoried bucket's name. */
  readonly bucketName: string;
  readonly region: string;
  /** The name of the bucket its inventory is delivered to (in `region`). */
  readonly inventoryBucketName: string;
}

/** A protected bucket and its replica, compared on a schedule. */
export interface VerifiedBucketPair {
  /** The bucket's id: the execution input's `bucket`, and the incident's subject. */
  readonly id: string;
  readonly source: InventorySide;
  /** The replica; its inventory bucket is `ReplicationVerificationProps.work`'s region's. */
  readonly replica: InventorySide;
  /** @default - daily at 08:00 UTC, after S3 has delivered the day's inventories */
  readonly schedule?: scheduler.ScheduleExpression;
  /** Compare ETags too (a replica keeps its source's). @default true */
  readonly compareEtag?: boolean;
}

export interface ReplicationVerificationProps {
  /** The installation's name: the state machine's name prefix. @default 'lifeline' */
  readonly installation?: string;
  readonly buckets: readonly VerifiedBucketPair[];
  /** This region's key: logs, the work area, the schedules. */
  readonly key: kms.IKey;
  /** This region's inventory bucket (the replicas' inventories): the work area of each run is written there. */
  readonly work: s3.IBucket;
  /** The alias (`alias/<name>`) of the key the source region's inventory bucket is encrypted under. */
  readonly sourceKeyAlias: string;
  /** Discrepancies, late replication and failures of the verification itself are published here. */
  readonly alerts: sns.ITopic;
  /** Where the report (JSON) is kept. @default - the report is the execution's output */
  readonly reports?: s3.IBucket;
  /** The incident sink's intake: a completed run closes the bucket's replication incidents it no longer finds. @default - none */
  readonly incidentIntake?: lambda.IFunction;
  /** How many inventory files, and partitions, are worked on at once. @default 50 */
  readonly maxConcurrency?: number;
}

/**
 * Compares the newest S3 Inventory of each protected bucket with its replica's, at any size:
 * 1. plan: the newest manifest of each side; the list of their data files written for the next step;
 * 2. a Distributed Map over those files (ItemReader): each child streams one file (gunzip, line by line) and writes
 *    its rows as sorted runs, split by a hash of the key into partitions, buffering at most 100,000 rows;
 * 3. a Distributed Map over the partitions: each child merges the runs of both sides (one row per run in memory)
 *    into the diff's merge-join and writes a partial summary (counts and at most 20 samples per kind);
 * 4. the report adds the summaries, keeps the report, and alerts through the incident path on missing, different
 *    or failed versions (`replication-discrepancy`) and on a version older than RTC's 15 minutes not yet replicated
 *    (`replication-late`).
 * Runs in the DR region: it reads the primary region's inventories there, and keeps reporting while that region
 * is impaired (the plan then fails, and the failure alerts).
 */
export class ReplicationVerification extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly functions: Readonly<Record<'plan' | 'partition' | 'compare' | 'report', LambdaStep<unknown, unknown>>>;

  constructor(scope: Construct, id: string, props: ReplicationVerificationProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const installation = props.installation ?? 'lifeline';
    const ids = props.buckets.map((b) => b.id);
    const duplicate = ids.find((b, i) => ids.indexOf(b) !== i);
    if (duplicate) throw new Error(`ReplicationVerification ${this.node.path}: bucket "${duplicate}" is listed twice`);
    for (const bucket of props.buckets)
      if (!Token.isUnresolved(stack.region) && bucket.replica.region !== stack.region)
        throw new Error(
          `ReplicationVerification ${this.node.path}: the replica of "${bucket.id}" is in ${bucket.replica.region}, not in this stack's region ${stack.region}, where its inventory and the work area are`,
        );
    const verified: Record<string, VerifiedBucket> = Object.fromEntries(
      props.buckets.map((b) => [
        b.id,
        {
          id: b.id,
          source: location(b.source),
          replica: location(b.replica),
          compareEtag: b.compareEtag ?? true,
        },
      ]),
    );
    const step = <I, O>(name: string, contract: HandlerContract<I, O>, description: string, big = false) =>
      new LambdaStep<I, O>(this, name, contract, {
        description,
        logKey: props.key,
        timeout: big ? Duration.minutes(15) : Duration.minutes(2),
        memorySize: big ? 1024 : 256,
        environment: {
          [ARCHIVE_ENV.verifiedBuckets]: JSON.stringify(verified),
          [ARCHIVE_ENV.workBucket]: props.work.bucketName,
          ...(props.reports ? { [ENV.reportsBucket]: props.reports.bucketName } : {}),
          [ENV.alertsTopicArn]: props.alerts.topicArn,
        },
      });
    const plan = step('Plan', ARCHIVE_HANDLERS.planVerification, 'Replication verification: the newest inventories');
    const partition = step(
      'Partition',
      ARCHIVE_HANDLERS.partitionFile,
      'Replication verification: one inventory file into sorted runs',
      true,
    );
    const compare = step(
      'Compare',
      ARCHIVE_HANDLERS.comparePartition,
      'Replication verification: one partition of both inventories',
      true,
    );
    const report = step('Report', ARCHIVE_HANDLERS.reportVerification, 'Replication verification: report and alerts');
    const explain = new LambdaStep(this, 'ExplainFailure', ALERT_HANDLERS.explainFailure, {
      description: 'The explanation of a failed replication verification',
      logKey: props.key,
    });
    this.functions = { plan, partition, compare, report } as never;

    // What each function reads and writes: the inventories of both sides, the work area, the reports.
    const inventoryObjects = props.buckets.flatMap((b) =>
      [b.source, b.replica].map(
        (side) =>
          `arn:${Aws.PARTITION}:s3:::${side.inventoryBucketName}/${INVENTORY_PREFIX}/${side.bucketName}/${INVENTORY_ID}/*`,
      ),
    );
    const inventoryBuckets = [
      ...new Set(props.buckets.flatMap((b) => [b.source, b.replica].map((s) => s.inventoryBucketName))),
    ];
    const listInventories = new iam.PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: inventoryBuckets.map((name) => `arn:${Aws.PARTITION}:s3:::${name}`),
      conditions: { StringLike: { 's3:prefix': [`${INVENTORY_PREFIX}/*`] } },
    });
    const work = (suffix: string) => props.work.arnForObjects(`${VERIFICATION_PREFIX}${suffix}`);
    const listWork = new iam.PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: [props.work.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${VERIFICATION_PREFIX}*`] } },
    });
    const sourceRegions = [...new Set(props.buckets.map((b) => b.source.region))];
    // The source inventories are under the source region's key, known here by its alias; used only through S3.
    const sourceKey = new iam.PolicyStatement({
      actions: ['kms:Decrypt'],
      resources: sourceRegions.map((region) =>
        stack.formatArn({ service: 'kms', region, resource: 'key', resourceName: '*' }),
      ),
      conditions: {
        'ForAnyValue:StringEquals': { 'kms:ResourceAliases': props.sourceKeyAlias },
        StringEquals: { 'kms:ViaService': sourceRegions.map((region) => `s3.${region}.${Aws.URL_SUFFIX}`) },
      },
    });
    const localKey = (actions: string[]) =>
      new iam.PolicyStatement({
        actions,
        resources: [props.key.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${stack.region}.${Aws.URL_SUFFIX}` } },
      });
    plan
      .allowAll([listInventories, listWork, sourceKey, localKey(['kms:Decrypt', 'kms:GenerateDataKey'])])
      .allow(['s3:GetObject'], inventoryObjects)
      .allow(['s3:PutObject'], [work('*/files.json')]);
    partition
      .allowAll([sourceKey, localKey(['kms:Decrypt', 'kms:GenerateDataKey'])])
      .allow(['s3:GetObject'], inventoryObjects)
      .allow(['s3:PutObject'], [work('*/runs/*')]);
    compare
      .allowAll([listWork, localKey(['kms:Decrypt', 'kms:GenerateDataKey'])])
      .allow(['s3:GetObject'], [work('*/runs/*')])
      .allow(['s3:PutObject'], [work('*/summaries/*')]);
    report
      .allowAll([listWork, localKey(['kms:Decrypt', 'kms:GenerateDataKey'])])
      .allow(['s3:GetObject'], [work('*/summaries/*')]);
    if (props.reports) report.allow(['s3:PutObject'], [props.reports.arnForObjects('replication/*')]);
    props.alerts.grantPublish(report.function);
    if (props.incidentIntake) {
      report.function.addEnvironment(ENV.incidentIntake, props.incidentIntake.functionName);
      props.incidentIntake.grantInvoke(report.role);
    }

    const failure = new FailurePath(this, {
      workflow: 'replication-verification',
      databasePath: '$$.Execution.Input.bucket',
      explain: explain.function,
      alerts: props.alerts,
    });
    const planTask = failure.guard(
      plan.task(this, 'Find the newest inventory of each side', {
        input: { request: at('$'), execution: at('$$.Execution.Id') },
        resultPath: '$.plan',
      }),
    );
    const concurrency = props.maxConcurrency ?? 50;
    const partitionFiles = new sfn.DistributedMap(this, 'Split every inventory file into sorted partitions', {
      itemReader: new sfn.S3JsonItemReader({
        bucketNamePath: sfn.JsonPath.stringAt('$.plan.workBucket'),
        key: sfn.JsonPath.stringAt('$.plan.filesKey'),
      }),
      maxConcurrency: concurrency,
      mapExecutionType: sfn.StateMachineType.EXPRESS,
      resultPath: sfn.JsonPath.DISCARD,
    });
    partitionFiles.itemProcessor(partition.task(this, 'Split one inventory file', {}));
    const comparePartitions = new sfn.DistributedMap(this, 'Compare both inventories partition by partition', {
      itemsPath: '$.plan.partitionList',
      itemSelector: {
        partition: sfn.JsonPath.stringAt('$$.Map.Item.Value'),
        workBucket: sfn.JsonPath.stringAt('$.plan.workBucket'),
        workPrefix: sfn.JsonPath.stringAt('$.plan.workPrefix'),
        replicaListedAt: sfn.JsonPath.stringAt('$.plan.replica.listedAt'),
        compareEtag: sfn.JsonPath.stringAt('$.plan.compareEtag'),
      },
      maxConcurrency: concurrency,
      mapExecutionType: sfn.StateMachineType.EXPRESS,
      resultPath: sfn.JsonPath.DISCARD,
    });
    comparePartitions.itemProcessor(compare.task(this, 'Compare one partition', {}));
    const reportTask = report.task(this, 'Report and alert on what differs', {
      input: { plan: at('$.plan'), execution: at('$$.Execution.Id') },
      resultPath: '$.outcome',
    });
    const done = new sfn.Pass(this, 'Replication verified', { outputPath: '$.outcome' });
    // A Distributed Map fails when a child does (no tolerated failures): a partition left out would hide its versions.
    partitionFiles.addCatch(failure.entry(partitionFiles.id), { resultPath: '$.error' });
    comparePartitions.addCatch(failure.entry(comparePartitions.id), { resultPath: '$.error' });
    const chain = planTask.next(partitionFiles).next(comparePartitions).next(failure.guard(reportTask)).next(done);
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: `${installation}-replication-verification`,
      definitionBody: sfn.DefinitionBody.fromChainable(chain),
      timeout: Duration.hours(6),
      tracingEnabled: true,
      logs: workflowLogs(this, props.key),
    });
    props.alerts.grantPublish(this.stateMachine);
    // The first map's ItemReader reads the run's file list as the state machine's role.
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [work('*/files.json')] }),
    );
    this.stateMachine.addToRolePolicy(localKey(['kms:Decrypt']));

    const group = new scheduler.ScheduleGroup(this, 'Schedules', {
      scheduleGroupName: `${installation}-replication-verification`,
    });
    for (const bucket of props.buckets)
      new scheduler.Schedule(this, `Verify-${bucket.id}`, {
        scheduleName: `${installation}-verify-${bucket.id}`,
        description: `Replication verification of ${bucket.id} against its replica in ${bucket.replica.region}`,
        scheduleGroup: group,
        schedule:
          bucket.schedule ?? scheduler.ScheduleExpression.cron({ minute: '0', hour: '8', timeZone: TimeZone.ETC_UTC }),
        key: props.key,
        target: new targets.StepFunctionsStartExecution(this.stateMachine, {
          input: scheduler.ScheduleTargetInput.fromObject({ bucket: bucket.id }),
          retryAttempts: 3,
        }),
      });
  }
}

function location(side: InventorySide) {
  return {
    bucket: side.bucketName,
    region: side.region,
    inventoryBucket: side.inventoryBucketName,
    prefix: INVENTORY_PREFIX,
    configId: INVENTORY_ID,
  };
}
