import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  accessSync,
  chmodSync,
  chownSync,
  constants,
  cpSync,
  existsSync,
  mkdtempSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './ports';
import { trustedCertificate } from './postgres-tls';

/**
 * A real PostgreSQL server, where the embedded one cannot serve: the dump tools (pg_dump, pg_restore) of this machine
 * are Debian's PostgreSQL 15, and refuse a server newer than themselves, which the embedded PostgreSQL is. Debian's
 * `postgresql` server runs as a user-level process on a free loopback port with its own data directory, removed when
 * it stops; as root, it runs as the `postgres` user (the server refuses root). As on RDS, TCP clients must use TLS
 * (a certificate of the harness's CA, see postgres-tls.ts) and a password; the harness itself uses the Unix socket.
 */

const run = promisify(execFile);

/** The login every server of the harness has, a superuser (as an RDS master user). */
export const POSTGRES_LOGIN = { username: 'lifeline', password: 'fixture-password' } as const;

const BIN_DIRS = ['/usr/lib/postgresql/15/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/17/bin'];

export const POSTGRES_INSTALL_HINT =
  'the PostgreSQL server is needed for the PostgreSQL archive-dump test and was not found: as root run  apt-get update && apt-get install -y postgresql  (.ci/system-packages does this in CI)';

/** The server's programs (initdb, postgres) from Debian's versioned directory; missing, an error says how to install. */
export function serverProgram(name: 'initdb' | 'postgres'): string {
  for (const dir of BIN_DIRS) {
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {}
  }
  throw new Error(POSTGRES_INSTALL_HINT);
}

/** Whether this machine can run the server (the test that needs it says why it does not run otherwise). */
export function postgresServerAvailable(): boolean {
  try {
    serverProgram('postgres');
    return true;
  } catch {
    return false;
  }
}

/** As root, the server and initdb run as `postgres`, and what they own is handed to that user. */
const asRoot = process.getuid?.() === 0;
const serverUser = async (): Promise<{ uid: number; gid: number } | undefined> => {
  if (!asRoot) return undefined;
  const [{ stdout: uid }, { stdout: gid }] = await Promise.all([
    run('id', ['-u', 'postgres']),
    run('id', ['-g', 'postgres']),
  ]);
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
};

function own(path: string, user: { uid: number; gid: number } | undefined): void {
  if (!user) return;
  chownSync(path, user.uid, user.gid);
}

/** A command run as the server's user: setpriv execs it in place, so signals reach the server itself. */
function asServerUser(program: string, args: string[]): [string, string[]] {
  if (!asRoot) return [program, args];
  return ['setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', '--', program, ...args]];
}

/** Small and quick: two cores are shared by every test worker; durability is not what is tested. */
const LEAN = [
  'shared_buffers=16MB',
  'fsync=off',
  'synchronous_commit=off',
  'full_page_writes=off',
  'max_connections=20',
];

let template: Promise<string> | undefined;

