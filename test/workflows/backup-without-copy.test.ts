import { DescribeDBSnapshotsCommand, RDSClient } from '@aws-sdk/client-rds';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LifelineConfigInput } from '../../infra/config/schema';
import { baseConfig } from '../fixtures/configs';
import { createOrdersDatabase } from '../fixtures/production';
import { type LocalAws, startLocalAws } from '../harness/local-aws';
import { runWorkflow } from '../harness/run-workflow';

let aws: LocalAws;

/** The fixture config with the orders database kept in its own region only (no DR copy, no drill). */
function primaryOnly(): LifelineConfigInput {
  const config = baseConfig();
  const [orders, ...rest] = config.databases;
  return {
    ...config,
    databases: [{ ...orders, backup: { ...orders?.backup, copyToDr: false }, drill: undefined } as never, ...rest],
  };
}

beforeAll(async () => {
  aws = await startLocalAws(primaryOnly());
});
afterAll(async () => aws?.stop());
beforeEach(async (test) => {
  await aws.fresh(test);
  await createOrdersDatabase(aws);
});

describe('a database backed up without DR copies', () => {
  it('snapshots, skips the copy and prunes only its own region by retention', async () => {
    // Act: nine nightly runs, daily retention 7.
    const runs = [];
    for (let day = 1; day <= 9; day++) {
      runs.push(
        await runWorkflow(aws.cloud, aws.cloud.stateMachine('-backup'), {
          database: 'orders',
          scheduledTime: `2026-11-${String(day + 1).padStart(2, '0')}T01:00:00Z`,
        }),
      );
    }
    // Assess
    expect(
      runs.map((r) => r.status),
      runs[0]?.cause,
    ).toEqual(Array(9).fill('SUCCEEDED'));
    expect(runs[0]?.states).not.toContain('Acquire a copy slot');
    expect(runs.at(-1)?.output).toMatchObject({
      database: 'orders',
      pruned: { 'eu-central-1': ['lifeline-orders-20261103t0100'] },
    });
    const primary =
      (await aws.client(RDSClient, 'eu-central-1').send(new DescribeDBSnapshotsCommand({ SnapshotType: 'manual' })))
        .DBSnapshots ?? [];
    // Nov 4-10 are the 7 dailies; Nov 2 and 3 are in the ISO week whose newest point is Nov 8.
    expect(primary.map((s) => s.DBSnapshotIdentifier).sort()).toEqual(
      [4, 5, 6, 7, 8, 9, 10].map((d) => `lifeline-orders-202611${String(d).padStart(2, '0')}t0100`),
    );
    const dr =
      (await aws.client(RDSClient, 'eu-west-1').send(new DescribeDBSnapshotsCommand({ SnapshotType: 'manual' })))
        .DBSnapshots ?? [];
    expect(dr).toEqual([]);
  });
});
