/** The data checks' connection to MySQL, MariaDB and Aurora MySQL. */
import { createHash } from 'node:crypto';
import type { Connection as CallbackConnection, Field, FieldPacket } from 'mysql2';
import type { Connection } from 'mysql2/promise';
import {
  type CheckSession,
  type ConnectionInfo,
  QUERY_TIMEOUT_MS,
  type SessionOptions,
  STATEMENT_TIMEOUT_MS,
} from './check-session';

/** MySQL's error numbers for a missing table, database (the schema of `schema.table`) and column. */
const ER_NO_SUCH_TABLE = 1146;
const ER_BAD_DB_ERROR = 1049;
const ER_BAD_FIELD_ERROR = 1054;
const CHECKSUM_MODULUS = 1n << 256n;

/** Identifiers are validated by the config schema; quoting still keeps case and reserved words intact. */
export function quoteMysqlIdentifier(name: string): string {
  return name
    .split('.')
    .map((part) => `\`${part.replaceAll('`', '``')}\``)
    .join('.');
}

/**
 * The digest of one row: SHA-256 over each value as the server renders it (NULL as byte 0; a value as byte 1, its
 * length in four bytes and its bytes), so no value can run into the next.
 */
export function rowDigest(row: readonly (Buffer | null)[]): bigint {
  const hash = createHash('sha256');
  for (const value of row) {
    if (value === null) {
      hash.update(Buffer.of(0));
      continue;
    }
    const header = Buffer.alloc(5);
    header[0] = 1;
    header.writeUInt32BE(value.length, 1);
    hash.update(header).update(value);
  }
  return BigInt(`0x${hash.digest('hex')}`);
}

export async function connectMysql(connection: ConnectionInfo, options: SessionOptions): Promise<CheckSession> {
  // Loaded only for a MySQL-family drill: a PostgreSQL drill does not pay for the driver at start.
  const { createConnection } = await import('mysql2/promise');
  const conn: Connection = await createConnection({
    host: connection.host,
    port: connection.port,
    user: connection.user,
    password: connection.password,
    database: connection.database,
    // Always TLS, the server's certificate and name verified against Node's CA store (on Lambda: the RDS CAs, which
    // NODE_EXTRA_CA_CERTS adds), as for PostgreSQL; RDS enforces it with require_secure_transport.
    ssl: { rejectUnauthorized: true, verifyIdentity: true, minVersion: 'TLSv1.2' },
    connectTimeout: options.connectTimeoutMs,
    charset: 'utf8mb4',
    // A custom check may be several statements; values are escaped by the driver, so nothing else can add one.
    multipleStatements: true,
    // Big integers and times as the server writes them: no precision lost, no client time zone applied.
    supportBigNumbers: true,
    bigNumberStrings: true,
    dateStrings: true,
    connectAttributes: { program_name: 'lifeline-drill' },
  });
  // A dropped connection is emitted as an event; without a listener it would crash the process instead of failing the next query.
  conn.on('error', () => {});

  // A query the server left unanswered still holds the connection, and every later query would wait behind it: the
  // connection goes, so the remaining checks fail at once instead of the function timing out.
  const dropOnTimeout = (error: unknown) => {
    if ((error as { code?: unknown } | null)?.code === 'PROTOCOL_SEQUENCE_TIMEOUT') conn.destroy();
    throw error;
  };
  const query = async (text: string, values?: readonly unknown[]) => {
    const [rows, fields] = await conn
      .query({ sql: text, values: values ? [...values] : undefined, rowsAsArray: true, timeout: QUERY_TIMEOUT_MS })
      .catch(dropOnTimeout);
    options.answered();
    return lastRows(rows, fields);
  };

  // MariaDB limits a statement in seconds (max_statement_time), MySQL and Aurora MySQL a select in milliseconds
  // (max_execution_time). The version tells which server answers, whatever the config calls it.
  const version = await query('select version()').catch(() => undefined);
  if (version) {
    const limit = /mariadb/i.test(String(version[0]?.[0]))
      ? `max_statement_time = ${STATEMENT_TIMEOUT_MS / 1000}`
      : `max_execution_time = ${STATEMENT_TIMEOUT_MS}`;
    // The client's own timeout still bounds every query should a server not know the setting.
    await conn.query(`set session ${limit}`).catch(() => undefined);
  }

  return {
    query,
    quote: quoteMysqlIdentifier,
    placeholder: () => '?',
    // UNIX_TIMESTAMP reads a DATETIME in the session's time zone, the server's unless changed: as PostgreSQL's cast.
    newestSql: (table, column) =>
      `select unix_timestamp(max(${quoteMysqlIdentifier(column)})) from ${quoteMysqlIdentifier(table)}`,
    instantOf: (value) => (value === null || value === undefined || value === '' ? Number.NaN : Number(value) * 1000),
    // MySQL has no boolean type: TRUE is 1.
    isTrue: (value) => value === 1 || value === '1' || value === true,
    checksum: (table) => checksum(conn, table).catch(dropOnTimeout),
    missing: (error) => {
      const errno = (error as { errno?: unknown } | null)?.errno;
      if (errno === ER_NO_SUCH_TABLE || errno === ER_BAD_DB_ERROR) return 'table';
      return errno === ER_BAD_FIELD_ERROR ? 'column' : undefined;
    },
    // A clean goodbye, unless the server does not answer it soon.
    close: async () => {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, 5_000);
      });
      await Promise.race([conn.end().catch(() => undefined), late]);
      clearTimeout(timer);
      conn.destroy();
    },
  };
}

/** One statement's rows; of several, the last statement's (none when it returned no result set). */
function lastRows(rows: unknown, fields: FieldPacket[] | FieldPacket[][] | undefined): unknown[][] {
  const several = Array.isArray(fields) && fields.some((f) => f === undefined || Array.isArray(f));
  const last = several && Array.isArray(rows) ? rows.at(-1) : rows;
  return Array.isArray(last) ? (last as unknown[][]) : [];
}

/**
 * Streams the table's rows, each value in the server's text rendering (times in UTC, so a server's default zone does
 * not matter), and combines their digests: the memory used does not grow with the table.
 */
async function checksum(conn: Connection, table: string): Promise<string> {
  await conn.query("set @lifeline_time_zone = @@session.time_zone, time_zone = '+00:00'");
  try {
    // The sum of the rows' digests modulo 2^256: the same for the same rows in any order.
    let sum = 0n;
    await new Promise<void>((resolve, reject) => {
      // The promise API has no stream; its connection wraps the callback one, which has.
      (conn as unknown as { connection: CallbackConnection }).connection
        .query({
          sql: `select * from ${quoteMysqlIdentifier(table)}`,
          rowsAsArray: true,
          timeout: QUERY_TIMEOUT_MS,
          typeCast: (field: Field) => field.buffer(),
        })
        .on('result', (row: unknown) => {
          sum = (sum + rowDigest(row as (Buffer | null)[])) % CHECKSUM_MODULUS;
        })
        .on('error', reject)
        .on('end', () => resolve());
    });
    return sum.toString(16).padStart(64, '0');
  } finally {
    await conn.query('set time_zone = @lifeline_time_zone').catch(() => undefined);
  }
}
