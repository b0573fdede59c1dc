/**
 * The incident sink's vocabulary: severities, the kinds of incident Lifeline opens (each with its severity and what
 * closes it), the SNS message attributes a failure alert carries so the sink can tell what broke, and the payloads of
 * its functions. Imports nothing but other contracts.
 */
import { handlerContract } from '../commons/contracts';

/** Incident severities, most urgent first: P0 a complete outage, P1 a major loss, P2 a limited one, P3 minor. */
export const SEVERITIES = ['P0', 'P1', 'P2', 'P3'] as const;
export type Severity = (typeof SEVERITIES)[number];

/**
 * How an incident of a kind closes by itself, besides a manual resolve:
 * - `alarm-ok`: its alarm returns to OK (the alarm measures a state: the copy age, the quota in use);
 * - `newer-copy`: a verified DR copy taken after the incident opened (the next good backup) exists;
 * - `drill-passed`: a later drill of the database passed;
 * - `verified-clean`: a later replication verification of the bucket found none of it;
 * - `manual`: only a person resolves it.
 */
export type Closure = 'alarm-ok' | 'newer-copy' | 'drill-passed' | 'verified-clean' | 'manual';

export interface IncidentKind {
  readonly severity: Severity;
  readonly closes: Closure;
  /** What broke, as a person reads it after the database id: "orders: <what>". */
  readonly what: string;
}

/**
 * Every kind of incident, by the suffix its alarm names end with (`<installation>-<database>-<kind>`, or
 * `<installation>-<kind>` for a whole workflow) or the kind a failure alert names. The severity picks the level the
 * ladder starts at.
 */
/**
 * The kinds of a workflow's execution alarms (WorkflowAlarms: `<installation>-<workflow>-executions-<ending>`), which
 * close when the alarm is OK again (or, where that proves nothing, by hand). A timed-out backup or drill is worse than a failed one: nothing of its own ended it.
 */
function executionKinds<W extends string>(
  workflow: W,
  what: string,
  timedOut: Severity,
  aborted: Severity = 'P3',
  closes: 'alarm-ok' | 'manual' = 'alarm-ok',
): Record<`${W}-executions-${'failed' | 'timed-out' | 'aborted'}`, IncidentKind> {
  return {
    [`${workflow}-executions-failed`]: { severity: 'P3', closes, what: `${what} executions failed` },
    [`${workflow}-executions-timed-out`]: {
      severity: timedOut,
      closes,
      what: `${what} executions timed out`,
    },
    [`${workflow}-executions-aborted`]: {
      severity: aborted,
      closes,
      what: `${what} executions were stopped`,
    },
  } as Record<`${W}-executions-${'failed' | 'timed-out' | 'aborted'}`, IncidentKind>;
}

