import { describe, expect, it } from 'vitest';
import { snapshotIdFor } from '../../functions/backup/snapshot-id';

describe('snapshotIdFor', () => {
  it("names a snapshot by the installation's name, the database and the scheduled minute", () => {
    // Prepare
    const scheduled = new Date('2026-11-22T02:00:59.000Z');
    // Act
    const ids = [snapshotIdFor('lifeline', 'orders', scheduled), snapshotIdFor('staging', 'orders', scheduled)];
    // Assess
    expect(ids).toEqual(['lifeline-orders-20261122t0200', 'staging-orders-20261122t0200']);
  });
});
