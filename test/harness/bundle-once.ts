import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readConfig } from '../../infra/config/load';
import { baseConfig } from '../fixtures/configs';
import { SYNTH_DIR, synthesize } from './synth';
import { synthesizeForRun } from './synth-cache';

/**
 * vitest global setup: bundles every function once, before the workers start, by synthesizing the example config
 * (it has every workflow, the vault's included). Each test's own synth then finds the bundles in the cache.
 * The fixture config's synth is remembered for the workflow files (synthesizeForRun). Cloud assemblies of earlier runs (older than an hour, so never one a concurrent run still reads) are removed.
 */
export default async function setup(): Promise<void> {
  const hourAgo = Date.now() - 3_600_000;
  for (const name of safeList(SYNTH_DIR)) {
    const path = join(SYNTH_DIR, name);
    if (statSync(path).mtimeMs < hourAgo) rmSync(path, { recursive: true, force: true });
  }
  synthesize(await readConfig());
  // Most workflow files and the local drill run the fixture config: synthesized once here, read by each of them.
  await synthesizeForRun(baseConfig());
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
