/** The data checks' connection to PostgreSQL and Aurora PostgreSQL. */
import pg from 'pg';
import {
  type CheckSession,
  type ConnectionInfo,
  errorCode,
  QUERY_TIMEOUT_MS,
  type SessionOptions,
  STATEMENT_TIMEOUT_MS,
} from './check-session';

const UNDEFINED_TABLE = '42P01';
const INVALID_SCHEMA = '3F000';

/** Identifiers are validated by the config schema; quoting still keeps case and reserved words intact. */
export function quoteIdentifier(name: string): string {
  return name
    .split('.')
    .map((part) => `"${part.replaceAll('"', '""')}"`)
    .join('.');
}

export async function connectPostgres(connection: ConnectionInfo, options: SessionOptions): Promise<CheckSession> {
  const client = new pg.Client({
    host: connection.host,
    port: connection.port,
    user: connection.user,
    password: connection.password,
    database: connection.database,
    // Always TLS, the server's certificate verified against Node's CA store (on Lambda: the RDS CAs, which
    // NODE_EXTRA_CA_CERTS adds); RDS PostgreSQL 15+ refuses plain connections.
    ssl: { rejectUnauthorized: true },
    connectionTimeoutMillis: options.connectTimeoutMs,
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
    throw error;
  }

  const query = async (text: string, values?: readonly unknown[]) => {
    const result = await client.query({ text, values: values ? [...values] : undefined, rowMode: 'array' });
    options.answered();
    // A custom query with several statements yields one result each; the last one is the answer.
    const last = Array.isArray(result) ? (result.at(-1) as pg.QueryArrayResult) : result;
    return last.rows;
  };
  await query('select 1').catch(() => undefined);

  return {
    query,
    quote: quoteIdentifier,
    placeholder: (n) => `$${n}`,
    // The cast turns a timestamp-without-time-zone column into an instant using the server's time zone.
    newestSql: (table, column) => `select max(${quoteIdentifier(column)})::timestamptz from ${quoteIdentifier(table)}`,
    instantOf: (value) => (value instanceof Date ? value.getTime() : Date.parse(String(value))),
    isTrue: (value) => value === true,
    async checksum(table) {
      // Ordering by the row's text makes the digest independent of physical row order after a restore.
      const rows = await query(
        `select md5(coalesce(string_agg(t::text, ',' order by t::text), '')) from ${quoteIdentifier(table)} t`,
      );
      return String(rows[0]?.[0]);
    },
    missing: (error) => {
      const code = errorCode(error);
      return code === UNDEFINED_TABLE || code === INVALID_SCHEMA ? 'table' : undefined;
    },
    close: () => client.end().catch(() => {}),
  };
}
