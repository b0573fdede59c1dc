import { join } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { ESBUILD_OPTIONS, PROJECT_ROOT } from '../../infra/constructs/lifeline-function';

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
