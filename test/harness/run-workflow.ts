import { randomUUID } from 'node:crypto';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { StateMachine } from 'aws-local-stepfunctions';
import type { LocalCloud, LocalFunction, LocalStateMachine } from './cloud';
import { type RunTaskParameters, runEcsTask } from './ecs-task';
import { type ArmedFault, type Fault, faultInterceptor } from './faults';
import { invokeBundled, realNow } from './lambda-runtime';
import type { RecordedCall } from './wire';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type StateDef = Record<string, unknown> & { Type: string };

export interface RunOptions {
  readonly faults?: readonly Fault[];
  /** Simulated start of the execution. @default the input's scheduledTime, else now */
  readonly startTime?: Date;
  /** Variables added to every function's environment (e.g. switches of the local data plane). */
  readonly environment?: Record<string, string>;
  /** Called on each state entered, for progress output. */
  readonly onState?: (name: string, type: string, simulatedSeconds: number) => void;
  /**
   * What happens meanwhile, at simulated seconds after the start: while a `.waitForTaskToken` task waits, the clock
   * moves to each event before the task's timeout and runs it (e.g. someone acknowledges: a function sends the token
   * back); the wait ends when the token is answered, or at its timeout with States.Timeout.
   */
  readonly events?: readonly ScheduledEvent[];
  /** The execution's name (its ARN ends with it), e.g. the one StartExecution gave. @default a random UUID */
  readonly executionName?: string;
}

export interface ScheduledEvent {
  readonly atSeconds: number;
  readonly run: (now: () => number) => Promise<void>;
}

/** What `$$.Task.Token` gives in the harness; each `.waitForTaskToken` task replaces it with a token of its own. */
const TASK_TOKEN_PLACEHOLDER = 'lifeline-harness-task-token';

export interface WorkflowRun {
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: string;
  /** State transitions as Step Functions bills them: states entered plus retries. */
  readonly transitions: number;
  /** Names of the states entered, in order (a retried state appears once per attempt). */
  readonly states: string[];
  readonly retries: Record<string, number>;
  readonly simulatedSeconds: number;
  readonly executionArn: string;
  readonly faults: readonly ArmedFault[];
  /** Every AWS call of this run made with a Lifeline role's credentials (functions and integrations), as sent. */
  readonly calls: readonly (RecordedCall & { readonly roleArn: string })[];
}

/**
 * Executes a state machine exactly as synthesized, with aws-local-stepfunctions: each Lambda task runs the
 * function's bundle from the cloud assembly with the environment from the template and its own role's
 * credentials; SNS and aws-sdk integrations are bridged to the same calls, signed as the state machine's role.
 * Every call goes through the wire proxy (faults, data plane, record) to moto, which enforces IAM. Waits and
 * retry intervals take no real time; a simulated clock advances by them and is what the bundles see as `Date`.
 */
