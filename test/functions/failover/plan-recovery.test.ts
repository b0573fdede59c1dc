import { describe, expect, it } from 'vitest';
import { changesOf, planRecovery } from '../../../functions/failover/plan-recovery';
import { copy, entry, facts } from './fixtures';

const outage = (over: Parameters<typeof entry>[0] = {}) => ({
  entry: entry(over),
  scenario: 'region-outage' as const,
  pointInTime: null,
  cleanBefore: null,
  corruptionRestoreRegion: 'dr' as const,
});
const backups = (latest: string, region = 'eu-west-1') => [
  {
    arn: region === 'eu-west-1' ? 'arn:aws:rds:eu-west-1:123456789012:auto-backup:ab-1' : null,
    sourceIdentifier: 'orders-prod',
    region,
    earliest: '2026-11-24T00:00:00Z',
    latest,
  },
];

describe('where a failover recovers from', () => {
  it('region outage: promotes an available read replica first', () => {
    const plan = planRecovery(
      outage({ continuous: { mode: 'read-replica', replica: 'orders-dr' } }),
      facts({
        replica: { id: 'orders-dr', status: 'available', isReplica: true, lagSeconds: 3 },
        drCopies: [copy('lifeline-orders-20261201t0200', '2026-12-01T02:00:00Z')],
      }),
    );
    expect(plan).toMatchObject({ ok: true, source: { type: 'promote-replica', replica: 'orders-dr', lagSeconds: 3 } });
  });

  it('region outage: a replica that is not available falls through to the replicated backups, then the DR copies', () => {
    const replica = { continuous: { mode: 'read-replica' as const, replica: 'orders-dr' } };
    const broken = facts({ replica: { id: 'orders-dr', status: 'storage-full', isReplica: true, lagSeconds: null } });
    const viaBackups = planRecovery(outage(replica), { ...broken, automatedBackups: backups('2026-12-01T09:55:00Z') });
    expect(viaBackups).toMatchObject({
      ok: true,
      source: { type: 'point-in-time', useLatest: true, time: '2026-12-01T09:55:00Z' },
      considered: [
        { option: 'promote-replica', usable: false, why: 'read replica orders-dr is storage-full, not available' },
        { usable: true },
      ],
    });
    const viaCopy = planRecovery(outage(replica), {
      ...broken,
      drCopies: [copy('a', '2026-11-30T02:00:00Z'), copy('b', '2026-12-01T02:00:00Z')],
    });
    expect(viaCopy).toMatchObject({ ok: true, source: { type: 'snapshot', origin: 'dr-copy', snapshotId: 'b' } });
  });

  it('region outage: fails the global database over when its secondary is available', () => {
    const plan = planRecovery(
      outage({
        kind: 'cluster',
        continuous: { mode: 'global-database', globalCluster: 'g', secondaryCluster: 'ledger-dr' },
      }),
      facts({
        globalCluster: { id: 'ledger-dr', secondaryArn: 'arn:c', secondaryStatus: 'available', isMember: true },
      }),
    );
    expect(plan).toMatchObject({
      ok: true,
      source: { type: 'global-failover', globalCluster: 'g', secondaryArn: 'arn:c' },
    });
  });

  it('region outage: never takes the primary region’s automated backups', () => {
    const plan = planRecovery(outage(), facts({ automatedBackups: backups('2026-12-01T09:59:00Z', 'eu-central-1') }));
    expect(plan).toMatchObject({ ok: false, reason: expect.stringContaining('no verified DR copy in the DR region') });
  });

  it('database corruption: restores to the point before it, else the newest DR copy at or before it', () => {
    const request = { ...outage(), scenario: 'database-corruption' as const, pointInTime: '2026-12-01T08:00:00Z' };
    expect(planRecovery(request, facts({ automatedBackups: backups('2026-12-01T09:55:00Z') }))).toMatchObject({
      ok: true,
      source: { type: 'point-in-time', useLatest: false, time: '2026-12-01T08:00:00Z' },
    });
    expect(
      planRecovery(
        request,
        facts({ drCopies: [copy('before', '2026-12-01T02:00:00Z'), copy('after', '2026-12-01T09:00:00Z')] }),
      ),
    ).toMatchObject({ ok: true, source: { type: 'snapshot', snapshotId: 'before' } });
  });

  it('ransomware: only vault copies at or before cleanBefore, never a DR copy, a replica or automated backups', () => {
    const request = {
      ...outage({ continuous: { mode: 'read-replica', replica: 'orders-dr' } }),
      scenario: 'ransomware' as const,
      cleanBefore: '2026-12-01T03:00:00Z',
    };
    const everythingButVault = facts({
      replica: { id: 'orders-dr', status: 'available', isReplica: true, lagSeconds: 0 },
      automatedBackups: backups('2026-12-01T09:55:00Z'),
      drCopies: [copy('dr', '2026-12-01T02:00:00Z')],
    });
    expect(planRecovery(request, everythingButVault)).toMatchObject({
      ok: false,
      reason: 'a ransomware recovery restores only vault copies, and no vault account is configured',
    });
    expect(
      planRecovery(request, { ...everythingButVault, vaultCopies: [copy('late', '2026-12-01T04:00:00Z')] }),
    ).toMatchObject({
      ok: false,
      reason: expect.stringContaining('no verified vault copy taken at or before 2026-12-01T03:00:00Z'),
    });
    expect(
      planRecovery(request, {
        ...everythingButVault,
        vaultCopies: [
          copy('old', '2026-11-30T02:00:00Z'),
          copy('clean', '2026-12-01T02:00:00Z'),
          copy('late', '2026-12-01T04:00:00Z'),
        ],
      }),
    ).toMatchObject({ ok: true, source: { type: 'snapshot', origin: 'vault', snapshotId: 'clean' } });
  });

  it('says the exact changes, in order', () => {
    const plan = planRecovery(outage(), facts({ drCopies: [copy('lifeline-orders-1', '2026-12-01T02:00:00Z')] }));
    if (!plan.ok) throw new Error(plan.reason);
    expect(
      changesOf(plan.source, {
        database: 'orders',
        targetId: 'lifeline-failover-orders-0a1b2c3d',
        instanceClass: 'db.t4g.medium',
        recordName: 'db.example.com',
        hostedZoneId: 'Z0123456789ABC',
        ttl: 60,
        currentValue: 'orders-prod.abc.eu-central-1.rds.amazonaws.com',
        kind: 'instance',
      }),
    ).toEqual([
      'RDS RestoreDBInstanceFromDBSnapshot lifeline-orders-1 as lifeline-failover-orders-0a1b2c3d (db.t4g.medium)',
      'wait until it is available (checked every 15 s)',
      'Route 53 UPSERT in Z0123456789ABC: db.example.com CNAME orders-prod.abc.eu-central-1.rds.amazonaws.com -> the endpoint of lifeline-failover-orders-0a1b2c3d, TTL 60 s; wait for INSYNC',
      'verify through db.example.com: resolve it, connect, run the checks of orders; if that fails and the old target is healthy, set db.example.com back to orders-prod.abc.eu-central-1.rds.amazonaws.com',
    ]);
  });

  it('says that a vault copy is copied into this account under the DR key, then restored from that copy', () => {
    const source = {
      type: 'snapshot' as const,
      origin: 'vault' as const,
      snapshotId: 'lifeline-orders-1',
      snapshotArn: 'arn:aws:rds:eu-west-1:210987654321:snapshot:lifeline-orders-1',
      time: '2026-12-01T02:00:00Z',
    };
    const ctx = {
      database: 'orders',
      targetId: 'lifeline-failover-orders-0a1b2c3d',
      instanceClass: 'db.t4g.medium',
      recordName: 'db.example.com',
      hostedZoneId: 'Z0123456789ABC',
      ttl: 60,
      currentValue: null,
    };
    expect(changesOf(source, { ...ctx, kind: 'instance' })[0]).toBe(
      "RDS CopyDBSnapshot of vault copy lifeline-orders-1 (shared with this account by the vault's reader role) under the DR key as lifeline-failover-orders-0a1b2c3d, then RestoreDBInstanceFromDBSnapshot lifeline-failover-orders-0a1b2c3d as lifeline-failover-orders-0a1b2c3d (db.t4g.medium)",
    );
    expect(changesOf(source, { ...ctx, kind: 'cluster' })[0]).toBe(
      "RDS CopyDBClusterSnapshot of vault copy lifeline-orders-1 (shared with this account by the vault's reader role) under the DR key as lifeline-failover-orders-0a1b2c3d, then RestoreDBClusterFromSnapshot lifeline-failover-orders-0a1b2c3d as lifeline-failover-orders-0a1b2c3d, then CreateDBInstance lifeline-failover-orders-0a1b2c3d-1 (db.t4g.medium)",
    );
  });
});
