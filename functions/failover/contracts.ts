/**
 * Payloads shared by the failover workflow's states and their Lambdas, and the constants its constructs need.
 * Imports nothing but other contracts.
 */
import { handlerContract } from '../commons/contracts';
import type { CheckResult, DrillCheck } from '../drill/contracts';

export const SCENARIOS = ['region-outage', 'database-corruption', 'ransomware'] as const;
export type Scenario = (typeof SCENARIOS)[number];

/** How a database is protected between snapshots (config `databases[].continuous`), as the failover reads it. */
export type ContinuousProtection =
  | { readonly mode: 'automated-backup-replication' }
  | { readonly mode: 'read-replica'; readonly replica: string }
  | { readonly mode: 'global-database'; readonly globalCluster: string; readonly secondaryCluster: string };

/** What the failover workflow knows of one database; embedded in the definition at synth. */
export interface FailoverCatalogEntry {
  readonly id: string;
  readonly kind: 'instance' | 'cluster';
  /** The production identifier, in the primary region. */
  readonly identifier: string;
  readonly engine: string;
  readonly rpoSeconds: number;
  readonly rtoSeconds: number;
  readonly continuous: ContinuousProtection | null;
  /** The class a restored replacement runs on. */
  readonly instanceClass: string;
  /** The checks that verify the failover through the name: the database's drill checks, with their login. */
  readonly credentialsSecret: string;
  readonly databaseName: string;
  readonly checks: DrillCheck[];
  /** The shadow record a failover drill of this database switches instead of the production one. */
  readonly drillRecordName: string;
}

/** The DNS record clients use, and how long approval may take; embedded in the definition at synth. */
export interface FailoverSettings {
  readonly hostedZoneId: string;
  readonly recordName: string;
  readonly ttl: number;
  readonly primaryRegion: string;
  /** Where a database-corruption restore runs: from the DR region's replicated backups, or the primary's own. */
  readonly corruptionRestoreRegion: 'dr' | 'primary';
  /** Whether an operator may waive the approval in the request (`approval: { waive: "reason" }`). */
  readonly approvalWaivable: boolean;
  readonly approvalTimeoutSeconds: number;
  /** A Route 53 health check of the old target: rollback only when it is healthy. @default - a TCP probe */
  readonly healthCheckId: string | null;
}

/** What an operator passes to start a failover. */
export interface FailoverRequest {
  readonly database: string;
  readonly scenario: Scenario;
  /** Every read and check, the exact plan of changes, and nothing changed. @default false */
  readonly dryRun?: boolean;
  /** database-corruption: the last moment known good (before the corruption); required there. */
  readonly pointInTime?: string;
  /** ransomware: the newest moment before the attack; only vault copies taken at or before it are used. */
  readonly cleanBefore?: string;
  /** @default { required: true }: the workflow waits for an approval. `{ waive: "reason" }` skips it. */
  readonly approval?: { readonly waive: string };
  /** Who starts it, in their own words; the record repeats it. */
  readonly startedBy?: string;
  /**
   * A failover drill: the whole runbook against a restored copy and the database's shadow record (never the
   * production record, replica or global database), approval waived, everything deleted afterwards. @default false
   */
  readonly drill?: boolean;
}

export interface ValidateFailoverInput {
  readonly request: unknown;
  readonly catalog: Record<string, FailoverCatalogEntry>;
  readonly settings: FailoverSettings;
  readonly execution: string;
  readonly startTime: string;
}

/** The validated request: what every later step reads. */
export interface FailoverPlan {
  readonly database: string;
  readonly scenario: Scenario;
  readonly dryRun: boolean;
  readonly pointInTime: string | null;
  readonly cleanBefore: string | null;
  readonly approval: { readonly required: boolean; readonly waiver: string | null };
  readonly startedBy: string | null;
  readonly entry: FailoverCatalogEntry;
  readonly settings: FailoverSettings;
  readonly execution: string;
  readonly startedAt: string;
  /** The identifier a restore creates: `<installation>-failover-<database>-<8 hex of the execution>`. */
  readonly targetId: string;
  /**
   * A failover drill: `settings.recordName` is then the shadow record (every step switches and verifies that one);
   * the production record is named here only for the record. null: a real failover.
   */
  readonly drill: { readonly productionRecord: string; readonly shadowRecord: string } | null;
}

