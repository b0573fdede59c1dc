/**
 * Decisions of the vault copy: whether a snapshot can be shared with the vault account as it is, what the
 * re-encrypted copy to share is called and tagged, whether the vault copy is a good recovery point, and which
 * transit copies may go. No SDK here.
 */
import { TAG } from './contracts';

export interface ShareCandidate {
  readonly kind: 'instance' | 'cluster';
  readonly encrypted: boolean;
  /** Key id, key ARN or alias the snapshot is encrypted with, as RDS reports it. */
  readonly kmsKeyId?: string;
}

export type SharePlan =
  | { readonly action: 'share'; readonly reason: string }
  | { readonly action: 're-encrypt'; readonly reason: string }
  | { readonly action: 'impossible'; readonly reason: string };

/**
 * The vault account may use exactly one key of the production account: Lifeline's primary key (its key
 * policy says so). A snapshot under that key is shared as it is. Anything else is first copied under that
 * key: a snapshot under the AWS-managed key (`alias/aws/rds`) cannot be shared across accounts at all, an
 * unencrypted one must not leave the account unencrypted, and another customer key's policy is not
 * Lifeline's to change. An unencrypted Aurora cluster snapshot cannot be encrypted by copying it.
 */
export function planShare(snapshot: ShareCandidate, lifelineKeyArn: string): SharePlan {
  if (!snapshot.encrypted) {
    if (snapshot.kind === 'cluster')
      return {
        action: 'impossible',
        reason:
          'the cluster snapshot is not encrypted, and RDS cannot encrypt an Aurora cluster snapshot by copying it; encrypt the cluster (restore it from a snapshot into an encrypted cluster) to copy it to the vault',
      };
    return { action: 're-encrypt', reason: 'the snapshot is not encrypted' };
  }
  if (snapshot.kmsKeyId && sameKey(snapshot.kmsKeyId, lifelineKeyArn))
    return { action: 'share', reason: "the snapshot is encrypted with Lifeline's primary key" };
  return {
    action: 're-encrypt',
    reason: `the snapshot is encrypted with ${snapshot.kmsKeyId ?? 'an unknown key'}, not with Lifeline's primary key (snapshots under the AWS-managed key cannot be shared)`,
  };
}

/** Whether two references name the same key: equal, or equal key ids (the part after `key/`). */
export function sameKey(a: string, b: string): boolean {
  const id = (ref: string) => (ref.includes(':key/') ? (ref.split(':key/')[1] as string) : ref);
  return a === b || id(a) === id(b);
}

/** `lifeline-orders-20261122t0200-share`: the copy under Lifeline's key that is shared in place of the source. */
export function shareCopyIdFor(snapshotId: string): string {
  return `${snapshotId}-share`;
}

/** Tags that make a snapshot Lifeline's recovery point; they travel with every copy. */
export const IDENTITY_TAGS = [
  TAG.managedBy,
  TAG.database,
  TAG.installation,
  TAG.retention,
  TAG.execution,
  TAG.scheduledTime,
] as const;

/** The identity tags of `tags`, without the evidence tags (verified, dr-copy, ...) a copy has to earn itself. */
export function identityTags(tags: Record<string, string>): Record<string, string> {
  return Object.fromEntries(IDENTITY_TAGS.flatMap((key) => (tags[key] === undefined ? [] : [[key, tags[key]]])));
}

/** The share copy is Lifeline's and marked as a transit copy of `sourceId`, so retention never counts it. */
export function shareCopyTags(sourceTags: Record<string, string>, sourceId: string): Record<string, string> {
  return { ...identityTags(sourceTags), [TAG.vaultShare]: sourceId };
}

export interface CopyFacts {
  readonly encrypted: boolean;
  readonly kmsKeyId?: string;
  readonly tags: Record<string, string>;
}

/** What is wrong with a copy as a recovery point: not under `keyArn`, identity tags missing or of another database. */
export function copyProblems(
  copy: CopyFacts,
  expected: { readonly keyArn: string; readonly keyName: string; readonly database: string },
): string[] {
  const problems: string[] = [];
  if (!copy.encrypted) problems.push('it is not encrypted');
  else if (!copy.kmsKeyId || !sameKey(copy.kmsKeyId, expected.keyArn))
    problems.push(`it is encrypted with ${copy.kmsKeyId}, not the ${expected.keyName} ${expected.keyArn}`);
  const missing = [TAG.managedBy, TAG.database, TAG.installation, TAG.execution, TAG.scheduledTime].filter(
    (tag) => copy.tags[tag] === undefined,
  );
  if (missing.length > 0) problems.push(`tags ${missing.join(', ')} did not arrive`);
  if (copy.tags[TAG.database] !== undefined && copy.tags[TAG.database] !== expected.database)
    problems.push(`it is tagged as a copy of ${copy.tags[TAG.database]}`);
  return problems;
}

export interface TransitCandidate {
  readonly id: string;
  readonly status: string;
  readonly tags: Record<string, string>;
}

/** A snapshot Lifeline made only to share it with the vault; it is not a recovery point of its region. */
export function isTransitCopy(tags: Record<string, string>): boolean {
  return tags[TAG.vaultShare] !== undefined;
}

/**
 * Transit copies that have done their job: Lifeline's (tag and name), available, and their vault copy
 * verified. One whose vault copy failed stays, so a re-run can share it again.
 */
export function transitCopiesToDelete(snapshots: readonly TransitCandidate[]): string[] {
  return snapshots
    .filter(
      (s) =>
        isTransitCopy(s.tags) &&
        s.tags[TAG.managedBy] === 'lifeline' &&
        s.id.startsWith('lifeline-') &&
        s.status === 'available' &&
        s.tags[TAG.vaultCopy] === 'verified',
    )
    .map((s) => s.id);
}
