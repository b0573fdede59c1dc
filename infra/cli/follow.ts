import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  GetExecutionHistoryCommand,
  type GetExecutionHistoryCommandOutput,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { call } from './aws';
import { duration, type Io, line, progressStream } from './output';

/** An execution as it ended (or as it was when following stopped). */
export interface Followed {
  readonly executionArn: string;
  readonly status: string;
  readonly startDate?: string;
  readonly stopDate?: string;
  readonly durationSeconds?: number;
  /** The states entered, in order, each once (a state entered again is not repeated). */
  readonly steps: readonly string[];
  readonly error?: string;
  readonly cause?: string;
  readonly output?: unknown;
}

export interface FollowOptions {
  /** Seconds between polls. */
  readonly intervalSeconds: number;
  /** Clock and sleep, replaceable by a test. @default real time */
  readonly sleep?: (ms: number) => Promise<void>;
}

const sleepReal = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The events not seen yet, oldest first: newest-first pages are read until a seen event turns up. */
async function newEvents(region: string, executionArn: string, lastSeen: number): Promise<HistoryEvent[]> {
  const fresh: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await call<GetExecutionHistoryCommandOutput>(
      'states',
      region,
      new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 100, nextToken }),
    );
    const events = page.events ?? [];
    const unseen = events.filter((e) => (e.id ?? 0) > lastSeen);
    fresh.push(...unseen);
    nextToken = unseen.length === events.length ? page.nextToken : undefined;
  } while (nextToken);
  return fresh.sort((a, b) => (a.id ?? 0) - (b.id ?? 0));
}

const enteredName = (e: HistoryEvent) =>
  e.type?.endsWith('StateEntered') ? e.stateEnteredEventDetails?.name : undefined;

/**
 * Polls an execution until it ends and shows its steps as they are entered: on a terminal one line, rewritten in
 * place (the current step and the time so far); otherwise one plain line per step, the first time it is entered.
 * Retries and loops through the same step add nothing: progress is quiet unless it changes.
 */
export async function follow(region: string, executionArn: string, io: Io, options: FollowOptions): Promise<Followed> {
  const stream = progressStream(io);
  const live = stream.isTTY === true;
  const sleep = options.sleep ?? sleepReal;
  const steps: string[] = [];
  let lastSeen = 0;
  let current: string | undefined;
  let described: DescribeExecutionCommandOutput;
  const started = Date.now();
  const elapsed = (start?: Date) => duration((start ? Date.now() - start.getTime() : Date.now() - started) / 1000);
  for (;;) {
    described = await call<DescribeExecutionCommandOutput>(
      'states',
      region,
      new DescribeExecutionCommand({ executionArn }),
    );
    for (const event of await newEvents(region, executionArn, lastSeen)) {
      lastSeen = Math.max(lastSeen, event.id ?? 0);
      const name = enteredName(event);
      if (!name) continue;
      current = name;
      if (steps.includes(name)) continue;
      steps.push(name);
      if (!live) line(stream, `  ${name}`);
    }
    if (described.status !== 'RUNNING' && described.status !== 'PENDING_REDRIVE') break;
    if (live && current) stream.write(`\r\x1b[2K  … ${current}  (${elapsed(described.startDate)})`);
    await sleep(options.intervalSeconds * 1000);
  }
  if (live) stream.write('\r\x1b[2K');
  const { startDate, stopDate } = described;
  return {
    executionArn,
    status: described.status ?? 'UNKNOWN',
    ...(startDate ? { startDate: startDate.toISOString() } : {}),
    ...(stopDate ? { stopDate: stopDate.toISOString() } : {}),
    ...(startDate && stopDate ? { durationSeconds: (stopDate.getTime() - startDate.getTime()) / 1000 } : {}),
    steps,
    ...(described.error ? { error: described.error } : {}),
    ...(described.cause ? { cause: described.cause } : {}),
    ...(described.output ? { output: parseJson(described.output) } : {}),
  };
}

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
};
