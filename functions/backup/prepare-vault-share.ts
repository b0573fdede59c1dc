import { rds } from '../commons/aws';
import { SnapshotFailed, VaultShareImpossible } from '../commons/errors';
import { lifelineHandler, logger } from '../commons/handler';
import { copySnapshot, describeSnapshot, type Kind } from '../commons/rds-snapshots';
import { env } from '../commons/runtime';
import { TAG } from './contracts';
import { identityTags, planShare, shareCopyIdFor, shareCopyTags } from './vault-copy-plan';

export interface PrepareVaultShareInput {
  readonly kind: Kind;
  /** The run's snapshot in the primary region. */
  readonly snapshotId: string;
}

export interface VaultShare {
  /** The snapshot to share with the vault account: the source itself, or its copy under Lifeline's key. */
  readonly snapshotId: string;
  readonly arn: string;
  readonly sourceId: string;
  readonly sourceArn: string;
  readonly reEncrypted: boolean;
  readonly reason: string;
  /** Lifeline's identity tags of the source; the vault copy carries them. */
  readonly tags: Record<string, string>;
}

/**
 * Makes the run's snapshot shareable with the vault account: a snapshot under Lifeline's primary key is
 * shared as it is; any other (AWS-managed key, unencrypted, another key) is first copied under Lifeline's
 * primary key as a transit copy, or the copy an earlier attempt started is reused. The caller waits for it.
 */
export async function prepareVaultShare(input: PrepareVaultShareInput): Promise<VaultShare> {
  const client = rds();
  const source = await describeSnapshot(client, input.kind, input.snapshotId);
  if (!source) throw new SnapshotFailed(`Snapshot ${input.snapshotId} does not exist in ${env('AWS_REGION')}`);
  const keyArn = env('PRIMARY_KEY_ARN');
  const plan = planShare({ kind: input.kind, encrypted: source.encrypted, kmsKeyId: source.kmsKeyId }, keyArn);
  const tags = identityTags(source.tags);
  const shared = { sourceId: source.id, sourceArn: source.arn, reason: plan.reason, tags };
  if (plan.action === 'impossible')
    throw new VaultShareImpossible(`Snapshot ${source.id} cannot be copied to the vault: ${plan.reason}`);
  if (plan.action === 'share') return { ...shared, snapshotId: source.id, arn: source.arn, reEncrypted: false };

  const shareId = shareCopyIdFor(source.id);
  const existing = await describeSnapshot(client, input.kind, shareId);
  if (existing) {
    if (existing.tags[TAG.managedBy] !== 'lifeline' || existing.tags[TAG.vaultShare] !== source.id)
      throw new SnapshotFailed(
        `A snapshot named ${shareId} exists but is not Lifeline's copy of ${source.id}; not touching it`,
      );
    logger.info('Reusing the copy to share of an earlier attempt', { snapshotId: shareId });
    return { ...shared, snapshotId: existing.id, arn: existing.arn, reEncrypted: true };
  }
  logger.info('Re-encrypting the snapshot under the primary key before sharing it', {
    snapshotId: source.id,
    reason: plan.reason,
  });
  const started = await copySnapshot(client, input.kind, {
    sourceArn: source.arn,
    targetId: shareId,
    kmsKeyId: keyArn,
    tags: shareCopyTags(source.tags, source.id),
  });
  return { ...shared, snapshotId: started.id || shareId, arn: started.arn, reEncrypted: true };
}

export const handler = lifelineHandler(prepareVaultShare);
