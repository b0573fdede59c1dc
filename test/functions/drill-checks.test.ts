import { createHash } from 'node:crypto';
import { createServer } from 'node:net';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { checkData } from '../../functions/drill/check-data';
import type { DrillCheck } from '../../functions/drill/contracts';
import { type ConnectionInfo, runChecks } from '../../functions/drill/run-checks';
import { PostgresTls, untrustedCertificate } from '../harness/postgres-tls';

const RECOVERY_POINT = '2025-03-10T02:00:00.000Z';
const NEWEST_ORDER = '2025-03-10T01:50:00.000Z';
const ORDER_COUNT = 150;
const CLOCK = new Date('2025-03-10T03:04:12.000Z');
const HOUR = 3_600;
const DAY = 86_400;
const CURRENCIES = [
  ['EUR', 'Euro'],
  ['GBP', 'Pound'],
  ['USD', 'Dollar'],
] as const;
// Computed here, not by the database, so a wrong checksum query cannot agree with itself.
const CURRENCIES_MD5 = createHash('md5')
  .update(CURRENCIES.map(([code, name]) => `(${code},${name})`).join(','))
  .digest('hex');

let db: PGlite;
let server: PGLiteSocketServer;
/** The database as the checks reach it: with TLS, as every RDS database. */
let tls: PostgresTls;
let connection: ConnectionInfo;

const options = (overrides: Partial<Parameters<typeof runChecks>[2]> = {}) => ({
  recoveryPointTime: RECOVERY_POINT,
  rpoObjectiveSeconds: DAY,
  now: () => CLOCK,
  ...overrides,
});

beforeAll(async () => {
  db = await PGlite.create();
  server = new PGLiteSocketServer({ db, port: 0, host: '127.0.0.1' });
  await server.start();
  // getServerConn() reports the port the OS picked once the server listens.
  tls = await PostgresTls.front({ host: '127.0.0.1', port: Number(server.getServerConn().split(':').at(-1)) });
  connection = { host: '127.0.0.1', port: tls.port, user: 'postgres', password: 'unused', database: 'postgres' };
  await db.exec(`
    create table orders (id serial primary key, created_at timestamptz not null);
    insert into orders (created_at)
      select timestamptz '${NEWEST_ORDER}' - make_interval(mins => n) from generate_series(0, ${ORDER_COUNT - 1}) n;
    create table lifeline_canary (id text primary key, written_at timestamptz not null);
    insert into lifeline_canary values ('drill-canary', now());
    create table currencies (code text primary key, name text not null);
    insert into currencies values ${CURRENCIES.map(([code, name]) => `('${code}', '${name}')`).join(', ')};
    create table empty_events (at timestamptz);
    create schema sales;
    create table sales."Refunds" (id int);
    insert into sales."Refunds" values (1), (2);
  `);
}, 120_000);

afterEach(async () => {
  // PGlite serves one connection: every run must have closed its client before the next one connects.
  await vi.waitFor(() => expect(server.getStats().activeConnections).toBe(0), { timeout: 5_000 });
});

afterAll(async () => {
  await tls?.stop();
  await server?.stop();
  await db?.close();
});

const ALL_CHECKS: DrillCheck[] = [
  { type: 'rowCount', table: 'orders', min: 100 },
  { type: 'freshness', table: 'orders', column: 'created_at' },
  { type: 'canary', table: 'lifeline_canary', column: 'id', value: 'drill-canary' },
  { type: 'sql', name: 'orders-have-ids', sql: 'select count(*) = count(id) from orders' },
  { type: 'checksum', table: 'currencies', expected: CURRENCIES_MD5 },
];

