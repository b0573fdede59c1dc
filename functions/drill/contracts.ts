/**
 * Payloads shared by the drill workflow's states and their Lambdas: each handler's input and output, and the
 * constants the constructs need. Imports nothing but other contracts.
 */
import { handlerContract, TAG } from '../commons/contracts';

/**
 * One data check of a drill, as the config writes it (`databases[].drill.checks[]`). Written by hand so the
 * functions need no schema; infra/config/schema.ts proves its check schema yields exactly this type.
 */
export type DrillCheck =
  | {
      readonly type: 'rowCount';
      readonly table: string;
      /** At least this many rows. */
      readonly min: number;
    }
  | {
      readonly type: 'freshness';
      readonly table: string;
      /** A timestamp column; its newest value must be within the RPO objective of the recovery point. */
      readonly column: string;
    }
  | {
      readonly type: 'canary';
      readonly table: string;
      readonly column: string;
      /** A row whose `column` equals this value must exist. */
      readonly value: string | number;
    }
  | {
      readonly type: 'sql';
      readonly name: string;
      /** Must return one row whose first column is true. */
      readonly sql: string;
    }
  | {
      readonly type: 'checksum';
      readonly table: string;
      /**
       * The table's digest, recorded when absent. PostgreSQL: md5 of the rows' text, ordered by it, joined with commas.
       * MySQL family: the sum modulo 2^256 of a SHA-256 per row over its values as the server renders them (times in
       * UTC), as 64 hex digits; neither depends on the rows' order.
       */
      readonly expected?: string;
    };

export interface CheckResult {
  readonly name: string;
  readonly passed: boolean;
  /** A self-contained sentence fragment, used as the reason when the check failed. */
  readonly detail: string;
  /** newest committed row time, for freshness checks */
  readonly newestRow?: string;
}

/**
 * One objective as the drill found it. Read `outcome`; the other fields are its evidence.
 * - `met`: measured and within the objective. The only outcome with `met: true`.
 * - `missed`: measured and over the objective; the drill fails.
 * - `not-measured`: nothing measured it (for RPO: no freshness check found a row); the drill fails.
 * - `waived`: not measured, and the config waives it for this database (`drill.waive`); `waiver` is the reason.
 *   A waiver only excuses the missing measurement: a measured miss still fails the drill.
 */
export interface Objective {
  readonly outcome: 'met' | 'missed' | 'not-measured' | 'waived';
  readonly measured: boolean;
  readonly measuredSeconds: number | null;
  readonly objectiveSeconds: number;
  /** True only when measured and within the objective; never true for an objective nobody measured. */
  readonly met: boolean;
  /** The configured reason, when the objective was not measured and is waived; otherwise null. */
  readonly waiver: string | null;
}

/** Reasons, per objective, why a drill may pass without measuring it (config `databases[].drill.waive`). */
export interface Waivers {
  readonly rpo?: string;
  readonly rto?: string;
}

export interface DrillVerdict {
  readonly status: 'passed' | 'failed';
  readonly rto: Objective;
  readonly rpo: Objective;
  readonly summary: string;
  readonly reasons: string[];
}

/**
 * What started a drill, as its execution input says: a schedule (EventBridge Scheduler passes the schedule's ARN
 * and the time it fired), or a person, who may name themselves in `startedBy`. Step Functions does not tell an
 * execution who started it; CloudTrail's StartExecution event does.
 */
export type DrillTrigger =
  | { readonly type: 'schedule'; readonly schedule: string; readonly scheduledTime: string }
  | { readonly type: 'manual'; readonly startedBy: string | null };

/** One moment of a drill's timeline; `at` is null when the drill did not get there or nothing recorded it. */
export interface TimelineEntry {
  readonly event:
    | 'drill started'
    | 'restore started'
    | 'database available'
    | 'first query answered'
    | 'cleanup done'
    | 'report written';
  readonly at: string | null;
  /** How the time was taken, when that matters to reading it (e.g. a poll that saw the database available). */
  readonly note?: string;
}

