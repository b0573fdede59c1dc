/**
 * Payloads shared by the backup workflow's states and their Lambdas: each handler's input and output, and the
 * constants the constructs need. Imports nothing but other contracts.
 */
import { handlerContract } from '../commons/contracts';

export type DatabaseKind = 'instance' | 'cluster';

/** How many recovery points of each class a region keeps. */
export interface RetentionCounts {
  readonly daily: number;
  readonly weekly: number;
  readonly monthly: number;
  readonly yearly: number;
  /** Sub-daily retention: every point of the last this many seconds (counted back from the newest verified point). @default - none */
  readonly keepAllForSeconds?: number;
}

/** What the workflow knows about one protected database; embedded in the definition at synth. */
export interface CatalogEntry {
  readonly id: string;
  readonly kind: DatabaseKind;
  readonly identifier: string;
  readonly engine: string;
  readonly timeZone: string;
  readonly copyToDr: boolean;
  readonly copyToVault: boolean;
  readonly retention: RetentionCounts;
}

/** What an operator or a schedule passes to start a backup. */
export interface BackupRequest {
  readonly database: string;
  /** ISO-8601 instant the run stands for; the snapshot id derives from it. @default the execution start */
  readonly scheduledTime?: string;
}

/** The validated request: everything later states need, resolved once. The input of CreateSnapshot. */
export interface BackupPlan {
  readonly database: string;
  readonly kind: DatabaseKind;
  readonly identifier: string;
  readonly snapshotId: string;
  readonly scheduledTime: string;
  readonly retentionClasses: readonly string[];
  readonly retention: RetentionCounts & { readonly timeZone: string };
  readonly copyToDr: boolean;
  readonly copyToVault: boolean;
  readonly execution: string;
  /** Regions to prune after the run: the source region, and the DR region when copies go there. */
  readonly pruneTargets: ReadonlyArray<{ readonly region: string; readonly role: 'source' | 'copy' }>;
}

export interface SnapshotRef {
  readonly snapshotId: string;
  readonly arn: string;
  readonly region: string;
  /** True when a snapshot with this id already existed and was reused (a re-run). */
  readonly reused?: boolean;
}

/** The output of CheckSnapshot. */
export interface SnapshotState extends SnapshotRef {
  readonly status: string;
  readonly createdAt: string;
  readonly encrypted: boolean;
  readonly kmsKeyId?: string;
}

export type CreateSnapshotInput = BackupPlan;

export interface CreateSnapshotOutput extends SnapshotRef {
  /** Manual snapshots in the region before this one, and the quota they count against. */
  readonly quota: { readonly used: number; readonly limit: number; readonly warning: string | null };
}

export interface CheckSnapshotInput {
  readonly kind: DatabaseKind;
  readonly snapshotId: string;
  /** Region to look in. @default the function's region */
  readonly region?: string;
}

export interface CopySlotInput {
  readonly action: 'acquire' | 'release';
  /** The execution that holds the slot. */
  readonly holder: string;
  /** Destination region the copies go to. */
  readonly region: string;
}

export interface CopySlotOutput {
  readonly inUse: number;
  readonly limit: number;
  /** On release: whether the holder had a slot to give back. */
  readonly released?: boolean;
}

export interface CopySlotRetryPolicy {
  readonly intervalSeconds: number;
  readonly backoffRate: number;
  readonly maxDelaySeconds: number;
  readonly maxAttempts: number;
  readonly jitter: 'FULL' | 'NONE';
}

/**
 * Retry policy for the "Acquire a copy slot" state (on NoCopySlot), shared by the state machine and the fleet
 * simulation. Tuned with test/fleet/simulate-fleet.ts: polling wastes < 0.1 % of slot time, so a 300 s cap saves
 * transitions. 3500 attempts wait ~146 h under FULL jitter (500 DBs through 5 slots need 101 h) at ~10,500 of
 * 25,000 history events.
 */
export const COPY_SLOT_RETRY: CopySlotRetryPolicy = {
  intervalSeconds: 60,
  backoffRate: 1.5,
  maxDelaySeconds: 300,
  maxAttempts: 3500,
  jitter: 'FULL',
};

export interface CopySnapshotInput {
  readonly kind: DatabaseKind;
  readonly sourceArn: string;
  readonly snapshotId: string;
}

export interface CopyStarted extends SnapshotRef {
  readonly kmsKeyArn: string;
}

export interface VerifyCopyInput {
  readonly kind: DatabaseKind;
  readonly database: string;
  readonly snapshotId: string;
  readonly region: string;
  readonly kmsKeyArn: string;
  readonly sourceArn: string;
  readonly sourceRegion: string;
}

export interface CopyVerified {
  readonly verifiedAt: string;
  readonly arn: string;
  readonly createdAt?: string;
}

export interface ShareWithVaultInput {
  readonly kind: DatabaseKind;
  readonly database: string;
  /** The run's verified DR copy in the DR region. */
  readonly snapshotId: string;
}