export async function runWorkflow(
  cloud: LocalCloud,
  machine: LocalStateMachine,
  input: unknown,
  options: RunOptions = {},
): Promise<WorkflowRun> {
  // A scheduled run starts at its scheduled time (the backup refuses a scheduledTime far from its clock).
  const scheduled = (input as { scheduledTime?: unknown } | null)?.scheduledTime;
  const start = (options.startTime ?? (typeof scheduled === 'string' ? new Date(scheduled) : new Date())).getTime();
  const realStart = realNow();
  let elapsedMs = 0;
  // Real time passes too (a restore's database takes a moment to start); waits and retries add simulated time.
  const now = () => start + (realNow() - realStart) + elapsedMs;
  const faults: ArmedFault[] = (options.faults ?? []).map((f) => ({ ...f, fired: 0 }));
  const events = [...(options.events ?? [])].sort((a, b) => a.atSeconds - b.atSeconds);
  const advanceTo = (at: number) => {
    if (at > now()) elapsedMs += at - now();
  };
  const wire = cloud.wire;
  const forget = wire.use(faultInterceptor(faults, now));
  const firstCall = wire.calls.length;
  const executionName = options.executionName ?? randomUUID();
  const executionArn = `arn:aws:states:${machine.region}:${machine.arn.split(':')[4]}:execution:${machine.name}:${executionName}`;

  const definition = withItemReaders(machine.definition);
  const stateDefs = new Map<string, StateDef>();
  collectStates(definition, stateDefs);
  const handlers: Record<string, (input: Json) => Promise<Json>> = {};
  const waitOverrides: Record<string, number> = {};
  const retryOverrides: Record<string, number> = {};
  for (const [name, def] of stateDefs) {
    if (def.Type === 'Task')
      handlers[name] = taskHandler(cloud, machine, name, def, {
        now,
        faults,
        executionArn,
        environment: options.environment ?? {},
        start,
        events,
        advanceTo,
      });
    if (def.Type === 'Wait') waitOverrides[name] = 0;
    if (def.Retry) retryOverrides[name] = 0;
  }

  const states: string[] = [];
  const retries: Record<string, number> = {};
  let transitions = 0;
  const sm = new StateMachine(definition as never, {
    validationOptions: { checkArn: false, checkPaths: false },
  });
  const execution = sm.run(input as Json, {
    overrides: {
      taskResourceLocalHandlers: handlers,
      waitTimeOverrides: waitOverrides,
      retryIntervalOverrides: retryOverrides,
    },
    context: {
      Execution: {
        Id: executionArn,
        Name: executionName,
        StartTime: new Date(start).toISOString(),
        Input: input as Json,
      },
      Task: { Token: TASK_TOKEN_PLACEHOLDER },
    },
  });
  const consume = (async () => {
    for await (const event of execution.eventLogs) {
      if (event.type === 'StateEntered') {
        transitions++;
        states.push(event.state.name);
        options.onState?.(event.state.name, event.state.type, elapsedMs / 1000);
        const def = stateDefs.get(event.state.name);
        if (def?.Type === 'Wait') elapsedMs += waitSeconds(def, event.state.input, now()) * 1000;
      } else if (event.type === 'StateRetried') {
        transitions++;
        retries[event.state.name] = (retries[event.state.name] ?? 0) + 1;
        const r = event.retry.retrier;
        const interval = (r.IntervalSeconds ?? 1) * (r.BackoffRate ?? 2) ** (event.retry.attempt - 1);
        elapsedMs += Math.min(interval, r.MaxDelaySeconds ?? Number.POSITIVE_INFINITY) * 1000;
      }
    }
  })();

  const observed = () => ({
    transitions,
    states,
    retries,
    simulatedSeconds: elapsedMs / 1000,
    executionArn,
    faults,
    calls: wire.calls.slice(firstCall).flatMap((call) => {
      const roleArn = call.accessKeyId && cloud.iam.sessions.get(call.accessKeyId);
      return roleArn ? [{ ...call, roleArn }] : [];
    }),
  });
  try {
    const output = await execution.result;
    await consume;
    return { status: 'SUCCEEDED', output, ...observed() };
  } catch (error) {
    await consume.catch(() => undefined);
    const e = error as Error & { cause?: { name?: string; message?: string } };
    // ExecutionError wraps the state's error: its name is the States error, its message the cause.
    const inner = e.cause && typeof e.cause === 'object' ? e.cause : e;
    return { status: 'FAILED', error: inner.name, cause: inner.message, ...observed() };
  } finally {
    forget();
  }
}

/** Where the harness puts the items an ItemReader read, in the Map's input. */
const READER_ITEMS = 'lifelineHarnessItems';
const READER_RESOURCE = 'lifeline-harness:item-reader';

/**
 * aws-local-stepfunctions runs a Distributed Map as an inline Map over `ItemsPath` and ignores `ItemReader`. The
 * harness emulates an S3 JSON ItemReader (`arn:aws:states:::s3:getObject`, `InputType: JSON`): a task state of its
 * own before the Map reads the object as the state machine's role (its Parameters resolved from the Map's input, its
 * retries and catches the Map's), and the Map iterates over what it read. The items stay in the state under
 * `lifelineHarnessItems`; Step Functions itself would not put them there. Other readers (CSV, manifest, listing)
 * are refused.
 */
