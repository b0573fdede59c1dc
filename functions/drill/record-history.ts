import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type DrillHistory, type HistoryRow, parseHistory, renderHistoryHtml, withDrill } from './history';

/** Where a database's drill history lives in the reports bucket. */
export const historyKeys = (database: string) => ({
  index: `history/${database}/index.json`,
  page: `history/${database}/index.html`,
});

const ATTEMPTS = 10;

/** The write lost a race: S3 refused it because the object changed (412) or another write was in flight (409). */
const lostRace = (error: unknown) => {
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return status === 412 || status === 409;
};
const pause = (attempt: number) => new Promise((done) => setTimeout(done, 20 * attempt + Math.random() * 80));

export class HistoryContention extends Error {
  override name = 'HistoryContention';
}

/**
 * Adds the drill to its database's history and rewrites the page. Safe with drills that report at the same time:
 * each write is conditional (If-None-Match for the first, If-Match on the ETag read for the next), and a write that
 * loses reads again and retries. The page carries the generation of the index it shows and never replaces a newer
 * one. Needs only s3:GetObject and s3:PutObject on the two keys: no listing.
 */
export async function recordHistory(
  s3: S3Client,
  bucket: string,
  database: string,
  row: HistoryRow,
  timeZone: string,
): Promise<DrillHistory> {
  const keys = historyKeys(database);
  const history = await appendRow(s3, bucket, keys.index, database, row, timeZone);
  await writePage(s3, bucket, keys.page, history);
  return history;
}

async function appendRow(
  s3: S3Client,
  bucket: string,
  key: string,
  database: string,
  row: HistoryRow,
  timeZone: string,
): Promise<DrillHistory> {
  // Start by creating it: a read of a key that does not exist is AccessDenied without s3:ListBucket.
  let current: { history: DrillHistory; etag: string } | undefined;
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const next = withDrill(current?.history, database, row, timeZone);
    try {
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: JSON.stringify(next, null, 2),
          ContentType: 'application/json',
          ChecksumAlgorithm: 'SHA256',
          Metadata: { generation: String(next.generation) },
          ...(current ? { IfMatch: current.etag } : { IfNoneMatch: '*' }),
        }),
      );
      return next;
    } catch (error) {
      if (!lostRace(error)) throw error;
    }
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    current = { history: parseHistory((await got.Body?.transformToString()) ?? '', database), etag: got.ETag ?? '' };
    await pause(attempt);
  }
  throw new HistoryContention(`s3://${bucket}/${key} changed under each of ${ATTEMPTS} writes`);
}

async function writePage(s3: S3Client, bucket: string, key: string, history: DrillHistory): Promise<void> {
  const body = renderHistoryHtml(history);
  let etag: string | undefined;
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    try {
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: body,
          ContentType: 'text/html; charset=utf-8',
          ChecksumAlgorithm: 'SHA256',
          Metadata: { generation: String(history.generation) },
          ...(etag ? { IfMatch: etag } : { IfNoneMatch: '*' }),
        }),
      );
      return;
    } catch (error) {
      if (!lostRace(error)) throw error;
    }
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    // A later drill's report wrote a page of a newer index, which holds this drill too.
    if (Number(head.Metadata?.generation ?? 0) >= history.generation) return;
    etag = head.ETag;
    await pause(attempt);
  }
  throw new HistoryContention(`s3://${bucket}/${key} changed under each of ${ATTEMPTS} writes`);
}
