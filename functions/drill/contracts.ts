import type { DrillCheck } from '../../infra/config/schema';
import { handlerContract } from '../commons/contracts';
import type { CheckDataInput } from './check-data';
import type { ReportInput } from './report';
import type { RestoreInput } from './restore';
import type { ValidateDrillInput } from './validate-drill';
import type { CheckResult, DrillVerdict, Waivers } from './verdict';
import type { WaitRestoredInput } from './wait-restored';

/** Payloads shared by the drill workflow's states and their Lambdas. */

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
}

export type RecoveryPointChoice =
  | { readonly type: 'latest' }
  | { readonly type: 'snapshot'; readonly id: string }
  | { readonly type: 'pointInTime'; readonly time: string };

/** The validated drill request. */
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
}

export interface RecoveryPoint {
  readonly type: 'latest-copy' | 'snapshot' | 'point-in-time';
  readonly id: string;
  readonly time: string;
}

export interface RestoreStarted {
  readonly drillId: string;
  readonly restoreStartedAt: string;
}

export interface RestoredEndpoint {
  readonly host: string;
  readonly port: number;
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
}

/** Tags on every temporary drill resource; the sweeper finds leftovers by them. */
export const DRILL_TAG = {
  drill: 'lifeline:drill',
  managedBy: 'lifeline:managed-by',
  execution: 'lifeline:execution',
  expires: 'lifeline:expires',
} as const;

export const DRILL_PREFIX = 'lifeline-drill-';

/** The drill workflow's handlers: each state's task payload is checked against the handler's input. */
export const DRILL_HANDLERS = {
  validateDrill: handlerContract<ValidateDrillInput, DrillPlan>('functions/drill/validate-drill.ts'),
  preflight: handlerContract<DrillPlan, RecoveryPoint>('functions/drill/preflight.ts'),
  restore: handlerContract<RestoreInput, RestoreStarted>('functions/drill/restore.ts'),
  waitRestored: handlerContract<WaitRestoredInput, RestoredEndpoint>('functions/drill/wait-restored.ts'),
  checkData: handlerContract<CheckDataInput, CheckOutcome>('functions/drill/check-data.ts'),
  cleanup: handlerContract<DrillPlan, CleanupOutcome>('functions/drill/cleanup.ts'),
  report: handlerContract<ReportInput>('functions/drill/report.ts'),
  sweep: handlerContract<Record<string, never>>('functions/drill/sweep.ts'),
} as const;
