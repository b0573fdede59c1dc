/**
 * Which DR copy of a database is its newest recovery point, and how old its data is: what the copy-age probe
 * publishes and its alarm judges. Pure: no SDK.
 */
import { isTransitCopy } from '../backup/vault-copy-plan';
import { EVIDENCE, MANAGED_BY, snapshotPrefix, TAG } from '../commons/contracts';

/** What the decision reads of a listed snapshot. */
export interface ListedCopy {
  readonly id: string;
  readonly status: string;
  /** The copy's own creation (RDS sets it anew when it copies). */
  readonly createdAt?: string;
  /** The source snapshot's creation, which RDS keeps through copies (instance snapshots only). */
  readonly originalCreatedAt?: string;
  readonly tags: Readonly<Record<string, string>>;
}

/** Whose copies count: this installation's, of this database. */
export interface CopyOwner {
  readonly database: string;
  readonly installation: string;
}

export interface NewestCopy {
  readonly id: string;
  /** When the copy's data was taken (ISO 8601). */
  readonly takenAt: string;
}

/**
 * When a copy's data was taken: the source snapshot's creation time when RDS reports it, else the copy's own. The
 * copy's own time is later by the length of the copy, which would make a copy look fresher than its data; an RPO
 * is about the data.
 */
export function takenAt(copy: ListedCopy): string | undefined {
  const times = [copy.originalCreatedAt, copy.createdAt].filter((t): t is string => !Number.isNaN(Date.parse(t ?? '')));
  return times.sort((a, b) => Date.parse(a) - Date.parse(b))[0];
}

/**
 * A recovery point the verify step vouched for: named and tagged as this installation's copy of this database,
 * available, tagged verified (only after it was found under the DR key with its tags), and not a transit copy made
 * only to share a source with the vault.
 */
export function isVerifiedCopy(copy: ListedCopy, owner: CopyOwner): boolean {
  return (
    copy.id.startsWith(snapshotPrefix(owner.installation)) &&
    copy.tags[TAG.managedBy] === MANAGED_BY &&
    copy.tags[TAG.installation] === owner.installation &&
    copy.tags[TAG.database] === owner.database &&
    copy.tags[TAG.verified] === EVIDENCE.copyVerified &&
    copy.status === 'available' &&
    !isTransitCopy(copy.tags)
  );
}

/** The verified copy whose data is newest; undefined when the database has none (or none with a known time). */
export function newestVerifiedCopy(copies: readonly ListedCopy[], owner: CopyOwner): NewestCopy | undefined {
  let newest: NewestCopy | undefined;
  for (const copy of copies) {
    if (!isVerifiedCopy(copy, owner)) continue;
    const taken = takenAt(copy);
    if (taken && (!newest || Date.parse(taken) > Date.parse(newest.takenAt))) newest = { id: copy.id, takenAt: taken };
  }
  return newest;
}

/** Whole seconds from `takenAt` to `now`, never negative (a clock a little ahead of RDS's is not a future copy). */
export function ageSeconds(takenAtIso: string, now: Date): number {
  return Math.max(0, Math.floor((now.getTime() - Date.parse(takenAtIso)) / 1000));
}
