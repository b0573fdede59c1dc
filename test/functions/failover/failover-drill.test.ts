import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildRecord } from '../../../functions/failover/build-record';
import type { FailoverCatalogEntry, FailoverPlan, PrecheckOutcome } from '../../../functions/failover/contracts';
import { changesOf, planRecovery } from '../../../functions/failover/plan-recovery';
import { recordKey } from '../../../functions/failover/record';
import { failoverRequestProblems, validateFailover } from '../../../functions/failover/validate-failover';
import { copy, entry, facts, NOW, settings } from './fixtures';

const EXECUTION = 'arn:aws:states:eu-west-1:123456789012:execution:lifeline-failover:drill-1';
const catalog = { orders: entry() };
const drillPlan = () =>
  validateFailover({
    request: { database: 'orders', scenario: 'region-outage', drill: true },
    catalog,
    settings: settings({ approvalWaivable: false, healthCheckId: '1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d' }),
    execution: EXECUTION,
    startTime: NOW,
  });

describe('a failover drill request', () => {
  beforeEach(() => {
    process.env.LIFELINE_INSTALLATION = 'lifeline';
  });
  afterEach(() => {
    delete process.env.LIFELINE_INSTALLATION;
  });

  it('knows only the shadow record, and waives the approval itself (even where requests may not)', async () => {
    // Act
    const plan = await drillPlan();
    // Assess
    expect(plan.settings.recordName).toBe('drill-orders.db.example.com');
    expect(plan.settings.healthCheckId).toBeNull();
    expect(plan.drill).toEqual({ productionRecord: 'db.example.com', shadowRecord: 'drill-orders.db.example.com' });
    expect(plan.approval).toEqual({
      required: false,
      waiver: expect.stringContaining('changes nothing in production'),
    });
  });

  it('is a real failover unless it says drill: true', async () => {
    const plan = await validateFailover({
      request: { database: 'orders', scenario: 'region-outage' },
      catalog,
      settings: settings(),
      execution: EXECUTION,
      startTime: NOW,
    });
    expect(plan.drill).toBeNull();
    expect(plan.settings.recordName).toBe('db.example.com');
  });

  it.each([
    [{ drill: 'yes' }, 'drill: expected true or false'],
    [{ drill: true, approval: { waive: 'x' } }, 'approval: a failover drill waives the approval itself'],
  ])('rejects %j, naming the field', (extra, message) => {
    const problems = failoverRequestProblems(
      { database: 'orders', scenario: 'region-outage', ...extra },
      catalog,
      settings(),
      NOW,
    );
    expect(problems.join('; ')).toContain(message);
  });
});

