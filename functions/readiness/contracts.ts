/**
 * The recovery-readiness score's vocabulary: the evidence about one database it is computed from, the score with
 * its parts, and the payloads of the probe that publishes it. Imports only the shared contracts.
 */
import type { DatabaseKind } from '../backup/contracts';
import { handlerContract } from '../commons/contracts';

/** What is known, measured, about one database's ability to recover. Absent means not measured (or not set up). */
export interface ReadinessEvidence {
  readonly database: string;
  /** objectives.rpo. */
  readonly rpoSeconds: number;
  /** When the newest verified DR copy's data was taken (ISO). */
  readonly newestVerifiedCopyAt?: string;
  /** Present when continuous protection is set up; its RPO as last measured. */
  readonly continuous?: { readonly measuredRpoSeconds?: number };
  /** The longest gap between two scheduled drills; absent when no drill is scheduled. */
  readonly drillCadenceSeconds?: number;
  readonly lastDrill?: { readonly at: string; readonly passed: boolean };
  /**
   * The newest preflight of the recovery path (a failover dry run, or the pre-checks of a failover or failover
   * drill) and whether every blocking check passed; absent when none ran.
   */
  readonly preflight?: { readonly at: string; readonly passed: boolean };
  /** Whether a copy is in the vault account; absent when there is no vault. */
  readonly vaultCopyPresent?: boolean;
  readonly failoverDrillCadenceSeconds?: number;
  readonly lastFailoverDrill?: { readonly at: string; readonly passed: boolean };
  /** The configured floor below which the score alarms. */
  readonly floor?: number;
}

export type ReadinessPartName = 'copyAge' | 'continuousRpo' | 'drill' | 'preflight' | 'vaultCopy' | 'failoverDrill';

export interface ReadinessPart {
  readonly name: ReadinessPartName;
  /** How much the part counts. */
  readonly weight: number;
  /** 0 to 1: how much of its weight the evidence earns. */
  readonly credit: number;
  /** The evidence, in words. */
  readonly why: string;
}

export interface ReadinessScore {
  readonly database: string;
  /** 0 to 100. */
  readonly score: number;
  readonly parts: readonly ReadinessPart[];
  readonly floor?: number;
  readonly belowFloor?: boolean;
}

/** The metric the score is published as (`Lifeline/ReadinessScore`, dimension `database`), by the readiness probe. */
export const READINESS_METRIC = 'ReadinessScore';

/** What of a database's protection is set up: which parts of its score any evidence could earn. */
export interface ReadinessSetup {
  readonly copyToDr: boolean;
  readonly continuous: boolean;
  readonly drilled: boolean;
  /** It fails over through Lifeline's runbook, whose dry run preflights the recovery path. */
  readonly failover: boolean;
  /** Its vault copies can be seen by whoever measures (production's credentials cannot see the vault account). */
  readonly vaultVisible: boolean;
  readonly failoverDrilled: boolean;
}

/** One database the readiness probe scores, as its construct passes it. */
export interface ReadinessProbeDatabase {
  readonly id: string;
  readonly kind: DatabaseKind;
  readonly rpoSeconds: number;
  /** Whether its copies go to the DR region (without, it has no DR copy to look for). */
  readonly copyToDr: boolean;
  /** Whether it has continuous protection (its RPO is then read from `Lifeline/ContinuousRPO`). */
  readonly continuous: boolean;
  /** Whether it has copies in the vault account: production's credentials cannot see them, so they are not checked. */
  readonly copyToVault: boolean;
  readonly drillCadenceSeconds?: number;
  /** Whether it fails over through the failover runbook, whose records (dry runs, drills) are read. */
  readonly failover: boolean;
  readonly failoverDrillCadenceSeconds?: number;
  /** Below this score its alarm fires. */
  readonly floor: number;
}

/** The environment variable holding the databases the probe scores (ReadinessProbeEnv, as JSON). */
export const READINESS_ENV = 'READINESS';

export interface ReadinessProbeEnv {
  readonly installation: string;
  readonly databases: readonly ReadinessProbeDatabase[];
}

export interface ReadinessProbeOutput {
  readonly measuredAt: string;
  readonly scores: readonly ReadinessScore[];
}

export const READINESS_HANDLERS = {
  probe: handlerContract<unknown, ReadinessProbeOutput>('functions/readiness/probe.ts'),
} as const;
