import { App, Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../infra/config/load';
import { copyAgeDatabases, protectedDatabase } from '../../infra/specs';
import { baseConfig, type Mutable, problemsOf } from '../fixtures/configs';

const SNAPSHOTS_ALONE = /snapshots alone cannot meet it/;

describe('objectives.rpo against the backup interval', () => {
  it('fails a 15m RPO with nightly snapshots only, and names continuous protection as a way out', () => {
    // Act
    const problems = problemsOf((c) => (c.databases[0].objectives.rpo = '15m'));
    // Assess
    expect(problems).toEqual([
      'databases[0].objectives.rpo: is shorter than the 1d between backups of cron(0 2 * * ? *) (2026-01-01 02:00 → 2026-01-02 02:00); snapshots alone cannot meet it: back up more often, raise the objective, or protect the database between snapshots (continuous: automated-backup-replication, read-replica or global-database), whose RPO is then measured and alarmed on instead, got "15m"',
    ]);
  });

  it.each([
    ['automated-backup-replication', 0, { mode: 'automated-backup-replication' }],
    ['read-replica', 0, { mode: 'read-replica', replica: 'orders-replica' }],
    ['global-database', 1, { mode: 'global-database', globalCluster: 'ledger-global', secondaryCluster: 'ledger-dr' }],
  ])('accepts a 5m RPO for a database protected by %s: its RPO is measured and alarmed on', (_mode, i, continuous) => {
    // Act
    const problems = problemsOf((c) => {
      c.databases[i].objectives.rpo = '5m';
      c.databases[i].continuous = continuous;
    });
    // Assess
    expect(problems.filter((p) => SNAPSHOTS_ALONE.test(p))).toEqual([]);
    expect(problems).toEqual([]);
  });
});

describe('sub-daily retention (retention.keepAllFor)', () => {
  it('takes a period as a duration, in seconds for the stacks, beside the GFS counts', () => {
    // Prepare: seed 002's 6-hourly backups, kept 7 days
    const config = structuredClone(baseConfig()) as Mutable;
    config.databases[1].retention.keepAllFor = '7d';
    config.databases[1].backup = { schedule: 'rate(6 hours)' };
    config.databases[1].objectives.rpo = '6h';
    // Act
    const valid = validateConfig(config);
    const spec = protectedDatabase(
      new Stack(new App(), 'Test'),
      valid.databases[1] as (typeof valid.databases)[number],
    );
    const withoutIt = protectedDatabase(
      new Stack(new App(), 'Test'),
      valid.databases[0] as (typeof valid.databases)[number],
    );
    // Assess
    expect(valid.databases[1]?.retention.keepAllFor).toEqual({ text: '7d', seconds: 604_800 });
    expect(spec.retention).toEqual({ daily: 14, weekly: 8, monthly: 24, yearly: 10, keepAllForSeconds: 604_800 });
    // A database without it is planned exactly as before: no new field in its catalog entry.
    expect(withoutIt.retention).toEqual({ daily: 7, weekly: 4, monthly: 12, yearly: 3 });
  });

  it.each([
    ['30m', 'expected a period from 1h to 366d in which every recovery point is kept, such as 48h or 7d, got "30m"'],
    ['2y', 'expected a period from 1h to 366d in which every recovery point is kept, such as 48h or 7d, got "2y"'],
    [48, 'expected a duration such as 15m, 4h, 7d, 1w or 7y, got 48'],
  ])('rejects keepAllFor %s, naming the field', (value, message) => {
    expect(problemsOf((c) => (c.databases[0].retention.keepAllFor = value))).toEqual([
      `databases[0].retention.keepAllFor: ${message}`,
    ]);
  });

  it("is not a vault retention field: the vault's pruner keeps GFS only", () => {
    const problems = problemsOf((c) => {
      c.account = '111122223333';
      c.vault = {
        account: '123456789012',
        retention: { daily: 7, weekly: 4, monthly: 12, yearly: 2, keepAllFor: '7d' },
      };
    });
    expect(problems).toEqual([expect.stringMatching(/^vault\.retention: .*keepAllFor/)]);
  });
});

describe('the copy-age alarm of a continuously protected database', () => {
  it('holds its snapshots to the backup interval, not to an RPO only continuous protection can meet', () => {
    // Prepare: orders (nightly) with a 15m RPO and replicated automated backups; ledger (every 4 h) without
    const config = structuredClone(baseConfig()) as Mutable;
    config.databases[0].objectives.rpo = '15m';
    config.databases[0].continuous = { mode: 'automated-backup-replication' };
    // Act
    const [orders, ledger] = copyAgeDatabases(new Stack(new App(), 'Test'), validateConfig(config));
    // Assess
    expect(orders?.objectives.rpo.toSeconds()).toBe(86_400);
    expect(ledger?.objectives.rpo.toSeconds()).toBe(4 * 3600);
  });
});
