import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

/** Runs the command as a user would: its exit code and what it printed. */
async function failoverLocal(args: string[]) {
  return run('node_modules/.bin/tsx', ['test/e2e/failover-local.ts', ...args], { encoding: 'utf8' }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
}

const recordFile = () => join(mkdtempSync(join(tmpdir(), 'lifeline-failover-')), 'record.json');

// The second form of the main job as a user runs it: one whole failover (moto, PGlite, the DNS answer, the bundled
// functions), and the command line's own answers. Every other path of the workflow is run by
// test/workflows/failover*.test.ts on the same harness.
describe('npm run failover:local', () => {
  it('shows the approval request, approves it, restores, switches the record, verifies through the name and writes the record', async () => {
    // Prepare
    const record = recordFile();
    // Act
    const { code, stdout } = await failoverLocal(['--scenario', 'region-outage', '--record', record]);
    // Assess
    expect(code, stdout).toBe(0);
    const json = JSON.parse(readFileSync(record, 'utf8'));
    expect(json).toMatchObject({
      database: 'orders',
      scenario: 'region-outage',
      status: 'failed-over',
      startedBy: 'npm run failover:local',
      approval: { required: true, by: 'local-operator' },
      source: { type: 'snapshot', origin: 'dr-copy' },
      verification: { verified: true },
    });
    expect(readFileSync(record.replace(/\.json$/, '.html'), 'utf8')).toContain('<span class="ok">failed-over</span>');
    // What a person on call would read, then the answer with the command it names.
    expect(stdout).toContain('The approval request, as the on-call person receives it');
    expect(stdout).toContain('|   1. RDS RestoreDBInstanceFromDBSnapshot lifeline-orders-');
    expect(stdout).toContain('--function-name lifeline-failover-command');
    expect(stdout).toContain('local-operator answers "approve" 2 min in');
    // Each step as it runs, then the summary: a plain table, the simulated times said so.
    for (const state of [
      'Ask for approval',
      'Recover the database in the DR region',
      'Point the record at the recovered database',
      'Verify through the name',
      'Record the failover',
    ])
      expect(stdout).toContain(`  · ${state}`);
    expect(stdout).toMatch(/^ {2}failover {2,}failed-over$/m);
    expect(stdout).toMatch(/^ {2}approval {2,}approved by local-operator$/m);
    expect(stdout).toMatch(
      /^ {2}Route 53 {2,}db\.example\.com orders-prod\.c0ffee\.eu-central-1\.rds\.amazonaws\.com -> 127\.0\.0\.1 \(INSYNC\)$/m,
    );
    expect(stdout).toMatch(
      /^ {2}RTO {2,}\d+ min( \d+ s)? \(objective 1 h\) — harness clock, \d+ min( \d+ s)? of it simulated$/m,
    );
    expect(stdout).toMatch(
      /^ {2}restored instances {2,}lifeline-failover-orders-[0-9a-f]{8} \(production now, in the DR region\)$/m,
    );
    expect(stdout).toContain('Times are on the harness clock');
  }, 600_000);

  it('--help prints the usage and exits 0, before loading anything heavy', async () => {
    const { code, stdout } = await failoverLocal(['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: npm run failover:local -- --scenario <name> \[options\]/);
    expect(stdout).toContain('--dry-run');
    expect(stdout).toContain('--drill');
    expect(stdout).toContain('64  a bad command line');
  }, 60_000);

  it.each([
    [
      ['--scenario', 'flood'],
      'unknown --scenario flood; choose one of: region-outage, database-corruption, ransomware',
    ],
    [['--approve', '--reject'], '--approve and --reject contradict each other; give one'],
    [
      ['--dry-run', '--reject'],
      'a --dry-run asks for no approval (it changes nothing); leave out --approve and --reject',
    ],
    [
      ['--drill', '--approve'],
      'a --drill asks for no approval (it changes nothing in production); leave out --approve and --reject',
    ],
    [['--frobnicate'], "Unknown option '--frobnicate'"],
    [['--scenario'], "Option '--scenario <value>' argument missing"],
    [['--record', 'out.txt'], '--record out.txt: expected a file name ending in .json'],
  ])(
    '%j is a usage error: one line, the usage, exit 64',
    async (args, message) => {
      const { code, stderr } = await failoverLocal(args);
      expect(code).toBe(64);
      expect(stderr.split('\n')[0]).toBe(`failover:local: ${message}`);
      expect(stderr).toContain('Usage: npm run failover:local');
    },
    60_000,
  );
});
