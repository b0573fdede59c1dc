import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants, cpSync, existsSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './ports';
import {
  certificateOfAnotherName,
  type ServerCertificate,
  trustedCertificate,
  untrustedCertificate,
} from './postgres-tls';

/**
 * A real MariaDB server for the MySQL-family checks and the local data plane: Debian's `mariadb-server`, run as a
 * user-level process on a free loopback port with its own data directory, removed when it stops. As on RDS, clients
 * must use TLS (require_secure_transport); the certificate is signed by the harness's CA, which this process trusts
 * (see postgres-tls.ts). The harness itself talks to the server over its Unix socket, which needs no TLS.
 */

const run = promisify(execFile);

/** The login every server of the harness has, with every privilege (as an RDS master user). */
export const MARIADB_LOGIN = { username: 'lifeline', password: 'fixture-password' } as const;

export const MARIADB_INSTALL_HINT =
  'mariadbd is needed for the MySQL-family tests and was not found: as root run  apt-get update && apt-get install -y mariadb-server  (.ci/run does this in CI)';

const SEARCH_PATH = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin'];

/** A program from the PATH or, as Debian puts the server, from /usr/sbin; missing, an error says how to install it. */
export function program(name: string, dirs: readonly string[] = SEARCH_PATH): string {
  for (const dir of dirs) {
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {}
  }
  throw new Error(name === 'mariadbd' ? MARIADB_INSTALL_HINT : `${name} not found: ${MARIADB_INSTALL_HINT}`);
}

export interface MariaDbOptions {
  /**
   * The server's TLS: `trusted` (a certificate of the harness's CA, and plain connections refused), `untrusted`
   * (self-signed, which a verifying client refuses), `another-name` (of the harness's CA, for another host name only),
   * or `none` (the server speaks no TLS).
   * @default 'trusted'
   */
  readonly tls?: 'trusted' | 'untrusted' | 'another-name' | 'none';
  /** The server's default time zone (`default-time-zone`). @default '+00:00', as RDS */
  readonly timeZone?: string;
}

let template: Promise<string> | undefined;

/** Small and quick: two cores are shared by every test worker (also given to mariadb-install-db, so the logs match). */
const LEAN = [
  '--innodb-buffer-pool-size=16M',
  '--innodb-log-file-size=8M',
  '--performance-schema=OFF',
  '--skip-log-bin',
];

const TEMPLATE_SETUP = `
  delete from mysql.global_priv where user = '';
  flush privileges;
  create user '${MARIADB_LOGIN.username}'@'%' identified by '${MARIADB_LOGIN.password}';
  grant all privileges on *.* to '${MARIADB_LOGIN.username}'@'%' with grant option;
`;

/**
 * A data directory copied for each server, with the harness's login and no anonymous users: mariadb-install-db takes
 * seconds, a copy does not. Made once for a version of mariadbd and this setup, under the temporary directory, and
 * kept for later runs (every server's own copy is removed when it stops).
 */
