import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { z } from 'zod';
import { configSchema, type LifelineConfig, type LifelineConfigInput } from './schema';

/** The config file used when `cdk synth` is not given `-c config=<path>`. */
export const DEFAULT_CONFIG_PATH = 'infra/lifeline.config.ts';

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`Invalid Lifeline config ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Typed helper for `.ts` configs: `export default defineConfig({ ... })`. */
export function defineConfig(config: LifelineConfigInput): LifelineConfigInput {
  return config;
}

export function validateConfig(input: unknown, source = 'config'): LifelineConfig {
  const result = configSchema.safeParse(input, { reportInput: true });
  if (result.success) return result.data;
  throw new ConfigError(source, result.error.issues.map(describeIssue));
}

export async function loadConfig(path: string = DEFAULT_CONFIG_PATH): Promise<LifelineConfig> {
  return validateConfig(await readConfig(path), path);
}

/** The config file as written, not yet validated (a module's default export, or JSON). */
export async function readConfig(path: string = DEFAULT_CONFIG_PATH): Promise<LifelineConfigInput> {
  const file = resolve(path);
  try {
    return file.endsWith('.json')
      ? JSON.parse(readFileSync(file, 'utf8'))
      : ((await import(pathToFileURL(file).href)) as { default: LifelineConfigInput }).default;
  } catch (error) {
    throw new ConfigError(path, [`cannot read it: ${(error as Error).message}`]);
  }
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const path = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    const where = path ? `${path}: ` : '';
    return `${where}unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  }
  const input = (issue as { input?: unknown }).input;
  const got = input === undefined ? 'nothing (the field is required)' : JSON.stringify(input);
  return `${path || '(top level)'}: ${issue.message}, got ${got}`;
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)),
    '',
  );
}
