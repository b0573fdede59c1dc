import { Duration } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { CatalogEntry } from '../functions/backup/contracts';
import type { DrillCatalogEntry, DrillCheck } from '../functions/drill/contracts';

/** The engines Lifeline protects. */
export type Engine = 'postgres' | 'mysql' | 'mariadb' | 'aurora-postgresql' | 'aurora-mysql';

/** Grandfather-father-son counts: the newest point of each of the last `daily` days, `weekly` weeks, ... */
export interface RetentionCounts {
  readonly daily: number;
  readonly weekly: number;
  readonly monthly: number;
  readonly yearly: number;
  /** Sub-daily retention: every point of the last this many seconds (counted back from the newest verified point). @default - none */
  readonly keepAllForSeconds?: number;
}

/** One database Lifeline backs up: what it is, what it must meet, how long its points are kept. */
export interface ProtectedDatabase {
  /** Lifeline's name for the database: in snapshot ids, tags, alarms and reports (lower case, digits, hyphens). */
  readonly id: string;
  /** The DB instance identifier, or the Aurora cluster identifier, in the stack's region. */
  readonly identifier: string;
  /** An RDS instance or an Aurora cluster. @default 'instance' */
  readonly kind?: 'instance' | 'cluster';
  readonly engine: Engine;
  /**
   * The customer-managed key the database and its snapshots are encrypted with: the copies are granted its use
   * through RDS. @default - unencrypted, or the AWS-managed key aws/rds
   */
  readonly sourceKey?: kms.IKey;
  /** Most data the business may lose, and longest it may be down. */
  readonly objectives: { readonly rpo: Duration; readonly rto: Duration };
  /** How many recovery points to keep, per class. */
  readonly retention: RetentionCounts;
  /** The zone whose days, weeks, months and years the retention counts (the backup schedule's). @default 'UTC' */
  readonly timeZone?: string;
  /** Copy each recovery point to the DR region. @default true */
  readonly copyToDr?: boolean;
  /** Copy each DR copy into the vault account too (needs the workflow's `vault`). @default false */
  readonly copyToVault?: boolean;
}

/** The restore drill of one database: where its checks log in, and what they check. */
export interface DrillSpec {
  /** The database, as protected by the backup workflow (its DR copies are what the drill restores). */
  readonly database: ProtectedDatabase;
  /** Username and password the checks log in with; in the drill's region. */
  readonly credentials: secretsmanager.ISecret;
  /** The customer-managed key the secret is encrypted with. @default - the AWS-managed aws/secretsmanager */
  readonly credentialsKey?: kms.IKey;
  /** The database (catalog) the checks connect to. */
  readonly databaseName: string;
  /** What to check in the restored database; at least one. */
  readonly checks: DrillCheck[];
  /** A drill that takes longer is failed and cleaned up. @default Duration.hours(2) */
  readonly timeout?: Duration;
  /** @default db.t4g.micro for an RDS instance, db.t4g.medium for Aurora (which offers no micro class) */
  readonly instanceClass?: string;
  /**
   * Objectives the drill may pass without measuring, each with the reason in words. A waiver never excuses a
   * measured miss. @default - every objective must be measured
   */
  readonly waive?: { readonly rpo?: string; readonly rto?: string };
  /** The IANA zone the drill's report and history show times in (its schedule's). @default 'UTC' */
  readonly timeZone?: string;
  /**
   * The source DB instance's ARN, when its automated backups are replicated into the drill's region: drills may then
   * restore a point in time from them. @default - point-in-time drills are refused
   */
  readonly pointInTimeSource?: string;
}

/** The instance class a drill of `engine` restores into unless told otherwise. */
export function defaultDrillInstanceClass(engine: Engine): string {
  return engine.startsWith('aurora') ? 'db.t4g.medium' : 'db.t4g.micro';
}

/** The database's kind, defaults applied. */
export const kindOf = (db: ProtectedDatabase) => db.kind ?? 'instance';

/** What the workflow needs of each database, keyed by id; embedded in the definition. */
export function catalogOf(databases: readonly ProtectedDatabase[]): Record<string, CatalogEntry> {
  return Object.fromEntries(
    databases.map((db) => [
      db.id,
      {
        id: db.id,
        kind: kindOf(db),
        identifier: db.identifier,
        engine: db.engine,
        timeZone: db.timeZone ?? 'UTC',
        copyToDr: db.copyToDr ?? true,
        copyToVault: db.copyToVault ?? false,
        retention: db.retention,
      },
    ]),
  );
}

/** A drill's timeout, default applied. */
export const timeoutOf = (drill: DrillSpec) => drill.timeout ?? Duration.hours(2);

