import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { failoverEvidence, failoverEvidenceOf } from '../../functions/readiness/read-evidence';

const s3 = mockClient(S3Client);
/** A GetObject body as the SDK gives it, reduced to what the reader calls. */
const body = (value: unknown) => ({
  transformToByteArray: async () => new TextEncoder().encode(JSON.stringify(value)),
});

/** The fields of a failover record the readiness reads, as build-record writes them for each kind of run. */
const record = (startedAt: string, status: string, extra: Record<string, unknown>) => ({
  database: 'orders',
  startedAt,
  status,
  dryRun: false,
  checks: [],
  ...extra,
});

beforeEach(() => {
  s3.reset();
  process.env.AWS_REGION = 'eu-west-1';
});

describe('the failover evidence of readiness', () => {
  it.each([
    ['drill-passed', true],
    ['drill-failed', false],
  ])(
    'reads a failover drill that ended %s as passed: %s, and the newest dry run as the preflight',
    async (status, passed) => {
      const records: Record<string, unknown> = {
        'failovers/orders/2026-11-02/dry.json': record('2026-11-02T10:00:00Z', 'planned', {
          dryRun: true,
          checks: [{ ok: true, blocking: true }],
        }),
        'failovers/orders/drills/2026-11-03/d.json': record('2026-11-03T10:00:00Z', status, {
          checks: [
            { ok: true, blocking: true },
            { ok: false, blocking: false },
          ],
          drill: { productionRecord: 'db.example.com', shadowRecord: 'drill-orders.db.example.com', cleanup: null },
        }),
      };
      s3.on(ListObjectsV2Command).resolves({ Contents: Object.keys(records).map((Key) => ({ Key })) });
      for (const [Key, value] of Object.entries(records))
        s3.on(GetObjectCommand, { Key }).resolves({ Body: body(value) } as never);
      const evidence = await failoverEvidence('reports', 'orders');
      // The drill ran its pre-checks after the dry run: it is the newest preflight.
      expect(evidence).toEqual({
        preflight: { at: '2026-11-03T10:00:00Z', passed: true },
        lastFailoverDrill: { at: '2026-11-03T10:00:00Z', passed },
      });
    },
  );

  it('reads a dry run its pre-checks stopped (no checks on record) as a preflight that did not pass', async () => {
    const records: Record<string, unknown> = {
      'failovers/orders/2026-11-02/ok.json': record('2026-11-02T10:00:00Z', 'planned', {
        dryRun: true,
        checks: [{ ok: true, blocking: true }],
      }),
      'failovers/orders/2026-11-05/stopped.json': record('2026-11-05T10:00:00Z', 'failed', { dryRun: true }),
      // Stopped before its pre-checks: no preflight, and no later evidence either way.
      'failovers/orders/2026-11-06/invalid.json': record('2026-11-06T10:00:00Z', 'failed', {}),
    };
    s3.on(ListObjectsV2Command).resolves({ Contents: Object.keys(records).map((Key) => ({ Key })) });
    for (const [Key, value] of Object.entries(records))
      s3.on(GetObjectCommand, { Key }).resolves({ Body: body(value) } as never);
    expect(await failoverEvidence('reports', 'orders')).toEqual({
      preflight: { at: '2026-11-05T10:00:00Z', passed: false },
    });
  });

  it('reads the records newest day first, and stops once it has both a preflight and a failover drill', async () => {
    const stored: Record<string, unknown> = {
      'failovers/orders/2026-10-01/a.json': record('2026-10-01T10:00:00Z', 'planned', { dryRun: true }),
      'failovers/orders/2026-11-02/b.json': record('2026-11-02T09:00:00Z', 'planned', {
        dryRun: true,
        checks: [{ ok: true, blocking: true }],
      }),
      'failovers/orders/drills/2026-11-02/c.json': record('2026-11-02T10:00:00Z', 'drill-passed', {
        drill: { productionRecord: 'db.example.com' },
      }),
    };
    const read: string[] = [];
    const evidence = await failoverEvidenceOf(Object.keys(stored), async (key) => {
      read.push(key);
      return JSON.stringify(stored[key]);
    });
    expect(evidence).toEqual({
      preflight: { at: '2026-11-02T09:00:00Z', passed: true },
      lastFailoverDrill: { at: '2026-11-02T10:00:00Z', passed: true },
    });
    expect(read.sort()).toEqual(['failovers/orders/2026-11-02/b.json', 'failovers/orders/drills/2026-11-02/c.json']);
  });
});
