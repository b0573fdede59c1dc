import { z } from 'zod';
import type { DrillCheck as DrillCheckContract } from '../../functions/drill/contracts';
import { defaultDrillInstanceClass, drillIdentifierLength } from '../../state-machines/databases';
import { type Contact, SEVERITIES, type Severity } from '../../state-machines/escalation';
import { INVENTORY_BUCKET_ID, lifecycleErrors, protectedBucketName, STORAGE_CLASSES } from './buckets';
import { formatSeconds, parseDuration } from './duration';
import { type DstChange, type ParsedSchedule, parseSchedule } from './schedule';

/*
 * The one config a user writes. Every field has a message in the words a user would search for;
 * `validateConfig` turns zod's issues into `path: message, got <value>` lines.
 */

const wholeNumber = (min: number, max?: number) => {
  const words = max === undefined ? `a whole number >= ${min}` : `a whole number from ${min} to ${max}`;
  const base = z
    .number({ error: `expected ${words}` })
    .int({ error: `expected ${words}` })
    .min(min, { error: `expected ${words}` });
  return max === undefined ? base : base.max(max, { error: `expected ${words}` });
};

/**
 * Regions that are disabled until an account opts in (launched after 20 March 2019). SNS delivers to a Lambda
 * function in another region only from an opt-in region to a default-enabled one, with the opt-in region's own SNS
 * principal (SNS Developer Guide, "Prerequisites for integrating Amazon SNS with Lambda functions across regions").
 */
export const OPT_IN_REGIONS: readonly string[] = [
  'af-south-1',
  'ap-east-1',
  'ap-east-2',
  'ap-south-2',
  'ap-southeast-3',
  'ap-southeast-4',
  'ap-southeast-5',
  'ap-southeast-6',
  'ap-southeast-7',
  'ca-west-1',
  'eu-central-2',
  'eu-south-1',
  'eu-south-2',
  'il-central-1',
  'me-central-1',
  'me-south-1',
  'mx-central-1',
];

const text = (what: string, pattern: RegExp) =>
  z.string({ error: `expected ${what}` }).regex(pattern, { error: `expected ${what}` });

/**
 * AWS commercial regions (partition `aws`) as of 2026: a fixed list, so a typo such as eu-central-3 fails at synth
 * rather than at deploy. GovCloud, China and the sovereign clouds are other partitions and are not supported.
 * Add a region here when AWS opens one.
 */
export const AWS_REGIONS: readonly string[] = [
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'ca-central-1',
  'ca-west-1',
  'mx-central-1',
  'sa-east-1',
  'eu-central-1',
  'eu-central-2',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'eu-south-1',
  'eu-south-2',
  'eu-north-1',
  'af-south-1',
  'il-central-1',
  'me-south-1',
  'me-central-1',
  'ap-east-1',
  'ap-east-2',
  'ap-south-1',
  'ap-south-2',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
  'ap-southeast-4',
  'ap-southeast-5',
  'ap-southeast-6',
  'ap-southeast-7',
];
const region = z
  .string({ error: 'expected an AWS region such as eu-central-1' })
  .refine((value) => AWS_REGIONS.includes(value), { error: 'expected an AWS region such as eu-central-1' });
// RDS names built from it (lifeline-<id>-..., lifeline-drill-<id>-...) allow no double or trailing hyphen.
const slug = text(
  'a short name of lower-case letters, digits and single hyphens (1-32, starting with a letter, not ending with a hyphen)',
  /^[a-z](?:[a-z0-9]|-(?=[a-z0-9])){0,31}$/,
);
const installationName = text(
  'a name of lower-case letters and digits (1-32, starting with a letter, no hyphen: snapshot ids are <name>-<database>-<time>, and a hyphen would let two installations make the same id)',
  /^[a-z][a-z0-9]{0,31}$/,
);
const account = text('a 12-digit AWS account id', /^\d{12}$/);
const kmsKeyArn = text(
  'a KMS key ARN such as arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/(mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/,
);
/** The region of an ARN (its fourth field). */
const arnRegion = (arn: string) => arn.split(':')[3];

/** A duration of the config: as written (for messages) and in seconds (for everything else), parsed once here. */
export interface ConfigDuration {
  readonly text: string;
  readonly seconds: number;
}

const durationOf = (error: string, allowZero: boolean) =>
  z.string({ error }).transform((text, ctx): ConfigDuration => {
    const seconds = parseDuration(text);
    if (seconds === undefined || (seconds === 0 && !allowZero)) {
      ctx.issues.push({ code: 'custom', message: error, input: text });
      return z.NEVER;
    }
    return { text, seconds };
  });
const duration = durationOf('expected a duration such as 15m, 4h, 7d, 1w or 7y', false);

const timeZone = z.string({ error: 'expected an IANA time zone such as Europe/Berlin' }).refine(
  (zone) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  },
  { error: 'expected an IANA time zone such as Europe/Berlin' },
);

const schedule = z.string({ error: 'expected a schedule such as cron(0 2 * * ? *) or rate(1 hour)' }).check((ctx) => {
  const parsed = parseSchedule(ctx.value);
  if (typeof parsed === 'string') {
    ctx.issues.push({
      code: 'custom',
      input: ctx.value,
      message: `expected a schedule such as cron(0 2 * * ? *) or rate(1 hour): ${parsed}`,
    });
  }
});

const sqlIdentifier = text(
  'a table or column name (letters, digits, _ and an optional schema. prefix)',
  /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/,
);

