import { DescribeKeyCommand } from '@aws-sdk/client-kms';
import { kmsAs, rds, rdsAs } from '../commons/aws';
import { ENV, EVIDENCE, MANAGED_BY, TAG } from '../commons/contracts';
import { SnapshotFailed, SnapshotQuotaExceeded } from '../commons/errors';
import { lifelineHandler, logger } from '../commons/handler';
import { addTags, copySnapshot, describeSnapshot, listManualSnapshots } from '../commons/rds-snapshots';
import { env, now, optionalEnv } from '../commons/runtime';
import type { VaultCopyInput, VaultCopyStarted, VaultCopyVerified } from './contracts';
import { verifiedCopy } from './copy-verification';

/**
 * The copy into the vault account, made there by Lifeline's copier role (assumed from this function's role), in the
 * DR region (AWS copies across accounts only within one region): `start` copies the shared DR copy under the vault
 * key (or finds the copy an earlier attempt started; refuses when the vault's manual snapshot quota is reached);
 * `verify` waits for it (NotReady while it copies) and checks it by the rule the DR copy meets too
 * (./copy-verification.ts), under the vault key; a verified copy is tagged so, and so are the DR copy and the source.
 * The copier deletes nothing: the vault is pruned inside the vault account (functions/vault/prune-vault.ts).
 */
export async function vaultCopy(input: VaultCopyInput): Promise<VaultCopyStarted | VaultCopyVerified> {
  const role = env(ENV.vaultRoleArn);
  const region = env(ENV.vaultRegion);
  const account = env(ENV.vaultAccount);
  const vault = rdsAs(role, region);
  if (input.action === 'start') {
    const key = await kmsAs(role, region).send(new DescribeKeyCommand({ KeyId: env(ENV.vaultKeyAlias) }));
    const kmsKeyArn = key.KeyMetadata?.Arn ?? '';
    const existing = await describeSnapshot(vault, input.kind, input.snapshotId);
    if (existing) {
      if (existing.tags[TAG.managedBy] !== MANAGED_BY)
        throw new SnapshotFailed(
          `A snapshot named ${input.snapshotId} exists in the vault (${account}, ${region}) but was not made by Lifeline; not touching it`,
        );
      logger.info('The vault copy already exists', { snapshotId: existing.id, status: existing.status });
      return { snapshotId: existing.id, arn: existing.arn, account, region, kmsKeyArn, reused: true };
    }
    const limit = Number(optionalEnv(ENV.snapshotQuota) ?? 100);
    const used = (await listManualSnapshots(vault, input.kind)).length;
    if (used >= limit)
      throw new SnapshotQuotaExceeded(
        `The vault (${account}, ${region}) holds ${used} manual ${input.kind} snapshots, the quota is ${limit}: the copy of ${input.snapshotId} would fail. Lower vault.retention or raise the quota in the vault account (and snapshotQuota), then re-run`,
      );
    const started = await copySnapshot(vault, input.kind, {
      sourceArn: input.sharedArn,
      targetId: input.snapshotId,
      kmsKeyId: kmsKeyArn,
      tags: input.tags,
    });
    return { snapshotId: started.id || input.snapshotId, arn: started.arn, account, region, kmsKeyArn, reused: false };
  }

  const where = `the vault (${account}, ${region})`;
  const copy = verifiedCopy(
    await describeSnapshot(vault, input.kind, input.snapshotId),
    { keyArn: input.kmsKeyArn, keyName: 'vault key', database: input.database, installation: env(ENV.installation) },
    { snapshotId: input.snapshotId, where },
  );
  const verifiedAt = now().toISOString();
  await addTags(vault, copy.arn, { [TAG.verified]: EVIDENCE.copyVerified });
  // The DR copy is in the DR region, the source in the primary region: each is tagged where it lives.
  for (const arn of new Set([input.sharedArn, input.sourceArn]))
    await addTags(rds(arn.split(':')[3]), arn, { [TAG.vaultCopy]: EVIDENCE.verified });
  return { verifiedAt, arn: copy.arn, account, region, createdAt: copy.createdAt };
}

export const handler = lifelineHandler(vaultCopy);
