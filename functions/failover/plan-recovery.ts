/**
 * Where a failover recovers from, decided from the config, the scenario and what the pre-checks found. Pure: no SDK,
 * no clock (the facts carry the time they were read).
 */
import type { Considered, FailoverCatalogEntry, RecoverySource, Scenario } from './contracts';

/** What the pre-checks read, in the DR region (and, only for a database-corruption restore there, the primary). */
export interface RecoveryFacts {
  readonly now: string;
  readonly drRegion: string;
  /** The configured read replica, as RDS describes it in the DR region; null when absent or not configured. */
  readonly replica: {
    readonly id: string;
    readonly status: string;
    readonly isReplica: boolean;
    readonly lagSeconds: number | null;
  } | null;
  /** The configured global database's secondary cluster in the DR region. */
  readonly globalCluster: {
    readonly id: string;
    readonly secondaryArn: string;
    readonly secondaryStatus: string;
    readonly isMember: boolean;
  } | null;
  /** Automated backups of the database that a point-in-time restore can read, in the region they are in. */
  readonly automatedBackups: readonly {
    readonly arn: string | null;
    readonly sourceIdentifier: string;
    readonly region: string;
    readonly earliest: string;
    readonly latest: string;
  }[];
  /** Lifeline's verified DR copies of the database (own installation, `copy-verified`, available). */
  readonly drCopies: readonly { readonly id: string; readonly arn: string; readonly time: string }[];
  /** Lifeline's verified copies in the vault account; null when no vault is reachable. */
  readonly vaultCopies: readonly { readonly id: string; readonly arn: string; readonly time: string }[] | null;
  /** Why the vault copies could not be read, when they could not. */
  readonly vaultProblem?: string;
}

export interface PlanRequest {
  readonly entry: FailoverCatalogEntry;
  readonly scenario: Scenario;
  readonly pointInTime: string | null;
  readonly cleanBefore: string | null;
  readonly corruptionRestoreRegion: 'dr' | 'primary';
  /** A failover drill: only a restored copy; promoting the replica or failing the global database over is real. */
  readonly drill?: boolean;
}

export type Plan =
  | { readonly ok: true; readonly source: RecoverySource; readonly considered: Considered[] }
  | { readonly ok: false; readonly reason: string; readonly considered: Considered[] };

const newest = <T extends { time: string }>(items: readonly T[]) =>
  [...items].sort((a, b) => Date.parse(b.time) - Date.parse(a.time))[0];

/**
 * - region-outage: the first the config and the facts allow of (1) promote the read replica, (2) fail over the global
 *   database (with data loss: the primary is gone), (3) restore the latest restorable time of the replicated
 *   automated backups, (4) restore the newest verified DR copy. Nothing of the primary region is read.
 * - database-corruption: the automated backups (of the configured region) restored to `pointInTime`; else the newest
 *   verified DR copy taken at or before it.
 * - ransomware: only the vault account's copies, the newest at or before `cleanBefore`. A replica, a global
 *   database, automated backups and DR copies are all in reach of the compromised account: never used.
 */
