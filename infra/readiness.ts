import type { ReadinessProbeDatabase } from '../functions/readiness/contracts';
import { defaultReadinessFloor } from '../functions/readiness/score';
import type { DatabaseConfig, LifelineConfig } from './config/schema';

/**
 * Every configured database as the readiness probe scores it, each with its floor: `objectives.readinessFloor`, or
 * 80 % of the most its setup can score. The vault copies are not counted: production's credentials cannot see them.
 */
export function readinessDatabases(
  config: LifelineConfig,
  drillCadenceSeconds: (drill: NonNullable<DatabaseConfig['drill']>) => number,
): ReadinessProbeDatabase[] {
  return config.databases.map((db) => {
    const failover = config.failover?.databases.includes(db.id) ?? false;
    const floor =
      db.objectives.readinessFloor ??
      defaultReadinessFloor({
        copyToDr: db.backup.copyToDr,
        continuous: db.continuous !== undefined,
        drilled: db.drill !== undefined,
        failover,
        vaultVisible: false,
        failoverDrilled: false,
      });
    return {
      id: db.id,
      kind: db.kind,
      rpoSeconds: db.objectives.rpo.seconds,
      copyToDr: db.backup.copyToDr,
      continuous: db.continuous !== undefined,
      copyToVault: db.backup.copyToVault,
      ...(db.drill ? { drillCadenceSeconds: drillCadenceSeconds(db.drill) } : {}),
      failover,
      floor,
    };
  });
}
