import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, validateConfig } from '../../infra/config/load';
import { parseSchedule } from '../../infra/config/schedule';
import { type DatabaseConfig, drillInstanceClass } from '../../infra/config/schema';
import { baseConfig } from '../fixtures/configs';

// biome-ignore lint/suspicious/noExplicitAny: tests break the config on purpose
type Mutable = Record<string, any>;

function problemsOf(mutate: (config: Mutable) => void): string[] {
  const config = structuredClone(baseConfig()) as Mutable;
  mutate(config);
  try {
    validateConfig(config);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

const BAD_CONFIGS: Array<[string, (c: Mutable) => void, string]> = [
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
            { after: '90d', storageClass: 'GLACIER' },
            { after: '30d', storageClass: 'STANDARD_IA' },
          ],
        },
      ]),
    'buckets[0].lifecycle[1].after: must be later than the tier before it, got "30d"',
  ],
  [
    'failover for an unknown database',
    (c) => (c.failover = { hostedZoneId: 'Z0123456789ABC', recordName: 'db.example.com', databases: ['billing'] }),
    'failover.databases[0]: is not the id of a database in databases (orders, ledger), got "billing"',
  ],
  [
    'escalation levels out of order',
    (c) =>
      (c.escalation = {
        levels: [
          { name: 'a', after: '15m', notify: ['a@example.com'] },
          { name: 'b', after: '5m', notify: ['b@example.com'] },
        ],
      }),
    'escalation.levels[1].after: must be later than the level before it, got "5m"',
  ],
  [
    'a contact that is none',
    (c) => (c.escalation = { levels: [{ name: 'a', after: '0m', notify: ['call bob'] }] }),
    'escalation.levels[0].notify[0]: expected an e-mail address, a phone number (+4930...) or an SNS topic ARN, got "call bob"',
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

describe('schedules', () => {
  it.each([
    ['rate(1 hour)', 3600],
    ['rate(15 minutes)', 900],
    ['cron(0 2 * * ? *)', 86_400],
    ['cron(0 */4 * * ? *)', 4 * 3600],
    ['cron(30 1 ? * SUN *)', 7 * 86_400],
    ['cron(0 5 1 * ? *)', 31 * 86_400],
    ['cron(0 8,20 ? * MON-FRI *)', 60 * 3600],
  ])('%s runs at most %i s apart', (expression, seconds) => {
    expect(parseSchedule(expression)).toEqual({ expression, maxIntervalSeconds: seconds });
  });

  it.each(['rate(1 hours)', 'cron(0 2 * *)', 'every day', 'cron(61 2 * * ? *)'])('rejects %s', (expression) => {
    expect(typeof parseSchedule(expression)).toBe('string');
  });
});