/** Where a failover recovers from; chosen by ./plan-recovery from the config and what the pre-checks found. */
export type RecoverySource =
  | { readonly type: 'promote-replica'; readonly replica: string; readonly lagSeconds: number | null }
  | {
      readonly type: 'global-failover';
      readonly globalCluster: string;
      readonly secondaryCluster: string;
      readonly secondaryArn: string;
    }
  | {
      readonly type: 'point-in-time';
      /** The automated backups' ARN (replicated into the DR region), or the source instance (primary region). */
      readonly automatedBackupsArn: string | null;
      readonly sourceIdentifier: string | null;
      readonly region: string;
      /** The time restored to: the latest restorable time, or the requested point. */
      readonly time: string;
      readonly useLatest: boolean;
    }
  | {
      readonly type: 'snapshot';
      readonly origin: 'dr-copy' | 'vault';
      readonly snapshotId: string;
      readonly snapshotArn: string;
      readonly time: string;
    };

/** One pre-check, as the record shows it. */
export interface Precheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
  /** A failed blocking check stops the failover before any change. */
  readonly blocking: boolean;
}

/** A source the planner looked at, and why it was or was not taken. */
export interface Considered {
  readonly option: RecoverySource['type'] | 'vault-copy' | 'dr-copy';
  readonly usable: boolean;
  readonly why: string;
}

export interface DnsRecord {
  readonly name: string;
  readonly type: 'CNAME';
  readonly ttl: number;
  readonly value: string | null;
}

export interface PrecheckOutcome {
  readonly checkedAt: string;
  readonly checks: Precheck[];
  readonly considered: Considered[];
  readonly source: RecoverySource;
  /** The recovery point's time (null: a promoted replica, as current as its lag). */
  readonly pointTime: string | null;
  /** The instance the recovery makes available, which the record will point at. */
  readonly targetInstance: string;
  /** The record as it is now. */
  readonly currentRecord: DnsRecord;
  /** Every change the failover would make, in order, one line each (the dry run's output, the approval's text). */
  readonly changes: string[];
}

export interface RequestApprovalInput {
  readonly plan: FailoverPlan;
  readonly precheck: PrecheckOutcome;
  readonly token: string;
}

/** What an approval sends back (SendTaskSuccess); a rejection is SendTaskFailure with FailoverRejected. */
export interface ApprovalOutcome {
  readonly approved: true;
  readonly by: string;
  readonly at: string;
  readonly note?: string;
}

/** An operator's answer to an approval request (the failover command function). */
export interface FailoverCommand {
  readonly action: 'approve' | 'reject';
  readonly token: string;
  readonly by: string;
  readonly note?: string;
}

export interface FailoverCommandOutcome {
  readonly message: string;
}

export interface RecoverInput {
  readonly plan: FailoverPlan;
  readonly precheck: PrecheckOutcome;
}

export interface RecoveryStarted {
  readonly startedAt: string;
  /** The DB instance whose endpoint the record will name. */
  readonly instance: string;
  /** The RDS call that started it, as the record shows it. */
  readonly action: string;
}

export interface WaitRecoveredInput {
  readonly plan: FailoverPlan;
  readonly recovery: RecoveryStarted;
}

export interface RecoveredEndpoint {
  readonly host: string;
  readonly port: number;
  readonly availableAt: string;
}

export interface SwitchDnsInput {
  readonly plan: FailoverPlan;
  /** The record's new value (an endpoint host); a rollback passes the old one. */
  readonly value: string;
  readonly reason: 'failover' | 'rollback' | 'drill';
}