describe('where a failover drill recovers from', () => {
  const drill = (continuous: FailoverCatalogEntry['continuous']) => ({
    entry: entry({ continuous }),
    scenario: 'region-outage' as const,
    pointInTime: null,
    cleanBefore: null,
    corruptionRestoreRegion: 'dr' as const,
    drill: true,
  });

  it('never promotes the read replica: it restores a copy, even when the replica is available', () => {
    const plan = planRecovery(
      drill({ mode: 'read-replica', replica: 'orders-dr' }),
      facts({
        replica: { id: 'orders-dr', status: 'available', isReplica: true, lagSeconds: 1 },
        drCopies: [copy('lifeline-orders-1', '2026-12-01T02:00:00Z')],
      }),
    );
    expect(plan).toMatchObject({
      ok: true,
      source: { type: 'snapshot', origin: 'dr-copy', snapshotId: 'lifeline-orders-1' },
      considered: [
        { option: 'promote-replica', usable: false, why: expect.stringContaining('never promotes read replica') },
        { option: 'point-in-time', usable: false },
        { option: 'dr-copy', usable: true },
      ],
    });
  });

  it('never fails the global database over', () => {
    const plan = planRecovery(
      {
        ...drill({ mode: 'global-database', globalCluster: 'g', secondaryCluster: 'ledger-dr' }),
        entry: entry({
          kind: 'cluster',
          continuous: { mode: 'global-database', globalCluster: 'g', secondaryCluster: 'ledger-dr' },
        }),
      },
      facts({
        globalCluster: { id: 'ledger-dr', secondaryArn: 'arn:c', secondaryStatus: 'available', isMember: true },
        drCopies: [copy('lifeline-ledger-1', '2026-12-01T02:00:00Z')],
      }),
    );
    expect(plan).toMatchObject({
      ok: true,
      source: { type: 'snapshot' },
      considered: [
        { option: 'global-failover', usable: false, why: expect.stringContaining('never fails over') },
        { option: 'dr-copy', usable: true },
      ],
    });
  });

  it('says it deletes the copy and the shadow record afterwards, and never rolls back', () => {
    const changes = changesOf(
      { type: 'snapshot', origin: 'dr-copy', snapshotId: 's', snapshotArn: 'arn:s', time: NOW },
      {
        database: 'orders',
        targetId: 'lifeline-failover-orders-0a1b2c3d',
        instanceClass: 'db.t4g.medium',
        recordName: 'drill-orders.db.example.com',
        hostedZoneId: 'Z0123456789ABC',
        ttl: 60,
        currentValue: null,
        kind: 'instance',
        drill: true,
      },
    );
    expect(changes.at(-1)).toBe(
      'verify through drill-orders.db.example.com: resolve it, connect, run the checks of orders; then, passed or not, delete lifeline-failover-orders-0a1b2c3d and the record drill-orders.db.example.com',
    );
  });
});

describe('the record of a failover drill', () => {
  beforeEach(() => {
    process.env.LIFELINE_INSTALLATION = 'lifeline';
  });
  afterEach(() => {
    delete process.env.LIFELINE_INSTALLATION;
  });
  const precheck = {
    checkedAt: NOW,
    checks: [],
    considered: [],
    pointTime: NOW,
    changes: [],
    source: { type: 'snapshot', origin: 'dr-copy', snapshotId: 's', snapshotArn: 'arn:s', time: NOW },
  } as never as PrecheckOutcome;
  const verified = (at: string) => ({ verified: true, verifiedAt: at, resolved: [], checks: [], summary: 'ok' });
  const cleanup = { finishedAt: NOW, deleted: ['lifeline-failover-orders-0a1b2c3d'], leaked: [], recordDeleted: 'h' };
  const plus = (seconds: number) => new Date(Date.parse(NOW) + seconds * 1000).toISOString();

  it('passes when verified within the RTO and cleaned up; goes under drills/', async () => {
    const plan: FailoverPlan = await drillPlan();
    const record = buildRecord({ plan, precheck, verification: verified(plus(600)), cleanup }, plus(700));
    expect(record).toMatchObject({ status: 'drill-passed', rtoSeconds: 600, drill: { cleanup } });
    expect(record.steps.at(-2)).toMatchObject({
      step: 'drill copy and shadow record deleted',
      detail: 'deleted lifeline-failover-orders-0a1b2c3d, drill-orders.db.example.com',
    });
    expect(recordKey(plan)).toBe('failovers/orders/drills/2026-12-01/drill-1');
  });

  it.each([
    ['the RTO is missed', { verification: verified(plus(7200)), cleanup }, 'is over the objective of 1 h'],
    ['the copy is left behind', { verification: verified(plus(60)), cleanup: { ...cleanup, leaked: ['x'] } }, 'left x'],
    ['the cleanup never ran', { verification: verified(plus(60)) }, 'the cleanup did not run'],
    [
      'a step failed',
      { error: { Error: 'RecoveryFailed', Cause: 'no capacity' }, failedStep: 'Restore a copy', cleanup },
      'Restore a copy failed with RecoveryFailed',
    ],
  ])('fails when %s', async (_, extra, problem) => {
    const plan = await drillPlan();
    const record = buildRecord({ plan, precheck, ...extra }, plus(7300));
    expect(record.status).toBe('drill-failed');
    expect(record.summary).toContain(problem);
    expect(record.summary).toContain('db.example.com was not touched');
  });
});
