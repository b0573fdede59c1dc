import { handlerContract } from '../commons/contracts';

/** The vault account's handlers. */
export const VAULT_HANDLERS = {
  pruneVault: handlerContract<Record<string, never>>('functions/vault/prune-vault.ts'),
} as const;
