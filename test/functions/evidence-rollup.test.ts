import { describe, expect, it } from 'vitest';
import type { RetentionEvidence, RollupInput } from '../../functions/evidence/contracts';
import { lastCompletePeriod, periodOf, rollUp } from '../../functions/evidence/rollup';
import { archive, backup, drill, failover, november } from '../fixtures/evidence';

describe('the evidence roll-up', () => {
  it('counts a clean month with no findings and cites every record it counted', () => {
    const rollup = rollUp(november());
    expect(rollup.databases[0]).toEqual({
      id: 'orders',
      engine: 'postgres',
      backups: { succeeded: 30, failed: 0, successRate: 1 },
      drills: { passed: 1, failed: 0, lastPassedAt: '2026-11-01T05:00:00.000Z' },
      failoverDrills: { passed: 0, failed: 0 },
      failovers: { dryRunsPassed: 1, dryRunsFailed: 0, failedOver: 0, notVerified: 0 },
      archives: { exported: 1, exportsFailed: 0, dumps: 1 },
      rto: { met: 1, missed: 0, 'not-measured': 0, waived: 0 },
      rpo: { met: 1, missed: 0, 'not-measured': 0, waived: 0 },
      retentionCompliant: true,
      retention: { kept: 12, expected: 12, beyond: 0 },
      findings: [],
    });
    expect(rollup.buckets[0]).toMatchObject({ objectLock: 'COMPLIANCE 2555 d', discrepancies: 0, findings: [] });
    expect(rollup.totals).toEqual({
      backupsSucceeded: 30,
      backupsFailed: 0,
      drillsPassed: 1,
      drillsFailed: 0,
      findings: 0,
    });
    expect(rollup.records).toHaveLength(36);
    expect(rollup.records.map((r) => r.kind)).toEqual([
      ...Array(30).fill('backup-execution'),
      'drill-report',
      'retention-check',
      'replication-report',
      'failover-record',
      'export-record',
      'dump-manifest',
    ]);
  });

  it('leaves out what happened outside the period, but knows a drill before it passed', () => {
    const input = november();
    const week = {
      ...input,
      period: periodOf('2026-W48'),
      backups: [...input.backups, backup('2026-10-31T01:00:00.000Z', 'FAILED')],
    };
    const rollup = rollUp(week);
    expect(rollup.period).toMatchObject({ from: '2026-11-23T00:00:00.000Z', to: '2026-11-30T00:00:00.000Z' });
    expect(rollup.databases[0]?.backups).toEqual({ succeeded: 7, failed: 0, successRate: 1 });
    expect(rollup.databases[0]?.drills).toEqual({ passed: 0, failed: 0, lastPassedAt: '2026-11-01T05:00:00.000Z' });
    expect(rollup.databases[0]?.findings).toEqual([]);
    expect(rollup.buckets[0]?.findings).toEqual(['replication was not verified in the period']);
  });

  it('names each failing or overdue thing, and never counts an unmeasured objective as met', () => {
    const input = november();
    const broken: RollupInput = {
      ...input,
      backups: [
        ...input.backups.slice(0, 28),
        backup('2026-11-29T01:00:00Z', 'FAILED'),
        backup('2026-11-30T01:00:00Z', 'TIMED_OUT'),
      ],
      drills: [
        drill('2026-10-01T05:00:00.000Z', 'passed'),
        drill('2026-11-01T05:00:00.000Z', 'failed'),
        drill('2026-11-02T05:00:00.000Z', 'failed', { rpo: { outcome: 'not-measured', measuredSeconds: null } }),
      ],
      retention: [{ database: 'orders', region: 'eu-west-1', kept: 10, expected: 12, beyond: 2 }],
      replication: [{ ...input.replication[0], missing: 3, failed: 1 } as RollupInput['replication'][number]],
      failovers: [
        failover('2026-11-10T09:00:00.000Z', { passed: false, status: 'failed' }),
        failover('2026-11-20T09:00:00.000Z', { dryRun: false, passed: false, status: 'rolled-back' }),
      ],
      archives: [archive('export', '2026-11-02T04:00:00.000Z', false)],
    };
    const rollup = rollUp(broken);
    const orders = rollup.databases[0];
    expect(orders?.backups).toEqual({ succeeded: 28, failed: 2, successRate: 28 / 30 });
    expect(orders?.rpo).toEqual({ met: 1, missed: 0, 'not-measured': 1, waived: 0 });
    expect(orders?.retentionCompliant).toBe(false);
    expect(orders?.findings).toEqual([
      '2 of 30 backups did not succeed',
      'the last passing restore drill was 60.8 d before the period ended, longer than its cadence of 31 d',
      '2 of 2 restore drills failed',
      'the RTO was missed in 2 drills',
      'in eu-west-1 the retention keeps 10 of the 12 recovery points it asks for',
      'in eu-west-1 2 recovery points are kept beyond the retention (the prune did not delete them)',
      '1 of 1 failover dry runs failed: the recovery path is blocked',
      '1 of 1 failovers were not verified through the name',
      '1 export to the archive failed',
    ]);
    expect(orders?.failovers).toEqual({ dryRunsPassed: 0, dryRunsFailed: 1, failedOver: 0, notVerified: 1 });
    expect(orders?.retention).toEqual({ kept: 10, expected: 12, beyond: 2 });
    expect(rollup.buckets[0]?.findings).toEqual([
      'the last verification found 3 missing, 0 mismatched and 1 failed replicas',
    ]);
    expect(rollup.totals.findings).toBe(10);
  });

  it('calls a retention that keeps too much not compliant, though nothing is missing', () => {
    const input = november();
    const rollup = rollUp({ ...input, retention: [{ ...(input.retention[0] as RetentionEvidence), beyond: 1 }] });
    expect(rollup.databases[0]?.retentionCompliant).toBe(false);
    expect(rollup.databases[0]?.findings).toEqual([
      'in eu-west-1 1 recovery point is kept beyond the retention (the prune did not delete it)',
    ]);
  });

  it('says restorability is unproven when no drill ever passed, and that nothing ran when nothing did', () => {
    const rollup = rollUp({ ...november(), backups: [], drills: [], retention: [], failovers: [], archives: [] });
    expect(rollup.databases[0]?.backups.successRate).toBeNull();
    expect(rollup.databases[0]?.retentionCompliant).toBeNull();
    expect(rollup.databases[0]?.retention).toBeNull();
    expect(rollup.databases[0]?.archives).toEqual({ exported: 0, exportsFailed: 0, dumps: 0 });
    expect(rollup.databases[0]?.findings).toEqual([
      'no backup ran in the period',
      'no restore drill passed on record: restorability is unproven',
    ]);
  });

  it('counts failover drills apart from restore drills', () => {
    const input = november();
    const rollup = rollUp({
      ...input,
      drills: [...input.drills, drill('2026-11-15T05:00:00.000Z', 'passed', { failover: true })],
    });
    expect(rollup.databases[0]?.drills.passed).toBe(1);
    expect(rollup.databases[0]?.failoverDrills).toEqual({ passed: 1, failed: 0 });
  });
});

