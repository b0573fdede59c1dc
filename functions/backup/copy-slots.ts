/** Copy-slot semaphore core: pure decisions that the DynamoDB adapter writes to one item per region, on `version`. */
import type { CopySlotRetryPolicy } from './contracts';

export interface SlotLease {
  readonly holder: string;
  /** Epoch milliseconds. */
  readonly acquiredAt: number;
  /** Epoch milliseconds; the lease is dead once `expiresAt <= now`. */
  readonly expiresAt: number;
}

export interface SlotState {
  readonly leases: readonly SlotLease[];
  /** Bumped on every change so the adapter can write with an optimistic-concurrency condition. */
  readonly version: number;
}

export type AcquireDecision =
  | {
      readonly kind: 'acquired';
      readonly state: SlotState;
      readonly lease: SlotLease;
      readonly reclaimed: readonly string[];
    }
  | { readonly kind: 'already-held'; readonly state: SlotState; readonly lease: SlotLease }
  | {
      readonly kind: 'full';
      readonly state: SlotState;
      readonly retryAfterMs: number;
      readonly reclaimed: readonly string[];
    };

export interface AcquireOptions {
  /** Copies allowed in progress at once towards the destination region. */
  readonly limit: number;
  /** Epoch milliseconds. */
  readonly now: number;
  /** Must outlast the longest copy, or a second copy could start while the first still runs. */
  readonly leaseMs: number;
}

export const EMPTY_SLOT_STATE: SlotState = { leases: [], version: 0 };

export function decideAcquire(state: SlotState, holder: string, opts: AcquireOptions): AcquireDecision {
  const { limit, now, leaseMs } = opts;
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
  if (!Number.isFinite(leaseMs) || leaseMs <= 0) throw new RangeError(`leaseMs must be positive, got ${leaseMs}`);
  if (!Number.isFinite(now)) throw new RangeError(`now must be finite, got ${now}`);

  const live = state.leases.filter((lease) => lease.expiresAt > now);
  const reclaimed = state.leases.filter((lease) => lease.expiresAt <= now).map((lease) => lease.holder);
  // Reclaiming is itself a change, so it bumps the version like any other write.
  const swept: SlotState = reclaimed.length > 0 ? { leases: live, version: state.version + 1 } : state;

  const held = live.find((lease) => lease.holder === holder);
  if (held) return { kind: 'already-held', state: swept, lease: held };

  if (live.length < limit) {
    const lease: SlotLease = { holder, acquiredAt: now, expiresAt: now + leaseMs };
    return { kind: 'acquired', state: { leases: [...live, lease], version: state.version + 1 }, lease, reclaimed };
  }

  // live is non-empty here because limit >= 1; the earliest expiry is when a slot frees at the latest.
  const earliestExpiry = Math.min(...live.map((lease) => lease.expiresAt));
  return { kind: 'full', state: swept, retryAfterMs: Math.max(0, earliestExpiry - now), reclaimed };
}

export function decideRelease(
  state: SlotState,
  holder: string,
): { readonly state: SlotState; readonly released: boolean } {
  const kept = state.leases.filter((lease) => lease.holder !== holder);
  if (kept.length === state.leases.length) return { state, released: false };
  return { state: { leases: kept, version: state.version + 1 }, released: true };
}

/** Seconds before retry `attempt` (0-based), as Step Functions computes it; `random` in [0, 1) applies FULL jitter. */
export function retryDelaySeconds(policy: CopySlotRetryPolicy, attempt: number, random: () => number): number {
  const capped = Math.min(policy.intervalSeconds * policy.backoffRate ** attempt, policy.maxDelaySeconds);
  return policy.jitter === 'FULL' ? random() * capped : capped;
}