export const INCIDENT_KINDS = {
  ...executionKinds('backup', 'backup', 'P2'),
  ...executionKinds('drill', 'drill', 'P2'),
  ...executionKinds('export', 'snapshot export', 'P3'),
  ...executionKinds('replication-verification', 'replication verification', 'P3'),
  // A failover records and pages its own failures (failover-failed, P0); one stopped or timed out mid-way may have
  // restored a database or changed the record with nobody told: a person must look now. Its alarm is OK again five
  // minutes later, which proves nothing was looked at: these close by hand only.
  ...executionKinds('failover', 'failover', 'P1', 'P1', 'manual'),
  'backup-failed': { severity: 'P2', closes: 'newer-copy', what: 'a backup failed' },
  'drill-failed': { severity: 'P2', closes: 'drill-passed', what: 'a restore drill did not pass' },
  'no-recent-copy': {
    severity: 'P1',
    closes: 'alarm-ok',
    what: 'no verified DR copy within the RPO (a restore from the DR region would lose more data than allowed)',
  },
  'drill-rto-missed': { severity: 'P2', closes: 'drill-passed', what: 'a restore drill missed the RTO' },
  'drill-rpo-missed': { severity: 'P2', closes: 'drill-passed', what: 'a restore drill missed the RPO' },
  'snapshot-quota': { severity: 'P2', closes: 'alarm-ok', what: 'the manual snapshot quota is 90 % used or more' },
  'backup-success-rate-low': {
    severity: 'P3',
    closes: 'alarm-ok',
    what: 'fewer than 97 % of the backups of the last 30 days succeeded',
  },
  'backup-success-rate-critical': {
    severity: 'P1',
    closes: 'alarm-ok',
    what: 'fewer than 95 % of the backups of the last 30 days succeeded',
  },
  'drill-overdue': { severity: 'P2', closes: 'alarm-ok', what: 'no restore drill passed within its cadence' },
  // A summary of evidence whose own alarms page at their own severity (no recent copy P1, a failed drill P2).
  'readiness-low': {
    severity: 'P3',
    closes: 'alarm-ok',
    what: 'the recovery-readiness score is below its floor (the measured evidence no longer shows it can be recovered)',
  },
  'vault-prune-failed': {
    severity: 'P2',
    closes: 'manual',
    what: 'the vault copies could not be pruned (the vault fills towards its snapshot quota)',
  },
  'failover-approval': {
    severity: 'P1',
    closes: 'manual',
    what: 'a failover waits for approval (the page says what it will change and how to approve or reject)',
  },
  'failover-failed': {
    severity: 'P0',
    closes: 'manual',
    what: 'a failover failed or was not verified through the name (clients may be down)',
  },
  'failover-drill-failed': {
    severity: 'P2',
    closes: 'manual',
    what: 'a monthly failover drill did not pass (production was not touched; the path to the DR region is not proven)',
  },
  'failover-preflight-failed': {
    severity: 'P2',
    closes: 'manual',
    what: 'a failover dry run failed its pre-checks (nothing was changed; a failover now would stop there too)',
  },
  'export-failed': {
    severity: 'P3',
    closes: 'manual',
    what: 'a monthly or yearly recovery point could not be exported to the archive bucket',
  },
  'archive-dump-failed': {
    severity: 'P3',
    closes: 'manual',
    what: 'a passing drill could not store its archive dump (the month has no restorable archive yet)',
  },
  'continuous-rpo-missed': {
    severity: 'P1',
    closes: 'alarm-ok',
    what: 'the RPO between snapshots is missed or not measured (a recovery in the DR region would lose more data than allowed)',
  },
  'replication-discrepancy': {
    severity: 'P2',
    closes: 'verified-clean',
    what: 'the DR replica of the bucket lacks versions, differs, or replication failed',
  },
  'replication-late': {
    severity: 'P2',
    closes: 'verified-clean',
    what: 'replication to the DR replica is later than the RTC threshold (15 minutes)',
  },
  'replication-verification-failed': {
    severity: 'P3',
    closes: 'verified-clean',
    what: 'the replication of the bucket could not be verified',
  },
  'evidence-failed': {
    severity: 'P3',
    closes: 'alarm-ok',
    what: "the week's or month's evidence report could not be written",
  },
} as const satisfies Record<string, IncidentKind>;
export type IncidentKindName = keyof typeof INCIDENT_KINDS;

/** The database of an incident about a whole workflow rather than one database. */
export const EVERY_DATABASE = '*';

/**
 * SNS message attributes of a failure alert (the failure paths and the execution-ended rule set them): what the sink
 * opens the incident from. A message without them is read as a CloudWatch alarm notification.
 */
export const ALERT_ATTRIBUTE = {
  kind: 'lifeline.kind',
  database: 'lifeline.database',
  execution: 'lifeline.execution',
} as const;

/** Environment variables of the incident functions. */
export const INCIDENT_ENV = {
  table: 'INCIDENTS_TABLE',
  ladderArn: 'LADDER_STATE_MACHINE_ARN',
  /** The levels as JSON, in paging order: `[{ "name": "on-call", "topicArn": "...", "afterSeconds": 0 }]`. */
  levels: 'ESCALATION_LEVELS',
  /** Where each severity starts, as JSON: `{ "P0": "tech-lead" }`; a severity left out starts at the first level. */
  startAt: 'ESCALATION_START_AT',
  /** How long the top level waits before it is paged again, in seconds. */
  repeatSeconds: 'ESCALATION_REPEAT_SECONDS',
  /** The function that acknowledges and resolves (named in every page's commands). */
  commandFunction: 'INCIDENT_COMMAND_FUNCTION',
  /** The state machine the intake closes `drill-passed` incidents for, on its successful executions. */
  drillStateMachineArn: 'DRILL_STATE_MACHINE_ARN',
} as const;

