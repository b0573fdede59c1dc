import { tmpdir } from 'node:os';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { checkData } from '../../functions/drill/check-data';
import type { DrillCheck } from '../../functions/drill/contracts';
import { type ConnectionInfo, runChecks } from '../../functions/drill/run-checks';
import { mysqlChecksum } from '../fixtures/checksums';
import { MARIADB_LOGIN, MariaDb, program } from '../harness/mariadb';

/** The MySQL family's checks against a real MariaDB server (Debian's mariadb-server), with TLS as RDS has it. */

const RECOVERY_POINT = '2025-03-10T02:00:00.000Z';
const NEWEST_ORDER = '2025-03-10T01:50:00.000Z';
const ORDER_COUNT = 150;
const CLOCK = new Date('2025-03-10T03:04:12.000Z');
const HOUR = 3_600;
const DAY = 86_400;
const CURRENCIES: readonly (readonly [string, string | null])[] = [
  ['EUR', 'Euro'],
  ['GBP', 'Pound'],
  ['USD', 'Dollar'],
  ['XXX', null],
];

const CURRENCIES_CHECKSUM = mysqlChecksum(CURRENCIES);
const sqlText = (value: string | null) => (value === null ? 'null' : `'${value}'`);

let server: MariaDb;
let connection: ConnectionInfo;

const options = (overrides: Partial<Parameters<typeof runChecks>[2]> = {}) => ({
  engine: 'mariadb',
  recoveryPointTime: RECOVERY_POINT,
  rpoObjectiveSeconds: DAY,
  now: () => CLOCK,
  ...overrides,
});

/** The shop database the checks read; `created_at` a DATETIME, as most MySQL schemas keep times. */
const SHOP = `
  create database shop;
  use shop;
  create table orders (id int primary key auto_increment, created_at datetime(3) not null);
  insert into orders (created_at)
    select timestampadd(minute, -seq, '${NEWEST_ORDER.slice(0, 19).replace('T', ' ')}') from seq_0_to_${ORDER_COUNT - 1};
  create table lifeline_canary (id varchar(64) primary key, written_at timestamp not null default current_timestamp);
  insert into lifeline_canary (id) values ('drill-canary');
  create table currencies (code char(3) primary key, name varchar(32));
  insert into currencies values ${CURRENCIES.map(([code, name]) => `('${code}', ${sqlText(name)})`).join(', ')};
  create table currencies_reversed (code char(3) primary key, name varchar(32));
  insert into currencies_reversed values ${[...CURRENCIES]
    .reverse()
    .map(([code, name]) => `('${code}', ${sqlText(name)})`)
    .join(', ')};
  create table empty_events (at datetime);
  create database sales;
  create table sales.Refunds (id int);
  insert into sales.Refunds values (1), (2);
`;

