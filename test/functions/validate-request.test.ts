import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import type { CatalogEntry } from '../../functions/backup/contracts';
import { requestProblems, validateRequest } from '../../functions/backup/validate-request';

const catalog: Record<string, CatalogEntry> = {
  orders: {
    id: 'orders',
    kind: 'instance',
    identifier: 'orders-prod',
    engine: 'postgres',
    timeZone: 'UTC',
    copyToDr: true,
    copyToVault: false,
    retention: { daily: 7, weekly: 4, monthly: 12, yearly: 7 },
  },
};
const startTime = '2026-11-22T02:00:00.000Z';
const validate = (request: unknown) =>
  validateRequest({ request, catalog, execution: 'arn:aws:states:eu-central-1:1:execution:b:run', startTime });

beforeEach(() => {
  process.env.AWS_REGION = 'eu-central-1';
  process.env.DR_REGION = 'eu-west-1';
  process.env.LIFELINE_INSTALLATION = 'lifeline';
  // The function's clock (runtime now()) reads Date.now(): fix it at the execution's start.
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date(startTime));
});
afterEach(() => {
  delete process.env.DR_REGION;
  vi.useRealTimers();
});

/**
 * How validate-request worded its problems with full zod (`z.strictObject` with `reportInput`, zod's English
 * messages); the zod/mini check, which ships no messages, must say exactly the same: operators and alert texts rely on it.
 */
const zodRequest = z.strictObject({
  database: z.string({ error: 'expected the id of a protected database' }),
  scheduledTime: z.iso
    .datetime({ offset: true, error: 'expected an ISO-8601 time such as 2026-11-22T02:00:00Z' })
    .optional(),
});
function zodProblems(request: unknown): string[] {
  const parsed = zodRequest.safeParse(request, { reportInput: true });
  if (parsed.success) return [];
  return parsed.error.issues.map((issue) =>
    issue.code === 'unrecognized_keys'
      ? `unknown field ${issue.keys.map((k) => `"${k}"`).join(', ')}`
      : `${issue.path.join('.') || 'input'}: ${issue.message}, got ${JSON.stringify((issue as { input?: unknown }).input ?? null)}`,
  );
}

/** Strings near an ISO-8601 date-time: mostly well-formed, with every part now and then out of range or misspelt. */
const mostly = <T>(usual: fc.Arbitrary<T>, odd: fc.Arbitrary<T>) =>
  fc.oneof({ arbitrary: usual, weight: 15 }, { arbitrary: odd, weight: 1 });
const padded = (min: number, max: number, width = 2) =>
  fc.integer({ min, max }).map((v) => String(v).padStart(width, '0'));
const timeLike = fc
  .tuple(
    mostly(padded(1896, 2404, 4), fc.constantFrom('1900', '2000', '2100', '0000', '+02026', '26')),
    mostly(fc.constant('-'), fc.constantFrom('/', '')),
    mostly(fc.oneof(padded(1, 12), fc.constant('02')), fc.constantFrom('00', '13', '1')),
    mostly(fc.constant('-'), fc.constantFrom('/', '')),
    mostly(padded(1, 31), fc.constantFrom('00', '32', '1')),
    mostly(fc.constant('T'), fc.constantFrom('t', ' ', '')),
    mostly(padded(0, 23), fc.constantFrom('24', '7')),
    mostly(fc.constant(':'), fc.constantFrom('', '.')),
    mostly(padded(0, 59), fc.constantFrom('60', '5')),
    mostly(fc.oneof(padded(0, 59).map((ss) => `:${ss}`)), fc.constantFrom('', ':60', ':5')),
    mostly(fc.constantFrom('', '.1', '.123', '.123456789'), fc.constantFrom('.', ',5', '.1.2')),
    mostly(
      fc.oneof(
        fc.constant('Z'),
        fc.tuple(fc.constantFrom('+', '-'), padded(0, 23), padded(0, 59)).map(([s, hh, mm]) => `${s}${hh}:${mm}`),
      ),
      fc.constantFrom('z', '', '+24:00', '-00:60', '+0100', '+01', ' Z'),
    ),
  )
  .map((parts) => parts.join(''));