function withItemReaders(definition: Record<string, unknown>): Record<string, unknown> {
  const states = { ...((definition.States ?? {}) as Record<string, StateDef>) };
  const renamed = new Map<string, string>();
  for (const [name, def] of Object.entries(states)) {
    const processor = (def.ItemProcessor ?? def.Iterator) as Record<string, unknown> | undefined;
    const withNested = processor ? { ...def, ItemProcessor: withItemReaders(processor) } : def;
    states[name] = withNested;
    const reader = def.ItemReader as
      | { Resource: string; ReaderConfig?: { InputType?: string; MaxItems?: number }; Parameters?: unknown }
      | undefined;
    if (def.Type !== 'Map' || !reader) continue;
    if (!/:states:::s3:getObject$/.test(reader.Resource) || reader.ReaderConfig?.InputType !== 'JSON')
      throw new Error(
        `Map "${name}": the local harness emulates only an S3 JSON ItemReader, not ${JSON.stringify(reader)}`,
      );
    const readerName = `${name} (ItemReader)`;
    states[readerName] = {
      Type: 'Task',
      Resource: READER_RESOURCE,
      Parameters: { ...(reader.Parameters as object), MaxItems: reader.ReaderConfig?.MaxItems ?? 0 },
      ResultPath: `$.${READER_ITEMS}`,
      Next: name,
      ...(def.Retry ? { Retry: def.Retry } : {}),
      ...(def.Catch ? { Catch: def.Catch } : {}),
    };
    const { ItemReader: _, ...map } = withNested;
    states[name] = { ...map, ItemsPath: `$.${READER_ITEMS}` };
    renamed.set(name, readerName);
  }
  if (renamed.size === 0) return { ...definition, States: states };
  for (const [name, def] of Object.entries(states))
    if (typeof def.Next === 'string' && renamed.has(def.Next) && def.Resource !== READER_RESOURCE)
      states[name] = { ...def, Next: renamed.get(def.Next) };
  const start = String(definition.StartAt);
  return { ...definition, StartAt: renamed.get(start) ?? start, States: states };
}

async function readItems(cloud: LocalCloud, machine: LocalStateMachine, input: Json): Promise<Json> {
  const { Bucket, Key, MaxItems } = input as { Bucket: string; Key: string; MaxItems: number };
  const client = await bridgeClient(cloud, machine, S3Client);
  const object = await client.send(new GetObjectCommand({ Bucket, Key })).catch((e: Error) => rethrowAs('S3', e));
  const items = JSON.parse(await (object.Body as { transformToString(): Promise<string> }).transformToString());
  if (!Array.isArray(items))
    throw Object.assign(new Error(`s3://${Bucket}/${Key} is not a JSON array`), { name: 'States.ItemReaderFailed' });
  return MaxItems > 0 ? items.slice(0, MaxItems) : items;
}

function collectStates(definition: Record<string, unknown>, into: Map<string, StateDef>): void {
  for (const [name, def] of Object.entries((definition.States ?? {}) as Record<string, StateDef>)) {
    into.set(name, def);
    for (const branch of (def.Branches as Record<string, unknown>[] | undefined) ?? []) collectStates(branch, into);
    const processor = (def.ItemProcessor ?? def.Iterator) as Record<string, unknown> | undefined;
    if (processor) collectStates(processor, into);
  }
}

function waitSeconds(def: StateDef, input: unknown, nowMs: number): number {
  if (typeof def.Seconds === 'number') return def.Seconds;
  if (typeof def.SecondsPath === 'string') return Number(readPath(input, def.SecondsPath));
  const timestamp =
    typeof def.Timestamp === 'string'
      ? def.Timestamp
      : typeof def.TimestampPath === 'string'
        ? String(readPath(input, def.TimestampPath))
        : undefined;
  return timestamp ? Math.max(0, (Date.parse(timestamp) - nowMs) / 1000) : 0;
}