describe('periods', () => {
  it.each([
    ['2026-11', '2026-11-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z'],
    ['2026-12', '2026-12-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z'],
    ['2026-W01', '2025-12-29T00:00:00.000Z', '2026-01-05T00:00:00.000Z'],
    ['2026-W53', '2026-12-28T00:00:00.000Z', '2027-01-04T00:00:00.000Z'],
    ['2021-W01', '2021-01-04T00:00:00.000Z', '2021-01-11T00:00:00.000Z'],
  ])('%s runs from %s to %s', (label, from, to) => {
    expect(periodOf(label)).toMatchObject({ from, to });
  });

  it.each([
    ['2026-13', /not a period: write a month as YYYY-MM/],
    ['November', /not a period/],
    ['2025-W53', /2025 has 52 ISO weeks/],
  ])('refuses %s clearly', (label, message) => {
    expect(() => periodOf(label)).toThrow(message);
  });
});

describe('the last complete period', () => {
  it.each([
    ['month', '2026-12-01T06:00:00Z', '2026-11'],
    ['month', '2027-01-01T06:00:00Z', '2026-12'],
    ['week', '2026-11-30T06:00:00Z', '2026-W48'],
    ['week', '2026-12-02T06:00:00Z', '2026-W48'],
    ['week', '2027-01-04T06:00:00Z', '2026-W53'],
    ['week', '2026-01-05T06:00:00Z', '2026-W01'],
  ] as const)('of a %s, at %s, is %s', (kind, at, label) => {
    const period = lastCompletePeriod(kind, new Date(at));
    expect(period.label).toBe(label);
    expect(period.to <= new Date(at).toISOString()).toBe(true);
  });
});
