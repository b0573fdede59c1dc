/**
 * Payloads of the snapshot-export workflow's states and their Lambdas, and the names they share with the construct:
 * the tag that marks a recovery point as exported, the prefixes in the archive bucket. Imports nothing but other
 * contracts.
 */
import type { DatabaseKind, RetentionCounts } from '../backup/contracts';
import { handlerContract } from '../commons/contracts';

/**
 * On a source snapshot: where its export stands. `started` once RDS accepted the export task, `complete` or `failed`
 * once it ended and was recorded. A point with the tag is never exported again by the schedule.
 */
export const EXPORT_TAG = 'lifeline:export';
export const EXPORT_STATE = { started: 'started', complete: 'complete', failed: 'failed' } as const;

/** Where RDS writes each export: `<EXPORTS_PREFIX><database>/<export task id>/...` (RDS adds the task id). */
export const EXPORTS_PREFIX = 'exports/';
/** Where the record of each export goes: `<RECORDS_PREFIX><database>/<export task id>.json`, out of the export role's reach. */
export const RECORDS_PREFIX = 'records/exports/';

/** Environment of the export functions. */
export const EXPORT_ENV = {
  /** The role RDS assumes to write the export (trusted by export.rds.amazonaws.com). */
  roleArn: 'EXPORT_ROLE_ARN',
  /** The KMS key the export is encrypted with (the archive bucket's key, in this region). */
  keyArn: 'EXPORT_KEY_ARN',
} as const;

/** What the workflow knows of one database whose monthly and yearly points are exported; embedded in the definition. */
export interface ExportCatalogEntry {
  readonly id: string;
  readonly kind: DatabaseKind;
  /** The zone whose months and years the retention counts (the backup schedule's). */
  readonly timeZone: string;
  readonly copyToDr: boolean;
  readonly retention: RetentionCounts;
  /** The archive bucket's name, in this region. */
  readonly bucket: string;
}

export interface PlanExportsInput {
  readonly catalog: readonly ExportCatalogEntry[];
  /** The instant the plan is made for: which months and years are over. @default the function's clock */
  readonly now?: string;
  /** Most exports to start in one run; the rest wait for the next. */
  readonly maxExports: number;
  /** Only this database; `*` (or none) for every database of the catalog. */
  readonly database?: string;
}

/** One recovery point to export (or an export already under way to wait for and record). */
export interface ExportTarget {
  readonly database: string;
  readonly kind: DatabaseKind;
  readonly snapshotId: string;
  readonly snapshotArn: string;
  /** The retention classes that keep it and whose period is over: why it is exported. */
  readonly classes: readonly ('monthly' | 'yearly')[];
  readonly exportTaskId: string;
  readonly bucket: string;
  /** The S3 prefix given to RDS; the export lands under `<prefix>/<exportTaskId>/`. */
  readonly prefix: string;
  /** False when an export task of this point exists already (a run that died before recording it). */
  readonly start: boolean;
}

export interface ExportPlan {
  readonly exports: readonly ExportTarget[];
  /** Settled points left for a later run because of `maxExports`. */
  readonly deferred: readonly string[];
}

/** What DescribeExportTasks says of a task once it ended. */
export interface ExportResult {
  readonly exportTaskId: string;
  readonly status: 'COMPLETE' | 'FAILED' | 'CANCELED';
  readonly s3Uri: string;
  readonly failureCause?: string;
  readonly warning?: string;
  readonly extractedGb?: number;
  readonly snapshotTime?: string;
  readonly startedAt?: string;
  readonly endedAt?: string;
}

export interface CheckExportInput {
  readonly exportTaskId: string;
}

export interface RecordExportInput {
  readonly target: ExportTarget;
  readonly result: ExportResult;
  readonly execution: string;
}

/** The JSON record written beside the exports: what a later run, an auditor or a restore reads. */
export interface ExportRecord extends ExportResult {
  readonly database: string;
  readonly snapshotId: string;
  readonly snapshotArn: string;
  readonly classes: readonly string[];
  readonly bucket: string;
  readonly execution: string;
  readonly recordedAt: string;
  /** Objects and bytes under the export's prefix (COMPLETE only). */
  readonly objects?: number;
  readonly bytes?: number;
  /** Why the sizes are missing from the record of a COMPLETE export (its objects could not be listed). */
  readonly sizeUnknown?: string;
}

export interface RecordExportOutput {
  readonly recordKey: string;
  readonly outcome: 'exported' | 'failed';
  /** Why it did not complete, in RDS's words ('' when it completed). */
  readonly cause: string;
}

export const EXPORT_HANDLERS = {
  plan: handlerContract<PlanExportsInput, ExportPlan>('functions/export/plan.ts'),
  start: handlerContract<ExportTarget, { exportTaskId: string; started: boolean }>('functions/export/start-export.ts'),
  check: handlerContract<CheckExportInput, ExportResult>('functions/export/check-export.ts'),
  record: handlerContract<RecordExportInput, RecordExportOutput>('functions/export/record-export.ts'),
} as const;
