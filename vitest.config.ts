import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The Lambda bundles are built once for the whole run (test/harness/bundle-once.ts).
    globalSetup: ['test/harness/bundle-once.ts'],
    // Handler tests run the sources in this process: their logs stay quiet unless something is wrong.
    // Handlers log at ERROR what an operator must see; a passing test prints none of it.
    env: { POWERTOOLS_LOG_LEVEL: 'SILENT' },
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Workflow tests share one moto server per worker; two cores, two workers.
    maxWorkers: 2,
  },
});
