/**
 * The evidence roll-up's vocabulary: what a week's or a month's evidence is gathered from (executions of the backup
 * workflow, drill reports, bucket verifications, each underlying record with its checksum), and the roll-up an
 * auditor is handed. Imports only the shared contracts.
 */
import { handlerContract } from '../commons/contracts';

export type RollupPeriodKind = 'week' | 'month';

export interface RollupPeriod {
  readonly kind: RollupPeriodKind;
  /** `2026-11` for a month, `2026-W48` for an ISO week. */
  readonly label: string;
  /** Inclusive start and exclusive end, ISO (UTC). */
  readonly from: string;
  readonly to: string;
}

/** One protected database as configured, with what it promises. */
export interface ProtectedDatabase {
  readonly id: string;
  readonly engine: string;
  readonly rpoSeconds: number;
  readonly rtoSeconds: number;
  /** The longest gap between two scheduled drills; absent when none is scheduled. */
  readonly drillCadenceSeconds?: number;
  /** The retention it is kept under, as configured (e.g. `{ daily: 7, weekly: 4, monthly: 12, yearly: 7 }`). */
  readonly retention: Readonly<Record<string, number>>;
  /** Instance or cluster: how its DR copies are listed for the retention check. @default - no retention check */
  readonly kind?: 'instance' | 'cluster';
  /** Whether its copies go to the DR region, where the retention check lists them. @default true */
  readonly copyToDr?: boolean;
}

export interface ProtectedBucketSummary {
  readonly id: string;
  readonly replicate: boolean;
  readonly objectLock?: { readonly mode: string; readonly retentionDays: number };
}

/** An underlying record the roll-up cites: where it is, and its SHA-256 as read. */
export interface EvidenceRecord {
  readonly kind:
    | 'backup-execution'
    | 'drill-report'
    | 'failover-record'
    | 'replication-report'
    | 'retention-check'
    | 'export-record'
    | 'dump-manifest';
  readonly database?: string;
  /** S3 URI or execution ARN. */
  readonly location: string;
  readonly sha256: string;
}

/** A backup execution in the period, as Step Functions recorded it. */
export interface BackupEvidence {
  readonly database: string;
  readonly execution: string;
  readonly status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'RUNNING';
  readonly startedAt: string;
  /** The record's copy age when it succeeded. */
  readonly newestVerifiedCopyAgeSeconds?: number;
  readonly record: EvidenceRecord;
}

/** A drill report in the period (the fields the roll-up uses). */
export interface DrillEvidence {
  readonly database: string;
  readonly status: 'passed' | 'failed';
  readonly startedAt: string;
  readonly rto: {
    readonly outcome: 'met' | 'missed' | 'not-measured' | 'waived';
    readonly measuredSeconds: number | null;
  };
  readonly rpo: {
    readonly outcome: 'met' | 'missed' | 'not-measured' | 'waived';
    readonly measuredSeconds: number | null;
  };
  /** True when the drill was a failover drill (the whole runbook on a shadow record). */
  readonly failover?: boolean;
  readonly record: EvidenceRecord;
}

/** What a retention check found of one database in one region at the end of the period. */
export interface RetentionEvidence {
  readonly database: string;
  readonly region: string;
  /** Recovery points the retention asks for that exist. */
  readonly kept: number;
  /** Recovery points the retention asks for, given the history. */
  readonly expected: number;
  /** Managed copies the retention would delete that are still there (the prune did not run or failed). */
  readonly beyond?: number;
  readonly record?: EvidenceRecord;
}

/** A failover record (`failovers/<db>/…`): a dry run preflights the recovery path, a real failover moves clients. */
export interface FailoverEvidence {
  readonly database: string;
  readonly startedAt: string;
  /** The record's status (`planned` for a dry run that planned its changes, `failed-over`, `rolled-back`, ...). */
  readonly status: string;
  readonly dryRun: boolean;
  /** A dry run that planned its changes with every blocking check met, or a failover verified through the name. */
  readonly passed: boolean;
  readonly record: EvidenceRecord;
}

/** An archive of a recovery point: an export's record, or a dump's manifest. */
export interface ArchiveEvidence {
  readonly database: string;
  readonly type: 'export' | 'dump';
  /** When it was recorded (an export's `recordedAt`, a manifest's write). */
  readonly at: string;
  /** The export completed; a manifest is only written after its dump, so a dump on record always did. */
  readonly ok: boolean;
  readonly record: EvidenceRecord;
}

/** A replication verification of one bucket. */
export interface ReplicationEvidence {
  readonly bucket: string;
  readonly verifiedAt: string;
  readonly missing: number;
  readonly mismatched: number;
  readonly failed: number;
  readonly oldestUnreplicatedSeconds?: number;
  readonly record: EvidenceRecord;
}