export interface DnsChange {
  readonly changeId: string;
  readonly submittedAt: string;
  readonly value: string;
  readonly insyncAt?: string;
}

export interface WaitDnsInput {
  readonly change: DnsChange;
}

export interface VerifyInput {
  readonly plan: FailoverPlan;
  readonly endpoint: RecoveredEndpoint;
  readonly precheck: PrecheckOutcome;
  readonly dnsChangedAt: string;
}

export interface VerifyOutcome {
  readonly verified: boolean;
  readonly verifiedAt: string;
  /** What the name resolved to (the CNAME chain, then the addresses). */
  readonly resolved: string[];
  readonly checks: CheckResult[];
  readonly connectError?: string;
  readonly summary: string;
  /** When verification failed: whether the old target answers (rollback only then). */
  readonly oldTarget?: { readonly value: string | null; readonly healthy: boolean; readonly detail: string };
}

/** Each step's outcome as the state carries it; null when the run did not get there. */
export interface RecordInput {
  readonly plan: FailoverPlan;
  readonly precheck?: PrecheckOutcome | null;
  readonly approval?: ApprovalOutcome | null;
  readonly recovery?: RecoveryStarted | null;
  readonly endpoint?: RecoveredEndpoint | null;
  readonly dns?: DnsChange | null;
  readonly verification?: VerifyOutcome | null;
  readonly rollback?: DnsChange | null;
  readonly error?: { readonly Error?: string; readonly Cause?: string } | null;
  readonly failedStep?: string | null;
  /** A failover drill's cleanup: what it deleted, and what is left. */
  readonly cleanup?: FailoverDrillCleanup | null;
}

export interface FailoverDrillCleanupInput {
  readonly plan: FailoverPlan;
}

/** What a failover drill's cleanup deleted: the restored copy (instance, cluster) and the shadow record. */
export interface FailoverDrillCleanup {
  readonly finishedAt: string;
  /** The RDS resources deleted (or already deleting). */
  readonly deleted: string[];
  /** What is still there afterwards: a person must delete it. */
  readonly leaked: string[];
  /** The shadow record's value that was deleted; null when there was none. */
  readonly recordDeleted: string | null;
}

export type FailoverStatus =
  | 'planned'
  | 'failed-over'
  | 'rejected'
  | 'not-approved'
  | 'rolled-back'
  | 'failed'
  | 'verification-failed'
  | 'drill-passed'
  | 'drill-failed';

export interface FailoverRecord {
  readonly database: string;
  readonly scenario: Scenario;
  readonly status: FailoverStatus;
  readonly summary: string;
  readonly dryRun: boolean;
  readonly execution: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly startedBy: string | null;
  readonly approval: {
    readonly required: boolean;
    readonly waiver: string | null;
    readonly by: string | null;
    readonly at: string | null;
  };
  readonly source: RecoverySource | null;
  readonly changes: string[];
  readonly checks: Precheck[];
  readonly considered: Considered[];
  readonly steps: { readonly step: string; readonly at: string | null; readonly detail?: string }[];
  /** Execution start to verified through the name; null when it was not verified. */
  readonly rtoSeconds: number | null;
  readonly rtoObjectiveSeconds: number;
  /** Writes after this point are not in the recovered database: from the recovery point to the execution start. */
  readonly dataLoss: {
    readonly from: string | null;
    readonly to: string;
    readonly seconds: number | null;
    readonly note: string;
  };
  readonly verification: VerifyOutcome | null;
  readonly error: { readonly step: string | null; readonly error: string; readonly cause: string } | null;
  /** A failover drill: the shadow record it used, the production record it left alone, and its cleanup. */
  readonly drill?: {
    readonly productionRecord: string;
    readonly shadowRecord: string;
    readonly cleanup: FailoverDrillCleanup | null;
  };
}

export interface RecordOutput {
  readonly record: FailoverRecord;
  readonly location: { readonly json: string; readonly html: string };
  readonly subject: string;
  readonly message: string;
}

