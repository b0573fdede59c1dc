import { DescribeKeyCommand } from '@aws-sdk/client-kms';
import { kms, rds } from '../commons/aws';
import { lifelineHandler, logger } from '../commons/handler';
import { copySnapshot as copy, describeSnapshot, type Kind } from '../commons/rds-snapshots';
import { env } from '../commons/runtime';
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
  const started = await copy(client, input.kind, {
    sourceArn: input.sourceArn,
    targetId: input.snapshotId,
    kmsKeyId: kmsKeyArn,
    tags: {},
  });
  return { snapshotId: started.id || input.snapshotId, arn: started.arn, region, kmsKeyArn, reused: false };
}

export const handler = lifelineHandler(copySnapshot);
