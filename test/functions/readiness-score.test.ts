import { describe, expect, it } from 'vitest';
import type { ReadinessEvidence, ReadinessSetup } from '../../functions/readiness/contracts';
import {
  defaultReadinessFloor,
  READINESS_WEIGHTS,
  readinessCeiling,
  readinessScore,
  withVaultNotChecked,
} from '../../functions/readiness/score';

const now = new Date('2026-12-01T12:00:00Z');
const ago = (hours: number) => new Date(now.getTime() - hours * 3_600_000).toISOString();
const DAY = 86_400;

/** Everything measured and within its objective. */
const ready: ReadinessEvidence = {
  database: 'orders',
  rpoSeconds: 25 * 3600,
  newestVerifiedCopyAt: ago(3),
  drillCadenceSeconds: 31 * DAY,
  lastDrill: { at: ago(24 * 5), passed: true },
  preflight: { at: ago(24 * 10), passed: true },
  vaultCopyPresent: true,
  failoverDrillCadenceSeconds: 31 * DAY,
  lastFailoverDrill: { at: ago(24 * 10), passed: true },
};

const partOf = (e: ReadinessEvidence, name: string) => readinessScore(e, now).parts.find((p) => p.name === name);

describe('the recovery-readiness score', () => {
  it('is 100 when every part is measured and within its objective, and says why for each part', () => {
    const score = readinessScore(ready, now);
    expect(score.score).toBe(100);
    expect(score.parts.map((p) => p.name)).toEqual(['copyAge', 'drill', 'preflight', 'vaultCopy', 'failoverDrill']);
    expect(partOf(ready, 'copyAge')?.why).toBe('newest verified DR copy is 3 h old, within the RPO of 25 h');
    expect(partOf(ready, 'drill')?.why).toBe('the last restore drill passed 5 d ago');
  });

  it('is 0 with nothing measured, and never credits a part nobody measured', () => {
    const score = readinessScore({ database: 'orders', rpoSeconds: 3600 }, now);
    expect(score.score).toBe(0);
    expect(score.parts.map((p) => [p.name, p.credit, p.why])).toEqual([
      ['copyAge', 0, 'no verified DR copy: nothing could be restored in the DR region'],
      ['drill', 0, 'no restore drill is scheduled'],
      ['preflight', 0, 'the recovery path was not preflighted'],
      ['vaultCopy', 0, 'no vault account: a compromised production account could reach every copy'],
      ['failoverDrill', 0, 'no failover drill is scheduled'],
    ]);
  });

  // Each row takes the ready database and breaks one thing: the score loses that part's share of 90 (the weights
  // without continuous protection), rounded.
  const broken: [string, Partial<ReadinessEvidence>, string, number, RegExp][] = [
    ['a copy past twice the RPO', { newestVerifiedCopyAt: ago(51) }, 'copyAge', 0, /51 h old, past the RPO of 25 h/],
    ['a copy 1.5 x the RPO old', { newestVerifiedCopyAt: ago(37.5) }, 'copyAge', 0.5, /past the RPO/],
    ['no drill on record', { lastDrill: undefined }, 'drill', 0, /no restore drill on record/],
    ['a failed last drill', { lastDrill: { at: ago(2), passed: false } }, 'drill', 0, /did not pass/],
    ['a pass older than the cadence', { lastDrill: { at: ago(24 * 40), passed: true } }, 'drill', 0.5, /later/],
    ['a pass older than twice the cadence', { lastDrill: { at: ago(24 * 70), passed: true } }, 'drill', 0, /70 d/],
    [
      'a failed preflight',
      { preflight: { at: ago(1), passed: false } },
      'preflight',
      0,
      /preflight \(1 h ago\) did not pass/,
    ],
    [
      'a preflight older than the cadence',
      { preflight: { at: ago(24 * 40), passed: true } },
      'preflight',
      0.5,
      /later/,
    ],
    ['a preflight older than twice it', { preflight: { at: ago(24 * 70), passed: true } }, 'preflight', 0, /70 d ago/],
    ['no vault copy', { vaultCopyPresent: false }, 'vaultCopy', 0, /no copy in the vault account/],
    ['a failed failover drill', { lastFailoverDrill: { at: ago(1), passed: false } }, 'failoverDrill', 0, /failover/],
  ];
  it.each(broken)('loses the part for %s', (_, change, name, credit, why) => {
    const evidence = { ...ready, ...change };
    const part = partOf(evidence, name);
    expect(part?.credit).toBe(credit);
    expect(part?.why).toMatch(why);
    const weight = READINESS_WEIGHTS[name as keyof typeof READINESS_WEIGHTS];
    expect(readinessScore(evidence, now).score).toBe(Math.round((100 * (90 - weight * (1 - credit))) / 90));
  });

  it('counts continuous protection only where it is set up, and a set-up one that measured nothing as 0', () => {
    const measured = { ...ready, continuous: { measuredRpoSeconds: 300 } };
    expect(readinessScore(measured, now).score).toBe(100);
    expect(partOf(measured, 'continuousRpo')?.why).toBe(
      'continuous RPO measured at 5 min against an objective of 25 h',
    );
    const silent = { ...ready, continuous: {} };
    expect(partOf(silent, 'continuousRpo')?.credit).toBe(0);
    expect(readinessScore(silent, now).score).toBe(Math.round((100 * 90) / 100));
  });

  it('says whether the score is below the configured floor', () => {
    expect(readinessScore({ ...ready, floor: 80 }, now)).toMatchObject({ score: 100, floor: 80, belowFloor: false });
    const low = readinessScore({ ...ready, lastDrill: undefined, floor: 80 }, now);
    expect(low).toMatchObject({ score: 72, belowFloor: true });
    expect(readinessScore(ready, now)).not.toHaveProperty('belowFloor');
  });

  it('says "not checked" of a vault it cannot see, and gives it no credit', () => {
    const score = withVaultNotChecked(readinessScore({ ...ready, vaultCopyPresent: undefined }, now));
    expect(partOf({ ...ready, vaultCopyPresent: undefined }, 'vaultCopy')?.why).toMatch(/no vault account/);
    expect(score.parts.find((p) => p.name === 'vaultCopy')).toMatchObject({ credit: 0, why: /^not checked/ });
    expect(score.score).toBe(89);
  });
});

describe('the most a setup can score, and the default floor', () => {
  const none: ReadinessSetup = {
    copyToDr: false,
    continuous: false,
    drilled: false,
    failover: false,
    vaultVisible: false,
    failoverDrilled: false,
  };
  // [setup, ceiling, default floor (80 % of the ceiling, rounded down)]; without continuous the weights sum to 90.
  const setups: [string, Partial<ReadinessSetup>, number, number][] = [
    ['nothing set up', {}, 0, 0],
    ['DR copies only', { copyToDr: true }, 33, 26],
    ['DR copies and drills', { copyToDr: true, drilled: true }, 61, 48],
    ['and continuous protection', { copyToDr: true, drilled: true, continuous: true }, 65, 52],
    ['and a failover runbook (preflighted by its dry runs)', { copyToDr: true, drilled: true, failover: true }, 72, 57],
    [
      'everything, the vault seen',
      { copyToDr: true, drilled: true, continuous: true, failover: true, vaultVisible: true, failoverDrilled: true },
      100,
      80,
    ],
  ];
  it.each(setups)('%s', (_, setup, ceiling, floor) => {
    expect(readinessCeiling({ ...none, ...setup })).toBe(ceiling);
    expect(defaultReadinessFloor({ ...none, ...setup })).toBe(floor);
  });
});
