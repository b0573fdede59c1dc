import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../state-machines/lifeline-function';

/**
 * The layering, read from every import (type-only ones too) of the production folders:
 * - functions/ (Lambda code) imports only functions/ and npm packages, never CDK;
 * - a functions contract (functions/<folder>/contracts.ts) imports only other contracts;
 * - state-machines/ (the construct library) imports only itself and the functions' contracts;
 * - infra/ (config, stacks, the app) imports all of them; nothing imports test/.
 */
const LAYERS = ['functions', 'state-machines', 'infra'] as const;

interface Import {
  readonly from: string;
  readonly to: string;
}

function importsOf(layer: string): Import[] {
  const files = readdirSync(join(PROJECT_ROOT, layer), { recursive: true, encoding: 'utf8' }).filter((f) =>
    f.endsWith('.ts'),
  );
  return files.flatMap((file) => {
    const from = join(layer, file);
    const source = readFileSync(join(PROJECT_ROOT, from), 'utf8');
    const specifiers = [...source.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'";]*?from\s*['"]([^'"]+)['"]/g)].map(
      (m) => m[1] as string,
    );
    const dynamic = [...source.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1] as string);
    return [...specifiers, ...dynamic].map((specifier) => ({
      from,
      to: specifier.startsWith('.') ? normalize(join(dirname(from), specifier)) : `npm:${specifier}`,
    }));
  });
}

const isContract = (path: string) => /^functions\/[a-z-]+\/contracts(\.ts)?$/.test(path);
const folderOf = (path: string) => path.split('/')[0];

function violations(): string[] {
  const all = LAYERS.flatMap(importsOf);
  return all.flatMap(({ from, to }) => {
    const layer = folderOf(from);
    const target = to.startsWith('npm:') ? undefined : folderOf(to);
    const problem = (() => {
      if (target === 'test') return 'production code imports the tests';
      if (layer === 'functions') {
        if (/^npm:(aws-cdk-lib|constructs|cdk-nag)(\/|$)/.test(to)) return 'Lambda code imports CDK';
        if (target && target !== 'functions') return `Lambda code imports ${target}/`;
        if (isContract(from.replace(/\.ts$/, '')) && !to.startsWith('npm:') && !isContract(to))
          return 'a contract imports more than contracts';
      }
      if (layer === 'state-machines' && target === 'functions' && !isContract(to))
        return "the constructs import a function's code, not its contract";
      if (layer === 'state-machines' && target === 'infra') return 'the constructs import the app';
      return undefined;
    })();
    return problem ? [`${from} → ${to.startsWith('npm:') ? to.slice(4) : relative('.', to)}: ${problem}`] : [];
  });
}

describe('the layers', () => {
  it('point one way: functions ← state-machines (contracts only) ← infra', () => {
    expect(violations()).toEqual([]);
  });

  it('are read from the imports the code has (the walk sees a real import of each kind)', () => {
    // Prepare: imports known to exist, one per rule, so a walk that saw nothing could not pass.
    const all = LAYERS.flatMap(importsOf);
    // Assess
    expect(all).toContainEqual({ from: 'infra/stacks/dr-stack.ts', to: 'state-machines/drill' });
    expect(all).toContainEqual({ from: 'state-machines/backup-steps.ts', to: 'functions/backup/contracts' });
    expect(all).toContainEqual({ from: 'functions/backup/prune.ts', to: 'functions/backup/contracts' });
    expect(all.some((i) => i.from.startsWith('functions/') && i.to === 'npm:@aws-sdk/client-rds')).toBe(true);
  });

  it('need every runtime dependency package.json lists, and list every package the production code imports', () => {
    // Prepare
    const manifest = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    const packageOf = (specifier: string) =>
      specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : (specifier.split('/')[0] as string);
    const imported = new Set(
      LAYERS.flatMap(importsOf)
        .filter((i) => i.to.startsWith('npm:') && !i.to.startsWith('npm:node:'))
        .map((i) => packageOf(i.to.slice(4))),
    );
    // Assess: nothing listed that nothing imports, nothing imported that is not listed.
    expect(Object.keys(manifest.dependencies).filter((name) => !imported.has(name))).toEqual([]);
    expect(
      [...imported].filter(
        (name) => ![name, `@types/${name}`].some((n) => n in manifest.dependencies || n in manifest.devDependencies),
      ),
    ).toEqual([]);
  });
});
