import type { DrillCheck } from '../../functions/drill/contracts';
import type { SampleData } from '../fixtures/sample-data';

/**
 * Sample data derived from a drill's checks, for `drill:local --config`: each table a check names, with the columns
 * the checks name and rows that satisfy them. rowCount: at least that many rows; freshness: a timestamp column whose
 * newest value is a minute old (or `newestAgeMinutes`); canary: the canary row; checksum: a few rows, whose digest the
 * drill records. An `sql` check is the user's own query: nothing here can know what it needs.
 */

export type Family = 'postgres' | 'mysql';

type Column =
  | { readonly name: string; readonly kind: 'time' }
  | { readonly name: string; readonly kind: 'canary'; readonly value: string | number }
  | { readonly name: string; readonly kind: 'number' };

export interface SampleTable {
  readonly name: string;
  readonly rows: number;
  readonly columns: readonly Column[];
}

/** Rows of a table that no rowCount check sizes. */
const DEFAULT_ROWS = 10;

export function sampleTables(checks: readonly DrillCheck[], data: SampleData = {}): SampleTable[] {
  const tables = new Map<string, { rows: number; columns: Map<string, Column> }>();
  const table = (name: string) => {
    let found = tables.get(name);
    if (!found) {
      found = { rows: 0, columns: new Map() };
      tables.set(name, found);
    }
    return found;
  };
  const column = (t: string, c: Column) => {
    const columns = table(t).columns;
    if (!columns.has(c.name)) columns.set(c.name, c);
  };
  for (const check of checks) {
    switch (check.type) {
      case 'rowCount':
        table(check.table).rows = Math.max(table(check.table).rows, data.rows ?? check.min);
        break;
      case 'freshness':
        column(check.table, { name: check.column, kind: 'time' });
        break;
      case 'canary':
        // The `missing-table` scenario: the canary is not seeded (its table is not made unless another check needs it).
        if (data.canary === false) break;
        column(check.table, { name: check.column, kind: 'canary', value: check.value });
        break;
      case 'checksum':
        table(check.table);
        break;
      case 'sql':
        break;
    }
  }
  return [...tables.entries()].map(([name, t]) => ({
    name,
    rows: t.rows > 0 || sizedBy(checks, name) ? t.rows : DEFAULT_ROWS,
    columns: t.columns.size > 0 ? [...t.columns.values()] : [{ name: 'n', kind: 'number' }],
  }));
}

const sizedBy = (checks: readonly DrillCheck[], table: string) =>
  checks.some((c) => c.type === 'rowCount' && c.table === table);

/** One line per table, as the local drill prints what it seeded. */
export function describeSample(tables: readonly SampleTable[]): string[] {
  return tables.map((t) => {
    const columns = t.columns.map((c) =>
      c.kind === 'time' ? `${c.name} (timestamps)` : c.kind === 'canary' ? `${c.name} (the canary row)` : c.name,
    );
    return `${t.name}: ${t.rows} ${t.rows === 1 ? 'row' : 'rows'}, ${columns.join(', ')}`;
  });
}

/**
 * SQL that (re)creates the tables on `family`. Row i of n (1-based) is (n - i) * 5 minutes older than the newest,
 * which is `newestAgeMinutes` old; the canary value is in row 1, the other rows hold other values.
 */
export function seedSql(family: Family, tables: readonly SampleTable[], data: SampleData = {}): string {
  const age = data.newestAgeMinutes ?? 1;
  const q = (name: string) =>
    name
      .split('.')
      .map((part) => (family === 'postgres' ? `"${part}"` : `\`${part}\``))
      .join('.');
  const statements: string[] = [];
  for (const t of tables) {
    const schema = t.name.includes('.') ? t.name.split('.')[0] : undefined;
    if (schema)
      statements.push(
        family === 'postgres'
          ? `create schema if not exists ${q(schema)}`
          : `create database if not exists ${q(schema)}`,
      );
    statements.push(`drop table if exists ${q(t.name)}`);
    const types = t.columns.map((c) => `${q(c.name)} ${typeOf(family, c)}`);
    statements.push(`create table ${q(t.name)} (${types.join(', ')})`);
    if (t.rows === 0) continue;
    const i = family === 'postgres' ? 'g' : 'seq';
    const values = t.columns.map((c) => columnValue(family, c, i, t.rows, age));
    statements.push(
      family === 'postgres'
        ? `insert into ${q(t.name)} select ${values.join(', ')} from generate_series(1, ${t.rows}) g`
        : `insert into ${q(t.name)} select ${values.join(', ')} from seq_1_to_${t.rows}`,
    );
  }
  return `${statements.join(';\n')};\n`;
}

function typeOf(family: Family, column: Column): string {
  if (column.kind === 'time') return family === 'postgres' ? 'timestamptz not null' : 'datetime(6) not null';
  if (column.kind === 'number') return 'bigint not null';
  if (typeof column.value === 'number')
    return Number.isInteger(column.value) ? 'bigint' : family === 'postgres' ? 'double precision' : 'double';
  return family === 'postgres' ? 'text' : 'varchar(255)';
}

function columnValue(family: Family, column: Column, i: string, rows: number, age: number): string {
  const minutesAgo = `(${age} + (${rows} - ${i}) * 5)`;
  if (column.kind === 'time')
    return family === 'postgres'
      ? `now() - make_interval(mins => ${minutesAgo})`
      : `now(6) - interval ${minutesAgo} minute`;
  if (column.kind === 'number') return i;
  const text = (value: string) =>
    `'${(family === 'mysql' ? value.replaceAll('\\', '\\\\') : value).replaceAll("'", "''")}'`;
  const canary = typeof column.value === 'number' ? String(column.value) : text(column.value);
  const other =
    typeof column.value === 'number'
      ? `${column.value} + ${i}`
      : family === 'postgres'
        ? `'sample-' || ${i}`
        : `concat('sample-', ${i})`;
  return `case when ${i} = 1 then ${canary} else ${other} end`;
}
