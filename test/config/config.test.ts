import { execFileSync } from 'node:child_process';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { describe, expect, it } from 'vitest';
import { loadConfig, validateConfig } from '../../infra/config/load';
import { AWS_REGIONS, type DatabaseConfig, drillInstanceClass } from '../../infra/config/schema';
import { baseConfig, type Mutable, problemsOf, twoEngineConfig } from '../fixtures/configs';

const BAD_CONFIGS: Array<[string, (c: Mutable) => void, string]> = [
  [
    "an installation name with a hyphen, which could make another installation's snapshot ids",
    (c) => (c.name = 'shop-eu'),
    'name: expected a name of lower-case letters and digits (1-32, starting with a letter, no hyphen',
  ],
  [
    "an Aurora database whose drill instance name would pass RDS's 63 characters",
    (c) => {
      c.name = 'a'.repeat(16);
      c.databases[1].id = 'b'.repeat(30);
    },
    `databases[1].id: is too long together with name "${'a'.repeat(16)}"`,
  ],
  [
    'negative daily retention',
    (c) => (c.databases[1].retention.daily = -3),
    'databases[1].retention.daily: expected a whole number from 1 to 366, got -3',
  ],
  [
    'fractional weekly retention',
    (c) => (c.databases[0].retention.weekly = 2.5),
    'databases[0].retention.weekly: expected a whole number from 0 to 520, got 2.5',
  ],
  [
    'retention as text',
    (c) => (c.databases[0].retention.monthly = '12'),
    'databases[0].retention.monthly: expected a whole number from 0 to 1200, got "12"',
  ],
  [
    'DR region equal to primary',
    (c) => (c.drRegion = 'eu-central-1'),
    'drRegion: must differ from primaryRegion (eu-central-1)',
  ],
  [
    'made-up region',
    (c) => (c.primaryRegion = 'europe'),
    'primaryRegion: expected an AWS region such as eu-central-1, got "europe"',
  ],
  [
    'a well-formed region that does not exist',
    (c) => (c.drRegion = 'eu-central-3'),
    'drRegion: expected an AWS region such as eu-central-1, got "eu-central-3"',
  ],
  [
    'an upper-case RDS identifier',
    (c) => (c.databases[0].identifier = 'Orders-Prod'),
    'databases[0].identifier: RDS stores identifiers in lower case; write orders-prod, got "Orders-Prod"',
  ],
  [
    'an RDS identifier with a double hyphen',
    (c) => (c.databases[0].identifier = 'orders--prod'),
    'databases[0].identifier: expected an RDS identifier (1-63 lower-case letters, digits and single hyphens, starting with a letter, not ending with a hyphen), got "orders--prod"',
  ],
  [
    'an RDS identifier ending with a hyphen',
    (c) => (c.databases[0].identifier = 'orders-'),
    'databases[0].identifier: expected an RDS identifier',
  ],
  [
    'an RDS identifier of 64 characters',
    (c) => (c.databases[0].identifier = `o${'r'.repeat(63)}`),
    'databases[0].identifier: expected an RDS identifier',
  ],
  [
    'blank SQL in a sql check',
    (c) => (c.databases[0].drill.checks[0] = { type: 'sql', name: 'ok', sql: ' \n\t ' }),
    'databases[0].drill.checks[0].sql: expected an SQL query, not blank, got " \\n\\t "',
  ],
  [
    'a malformed secret ARN',
    (c) => (c.databases[0].drill.credentialsSecret = 'arn:aws:secretsmanager:eu-west-1:123456789012:orders-drill'),
    'databases[0].drill.credentialsSecret: expected a secret name (letters, digits and /_+=.@-) or a full Secrets Manager ARN',
  ],
  [
    'a secret ARN without the six characters Secrets Manager appends',
    (c) =>
      (c.databases[0].drill.credentialsSecret = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders/drill'),
    'databases[0].drill.credentialsSecret: expected a secret name',
  ],
  [
    'a drill secret outside the DR region',
    (c) =>
      (c.databases[0].drill.credentialsSecret =
        'arn:aws:secretsmanager:eu-central-1:123456789012:secret:orders/drill-AbC123'),
    'databases[0].drill.credentialsSecret: is in eu-central-1, but drills run in drRegion (eu-west-1) and read the secret there',
  ],
  [
    'a vault in the production account',
    (c) => {
      c.account = '123456789012';
      c.vault = { account: '123456789012', retention: { daily: 7, weekly: 4, monthly: 12, yearly: 2 } };
    },
    'vault.account: must differ from account (123456789012): a vault in the production account is in reach of the credentials it guards against, got "123456789012"',
  ],
  [
    'a nightly backup in the hour Berlin skips in spring',
    (c) => {
      c.databases[0].backup.timeZone = 'Europe/Berlin';
      c.databases[0].objectives.rpo = '2d';
    },
    'databases[0].backup.schedule: runs in Europe/Berlin at a time that does not exist when the clocks go forward from 02:00 to 03:00 (2026-03-29, 2027-03-28, 2028-03-26 and 5 more in 2026-2033); EventBridge Scheduler skips that run: pick a time outside 02:00-03:00 local time, or set timeZone "UTC", got "cron(0 2 * * ? *)"',
  ],
  [
    'a nightly backup in the hour New York repeats in autumn',
    (c) => {
      c.databases[0].backup = { schedule: 'cron(30 1 * * ? *)', timeZone: 'America/New_York' };
      c.databases[0].objectives.rpo = '2d';
    },
    'databases[0].backup.schedule: runs in America/New_York at a time that happens twice when the clocks go back from 02:00 to 01:00 (2026-11-01, 2027-11-07, 2028-11-05 and 5 more in 2026-2033); EventBridge Scheduler runs it only once: pick a time outside 01:00-02:00 local time, or set timeZone "UTC"',
  ],
  [
    'a drill in the hour London skips in spring',
    (c) =>
      (c.databases[0].drill = { ...c.databases[0].drill, schedule: 'cron(30 1 ? * SUN *)', timeZone: 'Europe/London' }),
    'databases[0].drill.schedule: runs in Europe/London at a time that does not exist when the clocks go forward from 01:00 to 02:00',
  ],
  [
    'a 1d RPO for a nightly backup in Berlin (25 h apart when the clocks go back)',
    (c) => (c.databases[0].backup = { schedule: 'cron(0 1 * * ? *)', timeZone: 'Europe/Berlin' }),
    'databases[0].objectives.rpo: is shorter than the 25h between backups of cron(0 1 * * ? *) in Europe/Berlin (2026-10-25 01:00 → 2026-10-26 01:00)',
  ],
  [
    'a cron step in day-of-week, which AWS rejects',
    (c) => (c.databases[0].backup.schedule = 'cron(0 2 ? * 1/2 *)'),
    'databases[0].backup.schedule: expected a schedule such as cron(0 2 * * ? *) or rate(1 hour): "1/2": AWS allows no step (/) in day-of-week',
  ],
  [
    'two # expressions in day-of-week, which AWS rejects',
    (c) => (c.databases[0].drill.schedule = 'cron(0 5 ? * 3#1,6#3 *)'),
    'databases[0].drill.schedule: expected a schedule such as cron(0 2 * * ? *) or rate(1 hour): "3#1,6#3": # takes a weekday',
  ],
  [
    'unknown engine',
    (c) => (c.databases[0].engine = 'oracle'),
    'databases[0].engine: expected one of postgres, mysql, mariadb, aurora-postgresql, aurora-mysql, got "oracle"',
  ],
  [
    'Aurora engine on an instance',
    (c) => (c.databases[1].kind = 'instance'),
    'databases[1].kind: aurora-postgresql is an Aurora cluster engine, got "instance"',
  ],
  [
    'missing identifier',
    (c) => delete c.databases[0].identifier,
    'databases[0].identifier: expected an RDS identifier',
  ],
  ['unknown field', (c) => (c.databases[0].retension = {}), 'databases[0]: unknown field "retension"'],
  [
    'bad duration',
    (c) => (c.databases[0].objectives.rto = '4 hours'),
    'databases[0].objectives.rto: expected a duration such as 15m, 4h, 7d, 1w or 7y, got "4 hours"',
  ],
  [
    'rpo shorter than the backup interval',
    (c) => (c.databases[0].objectives.rpo = '1h'),
    'databases[0].objectives.rpo: is shorter than the 1d between backups of cron(0 2 * * ? *)',
  ],
  [
    'cron with both day fields',
    (c) => (c.databases[0].backup.schedule = 'cron(0 2 * * * *)'),
    'databases[0].backup.schedule: expected a schedule such as cron(0 2 * * ? *) or rate(1 hour): exactly one of day-of-month and day-of-week must be "?"',
  ],
  [
    'cron hour out of range',
    (c) => (c.databases[0].backup.schedule = 'cron(0 25 * * ? *)'),
    'databases[0].backup.schedule: expected a schedule such as cron(0 2 * * ? *) or rate(1 hour): "25" is not in 0-23',
  ],
  [
    'unknown time zone',
    (c) => (c.databases[0].backup.timeZone = 'Europe/Atlantis'),
    'databases[0].backup.timeZone: expected an IANA time zone such as Europe/Berlin, got "Europe/Atlantis"',
  ],
  [
    'drill without DR copies',
    (c) => (c.databases[0].backup.copyToDr = false),
    'databases[0].drill: drills restore in the DR region and need backup.copyToDr: true',
  ],
  [
    'drill timeout shorter than RTO',
    (c) => (c.databases[0].drill.timeout = '30m'),
    'databases[0].drill.timeout: is shorter than objectives.rto (1h)',
  ],
  [
    'unknown check type',
    (c) => (c.databases[0].drill.checks[0] = { type: 'vibes', table: 'orders' }),
    'databases[0].drill.checks[0].type: expected a check with type rowCount, freshness, canary, sql or checksum',
  ],
  [
    'SQL injection in a table name',
    (c) => (c.databases[0].drill.checks[0].table = 'orders; drop table orders'),
    'databases[0].drill.checks[0].table: expected a table or column name',
  ],
  [
    'a database id RDS names cannot carry',
    (c) => (c.databases[0].id = 'orders--eu-'),
    'databases[0].id: expected a short name of lower-case letters, digits and single hyphens',
  ],
  [
    'duplicate database id',
    (c) => (c.databases[1].id = 'orders'),
    'databases[1].id: is already used by databases[0], got "orders"',
  ],
  [
    'vault copy without a vault',
    (c) => (c.databases[1].backup.copyToVault = true),
    'databases[1].backup.copyToVault: needs a vault account (vault.account)',
  ],
  [
    'vault account that is not an account',
    (c) => (c.vault = { account: '1234' }),
    'vault.account: expected a 12-digit AWS account id, got "1234"',
  ],
  [
    'copy slots above the RDS maximum',
    (c) => (c.copySlots = 500),
    'copySlots: expected a whole number from 1 to 100, got 500',
  ],
  ['no databases', (c) => (c.databases = []), 'databases: expected at least one database, got []'],
  [
    'lifecycle tiers out of order',
    (c) =>
      (c.buckets = [
        {
          id: 'archive',
          lifecycle: [
            { after: '90d', storageClass: 'STANDARD_IA' },
            { after: '30d', storageClass: 'GLACIER' },
          ],
        },
      ]),
    'buckets[0].lifecycle[1].after: must be later than the tier before it, got "30d"',
  ],
  [
    'continuous protection of an unknown mode',
    (c) => (c.databases[0].continuous = { mode: 'log-shipping' }),
    'databases[0].continuous.mode: expected a mode: automated-backup-replication, read-replica or global-database, got {"mode":"log-shipping"}',
  ],
  [
    'automated-backup replication of an Aurora cluster',
    (c) => (c.databases[1].continuous = { mode: 'automated-backup-replication' }),
    'databases[1].continuous.mode: replicates the automated backups of an RDS instance; for an Aurora cluster use global-database, got "automated-backup-replication"',
  ],
  [
    'a global database for an RDS instance',
    (c) => (c.databases[0].continuous = { mode: 'global-database', globalCluster: 'g', secondaryCluster: 's' }),
    'databases[0].continuous.mode: is for Aurora clusters; for an RDS instance use automated-backup-replication or read-replica, got "global-database"',
  ],
  [
    'replicated automated backups kept longer than RDS allows',
    (c) => (c.databases[0].continuous = { mode: 'automated-backup-replication', retentionDays: 36 }),
    'databases[0].continuous.retentionDays: expected a whole number from 1 to 35, got 36',
  ],
  [
    'an archive in an unknown bucket',
    (c) => (c.databases[0].archive = { bucket: 'vault' }),
    'databases[0].archive.bucket: is not the id of a bucket in buckets (none configured), got "vault"',
  ],
  [
    'a dump archive without a drill',
    (c) => {
      c.buckets = [{ id: 'archive' }];
      c.databases[1].drill = undefined;
      c.databases[1].archive = { bucket: 'archive' };
    },
    'databases[1].archive.dump: needs drill: a dump is taken only from a database a passing drill restored; add a drill, or set dump: false, got true',
  ],
  [
    'failover for an unknown database',
    (c) => (c.failover = { hostedZoneId: 'Z0123456789ABC', recordName: 'db.example.com', databases: ['billing'] }),
    'failover.databases[0]: is not the id of a database in databases (orders, ledger), got "billing"',
  ],
  [
    'failover of a database without a drill',
    (c) => {
      c.databases[1].drill = undefined;
      c.failover = { hostedZoneId: 'Z0123456789ABC', recordName: 'db.example.com', databases: ['ledger'] };
    },
    'failover.databases[0]: has no drill: a failover is verified through the name with the database\'s drill checks and credentials; configure databases[1].drill, got "ledger"',
  ],
  [
    'failover restored in an unknown region',
    (c) =>
      (c.failover = {
        hostedZoneId: 'Z0123456789ABC',
        recordName: 'db.example.com',
        databases: ['orders'],
        corruptionRestoreRegion: 'vault',
      }),
    'failover.corruptionRestoreRegion: expected "dr" or "primary", got "vault"',
  ],
  [
    'a failover approval timeout that is no duration',
    (c) =>
      (c.failover = {
        hostedZoneId: 'Z0123456789ABC',
        recordName: 'db.example.com',
        databases: ['orders'],
        approval: { timeout: 'soon' },
      }),
    'failover.approval.timeout: expected a duration such as 15m, 4h, 7d, 1w or 7y, got "soon"',
  ],
  [
    'a failover health check id that is none',
    (c) =>
      (c.failover = {
        hostedZoneId: 'Z0123456789ABC',
        recordName: 'db.example.com',
        databases: ['orders'],
        healthCheckId: 'primary-check',
      }),
    'failover.healthCheckId: expected a Route 53 health check id such as 1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d, got "primary-check"',
  ],
];

describe('config validation', () => {
  it('accepts the example config and fills in defaults', () => {
    const config = validateConfig(baseConfig());
    expect(config.name).toBe('lifeline');
    expect(config.databases[1]?.backup).toEqual({
      schedule: 'rate(4 hours)',
      timeZone: 'UTC',
      copyToDr: true,
      copyToVault: false,
    });
    expect(drillInstanceClass(config.databases[0] as DatabaseConfig)).toBe('db.t4g.micro');
  });

  it('knows only regions aws-cdk-lib knows in the commercial partition', () => {
    const known = RegionInfo.regions.filter((r) => r.partition === 'aws').map((r) => r.name);
    expect(AWS_REGIONS.filter((r) => !known.includes(r))).toEqual([]);
  });

  it('parses each duration once, keeping it as written for messages and in seconds for the stacks', () => {
    // Prepare
    const input = structuredClone(baseConfig()) as Mutable;
    input.databases[0].objectives = { rpo: '1d', rto: '90m' };
    delete input.databases[0].drill.timeout;
    // Act
    const config = validateConfig(input);
    // Assess
    expect(config.databases[0]?.objectives).toEqual({
      rpo: { text: '1d', seconds: 86_400 },
      rto: { text: '90m', seconds: 5400 },
    });
    expect(config.databases[0]?.drill?.timeout).toEqual({ text: '2h', seconds: 7200 });
  });

  it('loads the commented example config in the repository', async () => {
    const config = await loadConfig();
    expect(config.databases.map((d) => d.id)).toEqual(['orders', 'ledger']);
    expect(config.vault?.account).toBe('210987654321');
  });

  it.each(BAD_CONFIGS)('rejects %s, naming the field and the value', (_name, mutate, expected) => {
    const problems = problemsOf(mutate);
    expect(
      problems.some((p) => p.startsWith(expected)),
      `problems: ${problems.join(' | ')}`,
    ).toBe(true);
  });

  it('accepts a MySQL-family database without a drill: its backups and copies need no driver', () => {
    expect(
      problemsOf((c) => {
        c.databases[0].engine = 'mysql';
        delete c.databases[0].drill;
        c.databases[1].engine = 'aurora-mysql';
        delete c.databases[1].drill;
      }),
    ).toEqual([]);
  });

  it('accepts the two-engine fixture config: a MySQL drill with a SHA-256 checksum', () => {
    expect(() => validateConfig(twoEngineConfig())).not.toThrow();
  });

  it.each([
    ['postgres', 'b'.repeat(64), 'PostgreSQL checksums are md5, 32 hex digits'],
    ['mysql', 'a'.repeat(32), 'MySQL-family checksums are SHA-256 sums, 64 hex digits'],
  ])('rejects a checksum of the other engine on a %s drill', (engine, expected, words) => {
    const problems = problemsOf((c) => {
      c.databases[0].engine = engine;
      c.databases[0].drill.checks.push({ type: 'checksum', table: 'currencies', expected });
    });
    expect(problems).toEqual([
      `databases[0].drill.checks[3].expected: is not a ${engine} checksum: ${words}; leave it out and take the value a drill of orders records, got "${expected}"`,
    ]);
  });

  it.each([
    ['mysql', 'aurora-mysql'],
    ['mariadb', 'aurora-mysql'],
  ])('accepts drills of %s and %s databases: the checks speak their protocol', (instance, cluster) => {
    expect(
      problemsOf((c) => {
        c.databases[0].engine = instance;
        c.databases[1].engine = cluster;
      }),
    ).toEqual([]);
  });

  it('reports every problem at once, not only the first', () => {
    const problems = problemsOf((c) => {
      c.databases[0].retention.daily = 0;
      c.databases[1].engine = 'db2';
    });
    expect(problems).toHaveLength(2);
  });

  it('fails `cdk synth` with the field path when given a bad JSON config', () => {
    let output = '';
    try {
      execFileSync('npx', ['cdk', 'synth', '--quiet', '-c', 'config=test/fixtures/bad-retention.json'], {
        encoding: 'utf8',
        stdio: 'pipe',
      });
    } catch (error) {
      const e = error as { stdout: string; stderr: string; status: number };
      output = `${e.stdout}${e.stderr}`;
      expect(e.status).not.toBe(0);
    }
    expect(output).toContain('Invalid Lifeline config test/fixtures/bad-retention.json');
    expect(output).toContain('databases[1].retention.daily: expected a whole number from 1 to 366, got -3');
  });
});
