/**
 * Replication verification's payloads: the workflow compares the newest S3 Inventory of a protected bucket with its
 * replica's, in partitions. Imports nothing but other contracts.
 */
import { handlerContract } from '../commons/contracts';

/** Environment variables of the verification functions. */
export const ARCHIVE_ENV = {
  /** The verified buckets, as JSON: `{ "<id>": VerifiedBucket }`. */
  verifiedBuckets: 'VERIFIED_BUCKETS',
  /** Where the partition runs, the summaries and the file list of each run are written (the DR inventory bucket). */
  workBucket: 'INVENTORY_WORK_BUCKET',
} as const;

/** The id every Lifeline inventory configuration has, and the prefix S3 writes it under in its destination. */
export const INVENTORY_ID = 'lifeline-verification';
export const INVENTORY_PREFIX = 'inventory';
/** The work area of each verification run in the work bucket (expired by its lifecycle). */
export const VERIFICATION_PREFIX = 'verification/';

/** Where one bucket's inventory is delivered: `<inventoryBucket>/<prefix>/<bucket>/<configId>/<date>/manifest.json`. */
export interface InventoryLocation {
  /** The inventoried bucket. */
  readonly bucket: string;
  readonly region: string;
  /** The destination bucket of its inventory (in the same region). */
  readonly inventoryBucket: string;
  readonly prefix: string;
  readonly configId: string;
}

export interface VerifiedBucket {
  readonly id: string;
  readonly source: InventoryLocation;
  readonly replica: InventoryLocation;
  /** Compare ETags as well as sizes and checksum algorithms. */
  readonly compareEtag: boolean;
}

export type Side = 'source' | 'replica';

/** The execution input: which bucket, and optionally in how many partitions. */
export interface VerificationRequest {
  /** The bucket's id in the config. */
  readonly bucket: string;
  /** How many partitions to compare in. @default - one per 64 MiB of compressed inventory, 1 to 1000 */
  readonly partitions?: number;
}

export interface VerificationInput {
  readonly request: VerificationRequest;
  /** The execution's id: names the run's work area. */
  readonly execution: string;
}

export interface InventorySideSummary {
  readonly bucket: string;
  readonly manifestKey: string;
  /** When S3 began listing the bucket for this inventory (the manifest's creationTimestamp). */
  readonly listedAt: string;
  readonly files: number;
  readonly bytes: number;
}

export interface VerificationPlan {
  readonly bucket: string;
  readonly runId: string;
  readonly startedAt: string;
  readonly workBucket: string;
  /** Ends with '/'. */
  readonly workPrefix: string;
  /** The JSON array of InventoryFile the first Distributed Map reads. */
  readonly filesKey: string;
  readonly partitions: number;
  /** 0 .. partitions - 1: the second Distributed Map's items. */
  readonly partitionList: readonly number[];
  readonly compareEtag: boolean;
  readonly source: InventorySideSummary;
  readonly replica: InventorySideSummary;
}

/** One inventory data file: an item of the first Distributed Map. */
export interface InventoryFile {
  readonly side: Side;
  readonly index: number;
  readonly region: string;
  readonly bucket: string;
  readonly key: string;
  readonly md5?: string;
  /** Positions of REQUIRED_COLUMNS in the file's rows. */
  readonly columns: readonly number[];
  readonly partitions: number;
  readonly workBucket: string;
  readonly workPrefix: string;
}

export interface PartitionFileOutput {
  readonly rows: number;
  readonly runs: number;
}

/** One partition to compare: an item of the second Distributed Map. */
export interface ComparePartitionInput {
  readonly partition: number;
  readonly workBucket: string;
  readonly workPrefix: string;
  /** The replica inventory's listedAt: source versions written later are not judged. */
  readonly replicaListedAt: string;
  readonly compareEtag: boolean;
}

export interface ComparePartitionOutput {
  readonly partition: number;
  readonly sourceRows: number;
  readonly replicaRows: number;
}

export interface ReportVerificationInput {
  readonly plan: VerificationPlan;
  /** The execution's ARN, for the alert's link. */
  readonly execution: string;
}

export interface VerificationOutcome {
  readonly bucket: string;
  readonly status: 'verified' | 'discrepancies' | 'late' | 'discrepancies-and-late';
  /** Where the report is: s3://bucket/key. */
  readonly report: string;
  readonly missing: number;
  readonly mismatched: number;
  readonly failed: number;
  readonly pending: number;
  readonly oldestUnreplicatedSeconds?: number;
  /** The incident kinds alerted on. */
  readonly alerted: readonly string[];
  /** The report itself, when there is no reports bucket to keep it in. */
  readonly details?: unknown;
}

export const ARCHIVE_HANDLERS = {
  planVerification: handlerContract<VerificationInput, VerificationPlan>('functions/archive/plan-verification.ts'),
  partitionFile: handlerContract<InventoryFile, PartitionFileOutput>('functions/archive/partition-inventory.ts'),
  comparePartition: handlerContract<ComparePartitionInput, ComparePartitionOutput>(
    'functions/archive/compare-partition.ts',
  ),
  reportVerification: handlerContract<ReportVerificationInput, VerificationOutcome>(
    'functions/archive/report-verification.ts',
  ),
} as const;
