import { rds } from '../commons/aws';
import { SnapshotFailed } from '../commons/errors';
import { lifelineHandler } from '../commons/handler';
import { describeSnapshot, type Kind, shareSnapshot } from '../commons/rds-snapshots';
import { env } from '../commons/runtime';
import { identityTags, shareProblems } from './vault-copy-plan';

export interface ShareWithVaultInput {
  readonly kind: Kind;
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

/**
 * Lets the vault account copy the run's verified DR copy (its `restore` attribute), in the DR region: AWS copies
 * snapshots across accounts only within one region. Sharing twice changes nothing.
 */
export async function shareWithVault(input: ShareWithVaultInput): Promise<VaultShare> {
  const region = env('DR_REGION');
  const account = env('VAULT_ACCOUNT');
  const client = rds(region);
  const copy = await describeSnapshot(client, input.kind, input.snapshotId);
  const problems = shareProblems(copy, input.database);
  if (!copy || problems.length > 0)
    throw new SnapshotFailed(
      `The DR copy ${input.snapshotId} in ${region} cannot be shared with the vault (${account}): ${problems.join('; ')}`,
    );
  await shareSnapshot(client, input.kind, copy.id, [account]);
  return { snapshotId: copy.id, arn: copy.arn, region, sharedWith: account, tags: identityTags(copy.tags) };
}

export const handler = lifelineHandler(shareWithVault);
