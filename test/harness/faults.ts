import { errorResponse, type Interceptor, type WireCall } from './wire';

/**
 * Faults of one scenario, injected on the wire (test/harness/wire.ts) between every SDK client and moto: an
 * error comes back in AWS's own shape for the call's protocol, so the bundled SDK's retries and the state
 * machines' Retry/Catch both see what they would see in AWS. Each fault counts how often it fired.
 */
export interface Fault {
  /** SDK command name, e.g. `CreateDBSnapshotCommand` (the API action plus "Command"). */
  readonly command: string;
  /** Only calls whose parameters (as sent: top-level fields) match. @default every call of `command` */
  readonly when?: (params: Record<string, unknown>, region: string) => boolean;
  /** How many matching calls are affected. @default Infinity */
  readonly times?: number;
  /** Answer with this AWS error instead of calling moto; a function may pick the name by protocol. */
  readonly error?: FaultError | ((call: WireCall) => FaultError);
  /** Call moto, then rewrite the response body; returns the new body, or undefined when nothing changed (only a change counts). */
  readonly rewrite?: (body: string) => string | undefined;
  /** Affects calls only until the simulated clock passes this many seconds after the fault was armed. */
  readonly forSeconds?: number;
}

export interface FaultError {
  readonly name: string;
  readonly message?: string;
  /** HTTP status. @default 400, or 5xx for server errors (InternalFailure, ServiceUnavailable, ...) */
  readonly status?: number;
}

export interface ArmedFault extends Fault {
  fired: number;
  armedAt?: number;
}

/** Throttling as each protocol's services name it: `Throttling` (RDS, SNS: query), `ThrottlingException` (JSON), `SlowDown` (S3). */
export function throttle(command: string, times: number): Fault {
  return {
    command,
    times,
    error: (call) => ({
      name:
        call.protocol === 'query' ? 'Throttling' : call.protocol === 'rest-xml' ? 'SlowDown' : 'ThrottlingException',
      message: 'Rate exceeded',
    }),
  };
}

/** A 5xx from the service (InternalFailure), `times` times. */
export function serverError(command: string, times: number): Fault {
  return {
    command,
    times,
    error: { name: 'InternalFailure', message: 'We encountered an internal error. Please try again.' },
  };
}

export function failWith(command: string, name: string, message = `${name} (injected)`, times?: number): Fault {
  return { command, times, error: { name, message } };
}

/** Replaces every `<tag>…</tag>` value in an XML answer; undefined when there was none. */
export function replaceXml(body: string, tag: string, value: string): string | undefined {
  const pattern = new RegExp(`<${tag}>[^<]*</${tag}>`, 'g');
  return pattern.test(body) ? body.replace(pattern, `<${tag}>${value}</${tag}>`) : undefined;
}

/** DescribeDB(Cluster)Snapshots reports `status` for matching snapshots, `times` times or for `forSeconds`. */
export function snapshotStatus(
  status: string,
  options: { times?: number; forSeconds?: number; snapshotId?: (id: string) => boolean; region?: string } = {},
): Fault[] {
  const when = (params: Record<string, unknown>, region: string) => {
    const id = (params.DBSnapshotIdentifier ?? params.DBClusterSnapshotIdentifier) as string | undefined;
    return (
      (options.region === undefined || options.region === region) &&
      (!options.snapshotId || (id !== undefined && options.snapshotId(id)))
    );
  };
  const rewrite = (body: string) => replaceXml(body, 'Status', status);
  return [
    { command: 'DescribeDBSnapshotsCommand', when, rewrite, times: options.times, forSeconds: options.forSeconds },
    {
      command: 'DescribeDBClusterSnapshotsCommand',
      when,
      rewrite,
      times: options.times,
      forSeconds: options.forSeconds,
    },
  ];
}

/** DescribeDBInstances reports `status` for the drill's restored instances (`lifeline-drill-*`), for `forSeconds` or always. */
export function drillInstanceStatus(status: string, options: { forSeconds?: number } = {}): Fault {
  return {
    command: 'DescribeDBInstancesCommand',
    when: (params) => String(params.DBInstanceIdentifier ?? '').startsWith('lifeline-drill-'),
    rewrite: (body) => replaceXml(body, 'DBInstanceStatus', status),
    ...options,
  };
}

/** The interceptor that applies `faults` on the wire; `now` is the simulated clock in ms. */
export function faultInterceptor(faults: ArmedFault[], now: () => number): Interceptor {
  const matching = (call: WireCall) =>
    faults.find((f) => {
      if (f.command !== `${call.action}Command`) return false;
      if (f.fired >= (f.times ?? Number.POSITIVE_INFINITY)) return false;
      f.armedAt ??= now();
      if (f.forSeconds !== undefined && now() - f.armedAt >= f.forSeconds * 1000) return false;
      return !f.when || f.when(call.params, call.region);
    });
  const pending = new WeakMap<WireCall, ArmedFault>();
  return {
    before(call) {
      const fault = matching(call);
      if (!fault) return undefined;
      if (fault.error) {
        fault.fired++;
        const error = typeof fault.error === 'function' ? fault.error(call) : fault.error;
        return errorResponse(call, error.name, error.message ?? error.name, error.status);
      }
      pending.set(call, fault);
      return undefined;
    },
    after(call, response) {
      const fault = pending.get(call);
      if (!fault?.rewrite || response.status >= 300) return;
      const changed = fault.rewrite(response.body);
      if (changed !== undefined) {
        response.body = changed;
        fault.fired++;
      }
    },
  };
}
