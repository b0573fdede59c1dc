import { Arn, ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { CatalogEntry } from '../functions/backup/contracts';
import { TAG } from '../functions/backup/contracts';
import { THROTTLING_ERRORS } from '../functions/commons/errors';
import type { LifelineConfig } from '../infra/config/schema';
import { LifelineFunction } from '../infra/constructs/lifeline-function';
import { FailurePath, invoke, type PollPolicy, poll, workflowLogs } from './common';

export interface BackupWorkflowProps {
  readonly config: LifelineConfig;
  /** Key for logs and anything Lifeline stores in the primary region. */
  readonly key: kms.IKey;
  /** Where failures are reported. */
  readonly alerts: sns.ITopic;
  /** How long to wait for a new snapshot. @default 60 s, ×1.5, at most 10 min apart, 30 checks (about 4.5 h) */
  readonly snapshotPoll?: PollPolicy;
}

export const DEFAULT_SNAPSHOT_POLL: PollPolicy = {
  interval: Duration.seconds(60),
  backoffRate: 1.5,
  maxDelay: Duration.minutes(10),
  maxAttempts: 30,
};

/**
 * The backup of one database, as a runbook: validate the request, snapshot, wait until the snapshot is
 * available, mark it as Lifeline's recovery point. Every failure is explained and alerted.
 */
export class BackupWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: BackupWorkflowProps) {
    super(scope, id);
    const { config, key } = props;
    const stack = Stack.of(this);
    const fn = (name: string, entry: string, description: string) =>
      new LifelineFunction(this, name, {
        entry,
        description,
        logKey: key,
        environment: { SNAPSHOT_QUOTA: String(config.snapshotQuota) },
      });
    const validate = fn('ValidateRequest', 'functions/backup/validate-request.ts', 'the check of a backup request');
    const create = fn('CreateSnapshot', 'functions/backup/create-snapshot.ts', 'the creation of a Lifeline snapshot');
    const check = fn('CheckSnapshot', 'functions/backup/check-snapshot.ts', 'the check whether a snapshot is available');
    const explain = fn('ExplainFailure', 'functions/backup/explain-failure.ts', 'the explanation of a failed backup');

    const rdsArn = (resource: string, name: string) => Arn.format({ service: 'rds', resource, resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME }, stack);
    const sources = config.databases.map((db) => rdsArn(db.kind === 'cluster' ? 'cluster' : 'db', db.identifier));
    const ownSnapshots = [rdsArn('snapshot', 'lifeline-*'), rdsArn('cluster-snapshot', 'lifeline-*')];
    create.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['rds:CreateDBSnapshot', 'rds:CreateDBClusterSnapshot', 'rds:AddTagsToResource'], resources: [...sources, ...ownSnapshots] }),
    );
    for (const reader of [create, check]) {
      reader.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['rds:DescribeDBSnapshots', 'rds:DescribeDBClusterSnapshots'],
          resources: [rdsArn('snapshot', '*'), rdsArn('cluster-snapshot', '*'), ...sources],
        }),
      );
    }

    const failure = new FailurePath(this, { workflow: 'backup', databasePath: '$.request.database', explain: explain.function, alerts: props.alerts });

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
      parameters: { 'request.$': '$$.Execution.Input', 'plan.$': '$.plan' },
    });

    const createSnapshot = failure.guard(invoke(this, 'Create the snapshot', create.function, { payload: '$.plan', resultPath: '$.snapshot' }));
    createSnapshot.addRetry({ errors: THROTTLING_ERRORS, interval: Duration.seconds(5), backoffRate: 2, maxAttempts: 5 });

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
      }).addRetry({ errors: ['Rds.Throttling', 'Rds.ThrottlingException'], interval: Duration.seconds(5), backoffRate: 2, maxAttempts: 5 }),
    );

    const done = new sfn.Succeed(this, 'Backup complete');

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: `${config.name}-backup`,
      definitionBody: sfn.DefinitionBody.fromChainable(
        validateRequest.next(keepRequest).next(createSnapshot).next(waitAvailable).next(markRecoveryPoint).next(done),
      ),
      timeout: Duration.hours(48),
      tracingEnabled: true,
      logs: workflowLogs(this, key),
    });
  }
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
