/**
 * Payloads of the alerting functions: the failure explainer a workflow's failure path calls, the handler of the
 * EventBridge rule on executions that ended badly, and the copy-age probe. Imports nothing but other contracts.
 */
import type { DatabaseKind } from '../backup/contracts';
import { handlerContract } from '../commons/contracts';

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

/** One database the copy-age probe looks at, as its construct passes it (`ENV.probedDatabases`, JSON). */
export interface ProbedDatabase {
  readonly id: string;
  readonly kind: DatabaseKind;
}

/** The metric the probe publishes per database (dimension `database`): seconds since the newest verified DR copy's data was taken. */
export const COPY_AGE_METRIC = 'NewestVerifiedCopyAge';

/** The probe runs on a schedule and takes no input. */
export type CopyAgeProbeInput = unknown;

/** What the probe found of one database: its newest verified DR copy and that copy's age, or none. */
export interface CopyAgeOfDatabase {
  readonly database: string;
  /** The newest verified DR copy; absent when there is none (then no data point is published). */
  readonly snapshotId?: string;
  readonly ageSeconds?: number;
}

export interface CopyAgeProbeOutput {
  readonly measuredAt: string;
  readonly databases: CopyAgeOfDatabase[];
}

/** Metrics of the objectives probe (dimension `database`). */
export const BACKUP_SUCCESS_RATE_METRIC = 'BackupSuccessRate30d';
export const DRILL_PASS_AGE_METRIC = 'DrillPassAge';

/** What the objectives probe looks at, as its construct passes it (`ENV.objectives`, JSON). */
export interface ObjectivesProbeEnv {
  /** The backup workflow (in the primary region) and the databases it backs up. */
  readonly backup?: { readonly stateMachineArn: string; readonly databases: readonly string[] };
  /** The drill workflow (here) and the databases it drills. */
  readonly drill?: { readonly stateMachineArn: string; readonly databases: readonly string[] };
}

export interface ObjectivesProbeOutput {
  readonly measuredAt: string;
  /** Per database: backups of the last 30 days that ended, how many succeeded, and the rate in percent. */
  readonly backups: { database: string; ended: number; succeeded: number; ratePercent?: number }[];
  /** Per drilled database with a passing drill on record: when it passed, and seconds since. */
  readonly drills: { database: string; lastPassedAt: string; ageSeconds: number }[];
}

/** The alert handlers: the failure path's explainer, the rule on executions that ended badly, the copy-age probe. */
export const ALERT_HANDLERS = {
  explainFailure: handlerContract<ExplainFailureInput, Alert>('functions/alerts/explain-failure.ts'),
  executionEnded: handlerContract<ExecutionStatusChange, ExecutionEndedOutcome>('functions/alerts/execution-ended.ts'),
  copyAgeProbe: handlerContract<CopyAgeProbeInput, CopyAgeProbeOutput>('functions/alerts/copy-age-probe.ts'),
  objectivesProbe: handlerContract<unknown, ObjectivesProbeOutput>('functions/alerts/objectives-probe.ts'),
} as const;
