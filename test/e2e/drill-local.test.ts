import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

/** Runs the main job as a user would, and reads the report it wrote. */
async function drill(scenario: string) {
  const report = join(mkdtempSync(join(tmpdir(), 'lifeline-drill-')), 'report.json');
  const result = await run(
    'node_modules/.bin/tsx',
    ['test/e2e/drill-local.ts', '--scenario', scenario, '--report', report],
    {
      encoding: 'utf8',
    },
  ).then(
    (r) => ({ code: 0, stdout: r.stdout }),
    (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
  );
  return {
    ...result,
    report: JSON.parse(readFileSync(report, 'utf8')),
    html: readFileSync(report.replace(/\.json$/, '.html'), 'utf8'),
  };
}

// The main job as a user runs it: a pass (exit 0) and a failure (exit 2, cleaned up). Each failure scenario of the
// drill (stale data, missing rows, slow restore, no connection, ...) is run by test/workflows/drill.test.ts on the same
// harness; here one failure stands for the command's failing path.
describe('npm run drill:local', () => {
  it('backs up, restores the DR copy, passes every check, measures RTO/RPO and leaves nothing behind', async () => {
    const { code, report, html, stdout } = await drill('none');
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
    expect(report.checks.map((c: { name: string; passed: boolean }) => [c.name, c.passed])).toEqual([
      ['rowCount:orders', true],
      ['freshness:orders.created_at', true],
      ['canary:lifeline_canary', true],
    ]);
    expect(html).toContain('<h1>Drill of orders: <span class="ok">passed</span></h1>');
  }, 180_000);

  it('fails the drill in words when the restore never becomes available, and still cleans up', async () => {
    const { code, report } = await drill('restore-timeout');
    expect(code).toBe(2);
    expect(report.status).toBe('failed');
    expect(report.summary).toMatch(
      /^Drill of orders failed at "Wait until the restored database is available": lifeline-drill-orders-\w+ did not become available within the drill timeout \(2 h\); it was creating\.$/,
    );
    expect(report.cleanup.leaked).toEqual([]);
    expect(report.rto.met).toBe(false);
  }, 180_000);
});
