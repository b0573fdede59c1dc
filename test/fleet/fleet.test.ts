import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { COPY_SLOT_RETRY } from '../../functions/backup/contracts';
import { type FleetResult, simulateFleet } from './simulate-fleet';

const MINUTE = 60_000;

function expectSafeAndComplete(result: FleetResult, databases: number, limit: number): void {
  expect(result.quotaErrors).toBe(0);
  expect(result.maxInProgress).toBeLessThanOrEqual(limit);
  expect(result.exhausted).toBe(0);
  expect(result.copiesStarted).toBe(databases);
  // No schedule can beat the bound, so a ratio below 1 would mean the simulation broke the limit somewhere.
  expect(result.ratio).toBeGreaterThanOrEqual(1 - 1e-12);
}

describe('500 databases share the copy slots', () => {
  it.each([1, 2, 3, 4, 5])('limit 20, seed %i: no quota errors, within 5 % of the bound', (seed) => {
    const result = simulateFleet({ databases: 500, limit: 20, seed });
    expectSafeAndComplete(result, 500, 20);
    expect(result.maxInProgress).toBe(20);
    expect(result.ratio).toBeLessThanOrEqual(1.05);
    expect(result.finalLeases).toEqual([]);
    // Every acquire call beyond the first one per database is a retry.
    expect(result.acquireCalls).toBe(500 + result.retries);
  });

  it.each([1, 2, 3])('limit 5, seed %i: no quota errors, within 5 % of the bound, inside the retry budget', (seed) => {
    const result = simulateFleet({ databases: 500, limit: 5, seed });
    expectSafeAndComplete(result, 500, 5);
    expect(result.maxInProgress).toBe(5);
    expect(result.ratio).toBeLessThanOrEqual(1.05);
    // Keep a quarter of the budget spare for the longest wait, so a slightly slower day does not fail backups.
    expect(result.maxRetriesPerExecution).toBeLessThanOrEqual(0.75 * COPY_SLOT_RETRY.maxAttempts);
  });

  it.each([7, 8])('limit 20, seed %i, starts spread over 10 minutes: within 5 % of the bound', (seed) => {
    const result = simulateFleet({ databases: 500, limit: 20, seed, startSpreadMs: 10 * MINUTE });
    expectSafeAndComplete(result, 500, 20);
    expect(result.ratio).toBeLessThanOrEqual(1.05);
  });

  it('loses under 1 % of slot time to polling', () => {
    const result = simulateFleet({ databases: 500, limit: 20, seed: 11 });
    expect(result.idleSlotMs / (result.lowerBoundMs * 20)).toBeLessThan(0.01);
  });

  it('is deterministic for a seed', () => {
    const options = { databases: 120, limit: 5, seed: 42, startSpreadMs: 5 * MINUTE, lostResponseRate: 0.1 };
    expect(simulateFleet(options)).toEqual(simulateFleet(options));
    expect(simulateFleet({ ...options, seed: 43 }).makespanMs).not.toBe(simulateFleet(options).makespanMs);
  });
});

describe('failure modes', () => {
  it('reclaims the slots of stopped executions once their leases expire, without breaking the quota', () => {
    // Leases outlast the longest copy (90 min), so an abandoned copy still in RDS keeps its slot until it is done.
    const result = simulateFleet({ databases: 300, limit: 10, seed: 5, abandonRate: 0.1, leaseMs: 2 * 60 * MINUTE });
    expectSafeAndComplete(result, 300, 10);
    expect(result.abandoned).toBeGreaterThan(0);
    expect(result.reclaimed).toBeGreaterThan(0);
    // Each abandoned lease is either swept by a later acquire or still there at the end; nothing else leaks.
    expect(result.reclaimed + result.finalLeases.length).toBe(result.abandoned);
  });

  it('starts exactly one copy when the acquire response is lost and the task runs again', () => {
    const result = simulateFleet({ databases: 200, limit: 10, seed: 9, lostResponseRate: 0.3 });
    expectSafeAndComplete(result, 200, 10);
    expect(result.alreadyHeld).toBeGreaterThan(0);
    expect(result.acquireCalls).toBe(200 + result.retries + result.alreadyHeld);
  });

  it('catches a lease shorter than the copy: the independent in-progress count sees the quota broken', () => {
    const result = simulateFleet({ databases: 200, limit: 10, seed: 3, leaseMs: 20 * MINUTE });
    expect(result.quotaErrors).toBeGreaterThan(0);
    expect(result.maxInProgress).toBeGreaterThan(10);
  });

  it('reports executions that run out of retries', () => {
    const retry = { ...COPY_SLOT_RETRY, maxAttempts: 20 };
    const result = simulateFleet({ databases: 200, limit: 5, seed: 3, retry });
    expect(result.exhausted).toBeGreaterThan(0);
    expect(result.copiesStarted + result.exhausted).toBe(200);
    expect(result.maxRetriesPerExecution).toBe(20);
  });
});

describe('fleet properties', () => {
  it('never exceeds the limit and copies every database, whatever the fleet', () => {
    fc.assert(
      fc.property(
        fc.record({
          databases: fc.integer({ min: 1, max: 60 }),
          limit: fc.integer({ min: 1, max: 8 }),
          seed: fc.nat(),
          startSpreadMs: fc.integer({ min: 0, max: 15 * MINUTE }),
          abandonRate: fc.double({ min: 0, max: 0.3, noNaN: true }),
          lostResponseRate: fc.double({ min: 0, max: 0.3, noNaN: true }),
        }),
        (options) => {
          const result = simulateFleet({ ...options, leaseMs: 2 * 60 * MINUTE });
          expectSafeAndComplete(result, options.databases, options.limit);
          expect(result.reclaimed + result.finalLeases.length).toBe(result.abandoned);
        },
      ),
      { numRuns: 40 },
    );
  });
});
