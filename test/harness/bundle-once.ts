import { rmSync } from 'node:fs';
import { loadConfig } from '../../infra/config/load';
import { SYNTH_DIR, synthesize } from './synth';

/**
 * vitest global setup: bundles every function once, before the workers start, by synthesizing the example config
 * (it has every workflow, the vault's included). Each test's own synth then finds the bundles in the cache.
 */
export default async function setup(): Promise<void> {
  rmSync(SYNTH_DIR, { recursive: true, force: true });
  synthesize(await loadConfig());
}
