import { createServer } from 'node:net';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { PostgresTls } from './postgres-tls';
import { interceptEveryProxy, type WireCall, type WireResponse } from './wire';

/**
 * A data plane for moto's RDS, which has none: the production database is an embedded PostgreSQL;
 * a snapshot keeps a dump of it under the snapshot's region and id, a copy carries the dump to its
 * region, a restore starts a new embedded PostgreSQL from it behind a socket with TLS (as RDS, see postgres-tls.ts),
 * and the restored instance's endpoint (as DescribeDBInstances reports it) points there. A delete stops it.
 */
export class LocalDataPlane {
  private readonly dumps = new Map<string, Blob>();
  private readonly clusters = new Map<string, Blob | undefined>();
  private readonly restored = new Map<
    string,
    { server?: PGLiteSocketServer; db?: PGlite; tls?: PostgresTls; port: number }
  >();
  private readonly forget: () => void;
  /** Restores that should come up with nothing listening (a database the checks cannot reach). */
  unreachable = false;

  constructor(readonly source: PGlite) {
    this.forget = interceptEveryProxy({ after: (call, response) => this.observe(call, response) });
  }

  static async start(seed: (db: PGlite) => Promise<void>): Promise<LocalDataPlane> {
    const db = await PGlite.create();
    await seed(db);
    return new LocalDataPlane(db);
  }

  /** Instances whose embedded PostgreSQL is still running. */
  get running(): string[] {
    return [...this.restored.entries()].filter(([, r]) => r.server).map(([id]) => id);
  }

  async stop(): Promise<void> {
    this.forget();
    for (const id of [...this.restored.keys()]) await this.shutdown(id);
    await this.source.close();
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
          await this.source.dumpDataDir('gzip'),
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
          const endpoint = `<Endpoint><Address>127.0.0.1</Address><Port>${restored.port}</Port></Endpoint>`;
          return /<Endpoint>[\s\S]*?<\/Endpoint>/.test(inner)
            ? whole.replace(/<Endpoint>[\s\S]*?<\/Endpoint>/, endpoint)
            : whole.replace('</DBInstance>', `${endpoint}</DBInstance>`);
        });
        break;
      case 'DeleteDBInstance':
        await this.shutdown(String(input.DBInstanceIdentifier));
        break;
    }
  }

  private async restore(instanceId: string, dump: Blob | undefined): Promise<void> {
    const port = await freePort();
    if (!dump || this.unreachable) {
      this.restored.set(instanceId, { port });
      return;
    }
    const db = await PGlite.create({ loadDataDir: dump });
    const server = new PGLiteSocketServer({ db, port: 0, host: '127.0.0.1' });
    await server.start();
    const plain = { host: '127.0.0.1', port: Number(server.getServerConn().split(':').at(-1)) };
    const tls = await PostgresTls.front(plain, { port });
    this.restored.set(instanceId, { server, db, tls, port });
  }

  private async shutdown(instanceId: string): Promise<void> {
    const restored = this.restored.get(instanceId);
    if (!restored?.server) return;
    await restored.tls?.stop();
    await restored.server.stop();
    await restored.db?.close();
    this.restored.set(instanceId, { port: restored.port });
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