/** The drill's evidence, as stored and as a person reads it. */
export interface DrillReport {
  readonly database: string;
  readonly status: 'passed' | 'failed';
  readonly summary: string;
  readonly recoveryPoint: RecoveryPoint | null;
  readonly rto: Objective;
  readonly rpo: Objective;
  readonly checks: readonly CheckResult[];
  readonly cleanup: CleanupOutcome;
  readonly drillId: string;
  readonly execution: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  /** The account and region the drill ran in (those of its execution). */
  readonly account: string;
  readonly region: string;
  /** The database the drill restores copies of: its RDS identifier, and whether it is an instance or a cluster. */
  readonly source: { readonly identifier: string; readonly kind: 'instance' | 'cluster' };
  readonly engine: string;
  /** The restored database's engine version; else the recovery point's; null when neither was read. */
  readonly engineVersion: string | null;
  readonly trigger: DrillTrigger;
  readonly timeline: readonly TimelineEntry[];
  /** The zone the report shows times in (the drill schedule's); stored times stay UTC ISO-8601. */
  readonly timeZone: string;
  /** Where a person opens what the report names, in the AWS console. */
  readonly links: {
    readonly execution: string;
    readonly recoveryPoint: string | null;
    readonly report: string | null;
  };
}

/** What the drill workflow knows of one database; embedded in the definition at synth. */
export interface DrillCatalogEntry {
  readonly id: string;
  readonly kind: 'instance' | 'cluster';
  readonly identifier: string;
  readonly engine: string;
  readonly rpoSeconds: number;
  readonly rtoSeconds: number;
  readonly timeoutSeconds: number;
  readonly instanceClass: string;
  readonly credentialsSecret: string;
  readonly databaseName: string;
  readonly checks: DrillCheck[];
  /** Objectives this database's drill may leave unmeasured, each with the configured reason; `{}` when none. */
  readonly waive: Waivers;
  /** The IANA zone its report shows times in: the drill schedule's. */
  readonly timeZone: string;
  /**
   * The source DB instance's ARN, when its automated backups are replicated into the drill's region
   * (`continuous.mode: automated-backup-replication`): only then may a drill restore a point in time. @default - none
   */
  readonly pointInTimeSource?: string;
}

export type RecoveryPointChoice =
  | { readonly type: 'latest' }
  | { readonly type: 'snapshot'; readonly id: string }
  /** `time`: an ISO-8601 instant, or `latest` for the latest restorable time of the replicated automated backups. */
  | { readonly type: 'pointInTime'; readonly time: string };

/** The validated drill request: the input of Preflight and Cleanup. */
export interface DrillPlan extends DrillCatalogEntry {
  readonly database: string;
  readonly recoveryPoint: RecoveryPointChoice;
  /** Identifier of the temporary instance (and cluster) this execution restores. */
  readonly drillId: string;
  readonly execution: string;
  readonly startedAt: string;
  /** The instance class the request asked for (`overrides.instanceClass`); preflight checks RDS offers it. */
  readonly instanceClassOverride?: string;
  /** The class from the config, when the request overrode it. */
  readonly configuredInstanceClass?: string;
  /** What started this drill, as the request says. */
  readonly trigger: DrillTrigger;
}

/** The output of Preflight: the recovery point the drill restores. */
export interface RecoveryPoint {
  readonly type: 'latest-copy' | 'snapshot' | 'point-in-time';
  readonly id: string;
  readonly time: string;
  /** The snapshot's ARN (for a point in time: the automated backups' ARN), as RDS described it. */
  readonly arn?: string;
  /** The KMS key RDS says the snapshot or backups are encrypted with; absent when RDS named none. */
  readonly kmsKeyId?: string;
  readonly engineVersion?: string;
}

export interface RestoreStarted {
  readonly drillId: string;
  readonly restoreStartedAt: string;
}

export interface RestoredEndpoint {
  readonly host: string;
  readonly port: number;
  /** When the wait first saw the database available (a poll: it became available at most one interval before). */
  readonly availableAt?: string;
  /** The restored database's engine version, as RDS describes it. */
  readonly engineVersion?: string;
}

export interface CheckOutcome {
  readonly results: CheckResult[];
  readonly firstGoodQueryAt?: string;
  readonly connectError?: string;
  readonly verdict: DrillVerdict;
}