function readPath(value: unknown, path: string): unknown {
  return path
    .replace(/^\$\.?/, '')
    .split('.')
    .filter(Boolean)
    .reduce<unknown>((v, key) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined), value);
}

interface TaskContext {
  readonly environment: Record<string, string>;
  readonly now: () => number;
  readonly faults: ArmedFault[];
  readonly executionArn: string;
  readonly start: number;
  /** Events not run yet, earliest first. */
  readonly events: ScheduledEvent[];
  readonly advanceTo: (at: number) => void;
}

function taskHandler(
  cloud: LocalCloud,
  machine: LocalStateMachine,
  stateName: string,
  def: StateDef,
  ctx: TaskContext,
) {
  const resource = String(def.Resource);
  return async (input: Json): Promise<Json> => {
    // Let the event consumer advance the simulated clock past the wait or retry that led here.
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
    const fn = cloud.functions.get(resource);
    if (fn) return invokeFunction(cloud, fn, input, ctx);
    if (resource === READER_RESOURCE) return readItems(cloud, machine, input);
    if (resource === 'arn:aws:states:::lambda:invoke.waitForTaskToken')
      return waitForTaskToken(cloud, stateName, def, input, ctx);
    if (resource === 'arn:aws:states:::lambda:invoke') {
      const params = input as { FunctionName: string; Payload: Json };
      const target = cloud.functions.get(params.FunctionName);
      if (!target) throw new Error(`${stateName}: no local function ${params.FunctionName}`);
      return { Payload: await invokeFunction(cloud, target, params.Payload, ctx), StatusCode: 200 };
    }
    if (resource === 'arn:aws:states:::ecs:runTask.sync')
      return (await runEcsTask(cloud, machine.region, input as unknown as RunTaskParameters)) as Json;
    if (resource === 'arn:aws:states:::sns:publish') {
      const client = await bridgeClient(cloud, machine, SNSClient);
      const out = await client.send(new PublishCommand(input as never)).catch((e) => rethrowAs('SNS', e));
      return { MessageId: out.MessageId ?? '' };
    }
    const sdk =
      /^arn:aws:states:::aws-sdk:([a-z0-9]+):([A-Za-z0-9]+)$/.exec(resource) ??
      /^arn:aws:states:::(dynamodb):([A-Za-z]+)$/.exec(resource);
    if (sdk) return callAwsService(cloud, machine, sdk[1] as string, sdk[2] as string, input);
    throw new Error(`State "${stateName}": the local harness cannot run resource ${resource}`);
  };
}

/**
 * A `.waitForTaskToken` Lambda task: the function runs with a token of its own in place of `$$.Task.Token`; then the
 * task waits, in simulated time, for the token to be answered (SendTaskSuccess/Failure on the wire) while the run's
 * events due before its timeout happen, and fails with States.Timeout when none answered it in time.
 */
async function waitForTaskToken(
  cloud: LocalCloud,
  stateName: string,
  def: StateDef,
  input: Json,
  ctx: TaskContext,
): Promise<Json> {
  const control = cloud.stepFunctions;
  const token = control.issue();
  const params = JSON.parse(JSON.stringify(input).replaceAll(TASK_TOKEN_PLACEHOLDER, token)) as {
    FunctionName: string;
    Payload: Json;
  };
  const target = cloud.functions.get(params.FunctionName);
  if (!target) throw new Error(`${stateName}: no local function ${params.FunctionName}`);
  await invokeFunction(cloud, target, params.Payload, ctx);
  const timeoutSeconds = typeof def.TimeoutSeconds === 'number' ? def.TimeoutSeconds : 365 * 86_400;
  const deadline = ctx.now() + timeoutSeconds * 1000;
  for (;;) {
    const result = control.result(token);
    if (result?.ok) return result.output as Json;
    if (result) throw Object.assign(new Error(result.cause ?? ''), { name: result.error });
    const next = ctx.events[0];
    if (!next || ctx.start + next.atSeconds * 1000 > deadline) break;
    ctx.events.shift();
    ctx.advanceTo(ctx.start + next.atSeconds * 1000);
    await next.run(ctx.now);
  }
  ctx.advanceTo(deadline);
  control.close(token);
  throw Object.assign(new Error('Task timed out waiting for its token'), { name: 'States.Timeout' });
}

