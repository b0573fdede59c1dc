/** Reading Step Functions' own records of a workflow's executions, in any region, politely. */
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  type ExecutionListItem,
  ListExecutionsCommand,
} from '@aws-sdk/client-sfn';
import { sfn } from './aws';

const regionOf = (arn: string) => arn.split(':')[3] as string;

/** Executions of a state machine, newest first; the caller stops reading when it has enough. */
export async function* executions(stateMachineArn: string, status?: 'SUCCEEDED'): AsyncGenerator<ExecutionListItem> {
  let nextToken: string | undefined;
  do {
    const page = await sfn(regionOf(stateMachineArn)).send(
      new ListExecutionsCommand({ stateMachineArn, statusFilter: status, maxResults: 1000, nextToken }),
    );
    yield* page.executions ?? [];
    nextToken = page.nextToken;
  } while (nextToken);
}

/** The database an execution's input names, and its error, from Step Functions' own record of it (`raw`). */
export async function described(
  executionArn: string,
): Promise<{ database?: string; error?: string; raw: DescribeExecutionCommandOutput }> {
  const out = await sfn(regionOf(executionArn)).send(new DescribeExecutionCommand({ executionArn }));
  try {
    const database = (JSON.parse(out.input ?? '{}') as { database?: unknown }).database;
    return { database: typeof database === 'string' ? database : undefined, error: out.error, raw: out };
  } catch {
    return { error: out.error, raw: out };
  }
}

/** Runs `work` over `items`, at most `limit` at a time (DescribeExecution is throttled per account). */
export async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
