import { Arn, ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as rds from 'aws-cdk-lib/aws-rds';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { INSTALLATION_ENV } from '../functions/backup/contracts';
import { DRILL_TAG, type DrillCatalogEntry } from '../functions/drill/contracts';
import { parseDuration } from '../infra/config/duration';
import { drillInstanceClass, type LifelineConfig } from '../infra/config/schema';
import { LifelineFunction } from '../infra/constructs/lifeline-function';
import { keyAlias, rdsKeyUse } from '../infra/stacks/keys';
import { attemptsToCover, executionTimeoutSeconds } from './budget';
import {
  definitionOf,
  FailurePath,
  invoke,
  type PollPolicy,
  poll,
  pollBudgetSeconds,
  SNS_PUBLISH_RETRY_ERRORS,
  workflowLogs,
} from './common';

export interface DrillWorkflowProps {
  readonly config: LifelineConfig;
  /** The DR region's Lifeline key: logs, reports. */
  readonly key: kms.IKey;
  readonly alerts: sns.ITopic;
  /** Where the evidence goes. */
  readonly reports: s3.IBucket;
  readonly vpc: ec2.IVpc;
  /** Isolated subnets for the restored database and the check function. */
  readonly subnets: ec2.SubnetSelection;
  readonly subnetGroup: rds.ISubnetGroup;
  /** Attached to restored databases; admits only `checkSecurityGroup`. */
  readonly databaseSecurityGroup: ec2.ISecurityGroup;
  /** Attached to the check function. */
  readonly checkSecurityGroup: ec2.ISecurityGroup;
  /**
   * How often to look at the restoring database. The drill timeout, not this, ends a slow restore, so the checks
   * must outlast the longest drill timeout a run may have. @default 30 s, ×1.5, at most 5 min apart, as many
   * checks as cover the longest drill timeout (configured, or the 24 h an override may ask for)
   */
  readonly restorePoll?: PollPolicy;
}

export const DEFAULT_RESTORE_POLL: PollPolicy = {
  interval: Duration.seconds(30),
  backoffRate: 1.5,
  maxDelay: Duration.minutes(5),
  maxAttempts: 200,
};

/** The longest drill timeout a manual run may ask for (`overrides.timeoutMinutes`), if the restore poll covers it. */
export const MAX_OVERRIDE_TIMEOUT_MINUTES = 1440;

/**
 * The longest drill timeout a restore poll can enforce: the drill times out at the first check past its timeout,
 * which must still be one of the poll's checks.
 */
export function longestEnforceableTimeoutSeconds(poll: PollPolicy): number {
  return pollBudgetSeconds(poll) - poll.maxDelay.toSeconds();
}

/** The default restore poll, with enough checks to enforce a drill timeout of `seconds`. */
export function restorePollCovering(seconds: number): PollPolicy {
  const base = DEFAULT_RESTORE_POLL;
  const attempts = attemptsToCover(
    {
      intervalSeconds: base.interval.toSeconds(),
      backoffRate: base.backoffRate,
      maxDelaySeconds: base.maxDelay.toSeconds(),
    },
    seconds + base.maxDelay.toSeconds(),
  );
  return { ...base, maxAttempts: Math.max(base.maxAttempts, attempts) };
}

/**
 * A restore drill of one database, in the DR region: validate, preflight and choose the recovery point,
 * restore into isolated subnets, wait, check the data, delete the temporary database (on every path),
 * write the report, tell people. A failed check or a missed objective is a failed drill.
 */
export class DrillWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly sweeper: LifelineFunction;
  /** The execution timeout: the worst case of every state's retries, plus a margin. */
  readonly timeoutSeconds: number;
  /** The longest `overrides.timeoutMinutes` a manual run may ask for. */
  readonly maxTimeoutMinutes: number;

  constructor(scope: Construct, id: string, props: DrillWorkflowProps) {
    super(scope, id);
    const { config, key } = props;
    const stack = Stack.of(this);
    const environment = {
      DR_KEY_ALIAS: keyAlias(config.name, 'dr'),
      DRILL_SUBNET_GROUP: props.subnetGroup.subnetGroupName,
      DRILL_SECURITY_GROUP: props.databaseSecurityGroup.securityGroupId,
      REPORTS_BUCKET: props.reports.bucketName,
      [INSTALLATION_ENV]: config.name,
    };
    const fn = (
      name: string,
      entry: string,
      description: string,
      extra: Partial<ConstructorParameters<typeof LifelineFunction>[2]> = {},
    ) => new LifelineFunction(this, name, { entry, description, logKey: key, environment, ...extra });
    const validate = fn('ValidateDrill', 'functions/drill/validate-drill.ts', 'the check of a drill request');
    const preflight = fn('Preflight', 'functions/drill/preflight.ts', 'the drill preflight');
    const restore = fn('Restore', 'functions/drill/restore.ts', 'the restore of a recovery point for a drill');
    const waiter = fn('WaitRestored', 'functions/drill/wait-restored.ts', 'the wait for a restored database');
    const check = fn('CheckData', 'functions/drill/check-data.ts', 'the data checks against a restored database', {
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      securityGroups: [props.checkSecurityGroup],
      timeout: Duration.minutes(5),
      environment: { ...environment, NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem' },
    });
    const cleaner = fn('Cleanup', 'functions/drill/cleanup.ts', 'the deletion of a drill database');
    const reporter = fn('Report', 'functions/drill/report.ts', 'the drill report');
    const explain = fn('ExplainFailure', 'functions/alerts/explain-failure.ts', 'the explanation of a failed drill');
    this.sweeper = fn('Sweeper', 'functions/drill/sweep.ts', 'the sweeper of drill databases left behind', {
      timeout: Duration.minutes(5),
    });

    const rdsArn = (resource: string, name: string) =>
      Arn.format({ service: 'rds', resource, resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME }, stack);
    const drillDbs = [rdsArn('db', 'lifeline-drill-*'), rdsArn('cluster', 'lifeline-drill-*')];
    const grant = (f: LifelineFunction, actions: string[], resources: string[], conditions?: Record<string, unknown>) =>
      f.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources, conditions }));
    const anySnapshot = [rdsArn('snapshot', '*'), rdsArn('cluster-snapshot', '*')];
    grant(preflight, ['rds:DescribeDBSnapshots', 'rds:DescribeDBClusterSnapshots'], anySnapshot);
    grant(preflight, ['rds:DescribeDBSubnetGroups'], [rdsArn('subgrp', '*')]);
    grant(preflight, ['rds:DescribeDBInstanceAutomatedBackups'], [rdsArn('auto-backup', '*'), rdsArn('db', '*')]);
    grant(preflight, ['rds:DescribeAccountAttributes'], ['*']);
    // Whether RDS offers an overridden instance class for the engine; the action has no resource type.
    grant(preflight, ['rds:DescribeOrderableDBInstanceOptions'], ['*']);
    grant(preflight, ['kms:DescribeKey'], [key.keyArn]);
    grant(
      restore,
      [
        'rds:RestoreDBInstanceFromDBSnapshot',
        'rds:RestoreDBInstanceToPointInTime',
        'rds:RestoreDBClusterFromSnapshot',
        'rds:CreateDBInstance',
      ],
      [
        ...drillDbs,
        ...anySnapshot,
        rdsArn('subgrp', props.subnetGroup.subnetGroupName),
        rdsArn('secgrp', '*'),
        rdsArn('og', '*'),
        rdsArn('pg', '*'),
        rdsArn('cluster-pg', '*'),
        rdsArn('auto-backup', '*'),
      ],
    );
    // Tags go only onto the drill's own databases, and only the drill's tags: the managed-by tag that guards every
    // delete cannot be put on a snapshot or a group this way.
    grant(restore, ['rds:AddTagsToResource'], drillDbs, {
      'ForAllValues:StringEquals': { 'aws:TagKeys': Object.values(DRILL_TAG) },
      StringEquals: { [`aws:RequestTag/${DRILL_TAG.managedBy}`]: 'lifeline' },
      StringLike: { [`aws:RequestTag/${DRILL_TAG.drill}`]: '*' },
    });
    // The restored database is encrypted with the DR key, by RDS in this region.
    for (const statement of rdsKeyUse([key.keyArn], [stack.region])) restore.role.addToPrincipalPolicy(statement);
    // The cluster restore reads the snapshot's engine version.
    grant(restore, ['rds:DescribeDBClusterSnapshots'], [rdsArn('cluster-snapshot', '*')]);
    for (const reader of [restore, waiter, cleaner, this.sweeper])
      grant(reader, ['rds:DescribeDBInstances', 'rds:DescribeDBClusters'], [rdsArn('db', '*'), rdsArn('cluster', '*')]);
    // Deletion only of drill databases: named lifeline-drill-* and tagged as a drill.
    for (const deleter of [cleaner, this.sweeper]) {
      grant(deleter, ['rds:DeleteDBInstance'], [rdsArn('db', 'lifeline-drill-*')], {
        StringLike: { 'rds:db-tag/lifeline:drill': '*' },
      });
      grant(deleter, ['rds:DeleteDBCluster'], [rdsArn('cluster', 'lifeline-drill-*')], {
        StringLike: { 'rds:cluster-tag/lifeline:drill': '*' },
      });
      // DeleteDBCluster authorizes on cluster-snapshot too (the final snapshot, which the drill skips): only a
      // drill's name, and no cluster-tag condition, which a snapshot does not carry.
      grant(deleter, ['rds:DeleteDBCluster'], [rdsArn('cluster-snapshot', 'lifeline-drill-*')]);
    }
    props.reports.grantPut(reporter.role);
    for (const db of config.databases) {
      if (!db.drill) continue;
      const secret = db.drill.credentialsSecret;
      const secretArn = secret.startsWith('arn:')
        ? secret
        : Arn.format(
            {
              service: 'secretsmanager',
              resource: 'secret',
              resourceName: `${secret}-*`,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            },
            stack,
          );
      grant(check, ['secretsmanager:GetSecretValue'], [secretArn]);
      // A secret under a customer-managed key is decrypted by Secrets Manager with the caller's permission.
      if (db.drill.credentialsSecretKey)
        grant(check, ['kms:Decrypt'], [db.drill.credentialsSecretKey], {
          StringEquals: { 'kms:ViaService': `secretsmanager.${stack.region}.${stack.urlSuffix}` },
        });
    }

    const failure = new FailurePath(this, {
      workflow: 'drill',
      databasePath: '$$.Execution.Input.database',
      explain: explain.function,
      alerts: props.alerts,
    });

    const longestConfigured = Math.max(
      0,
      ...config.databases.map((db) => (db.drill ? (parseDuration(db.drill.timeout) as number) : 0)),
    );
    const restorePoll =
      props.restorePoll ?? restorePollCovering(Math.max(longestConfigured, MAX_OVERRIDE_TIMEOUT_MINUTES * 60));
    const enforceable = longestEnforceableTimeoutSeconds(restorePoll);
    config.databases.forEach((db, i) => {
      if (db.drill && (parseDuration(db.drill.timeout) as number) > enforceable)
        throw new Error(
          `databases[${i}].drill.timeout: ${db.drill.timeout} is longer than the restore poll waits (${Math.floor(enforceable / 60)} min); shorten the timeout or give the poll more checks`,
        );
    });
    // An override may not ask for more than the workflow can wait for.
    const maxTimeoutMinutes = Math.min(MAX_OVERRIDE_TIMEOUT_MINUTES, Math.floor(enforceable / 60));

    const validateRequest = invoke(this, 'Validate the drill request', validate.function, {
      payload: {
        'request.$': '$',
        'execution.$': '$$.Execution.Id',
        'startTime.$': '$$.Execution.StartTime',
        catalog: drillCatalogOf(config),
        maxTimeoutMinutes,
      },
      resultPath: '$.plan',
    });
    validateRequest.addCatch(
      new sfn.Fail(this, 'Reject the drill request', { errorPath: '$.error.Error', causePath: '$.error.Cause' }),
      {
        errors: ['InvalidInput'],
        resultPath: '$.error',
      },
    );
    const start = new sfn.Pass(this, 'Start the drill record', {
      parameters: {
        'plan.$': '$.plan',
        recoveryPoint: null,
        restore: null,
        checks: null,
        cleanup: null,
        error: null,
        failedStep: null,
      },
    });

    // Every failure after the restore may have created something: delete it, report, then alert.
    const cleanupAfterFailure = invoke(this, 'Delete the drill database after the failure', cleaner.function, {
      payload: '$.plan',
      resultPath: '$.cleanup',
    });
    const reportFailure = invoke(this, 'Write the report of the failed drill', reporter.function, {
      resultPath: '$.report',
    });
    cleanupAfterFailure.addCatch(reportFailure, { resultPath: '$.cleanupError' });
    reportFailure.addCatch(failure.explainAndAlert, { resultPath: '$.reportError' });
    cleanupAfterFailure.next(reportFailure).next(failure.explainAndAlert);
    const guard = <T extends sfn.TaskStateBase>(state: T) => failure.guard(state, { via: cleanupAfterFailure });

    const preflightAndChoose = guard(
      invoke(this, 'Preflight and choose the recovery point', preflight.function, {
        payload: '$.plan',
        resultPath: '$.recoveryPoint',
      }),
    );
    const restoreIt = guard(
      invoke(this, 'Restore the recovery point into the isolated subnets', restore.function, {
        payload: { 'plan.$': '$.plan', 'recoveryPoint.$': '$.recoveryPoint' },
        resultPath: '$.restore',
      }),
    );
    const waitAvailable = guard(
      poll(
        invoke(this, 'Wait until the restored database is available', waiter.function, {
          payload: { 'plan.$': '$.plan', 'restore.$': '$.restore' },
          resultPath: '$.endpoint',
        }),
        restorePoll,
      ),
    );
    const checkData = guard(
      invoke(this, 'Check the data', check.function, {
        payload: {
          'database.$': '$.plan.database',
          'endpoint.$': '$.endpoint',
          'credentialsSecret.$': '$.plan.credentialsSecret',
          'databaseName.$': '$.plan.databaseName',
          'checks.$': '$.plan.checks',
          'recoveryPointTime.$': '$.recoveryPoint.time',
          'restoreStartedAt.$': '$.restore.restoreStartedAt',
          objectives: {
            'rpoSeconds.$': '$.plan.rpoSeconds',
            'rtoSeconds.$': '$.plan.rtoSeconds',
            'waive.$': '$.plan.waive',
          },
        },
        resultPath: '$.checks',
      }),
    );
    const cleanup = guard(
      invoke(this, 'Delete the drill database', cleaner.function, { payload: '$.plan', resultPath: '$.cleanup' }),
    );
    const report = guard(invoke(this, 'Write the drill report', reporter.function, { resultPath: '$.report' }));
    const publish = new tasks.SnsPublish(this, 'Publish the drill summary', {
      topic: props.alerts,
      subject: sfn.JsonPath.stringAt('$.report.subject'),
      message: sfn.TaskInput.fromJsonPathAt('$.report.report.summary'),
      resultPath: sfn.JsonPath.DISCARD,
    }).addRetry({
      errors: SNS_PUBLISH_RETRY_ERRORS,
      interval: Duration.seconds(5),
      maxAttempts: 5,
    });
    const verdict = new sfn.Choice(this, 'Did the drill pass?')
      .when(
        sfn.Condition.stringEquals('$.report.report.status', 'passed'),
        new sfn.Succeed(this, 'Drill passed', { outputPath: '$.report' }),
      )
      .otherwise(
        new sfn.Fail(this, 'Drill did not pass', { error: 'DrillFailed', causePath: '$.report.report.summary' }),
      );

    // The summary is news, not evidence: a failed publish does not change the verdict, and is kept in the output.
    publish.addCatch(verdict, { resultPath: '$.report.summaryNotPublished' });

    const chain = validateRequest
      .next(start)
      .next(preflightAndChoose)
      .next(restoreIt)
      .next(waitAvailable)
      .next(checkData)
      .next(cleanup)
      .next(report)
      .next(publish)
      .next(verdict);
    const { definition, options } = definitionOf(chain);
    // Longer than every state's own retries (the restore poll covers the longest drill timeout), so a slow drill
    // fails in a state whose Catch deletes the database, reports and alerts; the execution-ended rule and the
    // sweeper cover what still times out.
    this.timeoutSeconds = executionTimeoutSeconds(definition, options);
    this.maxTimeoutMinutes = maxTimeoutMinutes;
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: `${config.name}-drill`,
      definitionBody: sfn.DefinitionBody.fromChainable(chain),
      timeout: Duration.seconds(this.timeoutSeconds),
      tracingEnabled: true,
      logs: workflowLogs(this, key),
    });
    // The topic is encrypted: publishing needs the key's GenerateDataKey and Decrypt as well as sns:Publish.
    props.alerts.grantPublish(this.stateMachine);
  }
}

export function drillCatalogOf(config: LifelineConfig): Record<string, DrillCatalogEntry> {
  return Object.fromEntries(
    config.databases.flatMap((db) =>
      db.drill
        ? [
            [
              db.id,
              {
                id: db.id,
                kind: db.kind,
                identifier: db.identifier,
                engine: db.engine,
                rpoSeconds: parseDuration(db.objectives.rpo) as number,
                rtoSeconds: parseDuration(db.objectives.rto) as number,
                timeoutSeconds: parseDuration(db.drill.timeout) as number,
                instanceClass: drillInstanceClass(db),
                credentialsSecret: db.drill.credentialsSecret,
                databaseName: db.drill.databaseName,
                checks: db.drill.checks,
                waive: db.drill.waive ?? {},
              },
            ],
          ]
        : [],
    ),
  );
}
