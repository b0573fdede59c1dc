import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { ALERT_NOT_DELIVERED, ERROR, THROTTLING_ERRORS } from '../functions/commons/contracts';
import { ALERT_ATTRIBUTE } from '../functions/incidents/contracts';
import type { AslDefinition, BudgetOptions } from './budget';

/**
 * Errors the Lambda service itself reports for an invocation (throttled, 5xx, the SDK inside Step Functions):
 * the standard set CDK retries, plus Lambda.TooManyRequestsException, which a burst of executions meets first.
 */
export const LAMBDA_SERVICE_ERRORS = [
  'Lambda.TooManyRequestsException',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.ClientExecutionTimeoutException',
];

/**
 * Throttling of an `aws-sdk:rds` task, as Step Functions names it: `<Service>.<Name>` in PascalCase, always with
 * the Exception suffix (RDS's own code is "Throttling").
 */
export const RDS_SDK_THROTTLING_ERRORS = ['Rds.ThrottlingException'];

/** How every Lambda task retries what the Lambda service reports, with full jitter against bursts. */
export const LAMBDA_SERVICE_RETRY: sfn.RetryProps = {
  errors: LAMBDA_SERVICE_ERRORS,
  interval: Duration.seconds(2),
  backoffRate: 2,
  maxAttempts: 6,
  jitterStrategy: sfn.JitterType.FULL,
};

/** Throttling and internal errors of the optimized SNS publish integration. */
export const SNS_PUBLISH_RETRY_ERRORS = [
  'SNS.ThrottledException',
  'SNS.ThrottlingException',
  'SNS.InternalErrorException',
  'SNS.KMSThrottlingException',
];

/** How long one attempt of each Lambda task may run (its function's timeout), for the workflow's budget. */
const attemptSeconds = new WeakMap<sfn.State, number>();

/** Polling policy for a state whose Lambda throws NotReady until the resource is there. */
export interface PollPolicy {
  readonly interval: Duration;
  readonly backoffRate: number;
  readonly maxDelay: Duration;
  readonly maxAttempts: number;
}

/** Total time a poll policy waits before it gives up, in seconds. */
export function pollBudgetSeconds(policy: PollPolicy): number {
  let total = 0;
  for (let attempt = 0; attempt < policy.maxAttempts; attempt++) {
    total += Math.min(policy.interval.toSeconds() * policy.backoffRate ** attempt, policy.maxDelay.toSeconds());
  }
  return total;
}

/** A Lambda step: payload in, payload out, AWS throttling retried with backoff. */
export function invoke(
  scope: Construct,
  name: string,
  fn: lambda.IFunction,
  props: { payload?: Record<string, unknown> | string; resultPath?: string } = {},
): tasks.LambdaInvoke {
  const task = new tasks.LambdaInvoke(scope, name, {
    lambdaFunction: fn,
    payloadResponseOnly: true,
    // Replaced by the retry below, which also covers Lambda.TooManyRequestsException.
    retryOnServiceExceptions: false,
    // A path hands that part of the state to the function as it is; an object is a payload template.
    inputPath: typeof props.payload === 'string' ? props.payload : undefined,
    payload: typeof props.payload === 'object' ? sfn.TaskInput.fromObject(props.payload) : undefined,
    resultPath: props.resultPath,
  })
    .addRetry(LAMBDA_SERVICE_RETRY)
    .addRetry({
      errors: THROTTLING_ERRORS,
      interval: Duration.seconds(5),
      backoffRate: 2,
      maxAttempts: 5,
    }) as tasks.LambdaInvoke;
  const timeout = (fn as Partial<lambda.Function>).timeout;
  attemptSeconds.set(task, timeout ? timeout.toSeconds() : 60);
  return task;
}

/**
 * The definition a chain renders to, with how long each Lambda task's attempt may run: what the budget in
 * ./budget reads. Rendered from the same states the state machine is built from.
 */
export function definitionOf(chain: sfn.IChainable): { definition: AslDefinition; options: BudgetOptions } {
  const start = chain.startState;
  const states = sfn.State.findReachableStates(start, { includeErrorHandlers: true });
  const byState: Record<string, number> = {};
  const collect = (state: sfn.State) => {
    const seconds = attemptSeconds.get(state);
    if (seconds !== undefined) byState[state.stateId] = seconds;
  };
  states.forEach(collect);
  for (const state of states) {
    // The states inside a Map's item processor.
    const processor = (state as unknown as { processorConfig?: unknown; processor?: { startState: sfn.State } })
      .processor;
    if (processor) sfn.State.findReachableStates(processor.startState, { includeErrorHandlers: true }).forEach(collect);
  }
  return {
    definition: {
      StartAt: start.stateId,
      States: Object.fromEntries(states.map((s) => [s.stateId, s.toStateJson() as AslDefinition['States'][string]])),
    },
    options: { attemptSecondsByState: byState },
  };
}

export function poll(task: tasks.LambdaInvoke, policy: PollPolicy): tasks.LambdaInvoke {
  return task.addRetry({
    errors: [ERROR.notReady],
    interval: policy.interval,
    backoffRate: policy.backoffRate,
    maxDelay: policy.maxDelay,
    maxAttempts: policy.maxAttempts,
  }) as tasks.LambdaInvoke;
}

