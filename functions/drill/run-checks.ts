/** Runs a drill's data checks against the restored database; every problem becomes a failed check, never a throw. */
import type { CheckSession, ConnectionInfo, SessionOptions } from './check-session';
import type { CheckResult, DrillCheck } from './contracts';
import { connectMysql } from './mysql-session';
import { connectPostgres } from './postgres-session';
import { formatDuration } from './verdict';

export type { ConnectionInfo } from './check-session';

export interface RunChecksOptions {
  recoveryPointTime: string;
  rpoObjectiveSeconds: number;
  /** The database's engine as the config names it; it chooses the protocol and the SQL. @default 'postgres' */
  engine?: string;
  connectTimeoutMs?: number;
  now?: () => Date;
}

export interface RunChecksResult {
  firstGoodQueryAt?: string;
  results: CheckResult[];
  connectError?: string;
}

type Connect = (connection: ConnectionInfo, options: SessionOptions) => Promise<CheckSession>;

/** The protocol of each engine Lifeline drills. */
const CONNECT: Record<string, Connect> = {
  postgres: connectPostgres,
  'aurora-postgresql': connectPostgres,
  mysql: connectMysql,
  mariadb: connectMysql,
  'aurora-mysql': connectMysql,
};

export function checkName(check: DrillCheck): string {
  switch (check.type) {
    case 'rowCount':
      return `rowCount:${check.table}`;
    case 'freshness':
      return `freshness:${check.table}.${check.column}`;
    case 'canary':
      return `canary:${check.table}`;
    case 'sql':
      return `sql:${check.name}`;
    case 'checksum':
      return `checksum:${check.table}`;
  }
}

/** Node reports a refused dual-stack connect as an AggregateError with an empty message. */
export function describeError(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    return [...new Set(error.errors.map(describeError))].join('; ');
  }
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return error.message || (typeof code === 'string' ? code : error.name);
  }
  return String(error);
}

export async function runChecks(
  connection: ConnectionInfo,
  checks: readonly DrillCheck[],
  options: RunChecksOptions,
): Promise<RunChecksResult> {
  const clock = options.now ?? (() => new Date());
  const recoveryPoint = Date.parse(options.recoveryPointTime);
  const engine = options.engine ?? 'postgres';
  const where = `${connection.host}:${connection.port} as ${connection.user}`;
  const connect = Object.hasOwn(CONNECT, engine) ? CONNECT[engine] : undefined;
  if (!connect)
    return { results: [], connectError: `cannot check ${where}: the checks do not speak the engine ${engine}` };

  let firstGoodQueryAt: string | undefined;
  let session: CheckSession;
  try {
    session = await connect(connection, {
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      answered: () => {
        firstGoodQueryAt ??= clock().toISOString();
      },
    });
  } catch (error) {
    return { results: [], connectError: `cannot connect to ${where}: ${describeError(error)}` };
  }

  try {
    const results: CheckResult[] = [];
    for (const check of checks) {
      const name = checkName(check);
      try {
        results.push({ name, ...(await runCheck(check, session, recoveryPoint, options.rpoObjectiveSeconds)) });
      } catch (error) {
        results.push({ name, passed: false, detail: failureDetail(check, session, error) });
      }
    }
    return { firstGoodQueryAt, results };
  } finally {
    await session.close();
  }
}

type Outcome = Omit<CheckResult, 'name'>;

async function runCheck(
  check: DrillCheck,
  db: CheckSession,
  recoveryPoint: number,
  rpoSeconds: number,
): Promise<Outcome> {
  switch (check.type) {
    case 'rowCount': {
      const rows = await db.query(`select count(*) from ${db.quote(check.table)}`);
      const count = Number(rows[0]?.[0] ?? 0);
      const noun = count === 1 ? 'row' : 'rows';
      return {
        passed: count >= check.min,
        detail: `table ${check.table} has ${count} ${noun} (at least ${check.min} expected)`,
      };
    }
    case 'freshness': {
      const rows = await db.query(db.newestSql(check.table, check.column));
      const newest = rows[0]?.[0];
      const where = `${check.table}.${check.column}`;
      if (newest === null || newest === undefined) {
        return { passed: false, detail: `table ${check.table} has no rows, so the freshness of ${where} is unknown` };
      }
      const newestTime = db.instantOf(newest);
      if (Number.isNaN(newestTime) || Number.isNaN(recoveryPoint)) {
        return {
          passed: false,
          detail: `the newest ${where} (${String(newest)}) cannot be compared with the recovery point`,
        };
      }
      const newestRow = new Date(newestTime).toISOString();
      const age = (recoveryPoint - newestTime) / 1000;
      const objective = `objective ${formatDuration(rpoSeconds)}`;
      const detail =
        age < 0
          ? `the newest ${where} is ${newestRow}, ${formatDuration(-age)} after the recovery point (${objective})`
          : `the newest ${where} is ${newestRow}, ${formatDuration(age)} before the recovery point (${objective})`;
      return { passed: age <= rpoSeconds, detail, newestRow };
    }
    case 'canary': {
      const rows = await db.query(
        `select 1 from ${db.quote(check.table)} where ${db.quote(check.column)} = ${db.placeholder(1)} limit 1`,
        [check.value],
      );
      const row = `${check.table}.${check.column} = ${JSON.stringify(check.value)}`;
      return rows.length > 0
        ? { passed: true, detail: `canary row ${row} is present` }
        : { passed: false, detail: `canary row ${row} is missing` };
    }
    case 'sql': {
      const rows = await db.query(check.sql);
      if (rows.length === 0) return { passed: false, detail: `query ${check.name} returned no rows, true expected` };
      const value = rows[0]?.[0];
      return db.isTrue(value)
        ? { passed: true, detail: `query ${check.name} returned true` }
        : {
            passed: false,
            detail: `query ${check.name} returned ${JSON.stringify(value) ?? 'nothing'}, true expected`,
          };
    }
    case 'checksum': {
      const digest = await db.checksum(check.table);
      if (check.expected === undefined) {
        return { passed: true, detail: `table ${check.table} has checksum ${digest} (no expected value configured)` };
      }
      return digest === check.expected
        ? { passed: true, detail: `table ${check.table} has checksum ${digest}, as expected` }
        : { passed: false, detail: `table ${check.table} has checksum ${digest}, ${check.expected} expected` };
    }
  }
}

function failureDetail(check: DrillCheck, db: CheckSession, error: unknown): string {
  const missing = check.type === 'sql' ? undefined : db.missing(error);
  if (check.type !== 'sql' && missing === 'table') return `table ${check.table} does not exist`;
  if ((check.type === 'freshness' || check.type === 'canary') && missing === 'column')
    return `${checkName(check)} could not run: column ${check.column} of table ${check.table} does not exist`;
  return `${checkName(check)} could not run: ${describeError(error)}`;
}