async function invokeFunction(cloud: LocalCloud, fn: LocalFunction, payload: Json, ctx: TaskContext): Promise<Json> {
  try {
    const result = await invokeBundled(fn, payload, {
      generation: cloud.generation,
      credentials: await cloud.credentials(fn.roleArn),
      endpoint: cloud.endpoint,
      now: ctx.now,
      environment: { ...QUIET, ...ctx.environment },
    });
    return (result ?? null) as Json;
  } catch (error) {
    // As Lambda reports it to Step Functions: the error type by name, the cause as JSON.
    const e = error as Error;
    throw Object.assign(new Error(JSON.stringify({ errorType: e.name, errorMessage: e.message })), { name: e.name });
  }
}

/** The harness's only change to a function's environment besides the data plane's switches: quiet logs in tests. */
const QUIET: Record<string, string> = {
  POWERTOOLS_LOG_LEVEL: process.env.LIFELINE_LOG_LEVEL ?? 'ERROR',
  POWERTOOLS_METRICS_DISABLED: 'true',
};

const SERVICE_PACKAGES: Record<string, { pkg: string; client: string; prefix: string }> = {
  rds: { pkg: '@aws-sdk/client-rds', client: 'RDSClient', prefix: 'Rds' },
  dynamodb: { pkg: '@aws-sdk/client-dynamodb', client: 'DynamoDBClient', prefix: 'DynamoDB' },
  sns: { pkg: '@aws-sdk/client-sns', client: 'SNSClient', prefix: 'Sns' },
  s3: { pkg: '@aws-sdk/client-s3', client: 'S3Client', prefix: 'S3' },
  kms: { pkg: '@aws-sdk/client-kms', client: 'KMSClient', prefix: 'Kms' },
};

async function callAwsService(
  cloud: LocalCloud,
  machine: LocalStateMachine,
  service: string,
  action: string,
  input: Json,
): Promise<Json> {
  const known = SERVICE_PACKAGES[service];
  if (!known) throw new Error(`The local harness has no bridge for aws-sdk:${service}`);
  const mod = (await import(known.pkg)) as Record<string, new (arg: unknown) => never>;
  const Client = mod[known.client] as unknown as new (config: object) => { send(c: unknown): Promise<unknown> };
  const Command = mod[`${action.charAt(0).toUpperCase()}${action.slice(1)}Command`];
  if (!Command) throw new Error(`${known.pkg} has no command for ${action}`);
  const client = await bridgeClient(cloud, machine, Client);
  const output = (await client.send(new Command(input)).catch((e: Error) => rethrowAs(known.prefix, e))) as Record<
    string,
    unknown
  >;
  const { $metadata: _, ...rest } = output;
  return JSON.parse(JSON.stringify(rest)) as Json;
}

/** A client as the state machine's own integrations call: in its region, with its role's credentials. */
async function bridgeClient<C>(
  cloud: LocalCloud,
  machine: LocalStateMachine,
  Client: new (config: object) => C,
): Promise<C> {
  return new Client({
    region: machine.region,
    endpoint: cloud.endpoint,
    credentials: await cloud.credentials(machine.roleArn),
    ...(Client.name === 'S3Client' ? { forcePathStyle: true } : {}),
  });
}

/** Step Functions names SDK integration errors `<Service>.<ErrorName>`. */
function rethrowAs(prefix: string, error: Error): never {
  throw Object.assign(new Error(error.message), { name: `${prefix}.${error.name}` });
}