export interface VaultShare {
  readonly snapshotId: string;
  /** ARN of the shared DR copy: the source of the vault copy, in the same region. */
  readonly arn: string;
  readonly region: string;
  readonly sharedWith: string;
  /** Lifeline's identity tags of the DR copy; the vault copy carries them. */
  readonly tags: Record<string, string>;
}

export interface VaultCopyStartInput {
  readonly action: 'start';
  readonly kind: DatabaseKind;
  /** The id the copy gets in the vault: the run's snapshot id. */
  readonly snapshotId: string;
  /** ARN of the DR copy shared with the vault account (in the DR region, which is the vault's region). */
  readonly sharedArn: string;
  readonly tags: Record<string, string>;
}

export interface VaultCopyVerifyInput {
  readonly action: 'verify';
  readonly kind: DatabaseKind;
  readonly database: string;
  readonly snapshotId: string;
  readonly kmsKeyArn: string;
  /** The shared DR copy and the run's source in the primary region; both are tagged once the copy verifies. */
  readonly sharedArn: string;
  readonly sourceArn: string;
}

export type VaultCopyInput = VaultCopyStartInput | VaultCopyVerifyInput;

export interface VaultCopyStarted {
  readonly snapshotId: string;
  readonly arn: string;
  readonly account: string;
  readonly region: string;
  readonly kmsKeyArn: string;
  readonly reused: boolean;
}

export interface VaultCopyVerified {
  readonly verifiedAt: string;
  readonly arn: string;
  readonly account: string;
  readonly region: string;
  readonly createdAt?: string;
}

export interface PruneInput {
  readonly database: string;
  readonly identifier: string;
  readonly kind: DatabaseKind;
  readonly region: string;
  /** 'source': the primary region, where a point may go only once its DR copy is verified. */
  readonly role: 'source' | 'copy';
  /** Whether the database's points are copied to the DR region at all. */
  readonly copyToDr: boolean;
  /** The counts, and the time zone the calendar is counted in. @default timeZone 'UTC' */
  readonly retention: RetentionCounts & { readonly timeZone?: string };
}

export interface PruneOutput {
  readonly region: string;
  readonly kept: number;
  readonly deleted: string[];
}

export interface RecordRunInput {
  readonly database: string;
  readonly snapshotId: string;
  readonly execution: string;
  readonly startedAt: string;
  readonly snapshotCreatedAt?: string;
  /** The verified DR copy; empty when the database is not copied. */
  readonly copy?: { readonly verifiedAt?: string; readonly createdAt?: string } | null;
  /** The verified copy in the vault account; empty when the database has none. */
  readonly vault?: { readonly verifiedAt?: string; readonly arn?: string } | null;
  readonly quotaWarning?: string | null;
  readonly pruned: ReadonlyArray<{ readonly region: string; readonly deleted: readonly string[] }>;
}

/** The output of RecordRun: the run's evidence. */
export interface BackupRecord {
  readonly database: string;
  readonly snapshotId: string;
  readonly execution: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly snapshotSeconds?: number;
  readonly copySeconds?: number;
  readonly newestVerifiedCopyAgeSeconds?: number;
  readonly vaultCopyArn?: string;
  readonly vaultCopySeconds?: number;
  readonly pruned: Record<string, readonly string[]>;
}

/** The input of the request validator: the execution input as given, and what the definition embeds. */
export interface ValidateRequestInput {
  /** The execution input exactly as given. */
  readonly request: unknown;
  /** Protected databases by id, embedded in the definition at synth. */
  readonly catalog: Record<string, CatalogEntry>;
  readonly execution: string;
  readonly startTime: string;
}

/** The backup workflow's handlers: each state's task payload is checked against the handler's input. */
export const BACKUP_HANDLERS = {
  validateRequest: handlerContract<ValidateRequestInput, BackupPlan>('functions/backup/validate-request.ts'),
  createSnapshot: handlerContract<CreateSnapshotInput, CreateSnapshotOutput>('functions/backup/create-snapshot.ts'),
  checkSnapshot: handlerContract<CheckSnapshotInput, SnapshotState>('functions/backup/check-snapshot.ts'),
  copySlot: handlerContract<CopySlotInput, CopySlotOutput>('functions/backup/copy-slot.ts'),
  copySnapshot: handlerContract<CopySnapshotInput, CopyStarted>('functions/backup/copy-snapshot.ts'),
  verifyCopy: handlerContract<VerifyCopyInput, CopyVerified>('functions/backup/verify-copy.ts'),
  prune: handlerContract<PruneInput, PruneOutput>('functions/backup/prune.ts'),
  recordRun: handlerContract<RecordRunInput, BackupRecord>('functions/backup/record-run.ts'),
  shareWithVault: handlerContract<ShareWithVaultInput, VaultShare>('functions/backup/share-with-vault.ts'),
  vaultCopy: handlerContract<VaultCopyInput, VaultCopyStarted | VaultCopyVerified>('functions/backup/vault-copy.ts'),
} as const;
