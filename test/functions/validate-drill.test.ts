import { beforeEach, describe, expect, it } from 'vitest';
import { validateDrill } from '../../functions/drill/validate-drill';
import { ordersDrillEntry } from '../fixtures/drill-catalog';

beforeEach(() => {
  process.env.LIFELINE_INSTALLATION = 'lifeline';
});

const entry = ordersDrillEntry;
const START = '2026-11-22T10:00:00.000Z';
const validate = (request: unknown) =>
  validateDrill({
    request,
    catalog: { orders: entry },
    execution: 'arn:aws:states:eu-west-1:123456789012:execution:lifeline-drill:run-1',
    startTime: START,
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
});
