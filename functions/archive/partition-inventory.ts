import { gzipSync } from 'node:zlib';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { lifelineHandler } from '../commons/handler';
import type { InventoryFile, PartitionFileOutput } from './contracts';
import { Partitioner, rowOf, runLine } from './inventory-rows';
import { archiveS3, gzippedLines } from './inventory-s3';

/** Rows buffered across all partitions before they are sorted and written as runs: about 30 MB of rows. */
export const RUN_BUDGET_ROWS = 100_000;

/**
 * Streams one inventory data file (gunzip, line by line) and writes its rows as sorted runs, one set per partition
 * of the key space: `<work>/runs/<side>/p<partition>/f<file>-<n>.tsv.gz`. Memory: RUN_BUDGET_ROWS rows.
 */
export async function partitionFile(file: InventoryFile): Promise<PartitionFileOutput> {
  const work = archiveS3();
  let runs = 0;
  const partitioner = new Partitioner(file.partitions, RUN_BUDGET_ROWS, async (partition, sorted) => {
    const body = gzipSync(`${sorted.map(runLine).join('\n')}\n`);
    await work.send(
      new PutObjectCommand({
        Bucket: file.workBucket,
        Key: `${file.workPrefix}runs/${file.side}/p${partition}/f${file.index}-${runs++}.tsv.gz`,
        Body: body,
      }),
    );
  });
  for await (const line of gzippedLines(archiveS3(file.region), file.bucket, file.key, file.md5))
    await partitioner.add(rowOf(line, file.columns));
  await partitioner.end();
  return { rows: partitioner.rows, runs };
}

export const handler = lifelineHandler(partitionFile);