const check = z.discriminatedUnion(
  'type',
  [
    z.strictObject({
      type: z.literal('rowCount'),
      table: sqlIdentifier,
      /** At least this many rows. */
      min: wholeNumber(0),
    }),
    z.strictObject({
      type: z.literal('freshness'),
      table: sqlIdentifier,
      /** A timestamp column; its newest value must be within the RPO objective of the recovery point. */
      column: sqlIdentifier,
    }),
    z.strictObject({
      type: z.literal('canary'),
      table: sqlIdentifier,
      column: sqlIdentifier,
      /** A row whose `column` equals this value must exist. */
      value: z.union([z.string(), z.number()], { error: 'expected a string or number' }),
    }),
    z.strictObject({
      type: z.literal('sql'),
      name: slug,
      /** Must return one row whose first column is true. */
      sql: z.string({ error: 'expected an SQL query' }).regex(/\S/, { error: 'expected an SQL query, not blank' }),
    }),
    z.strictObject({
      type: z.literal('checksum'),
      table: sqlIdentifier,
      /**
       * The table's digest, recorded when absent: for PostgreSQL the md5 of its rows (32 hex digits), for the MySQL
       * family a SHA-256 sum over its rows (64); see DrillCheck in functions/drill/contracts.ts.
       */
      expected: text('an md5 or SHA-256 hex digest', /^(?:[0-9a-f]{32}|[0-9a-f]{64})$/).optional(),
    }),
  ],
  { error: 'expected a check with type rowCount, freshness, canary, sql or checksum' },
);
// The functions' hand-written DrillCheck is exactly what this schema yields: tsc fails here if they drift apart.
type CheckOutput = z.output<typeof check>;
true satisfies [CheckOutput, DrillCheckContract] extends [DrillCheckContract, CheckOutput] ? true : never;

// RDS rules for DB instance and cluster identifiers: 1-63 letters, digits and hyphens, first a letter, no "--", no
// trailing "-". RDS stores them in lower case, so an upper-case one would never match the ARNs and tags built from it.
const RDS_IDENTIFIER = /^[a-z](?:[a-z0-9]|-(?=[a-z0-9])){0,62}$/;
const rdsIdentifier = z
  .string({
    error: 'expected an RDS identifier (1-63 lower-case letters, digits and single hyphens, starting with a letter)',
  })
  .check((ctx) => {
    if (RDS_IDENTIFIER.test(ctx.value)) return;
    const lower = ctx.value.toLowerCase();
    ctx.issues.push({
      code: 'custom',
      input: ctx.value,
      message:
        lower !== ctx.value && RDS_IDENTIFIER.test(lower)
          ? `RDS stores identifiers in lower case; write ${lower}`
          : 'expected an RDS identifier (1-63 lower-case letters, digits and single hyphens, starting with a letter, not ending with a hyphen)',
    });
  });

/**
 * A Secrets Manager secret by name (1-512 of letters, digits and /_+=.@-) or by full ARN, which ends in the
 * six random characters Secrets Manager appends. Drills read it in the DR region; see the drRegion check below.
 */
const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const SECRET_ARN = /^arn:aws:secretsmanager:([a-z0-9-]+):(\d{12}):secret:([A-Za-z0-9/_+=.@-]{1,512})-[A-Za-z0-9]{6}$/;
const SECRET_WORDS =
  'a secret name (letters, digits and /_+=.@-) or a full Secrets Manager ARN (arn:aws:secretsmanager:<drRegion>:<account>:secret:<name>-<6 characters>)';
const secret = z
  .string({ error: `expected ${SECRET_WORDS}` })
  .refine((value) => SECRET_NAME.test(value) || SECRET_ARN.test(value), { error: `expected ${SECRET_WORDS}` });

/** Grandfather-father-son counts: the newest point of each of the last `daily` days, `weekly` weeks, ... */
const retention = z.strictObject({
  daily: wholeNumber(1, 366),
  weekly: wholeNumber(0, 520),
  monthly: wholeNumber(0, 1200),
  yearly: wholeNumber(0, 100),
});

/**
 * A database's retention: the GFS counts, and optionally sub-daily retention, every point of the last `keepAllFor`
 * (e.g. 6-hourly backups kept 7 days: `keepAllFor: '7d'`), counted back from the newest verified point.
 */
const databaseRetention = retention.extend({
  keepAllFor: z
    .string({ error: 'expected a duration such as 15m, 4h, 7d, 1w or 7y' })
    .transform((text, ctx): ConfigDuration => {
      const seconds = parseDuration(text);
      if (seconds === undefined || seconds < 3600 || seconds > 366 * 86_400) {
        ctx.issues.push({
          code: 'custom',
          input: text,
          message: 'expected a period from 1h to 366d in which every recovery point is kept, such as 48h or 7d',
        });
        return z.NEVER;
      }
      return { text, seconds };
    })
    .optional(),
});

const waiverReason = z
  .string({ error: 'expected the reason, in words, why this objective may go unmeasured' })
  .trim()
  .min(1, { error: 'expected the reason, in words, why this objective may go unmeasured' });

const ENGINES = ['postgres', 'mysql', 'mariadb', 'aurora-postgresql', 'aurora-mysql'] as const;

/** The command that lists a region's availability zones, for messages about drAvailabilityZones. */
const findZones = (region: string) =>
  `aws ec2 describe-availability-zones --region ${region} --query 'AvailabilityZones[].ZoneName'`;

/**
 * How a database is protected between snapshots, for point-in-time recovery in the DR region and an RPO of minutes:
 * - `automated-backup-replication` (RDS instances): Lifeline replicates the instance's automated backups (snapshots
 *   and transaction logs) to drRegion under the DR key, keeping `retention` of them there;
 * - `read-replica`: a cross-region read replica in drRegion that you created; Lifeline monitors its lag;
 * - `global-database` (Aurora): a global database with a secondary cluster in drRegion; Lifeline monitors its lag.
 */