/** Environment variables of the failover functions. */
export const FAILOVER_ENV = {
  /** The failover command function, named in the approval request's commands. */
  commandFunction: 'FAILOVER_COMMAND_FUNCTION',
  /** Where the approval request goes (the alert topic, which pages through the incident sink). */
  approvalTopicArn: 'FAILOVER_APPROVAL_TOPIC_ARN',
  /** Subnet group and security groups of a restored replacement (comma-separated). */
  subnetGroup: 'FAILOVER_SUBNET_GROUP',
  securityGroups: 'FAILOVER_SECURITY_GROUPS',
  /**
   * DNS servers (host:port, comma-separated) the verification resolves the record with. Unset in AWS: the Lambda's
   * VPC resolver, as every client in the VPC. The local harness points it at its answer of the Route 53 records.
   */
  dnsServers: 'LIFELINE_DNS_SERVERS',
  /** A role in the vault account that may only list and share Lifeline's vault copies (ransomware). @default - none */
  vaultReaderRoleArn: 'FAILOVER_VAULT_READER_ROLE_ARN',
  /** This (the DR) account: a vault copy is shared with it, and copied into it under the DR key, for the restore. */
  restoreAccount: 'FAILOVER_RESTORE_ACCOUNT',
  /** The zone and production record name whose shadow records the sweeper of failover drills may delete. */
  hostedZoneId: 'FAILOVER_HOSTED_ZONE_ID',
  recordName: 'FAILOVER_RECORD_NAME',
} as const;

/** The error a rejected approval ends the wait with (SendTaskFailure). */
export const FAILOVER_REJECTED = 'FailoverRejected';

/** The failover workflow's handlers: each state's task payload is checked against the handler's input. */
export const FAILOVER_HANDLERS = {
  validate: handlerContract<ValidateFailoverInput, FailoverPlan>('functions/failover/validate-failover.ts'),
  precheck: handlerContract<FailoverPlan, PrecheckOutcome>('functions/failover/precheck.ts'),
  requestApproval: handlerContract<RequestApprovalInput, void>('functions/failover/request-approval.ts'),
  command: handlerContract<FailoverCommand, FailoverCommandOutcome>('functions/failover/command.ts'),
  recover: handlerContract<RecoverInput, RecoveryStarted>('functions/failover/recover.ts'),
  waitRecovered: handlerContract<WaitRecoveredInput, RecoveredEndpoint>('functions/failover/wait-recovered.ts'),
  switchDns: handlerContract<SwitchDnsInput, DnsChange>('functions/failover/switch-dns.ts'),
  waitDns: handlerContract<WaitDnsInput, DnsChange>('functions/failover/wait-dns.ts'),
  verify: handlerContract<VerifyInput, VerifyOutcome>('functions/failover/verify.ts'),
  record: handlerContract<RecordInput, RecordOutput>('functions/failover/record.ts'),
  drillCleanup: handlerContract<FailoverDrillCleanupInput, FailoverDrillCleanup>('functions/failover/drill-cleanup.ts'),
  sweepDrills: handlerContract<Record<string, never>, FailoverDrillSweep>('functions/failover/sweep-drills.ts'),
} as const;

/** What the sweeper of failover drills deleted: copies whose execution ended (timed out, stopped) uncleaned. */
export interface FailoverDrillSweep {
  /** The instances and clusters deleted (or already deleting). */
  readonly swept: string[];
  /** The shadow records deleted, as `name -> value`; one still naming another copy is kept. */
  readonly records: Record<string, string>;
}

/** On what a failover drill restores: its execution. Only so tagged may the drill's cleanup delete it. */
export const FAILOVER_DRILL_TAG = 'lifeline:failover-drill';

/** The shadow record a failover drill of `database` switches: `drill-<database>.<record>`, in the same zone. */
export const failoverDrillRecord = (database: string, recordName: string) =>
  `drill-${database}.${recordName.replace(/\.$/, '')}`;
