import { PutObjectCommand } from '@aws-sdk/client-s3';
import { InvalidInput } from '../commons/errors';
import { lifelineHandler } from '../commons/handler';
import { env, now } from '../commons/runtime';
import {
  ARCHIVE_ENV,
  type InventoryFile,
  type InventoryLocation,
  type InventorySideSummary,
  type Side,
  VERIFICATION_PREFIX,
  type VerificationInput,
  type VerificationPlan,
  type VerifiedBucket,
} from './contracts';
import { columnsOf, type InventoryManifest, InventoryUnusable, newestInventoryFolder } from './inventory-rows';
import { archiveS3, foldersUnder, readJson } from './inventory-s3';

/** One partition per this many bytes of compressed inventory (both sides), 1 to MAX_PARTITIONS. */
const BYTES_PER_PARTITION = 64 * 1024 * 1024;
export const MAX_PARTITIONS = 1000;

/**
 * Finds the newest inventory of the bucket and of its replica, checks each lists what the comparison reads, and
 * writes the list of their data files for the first Distributed Map; the partition count follows their size.
 */
export async function planVerification({ request, execution }: VerificationInput): Promise<VerificationPlan> {
  const buckets = JSON.parse(env(ARCHIVE_ENV.verifiedBuckets)) as Record<string, VerifiedBucket>;
  const id = String(request?.bucket);
  const bucket = Object.hasOwn(buckets, id) ? buckets[id] : undefined;
  if (!bucket)
    throw new InvalidInput(
      `bucket: no verified bucket "${id}"; the verified buckets are ${Object.keys(buckets).join(', ') || 'none'}`,
    );
  const [source, replica] = await Promise.all([newestManifest(bucket.source), newestManifest(bucket.replica)]);
  const bytes = [...source.manifest.files, ...replica.manifest.files].reduce((total, f) => total + f.size, 0);
  const requested = request.partitions;
  if (requested !== undefined && (!Number.isInteger(requested) || requested < 1 || requested > MAX_PARTITIONS))
    throw new InvalidInput(`partitions: expected a whole number from 1 to ${MAX_PARTITIONS}, got ${requested}`);
  const partitions = requested ?? Math.min(MAX_PARTITIONS, Math.max(1, Math.ceil(bytes / BYTES_PER_PARTITION)));
  const runId = execution.split(':').at(-1) ?? execution;
  const workBucket = env(ARCHIVE_ENV.workBucket);
  const workPrefix = `${VERIFICATION_PREFIX}${bucket.id}/${runId}/`;
  const filesOf = (side: Side, found: Found, offset: number): InventoryFile[] =>
    found.manifest.files.map((file, i) => ({
      side,
      index: offset + i,
      region: found.location.region,
      bucket: found.location.inventoryBucket,
      key: file.key,
      ...(file.MD5checksum ? { md5: file.MD5checksum } : {}),
      columns: found.columns,
      partitions,
      workBucket,
      workPrefix,
    }));
  const files = [...filesOf('source', source, 0), ...filesOf('replica', replica, source.manifest.files.length)];
  const filesKey = `${workPrefix}files.json`;
  await archiveS3().send(
    new PutObjectCommand({
      Bucket: workBucket,
      Key: filesKey,
      Body: JSON.stringify(files),
      ContentType: 'application/json',
    }),
  );
  return {
    bucket: bucket.id,
    runId,
    startedAt: now().toISOString(),
    workBucket,
    workPrefix,
    filesKey,
    partitions,
    partitionList: Array.from({ length: partitions }, (_, i) => i),
    compareEtag: bucket.compareEtag,
    source: sideSummary(source),
    replica: sideSummary(replica),
  };
}

interface Found {
  readonly location: InventoryLocation;
  readonly manifestKey: string;
  readonly manifest: InventoryManifest;
  readonly columns: number[];
}

/** The newest dated folder's manifest.json (S3 writes it after the data files: a folder without one is not done). */
async function newestManifest(location: InventoryLocation): Promise<Found> {
  const client = archiveS3(location.region);
  const base = `${location.prefix}/${location.bucket}/${location.configId}/`;
  const folders = await foldersUnder(client, location.inventoryBucket, base);
  const where = `the inventory of ${location.bucket} (s3://${location.inventoryBucket}/${base})`;
  let remaining = folders;
  for (let tries = 0; tries < 3; tries++) {
    const folder = newestInventoryFolder(remaining);
    if (!folder) break;
    remaining = remaining.filter((f) => f !== folder);
    const manifestKey = `${folder}manifest.json`;
    const manifest = await readJson<InventoryManifest>(client, location.inventoryBucket, manifestKey).catch(
      (error: Error) => {
        if (error.name === 'NoSuchKey') return undefined;
        throw error;
      },
    );
    if (!manifest) continue;
    return { location, manifestKey, manifest, columns: columnsOf(manifest, where) };
  }
  throw new InventoryUnusable(
    `${where}: no inventory delivered yet. S3 delivers the first one within 48 hours of the configuration; if it has been longer, check the inventory configuration of ${location.bucket} and the policy of ${location.inventoryBucket}.`,
  );
}

function sideSummary(found: Found): InventorySideSummary {
  return {
    bucket: found.location.bucket,
    manifestKey: found.manifestKey,
    listedAt: new Date(Number(found.manifest.creationTimestamp)).toISOString(),
    files: found.manifest.files.length,
    bytes: found.manifest.files.reduce((total, f) => total + f.size, 0),
  };
}

export const handler = lifelineHandler(planVerification);
