import { randomBytes } from 'node:crypto';
import { errorResponse, type Interceptor, type WireCall, type WireResponse } from './wire';

/**
 * Step Functions' control plane as the functions call it, on the wire (the state machines themselves run in-process,
 * not in moto): `StartExecution` is recorded (a test then runs the execution with runWorkflow), and the callbacks of
 * `.waitForTaskToken` tasks (`SendTaskSuccess`, `SendTaskFailure`, `SendTaskHeartbeat`) settle the token runWorkflow
 * issued, or fail as AWS does for a token that is unknown (`InvalidToken`) or whose wait is over (`TaskTimedOut`).
 */
export interface StartedExecution {
  readonly stateMachineArn: string;
  readonly name: string;
  readonly executionArn: string;
  readonly input: unknown;
}

export type TaskResult =
  | { readonly ok: true; readonly output: unknown }
  | { readonly ok: false; readonly error: string; readonly cause?: string };

interface Waiting {
  result?: TaskResult;
  closed: boolean;
}

/** An execution as ListExecutions and DescribeExecution report it: one a test puts on record. */
export interface RecordedExecution {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  readonly startDate: Date;
  readonly stopDate?: Date;
  readonly input: unknown;
  readonly error?: string;
  readonly cause?: string;
  readonly output?: unknown;
}

/** An event of an execution's history, as GetExecutionHistory gives it (the fields a caller reads). */
export interface RecordedHistoryEvent {
  readonly id: number;
  readonly type: string;
  readonly timestamp: Date;
  readonly stateEnteredEventDetails?: { readonly name: string };
}

export class StepFunctionsControl {
  readonly started: StartedExecution[] = [];
  /** Executions on record (ListExecutions, DescribeExecution). */
  readonly executions: RecordedExecution[] = [];
  /** Execution histories on record (GetExecutionHistory), by execution ARN, oldest event first. */
  readonly histories = new Map<string, RecordedHistoryEvent[]>();
  /** Called when an execution is started (not when the same start is repeated): a test may run it. */
  onStart?: (started: StartedExecution) => void;
  private readonly tokens = new Map<string, Waiting>();

  /** A new task token, as Step Functions gives one to a `.waitForTaskToken` task. */
  issue(): string {
    const token = `AQ${randomBytes(48).toString('base64url')}`;
    this.tokens.set(token, { closed: false });
    return token;
  }

  /** What the token was answered with, if it was. */
  result(token: string): TaskResult | undefined {
    return this.tokens.get(token)?.result;
  }

  /** The wait is over (timed out): callbacks on the token now fail with TaskTimedOut. */
  close(token: string): void {
    const waiting = this.tokens.get(token);
    if (waiting) waiting.closed = true;
  }

  interceptor(): Interceptor {
    return { before: (call) => (call.service === 'states' ? this.answer(call) : undefined) };
  }

  private answer(call: WireCall): WireResponse | undefined {
    const p = call.params as Record<string, string>;
    const ok = (body: object): WireResponse => ({
      status: 200,
      headers: { 'content-type': 'application/x-amz-json-1.0' },
      body: JSON.stringify(body),
    });
    switch (call.action) {
      case 'StartExecution': {
        const stateMachineArn = p.stateMachineArn as string;
        const name = p.name ?? `execution-${this.started.length + 1}`;
        const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
        const same = this.started.find((e) => e.executionArn === executionArn);
        const input = p.input === undefined ? {} : JSON.parse(p.input);
        if (same && JSON.stringify(same.input) !== JSON.stringify(input))
          return errorResponse(call, 'ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
        if (!same) {
          this.started.push({ stateMachineArn, name, executionArn, input });
          this.onStart?.({ stateMachineArn, name, executionArn, input });
        }
        return ok({ executionArn, startDate: Date.now() / 1000 });
      }
      case 'ListExecutions': {
        const found = this.executions
          .filter((e) => e.stateMachineArn === p.stateMachineArn && (!p.statusFilter || e.status === p.statusFilter))
          .sort((a, b) => b.startDate.getTime() - a.startDate.getTime());
        return ok({
          executions: found.map((e) => ({
            executionArn: e.executionArn,
            stateMachineArn: e.stateMachineArn,
            name: e.executionArn.split(':').pop(),
            status: e.status,
            startDate: e.startDate.getTime() / 1000,
            ...(e.stopDate ? { stopDate: e.stopDate.getTime() / 1000 } : {}),
          })),
        });
      }
      case 'DescribeExecution': {
        const e = this.executions.find((x) => x.executionArn === p.executionArn);
        if (!e) return errorResponse(call, 'ExecutionDoesNotExist', `Execution Does Not Exist: '${p.executionArn}'`);
        return ok({
          executionArn: e.executionArn,
          stateMachineArn: e.stateMachineArn,
          status: e.status,
          startDate: e.startDate.getTime() / 1000,
          name: e.executionArn.split(':').pop(),
          input: JSON.stringify(e.input),
          ...(e.stopDate ? { stopDate: e.stopDate.getTime() / 1000 } : {}),
          ...(e.error ? { error: e.error } : {}),
          ...(e.cause ? { cause: e.cause } : {}),
          ...(e.output === undefined ? {} : { output: JSON.stringify(e.output) }),
        });
      }
      case 'GetExecutionHistory': {
        if (!this.executions.some((x) => x.executionArn === p.executionArn))
          return errorResponse(call, 'ExecutionDoesNotExist', `Execution Does Not Exist: '${p.executionArn}'`);
        const all = [...(this.histories.get(p.executionArn as string) ?? [])];
        if ((p as Record<string, unknown>).reverseOrder === true) all.reverse();
        const from = Number(p.nextToken ?? 0);
        const size = Number((p as Record<string, unknown>).maxResults ?? 1000) || 1000;
        const page = all.slice(from, from + size);
        return ok({
          events: page.map((e) => ({ ...e, timestamp: e.timestamp.getTime() / 1000 })),
          ...(from + size < all.length ? { nextToken: String(from + size) } : {}),
        });
      }
      case 'SendTaskSuccess':
      case 'SendTaskFailure':
      case 'SendTaskHeartbeat': {
        const waiting = this.tokens.get(p.taskToken as string);
        if (!waiting) return errorResponse(call, 'InvalidToken', 'Invalid token');
        if (waiting.closed || waiting.result) return errorResponse(call, 'TaskTimedOut', 'Task Timed Out');
        if (call.action === 'SendTaskSuccess') waiting.result = { ok: true, output: JSON.parse(p.output as string) };
        if (call.action === 'SendTaskFailure') waiting.result = { ok: false, error: p.error ?? '', cause: p.cause };
        return ok({});
      }
      default:
        return errorResponse(
          call,
          'UnknownOperationException',
          `The local harness has no Step Functions ${call.action}`,
        );
    }
  }
}