const continuous = z.discriminatedUnion(
  'mode',
  [
    z.strictObject({
      mode: z.literal('automated-backup-replication'),
      /** Days of replicated automated backups kept in drRegion (RDS allows 1-35). */
      retentionDays: wholeNumber(1, 35).default(7),
    }),
    z.strictObject({
      mode: z.literal('read-replica'),
      /** The read replica's DB instance identifier in drRegion. */
      replica: rdsIdentifier,
    }),
    z.strictObject({
      mode: z.literal('global-database'),
      /** The global cluster's identifier. */
      globalCluster: rdsIdentifier,
      /** The secondary cluster's identifier in drRegion. */
      secondaryCluster: rdsIdentifier,
    }),
  ],
  { error: 'expected a mode: automated-backup-replication, read-replica or global-database' },
);

/**
 * Long-term archives of a database's monthly and yearly recovery points, in one of `buckets`:
 * - `export`: the snapshot exported to the bucket as Parquet (queryable, not restorable into RDS);
 * - `dump`: a logical dump (pg_dump / mysqldump) taken from the database a passing drill restored, with a SHA-256
 *   manifest: restorable, and only ever from a verified restore.
 */
const archive = z.strictObject({
  /** The id of the bucket in `buckets` the archives go into. */
  bucket: slug,
  export: z.boolean({ error: 'expected true or false' }).default(true),
  dump: z.boolean({ error: 'expected true or false' }).default(true),
});

const database = z.strictObject({
  /** Lifeline's name for the database; used in snapshot ids, tags, alarms and reports. */
  id: slug,
  /** RDS instance or Aurora cluster. */
  kind: z.enum(['instance', 'cluster'], { error: 'expected "instance" or "cluster"' }),
  /** The DB instance or cluster identifier in the primary region, as RDS stores it (lower case). */
  identifier: rdsIdentifier,
  engine: z.enum(ENGINES, { error: `expected one of ${ENGINES.join(', ')}` }),
  /**
   * The customer-managed KMS key (key ARN, in primaryRegion) that the database and its snapshots are encrypted
   * with, if any: the DR copy and the vault transit copy are granted its use through RDS. Omit it for an
   * unencrypted database or one under the AWS-managed key aws/rds. The key policy must let this account's IAM
   * policies grant its use (the default key policy does).
   */
  sourceKey: kmsKeyArn.optional(),
  objectives: z.strictObject({
    /** Most data the business may lose. */
    rpo: duration,
    /** Longest the business may be down. */
    rto: duration,
    /**
     * The recovery-readiness score (0 to 100) below which its `readiness-low` alarm fires.
     * @default - 80 % of the most its setup can score (what is not set up, such as a drill or a vault, earns nothing)
     */
    readinessFloor: wholeNumber(0, 100).optional(),
  }),
  backup: z.strictObject({
    schedule,
    timeZone: timeZone.default('UTC'),
    copyToDr: z.boolean({ error: 'expected true or false' }).default(true),
    copyToVault: z.boolean({ error: 'expected true or false' }).default(false),
  }),
  retention: databaseRetention,
  /** Protection between snapshots (point-in-time recovery in drRegion). @default - snapshots only */
  continuous: continuous.optional(),
  /** Long-term archives of monthly and yearly recovery points. @default - none */
  archive: archive.optional(),
  drill: z
    .strictObject({
      schedule,
      timeZone: timeZone.default('UTC'),
      /** A drill that takes longer is failed and cleaned up. */
      timeout: duration.prefault('2h'),
      /** @default db.t4g.micro for an RDS instance, db.t4g.medium for Aurora (which offers no micro class); see drillInstanceClass */
      instanceClass: text('an RDS instance class such as db.t4g.micro', /^db\.[a-z0-9]+\.[a-z0-9]+$/).optional(),
      /**
       * Secrets Manager secret (name, or full ARN) with username/password that the checks log in with. It must live in
       * drRegion, where the drill runs; an ARN naming another region is rejected.
       */
      credentialsSecret: secret,
      /**
       * The customer-managed KMS key (key ARN, in drRegion) the credentials secret is encrypted with, if not the
       * AWS-managed aws/secretsmanager: the check function is granted kms:Decrypt on it through Secrets Manager.
       */
      credentialsSecretKey: kmsKeyArn.optional(),
      /** Database (schema catalog) the checks connect to. */
      databaseName: sqlIdentifier,
      checks: z.array(check, { error: 'expected a list of checks' }).min(1, { error: 'expected at least one check' }),
      /**
       * Objectives this database's drill may pass without measuring, each with the reason in words, e.g.
       * `{ rpo: 'append-only archive, no timestamp column' }`. Without a waiver an objective the drill could not
       * measure (RPO: no freshness check found a row) fails the drill. A waiver never excuses a measured miss.
       * @default {} - every objective must be measured
       */
      waive: z.strictObject({ rpo: waiverReason.optional(), rto: waiverReason.optional() }).optional(),
    })
    .optional(),
});

const bucketName = text(
  'an S3 bucket name: 3-63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit',
  /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
);

