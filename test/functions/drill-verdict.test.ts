import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidInput } from '../../functions/commons/errors';
import type { CheckResult } from '../../functions/drill/contracts';
import { formatDuration, judgeDrill } from '../../functions/drill/verdict';

const RESTORE_STARTED = '2025-03-10T03:00:00.000Z';
const RECOVERY_POINT = '2025-03-10T02:00:00.000Z';
const HOUR = 3_600;
const DAY = 86_400;

const at = (base: string, seconds: number) => new Date(Date.parse(base) + seconds * 1000).toISOString();

const passing = (name: string): CheckResult => ({ name, passed: true, detail: `${name} is fine` });
const fresh = (secondsBeforeRecoveryPoint: number): CheckResult => ({
  name: 'freshness:orders.created_at',
  passed: true,
  detail: 'fresh enough',
  newestRow: at(RECOVERY_POINT, -secondsBeforeRecoveryPoint),
});

/** The record of an objective measured at `seconds`. */
const measured = (seconds: number, objectiveSeconds: number) => ({
  outcome: seconds <= objectiveSeconds ? 'met' : 'missed',
  measured: true,
  measuredSeconds: seconds,
  objectiveSeconds,
  met: seconds <= objectiveSeconds,
  waiver: null,
});

const base = {
  database: 'orders',
  restoreStartedAt: RESTORE_STARTED,
  firstGoodQueryAt: at(RESTORE_STARTED, 4 * 60 + 12),
  recoveryPointTime: RECOVERY_POINT,
  rtoObjectiveSeconds: HOUR,
  rpoObjectiveSeconds: DAY,
};

