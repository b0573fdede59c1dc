import { DescribeKeyCommand } from '@aws-sdk/client-kms';
import { kms, rds } from '../commons/aws';
import { SnapshotQuotaExceeded } from '../commons/errors';
import { lifelineHandler, logger } from '../commons/handler';
import { copySnapshot as copy, describeSnapshot, type Kind, listManualSnapshots } from '../commons/rds-snapshots';
import { env, optionalEnv } from '../commons/runtime';
import type { SnapshotRef } from './contracts';

export interface CopySnapshotInput {
  readonly kind: Kind;
  readonly sourceArn: string;
  readonly snapshotId: string;
}

export interface CopyStarted extends SnapshotRef {
  readonly kmsKeyArn: string;
}

/**
 * Starts the copy in the DR region (the call is made there, with the source ARN) under the DR key, or
 * finds the copy an earlier attempt started.
 */
export async function copySnapshot(input: CopySnapshotInput): Promise<CopyStarted> {
  const region = env('DR_REGION');
  const key = await kms(region).send(new DescribeKeyCommand({ KeyId: env('DR_KEY_ALIAS') }));
  const kmsKeyArn = key.KeyMetadata?.Arn ?? '';
  const client = rds(region);
  const existing = await describeSnapshot(client, input.kind, input.snapshotId);
  if (existing) {
    logger.info('The DR copy already exists', { snapshotId: input.snapshotId, status: existing.status });
    return { snapshotId: existing.id, arn: existing.arn, region, kmsKeyArn, reused: true };
  }
  // The copy counts against the DR region's manual snapshot quota: say so before RDS fails the copy.
  const limit = Number(optionalEnv('SNAPSHOT_QUOTA') ?? 100);
  const used = (await listManualSnapshots(client, input.kind)).length;
  if (used >= limit)
    throw new SnapshotQuotaExceeded(
      `${region} (the DR region) holds ${used} manual ${input.kind} snapshots, the quota is ${limit}: the copy of ${input.snapshotId} would fail. Delete unneeded manual snapshots in ${region} or raise the quota there (and snapshotQuota), then re-run`,
    );
  const started = await copy(client, input.kind, {
    sourceArn: input.sourceArn,
    targetId: input.snapshotId,
    kmsKeyId: kmsKeyArn,
    tags: {},
  });
  return { snapshotId: started.id || input.snapshotId, arn: started.arn, region, kmsKeyArn, reused: false };
}

export const handler = lifelineHandler(copySnapshot);