describe('runChecks against PostgreSQL (PGlite)', () => {
  it('passes every kind of check on good data', async () => {
    const run = await runChecks(connection, ALL_CHECKS, options());
    expect(run.connectError).toBeUndefined();
    expect(run.firstGoodQueryAt).toBe(CLOCK.toISOString());
    expect(run.results.map((r) => [r.name, r.passed])).toEqual([
      ['rowCount:orders', true],
      ['freshness:orders.created_at', true],
      ['canary:lifeline_canary', true],
      ['sql:orders-have-ids', true],
      ['checksum:currencies', true],
    ]);
    expect(run.results[0]?.detail).toBe('table orders has 150 rows (at least 100 expected)');
    expect(run.results[1]?.newestRow).toBe(NEWEST_ORDER);
    expect(run.results[1]?.detail).toContain('10 min before the recovery point');
    expect(run.results[4]?.detail).toContain(CURRENCIES_MD5);
  });

  it('quotes schema-qualified, mixed-case names and compares numeric canary values', async () => {
    const run = await runChecks(
      connection,
      [
        { type: 'rowCount', table: 'sales.Refunds', min: 2 },
        { type: 'canary', table: 'orders', column: 'id', value: ORDER_COUNT },
        { type: 'canary', table: 'orders', column: 'id', value: ORDER_COUNT + 1 },
      ],
      options(),
    );
    expect(run.results.map((r) => r.passed)).toEqual([true, true, false]);
    expect(run.results[0]?.detail).toBe('table sales.Refunds has 2 rows (at least 2 expected)');
  });

  it('reports a missing table as a failed check and goes on with the others', async () => {
    const run = await runChecks(
      connection,
      [
        { type: 'rowCount', table: 'missing_table', min: 1 },
        { type: 'freshness', table: 'nowhere.orders', column: 'created_at' },
        { type: 'rowCount', table: 'orders', min: 1 },
      ],
      options(),
    );
    expect(run.results).toEqual([
      { name: 'rowCount:missing_table', passed: false, detail: 'table missing_table does not exist' },
      { name: 'freshness:nowhere.orders.created_at', passed: false, detail: 'table nowhere.orders does not exist' },
      { name: 'rowCount:orders', passed: true, detail: 'table orders has 150 rows (at least 1 expected)' },
    ]);
  });

  it('fails a table with too few rows', async () => {
    const run = await runChecks(connection, [{ type: 'rowCount', table: 'orders', min: 1000 }], options());
    expect(run.results).toEqual([
      { name: 'rowCount:orders', passed: false, detail: 'table orders has 150 rows (at least 1000 expected)' },
    ]);
  });

  it('fails freshness when the newest row is older than the RPO objective allows', async () => {
    const recoveryPointTime = new Date(Date.parse(NEWEST_ORDER) + 2 * DAY * 1000).toISOString();
    const run = await runChecks(
      connection,
      [{ type: 'freshness', table: 'orders', column: 'created_at' }],
      options({ recoveryPointTime, rpoObjectiveSeconds: DAY }),
    );
    expect(run.results[0]?.passed).toBe(false);
    expect(run.results[0]?.newestRow).toBe(NEWEST_ORDER);
    expect(run.results[0]?.detail).toBe(
      `the newest orders.created_at is ${NEWEST_ORDER}, 2 d before the recovery point (objective 1 d)`,
    );
  });

  it('fails freshness of an empty table and of a missing column, with the reason', async () => {
    const run = await runChecks(
      connection,
      [
        { type: 'freshness', table: 'empty_events', column: 'at' },
        { type: 'freshness', table: 'orders', column: 'updated_at' },
      ],
      options(),
    );
    expect(run.results.map((r) => r.passed)).toEqual([false, false]);
    expect(run.results[0]?.detail).toBe(
      'table empty_events has no rows, so the freshness of empty_events.at is unknown',
    );
    expect(run.results[1]?.detail).toMatch(
      /^freshness:orders\.updated_at could not run: .*updated_at.* does not exist/,
    );
  });

  it('fails when the canary row is missing', async () => {
    const run = await runChecks(
      connection,
      [{ type: 'canary', table: 'lifeline_canary', column: 'id', value: 'never-written' }],
      options(),
    );
    expect(run.results).toEqual([
      {
        name: 'canary:lifeline_canary',
        passed: false,
        detail: 'canary row lifeline_canary.id = "never-written" is missing',
      },
    ]);
  });

  it('fails a custom query that returns false, no rows or an error', async () => {
    const run = await runChecks(
      connection,
      [
        { type: 'sql', name: 'enough-orders', sql: 'select count(*) > 1000 from orders' },
        { type: 'sql', name: 'no-rows', sql: 'select true from orders where false' },
        { type: 'sql', name: 'broken', sql: 'select true from no_such_table' },
        { type: 'sql', name: 'last-statement', sql: 'select false; select true' },
      ],
      options(),
    );
    expect(run.results.map((r) => [r.name, r.passed])).toEqual([
      ['sql:enough-orders', false],
      ['sql:no-rows', false],
      ['sql:broken', false],
      ['sql:last-statement', true],
    ]);
    expect(run.results[0]?.detail).toBe('query enough-orders returned false, true expected');
    expect(run.results[1]?.detail).toBe('query no-rows returned no rows, true expected');
    expect(run.results[2]?.detail).toBe('sql:broken could not run: relation "no_such_table" does not exist');
  });

  it('fails a checksum that differs from the expected one and shows the actual digest', async () => {
    const expected = '0'.repeat(32);
    const run = await runChecks(connection, [{ type: 'checksum', table: 'currencies', expected }], options());
    expect(run.results).toEqual([
      {
        name: 'checksum:currencies',
        passed: false,
        detail: `table currencies has checksum ${CURRENCIES_MD5}, ${expected} expected`,
      },
    ]);
  });

  it('records the checksum when none is expected', async () => {
    const run = await runChecks(connection, [{ type: 'checksum', table: 'currencies' }], options());
    expect(run.results[0]?.passed).toBe(true);
    expect(run.results[0]?.detail).toContain(CURRENCIES_MD5);
  });

  it('refuses a database that does not speak TLS, as a connection error', async () => {
    // Prepare
    const plain = { ...connection, port: Number(server.getServerConn().split(':').at(-1)) };
    // Act
    const run = await runChecks(plain, ALL_CHECKS, options());
    // Assess
    expect(run.results).toEqual([]);
    expect(run.connectError).toBe(
      `cannot connect to 127.0.0.1:${plain.port} as postgres: The server does not support SSL connections`,
    );
  });

  it('refuses a database whose certificate it cannot verify, as a connection error', async () => {
    // Prepare
    const target = { host: '127.0.0.1', port: Number(server.getServerConn().split(':').at(-1)) };
    const impostor = await PostgresTls.front(target, { certificate: await untrustedCertificate() });
    // Act
    const run = await runChecks({ ...connection, port: impostor.port }, ALL_CHECKS, options()).finally(() =>
      impostor.stop(),
    );
    // Assess
    expect(run.results).toEqual([]);
    expect(run.connectError).toMatch(
      new RegExp(`^cannot connect to 127\\.0\\.0\\.1:${impostor.port} as postgres: self-signed certificate`),
    );
  });

  it('returns a connection error, not a throw, when nothing listens on the port', async () => {
    const closedPort = await freePort();
    const run = await runChecks({ ...connection, port: closedPort }, ALL_CHECKS, options({ connectTimeoutMs: 5_000 }));
    expect(run.results).toEqual([]);
    expect(run.firstGoodQueryAt).toBeUndefined();
    expect(run.connectError).toMatch(
      new RegExp(`^cannot connect to 127\\.0\\.0\\.1:${closedPort} as postgres: .*ECONNREFUSED`),
    );
  });
});

