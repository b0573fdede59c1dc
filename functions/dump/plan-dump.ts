import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { s3 } from '../commons/aws';
import { lifelineHandler, logger } from '../commons/handler';
import { archiveClassOf, archivePrefixes, keySafe } from './archive-class';
import type { DumpPlan, PlanDumpInput } from './contracts';
import { MANIFEST_SUFFIX } from './contracts';

/**
 * Whether the drill that just passed should leave an archived dump, and under which keys: the first passing drill of
 * each calendar month does (the year's first is marked `yearly`), from the manifests already in the archive bucket.
 */
export async function planDump(input: PlanDumpInput, client: S3Client = s3()): Promise<DumpPlan> {
  const prefixes = archivePrefixes(input.database, input.recoveryPoint.time, input.timeZone);
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: input.bucket, Prefix: prefixes.year, ContinuationToken: token }),
    );
    keys.push(...(page.Contents ?? []).flatMap((o) => (o.Key ? [o.Key] : [])));
    token = page.NextContinuationToken;
  } while (token);
  const archiveClass = archiveClassOf(input.database, input.recoveryPoint.time, input.timeZone, keys);
  const extension = input.engine.includes('postgres') ? 'dump' : 'sql';
  const stem = `${keySafe(input.recoveryPoint.id)}-${archiveClass ?? 'none'}`;
  const plan: DumpPlan = {
    due: archiveClass !== undefined,
    reason: archiveClass
      ? `the first passing drill of ${archiveClass === 'yearly' ? prefixes.year : prefixes.month} archives a ${archiveClass} dump`
      : `${prefixes.month} already holds an archived dump`,
    archiveClass: archiveClass ?? 'none',
    dumpFile: `${stem}.${extension}`,
    dumpKey: `${prefixes.month}${stem}.${extension}`,
    manifestKey: `${prefixes.month}${stem}${MANIFEST_SUFFIX}`,
    sourceSnapshot: input.recoveryPoint.id,
    engineVersion: input.endpoint.engineVersion ?? input.recoveryPoint.engineVersion ?? 'unknown',
  };
  logger.info('Archive dump planned', { ...plan });
  return plan;
}

export const handler = lifelineHandler(planDump);
