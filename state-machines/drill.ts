import { Duration } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { ERROR } from '../functions/commons/contracts';
import { ALERT_ATTRIBUTE } from '../functions/incidents/contracts';
import { ArchiveDump, type ArchivedDatabase, type DumpImages } from './archive-dump';
import { executionTimeoutSeconds } from './budget';
import { definitionOf, FailurePath, type PollPolicy, poll, SNS_PUBLISH_RETRY_ERRORS, workflowLogs } from './common';
import { type DrillSpec, drillCatalogOf, problemsOfDatabases, problemsOfDrills, refuse, timeoutOf } from './databases';
import type { DrillNetwork } from './drill-network';
import { drillSteps } from './drill-steps';
import { longestEnforceableTimeoutSeconds, MAX_OVERRIDE_TIMEOUT_MINUTES, restorePollCovering } from './policies';
import type { LambdaStep } from './step';
import { at } from './step';

export interface DrillWorkflowProps {
  /** The drills, one per database; an execution names one by its database's `id`. */
  readonly drills: readonly DrillSpec[];
  /** The DR region's key: logs, and the restored databases' encryption. */
  readonly key: kms.IKey;
  /** How the functions name `key` when they read it. @default - the key's ARN */
  readonly keyAlias?: string;
  /** Where failures go, and the summary of a drill that did not pass. */
  readonly alerts: sns.ITopic;
  /**
   * Where the summary of a passed drill goes: news for the people who follow drills, not an alert.
   * @default - a topic `<installation>-drill-reports`, encrypted with `key`
   */
  readonly reportTopic?: sns.ITopic;
  /** Where the evidence goes. */
  readonly reports: s3.IBucket;
  /** Where drills restore and check (see `drillNetwork`). */
  readonly network: DrillNetwork;
  /** The installation's name: prefix of its drill databases and state machine. @default 'lifeline' */
  readonly installation?: string;
  /**
   * How often to look at the restoring database. The drill timeout, not this, ends a slow restore, so the checks
   * must outlast the longest drill timeout a run may have. @default 30 s, ×1.5, at most 5 min apart, as many
   * checks as cover the longest drill timeout (configured, or the 24 h an override may ask for)
   */
  readonly restorePoll?: PollPolicy;
  /**
   * Databases whose passing drills leave a logical dump in an archive bucket (the first passing drill of each
   * calendar month; the year's first is marked yearly). Needs `network.endpointSecurityGroup`. @default - none
   */
  readonly archives?: readonly ArchivedDatabase[];
  /** The public images of the archive dump task. @default DEFAULT_DUMP_IMAGES */
  readonly dumpImages?: DumpImages;
}

/**
 * A restore drill of one database, in the DR region: validate, preflight and choose the recovery point,
 * restore into isolated subnets, wait, check the data, delete the temporary database (on every path),
 * write the report, tell people. A failed check or a missed objective is a failed drill.
 */
