/*
 * Lifeline's example config: what it protects and how. `cdk synth` reads this file unless given another
 * with `-c config=<path>` (a .ts file like this one, or plain JSON of the same shape). Every value is
 * checked at synth; a wrong one fails with the field's path, e.g.
 *   databases[0].retention.daily: expected a whole number from 1 to 366, got -3
 * Durations are written 90s, 15m, 4h, 7d, 1w or 7y. Schedules are EventBridge Scheduler expressions.
 */
import { defineConfig } from './config/load';

export default defineConfig({
  // Prefix of stack names (<name>-primary, <name>-dr, <name>-vault) and of every resource Lifeline makes.
  name: 'lifeline',
  // Where the databases run, and where their copies, the drills and the failover control plane live.
  primaryRegion: 'eu-central-1',
  drRegion: 'eu-west-1',
  // Two or more zones of drRegion for the drill network, named here so they never move (CloudFormation's own list can
  // change order and skips zones without a default subnet). List yours with:
  //   aws ec2 describe-availability-zones --region eu-west-1 --query 'AvailabilityZones[].ZoneName'
  drAvailabilityZones: ['eu-west-1a', 'eu-west-1b'],
  // The production account: the primary and DR stacks deploy into it; the vault trusts only it.
  account: '123456789012',
  // Optional third copy in another account, out of reach of production credentials. It is made from the DR copy,
  // in drRegion, and kept by its own retention (the vault's manual snapshot quota is counted too).
  vault: { account: '210987654321', retention: { daily: 7, weekly: 4, monthly: 12, yearly: 7 } },
  // Snapshot copies in progress to one region at once. RDS allows 20 (5 in older accounts).
  copySlots: 5,
  // Manual snapshot quota per region: Lifeline warns at 80 % and stops before it is reached.
  snapshotQuota: 100,

  databases: [
    {
      id: 'orders', // Lifeline's name: in snapshot ids (lifeline-orders-20261122t0200), tags, alarms, reports
      kind: 'instance', // 'instance' for RDS, 'cluster' for Aurora
      identifier: 'orders-prod', // the DB instance identifier in primaryRegion
      engine: 'postgres',
      // Checked by every drill. A nightly run in a zone with daylight saving is 25 h apart once a year (the night the
      // clocks go back), so a nightly backup in Berlin time can promise 25h, not 1d; in UTC it could promise 1d.
      objectives: { rpo: '25h', rto: '4h' },
      backup: {
        // Every night at 01:00 ... (not 02:00-03:00: that hour is skipped in spring and happens twice in autumn)
        schedule: 'cron(0 1 * * ? *)',
        timeZone: 'Europe/Berlin', // ... Berlin time; retention days/weeks/months are counted in this zone too
        copyToDr: true, // copy each snapshot to drRegion with the DR key (needed for drills)
        copyToVault: true, // and to the vault account
      },
      // Grandfather-father-son: the newest snapshot of each of the last 7 days, 4 weeks, 12 months, 7 years.
      retention: { daily: 7, weekly: 4, monthly: 12, yearly: 7 },
      drill: {
        schedule: 'cron(0 5 1 * ? *)', // restore test on the 1st of every month at 05:00
        timeZone: 'Europe/Berlin',
        timeout: '4h', // a drill still running then is failed and cleaned up; at least objectives.rto
        instanceClass: 'db.t4g.micro', // small: the drill proves the data, not the performance
        credentialsSecret: 'lifeline/orders/drill', // Secrets Manager secret with username and password
        databaseName: 'orders',
        checks: [
          { type: 'rowCount', table: 'orders', min: 1000 },
          { type: 'freshness', table: 'orders', column: 'created_at' }, // newest row within the RPO
          { type: 'canary', table: 'lifeline_canary', column: 'id', value: 'canary' },
          {
            type: 'sql',
            name: 'no-orphans',
            sql: 'select count(*) = 0 from order_lines l left join orders o on o.id = l.order_id where o.id is null',
          },
          { type: 'checksum', table: 'currencies' },
        ],
      },
    },
    {
      id: 'ledger',
      kind: 'cluster',
      identifier: 'ledger-aurora',
      engine: 'aurora-postgresql',
      objectives: { rpo: '4h', rto: '2h' },
      backup: { schedule: 'rate(4 hours)', copyToDr: true },
      retention: { daily: 14, weekly: 8, monthly: 24, yearly: 10 },
    },
  ],

  // Buckets Lifeline creates for long-term recovery points: replicated to drRegion, tiered down to Glacier.
  buckets: [
    {
      id: 'archive',
      replicate: true,
      lifecycle: [
        { after: '30d', storageClass: 'STANDARD_IA' },
        { after: '90d', storageClass: 'GLACIER' },
        { after: '365d', storageClass: 'DEEP_ARCHIVE' },
      ],
      expireAfter: '7y',
      objectLock: { mode: 'COMPLIANCE', retention: '7y' }, // WORM: not even an administrator can delete early
    },
  ],

  // DNS failover: which record points at the database, and which databases fail over together. A failover drill runs
  // the runbook monthly against a restored copy behind drill-<db>.<recordName>, never touching the record itself;
  // by default drill: { schedule: 'cron(0 10 ? * 3#1 *)', timeZone: 'UTC', enabled: true } (first Tuesday, 10:00).
  failover: { hostedZoneId: 'Z0123456789ABCDEFGHIJ', recordName: 'db.example.com', ttl: 60, databases: ['orders'] },

  // Who is paged, and after how long without acknowledgement: each level is an SNS topic in drRegion
  // (<name>-page-<level>) with these contacts subscribed. A contact is an e-mail address (confirms a link SNS mails
  // it), a mobile number in E.164 form (SMS; the account must be out of the SMS sandbox) or an https:// endpoint (it
  // must confirm the subscription SNS posts to it, as a pager's SNS integration does; a plain chat webhook cannot).
  escalation: {
    levels: [
      { name: 'on-call', after: '0m', notify: ['oncall@example.com', '+4915112345678'] },
      {
        name: 'tech-lead',
        after: '15m',
        notify: ['tech-lead@example.com', 'incident-manager@example.com', 'https://pager.example.com/sns/lifeline'],
      },
      { name: 'cto', after: '1h', notify: ['cto@example.com', 'bc-manager@example.com', '+4930123456789'] },
      { name: 'management', after: '2h', notify: ['management@example.com'] },
    ],
    // Where paging starts for each severity (P0 complete outage ... P3 minor); one left out starts at the first level.
    severities: { P0: 'tech-lead' },
  },
});
