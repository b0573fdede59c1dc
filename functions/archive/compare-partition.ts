import { PutObjectCommand } from '@aws-sdk/client-s3';
import { lifelineHandler } from '../commons/handler';
import type { ComparePartitionInput, ComparePartitionOutput, Side } from './contracts';
import { diffInventoriesAsync, type InventoryRow } from './inventory-diff';
import { InventoryUnusable, mergeRuns, rowOfRunLine } from './inventory-rows';
import { archiveS3, gzippedLines, keysUnder, MAX_OPEN_STREAMS } from './inventory-s3';

/**
 * Compares one partition: the sorted runs of each side merged (one row per run in memory) into the diff's
 * merge-join; the partial summary goes to `<work>/summaries/p<partition>.json`.
 */
export async function comparePartition(input: ComparePartitionInput): Promise<ComparePartitionOutput> {
  const s3 = archiveS3();
  const runsOf = async (side: Side) => {
    const keys: string[] = [];
    for await (const key of keysUnder(s3, input.workBucket, `${input.workPrefix}runs/${side}/p${input.partition}/`))
      keys.push(key);
    return keys;
  };
  const [sourceRuns, replicaRuns] = await Promise.all([runsOf('source'), runsOf('replica')]);
  if (sourceRuns.length + replicaRuns.length > MAX_OPEN_STREAMS)
    throw new InventoryUnusable(
      `partition ${input.partition} has ${sourceRuns.length + replicaRuns.length} runs, more than the ${MAX_OPEN_STREAMS} one comparison reads at once: run the verification with more partitions`,
    );
  const rows = (keys: string[]) =>
    mergeRuns(
      keys.map((key) =>
        (async function* (): AsyncGenerator<InventoryRow> {
          for await (const line of gzippedLines(s3, input.workBucket, key)) yield rowOfRunLine(line);
        })(),
      ),
    );
  const summary = await diffInventoriesAsync(rows(sourceRuns), rows(replicaRuns), {
    replicaListedAt: Date.parse(input.replicaListedAt),
    compareEtag: input.compareEtag,
  });
  await s3.send(
    new PutObjectCommand({
      Bucket: input.workBucket,
      Key: `${input.workPrefix}summaries/p${input.partition}.json`,
      Body: JSON.stringify(summary),
      ContentType: 'application/json',
    }),
  );
  return { partition: input.partition, sourceRows: summary.sourceRows, replicaRows: summary.replicaRows };
}

export const handler = lifelineHandler(comparePartition);