export interface CleanupOutcome {
  readonly deleted: string[];
  readonly leaked: string[];
  /** When the cleanup finished deleting (or gave up on) what it found. */
  readonly finishedAt?: string;
}

export type PreflightInput = DrillPlan;

export interface RestoreInput {
  readonly plan: DrillPlan;
  readonly recoveryPoint: RecoveryPoint;
}

export interface WaitRestoredInput {
  readonly plan: DrillPlan;
  readonly restore: RestoreStarted;
}

export interface CheckDataInput {
  /** Lifeline's id of the database, for the verdict's wording. */
  readonly database: string;
  /** The database's engine, as the config names it: the checks speak its protocol and its SQL. */
  readonly engine: string;
  readonly endpoint: RestoredEndpoint;
  /** The secret (JSON with username and password) the checks log in with. */
  readonly credentialsSecret: string;
  readonly databaseName: string;
  readonly checks: readonly DrillCheck[];
  readonly recoveryPointTime: string;
  readonly restoreStartedAt: string;
  readonly objectives: {
    readonly rpoSeconds: number;
    readonly rtoSeconds: number;
    /** Objectives the config lets go unmeasured, with the reasons. @default none */
    readonly waive?: Waivers;
  };
}

export type CheckDataOutput = CheckOutcome;

export type CleanupInput = DrillPlan;

export interface ReportInput {
  readonly plan: DrillPlan;
  readonly recoveryPoint?: RecoveryPoint | null;
  readonly restore?: RestoreStarted | null;
  readonly endpoint?: RestoredEndpoint | null;
  readonly checks?: CheckOutcome | null;
  readonly cleanup?: CleanupOutcome | null;
  /** Present when a step failed before a verdict. */
  readonly error?: { readonly Error?: string; readonly Cause?: string } | null;
  readonly failedStep?: string | null;
}

export interface ReportOutput {
  readonly report: DrillReport;
  readonly location: {
    readonly json: string;
    readonly html: string;
    /** The HTML report in the S3 console. */
    readonly console: string;
    /** The database's drill history page (s3 URI). */
    readonly history: string;
  };
  readonly subject: string;
  /** The SNS message: the summary, then where the report and the history are. */
  readonly message: string;
  /** Why the history was not updated, when it was not; the report itself is stored either way. */
  readonly historyNotUpdated?: string;
}

/** The sweeper runs on a schedule and takes no input. */
export type SweepInput = unknown;

export interface SweepOutput {
  readonly swept: string[];
}

/** The tag keys a drill puts on the database it restores, and nothing else (an IAM condition can pin them). */
export const DRILL_RESOURCE_TAG_KEYS = [TAG.drill, TAG.managedBy, TAG.execution, TAG.expires] as const;

/** The input of the request validator: the execution input as given, and what the definition embeds. */
export interface ValidateDrillInput {
  readonly request: unknown;
  readonly catalog: Record<string, DrillCatalogEntry>;
  readonly execution: string;
  readonly startTime: string;
  /** The longest `overrides.timeoutMinutes` the workflow can wait for (its restore poll and execution timeout). @default 1440 */
  readonly maxTimeoutMinutes?: number;
}

/** The drill workflow's handlers: each state's task payload is checked against the handler's input. */
export const DRILL_HANDLERS = {
  validateDrill: handlerContract<ValidateDrillInput, DrillPlan>('functions/drill/validate-drill.ts'),
  preflight: handlerContract<PreflightInput, RecoveryPoint>('functions/drill/preflight.ts'),
  restore: handlerContract<RestoreInput, RestoreStarted>('functions/drill/restore.ts'),
  waitRestored: handlerContract<WaitRestoredInput, RestoredEndpoint>('functions/drill/wait-restored.ts'),
  checkData: handlerContract<CheckDataInput, CheckDataOutput>('functions/drill/check-data.ts'),
  cleanup: handlerContract<CleanupInput, CleanupOutcome>('functions/drill/cleanup.ts'),
  report: handlerContract<ReportInput, ReportOutput>('functions/drill/report.ts'),
  sweep: handlerContract<SweepInput, SweepOutput>('functions/drill/sweep.ts'),
} as const;