describe('validate-request', () => {
  it('turns a request into the plan of the run', async () => {
    // Act
    const plan = await validate({ database: 'orders', scheduledTime: '2026-11-22T03:00:00+01:00' });
    // Assess
    expect(plan).toMatchObject({
      database: 'orders',
      identifier: 'orders-prod',
      snapshotId: 'lifeline-orders-20261122t0200',
      scheduledTime: '2026-11-22T02:00:00.000Z',
      pruneTargets: [
        { region: 'eu-central-1', role: 'source' },
        { region: 'eu-west-1', role: 'copy' },
      ],
    });
  });

  it('rejects every problem of a request at once, with what it got', async () => {
    await expect(validate({ database: 5, scheduledTime: 'yesterday', when: 1, why: 2 })).rejects.toMatchObject({
      name: 'InvalidInput',
      message:
        'Backup request rejected, nothing was changed: database: expected the id of a protected database, got 5; ' +
        'scheduledTime: expected an ISO-8601 time such as 2026-11-22T02:00:00Z, got "yesterday"; unknown field "when", "why"',
    });
  });

  it.each([
    [{ database: 'orders', when: 'yesterday' }, ['unknown field "when"']],
    [{}, ['database: expected the id of a protected database, got null']],
    [
      { database: 'orders', scheduledTime: '2026-11-22T02:00:00' },
      ['scheduledTime: expected an ISO-8601 time such as 2026-11-22T02:00:00Z, got "2026-11-22T02:00:00"'],
    ],
    [
      { database: 'orders', scheduledTime: null },
      ['scheduledTime: expected an ISO-8601 time such as 2026-11-22T02:00:00Z, got null'],
    ],
    [null, ['input: Invalid input: expected object, received null, got null']],
    ['orders', ['input: Invalid input: expected object, received string, got "orders"']],
    [['orders'], ['input: Invalid input: expected object, received array, got ["orders"]']],
    [{ database: 'orders', scheduledTime: '2028-02-29T23:59:59.5-23:59' }, []],
  ])('words the problems of %j as before', (request, problems) => {
    expect(requestProblems(request)).toEqual(problems);
  });

  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'])(
    'rejects database %s, a name Object.prototype has, before anything is created',
    async (database) => {
      await expect(validate({ database })).rejects.toMatchObject({
        name: 'InvalidInput',
        message: `Backup request rejected, nothing was changed: database "${database}" is not protected by Lifeline (known: orders)`,
      });
    },
  );

  it.each([
    ['the end of time', '9999-12-31T23:59:00Z', 'is more than 10 minutes after now (2026-11-22T02:00:00.000Z)'],
    ['eleven minutes ahead', '2026-11-22T02:11:00Z', 'is more than 10 minutes after now'],
    ['year 0', '0000-12-31T23:00:00Z', 'is more than 3 days before now (2026-11-22T02:00:00.000Z)'],
    ['three days and a minute ago', '2026-11-19T01:59:00Z', 'is more than 3 days before now'],
  ])('rejects a scheduledTime at %s, before anything is created', async (_, scheduledTime, words) => {
    await expect(validate({ database: 'orders', scheduledTime })).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringContaining(
        `Backup request rejected, nothing was changed: scheduledTime: ${scheduledTime} ${words}`,
      ),
    });
  });

  it.each([
    ['ten minutes ahead (clock skew)', '2026-11-22T02:10:00Z'],
    ['the moment of the run', '2026-11-22T02:00:00Z'],
    ['Scheduler retrying a day late', '2026-11-21T02:00:00Z'],
    ['exactly three days ago', '2026-11-19T02:00:00Z'],
  ])('accepts a scheduledTime %s', async (_, scheduledTime) => {
    await expect(validate({ database: 'orders', scheduledTime })).resolves.toMatchObject({
      scheduledTime: new Date(scheduledTime).toISOString(),
    });
  });

  it('accepts exactly the times zod accepted', () => {
    fc.assert(
      fc.property(timeLike, (time) => {
        expect(requestProblems({ database: 'orders', scheduledTime: time })).toEqual(
          zodProblems({ database: 'orders', scheduledTime: time }),
        );
      }),
      { numRuns: 20_000 },
    );
  });

  it('words the problems of any JSON input exactly as zod did', () => {
    const value = fc.oneof(fc.jsonValue({ maxDepth: 1 }), timeLike, fc.constant('2026-11-22T02:00:00Z'));
    const request = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.dictionary(fc.constantFrom('database', 'scheduledTime', 'when', 'Database', '__proto__', ''), value),
    );
    fc.assert(
      fc.property(request, (input) => {
        const json = JSON.parse(JSON.stringify(input)) as unknown;
        expect(requestProblems(json)).toEqual(zodProblems(json));
      }),
      { numRuns: 5_000 },
    );
  });
});
