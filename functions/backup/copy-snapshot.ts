import { DescribeKeyCommand } from '@aws-sdk/client-kms';
import { kms, rds } from '../commons/aws';
import { ENV } from '../commons/contracts';
import { CopyImpossible, SnapshotFailed, SnapshotQuotaExceeded } from '../commons/errors';
import { lifelineHandler, logger } from '../commons/handler';
import { copySnapshot as copy, describeSnapshot, listManualSnapshots } from '../commons/rds-snapshots';
import { env, optionalEnv } from '../commons/runtime';
import type { CopySnapshotInput, CopyStarted } from './contracts';
import { identityTags } from './vault-copy-plan';

/**
 * Starts the copy in the DR region (the call is made there, with the source ARN) under the DR key, or
 * finds the copy an earlier attempt started. Refuses, before anything is changed, a copy RDS would reject.
 * The copy is given the source's identity tags in the request: the role may tag a new copy only with tags that
 * name Lifeline and this installation, and RDS authorizes the tags a request names (CopyTags carries the rest).
 */
export async function copySnapshot(input: CopySnapshotInput): Promise<CopyStarted> {
  const region = env(ENV.drRegion);
  const source = await copyableSource(input);
  const key = await kms(region).send(new DescribeKeyCommand({ KeyId: env(ENV.drKeyAlias) }));
  const kmsKeyArn = key.KeyMetadata?.Arn ?? '';
  const client = rds(region);
  const existing = await describeSnapshot(client, input.kind, input.snapshotId);
  if (existing) {
    logger.info('The DR copy already exists', { snapshotId: input.snapshotId, status: existing.status });
    return { snapshotId: existing.id, arn: existing.arn, region, kmsKeyArn, reused: true };
  }
  // The copy counts against the DR region's manual snapshot quota: say so before RDS fails the copy.
  const limit = Number(optionalEnv(ENV.snapshotQuota) ?? 100);
  const used = (await listManualSnapshots(client, input.kind)).length;
  if (used >= limit)
    throw new SnapshotQuotaExceeded(
      `${region} (the DR region) holds ${used} manual ${input.kind} snapshots, the quota is ${limit}: the copy of ${input.snapshotId} would fail. Delete unneeded manual snapshots in ${region} or raise the quota there (and snapshotQuota), then re-run`,
    );
  const started = await copy(client, input.kind, {
    sourceArn: input.sourceArn,
    targetId: input.snapshotId,
    kmsKeyId: kmsKeyArn,
    tags: identityTags(source.tags),
  });
  return { snapshotId: started.id || input.snapshotId, arn: started.arn, region, kmsKeyArn, reused: false };
}

/**
 * The source, read in its region. RDS cannot encrypt an unencrypted Aurora cluster snapshot by copying it, and the
 * DR copy is always made under the DR key: such a source can never reach the DR region this way.
 */
async function copyableSource(input: CopySnapshotInput) {
  const sourceId = input.sourceArn.split(':').pop() ?? input.snapshotId;
  const source = await describeSnapshot(rds(), input.kind, sourceId);
  if (!source)
    throw new SnapshotFailed(`Snapshot ${sourceId} does not exist in ${env('AWS_REGION')}; nothing was copied`);
  if (input.kind === 'cluster' && !source.encrypted)
    throw new CopyImpossible(
      `Cluster snapshot ${sourceId} of ${source.source} is not encrypted, and RDS cannot encrypt an Aurora cluster ` +
        `snapshot by copying it, so it cannot be copied to ${env(ENV.drRegion)} under the DR key; nothing was copied. ` +
        `First encrypt the cluster: restore one of its snapshots into a new cluster with a KMS key ` +
        `(RestoreDBClusterFromSnapshot with KmsKeyId) and move to it; until then set backup.copyToDr: false for this database.`,
    );
  return source;
}

export const handler = lifelineHandler(copySnapshot);
