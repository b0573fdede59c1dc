import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { validateConfig } from '../../infra/config/load';
import type { LifelineConfig, LifelineConfigInput } from '../../infra/config/schema';
import { buildLifeline, type LifelineStacks, stackNames } from '../../infra/lifeline-app';

export interface SynthesizedStack {
  readonly name: string;
  readonly account: string;
  readonly region: string;
  readonly template: Template;
}

export interface Template {
  readonly Resources: Record<
    string,
    { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> }
  >;
}

export interface Synthesized {
  readonly config: LifelineConfig;
  readonly stacks: LifelineStacks;
  readonly templates: Record<'primary' | 'dr' | 'vault', SynthesizedStack | undefined>;
  readonly outdir: string;
}

/**
 * Synthesizes the whole app from a config, as `cdk synth` does (cdk-nag included: a finding throws).
 * Lambda bundling is skipped: the harness runs the handlers' source modules in-process.
 */
export function synthesize(input: LifelineConfigInput, options: { bundle?: boolean } = {}): Synthesized {
  const config = validateConfig(input);
  const outdir = mkdtempSync(join(tmpdir(), 'lifeline-synth-'));
  const app = new App({ outdir, context: options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] } });
  const stacks = buildLifeline(app, config, '123456789012');
  const assembly = app.synth();
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
