import { describe, expect, it } from 'vitest';
import { InvalidInput } from '../../../functions/commons/errors';
import { validateDrill } from '../../../functions/drill/validate-drill';
import { entry, plan, useDrillEnvironment } from './drill-fixtures';

useDrillEnvironment();

describe('validate-drill', () => {
  const START = '2026-11-22T10:00:00.000Z';
  const validate = (request: unknown, execution = plan.execution) =>
    validateDrill({ request, catalog: { orders: entry }, execution, startTime: START });

  it('rejects an override longer than the workflow waits for a restore, naming the limit', async () => {
    // Prepare: a workflow whose restore poll and execution timeout allow 600 minutes.
    const request = { database: 'orders', overrides: { timeoutMinutes: 601 } };
    const input = { request, catalog: { orders: entry }, execution: plan.execution, startTime: START };
    // Act
    const run = validateDrill({ ...input, maxTimeoutMinutes: 600 });
    // Assess
    await expect(run).rejects.toThrow(InvalidInput);
    await expect(run).rejects.toThrow('overrides.timeoutMinutes: expected a whole number of minutes from 5 to 600');
    await expect(
      validateDrill({ ...input, request: { ...request, overrides: { timeoutMinutes: 600 } }, maxTimeoutMinutes: 600 }),
    ).resolves.toMatchObject({ timeoutSeconds: 36_000 });
  });

  it.each([
    ['a string', 'orders', 'input: Invalid input: expected object, received string'],
    ['null', null, 'input: Invalid input: expected object, received null'],
    ['an array', ['orders'], 'input: Invalid input: expected object, received array'],
    ['an unknown field', { database: 'orders', dryRun: true }, 'unknown field "dryRun"'],
    ['no database', {}, 'database: expected the id of a database'],
    ['a database that is not a string', { database: 7 }, 'database: expected the id of a database'],
    ['a database without a drill', { database: 'billing' }, 'database "billing" has no drill configured'],
    ['a recoveryPoint string', { database: 'orders', recoveryPoint: 'latest' }, 'recoveryPoint: expected'],
    [
      'an unknown recoveryPoint type',
      { database: 'orders', recoveryPoint: { type: 'newest' } },
      'recoveryPoint: expected',
    ],
    [
      'a field latest does not take',
      { database: 'orders', recoveryPoint: { type: 'latest', id: 'x' } },
      'recoveryPoint: unknown field "id"',
    ],
    ['a snapshot without id', { database: 'orders', recoveryPoint: { type: 'snapshot' } }, 'recoveryPoint.id:'],
    [
      'a malformed snapshot id',
      { database: 'orders', recoveryPoint: { type: 'snapshot', id: '1-snap' } },
      'recoveryPoint.id:',
    ],
    [
      'a pointInTime without time',
      { database: 'orders', recoveryPoint: { type: 'pointInTime' } },
      'recoveryPoint.time:',
    ],
    [
      'a pointInTime on 30 February',
      { database: 'orders', recoveryPoint: { type: 'pointInTime', time: '2026-02-30T00:00:00Z' } },
      'recoveryPoint.time: expected an ISO-8601 time',
    ],
    [
      'a future pointInTime',
      { database: 'orders', recoveryPoint: { type: 'pointInTime', time: '2026-11-22T10:00:01Z' } },
      'recoveryPoint.time: 2026-11-22T10:00:01Z is in the future',
    ],
    ['overrides that are not an object', { database: 'orders', overrides: 'big' }, 'overrides: Invalid input'],
    ['an unknown override', { database: 'orders', overrides: { retries: 3 } }, 'overrides: unknown field "retries"'],
    [
      'a bad instance class',
      { database: 'orders', overrides: { instanceClass: 'm5.large' } },
      'overrides.instanceClass:',
    ],
    [
      'a timeout under 5 minutes',
      { database: 'orders', overrides: { timeoutMinutes: 4 } },
      'overrides.timeoutMinutes:',
    ],
    ['a timeout over a day', { database: 'orders', overrides: { timeoutMinutes: 1441 } }, 'overrides.timeoutMinutes:'],
    ['a fractional timeout', { database: 'orders', overrides: { timeoutMinutes: 30.5 } }, 'overrides.timeoutMinutes:'],
    ['a timeout as text', { database: 'orders', overrides: { timeoutMinutes: '30' } }, 'overrides.timeoutMinutes:'],
  ])('rejects %s', async (_, request, field) => {
    // Act
    const error = await validate(request).catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(InvalidInput);
    expect((error as Error).message).toMatch(/^Drill request rejected, nothing was restored: /);
    expect((error as Error).message).toContain(field);
  });

  it('plans a drill with a stable id per execution', async () => {
    // Act
    const first = await validate({ database: 'orders' });
    // Assess
    expect(first).toEqual({
      ...entry,
      database: 'orders',
      recoveryPoint: { type: 'latest' },
      drillId: expect.stringMatching(/^lifeline-drill-orders-[0-9a-f]{8}$/),
      execution: plan.execution,
      startedAt: START,
    });
    expect((await validate({ database: 'orders' })).drillId).toBe(first.drillId);
    const other = await validate({ database: 'orders' }, `${plan.execution}-again`);
    expect(other.drillId).toMatch(/^lifeline-drill-orders-[0-9a-f]{8}$/);
    expect(other.drillId).not.toBe(first.drillId);
  });

  it('applies overrides and takes the recovery point as given', async () => {
    // Act
    const out = await validate({
      database: 'orders',
      recoveryPoint: { type: 'pointInTime', time: START },
      overrides: { instanceClass: 'db.r6g.large', timeoutMinutes: 90 },
    });
    // Assess
    expect(out).toMatchObject({
      instanceClass: 'db.r6g.large',
      // Marked, so that preflight asks RDS whether it offers the class for the engine.
      instanceClassOverride: 'db.r6g.large',
      configuredInstanceClass: 'db.t4g.micro',
      timeoutSeconds: 5_400,
      recoveryPoint: { type: 'pointInTime', time: START },
    });
  });
});