export function planRecovery(request: PlanRequest, facts: RecoveryFacts): Plan {
  const considered: Considered[] = [];
  const { entry } = request;
  const continuous = entry.continuous;
  if (request.scenario === 'ransomware') return ransomware(request, facts, considered);

  if (request.scenario === 'region-outage') {
    if (request.drill && continuous && continuous.mode !== 'automated-backup-replication')
      considered.push(
        continuous.mode === 'read-replica'
          ? {
              option: 'promote-replica',
              usable: false,
              why: `a failover drill never promotes read replica ${continuous.replica}: that is a real failover; it restores a copy`,
            }
          : {
              option: 'global-failover',
              usable: false,
              why: `a failover drill never fails over global database ${continuous.globalCluster}: that is a real failover; it restores a copy`,
            },
      );
    else if (continuous?.mode === 'read-replica') {
      const r = facts.replica;
      if (r?.isReplica && r.status === 'available') {
        considered.push({ option: 'promote-replica', usable: true, why: `read replica ${r.id} is available` });
        return { ok: true, considered, source: { type: 'promote-replica', replica: r.id, lagSeconds: r.lagSeconds } };
      }
      considered.push({
        option: 'promote-replica',
        usable: false,
        why: !r
          ? `read replica ${continuous.replica} does not exist in ${facts.drRegion}`
          : !r.isReplica
            ? `${r.id} is no longer a read replica (promoted already?)`
            : `read replica ${r.id} is ${r.status}, not available`,
      });
    }
    if (!request.drill && continuous?.mode === 'global-database') {
      const g = facts.globalCluster;
      if (g?.isMember && g.secondaryStatus === 'available') {
        considered.push({
          option: 'global-failover',
          usable: true,
          why: `secondary cluster ${g.id} of global database ${continuous.globalCluster} is available`,
        });
        return {
          ok: true,
          considered,
          source: {
            type: 'global-failover',
            globalCluster: continuous.globalCluster,
            secondaryCluster: g.id,
            secondaryArn: g.secondaryArn,
          },
        };
      }
      considered.push({
        option: 'global-failover',
        usable: false,
        why: !g
          ? `secondary cluster ${continuous.secondaryCluster} does not exist in ${facts.drRegion}`
          : !g.isMember
            ? `${g.id} is not a member of global database ${continuous.globalCluster}`
            : `secondary cluster ${g.id} is ${g.secondaryStatus}, not available`,
      });
    }
    const replicated = facts.automatedBackups.filter((b) => b.region === facts.drRegion);
    const latest = [...replicated].sort((a, b) => Date.parse(b.latest) - Date.parse(a.latest))[0];
    if (entry.kind === 'instance') {
      if (latest) {
        considered.push({
          option: 'point-in-time',
          usable: true,
          why: `replicated automated backups restore up to ${latest.latest}`,
        });
        return {
          ok: true,
          considered,
          source: {
            type: 'point-in-time',
            automatedBackupsArn: latest.arn,
            sourceIdentifier: latest.arn ? null : latest.sourceIdentifier,
            region: latest.region,
            time: latest.latest,
            useLatest: true,
          },
        };
      }
      considered.push({
        option: 'point-in-time',
        usable: false,
        why:
          continuous?.mode === 'automated-backup-replication'
            ? `no replicated automated backups of ${entry.identifier} in ${facts.drRegion}`
            : 'automated backups are not replicated to the DR region (continuous.mode)',
      });
    }
    return newestDrCopy(facts, considered, undefined);
  }

  // database-corruption
  const point = request.pointInTime as string;
  const region = request.corruptionRestoreRegion;
  const covering = facts.automatedBackups.find(
    (b) =>
      (region === 'dr' ? b.region === facts.drRegion : b.region !== facts.drRegion) &&
      Date.parse(b.earliest) <= Date.parse(point) &&
      Date.parse(point) <= Date.parse(b.latest),
  );
  if (entry.kind === 'instance' && covering) {
    considered.push({
      option: 'point-in-time',
      usable: true,
      why: `automated backups in ${covering.region} cover ${point} (${covering.earliest} to ${covering.latest})`,
    });
    return {
      ok: true,
      considered,
      source: {
        type: 'point-in-time',
        automatedBackupsArn: covering.arn,
        sourceIdentifier: covering.arn ? null : covering.sourceIdentifier,
        region: covering.region,
        time: point,
        useLatest: false,
      },
    };
  }
  considered.push({
    option: 'point-in-time',
    usable: false,
    why:
      entry.kind === 'cluster'
        ? 'a cluster is restored from a cluster snapshot here (no point-in-time restore of Aurora yet)'
        : `no automated backups in the ${region === 'dr' ? 'DR' : 'primary'} region cover ${point}`,
  });
  return newestDrCopy(facts, considered, point);
}

function newestDrCopy(facts: RecoveryFacts, considered: Considered[], atOrBefore: string | undefined): Plan {
  const copies = atOrBefore
    ? facts.drCopies.filter((c) => Date.parse(c.time) <= Date.parse(atOrBefore))
    : facts.drCopies;
  const copy = newest(copies);
  if (!copy) {
    const why = atOrBefore
      ? `no verified DR copy taken at or before ${atOrBefore}`
      : 'no verified DR copy in the DR region';
    considered.push({ option: 'dr-copy', usable: false, why });
    return {
      ok: false,
      considered,
      reason: `nothing to recover from: ${considered.map((c) => c.why).join('; ')}`,
    };
  }
  considered.push({ option: 'dr-copy', usable: true, why: `verified DR copy ${copy.id} taken ${copy.time}` });
  return {
    ok: true,
    considered,
    source: { type: 'snapshot', origin: 'dr-copy', snapshotId: copy.id, snapshotArn: copy.arn, time: copy.time },
  };
}

