/**
 * Payloads of continuous protection: the databases the continuous probe looks at (as its construct passes them), what
 * it found, and the metric it publishes. Imports nothing but other contracts.
 */
import { handlerContract } from '../commons/contracts';

/** How one database is protected between snapshots, as the probe reads it (`CONTINUOUS_ENV.databases`, JSON). */
export type ContinuousDatabase =
  | {
      readonly id: string;
      readonly mode: 'automated-backup-replication';
      /** The source DB instance's ARN, in the primary region. */
      readonly sourceArn: string;
      /** Days of replicated automated backups kept in the DR region. */
      readonly retentionDays: number;
    }
  | {
      readonly id: string;
      readonly mode: 'read-replica';
      /** The source DB instance's ARN, in the primary region. */
      readonly sourceArn: string;
      /** The read replica's DB instance identifier, in the DR region. */
      readonly replica: string;
    }
  | {
      readonly id: string;
      readonly mode: 'global-database';
      readonly globalCluster: string;
      /** The secondary cluster's identifier, in the DR region. */
      readonly secondaryCluster: string;
    };

export type ContinuousMode = ContinuousDatabase['mode'];

/** Environment variables of the continuous probe. */
export const CONTINUOUS_ENV = {
  /** The databases, as JSON: ContinuousDatabase[]. */
  databases: 'CONTINUOUS_DATABASES',
  /** The DR key's ARN: replicated automated backups are encrypted with it. */
  drKeyArn: 'CONTINUOUS_DR_KEY_ARN',
  /** The primary region, where the sources of replicated automated backups are read. */
  primaryRegion: 'CONTINUOUS_PRIMARY_REGION',
} as const;

/** The metric the probe publishes per database (dimension `database`): the measured RPO, in seconds. */
export const CONTINUOUS_RPO_METRIC = 'ContinuousRPO';

/**
 * What the probe found of one database. `rpoSeconds` is absent when nothing could be measured (replication off, the
 * replica not available, no lag reported): then no data point is published and the RPO alarm, whose missing data
 * breaches, fires; `problem` says why in words.
 */
export interface ContinuousRpoOfDatabase {
  readonly database: string;
  readonly mode: ContinuousMode;
  readonly rpoSeconds?: number;
  /** What the RPO was measured from: the latest restorable time, or the lag metric's time. */
  readonly measuredFrom?: string;
  readonly problem?: string;
  /** automated-backup-replication only: replication was found off and the probe turned it on again. */
  readonly replicationStarted?: boolean;
}

/** The probe runs on a schedule and takes no input. */
export type ContinuousProbeInput = unknown;

export interface ContinuousProbeOutput {
  readonly measuredAt: string;
  readonly databases: ContinuousRpoOfDatabase[];
}

export const CONTINUOUS_HANDLERS = {
  probe: handlerContract<ContinuousProbeInput, ContinuousProbeOutput>('functions/continuous/probe.ts'),
} as const;
