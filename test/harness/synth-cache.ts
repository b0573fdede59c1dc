import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateConfig } from '../../infra/config/load';
import type { LifelineConfigInput } from '../../infra/config/schema';
import type { Synthesized } from './synth';

/** The repository root (test/harness/../..). */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** What a run needs of a synthesized app: the validated config, the templates and the cloud assembly. */
export type SynthesizedApp = Omit<Synthesized, 'stacks'>;

const SYNTH_CACHE = join(ROOT, 'test', '.out', 'synth-cache');

/**
 * `synthesize` for the workflow harness, remembered on disk: the same config and the same sources (infra/,
 * state-machines/, functions/, cdk.json, the lockfile) give the same templates and assets, so a second test file
 * or `npm run drill:local` with that config reads them instead of synthesizing again (cdk-nag ran on the first),
 * without even loading CDK.
 */
export async function synthesizeForRun(input: LifelineConfigInput): Promise<SynthesizedApp> {
  const config = validateConfig(input);
  const key = createHash('sha256').update(JSON.stringify(config)).update(sourcesDigest()).digest('hex').slice(0, 32);
  const file = join(SYNTH_CACHE, `${key}.json`);
  if (existsSync(file)) {
    const cached = JSON.parse(readFileSync(file, 'utf8')) as SynthesizedApp;
    if (existsSync(join(cached.outdir, 'manifest.json'))) return cached;
  }
  // CDK is loaded only when there is something to synthesize: a remembered synth needs none of it.
  const { synthesize } = await import('./synth');
  const { stacks: _, ...app } = synthesize(input);
  mkdirSync(SYNTH_CACHE, { recursive: true });
  const partial = `${file}.${process.pid}`;
  writeFileSync(partial, JSON.stringify(app));
  renameSync(partial, file);
  return app;
}

function sourcesDigest(): string {
  const digest = createHash('sha256');
  for (const dir of ['infra', 'state-machines', 'functions']) {
    const root = join(ROOT, dir);
    for (const file of readdirSync(root, { recursive: true, encoding: 'utf8' }).sort())
      if (/\.(ts|json)$/.test(file)) digest.update(`${dir}/${file}\0`).update(readFileSync(join(root, file)));
  }
  for (const file of ['cdk.json', 'package-lock.json']) digest.update(readFileSync(join(ROOT, file)));
  return digest.digest('hex');
}
