import { Duration } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';

import { ERROR, EVIDENCE, TAG } from '../functions/commons/contracts';
import { backupSteps, evidenceTags } from './backup-steps';
import { executionTimeoutSeconds } from './budget';
import { definitionOf, FailurePath, type PollPolicy, poll, RDS_SDK_THROTTLING_ERRORS, workflowLogs } from './common';
import { catalogOf, type ProtectedDatabase, problemsOfDatabases, refuse } from './databases';
import { DrCopy } from './dr-copy';
import { BUSY_DATABASE_RETRY, DEFAULT_COPY_POLL, DEFAULT_SNAPSHOT_POLL } from './policies';
import { at } from './step';
import { VaultCopy, type VaultTarget, vaultEnvironment } from './vault-copy';

export interface BackupWorkflowProps {
  /** The databases it backs up; an execution names one by its `id`. */
  readonly databases: readonly ProtectedDatabase[];
  /** Key for logs and the copy-slot table, in this region. */
  readonly key: kms.IKey;
  /** Where failures are reported. */
  readonly alerts: sns.ITopic;
  /** The DR region, where each recovery point is copied. */
  readonly drRegion: string;
  /** Alias of the key the DR copies are encrypted with, in `drRegion`; the copy finds the key by it. */
  readonly drKeyAlias: string;
  /** The installation's name: prefix of its snapshots and state machine, value of its installation tag. @default 'lifeline' */
  readonly installation?: string;
  /** The manual snapshot quota per region: a backup warns at 80 % and refuses at 100 %. @default 100 */
  readonly snapshotQuota?: number;
  /** Most copies in progress to one region at once (RDS allows 20, older accounts 5). @default 5 */
  readonly copySlots?: number;
  /** A third copy in another account, made from the DR copy. @default - none */
  readonly vault?: VaultTarget;
  /** How long to wait for a new snapshot. @default DEFAULT_SNAPSHOT_POLL (about 4.5 h) */
  readonly snapshotPoll?: PollPolicy;
  /** How long to wait for the DR copy, and for the vault copy. @default DEFAULT_COPY_POLL (about 24 h) */
  readonly copyPoll?: PollPolicy;
}

