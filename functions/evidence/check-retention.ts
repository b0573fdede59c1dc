/**
 * The retention check of one database's DR copies: of the calendar slots its retention asks a recovery point for
 * (each of the last `daily` days, `weekly` ISO weeks, `monthly` months, `yearly` years, in UTC, back to its first
 * kept copy; the current one counts once it holds a copy, as the prune counts it), how many hold a verified copy; and how many managed copies the retention would delete but are still
 * there. Pure: the copies in, the counts out.
 */

import { isVerifiedCopy } from '../alerts/newest-verified-copy';
import { type PrunableSnapshot, planPrune } from '../backup/prune-plan';
import { TAG } from '../commons/contracts';

export interface RetentionCounts {
  readonly daily?: number;
  readonly weekly?: number;
  readonly monthly?: number;
  readonly yearly?: number;
}

export interface RetentionCheck {
  readonly kept: number;
  readonly expected: number;
  readonly beyond: number;
  /** The slots without a verified copy, such as `daily 2026-11-28`, oldest first within each class. */
  readonly missing: readonly string[];
}

const DAY = 86_400_000;

/** The start of the UTC day, ISO week (Monday), month or year holding `t`, and the start of the one before it. */
const slots = {
  daily: (t: number) => Math.floor(t / DAY) * DAY,
  weekly: (t: number) => {
    const day = Math.floor(t / DAY) * DAY;
    return day - ((new Date(day).getUTCDay() + 6) % 7) * DAY;
  },
  monthly: (t: number) => Date.UTC(new Date(t).getUTCFullYear(), new Date(t).getUTCMonth(), 1),
  yearly: (t: number) => Date.UTC(new Date(t).getUTCFullYear(), 0, 1),
} as const;
const label = {
  daily: (t: number) => new Date(t).toISOString().slice(0, 10),
  weekly: (t: number) => `week of ${new Date(t).toISOString().slice(0, 10)}`,
  monthly: (t: number) => new Date(t).toISOString().slice(0, 7),
  yearly: (t: number) => new Date(t).toISOString().slice(0, 4),
} as const;

export function checkRetention(
  snapshots: readonly PrunableSnapshot[],
  owner: { readonly database: string; readonly installation: string },
  retention: RetentionCounts,
  at: Date,
): RetentionCheck {
  const plan = planPrune(
    snapshots,
    { ...owner, role: 'copy', copyToDr: true },
    {
      daily: Math.max(1, retention.daily ?? 1),
      weekly: retention.weekly ?? 0,
      monthly: retention.monthly ?? 0,
      yearly: retention.yearly ?? 0,
    },
  );
  const kept = new Set(plan.retention.keep.map((k) => k.id));
  const times = snapshots
    .filter((s) => kept.has(s.id) && isVerifiedCopy(s, owner))
    .map((s) => Date.parse(s.tags[TAG.scheduledTime] ?? s.createdAt ?? ''))
    .filter((t) => !Number.isNaN(t));
  // No verified copy at all: the retention asks for at least the newest, and there is none.
  if (times.length === 0)
    return { kept: 0, expected: 1, beyond: plan.retention.delete.length, missing: ['any verified copy'] };
  const first = Math.min(...times);
  let expected = 0;
  let held = 0;
  const missing: string[] = [];
  for (const kind of ['daily', 'weekly', 'monthly', 'yearly'] as const) {
    const count = retention[kind] ?? 0;
    const holding = new Set(times.map(slots[kind]));
    // As the prune counts: the slot holding `at` when it has a copy already, else the last complete one, and back.
    const current = slots[kind](at.getTime());
    let slot = holding.has(current) ? current : slots[kind](current - 1);
    for (let i = 0; i < count && times.length > 0 && slot >= slots[kind](first); i++) {
      expected += 1;
      if (holding.has(slot)) held += 1;
      else missing.push(`${kind} ${label[kind](slot)}`);
      slot = slots[kind](slot - 1);
    }
  }
  return { kept: held, expected, beyond: plan.retention.delete.length, missing };
}