beforeAll(async () => {
  server = await MariaDb.start();
  await server.exec(SHOP);
  connection = {
    // A name, not an address: a MySQL client verifies the certificate's name, as for RDS endpoints.
    host: 'localhost',
    port: server.port,
    user: MARIADB_LOGIN.username,
    password: MARIADB_LOGIN.password,
    database: 'shop',
  };
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

const ALL_CHECKS: DrillCheck[] = [
  { type: 'rowCount', table: 'orders', min: 100 },
  { type: 'freshness', table: 'orders', column: 'created_at' },
  { type: 'canary', table: 'lifeline_canary', column: 'id', value: 'drill-canary' },
  { type: 'sql', name: 'orders-have-ids', sql: 'select count(*) = count(id) from orders' },
  { type: 'checksum', table: 'currencies', expected: CURRENCIES_CHECKSUM },
];

describe('runChecks against MariaDB', () => {
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
    expect(run.results[4]?.detail).toBe(`table currencies has checksum ${CURRENCIES_CHECKSUM}, as expected`);
  });

  it('runs on mysql and aurora-mysql drills too: the same protocol', async () => {
    for (const engine of ['mysql', 'aurora-mysql']) {
      const run = await runChecks(connection, ALL_CHECKS, options({ engine }));
      expect(
        run.results.every((r) => r.passed),
        JSON.stringify(run.results),
      ).toBe(true);
    }
  });

  it('quotes schema-qualified, mixed-case names and compares numeric canary values', async () => {
    const run = await runChecks(
      connection,
      [
        { type: 'rowCount', table: 'sales.Refunds', min: 2 },
        { type: 'canary', table: 'orders', column: 'id', value: ORDER_COUNT },
        { type: 'canary', table: 'orders', column: 'id', value: ORDER_COUNT + 1 },
        { type: 'canary', table: 'lifeline_canary', column: 'id', value: "drill-canary' or '1' = '1" },
      ],
      options(),
    );
    expect(run.results.map((r) => r.passed)).toEqual([true, true, false, false]);
    expect(run.results[0]?.detail).toBe('table sales.Refunds has 2 rows (at least 2 expected)');
  });

  it('reports a missing table, schema or column as a failed check and goes on with the others', async () => {
    const run = await runChecks(
      connection,
      [
        { type: 'rowCount', table: 'missing_table', min: 1 },
        { type: 'freshness', table: 'nowhere.orders', column: 'created_at' },
        { type: 'freshness', table: 'orders', column: 'updated_at' },
        { type: 'rowCount', table: 'orders', min: 1 },
      ],
      options(),
    );
    expect(run.results).toEqual([
      { name: 'rowCount:missing_table', passed: false, detail: 'table missing_table does not exist' },
      { name: 'freshness:nowhere.orders.created_at', passed: false, detail: 'table nowhere.orders does not exist' },
      {
        name: 'freshness:orders.updated_at',
        passed: false,
        detail: 'freshness:orders.updated_at could not run: column updated_at of table orders does not exist',
      },
      { name: 'rowCount:orders', passed: true, detail: 'table orders has 150 rows (at least 1 expected)' },
    ]);
  });

  it('fails a table with missing rows', async () => {
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

  it('reads a DATETIME in the server time zone and a TIMESTAMP as the instant it is', async () => {
    // Prepare: a server two hours east of UTC, whose wall-clock 03:50 is 01:50 UTC.
    const east = await MariaDb.start({ timeZone: '+02:00' });
    try {
      await east.exec(`
        create database shop;
        create table shop.local_times (at datetime not null);
        insert into shop.local_times values ('2025-03-10 03:50:00');
        create table shop.instants (at timestamp not null);
        set time_zone = '+00:00';
        insert into shop.instants values ('2025-03-10 01:50:00');
      `);
      // Act
      const run = await runChecks(
        { ...connection, port: east.port },
        [
          { type: 'freshness', table: 'local_times', column: 'at' },
          { type: 'freshness', table: 'instants', column: 'at' },
        ],
        options(),
      );
      // Assess
      expect(run.results.map((r) => r.newestRow)).toEqual([NEWEST_ORDER, NEWEST_ORDER]);
    } finally {
      await east.stop();
    }
  });

  it('fails freshness of an empty table with the reason', async () => {
    const run = await runChecks(connection, [{ type: 'freshness', table: 'empty_events', column: 'at' }], options());
    expect(run.results[0]).toMatchObject({
      passed: false,
      detail: 'table empty_events has no rows, so the freshness of empty_events.at is unknown',
    });
  });

  it('fails when the canary row is missing', async () => {
    const run = await runChecks(
      connection,
      [{ type: 'canary', table: 'lifeline_canary', column: 'id', value: 'never-written' }],
      options(),
    );
    expect(run.results[0]).toMatchObject({
      passed: false,
      detail: 'canary row lifeline_canary.id = "never-written" is missing',
    });
  });

  it('fails a custom query that returns false, no rows or an error; of several statements the last counts', async () => {
    const run = await runChecks(
      connection,
      [
        { type: 'sql', name: 'enough-orders', sql: 'select count(*) > 1000 from orders' },
        { type: 'sql', name: 'no-rows', sql: 'select true from orders where false' },
        { type: 'sql', name: 'broken', sql: 'select true from no_such_table' },
        { type: 'sql', name: 'last-statement', sql: 'select false; select true' },
        { type: 'sql', name: 'ends-without-rows', sql: 'select true; set @x = 1' },
      ],
      options(),
    );
    expect(run.results.map((r) => [r.name, r.passed])).toEqual([
      ['sql:enough-orders', false],
      ['sql:no-rows', false],
      ['sql:broken', false],
      ['sql:last-statement', true],
      ['sql:ends-without-rows', false],
    ]);
    expect(run.results[0]?.detail).toBe('query enough-orders returned 0, true expected');
    expect(run.results[1]?.detail).toBe('query no-rows returned no rows, true expected');
    expect(run.results[2]?.detail).toBe("sql:broken could not run: Table 'shop.no_such_table' doesn't exist");
  });

  it('limits each statement on the server, in MariaDB terms', async () => {
    const run = await runChecks(
      connection,
      [{ type: 'sql', name: 'statement-limit', sql: 'select @@session.max_statement_time = 30' }],
      options(),
    );
    expect(run.results[0]?.passed).toBe(true);
  });

  it('gives the same checksum for the same rows in another order, and shows the digest on a mismatch', async () => {
    const expected = '0'.repeat(64);
    const run = await runChecks(
      connection,
      [
        { type: 'checksum', table: 'currencies_reversed', expected: CURRENCIES_CHECKSUM },
        { type: 'checksum', table: 'currencies', expected },
      ],
      options(),
    );
    expect(run.results).toEqual([
      {
        name: 'checksum:currencies_reversed',
        passed: true,
        detail: `table currencies_reversed has checksum ${CURRENCIES_CHECKSUM}, as expected`,
      },
      {
        name: 'checksum:currencies',
        passed: false,
        detail: `table currencies has checksum ${CURRENCIES_CHECKSUM}, ${expected} expected`,
      },
    ]);
  });

  it('fails the checksum of a table whose data changed', async () => {
    // Prepare
    await server.exec("update currencies set name = 'Pound sterling' where code = 'GBP'", 'shop');
    try {
      // Act
      const run = await runChecks(
        connection,
        [{ type: 'checksum', table: 'currencies', expected: CURRENCIES_CHECKSUM }],
        options(),
      );
      // Assess
      const changed = mysqlChecksum(CURRENCIES.map(([code, name]) => [code, code === 'GBP' ? 'Pound sterling' : name]));
      expect(run.results[0]).toEqual({
        name: 'checksum:currencies',
        passed: false,
        detail: `table currencies has checksum ${changed}, ${CURRENCIES_CHECKSUM} expected`,
      });
    } finally {
      await server.exec("update currencies set name = 'Pound' where code = 'GBP'", 'shop');
    }
  });

  it('refuses a database that does not speak TLS, as a connection error', async () => {
    const plain = await MariaDb.start({ tls: 'none' });
    const run = await runChecks({ ...connection, port: plain.port }, ALL_CHECKS, options()).finally(() => plain.stop());
    expect(run.results).toEqual([]);
    expect(run.connectError).toBe(
      `cannot connect to localhost:${plain.port} as lifeline: Server does not support secure connection`,
    );
  });

  it('refuses a database whose certificate it cannot verify, as a connection error', async () => {
    const impostor = await MariaDb.start({ tls: 'untrusted' });
    const run = await runChecks({ ...connection, port: impostor.port }, ALL_CHECKS, options()).finally(() =>
      impostor.stop(),
    );
    expect(run.results).toEqual([]);
    expect(run.connectError).toMatch(
      new RegExp(`^cannot connect to localhost:${impostor.port} as lifeline: self-signed certificate`),
    );
  });

  it('refuses a certificate of a trusted CA issued to another name', async () => {
    const elsewhere = await MariaDb.start({ tls: 'another-name' });
    const run = await runChecks({ ...connection, port: elsewhere.port }, ALL_CHECKS, options()).finally(() =>
      elsewhere.stop(),
    );
    expect(run.results).toEqual([]);
    expect(run.connectError).toMatch(/as lifeline: Hostname\/IP does not match certificate's altnames/);
  });

  it('returns a connection error, not a throw, for a wrong password or an unknown engine', async () => {
    const denied = await runChecks({ ...connection, password: 'wrong' }, ALL_CHECKS, options());
    expect(denied.connectError).toMatch(
      new RegExp(`^cannot connect to localhost:${server.port} as lifeline: Access denied for user 'lifeline'@`),
    );
    const unknown = await runChecks(connection, ALL_CHECKS, options({ engine: 'oracle' }));
    expect(unknown).toEqual({
      results: [],
      connectError: `cannot check localhost:${server.port} as lifeline: the checks do not speak the engine oracle`,
    });
  });
});

describe('checkData of a MySQL-family database', () => {
  const secrets = mockClient(SecretsManagerClient);
  beforeEach(() => {
    vi.stubEnv('AWS_REGION', 'eu-west-1');
    secrets.on(GetSecretValueCommand, { SecretId: 'lifeline/shop/drill' }).resolves({
      SecretString: JSON.stringify(MARIADB_LOGIN),
    });
  });
  afterEach(() => {
    secrets.reset();
    vi.unstubAllEnvs();
    vi.useRealTimers();
  });
  const input = () => ({
    database: 'shop',
    engine: 'mariadb',
    endpoint: { host: connection.host, port: connection.port },
    credentialsSecret: 'lifeline/shop/drill',
    databaseName: 'shop',
    checks: ALL_CHECKS,
    recoveryPointTime: RECOVERY_POINT,
    restoreStartedAt: '2025-03-10T03:00:00.000Z',
    objectives: { rpoSeconds: DAY, rtoSeconds: HOUR },
  });
  const simulated = <T>(fn: () => Promise<T>) => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(CLOCK);
    return fn();
  };

  it('judges a good restore as passed', async () => {
    const output = await simulated(() => checkData(input()));
    expect(output.verdict.status).toBe('passed');
    expect(output.verdict.summary).toBe(
      'Drill of shop passed: 5 of 5 checks passed, restored in 4 min 12 s (objective 1 h), 10 min of data would have been lost (objective 1 d).',
    );
  });

  it('judges a restore with missing rows, stale data or a changed checksum as failed, naming each problem', async () => {
    const output = await simulated(() =>
      checkData({
        ...input(),
        checks: [
          { type: 'rowCount', table: 'orders', min: 1000 },
          { type: 'freshness', table: 'orders', column: 'created_at' },
          { type: 'checksum', table: 'currencies', expected: '0'.repeat(64) },
        ],
        recoveryPointTime: '2025-03-12T02:00:00.000Z',
      }),
    );
    expect(output.verdict.status).toBe('failed');
    expect(output.verdict.rpo).toMatchObject({ outcome: 'missed' });
    expect(output.verdict.reasons).toEqual([
      'table orders has 150 rows (at least 1000 expected)',
      `the newest orders.created_at is ${NEWEST_ORDER}, 2 d before the recovery point (objective 1 d)`,
      `table currencies has checksum ${CURRENCIES_CHECKSUM}, ${'0'.repeat(64)} expected`,
      '2 d of data would have been lost, more than the objective of 1 d',
    ]);
  });
});

describe('the MariaDB harness', () => {
  it('fails, saying how to install it, where mariadbd is missing', () => {
    expect(() => program('mariadbd', [tmpdir()])).toThrow(
      'mariadbd is needed for the MySQL-family tests and was not found: as root run  apt-get update && apt-get install -y mariadb-server',
    );
  });
});