const bucket = z.strictObject({
  /** Part of the bucket names: <name>-<id>-<account>-<region>, here and in drRegion. */
  id: slug,
  /** The source bucket's name. @default <name>-<id>-<account>-<primaryRegion> */
  bucketName: bucketName.optional(),
  /**
   * The bucket `bucketName` already exists (you own it): Lifeline declares it as it would a new one, and you import
   * it into the primary stack once (`cdk import`) before the first deploy. No `objectLock`: Lifeline cannot turn Object
   * Lock on for a bucket it did not create. Its new objects are encrypted under the Lifeline key; objects already in
   * it keep their encryption and are not replicated (S3 replicates only objects written after replication is on).
   */
  existing: z.boolean({ error: 'expected true or false' }).default(false),
  /** Replicate to a bucket in the DR region, under the DR key, with Replication Time Control (15 minutes). */
  replicate: z.boolean({ error: 'expected true or false' }).default(true),
  /**
   * Storage tiers in order, each a number of whole days after an object is written; noncurrent versions follow the
   * same tiers, counted from when they were replaced. `[]` keeps objects in Standard.
   * @default Standard-IA at 30d, Glacier Flexible Retrieval (GLACIER) at 90d, Deep Archive at 180d
   */
  lifecycle: z
    .array(
      z.strictObject({
        after: duration,
        storageClass: z.enum(STORAGE_CLASSES, { error: `expected one of ${STORAGE_CLASSES.join(', ')}` }),
      }),
      { error: 'expected a list of tiers' },
    )
    .prefault([
      { after: '30d', storageClass: 'STANDARD_IA' },
      { after: '90d', storageClass: 'GLACIER' },
      { after: '180d', storageClass: 'DEEP_ARCHIVE' },
    ]),
  /** Objects expire (and replaced versions are deleted) this long after. @default 2555d (7 years) */
  expireAfter: duration.prefault('2555d'),
  /**
   * WORM: every new object version is locked for `retention` (whole days). GOVERNANCE: a principal with
   * s3:BypassGovernanceRetention can still delete or shorten. COMPLIANCE is irreversible: until the retention of a
   * version ends nobody, not the account's root user, can delete or overwrite it or shorten its lock, and the bucket
   * cannot be deleted while it holds one; Object Lock itself can never be turned off on the bucket again. Synth
   * warns for COMPLIANCE. The DR replica is locked the same.
   */
  objectLock: z
    .strictObject({
      mode: z.enum(['GOVERNANCE', 'COMPLIANCE'], { error: 'expected GOVERNANCE or COMPLIANCE' }),
      retention: duration,
    })
    .optional(),
  /**
   * Replication verification (with `replicate`): the daily S3 Inventories of the bucket and its replica compared,
   * in UTC. `compareEtag: false` compares sizes and checksum algorithms only.
   * @default { schedule: 'cron(0 8 * * ? *)', compareEtag: true } (after S3 has delivered the day's inventories)
   */
  verify: z
    .strictObject({
      schedule: schedule.prefault('cron(0 8 * * ? *)'),
      compareEtag: z.boolean({ error: 'expected true or false' }).default(true),
    })
    .prefault({}),
});

const CONTACT_WORDS =
  'an e-mail address, a mobile number in E.164 form (+4915112345678) or an https:// URL (a pager or chat endpoint)';
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const E164 = /^\+[1-9]\d{6,14}$/;
const isHttpsUrl = (text: string) =>
  URL.canParse(text) && new URL(text).protocol === 'https:' && /^https:\/\/[^/\s]+\.[^/\s]/.test(text);
/** Someone a level pages, written as plain text and told apart here, once: e-mail, SMS or HTTPS. */
const contact = z.string({ error: `expected ${CONTACT_WORDS}` }).transform((text, ctx): Contact => {
  if (EMAIL.test(text)) return { type: 'email', address: text };
  if (E164.test(text)) return { type: 'sms', phoneNumber: text };
  if (isHttpsUrl(text)) return { type: 'https', url: text };
  const message = /^arn:aws[a-z-]*:sns:/.test(text)
    ? // The SNS Subscribe API's protocols are http, https, email, email-json, sms, sqs, application, lambda and firehose.
      "is an SNS topic, and SNS cannot subscribe a topic to another topic: list that topic's subscribers here instead (their e-mail addresses, E.164 numbers or https:// endpoints)"
    : /^\+[\d\s()./-]+$/.test(text)
      ? 'expected a mobile number in E.164 form: + country code and number, no spaces or punctuation, such as +4915112345678'
      : text.startsWith('http://')
        ? 'is plain HTTP: pages go only to https:// endpoints'
        : `expected ${CONTACT_WORDS}`;
  ctx.issues.push({ code: 'custom', message, input: text });
  return z.NEVER;
});
const contactText = (c: Contact) => (c.type === 'email' ? c.address : c.type === 'sms' ? c.phoneNumber : c.url);

const SEVERITY_WORDS = `${SEVERITIES.slice(0, -1).join(', ')} or ${SEVERITIES.at(-1)}`;

