import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { archiveClassOf, archiveMonth } from '../../functions/dump/archive-class';
import type { PlanDumpInput } from '../../functions/dump/contracts';
import { planDump } from '../../functions/dump/plan-dump';

const s3 = mockClient(S3Client);
afterEach(() => s3.reset());

const input = (time: string, overrides: Partial<PlanDumpInput> = {}): PlanDumpInput => ({
  database: 'orders',
  engine: 'postgres',
  bucket: 'lifeline-archive-123456789012-eu-west-1',
  timeZone: 'UTC',
  recoveryPoint: { id: 'lifeline-orders-20261201t0200', time, engineVersion: '16.4' },
  endpoint: {},
  execution: 'arn:aws:states:eu-west-1:123456789012:execution:lifeline-drill:x',
  ...overrides,
});

describe('the class of an archive dump', () => {
  it('is yearly for the first of a year, monthly for the first of a month, and none after', () => {
    const at = '2026-12-01T02:00:00Z';
    expect(archiveClassOf('orders', at, 'UTC', [])).toBe('yearly');
    expect(archiveClassOf('orders', at, 'UTC', ['dumps/orders/2026/03/a-yearly.manifest.json'])).toBe('monthly');
    expect(archiveClassOf('orders', at, 'UTC', ['dumps/orders/2026/12/a-monthly.manifest.json'])).toBeUndefined();
  });

  it('counts only manifests: a dump whose manifest never arrived leaves the month open', () => {
    const keys = ['dumps/orders/2026/12/a-monthly.dump', 'dumps/orders/2026/03/b-yearly.manifest.json'];
    expect(archiveClassOf('orders', '2026-12-01T02:00:00Z', 'UTC', keys)).toBe('monthly');
  });

  it("counts months in the drill's time zone", () => {
    // 23:30 UTC on 31 December is already 1 January in Berlin.
    expect(archiveMonth('2026-12-31T23:30:00Z', 'UTC')).toEqual({ year: '2026', month: '12' });
    expect(archiveMonth('2026-12-31T23:30:00Z', 'Europe/Berlin')).toEqual({ year: '2027', month: '01' });
  });
});

describe('planDump', () => {
  it('plans the keys of a due dump, listing only its database and year', async () => {
    // Prepare
    s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: 'dumps/orders/2026/03/x-yearly.manifest.json' }] });
    // Act
    const plan = await planDump(input('2026-12-01T02:00:00Z'), s3 as unknown as S3Client);
    // Assess
    expect(s3.commandCalls(ListObjectsV2Command)[0]?.args[0].input).toMatchObject({ Prefix: 'dumps/orders/2026/' });
    expect(plan).toEqual({
      due: true,
      reason: 'the first passing drill of dumps/orders/2026/12/ archives a monthly dump',
      archiveClass: 'monthly',
      dumpFile: 'lifeline-orders-20261201t0200-monthly.dump',
      dumpKey: 'dumps/orders/2026/12/lifeline-orders-20261201t0200-monthly.dump',
      manifestKey: 'dumps/orders/2026/12/lifeline-orders-20261201t0200-monthly.manifest.json',
      sourceSnapshot: 'lifeline-orders-20261201t0200',
      engineVersion: '16.4',
    });
  });

  it('is not due when the month holds a manifest, and names a MySQL dump .sql', async () => {
    s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: 'dumps/orders/2026/12/x-monthly.manifest.json' }] });
    const plan = await planDump(
      input('2026-12-09T02:00:00Z', { engine: 'mysql', endpoint: { engineVersion: '8.0.39' } }),
      s3 as unknown as S3Client,
    );
    expect(plan).toMatchObject({
      due: false,
      archiveClass: 'none',
      reason: 'dumps/orders/2026/12/ already holds an archived dump',
      engineVersion: '8.0.39',
    });
    expect(plan.dumpFile.endsWith('.sql')).toBe(true);
  });
});
