import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  symlinkSync,
} from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { validateConfig } from '../../infra/config/load';
import type { LifelineConfig, LifelineConfigInput } from '../../infra/config/schema';
import { buildLifeline, type LifelineStacks, stackNames } from '../../infra/lifeline-app';
import { PROJECT_ROOT } from '../../state-machines/lifeline-function';

export interface SynthesizedStack {
  readonly name: string;
  readonly account: string;
  readonly region: string;
  readonly template: Template;
}

export interface Template {
  readonly Resources: Record<
    string,
    { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown>; DependsOn?: unknown }
  >;
}

export interface Synthesized {
  readonly config: LifelineConfig;
  readonly stacks: LifelineStacks;
  readonly templates: Record<'primary' | 'dr' | 'vault', SynthesizedStack | undefined>;
  /** The cloud assembly directory: templates and the `asset.<hash>` bundles, as `cdk synth` writes them. */
  readonly outdir: string;
}

/** Bundles shared by every synth of this checkout (CDK skips bundling an asset whose directory exists). */
export const ASSET_CACHE = join(PROJECT_ROOT, 'test', '.out', 'assets');

/** Where each synth writes its cloud assembly (on the same file system as the cache, so bundles move into it). */
export const SYNTH_DIR = join(PROJECT_ROOT, 'test', '.out', 'cdk');

/** The context `cdk synth` runs with: cdk.json's feature flags, so the harness synthesizes the same policies. */
function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context?: object };
  return { ...(cdkJson.context ?? {}) };
}

/**
 * Synthesizes the whole app from a config, as `cdk synth` does: cdk.json's context, cdk-nag (a finding throws)
 * and the Lambda bundles. Bundles are shared through ASSET_CACHE, so only the first synth of a checkout bundles.
 * `bundle: false` skips bundling, for template-only tests.
 */
export function synthesize(input: LifelineConfigInput, options: { bundle?: boolean } = {}): Synthesized {
  const config = validateConfig(input);
  const bundle = options.bundle ?? true;
  mkdirSync(SYNTH_DIR, { recursive: true });
  const outdir = mkdtempSync(join(SYNTH_DIR, 'synth-'));
  if (bundle) linkCachedAssets(outdir);
  const app = new App({
    outdir,
    context: { ...cdkJsonContext(), ...(bundle ? {} : { 'aws:cdk:bundling-stacks': [] }) },
  });
  const stacks = buildLifeline(app, config, '123456789012');
  const assembly = app.synth();
  if (bundle) cacheNewAssets(outdir);
  const names = stackNames(config);
  const pick = (key: 'primary' | 'dr' | 'vault'): SynthesizedStack | undefined => {
    const stack = stacks[key];
    if (!stack) return undefined;
    return {
      name: names[key],
      account: stack.account,
      region: stack.region,
      template: assembly.getStackByName(names[key]).template as Template,
    };
  };
  return { config, stacks, templates: { primary: pick('primary'), dr: pick('dr'), vault: pick('vault') }, outdir };
}

function linkCachedAssets(outdir: string): void {
  if (!existsSync(ASSET_CACHE)) return;
  for (const name of readdirSync(ASSET_CACHE))
    if (name.startsWith('asset.') && !name.endsWith('-building'))
      symlinkSync(join(ASSET_CACHE, name), join(outdir, name));
}

/** Moves bundles this synth made into the cache and links them back (another worker may have won the race). */
function cacheNewAssets(outdir: string): void {
  mkdirSync(ASSET_CACHE, { recursive: true });
  for (const name of readdirSync(outdir)) {
    const path = join(outdir, name);
    if (!name.startsWith('asset.') || name.endsWith('-building') || lstatSync(path).isSymbolicLink()) continue;
    const cached = join(ASSET_CACHE, name);
    if (existsSync(cached)) continue;
    try {
      renameSync(path, cached);
      symlinkSync(cached, path);
    } catch {
      // Another process cached the same bundle first; this synth keeps its own copy.
    }
  }
}