const escalation = z.strictObject({
  /** In the order they are paged: the first at 0m, each later one after the one before, until acknowledged. */
  levels: z
    .array(
      z.strictObject({
        /** Part of the level's SNS topic name, <name>-page-<level>. */
        name: slug,
        /** Time since the incident began when this level is paged. */
        after: durationOf('expected a duration such as 0m, 15m or 1h', true),
        notify: z
          .array(contact, { error: 'expected a list of contacts' })
          .min(1, { error: `expected at least one contact: ${CONTACT_WORDS}` }),
      }),
      { error: 'expected a list of levels' },
    )
    .min(1, { error: 'expected at least one level' }),
  /** How often the top level is paged again while nobody acknowledges: from 1 minute to 1 day. @default 30m */
  repeatEvery: z
    .string({ error: 'expected a duration from 1m to 1d, such as 30m' })
    .transform((text, ctx): ConfigDuration => {
      const seconds = parseDuration(text);
      if (seconds === undefined || seconds < 60 || seconds > 86_400) {
        ctx.issues.push({ code: 'custom', message: 'expected a duration from 1m to 1d, such as 30m', input: text });
        return z.NEVER;
      }
      return { text, seconds };
    })
    .optional(),
  /**
   * The level where paging starts, by name, for each severity (P0 a complete outage, P1 a major loss, P2 a
   * limited one, P3 minor). @default - every severity starts at the first level
   */
  severities: z
    .object(
      Object.fromEntries(SEVERITIES.map((severity) => [severity, slug.optional()])) as Record<
        Severity,
        z.ZodOptional<typeof slug>
      >,
      { error: 'expected the level where each severity starts, such as { P0: "on-call", P3: "tech-lead" }' },
    )
    .catchall(z.unknown())
    .superRefine((starts, ctx) => {
      for (const [key, value] of Object.entries(starts))
        if (!(SEVERITIES as readonly string[]).includes(key))
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: `is not a severity: use ${SEVERITY_WORDS}`,
            input: value,
          });
    })
    .transform(
      (starts): Partial<Record<Severity, string>> =>
        Object.fromEntries(SEVERITIES.flatMap((severity) => (starts[severity] ? [[severity, starts[severity]]] : []))),
    )
    .default({}),
});

