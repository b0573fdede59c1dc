import { DescribeDBSnapshotsCommand, DescribeExportTasksCommand, RDSClient } from '@aws-sdk/client-rds';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LifelineConfigInput } from '../../infra/config/schema';
import { baseConfig } from '../fixtures/configs';
import { createOrdersDatabase } from '../fixtures/production';
import { type LocalAws, startLocalAws } from '../harness/local-aws';
import { runWorkflow } from '../harness/run-workflow';

/*
 * The synthesized export workflow against moto, each function under its own role: nightly backups of orders across
 * the end of October, then the export run on 2 November. moto completes an export at once and writes no objects,
 * so what is proven here is the choice, the calls, the record and the tags; not RDS's own export. (moto refuses the
 * size listing's signed ListObjectsV2 with a prefix here, so the record carries no sizes: the listing is proven with
 * aws-sdk-client-mock only.)
 */

const PRIMARY = 'eu-central-1';
const BUCKET = 'lifeline-archive-123456789012-eu-central-1';
let aws: LocalAws;

function exportingConfig(): LifelineConfigInput {
  const config = baseConfig();
  const [orders, ...rest] = config.databases;
  return {
    ...config,
    buckets: [{ id: 'archive' }],
    databases: [
      {
        ...orders,
        backup: { ...orders?.backup, copyToDr: false },
        // No DR copy, so no drill: the export is made from the primary region's points alone.
        drill: undefined,
        archive: { bucket: 'archive', dump: false },
      } as never,
      ...rest,
    ],
  };
}

beforeAll(async () => {
  aws = await startLocalAws(exportingConfig());
  await aws.fresh();
  await createOrdersDatabase(aws);
  // A cold bundle cache (after any change under functions/) bundles every function first.
}, 600_000);
afterAll(async () => aws?.stop());

const tagsOf = async (id: string) => {
  const out = await aws
    .client(RDSClient, PRIMARY)
    .send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: id, SnapshotType: 'manual' }));
  return Object.fromEntries((out.DBSnapshots?.[0]?.TagList ?? []).map((t) => [t.Key, t.Value]));
};

describe('the snapshot export against moto', () => {
  it("exports October's monthly point once October is over, records it, and never exports it twice", async () => {
    // Prepare: backups on 30 and 31 October and 1 November.
    for (const day of ['2026-10-30', '2026-10-31', '2026-11-01']) {
      const run = await runWorkflow(aws.cloud, aws.cloud.stateMachine('-backup'), {
        database: 'orders',
        scheduledTime: `${day}T02:00:00Z`,
      });
      expect(run.status, run.cause).toBe('SUCCEEDED');
    }
    const machine = aws.cloud.stateMachine('-export');
    // Act
    const first = await runWorkflow(aws.cloud, machine, {}, { startTime: new Date('2026-11-02T06:00:00Z') });
    const second = await runWorkflow(aws.cloud, machine, {}, { startTime: new Date('2026-11-03T06:00:00Z') });
    // Assess
    const published = first.calls
      .filter((c) => c.action === 'Publish' || c.status >= 400)
      .map((c) => `${c.action} ${c.status} ${c.errorCode ?? ''} ${JSON.stringify(c.params).slice(0, 600)}`);
    expect(first.status, `${first.states.join(' > ')}\n${published.join('\n')}`).toBe('SUCCEEDED');
    expect(first.output).toMatchObject({
      plan: { exports: [{ snapshotId: 'lifeline-orders-20261031t0200', classes: ['monthly'] }] },
      exported: [{ snapshotId: 'lifeline-orders-20261031t0200', outcome: 'exported' }],
    });
    const tasks = await aws.client(RDSClient, PRIMARY).send(new DescribeExportTasksCommand({}));
    expect(tasks.ExportTasks?.map((t) => [t.ExportTaskIdentifier, t.S3Bucket, t.S3Prefix])).toEqual([
      ['lifeline-orders-20261031t0200-1', BUCKET, 'exports/orders'],
    ]);
    expect(await tagsOf('lifeline-orders-20261031t0200')).toMatchObject({ 'lifeline:export': 'complete' });
    // November's point is not settled: no tag.
    expect((await tagsOf('lifeline-orders-20261101t0200'))['lifeline:export']).toBeUndefined();
    const record = await aws
      .client(S3Client, PRIMARY)
      .send(
        new GetObjectCommand({ Bucket: BUCKET, Key: 'records/exports/orders/lifeline-orders-20261031t0200-1.json' }),
      );
    expect(JSON.parse(await (record.Body?.transformToString() ?? ''))).toMatchObject({
      database: 'orders',
      status: 'COMPLETE',
      s3Uri: `s3://${BUCKET}/exports/orders/lifeline-orders-20261031t0200-1/`,
    });
    // The next day's run finds nothing to export.
    expect(second.status, second.cause).toBe('SUCCEEDED');
    expect(second.output).toMatchObject({ plan: { exports: [] } });
    expect(second.states).toContain('Nothing to export');
    expect((await aws.client(RDSClient, PRIMARY).send(new DescribeExportTasksCommand({}))).ExportTasks).toHaveLength(1);
  });
});
