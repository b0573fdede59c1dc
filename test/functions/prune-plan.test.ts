import { describe, expect, it } from 'vitest';
import { isOwnPoint, type PrunableSnapshot, planPrune } from '../../functions/backup/prune-plan';

const scope = { database: 'orders', installation: 'lifeline', role: 'copy' as const, copyToDr: false };
const policy = { daily: 1, weekly: 0, monthly: 0, yearly: 0 };

/** A verified DR copy Lifeline made on `day` of November 2026, tagged for `database` by `installation`. */
const copy = (id: string, day: number, database: string, installation?: string): PrunableSnapshot => ({
  id,
  status: 'available',
  tags: {
    'lifeline:managed-by': 'lifeline',
    'lifeline:database': database,
    ...(installation === undefined ? {} : { 'lifeline:installation': installation }),
    'lifeline:verified': 'copy-verified',
    'lifeline:scheduled-time': new Date(Date.UTC(2026, 10, day, 2)).toISOString(),
  },
});

describe('planPrune: only what this installation made for this database', () => {
  it('neither counts nor deletes the points of another database or another installation', () => {
    // Prepare
    const snapshots = [
      copy('lifeline-orders-1', 1, 'orders', 'lifeline'),
      copy('lifeline-orders-2', 2, 'orders', 'lifeline'),
      copy('lifeline-invoices-1', 1, 'invoices', 'lifeline'),
      copy('lifeline-orders-staging-1', 1, 'orders', 'staging'),
      // Another installation's newest point must not make this installation's newest look superseded.
      copy('lifeline-orders-staging-9', 9, 'orders', 'staging'),
      copy('lifeline-orders-untagged-1', 1, 'orders'),
    ];
    // Act
    const plan = planPrune(snapshots, scope, policy);
    // Assess
    expect(plan.retention.delete.map((d) => d.id)).toEqual(['lifeline-orders-1']);
    expect(plan.retention.keep.map((k) => k.id)).toEqual(['lifeline-orders-2']);
    expect(plan.transit).toEqual([]);
  });

  it('ours means both tags match', () => {
    expect(isOwnPoint(copy('a', 1, 'orders', 'lifeline'), scope)).toBe(true);
    expect(isOwnPoint(copy('a', 1, 'orders', 'staging'), scope)).toBe(false);
    expect(isOwnPoint(copy('a', 1, 'invoices', 'lifeline'), scope)).toBe(false);
    expect(isOwnPoint(copy('a', 1, 'orders'), scope)).toBe(false);
  });

  it("deletes another installation's transit copy never, even with its vault copy verified", () => {
    const transit = (id: string, installation: string): PrunableSnapshot => ({
      ...copy(id, 3, 'orders', installation),
      tags: {
        ...copy(id, 3, 'orders', installation).tags,
        'lifeline:vault-share': 'lifeline-orders-3',
        'lifeline:vault-copy': 'verified',
      },
    });
    const plan = planPrune(
      [transit('lifeline-orders-3-share', 'lifeline'), transit('lifeline-orders-3-share-x', 'staging')],
      { ...scope, role: 'source' },
      policy,
    );
    expect(plan.transit).toEqual(['lifeline-orders-3-share']);
  });
});
