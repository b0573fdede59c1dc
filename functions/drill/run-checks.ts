/** Runs a drill's data checks against the restored database; every problem becomes a failed check, never a throw. */
import pg from 'pg';
import type { CheckResult, DrillCheck } from './contracts';
import { formatDuration } from './verdict';

export interface ConnectionInfo {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

export interface RunChecksOptions {
  recoveryPointTime: string;
  rpoObjectiveSeconds: number;
  connectTimeoutMs?: number;
  now?: () => Date;
}

export interface RunChecksResult {
  firstGoodQueryAt?: string;
  results: CheckResult[];
  connectError?: string;
}

const STATEMENT_TIMEOUT_MS = 30_000;
// A little over the server's limit, so a server that stops answering cannot hang the function either.
const QUERY_TIMEOUT_MS = STATEMENT_TIMEOUT_MS + 5_000;
const UNDEFINED_TABLE = '42P01';
const INVALID_SCHEMA = '3F000';

/** Identifiers are validated by the config schema; quoting still keeps case and reserved words intact. */
export function quoteIdentifier(name: string): string {
  return name
    .split('.')
    .map((part) => `"${part.replaceAll('"', '""')}"`)
    .join('.');
}

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

const errorCode = (error: unknown) => (error as { code?: unknown } | null)?.code;

export async function runChecks(
  connection: ConnectionInfo,
  checks: readonly DrillCheck[],
  options: RunChecksOptions,
): Promise<RunChecksResult> {
  const clock = options.now ?? (() => new Date());
  const recoveryPoint = Date.parse(options.recoveryPointTime);
  const client = new pg.Client({
    host: connection.host,
    port: connection.port,
    user: connection.user,
    password: connection.password,
    database: connection.database,
    // Always TLS, the server's certificate verified against Node's CA store (on Lambda: the RDS CAs, which
    // NODE_EXTRA_CA_CERTS adds); RDS PostgreSQL 15+ refuses plain connections.
    ssl: { rejectUnauthorized: true },
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    statement_timeout: STATEMENT_TIMEOUT_MS,
    query_timeout: QUERY_TIMEOUT_MS,
    application_name: 'lifeline-drill',
  });
  // A dropped connection is emitted as an event; without a listener it would crash the process instead of failing the next query.
  client.on('error', () => {});

  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => {});
    return {
      results: [],
      connectError: `cannot connect to ${connection.host}:${connection.port} as ${connection.user}: ${describeError(error)}`,
    };
  }

  let firstGoodQueryAt: string | undefined;
  const query = async (text: string, values?: unknown[]) => {
    const result = await client.query({ text, values, rowMode: 'array' });
    firstGoodQueryAt ??= clock().toISOString();
    // A custom query with several statements yields one result each; the last one is the answer.
    const last = Array.isArray(result) ? (result.at(-1) as pg.QueryArrayResult) : result;
    return last.rows;
  };

  try {
    await query('select 1').catch(() => undefined);
    const results: CheckResult[] = [];
    for (const check of checks) {
      const name = checkName(check);
      try {
        results.push({ name, ...(await runCheck(check, query, recoveryPoint, options.rpoObjectiveSeconds)) });
      } catch (error) {
        results.push({ name, passed: false, detail: failureDetail(check, error) });
      }
    }
    return { firstGoodQueryAt, results };
  } finally {
    await client.end().catch(() => {});
  }
}

type Query = (text: string, values?: unknown[]) => Promise<unknown[][]>;
type Outcome = Omit<CheckResult, 'name'>;

async function runCheck(check: DrillCheck, query: Query, recoveryPoint: number, rpoSeconds: number): Promise<Outcome> {
  switch (check.type) {
    case 'rowCount': {
      const rows = await query(`select count(*) from ${quoteIdentifier(check.table)}`);
      const count = Number(rows[0]?.[0] ?? 0);
      const noun = count === 1 ? 'row' : 'rows';
      return {
        passed: count >= check.min,
        detail: `table ${check.table} has ${count} ${noun} (at least ${check.min} expected)`,
      };
    }
    case 'freshness': {
      // The cast turns a timestamp-without-time-zone column into an instant using the server's time zone.
      const rows = await query(
        `select max(${quoteIdentifier(check.column)})::timestamptz from ${quoteIdentifier(check.table)}`,
      );
      const newest = rows[0]?.[0];
      const where = `${check.table}.${check.column}`;
      if (newest === null || newest === undefined) {
        return { passed: false, detail: `table ${check.table} has no rows, so the freshness of ${where} is unknown` };
      }
      const newestTime = newest instanceof Date ? newest.getTime() : Date.parse(String(newest));
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
      const rows = await query(
        `select 1 from ${quoteIdentifier(check.table)} where ${quoteIdentifier(check.column)} = $1 limit 1`,
        [check.value],
      );
      const row = `${check.table}.${check.column} = ${JSON.stringify(check.value)}`;
      return rows.length > 0
        ? { passed: true, detail: `canary row ${row} is present` }
        : { passed: false, detail: `canary row ${row} is missing` };
    }
    case 'sql': {
      const rows = await query(check.sql);
      if (rows.length === 0) return { passed: false, detail: `query ${check.name} returned no rows, true expected` };
      const value = rows[0]?.[0];
      return value === true
        ? { passed: true, detail: `query ${check.name} returned true` }
        : {
            passed: false,
            detail: `query ${check.name} returned ${JSON.stringify(value) ?? 'nothing'}, true expected`,
          };
    }
    case 'checksum': {
      // Ordering by the row's text makes the digest independent of physical row order after a restore.
      const rows = await query(
        `select md5(coalesce(string_agg(t::text, ',' order by t::text), '')) from ${quoteIdentifier(check.table)} t`,
      );
      const digest = String(rows[0]?.[0]);
      if (check.expected === undefined) {
        return { passed: true, detail: `table ${check.table} has checksum ${digest} (no expected value configured)` };
      }
      return digest === check.expected
        ? { passed: true, detail: `table ${check.table} has checksum ${digest}, as expected` }
        : { passed: false, detail: `table ${check.table} has checksum ${digest}, ${check.expected} expected` };
    }
  }
}

function failureDetail(check: DrillCheck, error: unknown): string {
  const code = errorCode(error);
  if (check.type !== 'sql' && (code === UNDEFINED_TABLE || code === INVALID_SCHEMA)) {
    return `table ${check.table} does not exist`;
  }
  return `${checkName(check)} could not run: ${describeError(error)}`;
}
