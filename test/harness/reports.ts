import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { DrillReport } from '../../functions/drill/contracts';
import { type DrillHistory, parseHistory } from '../../functions/drill/history';
import { historyKeys } from '../../functions/drill/record-history';
import type { FailoverRecord } from '../../functions/failover/contracts';
import type { LocalAws } from './local-aws';

/** The DR stack's reports bucket and a client for it; undefined when the app has none. */
function reportsBucket(aws: LocalAws): { bucket: string; s3: S3Client } | undefined {
  const dr = aws.app.templates.dr;
  if (!dr) return undefined;
  const logicalId = Object.entries(dr.template.Resources).find(
    ([id, r]) => r.Type === 'AWS::S3::Bucket' && /^Reports[0-9A-F]{8}$/.test(id),
  )?.[0];
  if (!logicalId) return undefined;
  return { bucket: aws.cloud.physicalId(dr, logicalId), s3: aws.client(S3Client, dr.region) };
}

const text = async (s3: S3Client, bucket: string, key: string) =>
  (await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body?.transformToString()) ?? '';

/** The newest drill report in the DR stack's reports bucket, read back as an auditor would: JSON and HTML. */
export async function latestDrillReport(aws: LocalAws): Promise<{ json: DrillReport; html: string } | undefined> {
  const found = reportsBucket(aws);
  if (!found) return undefined;
  const { bucket, s3 } = found;
  // Only the reports: the history's index is JSON too.
  const objects = ((await s3.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? []).filter((o) =>
    o.Key?.startsWith('drills/'),
  );
  const newest = objects
    .filter((o) => o.Key?.endsWith('.json'))
    .sort((a, b) => (b.LastModified?.getTime() ?? 0) - (a.LastModified?.getTime() ?? 0))[0];
  if (!newest?.Key) return undefined;
  const read = (key: string) => text(s3, bucket, key);
  return {
    json: JSON.parse(await read(newest.Key)) as DrillReport,
    html: await read(newest.Key.replace(/\.json$/, '.html')),
  };
}

/** A database's drill history in the reports bucket, index and page; undefined when none was written. */
export async function drillHistory(
  aws: LocalAws,
  database: string,
): Promise<{ index: DrillHistory; html: string } | undefined> {
  const found = reportsBucket(aws);
  if (!found) return undefined;
  const keys = historyKeys(database);
  const index = await text(found.s3, found.bucket, keys.index).catch(() => undefined);
  if (index === undefined) return undefined;
  return { index: parseHistory(index, database), html: await text(found.s3, found.bucket, keys.page) };
}

/** The newest failover record in the DR stack's reports bucket: JSON and HTML. */
export async function latestFailoverRecord(
  aws: LocalAws,
): Promise<{ json: FailoverRecord; html: string; key: string } | undefined> {
  const found = reportsBucket(aws);
  if (!found) return undefined;
  const { bucket, s3 } = found;
  // No Prefix: moto's signature check disagrees with the SDK on an encoded '/' in the query.
  const objects = ((await s3.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? [])
    .filter((o) => o.Key?.startsWith('failovers/') && o.Key.endsWith('.json'))
    .sort((a, b) => (a.LastModified?.getTime() ?? 0) - (b.LastModified?.getTime() ?? 0));
  const key = objects.at(-1)?.Key;
  if (!key) return undefined;
  return {
    json: JSON.parse(await text(s3, bucket, key)) as FailoverRecord,
    html: await text(s3, bucket, key.replace(/\.json$/, '.html')),
    key,
  };
}
