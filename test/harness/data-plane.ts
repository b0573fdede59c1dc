import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { MariaDb } from './mariadb';
import { freePort } from './ports';
import { PostgresServer } from './postgres';
import { PostgresTls } from './postgres-tls';
import { interceptEveryProxy, type WireCall, type WireResponse } from './wire';

/**
 * What a snapshot keeps: PGlite's data directory, a MySQL-family database as mariadb-dump writes it, or a database of
 * a real PostgreSQL server as pg_dump writes it.
 */
type Dump =
  | { readonly engine: 'postgres'; readonly data: Blob }
  | { readonly engine: 'mysql'; readonly sql: string }
  | { readonly engine: 'postgres-server'; readonly sql: string; readonly database: string };

interface Restored {
  readonly port: number;
  /** What DescribeDBInstances gives as the endpoint's address: a name for MySQL, whose clients verify one. */
  readonly host: string;
  server?: PGLiteSocketServer;
  db?: PGlite;
  tls?: PostgresTls;
  mariadb?: MariaDb;
  postgres?: PostgresServer;
}

/**
 * A data plane for moto's RDS, which has none. The production database is an embedded PostgreSQL, or for a MySQL-family
 * instance or cluster (`addMysql`) a MariaDB server, or (`addPostgres`) a real PostgreSQL server. A snapshot keeps a
 * dump of it under the snapshot's region and id (PGlite's data directory; mariadb-dump's or pg_dump's SQL), a copy
 * carries the dump to its region, and a restore starts a new database from it: an embedded PostgreSQL behind a socket
 * with TLS (as RDS, see postgres-tls.ts), or a fresh MariaDB or PostgreSQL server (its own data directory and port,
 * TLS required) with the dump loaded. The restored instance's endpoint (as
 * DescribeDBInstances reports it) points there. A delete stops it.
 */
export class LocalDataPlane {
  private readonly dumps = new Map<string, Dump>();
  private readonly clusters = new Map<string, Dump | undefined>();
  private readonly restored = new Map<string, Restored>();
  private readonly mysql = new Map<string, { readonly server: MariaDb; readonly database: string }>();
  private readonly postgresServers = new Map<string, { readonly server: PostgresServer; readonly database: string }>();
  private readonly forget: () => void;
  /** Restores that should come up with nothing listening (a database the checks cannot reach). */
  unreachable = false;

  constructor(private readonly postgres?: PGlite) {
    this.forget = interceptEveryProxy({ after: (call, response) => this.observe(call, response) });
  }

  static async start(seed: (db: PGlite) => Promise<void>): Promise<LocalDataPlane> {
    const db = await PGlite.create();
    await seed(db);
    return new LocalDataPlane(db);
  }

  /** The production PostgreSQL: what a snapshot of any database not added with `addMysql` dumps. */
  get source(): PGlite {
    if (!this.postgres) throw new Error('this data plane has no PostgreSQL source: start it with LocalDataPlane.start');
    return this.postgres;
  }

  /**
   * Makes `server` the production database of the RDS instance or cluster `identifier`: its snapshots dump `database`.
   * The caller owns the server (starts, seeds and stops it).
   */
  addMysql(identifier: string, server: MariaDb, database: string): this {
    this.mysql.set(identifier.toLowerCase(), { server, database });
    return this;
  }

  /**
   * Makes a real PostgreSQL `server` the production database of `identifier` (for what the embedded one cannot do,
   * such as a dump by this machine's pg_dump): its snapshots dump `database`, and a restore starts a fresh server
   * with it. The caller owns the server.
   */
  addPostgres(identifier: string, server: PostgresServer, database: string): this {
    this.postgresServers.set(identifier.toLowerCase(), { server, database });
    return this;
  }

  /** Instances whose restored database is still running. */
  get running(): string[] {
    return [...this.restored.entries()].filter(([, r]) => r.server || r.mariadb || r.postgres).map(([id]) => id);
  }

  async stop(): Promise<void> {
    this.forget();
    for (const id of [...this.restored.keys()]) await this.shutdown(id);
    await this.postgres?.close();
  }

  /** A dump of the production database of `identifier`, as a snapshot of it keeps. */
  private async dumpOf(identifier: string): Promise<Dump> {
    const mysql = this.mysql.get(identifier.toLowerCase());
    if (mysql) return { engine: 'mysql', sql: await mysql.server.dump(mysql.database) };
    const postgres = this.postgresServers.get(identifier.toLowerCase());
    if (postgres)
      return {
        engine: 'postgres-server',
        sql: await postgres.server.dump(postgres.database),
        database: postgres.database,
      };
    return { engine: 'postgres', data: await this.source.dumpDataDir('gzip') };
  }