/** An initdb'd data directory with the harness's login, made once per server version and copied for each server. */
function templateDataDir(): Promise<string> {
  template ??= (async () => {
    const { stdout: version } = await run(serverProgram('postgres'), ['--version']);
    const key = createHash('sha256').update(version).update(POSTGRES_LOGIN.username).digest('hex').slice(0, 16);
    const data = join(tmpdir(), `lifeline-postgres-template-${key}`);
    if (existsSync(join(data, 'PG_VERSION'))) return data;
    const user = await serverUser();
    // Built aside and renamed into place, so a concurrent test worker never copies a half-made one.
    const dir = mkdtempSync(join(tmpdir(), 'lifeline-postgres-build-'));
    own(dir, user);
    try {
      const pwfile = join(dir, 'pw');
      writeFileSync(pwfile, POSTGRES_LOGIN.password, { mode: 0o600 });
      own(pwfile, user);
      const [program, args] = asServerUser(serverProgram('initdb'), [
        `--pgdata=${join(dir, 'data')}`,
        `--username=${POSTGRES_LOGIN.username}`,
        `--pwfile=${pwfile}`,
        '--auth-local=trust',
        '--auth-host=scram-sha-256',
        '--encoding=UTF8',
        '--locale=C',
        '--no-sync',
      ]);
      await run(program, args);
      // Over TCP only TLS with a password, as RDS with rds.force_ssl; the harness's own socket needs neither.
      writeFileSync(
        join(dir, 'data', 'pg_hba.conf'),
        'local all all trust\nhostssl all all 127.0.0.1/32 scram-sha-256\n',
      );
      try {
        renameSync(join(dir, 'data'), data);
      } catch (error) {
        if (!existsSync(join(data, 'PG_VERSION'))) throw error;
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    return data;
  })();
  return template;
}

export class PostgresServer {
  private constructor(
    private readonly process: ChildProcess,
    private readonly dir: string,
    readonly port: number,
    private readonly exited: Promise<void>,
  ) {}

  /** A fresh server with only the `postgres` database (and the templates). */
  static async start(): Promise<PostgresServer> {
    const source = await templateDataDir();
    const user = await serverUser();
    const dir = mkdtempSync(join(tmpdir(), 'lifeline-postgres-'));
    const data = join(dir, 'data');
    cpSync(source, data, { recursive: true });
    chmodSync(data, 0o700);
    const certificate = await trustedCertificate();
    writeFileSync(join(dir, 'key.pem'), certificate.key, { mode: 0o600 });
    writeFileSync(join(dir, 'cert.pem'), certificate.cert);
    if (user) await run('chown', ['-R', `${user.uid}:${user.gid}`, dir]);
    const port = await freePort();
    const settings = [
      `port=${port}`,
      'listen_addresses=127.0.0.1',
      `unix_socket_directories=${dir}`,
      'ssl=on',
      `ssl_cert_file=${join(dir, 'cert.pem')}`,
      `ssl_key_file=${join(dir, 'key.pem')}`,
      'timezone=UTC',
      ...LEAN,
    ];
    const [program, args] = asServerUser(serverProgram('postgres'), [
      '-D',
      data,
      ...settings.flatMap((s) => ['-c', s]),
    ]);
    const child = spawn(program, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let output = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const server = new PostgresServer(child, dir, port, exited);
    try {
      await server.ready(() => output);
    } catch (error) {
      await server.stop();
      throw error;
    }
    return server;
  }

  /** Runs `sql` (several statements may follow each other) in `database`; stops at the first error. */
  async exec(sql: string, database = 'postgres'): Promise<string> {
    return this.psql(['--dbname', database], sql);
  }

  /** A plain-SQL logical dump of `database` (pg_dump), what a snapshot of it keeps locally. */
  async dump(database: string): Promise<string> {
    const { stdout } = await run(
      'pg_dump',
      ['--host', this.dir, '--port', String(this.port), '--username', POSTGRES_LOGIN.username, '--no-owner', database],
      { maxBuffer: 256 * 1024 * 1024 },
    );
    return stdout;
  }

  /** Creates `database` and loads a plain-SQL dump into it. */
  async load(database: string, dump: string): Promise<void> {
    await this.exec(`create database "${database}"`);
    await this.psql(['--dbname', database], dump);
  }

  async stop(): Promise<void> {
    // SIGINT: a fast shutdown (open sessions are ended), not a smart one that waits for them.
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill('SIGINT');
    await this.exited;
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async psql(args: string[], input: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = spawn(
        'psql',
        [
          '--host',
          this.dir,
          '--port',
          String(this.port),
          '--username',
          POSTGRES_LOGIN.username,
          '--no-psqlrc',
          '--quiet',
          '--tuples-only',
          '--no-align',
          '--set',
          'ON_ERROR_STOP=1',
          ...args,
        ],
        { stdio: ['pipe', 'pipe', 'pipe'] },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => {
        stdout += c.toString();
      });
      child.stderr.on('data', (c: Buffer) => {
        stderr += c.toString();
      });
      child.once('error', reject);
      child.once('exit', (code) =>
        code === 0 ? resolve(stdout) : reject(new Error(`psql exited ${code}: ${stderr.trim().slice(-2000)}`)),
      );
      child.stdin.end(input);
    });
  }

  private async ready(output: () => string): Promise<void> {
    for (let i = 0; i < 200; i++) {
      if (this.process.exitCode !== null) throw new Error(`postgres exited: ${output().trim()}`);
      try {
        await this.exec('select 1');
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    throw new Error(`postgres did not start within 10 s: ${output().trim()}`);
  }
}
