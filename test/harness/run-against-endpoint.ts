import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports';

/**
 * Runs test files against an AWS endpoint other than the embedded moto: the one LIFELINE_TEST_ENDPOINT gives
 * (LocalStack: http://localhost:4566), or else a moto server this script starts apart, as any other process, so the
 * harness's "not embedded" path is what runs. Files run one after the other: they share the endpoint, and a reset
 * between tests (LIFELINE_TEST_RESET_URL, if the endpoint has one) would reach every file at once.
 *
 *   npm run test:endpoint                                  # the default files against a moto server started apart
 *   npm run test:endpoint -- --no-reset                    # the same, with no reset: tests that need one skip
 *   LIFELINE_TEST_ENDPOINT=http://localhost:4566 \
 *   LIFELINE_TEST_RESET_URL=http://localhost:4566/_localstack/state/reset npm run test:endpoint -- test/cli/cli.test.ts
 */
const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
/** What is proven against an endpoint apart: the CLI end to end, and the backup workflow file. */
const DEFAULT_FILES = ['test/cli/cli.test.ts', 'test/cli/cli-failover.test.ts', 'test/workflows/backup.test.ts'];

async function startMotoApart(): Promise<{ endpoint: string; stop: () => void }> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const python = process.env.LIFELINE_PYTHON ?? 'python3';
  const child: ChildProcess = spawn(python, [join(HERE, 'moto_server.py'), '-H', '127.0.0.1', '-p', String(port)], {
    stdio: 'ignore',
    detached: false,
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${python} test/harness/moto_server.py exited with ${child.exitCode}`);
    try {
      await fetch(endpoint);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`the moto server did not answer on ${endpoint} within 30 s`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return { endpoint, stop: () => child.kill('SIGTERM') };
}

async function main(args: string[]): Promise<number> {
  const noReset = args.includes('--no-reset');
  const files = args.filter((a) => a !== '--no-reset');
  const env: Record<string, string | undefined> = { ...process.env };
  let stop = () => {};
  if (!env.LIFELINE_TEST_ENDPOINT) {
    const moto = await startMotoApart();
    stop = moto.stop;
    env.LIFELINE_TEST_ENDPOINT = moto.endpoint;
    // The operator's knowledge, not the harness's: how this endpoint is reset.
    if (!noReset) env.LIFELINE_TEST_RESET_URL = `${moto.endpoint}/moto-api/reset`;
  }
  if (noReset) delete env.LIFELINE_TEST_RESET_URL;
  console.error(
    `Against ${env.LIFELINE_TEST_ENDPOINT}, ${env.LIFELINE_TEST_RESET_URL ? `reset by POST ${env.LIFELINE_TEST_RESET_URL}` : 'never reset (tests that need a reset skip)'}:`,
  );
  try {
    const vitest = spawn(
      process.execPath,
      [
        join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'),
        'run',
        '--no-file-parallelism',
        ...(files.length ? files : DEFAULT_FILES),
      ],
      { cwd: ROOT, env, stdio: 'inherit' },
    );
    return await new Promise<number>((resolve) => vitest.on('close', (code) => resolve(code ?? 1)));
  } finally {
    stop();
  }
}

process.exitCode = await main(process.argv.slice(2));