  /** What the data plane does with moto's RDS calls, seen on the wire (parameters as sent, the region signed). */
  private async observe(call: WireCall, response: WireResponse): Promise<void> {
    if (call.service !== 'rds' || response.status >= 300) return;
    const input = call.params;
    const region = call.region;
    switch (call.action) {
      case 'CreateDBSnapshot':
      case 'CreateDBClusterSnapshot':
        this.dumps.set(
          `${region}/${input.DBSnapshotIdentifier ?? input.DBClusterSnapshotIdentifier}`,
          await this.dumpOf(String(input.DBInstanceIdentifier ?? input.DBClusterIdentifier)),
        );
        break;
      case 'CopyDBSnapshot':
      case 'CopyDBClusterSnapshot': {
        const source = String(input.SourceDBSnapshotIdentifier ?? input.SourceDBClusterSnapshotIdentifier);
        const [sourceRegion, sourceId] = source.startsWith('arn:')
          ? [source.split(':')[3], source.split(':').pop()]
          : [region, source];
        const dump = this.dumps.get(`${sourceRegion}/${sourceId}`);
        const target = input.TargetDBSnapshotIdentifier ?? input.TargetDBClusterSnapshotIdentifier;
        if (dump) this.dumps.set(`${region}/${target}`, dump);
        break;
      }
      case 'RestoreDBInstanceFromDBSnapshot':
        await this.restore(
          String(input.DBInstanceIdentifier),
          this.dumps.get(`${region}/${input.DBSnapshotIdentifier}`),
        );
        break;
      // A restored cluster holds the data; the instance added to it serves it.
      case 'RestoreDBClusterFromSnapshot':
        this.clusters.set(String(input.DBClusterIdentifier), this.dumps.get(`${region}/${input.SnapshotIdentifier}`));
        break;
      case 'CreateDBInstance':
        if (input.DBClusterIdentifier && this.clusters.has(String(input.DBClusterIdentifier)))
          await this.restore(String(input.DBInstanceIdentifier), this.clusters.get(String(input.DBClusterIdentifier)));
        break;
      case 'DescribeDBInstances':
        response.body = response.body.replace(/<DBInstance>([\s\S]*?)<\/DBInstance>/g, (whole, inner: string) => {
          const id = /<DBInstanceIdentifier>([^<]+)<\/DBInstanceIdentifier>/.exec(inner)?.[1];
          const restored = id && this.restored.get(id);
          if (!restored) return whole;
          const endpoint = `<Endpoint><Address>${restored.host}</Address><Port>${restored.port}</Port></Endpoint>`;
          return /<Endpoint>[\s\S]*?<\/Endpoint>/.test(inner)
            ? whole.replace(/<Endpoint>[\s\S]*?<\/Endpoint>/, endpoint)
            : whole.replace('</DBInstance>', `${endpoint}</DBInstance>`);
        });
        break;
      case 'DeleteDBInstance':
        await this.shutdown(String(input.DBInstanceIdentifier));
        break;
      // A read replica holds the source's data as it is now (replication without lag), and keeps serving it once
      // promoted; a point-in-time restore of a source instance gives its data as it is now (moto keeps no log).
      case 'CreateDBInstanceReadReplica':
        await this.restore(
          String(input.DBInstanceIdentifier),
          await this.dumpOf(String(input.SourceDBInstanceIdentifier).split(':').pop() as string),
        );
        break;
      case 'RestoreDBInstanceToPointInTime':
        if (input.SourceDBInstanceIdentifier)
          await this.restore(
            String(input.TargetDBInstanceIdentifier),
            await this.dumpOf(String(input.SourceDBInstanceIdentifier)),
          );
        break;
    }
  }

  private async restore(instanceId: string, dump: Dump | undefined): Promise<void> {
    const host = dump?.engine === 'mysql' ? 'localhost' : '127.0.0.1';
    if (!dump || this.unreachable) {
      this.restored.set(instanceId, { port: await freePort(), host });
      return;
    }
    if (dump.engine === 'mysql') {
      const mariadb = await MariaDb.start();
      await mariadb.load(dump.sql);
      this.restored.set(instanceId, { mariadb, port: mariadb.port, host });
      return;
    }
    if (dump.engine === 'postgres-server') {
      const postgres = await PostgresServer.start();
      await postgres.load(dump.database, dump.sql);
      this.restored.set(instanceId, { postgres, port: postgres.port, host });
      return;
    }
    const port = await freePort();
    const db = await PGlite.create({ loadDataDir: dump.data });
    const server = new PGLiteSocketServer({ db, port: 0, host: '127.0.0.1' });
    await server.start();
    const plain = { host: '127.0.0.1', port: Number(server.getServerConn().split(':').at(-1)) };
    const tls = await PostgresTls.front(plain, { port });
    this.restored.set(instanceId, { server, db, tls, port, host });
  }

  private async shutdown(instanceId: string): Promise<void> {
    const restored = this.restored.get(instanceId);
    if (!restored) return;
    if (restored.mariadb) await restored.mariadb.stop();
    if (restored.postgres) await restored.postgres.stop();
    if (restored.server) {
      await restored.tls?.stop();
      await restored.server.stop();
      await restored.db?.close();
    }
    this.restored.set(instanceId, { port: restored.port, host: restored.host });
  }
}