export class DrillWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly sweeper: LambdaStep<Record<string, never>>;
  /** Where passed drills are announced (`reportTopic`, or the topic made for it). */
  readonly reportTopic: sns.ITopic;
  /** The execution timeout: the worst case of every state's retries, plus a margin. */
  readonly timeoutSeconds: number;
  /** The longest `overrides.timeoutMinutes` a manual run may ask for. */
  readonly maxTimeoutMinutes: number;
  /** The archive dump task and its network; only with `archives`. */
  readonly archiveDump?: ArchiveDump;

  constructor(scope: Construct, id: string, props: DrillWorkflowProps) {
    super(scope, id);
    const installation = props.installation ?? 'lifeline';
    refuse(`DrillWorkflow ${this.node.path}`, [
      ...problemsOfDatabases(
        installation,
        props.drills.map((drill) => drill.database),
      ),
      ...problemsOfDrills(props.drills),
    ]);
    const step = drillSteps(this, {
      ...props,
      ...props.network,
      installation,
      keyId: props.keyAlias ?? props.key.keyArn,
    });
    this.sweeper = step.sweeper;
    const failure = new FailurePath(this, {
      workflow: 'drill',
      databasePath: '$$.Execution.Input.database',
      explain: step.explain.function,
      alerts: props.alerts,
    });

    const longestConfigured = Math.max(0, ...props.drills.map((drill) => timeoutOf(drill).toSeconds()));
    const restorePoll =
      props.restorePoll ?? restorePollCovering(Math.max(longestConfigured, MAX_OVERRIDE_TIMEOUT_MINUTES * 60));
    const enforceable = longestEnforceableTimeoutSeconds(restorePoll);
    props.drills.forEach((drill, i) => {
      if (timeoutOf(drill).toSeconds() > enforceable)
        throw new Error(
          `drills[${i}] (${drill.database.id}): its timeout of ${timeoutOf(drill).toHumanString()} is longer than the restore poll waits (${Math.floor(enforceable / 60)} min); shorten the timeout or give the poll more checks`,
        );
    });
    // An override may not ask for more than the workflow can wait for.
    const maxTimeoutMinutes = Math.min(MAX_OVERRIDE_TIMEOUT_MINUTES, Math.floor(enforceable / 60));

    const validateRequest = step.validate.task(this, 'Validate the drill request', {
      input: {
        request: at('$'),
        execution: at('$$.Execution.Id'),
        startTime: at('$$.Execution.StartTime'),
        catalog: drillCatalogOf(props.drills),
        maxTimeoutMinutes,
      },
      resultPath: '$.plan',
    });
    validateRequest.addCatch(
      new sfn.Fail(this, 'Reject the drill request', { errorPath: '$.error.Error', causePath: '$.error.Cause' }),
      { errors: [ERROR.invalidInput], resultPath: '$.error' },
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
    const cleanupAfterFailure = step.cleaner.task(this, 'Delete the drill database after the failure', {
      input: at('$.plan'),
      resultPath: '$.cleanup',
    });
    const reportFailure = step.reporter.task(this, 'Write the report of the failed drill', { resultPath: '$.report' });
    cleanupAfterFailure.addCatch(reportFailure, { resultPath: '$.cleanupError' });
    reportFailure.addCatch(failure.explainAndAlert, { resultPath: '$.reportError' });
    cleanupAfterFailure.next(reportFailure).next(failure.explainAndAlert);
    const guard = <T extends sfn.TaskStateBase>(state: T) => failure.guard(state, { via: cleanupAfterFailure });

    const preflightAndChoose = guard(
      step.preflight.task(this, 'Preflight and choose the recovery point', {
        input: at('$.plan'),
        resultPath: '$.recoveryPoint',
      }),
    );
    const restoreIt = guard(
      step.restore.task(this, 'Restore the recovery point into the isolated subnets', {
        input: { plan: at('$.plan'), recoveryPoint: at('$.recoveryPoint') },
        resultPath: '$.restore',
      }),
    );
    const waitAvailable = guard(
      poll(
        step.waiter.task(this, 'Wait until the restored database is available', {
          input: { plan: at('$.plan'), restore: at('$.restore') },
          resultPath: '$.endpoint',
        }),
        restorePoll,
      ),
    );
    const checkData = guard(
      step.check.task(this, 'Check the data', {
        input: {
          database: at('$.plan.database'),
          engine: at('$.plan.engine'),
          endpoint: at('$.endpoint'),
          credentialsSecret: at('$.plan.credentialsSecret'),
          databaseName: at('$.plan.databaseName'),
          checks: at('$.plan.checks'),
          recoveryPointTime: at('$.recoveryPoint.time'),
          restoreStartedAt: at('$.restore.restoreStartedAt'),
          objectives: {
            rpoSeconds: at('$.plan.rpoSeconds'),
            rtoSeconds: at('$.plan.rtoSeconds'),
            waive: at('$.plan.waive'),
          },
        },
        resultPath: '$.checks',
      }),
    );
    const cleanup = guard(
      step.cleaner.task(this, 'Delete the drill database', { input: at('$.plan'), resultPath: '$.cleanup' }),
    );
    const report = guard(step.reporter.task(this, 'Write the drill report', { resultPath: '$.report' }));
    this.reportTopic =
      props.reportTopic ??
      new sns.Topic(this, 'ReportTopic', {
        topicName: `${installation}-drill-reports`,
        displayName: 'Lifeline drill reports',
        masterKey: props.key,
        enforceSSL: true,
      });
    const summaryTo = (id: string, topic: sns.ITopic, messageAttributes?: tasks.SnsPublishProps['messageAttributes']) =>
      new tasks.SnsPublish(this, id, {
        topic,
        messageAttributes,
        subject: sfn.JsonPath.stringAt('$.report.subject'),
        message: sfn.TaskInput.fromJsonPathAt('$.report.message'),
        resultPath: sfn.JsonPath.DISCARD,
      }).addRetry({ errors: SNS_PUBLISH_RETRY_ERRORS, interval: Duration.seconds(5), maxAttempts: 5 });
    // A passed drill is news for the report topic; a failed one keeps the alert path.
    const passed = new sfn.Succeed(this, 'Drill passed', { outputPath: '$.report' });
    const notPassed = new sfn.Fail(this, 'Drill did not pass', {
      error: 'DrillFailed',
      causePath: '$.report.report.summary',
    });
    const announce = summaryTo('Publish the drill summary', this.reportTopic);
    const alert = summaryTo('Publish the alert of the failed drill', props.alerts, {
      // What the incident sink opens the incident from: its kind and database are the deduplication key.
      [ALERT_ATTRIBUTE.kind]: { value: 'drill-failed' },
      [ALERT_ATTRIBUTE.database]: { value: sfn.JsonPath.stringAt('$$.Execution.Input.database') },
      [ALERT_ATTRIBUTE.execution]: { value: sfn.JsonPath.stringAt('$$.Execution.Id') },
    });
    // The summary is news, not evidence: a failed publish does not change the verdict, and is kept in the output.
    announce.addCatch(passed, { resultPath: '$.report.summaryNotPublished' });
    alert.addCatch(notPassed, { resultPath: '$.report.summaryNotPublished' });
    const verdict = new sfn.Choice(this, 'Did the drill pass?')
      .when(sfn.Condition.stringEquals('$.report.report.status', 'passed'), announce.next(passed))
      .otherwise(alert.next(notPassed));

    cleanup.next(report).next(verdict);
    const archives = props.archives ?? [];
    if (archives.length > 0) {
      const endpointSecurityGroup = props.network.endpointSecurityGroup;
      if (!endpointSecurityGroup)
        throw new Error(`DrillWorkflow ${this.node.path}: archives need network.endpointSecurityGroup`);
      this.archiveDump = new ArchiveDump(this, 'ArchiveDump', {
        archives,
        installation,
        key: props.key,
        network: props.network,
        endpointSecurityGroup,
        images: props.dumpImages,
      });
    }
    // A passing drill of an archived database leaves its dump before the cleanup; every other drill goes straight on.
    const afterChecks = this.archiveDump
      ? this.archiveDump.states(this, { alerts: props.alerts, next: cleanup })
      : cleanup;
    const chain = validateRequest
      .next(start)
      .next(preflightAndChoose)
      .next(restoreIt)
      .next(waitAvailable)
      .next(checkData)
      .next(afterChecks);
    const { definition, options } = definitionOf(chain);
    // Longer than every state's own retries (the restore poll covers the longest drill timeout), so a slow drill
    // fails in a state whose Catch deletes the database, reports and alerts; the execution-ended rule and the
    // sweeper cover what still times out.
    this.timeoutSeconds = executionTimeoutSeconds(definition, options);
    this.maxTimeoutMinutes = maxTimeoutMinutes;
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: `${installation}-drill`,
      definitionBody: sfn.DefinitionBody.fromChainable(chain),
      timeout: Duration.seconds(this.timeoutSeconds),
      tracingEnabled: true,
      logs: workflowLogs(this, props.key),
    });
    // The topic is encrypted: publishing needs the key's GenerateDataKey and Decrypt as well as sns:Publish.
    props.alerts.grantPublish(this.stateMachine);
    this.reportTopic.grantPublish(this.stateMachine);
    this.archiveDump?.grantRun(this.stateMachine);
  }
}
