/**
 * The stack outputs a person or a tool (the `lifeline` CLI) reads of a deployed installation: stable keys, one
 * vocabulary for the stacks that write them and the CLI that reads them. No CDK here, so the CLI loads fast.
 */

/** Output keys of `<name>-dr` (in drRegion). */
export const DR_OUTPUT = {
  installation: 'Installation',
  primaryRegion: 'PrimaryRegion',
  drRegion: 'DrRegion',
  databases: 'ProtectedDatabases',
  keyArn: 'DrKeyArn',
  alertsTopicArn: 'DrAlertsTopicArn',
  drillStateMachineArn: 'DrillStateMachineArn',
  drillReportsTopicArn: 'DrillReportsTopicArn',
  reportsBucketName: 'ReportsBucketName',
  /** The function that rolls up a week's or month's evidence (`{"period":"2026-11"}`). */
  evidenceFunctionName: 'EvidenceFunctionName',
  /** JSON `{ "<bucket id>": "<replica bucket name>" }`. */
  bucketReplicaNames: 'BucketReplicaNames',
  /** Only with `escalation`. */
  incidentCommandFunctionName: 'IncidentCommandFunctionName',
  incidentsTableName: 'IncidentsTableName',
  escalationStateMachineArn: 'EscalationStateMachineArn',
  /** JSON `{ "<level>": "<topic ARN>" }`. */
  escalationTopicArns: 'EscalationTopicArns',
  /** Only with `failover`. */
  failoverStateMachineArn: 'FailoverStateMachineArn',
  failoverCommandFunctionName: 'FailoverCommandFunctionName',
  /** The managed policy `<name>-operator` that lets a person run the CLI. */
  operatorPolicyArn: 'OperatorPolicyArn',
} as const;

/** Output keys of `<name>-primary` (in primaryRegion). */
export const PRIMARY_OUTPUT = {
  installation: 'Installation',
  primaryRegion: 'PrimaryRegion',
  drRegion: 'DrRegion',
  databases: 'ProtectedDatabases',
  keyArn: 'PrimaryKeyArn',
  alertsTopicArn: 'AlertsTopicArn',
  backupStateMachineArn: 'BackupStateMachineArn',
  copySlotsTableName: 'CopySlotsTableName',
  /** JSON `{ "<bucket id>": "<bucket name>" }`. */
  bucketNames: 'BucketNames',
} as const;

/** Output keys of `<name>-vault` (in drRegion, the vault account). */
export const VAULT_OUTPUT = {
  installation: 'Installation',
  vaultRegion: 'VaultRegion',
  keyArn: 'VaultKeyArn',
  alertsTopicArn: 'VaultAlertsTopicArn',
  copierRoleArn: 'VaultCopierRoleArn',
  prunerFunctionName: 'VaultPrunerFunctionName',
} as const;

/** One protected database as the `ProtectedDatabases` output lists it (compact JSON, an array of these). */
export interface OutputDatabase {
  readonly id: string;
  readonly kind: 'instance' | 'cluster';
  readonly engine: string;
  readonly rpoSeconds: number;
  readonly rtoSeconds: number;
  readonly drilled: boolean;
  /** The longest gap between two scheduled drills; absent when it is not drilled. */
  readonly drillCadenceSeconds?: number;
  readonly copyToDr: boolean;
  readonly copyToVault: boolean;
  /** Whether continuous protection is configured. */
  readonly continuous: boolean;
  /** Whether it fails over through the failover runbook (whose dry runs and drills its readiness counts). */
  readonly failover?: boolean;
  /** The longest gap between two scheduled failover drills; absent when none is scheduled. */
  readonly failoverDrillCadenceSeconds?: number;
  /** The readiness score below which its alarm fires; absent in outputs written before it was. */
  readonly readinessFloor?: number;
  readonly retention: Readonly<Record<string, number>>;
}

/** The `ProtectedDatabases` output, read back; a value that is not such a list is refused with what was found. */
export function parseOutputDatabases(text: string): OutputDatabase[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`the ${DR_OUTPUT.databases} output is not JSON: ${text.slice(0, 80)}`);
  }
  const ok = (d: unknown): d is OutputDatabase =>
    !!d &&
    typeof d === 'object' &&
    typeof (d as OutputDatabase).id === 'string' &&
    typeof (d as OutputDatabase).rpoSeconds === 'number' &&
    typeof (d as OutputDatabase).rtoSeconds === 'number';
  if (!Array.isArray(value) || !value.every(ok))
    throw new Error(`the ${DR_OUTPUT.databases} output is not a list of databases: ${text.slice(0, 80)}`);
  return value;
}
