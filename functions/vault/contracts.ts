/** What the vault stack passes the vault pruner, and what the pruner returns. Imports nothing but other contracts. */
import type { DatabaseKind, RetentionCounts } from '../backup/contracts';
import { handlerContract } from '../commons/contracts';

/** One database whose copies are kept in the vault, as the vault stack passes it (`ENV.vaultDatabases`, JSON). */
export interface VaultDatabase {
  readonly id: string;
  readonly kind: DatabaseKind;
  /** The database's backup time zone: `vault.retention` is counted in it, as every region's retention is. */
  readonly timeZone: string;
}

/** `vault.retention`, as the vault stack passes it (`ENV.vaultRetention`, JSON). */
export type VaultRetention = RetentionCounts;

/** The pruner runs on a schedule and takes no input. */
export type PruneVaultInput = unknown;

export interface VaultDatabasePruned {
  readonly database: string;
  readonly kept: number;
  readonly deleted: string[];
}

export interface VaultPruneOutput {
  readonly account: string;
  readonly region: string;
  readonly databases: VaultDatabasePruned[];
}

/** The vault account's handlers. */
export const VAULT_HANDLERS = {
  pruneVault: handlerContract<PruneVaultInput, VaultPruneOutput>('functions/vault/prune-vault.ts'),
} as const;