export interface RollupInput {
  readonly installation: string;
  readonly period: RollupPeriod;
  readonly generatedAt: string;
  readonly databases: readonly ProtectedDatabase[];
  readonly buckets: readonly ProtectedBucketSummary[];
  readonly backups: readonly BackupEvidence[];
  readonly drills: readonly DrillEvidence[];
  readonly retention: readonly RetentionEvidence[];
  readonly replication: readonly ReplicationEvidence[];
  /** Failover dry runs and failovers. @default - none on record */
  readonly failovers?: readonly FailoverEvidence[];
  /** Exports and dumps of the databases archived in a bucket. @default - none on record */
  readonly archives?: readonly ArchiveEvidence[];
}

export type ObjectiveTally = Readonly<Record<'met' | 'missed' | 'not-measured' | 'waived', number>>;

export interface DatabaseRollup {
  readonly id: string;
  readonly engine: string;
  readonly backups: { readonly succeeded: number; readonly failed: number; readonly successRate: number | null };
  readonly drills: { readonly passed: number; readonly failed: number; readonly lastPassedAt: string | null };
  readonly failoverDrills: { readonly passed: number; readonly failed: number };
  /** Failover dry runs (preflights of the recovery path) and real failovers in the period. */
  readonly failovers: {
    readonly dryRunsPassed: number;
    readonly dryRunsFailed: number;
    readonly failedOver: number;
    readonly notVerified: number;
  };
  /** Exports (completed, failed) and dumps archived in the period. */
  readonly archives: { readonly exported: number; readonly exportsFailed: number; readonly dumps: number };
  readonly rto: ObjectiveTally;
  readonly rpo: ObjectiveTally;
  /** Every region's retention check kept what it asks for and nothing beyond; null when no check is on record. */
  readonly retentionCompliant: boolean | null;
  /** The retention check as made when the roll-up was: recovery points kept of those asked for, and kept beyond. */
  readonly retention: { readonly kept: number; readonly expected: number; readonly beyond: number } | null;
  /** What is overdue or failing, in words; empty when nothing is. */
  readonly findings: readonly string[];
}

export interface BucketRollup {
  readonly id: string;
  readonly replicate: boolean;
  readonly objectLock: string | null;
  readonly lastVerifiedAt: string | null;
  /** The newest verification's discrepancies; null when none is on record. */
  readonly discrepancies: number | null;
  readonly findings: readonly string[];
}

export interface Rollup {
  readonly installation: string;
  readonly period: RollupPeriod;
  readonly generatedAt: string;
  readonly databases: readonly DatabaseRollup[];
  readonly buckets: readonly BucketRollup[];
  readonly totals: {
    readonly backupsSucceeded: number;
    readonly backupsFailed: number;
    readonly drillsPassed: number;
    readonly drillsFailed: number;
    readonly findings: number;
  };
  /** Every record the roll-up counted, with its checksum, in the order of the sections. */
  readonly records: readonly EvidenceRecord[];
}

/** The environment variable holding what the evidence function gathers from (EvidenceEnv, as JSON). */
export const EVIDENCE_ENV = 'EVIDENCE';

/** What the evidence function gathers from, as its construct passes it. */
export interface EvidenceEnv {
  readonly installation: string;
  /** The backup workflow (in the primary region): its executions are the backups. @default - no backup counted */
  readonly backup?: { readonly stateMachineArn: string };
  readonly databases: readonly ProtectedDatabase[];
  /** Buckets whose replication verifications are gathered. */
  readonly buckets: readonly ProtectedBucketSummary[];
  /** The databases that fail over through the failover runbook: their records are gathered. @default - none */
  readonly failoverDatabases?: readonly string[];
  /** Where each archived database's exports and dumps are, in this region (the archive bucket's replica). @default - none */
  readonly archives?: readonly {
    readonly database: string;
    readonly bucketName: string;
    readonly export: boolean;
    readonly dump: boolean;
  }[];
  /** Where the digest goes. @default - no digest */
  readonly reportTopicArn?: string;
}

/**
 * The evidence function's input: a period by label, or (from a schedule) the kind of period, whose last complete one
 * before `scheduledTime` (or now) is rolled up.
 */
export type EvidenceRequest =
  | { readonly period: string }
  | { readonly kind: RollupPeriodKind; readonly scheduledTime?: string };

export interface EvidenceOutcome {
  readonly period: RollupPeriod;
  /** s3:// URIs of the roll-up, JSON and HTML. */
  readonly json: string;
  readonly html: string;
  /** SHA-256 of the JSON roll-up as stored. */
  readonly sha256: string;
  readonly totals: Rollup['totals'];
  /** What could not be read, in words; the roll-up says "not checked" for it rather than guess. */
  readonly unread: readonly string[];
}

export const EVIDENCE_HANDLERS = {
  report: handlerContract<EvidenceRequest, EvidenceOutcome>('functions/evidence/gather.ts'),
} as const;
