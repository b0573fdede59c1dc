import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const TWO_ENGINES = 'test/fixtures/two-engines.config.ts';

/** Runs the command as a user would: its exit code and what it printed. */
async function drillLocal(args: string[]) {
  return run('node_modules/.bin/tsx', ['test/e2e/drill-local.ts', ...args], { encoding: 'utf8' }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
}

/** Runs a drill, and reads the report it wrote. */
async function drill(args: string[]) {
  const report = join(mkdtempSync(join(tmpdir(), 'lifeline-drill-')), 'report.json');
  const result = await drillLocal([...args, '--report', report]);
  return {
    ...result,
    report: JSON.parse(readFileSync(report, 'utf8')),
    html: readFileSync(report.replace(/\.json$/, '.html'), 'utf8'),
  };
}

const checksOf = (report: { checks: { name: string; passed: boolean }[] }) =>
  report.checks.map((c) => [c.name, c.passed]);

// The main job as a user runs it: a pass (exit 0) and a failure (exit 2, cleaned up). Each failure scenario of the
// drill (stale data, missing rows, slow restore, no connection, ...) is run by test/workflows/drill.test.ts on the same
// harness; here one failure stands for the command's failing path.
describe('npm run drill:local', () => {
  it('backs up, restores the DR copy, passes every check, measures RTO/RPO and leaves nothing behind', async () => {
    const { code, report, html, stdout } = await drill(['--scenario', 'none']);
    expect(code, stdout).toBe(0);
    expect(report).toMatchObject({
      database: 'orders',
      status: 'passed',
      recoveryPoint: { type: 'latest-copy', id: expect.stringMatching(/^lifeline-orders-\d{8}t\d{4}$/) },
      rto: { objectiveSeconds: 3600, outcome: 'met', measured: true, met: true },
      rpo: { objectiveSeconds: 86_400, outcome: 'met', measured: true, met: true },
      cleanup: { leaked: [] },
    });
    expect(report.rpo.measuredSeconds).toBeGreaterThan(25 * 60);
    expect(checksOf(report)).toEqual([
      ['rowCount:orders', true],
      ['freshness:orders.created_at', true],
      ['canary:lifeline_canary', true],
    ]);
    expect(html).toContain('<h1>Drill of orders: <span class="ok">passed</span></h1>');
    // The summary: a plain table (no index column, no quotes), durations in one style, simulated times said so.
    expect(stdout).toMatch(/^ {2}drill {2,}passed$/m);
    expect(stdout).toMatch(
      /^ {2}RTO {2,}\d+ (s|min)( \d+ s)? \(objective 1 h\): met — harness clock, no wait simulated$/m,
    );
    expect(stdout).toMatch(/^ {2}RPO {2,}30 min \d+ s \(objective 1 d\): met/m);
    expect(stdout).not.toMatch(/\(index\)|'passed'|3600 s/);
    expect(stdout).toContain('waits and retry intervals of the workflows are simulated');
  }, 180_000);

  it('fails the drill in words when the restore never becomes available, and still cleans up', async () => {
    const { code, report } = await drill(['--scenario', 'restore-timeout']);
    expect(code).toBe(2);
    expect(report.status).toBe('failed');
    expect(report.summary).toMatch(
      /^Drill of orders failed at "Wait until the restored database is available": lifeline-drill-orders-\w+ did not become available within the drill timeout \(2 h\); it was creating\.$/,
    );
    expect(report.cleanup.leaked).toEqual([]);
    expect(report.rto.met).toBe(false);
  }, 180_000);

  it('drills the PostgreSQL database of a config of its own, seeded from its checks', async () => {
    // No --database: the first database with a drill (the config's first has none).
    const { code, report, stdout } = await drill(['--config', TWO_ENGINES]);
    expect(code, stdout).toBe(0);
    expect(report).toMatchObject({
      database: 'billing',
      engine: 'postgres',
      status: 'passed',
      cleanup: { leaked: [] },
    });
    expect(checksOf(report)).toEqual([
      ['rowCount:invoices', true],
      ['freshness:invoices.issued_at', true],
      ['canary:ops.heartbeat', true],
      ['sql:enough-invoices', true],
      ['checksum:invoices', true],
    ]);
    // The newest sample row is a minute older than the backup: well within the 4 h RPO.
    expect(report.rpo).toMatchObject({ outcome: 'met', objectiveSeconds: 4 * 3600 });
    expect(report.rpo.measuredSeconds).toBeLessThan(10 * 60);
    expect(stdout).toContain('invoices: 250 rows, issued_at (timestamps)');
    expect(stdout).toContain(
      "checksum:invoices: your expected digest is of your own data, which the sample rows cannot match; this drill records the sample table's digest instead",
    );
    expect(stdout).toContain('sql:enough-invoices is your own query and runs as written against this sample data');
  }, 240_000);

  it('drills the MariaDB database of that config with --database', async () => {
    const { code, report, stdout } = await drill(['--config', TWO_ENGINES, '--database', 'catalog']);
    expect(code, stdout).toBe(0);
    expect(report).toMatchObject({ database: 'catalog', engine: 'mariadb', status: 'passed', cleanup: { leaked: [] } });
    expect(checksOf(report)).toEqual([
      ['rowCount:products', true],
      ['freshness:products.updated_at', true],
      ['canary:lifeline_canary', true],
      ['sql:products-present', true],
      ['checksum:currencies', true],
    ]);
    expect(report.checks[4].detail).toMatch(
      /^table currencies has checksum [0-9a-f]{64} \(no expected value configured\)$/,
    );
  }, 240_000);
});

describe('npm run drill:local, used wrongly', () => {
  it('prints its usage, scenarios and exit codes with --help, and exits 0', async () => {
    const { code, stdout } = await drillLocal(['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: npm run drill:local -- \[options\]/);
    for (const flag of ['--config <file>', '--database <id>', '--scenario <name>', '--seed <file.sql>', '--report'])
      expect(stdout).toContain(flag);
    expect(stdout).toMatch(/^ +restore-timeout +the restored database never becomes available$/m);
    expect(stdout).toMatch(/^ {2}0 {3}the drill passed$/m);
    expect(stdout).toMatch(/^ {2}2 {3}the drill failed/m);
    expect(stdout).toMatch(/^ {2}1 {3}the drill could not run/m);
    expect(stdout).toMatch(/^ {2}64 {2}a bad command line/m);
  });

  it.each([
    [['--bogus'], "drill:local: Unknown option '--bogus'"],
    [['--config'], "drill:local: Option '--config <value>' argument missing"],
    [['--scenario', 'flood'], 'drill:local: unknown --scenario flood; choose one of: none, missing-rows,'],
  ])('exits 64 on %j with a line saying why and the usage on stderr, no stack trace', async (args, line) => {
    const { code, stdout, stderr } = await drillLocal(args);
    expect(code).toBe(64);
    expect(stdout).toBe('');
    expect(stderr.split('\n')[0]).toContain(line);
    expect(stderr).toContain('Usage: npm run drill:local');
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('exits 64 on an unknown --database, naming the databases that have a drill', async () => {
    const { code, stderr } = await drillLocal(['--config', TWO_ENGINES, '--database', 'ledger']);
    expect(code).toBe(64);
    expect(stderr.split('\n')[0]).toBe(
      'drill:local: unknown --database ledger; databases with a drill: billing, catalog',
    );
    expect(stderr).toContain('Usage: npm run drill:local');
  });

  it('exits 1 and says what to fix when the config is invalid', async () => {
    const { code, stderr } = await drillLocal(['--config', 'test/fixtures/bad-retention.json']);
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /^The local drill could not run: Invalid Lifeline config test\/fixtures\/bad-retention\.json:\n {2}- /,
    );
    expect(stderr).toContain('Fix the config first.');
  });
});
