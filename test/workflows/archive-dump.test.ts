import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DrillCheck } from '../../functions/drill/contracts';
import { runChecks } from '../../functions/drill/run-checks';
import { archivingConfig } from '../fixtures/archive-config';
import { createDrillSecret, createShopDatabase } from '../fixtures/production';
import { seedShop } from '../fixtures/sample-data';
import { ACCOUNT } from '../harness/cloud';
import { LocalDataPlane } from '../harness/data-plane';
import { failWith } from '../harness/faults';
import { type LocalAws, startLocalAws } from '../harness/local-aws';
import { MARIADB_LOGIN, MariaDb } from '../harness/mariadb';
import { latestDrillReport } from '../harness/reports';
import { runWorkflow } from '../harness/run-workflow';
import { restoreDumpCommand } from './restore-dump-command';

const DR = 'eu-west-1';
const BUCKET = `lifeline-archive-${ACCOUNT}-${DR}`;

/**
 * The archive dump of a drill, end to end against moto and real MariaDB servers: the synthesized drill workflow
 * restores the shop database, checks it, plans the dump and runs the dump task's containers (the same script the task
 * definition inlines, on this machine's mariadb-dump and AWS CLI, see ecs-task.ts) before the cleanup; the dump and
 * its manifest land in the archive bucket's replica. Then the documented restore command fetches it, checks its
 * SHA-256 and loads it into a fresh server, where the drill's own checks pass.
 */
const h = {} as { aws: LocalAws; plane: LocalDataPlane; production: MariaDb };
beforeAll(async () => {
  h.production = await MariaDb.start();
  h.aws = await startLocalAws(archivingConfig(['shop']));
  h.plane = new LocalDataPlane().addMysql('shop-prod', h.production, 'shop');
}, 240_000);
afterAll(async () => {
  await h.plane?.stop();
  await h.production?.stop();
  await h.aws?.stop();
});
beforeEach(async (test) => {
  await h.aws.fresh(test);
  await createShopDatabase(h.aws);
  await createDrillSecret(h.aws, 'shop', MARIADB_LOGIN);
});

const s3 = () => h.aws.client(S3Client, DR);

async function archived(): Promise<string[]> {
  const listed = await s3().send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'dumps/shop/' }));
  return (listed.Contents ?? []).flatMap((o) => (o.Key ? [o.Key] : [])).sort();
}

async function backupAndDrill(faults: Parameters<typeof runWorkflow>[3] = {}) {
  await seedShop(h.production);
  const backup = await runWorkflow(h.aws.cloud, h.aws.cloud.stateMachine('-backup'), { database: 'shop' });
  expect(backup.status, backup.cause).toBe('SUCCEEDED');
  const dr = h.aws.app.templates.dr;
  if (!dr) throw new Error('no DR stack');
  const alertsTopic = Object.keys(dr.template.Resources).find((id) => /^Alerts[0-9A-F]{8}$/.test(id)) ?? '';
  const alerts = await h.aws.subscribe(h.aws.cloud.physicalId(dr, alertsTopic), DR);
  const run = await runWorkflow(h.aws.cloud, h.aws.cloud.stateMachine('-drill'), { database: 'shop' }, faults);
  return { run, alerts: await alerts(), report: (await latestDrillReport(h.aws))?.json };
}

const restoreCommand = (args: string[]) => restoreDumpCommand(h.aws, DR, MARIADB_LOGIN.password, args);