describe('formatDuration', () => {
  it.each([
    [0, '0 s'],
    [0.4, '0 s'],
    [45, '45 s'],
    [60, '1 min'],
    [252, '4 min 12 s'],
    [HOUR, '1 h'],
    [2 * HOUR + 5 * 60 + 59, '2 h 5 min'],
    [DAY, '1 d'],
    [DAY + 3 * HOUR + 59, '1 d 3 h'],
    [400 * DAY, '400 d'],
    [-90, '-1 min 30 s'],
  ])('%s s reads as %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });
});

describe('judgeDrill', () => {
  it('passes when every check passed and both objectives are met, and says so in one sentence', () => {
    const verdict = judgeDrill({
      ...base,
      checks: [passing('rowCount:orders'), fresh(2 * HOUR + 5 * 60), passing('canary:lifeline_canary')],
    });
    expect(verdict.status).toBe('passed');
    expect(verdict.reasons).toEqual([]);
    expect(verdict.rto).toEqual(measured(252, HOUR));
    expect(verdict.rpo).toEqual(measured(2 * HOUR + 5 * 60, DAY));
    expect(verdict.summary).toBe(
      'Drill of orders passed: 3 of 3 checks passed, restored in 4 min 12 s (objective 1 h), 2 h 5 min of data would have been lost (objective 1 d).',
    );
  });

  it('fails on a failed check and leads with its detail', () => {
    const verdict = judgeDrill({
      ...base,
      checks: [
        { name: 'rowCount:orders', passed: false, detail: 'table orders has 12 rows (at least 100 expected)' },
        fresh(60),
      ],
    });
    expect(verdict.status).toBe('failed');
    expect(verdict.rto.met).toBe(true);
    expect(verdict.rpo.met).toBe(true);
    expect(verdict.reasons).toEqual(['table orders has 12 rows (at least 100 expected)']);
    expect(verdict.summary).toBe('Drill of orders failed: table orders has 12 rows (at least 100 expected).');
  });

  it('fails when the restore took longer than the RTO objective', () => {
    const verdict = judgeDrill({
      ...base,
      firstGoodQueryAt: at(RESTORE_STARTED, 2 * HOUR + 5 * 60),
      checks: [passing('rowCount:orders'), fresh(60)],
    });
    expect(verdict.status).toBe('failed');
    expect(verdict.rto).toEqual(measured(2 * HOUR + 5 * 60, HOUR));
    expect(verdict.rto.outcome).toBe('missed');
    expect(verdict.reasons).toEqual(['the database took 2 h 5 min to restore, longer than the objective of 1 h']);
    expect(verdict.summary).toBe(
      'Drill of orders failed: the database took 2 h 5 min to restore, longer than the objective of 1 h.',
    );
  });

  it('fails when more data would have been lost than the RPO objective allows', () => {
    const verdict = judgeDrill({ ...base, checks: [passing('rowCount:orders'), fresh(DAY + 3 * HOUR)] });
    expect(verdict.status).toBe('failed');
    expect(verdict.rpo).toEqual(measured(DAY + 3 * HOUR, DAY));
    expect(verdict.rpo.outcome).toBe('missed');
    expect(verdict.rto.met).toBe(true);
    expect(verdict.summary).toBe(
      'Drill of orders failed: 1 d 3 h of data would have been lost, more than the objective of 1 d.',
    );
  });

  it('takes the newest row over all freshness checks as the last transaction', () => {
    const verdict = judgeDrill({ ...base, checks: [fresh(3 * DAY), fresh(HOUR), fresh(2 * DAY)] });
    expect(verdict.rpo.measuredSeconds).toBe(HOUR);
    expect(verdict.status).toBe('passed');
  });

  it('fails with the connection error when no query succeeded', () => {
    const verdict = judgeDrill({
      ...base,
      firstGoodQueryAt: undefined,
      checks: [],
      connectError: 'cannot connect to db.example:5432 as drill: connect ECONNREFUSED',
    });
    expect(verdict.status).toBe('failed');
    expect(verdict.rto).toEqual({
      outcome: 'not-measured',
      measured: false,
      measuredSeconds: null,
      objectiveSeconds: HOUR,
      met: false,
      waiver: null,
    });
    expect(verdict.summary).toBe(
      'Drill of orders failed: cannot connect to db.example:5432 as drill: connect ECONNREFUSED.',
    );
  });

  it('fails when no query succeeded even without a connection error, and counts the other problems', () => {
    const verdict = judgeDrill({
      ...base,
      firstGoodQueryAt: undefined,
      checks: [{ name: 'sql:x', passed: false, detail: 'sql:x could not run: Connection terminated.' }],
    });
    expect(verdict.status).toBe('failed');
    expect(verdict.rto.measuredSeconds).toBeNull();
    expect(verdict.reasons).toEqual([
      'no query against the restored database succeeded',
      'sql:x could not run: Connection terminated',
    ]);
    expect(verdict.summary).toBe(
      'Drill of orders failed: no query against the restored database succeeded (and 1 more problem).',
    );
  });

  it('fails a drill whose RPO nobody measured, and never calls the RPO met', () => {
    const verdict = judgeDrill({ ...base, checks: [passing('rowCount:orders')] });
    expect(verdict.status).toBe('failed');
    expect(verdict.rpo).toEqual({
      outcome: 'not-measured',
      measured: false,
      measuredSeconds: null,
      objectiveSeconds: DAY,
      met: false,
      waiver: null,
    });
    expect(verdict.rto.met).toBe(true);
    expect(verdict.summary).toBe(
      'Drill of orders failed: the RPO was not measured because no freshness check found a row: add a freshness check on a table written to continuously, or waive the RPO for this database in drill.waive.rpo.',
    );
  });

  it('passes without an RPO measurement only when the config waives it, and says it was waived', () => {
    const reason = 'append-only ledger without a timestamp column';
    const verdict = judgeDrill({ ...base, checks: [passing('rowCount:orders')], waive: { rpo: reason } });
    expect(verdict.status).toBe('passed');
    expect(verdict.rpo).toEqual({
      outcome: 'waived',
      measured: false,
      measuredSeconds: null,
      objectiveSeconds: DAY,
      met: false,
      waiver: reason,
    });
    expect(verdict.summary).toBe(
      `Drill of orders passed: 1 of 1 check passed, restored in 4 min 12 s (objective 1 h), RPO not measured (waived: ${reason}).`,
    );
  });

  it('a waiver does not excuse a measured miss, nor a blank reason a missing measurement', () => {
    const missed = judgeDrill({ ...base, checks: [fresh(DAY + HOUR)], waive: { rpo: 'no reason needed' } });
    expect(missed.status).toBe('failed');
    expect(missed.rpo).toMatchObject({ outcome: 'missed', met: false, waiver: null });
    const blank = judgeDrill({ ...base, checks: [passing('rowCount:orders')], waive: { rpo: '  ' } });
    expect(blank.status).toBe('failed');
    expect(blank.rpo.outcome).toBe('not-measured');
  });

  it('reports no data lost rather than a negative loss when a row is newer than the recovery point', () => {
    const verdict = judgeDrill({ ...base, checks: [fresh(-120)] });
    expect(verdict.rpo).toEqual(measured(0, DAY));
    expect(verdict.summary).toContain(', no data would have been lost (objective 1 d).');
  });

  it('rejects a timestamp it cannot read', () => {
    expect(() => judgeDrill({ ...base, restoreStartedAt: 'yesterday', checks: [] })).toThrow(InvalidInput);
    expect(() => judgeDrill({ ...base, recoveryPointTime: '', checks: [] })).toThrow(/recoveryPointTime/);
  });

  it('passes exactly when all checks passed and both objectives were measured and met', () => {
    const START = Date.parse(RESTORE_STARTED);
    const POINT = Date.parse(RECOVERY_POINT);
    const check = fc.record({
      name: fc.constantFrom('rowCount:orders', 'freshness:orders.created_at', 'sql:ok', 'checksum:currencies'),
      passed: fc.boolean(),
      detail: fc.string({ minLength: 1, maxLength: 40 }),
      // Offsets in ms around the recovery point, so RPO lands on both sides of its objective.
      newestRow: fc.option(fc.integer({ min: -3_600_000, max: 5 * 86_400_000 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(
        fc.array(check, { maxLength: 6 }),
        fc.option(fc.integer({ min: 0, max: 4 * 3_600_000 }), { nil: undefined }),
        fc.integer({ min: 1, max: 4 * HOUR }),
        fc.integer({ min: 1, max: 3 * DAY }),
        (generated, queryAfterMs, rtoObjectiveSeconds, rpoObjectiveSeconds) => {
          const checks: CheckResult[] = generated.map(({ newestRow, ...rest }) =>
            newestRow === undefined ? rest : { ...rest, newestRow: new Date(POINT - newestRow).toISOString() },
          );
          const verdict = judgeDrill({
            database: 'orders',
            checks,
            restoreStartedAt: RESTORE_STARTED,
            firstGoodQueryAt: queryAfterMs === undefined ? undefined : new Date(START + queryAfterMs).toISOString(),
            recoveryPointTime: RECOVERY_POINT,
            rtoObjectiveSeconds,
            rpoObjectiveSeconds,
          });
          // Independent of the implementation: objectives from the raw millisecond arithmetic.
          const rtoMet = queryAfterMs !== undefined && queryAfterMs <= rtoObjectiveSeconds * 1000;
          const lossesMs = generated.flatMap((c) => (c.newestRow === undefined ? [] : [c.newestRow]));
          const rpoMet = lossesMs.length > 0 && Math.min(...lossesMs) <= rpoObjectiveSeconds * 1000;
          const expectPassed = generated.every((c) => c.passed) && rtoMet && rpoMet;

          expect(verdict.rto.met).toBe(rtoMet);
          expect(verdict.rpo.met).toBe(rpoMet);
          // "met" is never claimed for what was not measured.
          for (const o of [verdict.rto, verdict.rpo]) if (o.met) expect(o.measured && o.outcome === 'met').toBe(true);
          expect(verdict.rpo.measured).toBe(lossesMs.length > 0);
          expect(verdict.status).toBe(expectPassed ? 'passed' : 'failed');
          expect(verdict.reasons.length === 0).toBe(expectPassed);
          expect(verdict.summary.startsWith(`Drill of orders ${expectPassed ? 'passed' : 'failed'}: `)).toBe(true);
          expect(verdict.summary.endsWith('.')).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});