export const configSchema = z
  .strictObject({
    /**
     * Prefix of stack and resource names, and the installation tag's value. No hyphen: snapshot ids are
     * `<name>-<database>-<minute>`, and with hyphens two installations could make the same id, or one's IAM pattern
     * `<name>-*` match the other's snapshots.
     */
    name: installationName.default('lifeline'),
    primaryRegion: region,
    drRegion: region,
    /** The production account (12 digits): the primary and DR stacks deploy into it, and only it is trusted by the vault. Required with `vault`. */
    account: z
      .string({ error: 'expected a 12-digit AWS account id' })
      .regex(/^\d{12}$/, { error: 'expected a 12-digit AWS account id' })
      .optional(),
    /**
     * Availability zones of the DR region for the drill network (at least two), such as ["eu-west-1a", "eu-west-1c"].
     * Required: Fn::GetAZs would list only zones with a default subnet, in an order that can change when AWS adds a
     * zone, and a subnet whose zone changes is replaced with the same CIDR, which fails the update.
     */
    drAvailabilityZones: z.array(text('an availability zone such as eu-west-1a', /^[a-z]{2}(-gov)?-[a-z]+-\d[a-z]$/), {
      error: (issue) =>
        issue.input === undefined
          ? `is required: list at least two availability zones of drRegion for the drill network; find those of your drRegion with: ${findZones('<drRegion>')}`
          : 'expected a list of availability zones',
    }),
    /** Optional account that keeps a third copy out of reach of the production account. */
    vault: z
      .strictObject({
        account,
        /** The vault copy is made from the DR copy, in the DR region (AWS copies across accounts within one region). */
        region: region.optional(),
        /** How many vault copies of each database to keep, like `databases[].retention`. */
        retention: retention,
      })
      .optional(),
    /** Most snapshot copies in progress to one region at once (RDS allows 20, older accounts 5). */
    copySlots: wholeNumber(1, 100).default(5),
    /** Manual snapshot quota per region; Lifeline warns at 80 % and refuses to create at 100 %. */
    snapshotQuota: wholeNumber(1, 100_000).default(100),
    databases: z
      .array(database, { error: 'expected a list of databases' })
      .min(1, { error: 'expected at least one database' }),
    buckets: z.array(bucket, { error: 'expected a list of buckets' }).default([]),
    failover: z
      .strictObject({
        hostedZoneId: text('a Route 53 hosted zone id such as Z0123456789ABC', /^Z[A-Z0-9]{1,31}$/),
        recordName: text('a DNS name such as db.example.com', /^([a-z0-9-]+\.)+[a-z]{2,}\.?$/),
        ttl: wholeNumber(1, 86_400).default(60),
        /** The databases that fail over through this record. */
        databases: z
          .array(slug, { error: 'expected a list of database ids' })
          .min(1, { error: 'expected at least one database id' }),
        /**
         * Where a database-corruption restore runs: `dr` from the automated backups replicated into drRegion (or the
         * DR copies), `primary` from the database's own automated backups in primaryRegion (that region is up).
         */
        corruptionRestoreRegion: z.enum(['dr', 'primary'], { error: 'expected "dr" or "primary"' }).default('dr'),
        /** The approval a failover waits for before it changes anything. */
        approval: z
          .strictObject({
            /** How long it waits; then it stops with nothing changed. */
            timeout: duration.prefault('30m'),
            /** Whether a request may skip the approval with `approval: { waive: "reason" }`. */
            waivable: z.boolean({ error: 'expected true or false' }).default(true),
          })
          .prefault({}),
        /**
         * A Route 53 health check of the target the record names now: after a failed verification, DNS is rolled back
         * only while it reports healthy. @default - a TCP connect to the old target at the database's port
         */
        healthCheckId: text(
          'a Route 53 health check id such as 1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d',
          /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
        ).optional(),
        /** The instance class a restored replacement runs on. @default - the database's drill instance class */
        instanceClass: text('an RDS instance class such as db.r6g.large', /^db\.[a-z0-9]+\.[a-z0-9]+$/).optional(),
        /**
         * The failover drill of each database: the runbook on a restored copy behind its shadow record
         * `drill-<database>.<recordName>`, then both deleted; production is not touched.
         * @default { schedule: 'cron(0 10 ? * 3#1 *)', timeZone: 'UTC', enabled: true } (the first Tuesday of each month, 10:00)
         */
        drill: z
          .strictObject(
            {
              schedule: schedule.default('cron(0 10 ? * 3#1 *)'),
              timeZone: timeZone.default('UTC'),
              /** false: no schedule; a drill still runs when started with `drill: true`. */
              enabled: z.boolean({ error: 'expected true or false' }).default(true),
            },
            { error: 'expected an object such as { schedule: "cron(0 10 ? * 3#1 *)" }' },
          )
          .prefault({}),
      })
      .optional(),
    /** Who is paged, in which order and after how long, and where each severity starts. */
    escalation: escalation.optional(),
  })
  .superRefine((config, ctx) => {
    const issue = (path: (string | number)[], message: string, input: unknown) =>
      ctx.addIssue({ code: 'custom', path, message, input });

    if (config.drRegion === config.primaryRegion) {
      issue(
        ['drRegion'],
        `must differ from primaryRegion (${config.primaryRegion}): a DR copy in the same region survives nothing`,
        config.drRegion,
      );
    }
    if (config.vault) {
      if (!config.account)
        issue(
          ['account'],
          'is required when vault is set: the vault trusts only this production account (the 12-digit id the primary and DR stacks deploy into)',
          undefined,
        );
      else if (config.vault.account === config.account)
        issue(
          ['vault', 'account'],
          `must differ from account (${config.account}): a vault in the production account is in reach of the credentials it guards against`,
          config.vault.account,
        );
      if (config.vault.region !== undefined && config.vault.region !== config.drRegion)
        issue(
          ['vault', 'region'],
          `must be drRegion (${config.drRegion}): the vault copy is made from the DR copy, and AWS copies snapshots across accounts only within one region`,
          config.vault.region,
        );
    }
    {
      const zones = config.drAvailabilityZones;
      if (new Set(zones).size < 2)
        issue(
          ['drAvailabilityZones'],
          `needs at least two different zones: the drill subnet group spans two; find them with: ${findZones(config.drRegion)}`,
          zones.join(', ') || '[]',
        );
      zones.forEach((zone, i) => {
        if (!/^[a-z]$/.test(zone.slice(config.drRegion.length)) || !zone.startsWith(config.drRegion))
          issue(
            ['drAvailabilityZones', i],
            `is not a zone of drRegion (${config.drRegion}); find them with: ${findZones(config.drRegion)}`,
            zone,
          );
        if (zones.indexOf(zone) !== i) issue(['drAvailabilityZones', i], 'is listed twice', zone);
      });
    }
    const ids = new Map<string, number>();
    const identifiers = new Map<string, number>();
    config.databases.forEach((db, i) => {
      const at = (...rest: (string | number)[]) => ['databases', i, ...rest];
      if (ids.has(db.id)) issue(at('id'), `is already used by databases[${ids.get(db.id)}]`, db.id);
      ids.set(db.id, i);
      // A drill database is named <name>-drill-<id>-<8 characters> (its Aurora instance adds -1), and RDS allows 63.
      if (drillIdentifierLength(config.name, db.id, db.kind) > 63)
        issue(
          at('id'),
          `is too long together with name "${config.name}": drill databases are named ${config.name}-drill-${db.id}-<8 characters>${db.kind === 'cluster' ? ' (and its instance -1)' : ''}, and RDS allows 63; shorten the id or the name`,
          db.id,
        );
      if (identifiers.has(db.identifier))
        issue(at('identifier'), `is already protected by databases[${identifiers.get(db.identifier)}]`, db.identifier);
      identifiers.set(db.identifier, i);
      if (db.engine.startsWith('aurora') !== (db.kind === 'cluster')) {
        issue(
          at('kind'),
          `${db.engine} is ${db.engine.startsWith('aurora') ? 'an Aurora cluster' : 'an RDS instance'} engine`,
          db.kind,
        );
      }
      const rpo = db.objectives.rpo.seconds;
      const every = parseSchedule(db.backup.schedule, db.backup.timeZone);
      if (typeof every !== 'string') {
        daylightSavingIssues(every, at('backup', 'schedule'), issue);
        // A continuously protected database's RPO is measured between snapshots and alarmed on by the continuous probe.
        if (rpo < every.maxIntervalSeconds && !db.continuous) {
          const zone = every.timeZone === 'UTC' ? '' : ` in ${every.timeZone}`;
          issue(
            at('objectives', 'rpo'),
            `is shorter than the ${formatSeconds(every.maxIntervalSeconds)} between backups of ${db.backup.schedule}${zone} (${every.longestGap}); snapshots alone cannot meet it: back up more often, raise the objective, or protect the database between snapshots (continuous: automated-backup-replication, read-replica or global-database), whose RPO is then measured and alarmed on instead`,
            db.objectives.rpo.text,
          );
        }
      }
      if (db.sourceKey && arnRegion(db.sourceKey) !== config.primaryRegion)
        issue(
          at('sourceKey'),
          `must be a key in primaryRegion (${config.primaryRegion}), where the database and its snapshots are`,
          db.sourceKey,
        );
      if (db.drill?.credentialsSecretKey && arnRegion(db.drill.credentialsSecretKey) !== config.drRegion)
        issue(
          at('drill', 'credentialsSecretKey'),
          `must be a key in drRegion (${config.drRegion}), where the drill's credentials secret is`,
          db.drill.credentialsSecretKey,
        );
      if (db.backup.copyToVault && !config.vault)
        issue(at('backup', 'copyToVault'), 'needs a vault account (vault.account)', true);
      if (db.backup.copyToVault && !db.backup.copyToDr)
        issue(
          at('backup', 'copyToVault'),
          'needs backup.copyToDr: true: the vault copy is made from the DR copy, in the DR region',
          true,
        );
      if (db.continuous?.mode === 'automated-backup-replication' && db.kind !== 'instance')
        issue(
          at('continuous', 'mode'),
          'replicates the automated backups of an RDS instance; for an Aurora cluster use global-database',
          db.continuous.mode,
        );
      if (db.continuous?.mode === 'global-database' && db.kind !== 'cluster')
        issue(
          at('continuous', 'mode'),
          'is for Aurora clusters; for an RDS instance use automated-backup-replication or read-replica',
          db.continuous.mode,
        );
      if (db.archive && !config.buckets.some((b) => b.id === db.archive?.bucket))
        issue(
          at('archive', 'bucket'),
          `is not the id of a bucket in buckets (${config.buckets.map((b) => b.id).join(', ') || 'none configured'})`,
          db.archive.bucket,
        );
      if (db.archive?.dump && !db.drill)
        issue(
          at('archive', 'dump'),
          'needs drill: a dump is taken only from a database a passing drill restored; add a drill, or set dump: false',
          true,
        );
      const archiveBucket = config.buckets.find((b) => b.id === db.archive?.bucket);
      if (db.archive?.dump && archiveBucket && !archiveBucket.replicate)
        issue(
          at('archive', 'dump'),
          `writes into the replica of bucket ${archiveBucket.id} in drRegion, where drills run; that bucket has replicate: false (set replicate: true, or dump: false)`,
          true,
        );
      if (db.drill) {
        if (!db.backup.copyToDr)
          issue(at('drill'), 'drills restore in the DR region and need backup.copyToDr: true', 'drill');
        const drills = parseSchedule(db.drill.schedule, db.drill.timeZone);
        if (typeof drills !== 'string') daylightSavingIssues(drills, at('drill', 'schedule'), issue);
        const secretRegion = SECRET_ARN.exec(db.drill.credentialsSecret)?.[1];
        if (secretRegion !== undefined && secretRegion !== config.drRegion)
          issue(
            at('drill', 'credentialsSecret'),
            `is in ${secretRegion}, but drills run in drRegion (${config.drRegion}) and read the secret there: create or replicate the secret in ${config.drRegion} and give that ARN (or its name)`,
            db.drill.credentialsSecret,
          );
        const rto = db.objectives.rto.seconds;
        const timeout = db.drill.timeout.seconds;
        if (timeout < rto)
          issue(
            at('drill', 'timeout'),
            `is shorter than objectives.rto (${db.objectives.rto.text}); a drill could not show the RTO is met`,
            db.drill.timeout.text,
          );
        const digits = db.engine.includes('postgres') ? 32 : 64;
        db.drill.checks.forEach((check, c) => {
          if (check.type === 'checksum' && check.expected !== undefined && check.expected.length !== digits)
            issue(
              at('drill', 'checks', c, 'expected'),
              `is not a ${db.engine} checksum: ${digits === 32 ? 'PostgreSQL checksums are md5, 32' : 'MySQL-family checksums are SHA-256 sums, 64'} hex digits; leave it out and take the value a drill of ${db.id} records`,
              check.expected,
            );
        });
        if (db.engine.startsWith('aurora') && db.drill.instanceClass?.endsWith('.micro'))
          issue(
            at('drill', 'instanceClass'),
            `is not offered for Aurora (${db.engine}): use db.t4g.medium or larger, or leave it out for db.t4g.medium`,
            db.drill.instanceClass,
          );
      }
    });
    const bucketIds = new Map<string, number>();
    config.buckets.forEach((b, i) => {
      const at = (...rest: (string | number)[]) => ['buckets', i, ...rest];
      if (bucketIds.has(b.id)) issue(at('id'), `is already used by buckets[${bucketIds.get(b.id)}]`, b.id);
      if (b.id === INVENTORY_BUCKET_ID)
        issue(
          at('id'),
          `is reserved: the inventory bucket of each region is named ${config.name}-${INVENTORY_BUCKET_ID}-<account>-<region>`,
          b.id,
        );
      bucketIds.set(b.id, i);
      for (const error of lifecycleErrors(b, i)) issue(error.path, error.message, error.input);
      const longest = protectedBucketName(
        config.name,
        b.id,
        '123456789012',
        config.drRegion.length > config.primaryRegion.length ? config.drRegion : config.primaryRegion,
      );
      if (longest.length > 63)
        issue(
          at('id'),
          `is too long together with name "${config.name}": buckets are named ${config.name}-${b.id}-<account>-<region> (${longest.length} characters here), and S3 allows 63; shorten the id or the name`,
          b.id,
        );
      if (b.existing && !b.bucketName)
        issue(at('bucketName'), 'is required with existing: true: the name of the bucket you own', undefined);
      if (b.existing && b.objectLock)
        issue(
          at('objectLock'),
          'cannot be set on an existing bucket: Lifeline cannot turn Object Lock on for a bucket it did not create. Leave objectLock out, or let Lifeline create a new bucket (leave existing out) and copy the objects into it',
          b.objectLock.mode,
        );
      if (b.objectLock) {
        const days = b.objectLock.retention.seconds / 86_400;
        if (!Number.isInteger(days))
          issue(
            at('objectLock', 'retention'),
            'must be a whole number of days (S3 Object Lock counts days)',
            b.objectLock.retention.text,
          );
        if (b.expireAfter.seconds < b.objectLock.retention.seconds)
          issue(
            at('expireAfter'),
            `is before the object lock retention (${b.objectLock.retention.text}) ends`,
            b.expireAfter.text,
          );
      }
    });
    config.failover?.databases.forEach((id, i) => {
      if (!ids.has(id))
        issue(
          ['failover', 'databases', i],
          `is not the id of a database in databases (${[...ids.keys()].join(', ')})`,
          id,
        );
      const db = config.databases[ids.get(id) ?? -1];
      if (db && !db.drill)
        issue(
          ['failover', 'databases', i],
          `has no drill: a failover is verified through the name with the database's drill checks and credentials; configure databases[${ids.get(id)}].drill`,
          id,
        );
      // A restored replacement is named <name>-failover-<id>-<8 characters> (its Aurora instance adds -1).
      const length = `${config.name}-failover-${id}-12345678${db?.kind === 'cluster' ? '-1' : ''}`.length;
      if (db && length > 63)
        issue(
          ['failover', 'databases', i],
          `is too long together with name "${config.name}": a restored replacement is named ${config.name}-failover-${id}-<8 characters>, and RDS allows 63`,
          id,
        );
      if (config.failover?.databases.indexOf(id) !== i) issue(['failover', 'databases', i], 'is listed twice', id);
    });
    if (config.escalation) escalationIssues(config.escalation, issue);
    // The incident sink in the DR region hears the primary region's alerts through SNS delivering across regions.
    if (config.escalation && OPT_IN_REGIONS.includes(config.drRegion))
      issue(
        ['drRegion'],
        `is an opt-in region: SNS cannot deliver the alerts of ${config.primaryRegion} to the incident sink there (AWS delivers to Lambda across regions only into regions enabled by default). Choose a DR region enabled by default, or leave escalation out`,
        config.drRegion,
      );
  });