function ransomware(request: PlanRequest, facts: RecoveryFacts, considered: Considered[]): Plan {
  considered.push({
    option: 'dr-copy',
    usable: false,
    why: 'a ransomware recovery never uses the DR copies, replicas or automated backups: the compromised account could have changed them',
  });
  if (facts.vaultCopies === null) {
    const why = facts.vaultProblem ?? 'no vault account is configured';
    considered.push({ option: 'vault-copy', usable: false, why });
    return { ok: false, considered, reason: `a ransomware recovery restores only vault copies, and ${why}` };
  }
  const clean = request.cleanBefore as string;
  const copy = newest(facts.vaultCopies.filter((c) => Date.parse(c.time) <= Date.parse(clean)));
  if (!copy) {
    const why = `no verified vault copy taken at or before ${clean} (${facts.vaultCopies.length} vault copies, all later)`;
    considered.push({ option: 'vault-copy', usable: false, why });
    return { ok: false, considered, reason: why };
  }
  considered.push({ option: 'vault-copy', usable: true, why: `vault copy ${copy.id} taken ${copy.time}` });
  return {
    ok: true,
    considered,
    source: { type: 'snapshot', origin: 'vault', snapshotId: copy.id, snapshotArn: copy.arn, time: copy.time },
  };
}

/** The exact changes a failover from `source` makes, one line each, as the dry run prints them. */
export function changesOf(
  source: RecoverySource,
  ctx: {
    readonly database: string;
    readonly targetId: string;
    readonly instanceClass: string;
    readonly recordName: string;
    readonly hostedZoneId: string;
    readonly ttl: number;
    readonly currentValue: string | null;
    readonly kind: 'instance' | 'cluster';
    /** A failover drill: no rollback; the copy and the shadow record are deleted afterwards. */
    readonly drill?: boolean;
  },
): string[] {
  const recover = (() => {
    switch (source.type) {
      case 'promote-replica':
        return `RDS PromoteReadReplica ${source.replica} (it stops replicating and takes writes)`;
      case 'global-failover':
        return `RDS FailoverGlobalCluster ${source.globalCluster} to ${source.secondaryArn} with AllowDataLoss (the primary region does not answer)`;
      case 'point-in-time':
        return `RDS RestoreDBInstanceToPointInTime ${source.useLatest ? 'to the latest restorable time' : `to ${source.time}`} from ${source.automatedBackupsArn ?? source.sourceIdentifier} in ${source.region} as ${ctx.targetId} (${ctx.instanceClass})`;
      case 'snapshot': {
        // A vault copy is shared with this account by the vault's reader role and copied here under the DR key first.
        const copied = source.origin === 'vault';
        const from = copied
          ? `${ctx.kind === 'cluster' ? 'CopyDBClusterSnapshot' : 'CopyDBSnapshot'} of vault copy ${source.snapshotId} (shared with this account by the vault's reader role) under the DR key as ${ctx.targetId}, then `
          : '';
        const snapshot = copied ? ctx.targetId : source.snapshotId;
        return ctx.kind === 'cluster'
          ? `RDS ${from}RestoreDBClusterFromSnapshot ${snapshot} as ${ctx.targetId}, then CreateDBInstance ${ctx.targetId}-1 (${ctx.instanceClass})`
          : `RDS ${from}RestoreDBInstanceFromDBSnapshot ${snapshot} as ${ctx.targetId} (${ctx.instanceClass})`;
      }
    }
  })();
  return [
    recover,
    'wait until it is available (checked every 15 s)',
    `Route 53 UPSERT in ${ctx.hostedZoneId}: ${ctx.recordName} CNAME ${ctx.currentValue ?? '(none)'} -> the endpoint of ${recoveredInstance(source, ctx)}, TTL ${ctx.ttl} s; wait for INSYNC`,
    ctx.drill
      ? `verify through ${ctx.recordName}: resolve it, connect, run the checks of ${ctx.database}; then, passed or not, delete ${recoveredInstance(source, ctx)}${ctx.kind === 'cluster' ? ` and ${ctx.targetId}` : ''} and the record ${ctx.recordName}`
      : `verify through ${ctx.recordName}: resolve it, connect, run the checks of ${ctx.database}; if that fails and the old target is healthy, set ${ctx.recordName} back to ${ctx.currentValue ?? '(none)'}`,
  ];
}

/** The DB instance whose endpoint the record will name once the recovery is available. */
export function recoveredInstance(
  source: RecoverySource,
  ctx: { readonly targetId: string; readonly kind: 'instance' | 'cluster' },
): string {
  if (source.type === 'promote-replica') return source.replica;
  if (source.type === 'global-failover') return source.secondaryCluster;
  return ctx.kind === 'cluster' ? `${ctx.targetId}-1` : ctx.targetId;
}
