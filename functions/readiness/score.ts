/**
 * The recovery-readiness score of one database: a number from 0 to 100, explained by its parts, each computed from
 * measured evidence only. Evidence that is missing scores nothing: a part is never given credit for what nobody
 * measured. Pure: no SDK, no clock (the caller passes `now`).
 */
import type { ReadinessEvidence, ReadinessPart, ReadinessScore, ReadinessSetup } from './contracts';

/** How much each part counts. A part that does not apply (continuous protection not set up) is left out. */
export const READINESS_WEIGHTS = {
  copyAge: 30,
  continuousRpo: 10,
  drill: 25,
  preflight: 10,
  vaultCopy: 10,
  failoverDrill: 15,
} as const;

/** How fresh a preflight must be for full credit when no failover drill is scheduled: a month. */
export const PREFLIGHT_CADENCE_SECONDS = 31 * 86_400;

/** Full credit up to the limit, none from twice the limit, linear between. */
function withinLimit(value: number, limit: number): number {
  if (value <= limit) return 1;
  if (value >= 2 * limit) return 0;
  return (2 * limit - value) / limit;
}

const hours = (seconds: number) => {
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 3 * 86_400) return `${Math.round(seconds / 360) / 10} h`;
  return `${Math.round(seconds / 8640) / 10} d`;
};

const ageOf = (at: string, now: Date) => (now.getTime() - Date.parse(at)) / 1000;

function copyAgePart(e: ReadinessEvidence, now: Date): ReadinessPart {
  const part = { name: 'copyAge', weight: READINESS_WEIGHTS.copyAge } as const;
  if (e.newestVerifiedCopyAt === undefined)
    return { ...part, credit: 0, why: 'no verified DR copy: nothing could be restored in the DR region' };
  const age = ageOf(e.newestVerifiedCopyAt, now);
  const credit = withinLimit(age, e.rpoSeconds);
  return {
    ...part,
    credit,
    why:
      credit === 1
        ? `newest verified DR copy is ${hours(age)} old, within the RPO of ${hours(e.rpoSeconds)}`
        : `newest verified DR copy is ${hours(age)} old, past the RPO of ${hours(e.rpoSeconds)}`,
  };
}

function continuousPart(e: ReadinessEvidence): ReadinessPart | undefined {
  if (!e.continuous) return undefined;
  const part = { name: 'continuousRpo', weight: READINESS_WEIGHTS.continuousRpo } as const;
  const measured = e.continuous.measuredRpoSeconds;
  if (measured === undefined)
    return { ...part, credit: 0, why: 'continuous protection is set up, but no RPO was measured' };
  const credit = withinLimit(measured, e.rpoSeconds);
  return {
    ...part,
    credit,
    why: `continuous RPO measured at ${hours(measured)} against an objective of ${hours(e.rpoSeconds)}`,
  };
}

/** A pass within the cadence gets full credit, one within twice the cadence half; a failed last drill none. */
function recentPass(
  name: 'drill' | 'failoverDrill' | 'preflight',
  what: string,
  last: ReadinessEvidence['lastDrill'],
  cadenceSeconds: number | undefined,
  now: Date,
): ReadinessPart {
  const part = { name, weight: READINESS_WEIGHTS[name] } as const;
  if (cadenceSeconds === undefined) return { ...part, credit: 0, why: `no ${what} is scheduled` };
  if (!last)
    return {
      ...part,
      credit: 0,
      why: name === 'preflight' ? 'the recovery path was not preflighted' : `no ${what} on record`,
    };
  const age = ageOf(last.at, now);
  if (!last.passed) return { ...part, credit: 0, why: `the last ${what} (${hours(age)} ago) did not pass` };
  const credit = age <= cadenceSeconds ? 1 : age <= 2 * cadenceSeconds ? 0.5 : 0;
  return {
    ...part,
    credit,
    why: `the last ${what} passed ${hours(age)} ago${credit === 1 ? '' : `, later than its cadence of ${hours(cadenceSeconds)}`}`,
  };
}

export function readinessScore(e: ReadinessEvidence, now: Date): ReadinessScore {
  const parts = [
    copyAgePart(e, now),
    continuousPart(e),
    recentPass('drill', 'restore drill', e.lastDrill, e.drillCadenceSeconds, now),
    // A preflight is as fresh as the failover drill's cadence asks (a drill runs the pre-checks), else a month.
    recentPass(
      'preflight',
      'recovery-path preflight',
      e.preflight,
      e.failoverDrillCadenceSeconds ?? PREFLIGHT_CADENCE_SECONDS,
      now,
    ),
    {
      name: 'vaultCopy',
      weight: READINESS_WEIGHTS.vaultCopy,
      credit: e.vaultCopyPresent === true ? 1 : 0,
      why:
        e.vaultCopyPresent === undefined
          ? 'no vault account: a compromised production account could reach every copy'
          : e.vaultCopyPresent
            ? 'a copy is in the vault account'
            : 'no copy in the vault account',
    },
    recentPass('failoverDrill', 'failover drill', e.lastFailoverDrill, e.failoverDrillCadenceSeconds, now),
  ].filter((p): p is ReadinessPart => p !== undefined);
  const total = parts.reduce((sum, p) => sum + p.weight, 0);
  const earned = parts.reduce((sum, p) => sum + p.weight * p.credit, 0);
  const score = Math.round((100 * earned) / total);
  return {
    database: e.database,
    score,
    parts,
    ...(e.floor === undefined ? {} : { floor: e.floor, belowFloor: score < e.floor }),
  };
}

/**
 * The vault copies are in the vault account: production's credentials cannot see them, so a score measured with them
 * says "not checked" for that part rather than "no vault account".
 */
export function withVaultNotChecked(score: ReadinessScore): ReadinessScore {
  return {
    ...score,
    parts: score.parts.map((p) =>
      p.name === 'vaultCopy'
        ? { ...p, why: 'not checked: the vault copies are in the vault account, out of reach of these credentials' }
        : p,
    ),
  };
}

/**
 * The most a database set up like this can score: every part its setup can produce evidence for, at full credit.
 * What is not set up (no drill, no vault, no failover) earns nothing, so the ceiling shows what a floor can ask for.
 */
export function readinessCeiling(setup: ReadinessSetup): number {
  const now = new Date(0);
  const at = now.toISOString();
  const cadence = 86_400;
  return readinessScore(
    {
      database: 'ceiling',
      rpoSeconds: cadence,
      ...(setup.copyToDr ? { newestVerifiedCopyAt: at } : {}),
      ...(setup.continuous ? { continuous: { measuredRpoSeconds: 0 } } : {}),
      ...(setup.drilled ? { drillCadenceSeconds: cadence, lastDrill: { at, passed: true } } : {}),
      ...(setup.failover ? { preflight: { at, passed: true } } : {}),
      ...(setup.vaultVisible ? { vaultCopyPresent: true } : {}),
      ...(setup.failoverDrilled
        ? { failoverDrillCadenceSeconds: cadence, lastFailoverDrill: { at, passed: true } }
        : {}),
    },
    now,
  ).score;
}

/** The floor a database gets when its config names none: 80 % of its ceiling, so what it can reach is what it is held to. */
export function defaultReadinessFloor(setup: ReadinessSetup): number {
  return Math.floor(0.8 * readinessCeiling(setup));
}