/**
 * The failure path every step shares: note which step failed, explain it in words an on-call person can
 * act on, publish that to the alert topic, and end the execution failed with the original error. When the
 * explanation or the publish fails, the execution ends AlertNotDelivered instead.
 */
export class FailurePath {
  /** The first state of the shared path: explain, alert, fail. */
  readonly explainAndAlert: sfn.IChainable;

  constructor(
    private readonly scope: Construct,
    props: { workflow: string; databasePath: string; explain: lambda.IFunction; alerts: sns.ITopic },
  ) {
    const explain = invoke(scope, 'Explain the failure', props.explain, {
      payload: {
        workflow: props.workflow,
        'database.$': props.databasePath,
        'step.$': '$.failedStep',
        'error.$': '$.error',
        'execution.$': '$$.Execution.Id',
      },
      resultPath: '$.alert',
    });
    const publish = new tasks.SnsPublish(scope, 'Publish the failure alert', {
      topic: props.alerts,
      subject: sfn.JsonPath.stringAt('$.alert.subject'),
      message: sfn.TaskInput.fromJsonPathAt('$.alert.message'),
      // What the incident sink opens the incident from: the kind and database are its deduplication key.
      messageAttributes: {
        [ALERT_ATTRIBUTE.kind]: { value: `${props.workflow}-failed` },
        [ALERT_ATTRIBUTE.database]: { value: sfn.JsonPath.stringAt(props.databasePath) },
        [ALERT_ATTRIBUTE.execution]: { value: sfn.JsonPath.stringAt('$$.Execution.Id') },
      },
      resultPath: sfn.JsonPath.DISCARD,
    }).addRetry({ errors: SNS_PUBLISH_RETRY_ERRORS, interval: Duration.seconds(5), backoffRate: 2, maxAttempts: 5 });
    const fail = new sfn.Fail(scope, `${capitalise(props.workflow)} failed`, {
      errorPath: '$.error.Error',
      causePath: '$.alert.message',
    });
    // A failure path that fails (the alert topic's key refuses, the explainer throws or times out) must not end the
    // execution with that error alone: nobody would hear. It ends AlertNotDelivered, which the execution-ended rule
    // alerts on, with what failed and the workflow's own error in the cause.
    const notDelivered = new sfn.Fail(scope, 'Alert not delivered', {
      error: ALERT_NOT_DELIVERED,
      causePath: '$.alertNotDelivered.cause',
    });
    const undelivered = (id: string, what: string, first: string) =>
      new sfn.Pass(scope, id, {
        parameters: {
          cause: sfn.JsonPath.format(
            `The ${props.workflow} failure alert was not delivered, so nobody was told: ${what} failed with {}. The ${props.workflow} had failed at step {} with {}. First: ${first}`,
            sfn.JsonPath.jsonToString(sfn.JsonPath.objectAt('$.alertError')),
            sfn.JsonPath.stringAt('$.failedStep'),
            sfn.JsonPath.jsonToString(sfn.JsonPath.objectAt('$.error')),
          ),
        },
        resultPath: '$.alertNotDelivered',
      }).next(notDelivered);
    explain.addCatch(
      undelivered(
        'Note that the failure could not be explained',
        'the explainer function (Explain the failure)',
        'read the explainer function logs, then the failed step in the execution history.',
      ),
      { resultPath: '$.alertError' },
    );
    publish.addCatch(
      undelivered(
        'Note that the failure alert was not published',
        'the publish to the alert topic (Publish the failure alert)',
        'check the alert topic exists and its KMS key policy lets the state machine role use the key, then read the failed step in the execution history.',
      ),
      { resultPath: '$.alertError' },
    );
    this.explainAndAlert = explain.next(publish).next(fail);
  }

  /** Sends every error of `state` down the failure path, naming `step` (defaults to the state's id). */
  guard<T extends sfn.TaskStateBase | sfn.Parallel | sfn.Map>(
    state: T,
    options: { step?: string; via?: sfn.IChainable } = {},
  ): T {
    state.addCatch(this.entry(options.step ?? state.id, options.via), { resultPath: '$.error' });
    return state;
  }

  /**
   * A state that starts the failure path for `step`; expects the error at `$.error`. `via` is a state
   * (already leading to `explainAndAlert`) that must run first, such as giving back a held slot.
   */
  entry(step: string, via?: sfn.IChainable): sfn.Pass {
    const note = new sfn.Pass(this.scope, `Note the failed step: ${step}`, {
      result: sfn.Result.fromString(step),
      resultPath: '$.failedStep',
    });
    note.next(via ?? this.explainAndAlert);
    return note;
  }
}

export function workflowLogs(scope: Construct, key: kms.IKey): sfn.LogOptions {
  const destination = new logs.LogGroup(scope, 'ExecutionLogs', {
    retention: logs.RetentionDays.FIVE_YEARS,
    encryptionKey: key,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  return { destination, level: sfn.LogLevel.ALL, includeExecutionData: true };
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