export interface EscalationLevelEnv {
  readonly name: string;
  readonly topicArn: string;
  readonly afterSeconds: number;
}

/** What a Lifeline function reports to the sink directly (the probe, later failover and archive). */
export interface IncidentReport {
  readonly database: string;
  readonly kind: IncidentKindName;
  /** What broke, in one line. */
  readonly summary: string;
  readonly detail?: string;
  /** What to do first. */
  readonly firstStep?: string;
  /** Where to look: the execution's ARN, an alarm's console link, a report's location. */
  readonly links?: Readonly<Record<string, string>>;
}

/**
 * A replication verification that completed (`verified-clean`): it closes the bucket's verification-failed incident,
 * and its discrepancy or late incident when it found no discrepancies or nothing late.
 */
export interface BucketVerified {
  readonly bucket: string;
  readonly verifiedAt: string;
  readonly discrepancies: boolean;
  readonly late: boolean;
}

/** What closes incidents of a database: the newest verified DR copy's creation time (`newer-copy`). */
export interface CopySeen {
  readonly database: string;
  readonly takenAt: string;
}

/** The intake takes SNS deliveries (alert topics), EventBridge execution events, or direct reports. */
export type IntakeInput =
  | { readonly Records: readonly SnsRecord[] }
  | { readonly report: IncidentReport }
  | { readonly copies: readonly CopySeen[] }
  | { readonly drillsPassed: readonly { readonly database: string; readonly passedAt: string }[] }
  | { readonly bucketsVerified: readonly BucketVerified[] }
  | { readonly 'detail-type': string; readonly detail: Record<string, unknown> };

export interface SnsRecord {
  readonly EventSource?: string;
  readonly Sns: {
    readonly TopicArn?: string;
    readonly Subject?: string | null;
    readonly Message: string;
    readonly Timestamp?: string;
    readonly MessageAttributes?: Readonly<Record<string, { readonly Type: string; readonly Value: string }>>;
  };
}

export interface IntakeOutcome {
  /** Incidents opened (a ladder started for each), joined (no page), resolved, and messages not understood. */
  readonly opened: string[];
  readonly joined: string[];
  readonly resolved: string[];
  readonly ignored: string[];
}

/**
 * The most pages of one incident: a ladder left unanswered stops after these (about 20 days at the top level's 30
 * minutes), well within Step Functions' 25,000 events of history, which would otherwise fail the execution.
 */
export const MAX_PAGES = 1000;

/** The ladder's page step: one level, with the task token an acknowledgement sends back. */
export interface PageInput {
  readonly incident: string;
  readonly level: string;
  readonly token: string;
}

/** What the ladder's wait ends with when an acknowledgement or a resolve sends the token back. */
export interface PageOutcome {
  /** `unanswered`: paged MAX_PAGES times with nobody acknowledging; the ladder stops, the incident stays open. */
  readonly outcome: 'acknowledged' | 'resolved' | 'unanswered';
  readonly by?: string;
}

/** An operator's command: acknowledge (stops the paging), resolve (stops it and tells who was paged), or list. */
export type IncidentCommand =
  | {
      readonly action: 'acknowledge' | 'resolve';
      readonly incident: string;
      readonly by: string;
      readonly note?: string;
    }
  | { readonly action: 'list' };

export interface IncidentCommandOutcome {
  readonly message: string;
  readonly incidents?: readonly { id: string; status: string; severity: string; openedAt: string; summary: string }[];
}

export const INCIDENT_HANDLERS = {
  intake: handlerContract<IntakeInput, IntakeOutcome>('functions/incidents/intake.ts'),
  page: handlerContract<PageInput, void>('functions/incidents/page.ts'),
  command: handlerContract<IncidentCommand, IncidentCommandOutcome>('functions/incidents/command.ts'),
} as const;
