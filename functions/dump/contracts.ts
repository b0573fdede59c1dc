/** What the drill workflow passes the archive-dump planner, and what the dump task is told. Imports only contracts. */
import { handlerContract } from '../commons/contracts';

/** Where archived dumps of a database go in its archive bucket: `dumps/<database>/<yyyy>/<mm>/`. */
export const DUMP_PREFIX = 'dumps';
export const dumpPrefix = (database: string) => `${DUMP_PREFIX}/${database}/`;

/** The suffix of a dump's manifest, beside the dump: `<name>.manifest.json` for `<name>.dump` or `<name>.sql`. */
export const MANIFEST_SUFFIX = '.manifest.json';

/** The container names of the dump task: the engine's image dumps, the AWS CLI's uploads. */
export const DUMP_CONTAINERS = { dump: 'dump', upload: 'upload' } as const;

/**
 * The environment of the dump task's containers (functions/dump/archive-dump.sh reads these). The task definition
 * sets what is fixed per database; the drill workflow overrides the rest per run.
 */
export const DUMP_ENV = {
  engine: 'ENGINE',
  engineVersion: 'ENGINE_VERSION',
  host: 'DB_HOST',
  port: 'DB_PORT',
  databaseName: 'DB_NAME',
  user: 'DB_USER',
  password: 'DB_PASSWORD',
  dir: 'DUMP_DIR',
  file: 'DUMP_FILE',
  bucket: 'ARCHIVE_BUCKET',
  dumpKey: 'DUMP_KEY',
  manifestKey: 'MANIFEST_KEY',
  kmsKey: 'ARCHIVE_KMS_KEY',
  archiveClass: 'ARCHIVE_CLASS',
  database: 'DATABASE',
  sourceSnapshot: 'SOURCE_SNAPSHOT',
  execution: 'DRILL_EXECUTION',
} as const;

/** The class an archived dump is kept as: the first of a calendar year is `yearly`, the first of a month `monthly`. */
export type ArchiveClass = 'monthly' | 'yearly';

export interface PlanDumpInput {
  /** Lifeline's id of the database. */
  readonly database: string;
  readonly engine: string;
  /** The archive bucket, in this region. */
  readonly bucket: string;
  /** The drill's time zone: the calendar month and year are counted in it. */
  readonly timeZone: string;
  /** The recovery point the drill restored (and whose data the dump holds). */
  readonly recoveryPoint: { readonly id: string; readonly time: string; readonly engineVersion?: string };
  /** The restored database (its engine version, when the wait recorded it). */
  readonly endpoint: { readonly engineVersion?: string };
  readonly execution: string;
}

/** Whether this drill's database is archived, and where. Every field is set, so the workflow's paths always resolve. */
export interface DumpPlan {
  readonly due: boolean;
  /** Why it is due or not, for the execution's output. */
  readonly reason: string;
  readonly archiveClass: ArchiveClass | 'none';
  readonly dumpFile: string;
  readonly dumpKey: string;
  readonly manifestKey: string;
  readonly sourceSnapshot: string;
  readonly engineVersion: string;
}

export const DUMP_HANDLERS = {
  planDump: handlerContract<PlanDumpInput, DumpPlan>('functions/dump/plan-dump.ts'),
} as const;
