import { describe, expect, it, vi } from 'vitest';
import { InvalidInput } from '../../../functions/commons/errors';
import { validateDrill } from '../../../functions/drill/validate-drill';
import { entry, plan, useDrillEnvironment } from './drill-fixtures';

useDrillEnvironment();

const START = '2026-11-22T10:00:00.000Z';
const SOURCE = 'arn:aws:rds:eu-central-1:123456789012:db:orders-prod';
/** orders replicates its automated backups to the drill's region: it may be drilled to a point in time. */
const replicated = { ...entry, pointInTimeSource: SOURCE };
const validate = (request: unknown, execution = plan.execution) =>
  validateDrill({ request, catalog: { orders: replicated }, execution, startTime: START });

describe('validate-drill', () => {
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
    ['a database that is not a string', { database: 7 }, 'database: expected the id of a database'],
    ['a database without a drill', { database: 'billing' }, 'database "billing" has no drill configured'],
    [
      'a pointInTime without time',
      { database: 'orders', recoveryPoint: { type: 'pointInTime' } },
      'recoveryPoint.time:',
    ],
    ['a timeout over a day', { database: 'orders', overrides: { timeoutMinutes: 1441 } }, 'overrides.timeoutMinutes:'],
  ])('rejects %s (the words are pinned below where they matter)', async (_, request, field) => {
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
      ...replicated,
      database: 'orders',
      recoveryPoint: { type: 'latest' },
      drillId: expect.stringMatching(/^lifeline-drill-orders-[0-9a-f]{8}$/),
      execution: plan.execution,
      startedAt: START,
      // Nobody said who started it: by hand, by someone unnamed.
      trigger: { type: 'manual', startedBy: null },
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

  const SCHEDULE = 'arn:aws:scheduler:eu-west-1:123456789012:schedule/lifeline-drills/lifeline-drill-orders';
  it('records what started the drill: its schedule, a person who named themselves, or someone unnamed', async () => {
    // Act
    const scheduled = await validate({
      database: 'orders',
      schedule: { arn: SCHEDULE, scheduledTime: '2026-11-22T04:00:00Z' },
    });
    const byHand = await validate({ database: 'orders', startedBy: 'alice@example.com' });
    // Assess
    expect(scheduled.trigger).toEqual({ type: 'schedule', schedule: SCHEDULE, scheduledTime: '2026-11-22T04:00:00Z' });
    expect(byHand.trigger).toEqual({ type: 'manual', startedBy: 'alice@example.com' });
  });

  it('rejects a request that names both a schedule and a person, or a schedule that is not a schedule ARN', async () => {
    // Act
    const both = validate({
      database: 'orders',
      schedule: { arn: SCHEDULE, scheduledTime: START },
      startedBy: 'alice',
    });
    const notArn = validate({ database: 'orders', schedule: { arn: 'nightly', scheduledTime: START } });
    const empty = validate({ database: 'orders', startedBy: '' });
    // Assess
    await expect(both).rejects.toThrow(
      'schedule and startedBy: a drill is started by its schedule or by hand, not both',
    );
    await expect(notArn).rejects.toThrow(
      'schedule.arn: expected the ARN of an EventBridge Scheduler schedule, got "nightly"',
    );
    await expect(empty).rejects.toThrow('startedBy: expected who started the drill, in at most 200 characters');
  });
});

