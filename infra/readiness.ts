import type { ReadinessProbeDatabase } from '../functions/readiness/contracts';
import { defaultReadinessFloor } from '../functions/readiness/score';
import { parseSchedule } from './config/schedule';
import type { LifelineConfig } from './config/schema';

/** The longest gap between two runs of a drill's schedule (the config was validated: it parses; else a month). */
export function drillCadenceSeconds(drill: { readonly schedule: string; readonly timeZone: string }): number {
  const parsed = parseSchedule(drill.schedule, drill.timeZone);
  return typeof parsed === 'string' ? 31 * 86_400 : parsed.maxIntervalSeconds;
}

/**
 * Every configured database as the readiness probe scores it, each with its floor: `objectives.readinessFloor`, or
 * 80 % of the most its setup can score. The vault copies are not counted: production's credentials cannot see them.
 */
export function readinessDatabases(
  config: LifelineConfig,
  cadenceOf: (drill: { readonly schedule: string; readonly timeZone: string }) => number = drillCadenceSeconds,
): ReadinessProbeDatabase[] {
  const failoverDrill = config.failover?.drill.enabled ? config.failover.drill : undefined;
  return config.databases.map((db) => {
    const failover = config.failover?.databases.includes(db.id) ?? false;
    // A scheduled failover drill earns its part within its cadence, as the restore drill does.
    const failoverDrillCadence = failover && failoverDrill ? cadenceOf(failoverDrill) : undefined;
    const floor =
      db.objectives.readinessFloor ??
      defaultReadinessFloor({
        copyToDr: db.backup.copyToDr,
        continuous: db.continuous !== undefined,
        drilled: db.drill !== undefined,
        failover,
        vaultVisible: false,
        failoverDrilled: failoverDrillCadence !== undefined,
      });
    return {
      id: db.id,
      kind: db.kind,
      rpoSeconds: db.objectives.rpo.seconds,
      copyToDr: db.backup.copyToDr,
      continuous: db.continuous !== undefined,
      copyToVault: db.backup.copyToVault,
      ...(db.drill ? { drillCadenceSeconds: cadenceOf(db.drill) } : {}),
      failover,
      ...(failoverDrillCadence === undefined ? {} : { failoverDrillCadenceSeconds: failoverDrillCadence }),
      floor,
    };
  });
}