/** The levels in order from 0m, each name once, each contact once per level, each severity starting at a level. */
function escalationIssues(
  escalation: EscalationConfig,
  issue: (path: (string | number)[], message: string, input: unknown) => void,
): void {
  const { levels, severities } = escalation;
  const first = levels[0];
  if (first && first.after.seconds !== 0)
    issue(
      ['escalation', 'levels', 0, 'after'],
      'must be 0m: the first level is paged as soon as the incident begins',
      first.after.text,
    );
  const names = new Map<string, number>();
  levels.forEach((level, i) => {
    const at = (...rest: (string | number)[]) => ['escalation', 'levels', i, ...rest];
    const before = levels[i - 1];
    if (before && level.after.seconds <= before.after.seconds)
      issue(
        at('after'),
        `must be later than the level before it (${before.name}, ${before.after.text})`,
        level.after.text,
      );
    if (names.has(level.name))
      issue(at('name'), `is already the name of escalation.levels[${names.get(level.name)}]`, level.name);
    else names.set(level.name, i);
    const texts = level.notify.map(contactText);
    texts.forEach((text, c) => {
      if (texts.indexOf(text) !== c) issue(at('notify', c), 'is listed twice in this level', text);
    });
  });
  for (const [severity, name] of Object.entries(severities))
    if (name !== undefined && !names.has(name))
      issue(
        ['escalation', 'severities', severity],
        `is not the name of a level (${[...names.keys()].join(', ')})`,
        name,
      );
}