/** What the workflow needs of each drill, keyed by database id; embedded in the definition. */
export function drillCatalogOf(drills: readonly DrillSpec[]): Record<string, DrillCatalogEntry> {
  return Object.fromEntries(
    drills.map(({ database: db, ...drill }) => [
      db.id,
      {
        id: db.id,
        kind: kindOf(db),
        identifier: db.identifier,
        engine: db.engine,
        rpoSeconds: db.objectives.rpo.toSeconds(),
        rtoSeconds: db.objectives.rto.toSeconds(),
        timeoutSeconds: timeoutOf({ database: db, ...drill }).toSeconds(),
        instanceClass: drill.instanceClass ?? defaultDrillInstanceClass(db.engine),
        credentialsSecret: drill.credentials.secretFullArn ?? drill.credentials.secretName,
        databaseName: drill.databaseName,
        checks: drill.checks,
        waive: drill.waive ?? {},
        timeZone: drill.timeZone ?? 'UTC',
        ...(drill.pointInTimeSource ? { pointInTimeSource: drill.pointInTimeSource } : {}),
      },
    ]),
  );
}

/** Lower-case letters, digits and single hyphens, starting with a letter: RDS names are built from it. */
const NAME = /^[a-z](?:[a-z0-9]|-(?=[a-z0-9])){0,31}$/;
/**
 * An installation's name has no hyphen: snapshot ids are `<installation>-<database>-<minute>`, so with one, two
 * installations could make the same id, or one's `<installation>-*` IAM pattern match the other's snapshots.
 */
const _INSTALLATION = /^[a-z][a-z0-9]{0,31}$/;

/**
 * The longest identifier a drill of `database` gives RDS: `<installation>-drill-<id>-<8 hex>`, and for a cluster its
 * instance `…-1`. RDS allows 63.
 */
export function drillIdentifierLength(
  installation: string,
  database: string,
  kind: 'instance' | 'cluster' = 'instance',
) {
  return `${installation}-drill-${database}-12345678${kind === 'cluster' ? '-1' : ''}`.length;
}

/**
 * What a construct refuses at synth, with the bad value shown: names RDS would not accept, the same id or identifier
 * twice, retention that keeps nothing, and drills the checks cannot run.
 */
export function problemsOfDatabases(installation: string, databases: readonly ProtectedDatabase[]): string[] {
  const problems: string[] = [];
  if (!NAME.test(installation))
    problems.push(
      `installation "${installation}" must be 1-32 lower-case letters, digits and single hyphens, starting with a letter`,
    );
  const seen = new Map<string, number>();
  const identifiers = new Map<string, number>();
  databases.forEach((db, i) => {
    const at = `databases[${i}]`;
    if (!NAME.test(db.id))
      problems.push(
        `${at}.id "${db.id}" must be 1-32 lower-case letters, digits and single hyphens, starting with a letter`,
      );
    if (seen.has(db.id)) problems.push(`${at}.id "${db.id}" is already used by databases[${seen.get(db.id)}]`);
    seen.set(db.id, i);
    if (identifiers.has(db.identifier))
      problems.push(
        `${at}.identifier "${db.identifier}" is already protected by databases[${identifiers.get(db.identifier)}]`,
      );
    identifiers.set(db.identifier, i);
    if (drillIdentifierLength(installation, db.id, kindOf(db)) > 63)
      problems.push(
        `${at}.id "${db.id}" is too long with installation "${installation}": a drill database <installation>-drill-<id>-<8 characters> must fit RDS's 63`,
      );
    const { daily, weekly, monthly, yearly } = db.retention;
    for (const [name, count] of Object.entries({ daily, weekly, monthly, yearly }))
      if (!Number.isInteger(count) || count < (name === 'daily' ? 1 : 0))
        problems.push(`${at}.retention.${name} ${count} must be a whole number, at least ${name === 'daily' ? 1 : 0}`);
    const window = db.retention.keepAllForSeconds;
    if (window !== undefined && !(Number.isInteger(window) && window > 0))
      problems.push(`${at}.retention.keepAllForSeconds ${window} must be a whole number of seconds, more than 0`);
  });
  return problems;
}

export function problemsOfDrills(drills: readonly DrillSpec[]): string[] {
  return drills.flatMap((drill, i) => {
    const { database: db } = drill;
    const at = `drills[${i}] (${db.id})`;
    const problems: string[] = [];
    if (drill.checks.length === 0) problems.push(`${at}: needs at least one check`);
    if (timeoutOf(drill).toSeconds() < db.objectives.rto.toSeconds())
      problems.push(
        `${at}: the timeout of ${timeoutOf(drill).toHumanString()} is shorter than the RTO of ${db.objectives.rto.toHumanString()}; a drill could not show the RTO is met`,
      );
    if (drill.timeZone !== undefined && !isTimeZone(drill.timeZone))
      problems.push(`${at}: timeZone '${drill.timeZone}' is not an IANA time zone such as Europe/Berlin`);
    return problems;
  });
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Throws one error listing every problem, prefixed with the construct that refuses them. */
export function refuse(construct: string, problems: string[]): void {
  if (problems.length > 0) throw new Error(`${construct}: ${problems.join('; ')}`);
}