describe('validate-drill: the words of each rejection', () => {
  const REJECTED = 'Drill request rejected, nothing was restored: ';
  const SHAPES = '{"type":"latest"}, {"type":"snapshot","id":...} or {"type":"pointInTime","time":...}';
  const MINUTES = 'expected a whole number of minutes from 5 to 1440 (the longest this workflow waits for a restore)';
  it.each([
    ['null', null, 'input: Invalid input: expected object, received null, got null'],
    ['a string', 'orders', 'input: Invalid input: expected object, received string, got "orders"'],
    ['an array', ['orders'], 'input: Invalid input: expected object, received array, got ["orders"]'],
    ['no database', {}, 'database: expected the id of a database with a drill, got null'],
    ['unknown fields', { database: 'orders', dryRun: true, force: 1 }, 'unknown field "dryRun", "force"'],
    [
      'a recoveryPoint string',
      { database: 'orders', recoveryPoint: 'latest' },
      `recoveryPoint: expected ${SHAPES}, got "latest"`,
    ],
    [
      'an unknown recoveryPoint type',
      { database: 'orders', recoveryPoint: { type: 'newest' } },
      `recoveryPoint: expected ${SHAPES}, got {"type":"newest"}`,
    ],
    [
      'a field latest does not take',
      { database: 'orders', recoveryPoint: { type: 'latest', id: 'x' } },
      'recoveryPoint: unknown field "id"',
    ],
    [
      'a snapshot without id',
      { database: 'orders', recoveryPoint: { type: 'snapshot' } },
      'recoveryPoint.id: expected a snapshot identifier, got null',
    ],
    [
      'a malformed snapshot id',
      { database: 'orders', recoveryPoint: { type: 'snapshot', id: '1-snap' } },
      'recoveryPoint.id: expected a snapshot identifier, got "1-snap"',
    ],
    [
      'a pointInTime on 30 February',
      { database: 'orders', recoveryPoint: { type: 'pointInTime', time: '2026-02-30T00:00:00Z' } },
      'recoveryPoint.time: expected an ISO-8601 time or "latest", got "2026-02-30T00:00:00Z"',
    ],
    [
      'a future pointInTime',
      { database: 'orders', recoveryPoint: { type: 'pointInTime', time: '2026-11-22T10:00:01Z' } },
      'recoveryPoint.time: 2026-11-22T10:00:01Z is in the future',
    ],
    [
      'overrides that are not an object',
      { database: 'orders', overrides: 'big' },
      'overrides: Invalid input: expected object, received string, got "big"',
    ],
    ['an unknown override', { database: 'orders', overrides: { retries: 3 } }, 'overrides: unknown field "retries"'],
    [
      'a bad instance class',
      { database: 'orders', overrides: { instanceClass: 'm5.large' } },
      'overrides.instanceClass: expected an RDS instance class such as db.t4g.micro, got "m5.large"',
    ],
    [
      'a fractional timeout',
      { database: 'orders', overrides: { timeoutMinutes: 30.5 } },
      `overrides.timeoutMinutes: ${MINUTES}, got 30.5`,
    ],
    [
      'a timeout as text',
      { database: 'orders', overrides: { timeoutMinutes: '30' } },
      `overrides.timeoutMinutes: ${MINUTES}, got "30"`,
    ],
    [
      'a timeout under 5',
      { database: 'orders', overrides: { timeoutMinutes: 4 } },
      `overrides.timeoutMinutes: ${MINUTES}, got 4`,
    ],
  ])('rejects %s, saying where, what it expected and what it got', async (_, request, words) => {
    // Act
    const error = await validate(request).catch((e: unknown) => e);
    // Assess
    expect(error).toMatchObject({ name: 'InvalidInput', message: `${REJECTED}${words}` });
  });

  it('names every problem of a request at once', async () => {
    const error = await validate({
      database: 5,
      recoveryPoint: { type: 'snapshot', id: '' },
      overrides: { timeoutMinutes: 2, y: 1 },
      z: 1,
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: 'InvalidInput',
      message: `${REJECTED}database: expected the id of a database with a drill, got 5; recoveryPoint.id: expected a snapshot identifier, got ""; overrides.timeoutMinutes: ${MINUTES}, got 2; overrides: unknown field "y"; unknown field "z"`,
    });
  });

  it('names the temporary database after the installation', async () => {
    vi.stubEnv('LIFELINE_INSTALLATION', 'shop');
    await expect(validate({ database: 'orders' })).resolves.toMatchObject({
      drillId: expect.stringMatching(/^shop-drill-orders-[0-9a-f]{8}$/),
    });
  });
});

describe('validate-drill: what the catalog and the clock allow', () => {
  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'])(
    'rejects database %s, a name Object.prototype has, before anything is restored',
    async (database) => {
      // Act
      const error = await validate({ database }).catch((e: unknown) => e);
      // Assess
      expect(error).toMatchObject({
        name: 'InvalidInput',
        message: `Drill request rejected, nothing was restored: database "${database}" has no drill configured (drills: orders)`,
      });
    },
  );

  it('rejects a point in time older than RDS keeps automated backups (35 days)', async () => {
    const error = await validate({
      database: 'orders',
      recoveryPoint: { type: 'pointInTime', time: '0001-01-01T00:00:00Z' },
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: 'InvalidInput',
      message:
        'Drill request rejected, nothing was restored: recoveryPoint.time: 0001-01-01T00:00:00Z is more than 35 days before the drill started (2026-11-22T10:00:00.000Z); RDS keeps automated backups at most 35 days: choose a later time, or a snapshot',
    });
  });

  it('accepts a point in time 35 days back, and not a minute more', async () => {
    const time = (days: number, minutes = 0) =>
      new Date(Date.parse(START) - days * 86_400_000 - minutes * 60_000).toISOString();
    await expect(
      validate({ database: 'orders', recoveryPoint: { type: 'pointInTime', time: time(35) } }),
    ).resolves.toMatchObject({ recoveryPoint: { type: 'pointInTime', time: time(35) } });
    await expect(
      validate({ database: 'orders', recoveryPoint: { type: 'pointInTime', time: time(35, 1) } }),
    ).rejects.toThrow(/is more than 35 days before the drill started/);
  });

  it('takes "latest" for the latest restorable time, which preflight reads', async () => {
    await expect(
      validate({ database: 'orders', recoveryPoint: { type: 'pointInTime', time: 'latest' } }),
    ).resolves.toMatchObject({ recoveryPoint: { type: 'pointInTime', time: 'latest' } });
  });

  it('refuses a point in time of a database whose automated backups are not replicated, before anything is restored', async () => {
    // Prepare: the catalog entry of a database without continuous automated-backup replication
    const request = { database: 'orders', recoveryPoint: { type: 'pointInTime', time: 'latest' } };
    // Act
    const run = validateDrill({ request, catalog: { orders: entry }, execution: plan.execution, startTime: START });
    // Assess
    await expect(run).rejects.toMatchObject({
      name: 'InvalidInput',
      message:
        'Drill request rejected, nothing was restored: database "orders" cannot be drilled to a point in time: its automated backups are not replicated to eu-west-1 (set continuous: { mode: \'automated-backup-replication\' }); leave recoveryPoint out to drill the newest verified copy, or name a snapshot',
    });
  });
});