/**
 * The backup of one database, as a runbook: validate the request, snapshot, wait until the snapshot is
 * available, mark it as a recovery point, copy it to the DR region under the DR key (holding one of a limited
 * number of copy slots), verify the copy, copy it on into the vault, prune by retention, record the run.
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
    const installation = props.installation ?? 'lifeline';
    refuse(`BackupWorkflow ${this.node.path}`, problemsOfDatabases(installation, props.databases));
    this.copySlots = new dynamodb.Table(this, 'CopySlots', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: props.key,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    });
    const ctx = {
      ...props,
      installation,
      copySlots: this.copySlots,
      copySlotLimit: props.copySlots ?? 5,
      snapshotQuota: props.snapshotQuota ?? 100,
      environment: props.vault ? vaultEnvironment(this, props.vault, props.drRegion) : {},
    };
    const step = backupSteps(this, ctx);
    const copyPoll = props.copyPoll ?? DEFAULT_COPY_POLL;
    const failure = new FailurePath(this, {
      workflow: 'backup',
      databasePath: '$.request.database',
      explain: step.explain.function,
      alerts: props.alerts,
    });
    const validateRequest = step.validate.task(this, 'Validate the request', {
      input: {
        request: at('$'),
        execution: at('$$.Execution.Id'),
        startTime: at('$$.Execution.StartTime'),
        catalog: catalogOf(props.databases),
      },
      resultPath: '$.plan',
    });
    validateRequest.addCatch(
      new sfn.Fail(this, 'Reject the request', { errorPath: '$.error.Error', causePath: '$.error.Cause' }),
      { errors: [ERROR.invalidInput], resultPath: '$.error' },
    );
    // Later states read the request through the plan; the raw input stays for the alert's database name. What the
    // record reads of the copies is there from the start, empty until a copy is verified (an object: the local
    // interpreter reads a path to null as missing).
    const keepRequest = new sfn.Pass(this, 'Keep the request beside the plan', {
      parameters: {
        'request.$': '$$.Execution.Input',
        'plan.$': '$.plan',
        copy: {},
        ...(props.vault ? { vault: {} } : {}),
      },
    });
    const createSnapshot = failure.guard(
      step.create.task(this, 'Create the snapshot', { input: at('$.plan'), resultPath: '$.snapshot' }),
    );
    createSnapshot.addRetry({ ...BUSY_DATABASE_RETRY, errors: [...BUSY_DATABASE_RETRY.errors] });
    const waitAvailable = failure.guard(
      poll(
        step.check.task(this, 'Wait until the snapshot is available', {
          input: { kind: at('$.plan.kind'), snapshotId: at('$.snapshot.snapshotId') },
          resultPath: '$.source',
        }),
        props.snapshotPoll ?? DEFAULT_SNAPSHOT_POLL,
      ),
    );
    const markRecoveryPoint = failure.guard(
      new ConditionedCallAwsService(this, 'Mark the snapshot as a recovery point', {
        service: 'rds',
        action: 'addTagsToResource',
        parameters: { 'ResourceName.$': '$.source.arn', Tags: [{ Key: TAG.verified, Value: EVIDENCE.available }] },
        // Only this mark, on a snapshot of this installation.
        statements: evidenceTags(installation, [step.own], { [TAG.verified]: EVIDENCE.available }),
        resultPath: sfn.JsonPath.DISCARD,
      }).addRetry({ errors: RDS_SDK_THROTTLING_ERRORS, interval: Duration.seconds(5), backoffRate: 2, maxAttempts: 5 }),
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
    pruneEach.itemProcessor(step.pruner.task(this, 'Prune by retention in one region'));
    failure.guard(pruneEach);

    const record = failure.guard(
      step.recorder.task(this, 'Record the run', {
        input: {
          database: at('$.plan.database'),
          snapshotId: at('$.plan.snapshotId'),
          execution: at('$$.Execution.Id'),
          startedAt: at('$$.Execution.StartTime'),
          snapshotCreatedAt: at('$.source.createdAt'),
          copy: at('$.copy'),
          ...(props.vault ? { vault: at('$.vault') } : {}),
          quotaWarning: at('$.snapshot.quota.warning'),
          pruned: at('$.pruned'),
        },
        resultPath: '$.record',
      }),
    );

    // With a vault account: after the DR copy (its slot given back), the copy into the vault, then pruning.
    const afterDr: sfn.IChainable = props.vault
      ? new sfn.Choice(this, 'Copy to the vault account?')
          .when(
            sfn.Condition.booleanEquals('$.plan.copyToVault', true),
            new VaultCopy(this, 'Vault', { vault: props.vault, context: ctx, failure, copyPoll }).next(pruneEach),
          )
          .otherwise(pruneEach)
      : pruneEach;
    const copyChoice = new sfn.Choice(this, 'Copy to the DR region?')
      .when(
        sfn.Condition.booleanEquals('$.plan.copyToDr', true),
        new DrCopy(this, 'DrCopy', { steps: step, drRegion: props.drRegion, failure, copyPoll }).next(afterDr),
      )
      .otherwise(afterDr);
    pruneEach.next(record).next(new sfn.Succeed(this, 'Backup complete', { outputPath: '$.record' }));

    const chain = validateRequest
      .next(keepRequest)
      .next(createSnapshot)
      .next(waitAvailable)
      .next(markRecoveryPoint)
      .next(copyChoice);
    const { definition, options } = definitionOf(chain);
    // Longer than every state's own retries (the copy-slot queue above all), so a state gives up first and its
    // Catch gives the slot back and alerts; the execution-ended rule covers what still times out.
    this.timeoutSeconds = executionTimeoutSeconds(definition, { ...options, mapItems: 3 });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: `${installation}-backup`,
      definitionBody: sfn.DefinitionBody.fromChainable(chain),
      timeout: Duration.seconds(this.timeoutSeconds),
      tracingEnabled: true,
      logs: workflowLogs(this, props.key),
    });
    // The topic is encrypted: publishing needs the key's GenerateDataKey and Decrypt as well as sns:Publish.
    props.alerts.grantPublish(this.stateMachine);
  }
}

/**
 * A `CallAwsService` whose role may do exactly `statements`: the statement `CallAwsService` makes of its
 * `iamResources` takes no conditions, so it is replaced.
 */
class ConditionedCallAwsService extends tasks.CallAwsService {
  constructor(
    scope: Construct,
    id: string,
    props: Omit<tasks.CallAwsServiceProps, 'iamResources' | 'additionalIamStatements'> & {
      readonly statements: iam.PolicyStatement[];
    },
  ) {
    super(scope, id, { ...props, iamResources: ['*'] });
    this.taskPolicies?.splice(0, this.taskPolicies.length, ...props.statements);
  }
}
