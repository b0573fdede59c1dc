/**
 * The recovery-readiness score's vocabulary: the evidence about one database it is computed from, and the score with
 * its parts. Imports nothing.
 */

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
  /** Whether the last preflight of the recovery path passed; absent when none ran. */
  readonly preflightPassed?: boolean;
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

/** The metric the score is published as (dimension `database`). */
export const READINESS_METRIC = 'RecoveryReadiness';