/** Runs that daylight saving time skips (spring) or makes happen at an undefined one of two times (autumn). */
function daylightSavingIssues(
  schedule: ParsedSchedule,
  path: (string | number)[],
  issue: (path: (string | number)[], message: string, input: unknown) => void,
): void {
  const dates = (changes: readonly DstChange[]) => {
    const shown = changes.slice(0, 3).map((c) => c.date);
    const more = changes.length - shown.length;
    return more > 0
      ? `${shown.join(', ')} and ${more} more in ${schedule.evaluatedYears.first}-${schedule.evaluatedYears.last}`
      : shown.join(', ');
  };
  const advice = (change: DstChange) => {
    const [early, late] = [change.from, change.to].sort();
    return `pick a time outside ${early}-${late} local time, or set timeZone "UTC"`;
  };
  const { expression, timeZone, skipped, repeated } = schedule;
  const [spring, autumn] = [skipped[0], repeated[0]];
  if (spring)
    issue(
      path,
      `runs in ${timeZone} at a time that does not exist when the clocks go forward from ${spring.from} to ${spring.to} (${dates(skipped)}); EventBridge Scheduler skips that run: ${advice(spring)}`,
      expression,
    );
  if (autumn)
    issue(
      path,
      `runs in ${timeZone} at a time that happens twice when the clocks go back from ${autumn.from} to ${autumn.to} (${dates(repeated)}); EventBridge Scheduler runs it only once: ${advice(autumn)}`,
      expression,
    );
}

/** What a user writes (defaults optional). */
export type LifelineConfigInput = z.input<typeof configSchema>;
/** What the stacks read (defaults filled in). */
export type LifelineConfig = z.output<typeof configSchema>;
export type DatabaseConfig = LifelineConfig['databases'][number];
export type DrillCheck = NonNullable<DatabaseConfig['drill']>['checks'][number];
export type BucketConfig = LifelineConfig['buckets'][number];
export type EscalationConfig = z.output<typeof escalation>;

/** The instance class a drill restores into: the configured one, else the smallest the engine offers. */
export function drillInstanceClass(db: Pick<DatabaseConfig, 'engine' | 'drill'>): string {
  return db.drill?.instanceClass ?? defaultDrillInstanceClass(db.engine);
}
