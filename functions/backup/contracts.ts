import { handlerContract } from '../commons/contracts';
import type { CheckSnapshotInput } from './check-snapshot';
import type { CopySlotInput } from './copy-slot';
import type { CopySnapshotInput } from './copy-snapshot';
import type { PruneInput } from './prune';
import type { RecordRunInput } from './record-run';
import type { ShareWithVaultInput } from './share-with-vault';
import type { ValidateRequestInput } from './validate-request';
import type { StartVaultCopyInput, VerifyVaultCopyInput } from './vault-copy';
import type { VerifyCopyInput } from './verify-copy';

/** Payloads shared by the backup workflow's states and their Lambdas. */

export type DatabaseKind = 'instance' | 'cluster';

/** What the workflow knows about one protected database; embedded in the definition at synth. */
export interface CatalogEntry {
  readonly id: string;
  readonly kind: DatabaseKind;
  readonly identifier: string;
  readonly engine: string;
  readonly timeZone: string;
  readonly copyToDr: boolean;
  readonly copyToVault: boolean;
  readonly retention: {
    readonly daily: number;
    readonly weekly: number;
    readonly monthly: number;
    readonly yearly: number;
  };
}

/** What an operator or a schedule passes to start a backup. */
export interface BackupRequest {
  readonly database: string;
  /** ISO-8601 instant the run stands for; the snapshot id derives from it. @default the execution start */
  readonly scheduledTime?: string;
}

/** The validated request: everything later states need, resolved once. */
export interface BackupPlan {
  readonly database: string;
  readonly kind: DatabaseKind;
  readonly identifier: string;
  readonly snapshotId: string;
  readonly scheduledTime: string;
  readonly retentionClasses: readonly string[];
  readonly retention: CatalogEntry['retention'] & { readonly timeZone: string };
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

export interface SnapshotState extends SnapshotRef {
  readonly status: string;
  readonly createdAt: string;
  readonly encrypted: boolean;
  readonly kmsKeyId?: string;
}

/** Tags every Lifeline recovery point carries; pruning only ever touches snapshots with MANAGED_BY. */
export const TAG = {
  managedBy: 'lifeline:managed-by',
  database: 'lifeline:database',
  /** The config `name` of the Lifeline that made it; two installations in one account never touch each other's. */
  installation: 'lifeline:installation',
  retention: 'lifeline:retention',
  execution: 'lifeline:execution',
  scheduledTime: 'lifeline:scheduled-time',
  verified: 'lifeline:verified',
  drCopy: 'lifeline:dr-copy',
  /** On a source (or its transit copy): `verified` once its copy in the vault account is verified. */
  vaultCopy: 'lifeline:vault-copy',
  /** On a transit copy made only to share a source with the vault account: the source's id. */
  vaultShare: 'lifeline:vault-share',
} as const;

/** Environment variable holding the installation's config `name`, as written to `TAG.installation`. */
export const INSTALLATION_ENV = 'LIFELINE_INSTALLATION';

/** The backup workflow's handlers: each state's task payload is checked against the handler's input. */
export const BACKUP_HANDLERS = {
  validateRequest: handlerContract<ValidateRequestInput, BackupPlan>('functions/backup/validate-request.ts'),
  createSnapshot: handlerContract<BackupPlan, SnapshotRef>('functions/backup/create-snapshot.ts'),
  checkSnapshot: handlerContract<CheckSnapshotInput, SnapshotState>('functions/backup/check-snapshot.ts'),
  copySlot: handlerContract<CopySlotInput>('functions/backup/copy-slot.ts'),
  copySnapshot: handlerContract<CopySnapshotInput>('functions/backup/copy-snapshot.ts'),
  verifyCopy: handlerContract<VerifyCopyInput>('functions/backup/verify-copy.ts'),
  prune: handlerContract<PruneInput>('functions/backup/prune.ts'),
  recordRun: handlerContract<RecordRunInput>('functions/backup/record-run.ts'),
  shareWithVault: handlerContract<ShareWithVaultInput>('functions/backup/share-with-vault.ts'),
  vaultCopy: handlerContract<StartVaultCopyInput | VerifyVaultCopyInput>('functions/backup/vault-copy.ts'),
} as const;
