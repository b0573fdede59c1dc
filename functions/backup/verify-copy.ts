import { rds } from '../commons/aws';
import { TAG } from '../commons/contracts';
import { CopyNotVerified, NotReady, SnapshotFailed } from '../commons/errors';
import { lifelineHandler } from '../commons/handler';
import { addTags, describeSnapshot } from '../commons/rds-snapshots';
import { now } from '../commons/runtime';
import type { CopyVerified, VerifyCopyInput } from './contracts';

const COPYING = new Set(['creating', 'copying', 'pending']);
/** Tags that must arrive with the copy: without them pruning and drills could not find it. */
const CARRIED = [TAG.managedBy, TAG.database, TAG.installation, TAG.execution, TAG.scheduledTime];

/**
 * Waits for the DR copy (NotReady while it copies), then verifies it: available, encrypted with the DR key,
 * Lifeline's tags carried. A verified copy is tagged so, and so is its source: only then may the source
 * ever be pruned.
 */
export async function verifyCopy(input: VerifyCopyInput): Promise<CopyVerified> {
  const copy = await describeSnapshot(rds(input.region), input.kind, input.snapshotId);
  if (!copy) throw new SnapshotFailed(`The copy ${input.snapshotId} does not exist in ${input.region}`);
  if (COPYING.has(copy.status)) throw new NotReady(`The copy ${input.snapshotId} in ${input.region} is ${copy.status}`);
  if (copy.status !== 'available')
    throw new SnapshotFailed(`The copy ${input.snapshotId} in ${input.region} is ${copy.status}`);
  const problems: string[] = [];
  if (!copy.encrypted) problems.push('it is not encrypted');
  else if (copy.kmsKeyId !== input.kmsKeyArn)
    problems.push(`it is encrypted with ${copy.kmsKeyId}, not the DR key ${input.kmsKeyArn}`);
  const missing = CARRIED.filter((tag) => copy.tags[tag] === undefined);
  if (missing.length > 0) problems.push(`tags ${missing.join(', ')} did not arrive`);
  if (copy.tags[TAG.database] !== undefined && copy.tags[TAG.database] !== input.database)
    problems.push(`it is tagged as a copy of ${copy.tags[TAG.database]}`);
  if (problems.length > 0)
    throw new CopyNotVerified(
      `The copy ${input.snapshotId} in ${input.region} is not a good recovery point: ${problems.join('; ')}`,
    );
  const verifiedAt = now().toISOString();
  await addTags(rds(input.region), copy.arn, { [TAG.verified]: 'copy-verified' });
  await addTags(rds(input.sourceRegion), input.sourceArn, { [TAG.drCopy]: 'verified' });
  return { verifiedAt, arn: copy.arn, createdAt: copy.createdAt };
}

export const handler = lifelineHandler(verifyCopy);
