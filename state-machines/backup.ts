import { Arn, ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { CatalogEntry } from '../functions/backup/contracts';
import { INSTALLATION_ENV, TAG } from '../functions/backup/contracts';
import { COPY_SLOT_RETRY } from '../functions/backup/copy-slots';
import type { LifelineConfig } from '../infra/config/schema';
import { LifelineFunction, type LifelineFunctionProps } from '../infra/constructs/lifeline-function';
import { keyAlias, rdsKeyUse } from '../infra/stacks/keys';
import { vaultCopierRoleName, vaultCopySourceRoleName } from '../infra/stacks/vault-stack';
import { executionTimeoutSeconds } from './budget';
import {
  definitionOf,
  FailurePath,
  invoke,
  type PollPolicy,
  poll,
  RDS_SDK_THROTTLING_ERRORS,
  workflowLogs,
} from './common';

export interface BackupWorkflowProps {
  readonly config: LifelineConfig;
  /** Key for logs and anything Lifeline stores in the primary region. */
  readonly key: kms.IKey;
  /** Where failures are reported. */
  readonly alerts: sns.ITopic;
  /** How long to wait for a new snapshot. @default 60 s, ×1.5, at most 10 min apart, 30 checks (about 4.5 h) */
  readonly snapshotPoll?: PollPolicy;
  /** How long to wait for the DR copy, and for the copies to the vault. @default 60 s, ×1.5, at most 15 min apart, 100 checks (about 24 h) */
  readonly copyPoll?: PollPolicy;
}

export const DEFAULT_SNAPSHOT_POLL: PollPolicy = {
  interval: Duration.seconds(60),
  backoffRate: 1.5,
  maxDelay: Duration.minutes(10),
  maxAttempts: 30,
};

/**
 * RDS refuses a snapshot while the database is busy (backing up, modifying, upgrading); that passes, so the
 * request is retried for about 2.7 h before the backup is called failed.
 */
export const BUSY_DATABASE_RETRY = {
  errors: ['InvalidDBInstanceStateFault', 'InvalidDBClusterStateFault'],
  interval: Duration.seconds(60),
  backoffRate: 1.5,
  maxDelay: Duration.minutes(10),
  maxAttempts: 20,
} as const;

export const DEFAULT_COPY_POLL: PollPolicy = {
  interval: Duration.seconds(60),
  backoffRate: 1.5,
  maxDelay: Duration.minutes(15),
  maxAttempts: 100,
};

/**
 * The backup of one database, as a runbook: validate the request, snapshot, wait until the snapshot is
 * available, mark it as Lifeline's recovery point, copy it to the DR region under the DR key (holding one
 * of a limited number of copy slots), verify the copy, prune both regions by retention, record the run.
 * Every failure is explained and alerted.
 */
export class BackupWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  /** One item per destination region: the copies in progress there. */
  readonly copySlots: dynamodb.Table;
  /** The execution timeout: the worst case of every state's retries, plus a margin. */
  readonly timeoutSeconds: number;

  constructor(scope: Construct, id: string, props: BackupWorkflowProps) {
    super(scope, id);
    const { config, key } = props;
    const stack = Stack.of(this);
    this.copySlots = new dynamodb.Table(this, 'CopySlots', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: key,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    });
    const { vault } = config;
    const vaultRoleArn = vault
      ? Arn.format(
          {
            service: 'iam',
            region: '',
            account: vault.account,
            resource: 'role',
            resourceName: vaultCopierRoleName(config.name),
          },
          stack,
        )
      : undefined;
    const vaultEnvironment: Record<string, string> =
      vault && vaultRoleArn
        ? {
            VAULT_ACCOUNT: vault.account,
            // The vault copy is made from the DR copy, in the DR region: AWS copies across accounts within a region.
            VAULT_REGION: config.drRegion,
            VAULT_ROLE_ARN: vaultRoleArn,
            VAULT_KEY_ALIAS: keyAlias(config.name, 'vault'),
          }
        : {};
    const fn = (name: string, entry: string, description: string, extra: Partial<LifelineFunctionProps> = {}) =>
      new LifelineFunction(this, name, {
        ...extra,
        entry,
        description,
        logKey: key,
        environment: {
          ...vaultEnvironment,
          SNAPSHOT_QUOTA: String(config.snapshotQuota),
          DR_REGION: config.drRegion,
          DR_KEY_ALIAS: keyAlias(config.name, 'dr'),
          COPY_SLOTS_TABLE: this.copySlots.tableName,
          COPY_SLOT_LIMIT: String(config.copySlots),
          ALERTS_TOPIC_ARN: props.alerts.topicArn,
          [INSTALLATION_ENV]: config.name,
        },
      });
    const validate = fn('ValidateRequest', 'functions/backup/validate-request.ts', 'the check of a backup request');
    const create = fn('CreateSnapshot', 'functions/backup/create-snapshot.ts', 'the creation of a Lifeline snapshot');
    const check = fn(
      'CheckSnapshot',
      'functions/backup/check-snapshot.ts',
      'the check whether a snapshot is available',
    );
    const explain = fn('ExplainFailure', 'functions/alerts/explain-failure.ts', 'the explanation of a failed backup');
    const slot = fn('CopySlot', 'functions/backup/copy-slot.ts', 'the copy-slot semaphore');
    const copier = fn('CopySnapshot', 'functions/backup/copy-snapshot.ts', 'the start of a copy to the DR region');
    const verifier = fn('VerifyCopy', 'functions/backup/verify-copy.ts', 'the verification of a DR copy');
    const pruner = fn('Prune', 'functions/backup/prune.ts', 'the pruning of recovery points by retention');
    const recorder = fn('RecordRun', 'functions/backup/record-run.ts', 'the record of a backup run');
    this.copySlots.grantReadWriteData(slot.role);
    props.alerts.grantPublish(recorder.role);

    const rdsArn = (resource: string, name: string, region = stack.region) =>
      Arn.format(
        { service: 'rds', resource, resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME, region },
        stack,
      );
    const sources = config.databases.map((db) => rdsArn(db.kind === 'cluster' ? 'cluster' : 'db', db.identifier));
    const ownSnapshots = [rdsArn('snapshot', 'lifeline-*'), rdsArn('cluster-snapshot', 'lifeline-*')];
    const ownCopies = [
      rdsArn('snapshot', 'lifeline-*', config.drRegion),
      rdsArn('cluster-snapshot', 'lifeline-*', config.drRegion),
    ];
    const anySnapshot = (region: string) => [rdsArn('snapshot', '*', region), rdsArn('cluster-snapshot', '*', region)];
    const describe = ['rds:DescribeDBSnapshots', 'rds:DescribeDBClusterSnapshots'];
    copier.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['rds:CopyDBSnapshot', 'rds:CopyDBClusterSnapshot', 'rds:AddTagsToResource'],
        resources: [...ownSnapshots, ...ownCopies],
      }),
    );
    copier.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: describe, resources: anySnapshot(config.drRegion) }),
    );
    // Before copying, the source is read: an unencrypted Aurora cluster snapshot cannot be copied under the DR key.
    copier.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['rds:DescribeDBClusterSnapshots'], resources: [ownSnapshots[1] as string] }),
    );
    // The DR key is found by its alias; only that key may be used, and RDS in the DR region is granted its use.
    const drKeys = [Arn.format({ service: 'kms', region: config.drRegion, resource: 'key', resourceName: '*' }, stack)];
    const drAlias = { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': keyAlias(config.name, 'dr') } };
    copier.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['kms:DescribeKey'], resources: drKeys, conditions: drAlias }),
    );
    copier.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kms:CreateGrant'],
        resources: drKeys,
        conditions: {
          ...drAlias,
          StringEquals: { 'kms:ViaService': `rds.${config.drRegion}.${stack.urlSuffix}` },
          Bool: { 'kms:GrantIsForAWSResource': true },
        },
      }),
    );
    // Sources under a customer-managed key: RDS reads them with that key, in the source region (where the
    // source snapshot is) or the DR region (where the copy is requested).
    const sourceKeys = sourceKeysOf(config);
    if (sourceKeys.length > 0)
      for (const statement of rdsKeyUse(sourceKeys, [stack.region, config.drRegion]))
        copier.role.addToPrincipalPolicy(statement);
    verifier.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: describe, resources: anySnapshot(config.drRegion) }),
    );
    verifier.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['rds:AddTagsToResource'], resources: [...ownSnapshots, ...ownCopies] }),
    );
    pruner.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: describe,
        resources: [...anySnapshot(stack.region), ...anySnapshot(config.drRegion)],
      }),
    );
    // Deletion is limited three times: to lifeline-* names, to snapshots tagged as Lifeline's, and as this installation's.
    pruner.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['rds:DeleteDBSnapshot'],
        resources: [rdsArn('snapshot', 'lifeline-*'), rdsArn('snapshot', 'lifeline-*', config.drRegion)],
        conditions: {
          StringEquals: {
            'rds:snapshot-tag/lifeline:managed-by': 'lifeline',
            [`rds:snapshot-tag/${TAG.installation}`]: config.name,
          },
        },
      }),
    );
    pruner.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['rds:DeleteDBClusterSnapshot'],
        resources: [
          rdsArn('cluster-snapshot', 'lifeline-*'),
          rdsArn('cluster-snapshot', 'lifeline-*', config.drRegion),
        ],
        conditions: {
          StringEquals: {
            'rds:cluster-snapshot-tag/lifeline:managed-by': 'lifeline',
            [`rds:cluster-snapshot-tag/${TAG.installation}`]: config.name,
          },
        },
      }),
    );
    create.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['rds:CreateDBSnapshot', 'rds:CreateDBClusterSnapshot'],
        resources: [...sources, ...ownSnapshots],
      }),
    );
    // The new snapshot is tagged as it is created; the protected databases themselves are never tagged.
    create.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['rds:AddTagsToResource'], resources: ownSnapshots }),
    );
    for (const reader of [create, check]) {
      reader.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['rds:DescribeDBSnapshots', 'rds:DescribeDBClusterSnapshots'],
          resources: [rdsArn('snapshot', '*'), rdsArn('cluster-snapshot', '*'), ...sources],
        }),
      );
    }

    const failure = new FailurePath(this, {
      workflow: 'backup',
      databasePath: '$.request.database',
      explain: explain.function,
      alerts: props.alerts,
    });

    const validateRequest = invoke(this, 'Validate the request', validate.function, {
      payload: {
        'request.$': '$',
        'execution.$': '$$.Execution.Id',
        'startTime.$': '$$.Execution.StartTime',
        catalog: catalogOf(config),
      },
      resultPath: '$.plan',
    });
    validateRequest.addCatch(
      new sfn.Fail(this, 'Reject the request', { errorPath: '$.error.Error', causePath: '$.error.Cause' }),
      { errors: ['InvalidInput'], resultPath: '$.error' },
    );
    // Later states read the request through the plan; keep the raw input for the alert's database name.
    const keepRequest = new sfn.Pass(this, 'Keep the request beside the plan', {
      parameters: {
        'request.$': '$$.Execution.Input',
        'plan.$': '$.plan',
        // What the record reads of the copies, present from the start (empty until a copy is verified): an
        // object, since aws-local-stepfunctions reads a path to null as missing.
        copy: {},
        ...(vault ? { vault: {} } : {}),
      },
    });

    const createSnapshot = failure.guard(
      invoke(this, 'Create the snapshot', create.function, { payload: '$.plan', resultPath: '$.snapshot' }),
    );
    createSnapshot.addRetry({ ...BUSY_DATABASE_RETRY, errors: [...BUSY_DATABASE_RETRY.errors] });

    const waitAvailable = failure.guard(
      poll(
        invoke(this, 'Wait until the snapshot is available', check.function, {
          payload: { 'kind.$': '$.plan.kind', 'snapshotId.$': '$.snapshot.snapshotId' },
          resultPath: '$.source',
        }),
        props.snapshotPoll ?? DEFAULT_SNAPSHOT_POLL,
      ),
    );

    const markRecoveryPoint = failure.guard(
      new tasks.CallAwsService(this, 'Mark the snapshot as a recovery point', {
        service: 'rds',
        action: 'addTagsToResource',
        parameters: { 'ResourceName.$': '$.source.arn', Tags: [{ Key: TAG.verified, Value: 'available' }] },
        iamResources: ownSnapshots,
        iamAction: 'rds:AddTagsToResource',
        resultPath: sfn.JsonPath.DISCARD,
      }).addRetry({
        errors: RDS_SDK_THROTTLING_ERRORS,
        interval: Duration.seconds(5),
        backoffRate: 2,
        maxAttempts: 5,
      }),
    );

    // The copy path holds a slot: every failure on it gives the slot back before alerting.
    const releaseAfterFailure = invoke(this, 'Give back the copy slot after the failure', slot.function, {
      payload: { action: 'release', 'holder.$': '$$.Execution.Id', region: config.drRegion },
      resultPath: sfn.JsonPath.DISCARD,
    });
    releaseAfterFailure.addCatch(failure.explainAndAlert, { resultPath: sfn.JsonPath.DISCARD });
    releaseAfterFailure.next(failure.explainAndAlert);

    const acquireSlot = failure.guard(
      invoke(this, 'Acquire a copy slot', slot.function, {
        payload: { action: 'acquire', 'holder.$': '$$.Execution.Id', region: config.drRegion },
        resultPath: sfn.JsonPath.DISCARD,
      }).addRetry({
        errors: ['NoCopySlot'],
        interval: Duration.seconds(COPY_SLOT_RETRY.intervalSeconds),
        backoffRate: COPY_SLOT_RETRY.backoffRate,
        maxDelay: Duration.seconds(COPY_SLOT_RETRY.maxDelaySeconds),
        maxAttempts: COPY_SLOT_RETRY.maxAttempts,
        jitterStrategy: COPY_SLOT_RETRY.jitter === 'FULL' ? sfn.JitterType.FULL : sfn.JitterType.NONE,
      }) as tasks.LambdaInvoke,
    );
    const copyToDr = failure.guard(
      invoke(this, 'Copy the snapshot to the DR region', copier.function, {
        payload: { 'kind.$': '$.plan.kind', 'sourceArn.$': '$.source.arn', 'snapshotId.$': '$.plan.snapshotId' },
        resultPath: '$.copyStarted',
      }),
      { via: releaseAfterFailure },
    );
    const waitForCopy = failure.guard(
      poll(
        invoke(this, 'Wait for the copy and verify it', verifier.function, {
          payload: {
            'kind.$': '$.plan.kind',
            'database.$': '$.plan.database',
            'snapshotId.$': '$.copyStarted.snapshotId',
            'region.$': '$.copyStarted.region',
            'kmsKeyArn.$': '$.copyStarted.kmsKeyArn',
            'sourceArn.$': '$.source.arn',
            sourceRegion: stack.region,
          },
          resultPath: '$.copy',
        }),
        props.copyPoll ?? DEFAULT_COPY_POLL,
      ),
      { via: releaseAfterFailure },
    );
    const releaseSlot = failure.guard(
      invoke(this, 'Give back the copy slot', slot.function, {
        payload: { action: 'release', 'holder.$': '$$.Execution.Id', region: config.drRegion },
        resultPath: sfn.JsonPath.DISCARD,
      }),
    );

    const pruneEach = new sfn.Map(this, 'Prune old recovery points', {
      itemsPath: '$.plan.pruneTargets',
      itemSelector: {
        'database.$': '$.plan.database',
        'identifier.$': '$.plan.identifier',
        'kind.$': '$.plan.kind',
        'copyToDr.$': '$.plan.copyToDr',
        'retention.$': '$.plan.retention',
        'region.$': '$$.Map.Item.Value.region',
        'role.$': '$$.Map.Item.Value.role',
      },
      maxConcurrency: 2,
      resultPath: '$.pruned',
    });
    pruneEach.itemProcessor(invoke(this, 'Prune by retention in one region', pruner.function));
    failure.guard(pruneEach);

    const record = failure.guard(
      invoke(this, 'Record the run', recorder.function, {
        payload: {
          'database.$': '$.plan.database',
          'snapshotId.$': '$.plan.snapshotId',
          'execution.$': '$$.Execution.Id',
          'startedAt.$': '$$.Execution.StartTime',
          'snapshotCreatedAt.$': '$.source.createdAt',
          'copy.$': '$.copy',
          ...(vault ? { 'vault.$': '$.vault' } : {}),
          'quotaWarning.$': '$.snapshot.quota.warning',
          'pruned.$': '$.pruned',
        },
        resultPath: '$.record',
      }),
    );

    // With a vault account: after the DR copy (its slot given back), the copy into the vault, then pruning both regions.
    const afterDr: sfn.IChainable =
      vault && vaultRoleArn
        ? new sfn.Choice(this, 'Copy to the vault account?')
            .when(
              sfn.Condition.booleanEquals('$.plan.copyToVault', true),
              this.vaultCopy({ fn, failure, rdsArn, ownSnapshots, ownCopies, vaultRoleArn, props }).next(pruneEach),
            )
            .otherwise(pruneEach)
        : pruneEach;

    const done = new sfn.Succeed(this, 'Backup complete', { outputPath: '$.record' });
    const copyChoice = new sfn.Choice(this, 'Copy to the DR region?')
      .when(
        sfn.Condition.booleanEquals('$.plan.copyToDr', true),
        acquireSlot.next(copyToDr).next(waitForCopy).next(releaseSlot).next(afterDr),
      )
      .otherwise(afterDr);
    pruneEach.next(record).next(done);

    const chain = validateRequest
      .next(keepRequest)
      .next(createSnapshot)
      .next(waitAvailable)
      .next(markRecoveryPoint)
      .next(copyChoice);
    const { definition, options } = definitionOf(chain);
    // Longer than every state's own retries (the copy-slot queue above all), so a state gives up first and
    // its Catch gives the slot back and alerts; the execution-ended rule covers what still times out.
    this.timeoutSeconds = executionTimeoutSeconds(definition, { ...options, mapItems: 3 });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: `${config.name}-backup`,
      definitionBody: sfn.DefinitionBody.fromChainable(chain),
      timeout: Duration.seconds(this.timeoutSeconds),
      tracingEnabled: true,
      logs: workflowLogs(this, key),
    });
    // The topic is encrypted: publishing needs the key's GenerateDataKey and Decrypt as well as sns:Publish.
    props.alerts.grantPublish(this.stateMachine);
  }

  /**
   * The copy into the vault account, from the verified DR copy and in the DR region (AWS copies snapshots across
   * accounts only within one region): share the DR copy with the vault account, copy it there under the vault key
   * (as the vault's copier role), wait for that copy and verify it. Every failure is explained and alerted. The vault
   * is pruned by `vault.retention` inside the vault account (its own pruner): the copier role deletes nothing.
   */
  private vaultCopy(deps: {
    fn: (name: string, entry: string, description: string, extra?: Partial<LifelineFunctionProps>) => LifelineFunction;
    failure: FailurePath;
    rdsArn: (resource: string, name: string, region?: string) => string;
    ownSnapshots: string[];
    ownCopies: string[];
    vaultRoleArn: string;
    props: BackupWorkflowProps;
  }): sfn.Chain {
    const { fn, failure, rdsArn, ownSnapshots, ownCopies, vaultRoleArn, props } = deps;
    const config = props.config;
    const sharer = fn(
      'ShareWithVault',
      'functions/backup/share-with-vault.ts',
      'the sharing of the DR copy with the vault',
    );
    const copier = fn('VaultCopy', 'functions/backup/vault-copy.ts', 'the copy into the vault account', {
      roleName: vaultCopySourceRoleName(config.name),
    });
    sharer.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['rds:DescribeDBSnapshots', 'rds:DescribeDBClusterSnapshots'],
        resources: [rdsArn('snapshot', '*', config.drRegion), rdsArn('cluster-snapshot', '*', config.drRegion)],
      }),
    );
    sharer.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['rds:ModifyDBSnapshotAttribute', 'rds:ModifyDBClusterSnapshotAttribute'],
        resources: ownCopies,
      }),
    );
    // The copy is made in the vault account by its copier role; here only the evidence tags are written.
    copier.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: [vaultRoleArn] }),
    );
    copier.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['rds:AddTagsToResource'], resources: [...ownSnapshots, ...ownCopies] }),
    );

    const copyPoll = props.copyPoll ?? DEFAULT_COPY_POLL;
    const share = failure.guard(
      invoke(this, 'Share the DR copy with the vault account', sharer.function, {
        payload: {
          'kind.$': '$.plan.kind',
          'database.$': '$.plan.database',
          'snapshotId.$': '$.copyStarted.snapshotId',
        },
        resultPath: '$.vaultShare',
      }),
    );
    const start = failure.guard(
      invoke(this, 'Copy the snapshot to the vault account', copier.function, {
        payload: {
          action: 'start',
          'kind.$': '$.plan.kind',
          'snapshotId.$': '$.plan.snapshotId',
          'sharedArn.$': '$.vaultShare.arn',
          'tags.$': '$.vaultShare.tags',
        },
        resultPath: '$.vaultCopyStarted',
      }),
    );
    const verify = failure.guard(
      poll(
        invoke(this, 'Wait for the vault copy and verify it', copier.function, {
          payload: {
            action: 'verify',
            'kind.$': '$.plan.kind',
            'database.$': '$.plan.database',
            'snapshotId.$': '$.vaultCopyStarted.snapshotId',
            'kmsKeyArn.$': '$.vaultCopyStarted.kmsKeyArn',
            'sharedArn.$': '$.vaultShare.arn',
            'sourceArn.$': '$.source.arn',
          },
          resultPath: '$.vault',
        }),
        copyPoll,
      ),
    );
    return share.next(start).next(verify);
  }
}

/** The customer-managed keys of the protected databases (`databases[].sourceKey`), each once. */
function sourceKeysOf(config: LifelineConfig): string[] {
  return [...new Set(config.databases.flatMap((db) => (db.sourceKey ? [db.sourceKey] : [])))];
}

/** What the workflow needs of each database, keyed by id; embedded in the definition. */
export function catalogOf(config: LifelineConfig): Record<string, CatalogEntry> {
  return Object.fromEntries(
    config.databases.map((db) => [
      db.id,
      {
        id: db.id,
        kind: db.kind,
        identifier: db.identifier,
        engine: db.engine,
        timeZone: db.backup.timeZone,
        copyToDr: db.backup.copyToDr,
        copyToVault: db.backup.copyToVault,
        retention: db.retention,
      },
    ]),
  );
}
