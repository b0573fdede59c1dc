import { rds } from '../commons/aws';
import { lifelineHandler } from '../commons/handler';
import { type Kind, shareSnapshot } from '../commons/rds-snapshots';
import { env } from '../commons/runtime';

export interface ShareWithVaultInput {
  readonly kind: Kind;
  readonly snapshotId: string;
}

/** Lets the vault account copy the snapshot (its `restore` attribute); sharing twice changes nothing. */
export async function shareWithVault(input: ShareWithVaultInput): Promise<{ readonly sharedWith: string }> {
  const account = env('VAULT_ACCOUNT');
  await shareSnapshot(rds(), input.kind, input.snapshotId, [account]);
  return { sharedWith: account };
}

export const handler = lifelineHandler(shareWithVault);