function templateDataDir(): Promise<string> {
  template ??= (async () => {
    const installer = program('mariadb-install-db');
    const { stdout: version } = await run(program('mariadbd'), ['--version']);
    const key = createHash('sha256').update(version).update(TEMPLATE_SETUP).update(LEAN.join(' ')).digest('hex');
    const data = join(tmpdir(), `lifeline-mariadb-template-${key.slice(0, 16)}`);
    if (existsSync(join(data, 'mysql'))) return data;
    // Built aside and renamed into place, so a concurrent test worker never copies a half-made one.
    const dir = mkdtempSync(join(tmpdir(), 'lifeline-mariadb-build-'));
    try {
      await run(installer, [
        '--no-defaults',
        `--datadir=${join(dir, 'data')}`,
        '--auth-root-authentication-method=normal',
        '--user=root',
        '--skip-test-db',
        ...LEAN,
      ]);
      const server = await MariaDb.on(join(dir, 'data'), { tls: 'none' }, false);
      await server.exec(TEMPLATE_SETUP);
      await server.stop();
      try {
        renameSync(join(dir, 'data'), data);
      } catch (error) {
        // Another worker was quicker: its template is as good.
        if (!existsSync(join(data, 'mysql'))) throw error;
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    return data;
  })();
  return template;
}

export class MariaDb {
  private constructor(
    private readonly process: ChildProcess,
    private readonly dir: string,
    private readonly remove: boolean,
    readonly port: number,
    private readonly exited: Promise<void>,
  ) {}

  /** A fresh server with no databases but the system ones. */
  static async start(options: MariaDbOptions = {}): Promise<MariaDb> {
    const source = await templateDataDir();
    const dir = mkdtempSync(join(tmpdir(), 'lifeline-mariadb-'));
    cpSync(source, join(dir, 'data'), { recursive: true });
    return MariaDb.on(join(dir, 'data'), options);
  }

  /** Starts mariadbd on `data`; its parent directory holds the socket and certificate, and is removed on stop unless `remove` is false. */
  static async on(data: string, options: MariaDbOptions = {}, remove = true): Promise<MariaDb> {
    const dir = join(data, '..');
    const port = await freePort();
    const args = [
      '--no-defaults',
      `--datadir=${data}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      `--socket=${join(dir, 's.sock')}`,
      `--pid-file=${join(dir, 'mariadbd.pid')}`,
      '--user=root',
      // Names as the client gives them: no lookups of 127.0.0.1, no anonymous user matching first.
      '--skip-name-resolve',
      ...LEAN,
      `--default-time-zone=${options.timeZone ?? '+00:00'}`,
    ];
    const tls = options.tls ?? 'trusted';
    if (tls !== 'none') {
      const certificate: ServerCertificate = await {
        trusted: trustedCertificate,
        untrusted: untrustedCertificate,
        'another-name': certificateOfAnotherName,
      }[tls]();
      writeFileSync(join(dir, 'key.pem'), certificate.key, { mode: 0o600 });
      writeFileSync(join(dir, 'cert.pem'), certificate.cert);
      args.push(
        `--ssl-key=${join(dir, 'key.pem')}`,
        `--ssl-cert=${join(dir, 'cert.pem')}`,
        '--require-secure-transport=ON',
      );
    }
    const child = spawn(program('mariadbd'), args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let output = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const server = new MariaDb(child, dir, remove, port, exited);
    try {
      await server.ready(() => output);
    } catch (error) {
      await server.stop();
      throw error;
    }
    return server;
  }

  get socket(): string {
    return join(this.dir, 's.sock');
  }

  /** Runs SQL as root over the socket with the mariadb client; returns what it prints (tab-separated, no headers). */
  async exec(sql: string, database?: string): Promise<string> {
    const { stdout } = await run(
      program('mariadb'),
      [...this.clientArgs(), '-N', '-B', '-e', sql, ...(database ? [database] : [])],
      {
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    return stdout;
  }

  /** A logical dump of `database` (mariadb-dump), what a snapshot of it keeps locally. */
  async dump(database: string): Promise<string> {
    const { stdout } = await run(
      program('mariadb-dump'),
      [...this.clientArgs(), '--single-transaction', '--routines', '--triggers', '--databases', database],
      { maxBuffer: 512 * 1024 * 1024 },
    );
    return stdout;
  }

  /** Loads a dump made by `dump`. */
  async load(dump: string): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const client = spawn(program('mariadb'), this.clientArgs(), { stdio: ['pipe', 'ignore', 'pipe'] });
      let errors = '';
      client.stderr.on('data', (chunk: Buffer) => {
        errors += chunk.toString();
      });
      client.once('error', reject);
      client.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`loading the dump failed: ${errors}`))));
      client.stdin.end(dump);
    });
  }

  /** Stops the server and removes its directory. */
  async stop(): Promise<void> {
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill('SIGTERM');
    const killed = setTimeout(() => this.process.kill('SIGKILL'), 20_000);
    await this.exited;
    clearTimeout(killed);
    if (this.remove) rmSync(this.dir, { recursive: true, force: true });
  }

  private clientArgs(): string[] {
    return ['--no-defaults', `--socket=${this.socket}`, '--user=root'];
  }

  /** Waits until the server accepts TCP connections, or says why it could not start. */
  private async ready(output: () => string): Promise<void> {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (this.process.exitCode !== null || this.process.signalCode !== null)
        throw new Error(`mariadbd exited before it was ready:\n${output()}`);
      if (await accepts(this.port)) {
        // The socket comes up with the TCP port; the client needs it too.
        try {
          await this.exec('select 1');
          return;
        } catch {}
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`mariadbd did not accept connections on port ${this.port} within 60 s:\n${output()}`);
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
