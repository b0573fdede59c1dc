/** Which snapshots a prune may consider, and what it deletes. Pure: no SDK. */
import { EVIDENCE, MANAGED_BY, snapshotPrefix, TAG } from '../commons/contracts';
import { planRetention, type RecoveryPoint, type RetentionPlan, type RetentionPolicy } from './plan-retention';
import { isTransitCopy, transitCopiesToDelete } from './vault-copy-plan';

export interface PruneScope {
  /** Lifeline's id of the database being pruned. */
  readonly database: string;
  /** This installation's config `name`. */
  readonly installation: string;
  /** 'source': the primary region, where a point may go only once its DR copy is verified. */
  readonly role: 'source' | 'copy';
  /** Whether the database's points are copied to the DR region at all. */
  readonly copyToDr: boolean;
}

export interface PrunableSnapshot {
  readonly id: string;
  readonly status: string;
  readonly createdAt?: string;
  readonly tags: Record<string, string>;
}

export interface PrunePlan {
  readonly retention: RetentionPlan;
  /** Transit copies (made to share a point with the vault) whose vault copy is verified. */
  readonly transit: string[];
}

/**
 * Made by this installation for this database: the database and installation tags both match. Another
 * database's points on the same source, another installation's, and snapshots without the tags are not ours
 * to count or to delete.
 */
export function isOwnPoint(snapshot: PrunableSnapshot, scope: Pick<PruneScope, 'database' | 'installation'>): boolean {
  return snapshot.tags[TAG.database] === scope.database && snapshot.tags[TAG.installation] === scope.installation;
}

export function planPrune(
  snapshots: readonly PrunableSnapshot[],
  scope: PruneScope,
  policy: RetentionPolicy,
): PrunePlan {
  const own = snapshots.filter((s) => isOwnPoint(s, scope));
  // Transit copies are not recovery points; they go once the vault copy verifies.
  const points: RecoveryPoint[] = own
    .filter((s) => !isTransitCopy(s.tags))
    .map((s) => ({
      id: s.id,
      createdAt: s.tags[TAG.scheduledTime] ?? s.createdAt ?? new Date(0).toISOString(),
      managed: s.tags[TAG.managedBy] === MANAGED_BY && s.id.startsWith(snapshotPrefix(scope.installation)),
      status: s.status,
      verified:
        scope.role === 'source' ? s.tags[TAG.verified] !== undefined : s.tags[TAG.verified] === EVIDENCE.copyVerified,
      copyVerified: scope.role === 'source' && scope.copyToDr ? s.tags[TAG.drCopy] === 'verified' : undefined,
    }));
  return {
    retention: planRetention(points, policy),
    transit: scope.role === 'source' ? transitCopiesToDelete(own, scope.installation) : [],
  };
}
