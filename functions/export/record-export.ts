import { ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { rds, s3 } from '../commons/aws';
import { lifelineHandler, logger, metrics } from '../commons/handler';
import { addTags } from '../commons/rds-snapshots';
import { now } from '../commons/runtime';
import {
  EXPORT_STATE,
  EXPORT_TAG,
  type ExportRecord,
  RECORDS_PREFIX,
  type RecordExportInput,
  type RecordExportOutput,
} from './contracts';

/**
 * Writes the record of an ended export as JSON into the archive bucket (`records/exports/<db>/<task id>.json`,
 * replicated with the export) and tags the point `lifeline:export=complete` or `failed`: what the next run reads.
 */
export async function recordExport(input: RecordExportInput): Promise<RecordExportOutput> {
  const { target, result } = input;
  const complete = result.status === 'COMPLETE';
  const client = s3();
  const size = complete ? await sizeOf(client, target.bucket, `${target.prefix}/${result.exportTaskId}/`) : undefined;
  if (size && 'sizeUnknown' in size)
    logger.warn('The export is complete but its objects could not be listed; recorded without its size', size);
  const record: ExportRecord = {
    ...result,
    database: target.database,
    snapshotId: target.snapshotId,
    snapshotArn: target.snapshotArn,
    classes: target.classes,
    bucket: target.bucket,
    execution: input.execution,
    recordedAt: now().toISOString(),
    ...size,
  };
  const recordKey = `${RECORDS_PREFIX}${target.database}/${result.exportTaskId}.json`;
  await client.send(
    new PutObjectCommand({
      Bucket: target.bucket,
      Key: recordKey,
      Body: `${JSON.stringify(record, null, 2)}\n`,
      ContentType: 'application/json',
      // Object Lock buckets take a write only with a checksum.
      ChecksumAlgorithm: 'SHA256',
    }),
  );
  await addTags(rds(), target.snapshotArn, {
    [EXPORT_TAG]: complete ? EXPORT_STATE.complete : EXPORT_STATE.failed,
  });
  metrics.addDimension('database', target.database);
  metrics.addMetric(complete ? 'ExportsCompleted' : 'ExportsFailed', 'Count', 1);
  if (size && 'bytes' in size) metrics.addMetric('ExportBytes', 'Bytes', size.bytes);
  logger.info('Export recorded', { recordKey, status: result.status });
  const cause = complete
    ? ''
    : (result.failureCause ?? (result.status === 'CANCELED' ? 'the export task was canceled' : 'RDS gave no cause'));
  return { recordKey, outcome: complete ? 'exported' : 'failed', cause };
}

/**
 * Objects and bytes under the export's prefix. The sizes inform; they do not decide: a listing that fails leaves the
 * record without them (and says why) rather than leave a complete export unrecorded, to be retried every run.
 */
async function sizeOf(
  client: S3Client,
  bucket: string,
  prefix: string,
): Promise<{ objects: number; bytes: number } | { sizeUnknown: string }> {
  let objects = 0;
  let bytes = 0;
  let token: string | undefined;
  try {
    do {
      const out = await client.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const object of out.Contents ?? []) {
        objects++;
        bytes += object.Size ?? 0;
      }
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
  } catch (error) {
    return { sizeUnknown: `${(error as Error).name}: ${(error as Error).message}` };
  }
  return { objects, bytes };
}

export const handler = lifelineHandler(recordExport);
