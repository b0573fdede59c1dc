import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { COPY_SLOT_RETRY } from '../../functions/backup/contracts';
import {
  decideAcquire,
  decideRelease,
  EMPTY_SLOT_STATE,
  retryDelaySeconds,
  type SlotLease,
  type SlotState,
} from '../../functions/backup/copy-slots';
import { NoCopySlot } from '../../functions/commons/errors';

const HOUR_MS = 3_600_000;
const opts = { limit: 2, now: 1_000, leaseMs: HOUR_MS };

function lease(holder: string, expiresAt: number, acquiredAt = 0): SlotLease {
  return { holder, acquiredAt, expiresAt };
}

const liveCount = (state: SlotState, now: number) => state.leases.filter((l) => l.expiresAt > now).length;

describe('decideAcquire', () => {
  it('hands out a lease and bumps the version while slots are free', () => {
    const decision = decideAcquire(EMPTY_SLOT_STATE, 'a', opts);
    expect(decision).toEqual({
      kind: 'acquired',
      lease: { holder: 'a', acquiredAt: 1_000, expiresAt: 1_000 + HOUR_MS },
      state: { leases: [{ holder: 'a', acquiredAt: 1_000, expiresAt: 1_000 + HOUR_MS }], version: 1 },
      reclaimed: [],
    });
  });

  it('reports full with the wait until the earliest lease expires, without changing the state', () => {
    const state: SlotState = { leases: [lease('a', 9_000), lease('b', 5_000)], version: 7 };
    const decision = decideAcquire(state, 'c', opts);
    expect(decision).toEqual({ kind: 'full', state, retryAfterMs: 4_000, reclaimed: [] });
    expect(decision.state).toBe(state);
  });

  it('returns the existing lease to a holder that runs again', () => {
    const state: SlotState = { leases: [lease('a', 9_000), lease('b', 5_000)], version: 7 };
    const decision = decideAcquire(state, 'b', opts);
    expect(decision).toEqual({ kind: 'already-held', state, lease: lease('b', 5_000) });
    expect(decision.state).toBe(state);
  });

  it('reclaims leases whose expiry is now or earlier', () => {
    const state: SlotState = { leases: [lease('gone', 1_000), lease('kept', 1_001), lease('old', 10)], version: 3 };
    const decision = decideAcquire(state, 'c', opts);
    expect(decision.kind).toBe('acquired');
    if (decision.kind !== 'acquired') return;
    expect(decision.reclaimed).toEqual(['gone', 'old']);
    expect(decision.state.leases.map((l) => l.holder)).toEqual(['kept', 'c']);
    expect(decision.state.version).toBe(4);
  });

  it('stays full when the limit was lowered below the live leases, but still reclaims', () => {
    const state: SlotState = { leases: [lease('a', 9_000), lease('b', 9_000), lease('x', 500)], version: 1 };
    const decision = decideAcquire(state, 'c', { ...opts, limit: 1 });
    expect(decision).toEqual({
      kind: 'full',
      state: { leases: [lease('a', 9_000), lease('b', 9_000)], version: 2 },
      retryAfterMs: 8_000,
      reclaimed: ['x'],
    });
  });

  it.each([
    { limit: 0, now: 0, leaseMs: 1 },
    { limit: 1.5, now: 0, leaseMs: 1 },
    { limit: 1, now: 0, leaseMs: 0 },
    { limit: 1, now: Number.NaN, leaseMs: 1 },
  ])('rejects invalid options %o', (bad) => {
    expect(() => decideAcquire(EMPTY_SLOT_STATE, 'a', bad)).toThrow(RangeError);
  });
});

describe('decideRelease', () => {
  it('drops the holder lease and bumps the version', () => {
    const state: SlotState = { leases: [lease('a', 9_000), lease('b', 9_000)], version: 4 };
    expect(decideRelease(state, 'a')).toEqual({ state: { leases: [lease('b', 9_000)], version: 5 }, released: true });
  });

  it('leaves the state untouched for a holder without a lease', () => {
    const state: SlotState = { leases: [lease('a', 9_000)], version: 4 };
    const result = decideRelease(state, 'b');
    expect(result.released).toBe(false);
    expect(result.state).toBe(state);
  });
});

describe('NoCopySlot', () => {
  it('is named for the state machine Retry and says how many slots are in use', () => {
    const error = new NoCopySlot(20, 20, 1_500);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('NoCopySlot');
    expect(error.message).toBe('No copy slot free: 20 of 20 copy slots in use');
    expect(error.retryAfterMs).toBe(1_500);
  });
});

describe('COPY_SLOT_RETRY', () => {
  const { intervalSeconds, backoffRate, maxDelaySeconds, maxAttempts } = COPY_SLOT_RETRY;

  it('covers at least 48 hours of waiting, even with jitter halving the mean delay', () => {
    expect(maxAttempts * maxDelaySeconds).toBeGreaterThanOrEqual(48 * 3600);
    if (COPY_SLOT_RETRY.jitter === 'FULL')
      expect((maxAttempts * maxDelaySeconds) / 2).toBeGreaterThanOrEqual(48 * 3600);
  });

  it('fits Step Functions limits and the 25,000-event execution history', () => {
    for (const value of [intervalSeconds, maxDelaySeconds, maxAttempts]) {
      expect(Number.isInteger(value)).toBe(true);
      expect(value).toBeGreaterThanOrEqual(1);
      expect(value).toBeLessThanOrEqual(99_999_999);
    }
    expect(backoffRate).toBeGreaterThanOrEqual(1);
    // A failed Lambda task writes about three history events; keep a third of the quota for the rest of the workflow.
    expect(maxAttempts * 3).toBeLessThanOrEqual(25_000 - 8_000);
  });

  it('does not poll faster than every 30 seconds once past the first retry', () => {
    expect(intervalSeconds).toBeGreaterThanOrEqual(30);
    expect(maxDelaySeconds).toBeGreaterThanOrEqual(intervalSeconds);
  });
});

