import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { DrillReport } from '../../functions/drill/contracts';
import type { LocalAws } from './local-aws';

/** The newest drill report in the DR stack's reports bucket, read back as an auditor would: JSON and HTML. */
export async function latestDrillReport(aws: LocalAws): Promise<{ json: DrillReport; html: string } | undefined> {
  const dr = aws.app.templates.dr;
  if (!dr) return undefined;
  const logicalId = Object.entries(dr.template.Resources).find(
    ([id, r]) => r.Type === 'AWS::S3::Bucket' && /^Reports[0-9A-F]{8}$/.test(id),
  )?.[0];
  if (!logicalId) return undefined;
  const bucket = aws.cloud.physicalId(dr, logicalId);
  const s3 = aws.client(S3Client, dr.region);
  const objects = (await s3.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? [];
  const newest = objects
    .filter((o) => o.Key?.endsWith('.json'))
    .sort((a, b) => (b.LastModified?.getTime() ?? 0) - (a.LastModified?.getTime() ?? 0))[0];
  if (!newest?.Key) return undefined;
  const read = async (key: string) =>
    (await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body?.transformToString()) ?? '';
  return {
    json: JSON.parse(await read(newest.Key)) as DrillReport,
    html: await read(newest.Key.replace(/\.json$/, '.html')),
  };
}
