import { handlerContract } from '../commons/contracts';
/**
 * Payloads of the alerting functions: the failure explainer a workflow's failure path calls, and the handler of the
 * EventBridge rule on executions that ended badly. Imports nothing.
 */

/** The input of ExplainFailure: the step that failed and its error, as the Catch passes it. */
export interface FailedStep {
  readonly workflow: string;
  readonly database: string;
  readonly step: string;
  readonly error: { readonly Error?: string; readonly Cause?: string };
  readonly execution?: string;
}

export type ExplainFailureInput = FailedStep;

/** The output of ExplainFailure: what the failure path publishes to the alert topic. */
export interface Alert {
  readonly subject: string;
  readonly message: string;
}

/** The EventBridge event Step Functions sends when an execution of a standard workflow changes status. */
export interface ExecutionStatusChange {
  readonly 'detail-type'?: string;
  readonly detail: {
    readonly executionArn: string;
    readonly stateMachineArn?: string;
    readonly name?: string;
    readonly status: string;
    readonly startDate?: number;
    readonly stopDate?: number;
    /** The execution input as JSON text (absent when it was too large for the event). */
    readonly input?: string | null;
    readonly error?: string | null;
    readonly cause?: string | null;
  };
}

export interface ExecutionEndedOutcome {
  readonly alerted: boolean;
  readonly releasedSlots: string[];
  readonly deletedDrillResources: string[];
}

/** The alert handlers: the failure path's explainer, and the rule on executions that ended badly. */
export const ALERT_HANDLERS = {
  explainFailure: handlerContract<ExplainFailureInput, Alert>('functions/alerts/explain-failure.ts'),
  executionEnded: handlerContract<ExecutionStatusChange, ExecutionEndedOutcome>('functions/alerts/execution-ended.ts'),
} as const;
