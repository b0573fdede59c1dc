import { describe, expect, it } from 'vitest';
import { drillInstanceStatus } from '../harness/faults';
import { drillHarness } from './drill-harness';

const { h, drill, expectCleanedUp } = drillHarness();
const instanceStatus = drillInstanceStatus;

describe('drills that fail: the workflow says why, alerts and cleans up', () => {
  it('fails when a checked table is missing, and says which', async () => {
    const result = await drill({ canary: false });
    expect(result.run.status).toBe('FAILED');
    expect(result.run.error).toBe('DrillFailed');
    expect(result.report?.summary).toContain('table lifeline_canary does not exist');
    expect(result.alerts[0]?.Subject).toBe('Lifeline drill FAILED for orders');
    expectCleanedUp(result);
  });

  it('fails when a table has too few rows', async () => {
    const result = await drill({ rows: 20 });
    expect(result.report?.status).toBe('failed');
    expect(result.report?.summary).toBe('Drill of orders failed: table orders has 20 rows (at least 100 expected).');
    expectCleanedUp(result);
  });

  it('fails when the newest data is older than the RPO allows', async () => {
    const result = await drill({ newestAgeMinutes: 3 * 24 * 60 });
    expect(result.report?.rpo).toMatchObject({ met: false, objectiveSeconds: 86_400 });
    expect(result.report?.rpo.measuredSeconds).toBeGreaterThan(3 * 86_400 - 60);
    expect(result.run.status).toBe('FAILED');
    expectCleanedUp(result);
  });

  it('fails when the restore takes longer than the RTO, measured on the simulated clock', async () => {
    const result = await drill({}, [instanceStatus('creating', { forSeconds: 65 * 60 })]);
    expect(result.report?.rto.met).toBe(false);
    expect(result.report?.rto.measuredSeconds).toBeGreaterThan(3600);
    expect(result.report?.checks.every((c) => c.passed)).toBe(true);
    expect(result.report?.summary).toMatch(/^Drill of orders failed: /);
    expectCleanedUp(result);
  });

  it('fails, cleans up and alerts when the restore never becomes available', async () => {
    const result = await drill({}, [instanceStatus('creating')]);
    expect(result.run.status).toBe('FAILED');
    expect(result.run.error).toBe('DrillTimedOut');
    expect(result.run.states).toContain('Delete the drill database after the failure');
    expect(result.report?.summary).toMatch(
      /failed at "Wait until the restored database is available": lifeline-drill-orders-\w+ did not become available within the drill timeout \(2 h\)/,
    );
    expect(result.alerts[0]?.Subject).toBe(
      'Lifeline drill failed for orders: Wait until the restored database is available',
    );
    expect(result.run.simulatedSeconds).toBeGreaterThanOrEqual(7200);
    expectCleanedUp(result);
  });

  it('fails in words when the check cannot connect to the restored database', async () => {
    h.plane.unreachable = true;
    const result = await drill();
    expect(result.report?.status).toBe('failed');
    expect(result.report?.summary).toMatch(/cannot connect to 127\.0\.0\.1:\d+ as postgres/);
    expectCleanedUp(result);
  });
});
