/**
 * Lifeline's vocabulary, shared by the constructs that deploy a function and the function itself: the names of
 * the environment variables one sets and the other reads, the tags on everything Lifeline makes, and the names it
 * gives what it creates. Nothing here imports anything.
 */

/** Environment variables of Lifeline's functions. */
export const ENV = {
  /** The installation's name (config `name`): the value of `TAG.installation` and the prefix of what it creates. */
  installation: 'LIFELINE_INSTALLATION',
  alertsTopicArn: 'ALERTS_TOPIC_ARN',
  drRegion: 'DR_REGION',
  drKeyAlias: 'DR_KEY_ALIAS',
  snapshotQuota: 'SNAPSHOT_QUOTA',
  copySlotsTable: 'COPY_SLOTS_TABLE',
  copySlotLimit: 'COPY_SLOT_LIMIT',
  copySlotRegions: 'COPY_SLOT_REGIONS',
  vaultAccount: 'VAULT_ACCOUNT',
  vaultRegion: 'VAULT_REGION',
  vaultRoleArn: 'VAULT_ROLE_ARN',
  vaultKeyAlias: 'VAULT_KEY_ALIAS',
  vaultDatabases: 'VAULT_DATABASES',
  vaultRetention: 'VAULT_RETENTION',
  drillSubnetGroup: 'DRILL_SUBNET_GROUP',
  drillSecurityGroup: 'DRILL_SECURITY_GROUP',
  reportsBucket: 'REPORTS_BUCKET',
  workflow: 'WORKFLOW',
  /** The databases the copy-age probe looks at, as JSON: `[{ "id": "orders", "kind": "instance" }]`. */
  probedDatabases: 'PROBED_DATABASES',
  /** What the objectives probe looks at, as JSON (see ObjectivesProbeEnv). */
  objectives: 'OBJECTIVES',
  /** The incident sink's intake function, which functions that see incidents open or close report to. */
  incidentIntake: 'INCIDENT_INTAKE_FUNCTION',
} as const;

/** Where Lifeline's own CloudWatch metrics live (the functions' EMF and the copy-age probe's data points). */
export const METRICS_NAMESPACE = 'Lifeline';

/** Tags on every recovery point and every temporary drill resource. Pruning and clean-up only touch what carries them. */
export const TAG = {
  managedBy: 'lifeline:managed-by',
  database: 'lifeline:database',
  /** The config `name` of the Lifeline that made it; two installations in one account never touch each other's. */
  installation: 'lifeline:installation',
  retention: 'lifeline:retention',
  execution: 'lifeline:execution',
  scheduledTime: 'lifeline:scheduled-time',
  verified: 'lifeline:verified',
  drCopy: 'lifeline:dr-copy',
  /** On a source (or its transit copy): `verified` once its copy in the vault account is verified. */
  vaultCopy: 'lifeline:vault-copy',
  /** On a transit copy made only to share a source with the vault account: the source's id. */
  vaultShare: 'lifeline:vault-share',
  /** On a temporary drill database: the drill's id. */
  drill: 'lifeline:drill',
  /** On a temporary drill database: when the sweeper may delete it. */
  expires: 'lifeline:expires',
} as const;

/** Error names AWS uses for throttling, retried by every state that calls AWS. */
export const THROTTLING_ERRORS = [
  'Throttling',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
];

/**
 * The error an execution ends with when its own failure path could not tell anyone (the explainer or the publish
 * to the alert topic failed); the execution-ended rule alerts on it.
 */
export const ALERT_NOT_DELIVERED = 'AlertNotDelivered';

/** Names of the errors the workflows retry or catch by name (each the `name` of a class in ./errors). */
export const ERROR = {
  /** A poll's resource is not there yet: the state retries. */
  notReady: 'NotReady',
  /** The execution input is malformed: rejected before any change. */
  invalidInput: 'InvalidInput',
  /** Every copy slot of the region is taken: the state waits in line. */
  noCopySlot: 'NoCopySlot',
} as const;

/**
 * The values of the evidence tags: what each verification writes, and what the IAM conditions let it write.
 * `TAG.verified` is `available` on a new snapshot RDS reports available, `copy-verified` on a copy (DR or vault)
 * that passed the copy-verification rule; `TAG.drCopy` / `TAG.vaultCopy` are `verified` on a source whose copy there
 * is verified.
 */
export const EVIDENCE = { available: 'available', copyVerified: 'copy-verified', verified: 'verified' } as const;

/** The value of `TAG.managedBy`. */
export const MANAGED_BY = 'lifeline';

/** Prefix of every snapshot an installation creates: `<name>-<database>-<scheduled minute>`. */
export const snapshotPrefix = (installation: string) => `${installation}-`;

/** Prefix of every temporary database a drill of the installation restores: `<name>-drill-<database>-<suffix>`. */
export const drillPrefix = (installation: string) => `${installation}-drill-`;

/**
 * A handler as the constructs see it: where its source is, relative to the repository root, and (as types only)
 * what it takes and returns. A task's payload is checked against `I`.
 */
export interface HandlerContract<I, O> {
  readonly entry: string;
  /** Never set: carries the types. */
  readonly types?: { readonly input: I; readonly output: O };
}

export const handlerContract = <I, O = unknown>(entry: string): HandlerContract<I, O> => ({ entry });