describe('checkData', () => {
  const secrets = mockClient(SecretsManagerClient);
  beforeEach(() => {
    vi.stubEnv('AWS_REGION', 'eu-west-1');
    secrets
      .on(GetSecretValueCommand, { SecretId: 'lifeline/orders-drill' })
      .resolves({ SecretString: JSON.stringify({ username: 'postgres', password: 'unused' }) });
  });
  afterEach(() => {
    secrets.reset();
    vi.unstubAllEnvs();
    vi.useRealTimers();
  });
  const input = {
    database: 'orders',
    engine: 'postgres',
    endpoint: { host: '127.0.0.1', port: 0 },
    credentialsSecret: 'lifeline/orders-drill',
    databaseName: 'postgres',
    checks: ALL_CHECKS,
    recoveryPointTime: RECOVERY_POINT,
    restoreStartedAt: '2025-03-10T03:00:00.000Z',
    objectives: { rpoSeconds: DAY, rtoSeconds: HOUR },
  };
  // The function's clock (a simulated one here), not the wall clock, must time the first good query.
  const simulated = <T>(fn: () => Promise<T>) => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(CLOCK);
    return fn();
  };

  it('judges a good restore as passed, timed by the invocation clock', async () => {
    const output = await simulated(() =>
      checkData({ ...input, endpoint: { host: connection.host, port: connection.port } }),
    );
    expect(output.firstGoodQueryAt).toBe(CLOCK.toISOString());
    expect(output.results).toHaveLength(ALL_CHECKS.length);
    expect(output.verdict.status).toBe('passed');
    expect(output.verdict.rto.measuredSeconds).toBe(4 * 60 + 12);
    expect(output.verdict.rpo.measuredSeconds).toBe(10 * 60);
    expect(output.verdict.summary).toBe(
      'Drill of orders passed: 5 of 5 checks passed, restored in 4 min 12 s (objective 1 h), 10 min of data would have been lost (objective 1 d).',
    );
  });

  it('judges a restore with too few rows as failed, naming the problem', async () => {
    const output = await simulated(() =>
      checkData({
        ...input,
        endpoint: { host: connection.host, port: connection.port },
        // With the freshness check the RPO is measured (and met): the row count is the one problem.
        checks: [
          { type: 'rowCount', table: 'orders', min: 1000 },
          { type: 'freshness', table: 'orders', column: 'created_at' },
        ],
      }),
    );
    expect(output.verdict.status).toBe('failed');
    expect(output.verdict.rpo).toMatchObject({ outcome: 'met', measuredSeconds: 10 * 60 });
    expect(output.verdict.summary).toBe('Drill of orders failed: table orders has 150 rows (at least 1000 expected).');
  });

  it('judges an unreachable database as failed with the connection error', async () => {
    const closedPort = await freePort();
    const output = await checkData({ ...input, endpoint: { host: '127.0.0.1', port: closedPort } });
    expect(output.verdict.status).toBe('failed');
    expect(output.verdict.rto.measuredSeconds).toBeNull();
    expect(output.verdict.summary).toMatch(
      new RegExp(`^Drill of orders failed: cannot connect to 127\\.0\\.0\\.1:${closedPort} as postgres: `),
    );
  });
});

/** A port that was free a moment ago: bound by the OS, then released. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
  return address.port;
}
