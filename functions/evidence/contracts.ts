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
}

export interface ProtectedBucketSummary {
  readonly id: string;
  readonly replicate: boolean;
  readonly objectLock?: { readonly mode: string; readonly retentionDays: number };
}

/** An underlying record the roll-up cites: where it is, and its SHA-256 as read. */
export interface EvidenceRecord {
  readonly kind: 'backup-execution' | 'drill-report' | 'failover-record' | 'replication-report' | 'retention-check';
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
  readonly record?: EvidenceRecord;
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
}

export type ObjectiveTally = Readonly<Record<'met' | 'missed' | 'not-measured' | 'waived', number>>;

export interface DatabaseRollup {
  readonly id: string;
  readonly engine: string;
  readonly backups: { readonly succeeded: number; readonly failed: number; readonly successRate: number | null };
  readonly drills: { readonly passed: number; readonly failed: number; readonly lastPassedAt: string | null };
  readonly failoverDrills: { readonly passed: number; readonly failed: number };
  readonly rto: ObjectiveTally;
  readonly rpo: ObjectiveTally;
  /** Every region's retention check kept what it asks for; null when no check is on record. */
  readonly retentionCompliant: boolean | null;
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
