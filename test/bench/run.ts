/**
 * `npm run bench`: numbers a person can compare over time. Printed as a table and written to
 * test/bench/results.json as { "<metric>": { value, unit, goal } }.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { planRetention, type RecoveryPoint } from '../../functions/backup/plan-retention';
import { ESBUILD_OPTIONS, PROJECT_ROOT } from '../../state-machines/lifeline-function';
import { baseConfig } from '../fixtures/configs';
import { createOrdersDatabase } from '../fixtures/production';
import { simulateFleet } from '../fleet/simulate-fleet';
import { snapshotStatus } from '../harness/faults';
import { startLocalAws } from '../harness/local-aws';
import { runWorkflow } from '../harness/run-workflow';

type Results = Record<string, { value: number; unit: string; goal: number }>;
const results: Results = {};
const record = (metric: string, value: number, unit: string, goal: number) => {
  results[metric] = { value: Math.round(value * 100) / 100, unit, goal };
};

async function backupTransitions(): Promise<void> {
  const aws = await startLocalAws(baseConfig());
  try {
    await createOrdersDatabase(aws);
    const run = await runWorkflow(
      aws.cloud,
      aws.cloud.stateMachine('-backup'),
      { database: 'orders', scheduledTime: '2026-11-22T02:00:00Z' },
      {
        faults: [
          ...snapshotStatus('creating', { forSeconds: 600, region: 'eu-central-1' }),
          ...snapshotStatus('copying', { forSeconds: 3600, region: 'eu-west-1' }),
        ],
      },
    );
    if (run.status !== 'SUCCEEDED') throw new Error(`bench backup failed: ${run.cause}`);
    record('backup.transitions (10 min snapshot, 60 min copy, prune)', run.transitions, 'transitions', 40);
    // The work itself takes 70 min; the rest is polling granularity.
    record('backup.simulated duration', run.simulatedSeconds / 60, 'min', 80);
  } finally {
    await aws.stop();
  }
}

async function bundles(): Promise<void> {
  const out = mkdtempSync(join(tmpdir(), 'lifeline-bench-'));
  const entries = readdirSync(join(PROJECT_ROOT, 'functions'), { recursive: true, encoding: 'utf8' })
    .filter(
      (f) =>
        f.endsWith('.ts') && readFileSync(join(PROJECT_ROOT, 'functions', f), 'utf8').includes('export const handler'),
    )
    .sort();
  for (const entry of entries) {
    const outfile = join(out, `${entry.replace(/[/.]/g, '-')}.mjs`);
    await build({
      ...ESBUILD_OPTIONS,
      mainFields: [...ESBUILD_OPTIONS.mainFields],
      entryPoints: [join(PROJECT_ROOT, 'functions', entry)],
      outfile,
      logLevel: 'silent',
    });
    const name = entry.replace(/\.ts$/, '');
    record(`bundle.${name}`, statSync(outfile).size / 1024, 'KB', 400);
    const times = [0, 1, 2].map(() =>
      Number(
        execFileSync(
          process.execPath,
          [
            '--input-type=module',
            '-e',
            `const t = performance.now(); await import(${JSON.stringify(outfile)}); console.log(performance.now() - t);`,
          ],
          {
            encoding: 'utf8',
            env: { ...process.env, AWS_REGION: 'eu-central-1', POWERTOOLS_METRICS_DISABLED: 'true' },
          },
        ).trim(),
      ),
    );
    record(`cold-init.${name}`, times.sort((a, b) => a - b)[1] as number, 'ms', 150);
  }
}

function planner(): void {
  const start = Date.parse('2016-01-01T00:00:00Z');
  const points: RecoveryPoint[] = Array.from({ length: 100_000 }, (_, i) => ({
    id: `lifeline-db-${i}`,
    createdAt: new Date(start + i * 3_600_000).toISOString(),
    managed: i % 50 !== 0,
    status: 'available',
    verified: true,
    copyVerified: i % 97 !== 0,
  }));
  const policy = { daily: 7, weekly: 4, monthly: 12, yearly: 7, timeZone: 'Europe/Berlin' };
  const times = Array.from({ length: 5 }, () => {
    const t = performance.now();
    planRetention(points, policy);
    return performance.now() - t;
  }).sort((a, b) => a - b);
  record('retention-planner.100k snapshots', times[2] as number, 'ms', 100);
}

function fleet(): void {
  for (const limit of [20, 5]) {
    const result = simulateFleet({ databases: 500, limit, seed: 42 });
    record(`fleet.500 databases, ${limit} copy slots: completion / bound`, result.ratio, 'ratio', 1.05);
    record(`fleet.500 databases, ${limit} copy slots: quota errors`, result.quotaErrors, 'errors', 0);
  }
}

await backupTransitions();
await bundles();
planner();
fleet();

const rows = Object.entries(results).map(([metric, r]) => ({
  metric,
  value: r.value,
  unit: r.unit,
  goal: r.goal,
  ok: r.value <= r.goal ? 'yes' : 'NO',
}));
console.table(rows);
writeFileSync(join(PROJECT_ROOT, 'test/bench/results.json'), `${JSON.stringify(results, null, 2)}\n`);
console.log('written to test/bench/results.json');
