/**
 * Decisions of the vault copy: whether the DR copy may be shared with the vault account, which vault copies the
 * vault's retention lets go, and which transit copies (made by earlier versions, which shared from the primary region)
 * may go. Whether a copy is a good recovery point is decided for DR and vault copies alike in ./copy-verification.ts.
 * No SDK here.
 *
 * AWS copies snapshots across accounts only within one region (Aurora cluster snapshots always): the vault copy is
 * made from the verified DR copy, in the DR region, under the vault key there.
 */
import { EVIDENCE, MANAGED_BY, snapshotPrefix, TAG } from '../commons/contracts';
import { planRetention, type RecoveryPoint, type RetentionPolicy } from './plan-retention';

export interface ShareCandidate {
  readonly id: string;
  readonly status: string;
  readonly tags: Record<string, string>;
}

/** Lifeline's by tag, and named as `installation` names its snapshots. */
const isLifelines = (s: { readonly id: string; readonly tags: Record<string, string> }, installation: string) =>
  s.tags[TAG.managedBy] === MANAGED_BY && s.id.startsWith(snapshotPrefix(installation));

/**
 * What stops the DR copy from being shared with the vault: it must be Lifeline's copy of `database` (named as
 * `installation` names its snapshots), available and verified (under the DR key, tags carried). The DR key's policy
 * lets the vault's copier role read it through RDS.
 */
export function shareProblems(copy: ShareCandidate | undefined, database: string, installation: string): string[] {
  if (!copy) return ['the DR copy does not exist'];
  const problems: string[] = [];
  if (!isLifelines(copy, installation)) problems.push("it is not Lifeline's");
  if (copy.tags[TAG.database] !== database) problems.push(`it is tagged as a copy of ${copy.tags[TAG.database]}`);
  if (copy.status !== 'available') problems.push(`it is ${copy.status}`);
  if (copy.tags[TAG.verified] !== EVIDENCE.copyVerified) problems.push('it is not a verified copy');
  return problems;
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

export interface TransitCandidate {
  readonly id: string;
  readonly status: string;
  readonly tags: Record<string, string>;
}

/** A snapshot Lifeline made only to share it with the vault (earlier versions); not a recovery point of its region. */
export function isTransitCopy(tags: Record<string, string>): boolean {
  return tags[TAG.vaultShare] !== undefined;
}

/**
 * Transit copies that have done their job: Lifeline's (tag and name), available, and their vault copy
 * verified. One whose vault copy failed stays, so a re-run can share it again.
 */
export function transitCopiesToDelete(snapshots: readonly TransitCandidate[], installation: string): string[] {
  return snapshots
    .filter(
      (s) =>
        isTransitCopy(s.tags) &&
        isLifelines(s, installation) &&
        s.status === 'available' &&
        s.tags[TAG.vaultCopy] === 'verified',
    )
    .map((s) => s.id);
}

export interface VaultSnapshot {
  readonly id: string;
  readonly status: string;
  readonly createdAt?: string;
  readonly tags: Record<string, string>;
}

/**
 * The vault copies of `database` as recovery points: only Lifeline's (tag and name) may ever go, only verified
 * copies count, and a copy stands for its scheduled time (the time its source was taken).
 */
export function vaultRecoveryPoints(
  snapshots: readonly VaultSnapshot[],
  database: string,
  installation: string,
): RecoveryPoint[] {
  return snapshots
    .filter((s) => s.tags[TAG.database] === database)
    .map((s) => ({
      id: s.id,
      createdAt: s.tags[TAG.scheduledTime] ?? s.createdAt ?? new Date(0).toISOString(),
      managed: isLifelines(s, installation),
      status: s.status,
      verified: s.tags[TAG.verified] === EVIDENCE.copyVerified,
    }));
}

/**
 * The vault copies of `database` that `vault.retention` no longer needs, by the same GFS planner as every region:
 * never one it keeps for a class, never the newest verified copy or anything newer, never one that is not Lifeline's.
 */
export function vaultCopiesToDelete(
  snapshots: readonly VaultSnapshot[],
  database: string,
  retention: RetentionPolicy,
  installation: string,
): string[] {
  return planRetention(vaultRecoveryPoints(snapshots, database, installation), retention).delete.map((d) => d.id);
}
