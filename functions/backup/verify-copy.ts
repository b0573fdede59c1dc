import { rds } from '../commons/aws';
import { ENV, EVIDENCE, TAG } from '../commons/contracts';
import { lifelineHandler } from '../commons/handler';
import { addTags, describeSnapshot } from '../commons/rds-snapshots';
import { env, now } from '../commons/runtime';
import type { CopyVerified, VerifyCopyInput } from './contracts';
import { verifiedCopy } from './copy-verification';

/**
 * Waits for the DR copy (NotReady while it copies), then verifies it by the rule every copy meets
 * (./copy-verification.ts): available, under the DR key, Lifeline's copy of this database. A verified copy is
 * tagged so, and so is its source: only then may the source ever be pruned.
 */
export async function verifyCopy(input: VerifyCopyInput): Promise<CopyVerified> {
  const copy = verifiedCopy(
    await describeSnapshot(rds(input.region), input.kind, input.snapshotId),
    { keyArn: input.kmsKeyArn, keyName: 'DR key', database: input.database, installation: env(ENV.installation) },
    { snapshotId: input.snapshotId, where: input.region },
  );
  const verifiedAt = now().toISOString();
  await addTags(rds(input.region), copy.arn, { [TAG.verified]: EVIDENCE.copyVerified });
  await addTags(rds(input.sourceRegion), input.sourceArn, { [TAG.drCopy]: EVIDENCE.verified });
  return { verifiedAt, arn: copy.arn, createdAt: copy.createdAt };
}

export const handler = lifelineHandler(verifyCopy);