describe('the archive dump of a passing drill', () => {
  it('dumps the verified restore with a SHA-256 manifest, into Deep Archive, and the restore command brings it back', async () => {
    // Act
    const { run, report, alerts } = await backupAndDrill();
    // Assess: the drill passed, dumped before the cleanup, and nothing alerted.
    expect(run.status, run.cause).toBe('SUCCEEDED');
    expect(report?.status).toBe('passed');
    expect(alerts, alerts[0]?.Message).toEqual([]);
    const dumped = run.states.indexOf('Dump shop into the archive');
    expect(dumped).toBeGreaterThan(run.states.indexOf('Check the data'));
    expect(run.states.indexOf('Delete the drill database')).toBeGreaterThan(dumped);
    expect(h.plane.running).toEqual([]);
    const keys = await archived();
    expect(keys).toEqual([
      expect.stringMatching(/^dumps\/shop\/\d{4}\/\d{2}\/lifeline-shop-[0-9a-z]+-yearly\.manifest\.json$/),
      expect.stringMatching(/^dumps\/shop\/\d{4}\/\d{2}\/lifeline-shop-[0-9a-z]+-yearly\.sql$/),
    ]);
    const [manifestKey, dumpKey] = keys as [string, string];
    const stored = await s3().send(new GetObjectCommand({ Bucket: BUCKET, Key: manifestKey }));
    const manifest = JSON.parse((await stored.Body?.transformToString()) ?? '{}');
    expect(manifest).toMatchObject({
      file: dumpKey.split('/').pop(),
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      format: 'sql',
      database: 'shop',
      databaseName: 'shop',
      engine: 'mysql',
      tool: expect.stringMatching(/mariadb-dump|mysqldump/),
      sourceSnapshot: report?.recoveryPoint?.id,
      drillExecution: run.executionArn,
      class: 'yearly',
      key: dumpKey,
    });
    const head = await s3().send(new HeadObjectCommand({ Bucket: BUCKET, Key: dumpKey }));
    expect(head.StorageClass).toBe('DEEP_ARCHIVE');
    expect(head.ServerSideEncryption).toBe('aws:kms');

    // The restore command: Deep Archive first, then the digest, then the load into a fresh server.
    const target = await MariaDb.start();
    try {
      await target.exec('create database shop');
      const base = ['--bucket', BUCKET, '--key', dumpKey, '--region', DR];
      const cold = await restoreCommand([...base, '--database', 'shop']);
      expect(cold.code, cold.stderr).toBe(3);
      expect(cold.stderr).toMatch(/is in DEEP_ARCHIVE and not restored yet; run with --request-restore/);
      const requested = await restoreCommand([...base, '--request-restore']);
      expect(requested.code, requested.stderr).toBe(3);
      const restored = await restoreCommand([
        ...base,
        '--host',
        'localhost',
        '--port',
        String(target.port),
        '--user',
        MARIADB_LOGIN.username,
        '--database',
        'shop',
        '--tls',
      ]);
      expect(restored.code, restored.stderr).toBe(0);
      expect(restored.stdout).toContain(`verified (sha256 ${manifest.sha256}, ${manifest.size} bytes)`);
      // The drill's own checks, against the database the dump restored.
      const checks = h.aws.app.config.databases.find((db) => db.id === 'shop')?.drill?.checks as DrillCheck[];
      const result = await runChecks(
        { host: 'localhost', port: target.port, ...MARIADB_LOGIN, user: MARIADB_LOGIN.username, database: 'shop' },
        checks,
        { engine: 'mysql', recoveryPointTime: String(report?.recoveryPoint?.time), rpoObjectiveSeconds: 86_400 },
      );
      expect(result.connectError).toBeUndefined();
      expect(result.results.map((c) => [c.name, c.passed])).toEqual([
        ['rowCount:orders', true],
        ['freshness:orders.created_at', true],
        ['canary:lifeline_canary', true],
        ['sql:orders-have-amounts', true],
        ['checksum:currencies', true],
      ]);
    } finally {
      await target.stop();
    }
  });

  it('archives once a month: the next passing drill of the month leaves no second dump', async () => {
    const first = await backupAndDrill();
    expect(first.run.status, first.run.cause).toBe('SUCCEEDED');
    const second = await backupAndDrill();
    expect(second.run.status, second.run.cause).toBe('SUCCEEDED');
    expect(second.run.states).toContain('Plan the archive dump');
    expect(second.run.states).not.toContain('Dump shop into the archive');
    expect(await archived()).toHaveLength(2);
  });

  it('alerts a failed upload as archive-dump-failed, still cleans up, and keeps the drill passed', async () => {
    // Prepare: S3 refuses the dump task's upload.
    const faults = {
      faults: [
        {
          ...failWith('PutObjectCommand', 'AccessDenied'),
          when: (p: Record<string, unknown>) => String(p.Key).startsWith('dumps/'),
        },
      ],
    };
    // Act
    const { run, report, alerts } = await backupAndDrill(faults);
    // Assess
    expect(run.status, run.cause).toBe('SUCCEEDED');
    expect(report?.status).toBe('passed');
    expect(run.states).toContain('Alert that the archive dump failed');
    expect(run.states.indexOf('Delete the drill database')).toBeGreaterThan(
      run.states.indexOf('Alert that the archive dump failed'),
    );
    expect(alerts.map((a) => a.MessageAttributes?.['lifeline.kind']?.Value)).toEqual(['archive-dump-failed']);
    expect(alerts[0]?.Subject).toBe('Lifeline: the archive dump of shop failed');
    expect(h.plane.running).toEqual([]);
    expect(await archived()).toEqual([]);
  });
});
