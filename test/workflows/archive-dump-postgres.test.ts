import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DrillCheck } from '../../functions/drill/contracts';
import { runChecks } from '../../functions/drill/run-checks';
import { archivingConfig } from '../fixtures/archive-config';
import { createDrillSecret, createOrdersDatabase } from '../fixtures/production';
import { seedOrders } from '../fixtures/sample-data';
import { ACCOUNT } from '../harness/cloud';
import { LocalDataPlane } from '../harness/data-plane';
import { type LocalAws, startLocalAws } from '../harness/local-aws';
import { POSTGRES_LOGIN, PostgresServer } from '../harness/postgres';
import { latestDrillReport } from '../harness/reports';
import { runWorkflow } from '../harness/run-workflow';
import { restoreDumpCommand } from './restore-dump-command';

const DR = 'eu-west-1';
const BUCKET = `lifeline-archive-${ACCOUNT}-${DR}`;

/**
 * The archive dump of a PostgreSQL drill, end to end against moto and real PostgreSQL 15 servers (the embedded
 * PostgreSQL is newer than this machine's pg_dump, which refuses a newer server): the synthesized drill workflow
 * restores `orders`, checks it and runs the dump task's containers (the task definition's own script, on this
 * machine's pg_dump and AWS CLI, see ecs-task.ts) before the cleanup. Then the documented restore command fetches the
 * custom-format dump, checks its SHA-256 and restores it with pg_restore into a fresh server, where the drill's checks
 * pass.
 */
const h = {} as { aws: LocalAws; plane: LocalDataPlane; production: PostgresServer };
beforeAll(async () => {
  h.production = await PostgresServer.start();
  await h.production.exec('create database orders');
  h.aws = await startLocalAws(archivingConfig(['orders']));
  h.plane = new LocalDataPlane().addPostgres('orders-prod', h.production, 'orders');
}, 240_000);
afterAll(async () => {
  await h.plane?.stop();
  await h.production?.stop();
  await h.aws?.stop();
});
beforeEach(async (test) => {
  await h.aws.fresh(test);
  await createOrdersDatabase(h.aws);
  await createDrillSecret(h.aws, 'orders', POSTGRES_LOGIN);
});

const s3 = () => h.aws.client(S3Client, DR);

const restoreCommand = (args: string[]) => restoreDumpCommand(h.aws, DR, POSTGRES_LOGIN.password, args);

// A backup, a drill and three PostgreSQL servers started in one test: more than the default minute on a loaded machine.
describe('the archive dump of a passing PostgreSQL drill', () => {
  it('dumps the verified restore with pg_dump (custom format) and a SHA-256 manifest, and pg_restore brings it back', async () => {
    // Prepare
    await seedOrders({ exec: (sql: string) => h.production.exec(sql, 'orders') });
    const backup = await runWorkflow(h.aws.cloud, h.aws.cloud.stateMachine('-backup'), { database: 'orders' });
    expect(backup.status, backup.cause).toBe('SUCCEEDED');
    // Act
    const run = await runWorkflow(h.aws.cloud, h.aws.cloud.stateMachine('-drill'), { database: 'orders' });
    // Assess: the drill passed and dumped before the cleanup.
    expect(run.status, run.cause).toBe('SUCCEEDED');
    const report = (await latestDrillReport(h.aws))?.json;
    expect(report?.status).toBe('passed');
    const dumped = run.states.indexOf('Dump orders into the archive');
    expect(dumped).toBeGreaterThan(run.states.indexOf('Check the data'));
    expect(run.states.indexOf('Delete the drill database')).toBeGreaterThan(dumped);
    expect(h.plane.running).toEqual([]);
    const listed = await s3().send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'dumps/orders/' }));
    const keys = (listed.Contents ?? []).flatMap((o) => (o.Key ? [o.Key] : [])).sort();
    expect(keys).toEqual([
      expect.stringMatching(/^dumps\/orders\/\d{4}\/\d{2}\/lifeline-orders-[0-9a-z]+-yearly\.dump$/),
      expect.stringMatching(/^dumps\/orders\/\d{4}\/\d{2}\/lifeline-orders-[0-9a-z]+-yearly\.manifest\.json$/),
    ]);
    const [dumpKey, manifestKey] = keys as [string, string];
    const stored = await s3().send(new GetObjectCommand({ Bucket: BUCKET, Key: manifestKey }));
    const manifest = JSON.parse((await stored.Body?.transformToString()) ?? '{}');
    expect(manifest).toMatchObject({
      file: dumpKey.split('/').pop(),
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      format: 'pg_dump-custom',
      database: 'orders',
      databaseName: 'orders',
      engine: 'postgres',
      tool: expect.stringMatching(/^pg_dump \(PostgreSQL\) \d+/),
      sourceSnapshot: report?.recoveryPoint?.id,
      drillExecution: run.executionArn,
      class: 'yearly',
    });
    const head = await s3().send(new HeadObjectCommand({ Bucket: BUCKET, Key: dumpKey }));
    expect(head.StorageClass).toBe('DEEP_ARCHIVE');

    // The restore command, into a fresh server's empty database, over TLS with a password as on RDS.
    const target = await PostgresServer.start();
    try {
      await target.exec('create database orders');
      const base = ['--bucket', BUCKET, '--key', dumpKey, '--region', DR];
      const requested = await restoreCommand([...base, '--request-restore']);
      expect(requested.code, requested.stderr).toBe(3);
      const restored = await restoreCommand([
        ...base,
        '--host',
        '127.0.0.1',
        '--port',
        String(target.port),
        '--user',
        POSTGRES_LOGIN.username,
        '--database',
        'orders',
        '--tls',
      ]);
      expect(restored.code, restored.stderr).toBe(0);
      expect(restored.stdout).toContain(`verified (sha256 ${manifest.sha256}, ${manifest.size} bytes)`);
      const checks = h.aws.app.config.databases.find((db) => db.id === 'orders')?.drill?.checks as DrillCheck[];
      const result = await runChecks(
        { host: '127.0.0.1', port: target.port, ...POSTGRES_LOGIN, user: POSTGRES_LOGIN.username, database: 'orders' },
        checks,
        { engine: 'postgres', recoveryPointTime: String(report?.recoveryPoint?.time), rpoObjectiveSeconds: 86_400 },
      );
      expect(result.connectError).toBeUndefined();
      expect(result.results.map((c) => [c.name, c.passed])).toEqual([
        ['rowCount:orders', true],
        ['freshness:orders.created_at', true],
        ['canary:lifeline_canary', true],
      ]);
      expect(await target.exec('select count(*) from orders', 'orders')).toBe('500\n');
    } finally {
      await target.stop();
    }
  }, 180_000);
});
