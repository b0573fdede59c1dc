/** What the data checks need of a database connection, whatever the engine speaks. */

export interface ConnectionInfo {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

export interface SessionOptions {
  readonly connectTimeoutMs: number;
  /** Called after each query the database answered: the first call times the first good query. */
  readonly answered: () => void;
}

/** One open connection and the SQL of its engine; every method may throw, the caller turns that into a failed check. */
export interface CheckSession {
  /** Rows as arrays of column values; a text of several statements yields the last statement's rows. */
  query(text: string, values?: readonly unknown[]): Promise<unknown[][]>;
  /** A table or `schema.table` name, quoted for the engine. */
  quote(name: string): string;
  /** The placeholder for the n-th (1-based) value of a query. */
  placeholder(n: number): string;
  /** A query of one value: the newest `column` of `table` as an instant the engine can hand over. */
  newestSql(table: string, column: string): string;
  /** The instant a `newestSql` value stands for, in milliseconds since the epoch; NaN when it is no time. */
  instantOf(value: unknown): number;
  /** Whether a custom query's first value means true on this engine. */
  isTrue(value: unknown): boolean;
  /** The table's checksum as the engine defines it (see DrillCheck's `checksum`). */
  checksum(table: string): Promise<string>;
  /** What an error says is missing, when it says a table or a column does not exist. */
  missing(error: unknown): 'table' | 'column' | undefined;
  close(): Promise<void>;
}

export const STATEMENT_TIMEOUT_MS = 30_000;
// A little over the server's limit, so a server that stops answering cannot hang the function either.
export const QUERY_TIMEOUT_MS = STATEMENT_TIMEOUT_MS + 5_000;

export const errorCode = (error: unknown) => (error as { code?: unknown } | null)?.code;