describe('retryDelaySeconds', () => {
  const policy = {
    intervalSeconds: 60,
    backoffRate: 1.5,
    maxDelaySeconds: 300,
    maxAttempts: 10,
    jitter: 'NONE' as const,
  };

  it('backs off exponentially up to the cap', () => {
    const delays = [0, 1, 2, 3, 4, 5].map((attempt) => retryDelaySeconds(policy, attempt, () => 0.5));
    expect(delays).toEqual([60, 90, 135, 202.5, 300, 300]);
  });

  it('draws a FULL-jitter delay between zero and the capped delay', () => {
    fc.assert(
      fc.property(fc.nat(50), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (attempt, r) => {
        const full = retryDelaySeconds({ ...policy, jitter: 'FULL' }, attempt, () => r);
        const none = retryDelaySeconds(policy, attempt, () => r);
        expect(full).toBeCloseTo(r * none, 9);
        expect(full).toBeLessThanOrEqual(300);
      }),
    );
  });
});

// Operations on one semaphore; holders come from a small pool so collisions (re-runs, releases) happen often.
const holderArb = fc.constantFrom('h0', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'h7');
const opArb = fc.oneof(
  fc.record({ op: fc.constant('acquire' as const), holder: holderArb, advanceMs: fc.nat(HOUR_MS) }),
  fc.record({ op: fc.constant('release' as const), holder: holderArb, advanceMs: fc.constant(0) }),
);
const leaseArb = fc.record({
  holder: fc.oneof(holderArb, fc.string({ maxLength: 3 })),
  acquiredAt: fc.integer({ min: 0, max: 4 * HOUR_MS }),
  expiresAt: fc.integer({ min: 0, max: 4 * HOUR_MS }),
});
const stateArb = fc.record({ leases: fc.array(leaseArb, { maxLength: 10 }), version: fc.nat(1_000) });
const nowArb = fc.nat(4 * HOUR_MS);

describe('semaphore properties', () => {
  it('never holds more than `limit` live leases, nor two for one holder', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.array(opArb, { maxLength: 80 }), (limit, ops) => {
        let state = EMPTY_SLOT_STATE;
        let now = 0;
        for (const { op, holder, advanceMs } of ops) {
          now += advanceMs;
          if (op === 'release') {
            state = decideRelease(state, holder).state;
            continue;
          }
          const before = liveCount(state, now);
          const decision = decideAcquire(state, holder, { limit, now, leaseMs: 2 * HOUR_MS });
          if (decision.kind === 'acquired') expect(before).toBeLessThan(limit);
          if (decision.kind === 'full') expect(before).toBeGreaterThanOrEqual(limit);
          state = decision.state;
          expect(liveCount(state, now)).toBeLessThanOrEqual(limit);
          const holders = state.leases.map((l) => l.holder);
          expect(new Set(holders).size).toBe(holders.length);
        }
      }),
    );
  });

  it('bumps the version on every change and only then', () => {
    fc.assert(
      fc.property(
        stateArb,
        fc.integer({ min: 1, max: 6 }),
        fc.array(opArb, { maxLength: 40 }),
        (initial, limit, ops) => {
          let state: SlotState = initial;
          let now = 0;
          for (const { op, holder, advanceMs } of ops) {
            now += advanceMs;
            const next =
              op === 'release'
                ? decideRelease(state, holder).state
                : decideAcquire(state, holder, { limit, now, leaseMs: 2 * HOUR_MS }).state;
            const changed = JSON.stringify(next.leases) !== JSON.stringify(state.leases);
            expect(next.version).toBe(changed ? state.version + 1 : state.version);
            if (!changed) expect(next).toBe(state);
            state = next;
          }
        },
      ),
    );
  });

  it('answers a repeated acquire by the same holder with the same lease and no change', () => {
    fc.assert(
      fc.property(stateArb, holderArb, fc.integer({ min: 1, max: 6 }), nowArb, (s, h, limit, now) => {
        const first = decideAcquire(s, h, { limit, now, leaseMs: HOUR_MS });
        const again = decideAcquire(first.state, h, { limit, now, leaseMs: HOUR_MS });
        if (first.kind === 'full') {
          expect(again.kind).toBe('full');
        } else {
          expect(again).toEqual({ kind: 'already-held', state: first.state, lease: first.lease });
        }
        expect(again.state).toBe(first.state);
      }),
    );
  });

  it('changes nothing when a non-holder releases', () => {
    fc.assert(
      fc.property(stateArb, holderArb, (s, h) => {
        fc.pre(!s.leases.some((l) => l.holder === h));
        const result = decideRelease(s, h);
        expect(result.released).toBe(false);
        expect(result.state).toBe(s);
      }),
    );
  });

  it('reclaims exactly the expired leases, whoever asks', () => {
    fc.assert(
      fc.property(stateArb, holderArb, fc.integer({ min: 1, max: 6 }), nowArb, (s, h, limit, now) => {
        const decision = decideAcquire(s, h, { limit, now, leaseMs: HOUR_MS });
        const expired = s.leases.filter((l) => l.expiresAt <= now).map((l) => l.holder);
        if (decision.kind !== 'already-held') expect(decision.reclaimed).toEqual(expired);
        expect(decision.state.leases.every((l) => l.expiresAt > now)).toBe(true);
        const survivors = s.leases.filter((l) => l.expiresAt > now);
        expect(decision.state.leases.slice(0, survivors.length)).toEqual(survivors);
      }),
    );
  });
});
