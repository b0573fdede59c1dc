import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports';

/** A moto server on a free loopback port, started for a test file and stopped after it. */
export interface Moto {
  readonly endpoint: string;
  /** Forgets every resource (POST /moto-api/reset). */
  reset(): Promise<void>;
  /** Turns IAM enforcement on after the next `initialCalls` unauthenticated calls (POST /moto-api/reset-auth). */
  resetAuth(initialCalls: number): Promise<void>;
  stop(): Promise<void>;
}

const INSTALL_HINT =
  'moto server is needed for the workflow tests: install it with  pip install "moto[server]"  (Python 3.9+)';

export async function startMoto(python?: string): Promise<Moto> {
  return (await launchMoto(python))();
}

/**
 * Starts moto's process and returns at once with a function that waits until it answers: the caller can do other
 * work (synthesize) while Python boots.
 */
export async function launchMoto(python = process.env.LIFELINE_PYTHON ?? 'python3'): Promise<() => Promise<Moto>> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  let output = '';
  let exited: string | undefined;
  // moto's own server, plus the cross-account snapshot copy moto lacks (see moto_server.py).
  const server = join(dirname(fileURLToPath(import.meta.url)), 'moto_server.py');
  const child: ChildProcess = spawn(python, [server, '-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
  });
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  child.on('error', (error) => (exited = `${python} could not be started (${error.message})`));
  child.on('exit', (code) => (exited ??= `moto server exited with code ${code}`));

  return async () => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (exited) {
        const missing = /No module named|ModuleNotFoundError|could not be started/.test(`${exited} ${output}`);
        throw new Error(missing ? `${INSTALL_HINT}\n${output.trim()}` : `${exited}:\n${output.trim()}`);
      }
      try {
        const res = await fetch(`${endpoint}/moto-api/data.json`);
        if (res.ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`moto server did not answer on ${endpoint} within 30 s:\n${output.trim()}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }

    return {
      endpoint,
      async reset() {
        const res = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
        if (!res.ok) throw new Error(`moto reset failed: ${res.status}`);
      },
      async resetAuth(initialCalls) {
        const res = await fetch(`${endpoint}/moto-api/reset-auth`, { method: 'POST', body: String(initialCalls) });
        if (!res.ok) throw new Error(`moto reset-auth failed: ${res.status}`);
      },
      async stop() {
        if (child.exitCode !== null) return;
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([gone, new Promise((r) => setTimeout(r, 3000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      },
    };
  };
}
