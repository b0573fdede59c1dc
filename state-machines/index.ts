/**
 * Lifeline as a construct library: the workflows that back up RDS databases across regions (and into a vault
 * account) and prove them restorable by drills, each a construct with documented props that any CDK app can add to
 * its own stacks. `infra/` builds the Lifeline app from these and a config file; nothing here reads that config.
 */

export type { DrillCheck } from '../functions/drill/contracts';
export {
  ARCHIVE_DUMP_SCRIPT,
  ArchiveDump,
  type ArchiveDumpProps,
  type ArchivedDatabase,
  DEFAULT_DUMP_IMAGES,
  type DumpImages,
} from './archive-dump';
export { BackupWorkflow, type BackupWorkflowProps } from './backup';
export type { PollPolicy } from './common';
export {
  type ContinuouslyProtectedDatabase,
  ContinuousProtection,
  type ContinuousProtectionProps,
  type ContinuousProtectionSpec,
} from './continuous-protection';
export { CopyAgeProbe, type CopyAgeProbeProps } from './copy-age-probe';
export {
  type DashboardBucket,
  type DashboardDatabase,
  RecoveryDashboard,
  type RecoveryDashboardProps,
} from './dashboard';
export {
  catalogOf,
  type DrillSpec,
  defaultDrillInstanceClass,
  drillCatalogOf,
  type Engine,
  type ProtectedDatabase,
  type RetentionCounts,
} from './databases';
export { DrCopy, type DrCopyProps } from './dr-copy';
export { DrillWorkflow, type DrillWorkflowProps } from './drill';
export { DrillAlarms, type DrillAlarmsProps } from './drill-alarms';
export { type DrillNetwork, type DrillNetworkProps, drillNetwork, reportsBucket } from './drill-network';
export { type Contact, EscalationLevels, type EscalationLevelsProps, SEVERITIES, type Severity } from './escalation';
export { ENDED_BADLY, ExecutionEndedRule, type ExecutionEndedRuleProps } from './execution-ended';
export { lifelineKey, rdsKeyUse } from './keys';
export { LifelineFunction, type LifelineFunctionProps } from './lifeline-function';
export {
  BUSY_DATABASE_RETRY,
  DEFAULT_COPY_POLL,
  DEFAULT_RESTORE_POLL,
  DEFAULT_SNAPSHOT_POLL,
  MAX_OVERRIDE_TIMEOUT_MINUTES,
} from './policies';
export {
  DEFAULT_EXPIRY,
  DEFAULT_TIERS,
  type LifecycleTier,
  type ObjectLockDefault,
  ProtectedBucket,
  type ProtectedBucketProps,
  type ReplicaDestination,
} from './protected-bucket';
export { ReadinessProbe, type ReadinessProbeProps } from './readiness-probe';
export { at, LambdaStep, type LambdaStepProps, type Payload, StatePath } from './step';
export { VaultCopy, type VaultCopyProps, type VaultTarget } from './vault-copy';
export {
  allowAlarmsToPublish,
  SnapshotQuotaAlarms,
  type SnapshotQuotaAlarmsProps,
  WorkflowAlarms,
  type WorkflowAlarmsProps,
} from './workflow-alarms';
