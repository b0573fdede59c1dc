import { rds } from '../commons/aws';
import { ENV } from '../commons/contracts';
import { SnapshotFailed } from '../commons/errors';
import { lifelineHandler } from '../commons/handler';
import { describeSnapshot, shareSnapshot } from '../commons/rds-snapshots';
import { env } from '../commons/runtime';
import type { ShareWithVaultInput, VaultShare } from './contracts';
import { identityTags, shareProblems } from './vault-copy-plan';

/**
 * Lets the vault account copy the run's verified DR copy (its `restore` attribute), in the DR region: AWS copies
 * snapshots across accounts only within one region. Sharing twice changes nothing.
 */
export async function shareWithVault(input: ShareWithVaultInput): Promise<VaultShare> {
  const region = env(ENV.drRegion);
  const account = env(ENV.vaultAccount);
  const client = rds(region);
  const copy = await describeSnapshot(client, input.kind, input.snapshotId);
  const problems = shareProblems(copy, input.database, env(ENV.installation));
  if (!copy || problems.length > 0)
    throw new SnapshotFailed(
      `The DR copy ${input.snapshotId} in ${region} cannot be shared with the vault (${account}): ${problems.join('; ')}`,
    );
  await shareSnapshot(client, input.kind, copy.id, [account]);
  return { snapshotId: copy.id, arn: copy.arn, region, sharedWith: account, tags: identityTags(copy.tags) };
}

export const handler = lifelineHandler(shareWithVault);
