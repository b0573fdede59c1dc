import type { MiddlewareStack } from '@smithy/types';

/**
 * Faults injected into SDK calls of one scenario, through client middleware: the handlers' clients and
 * the harness's own (for direct integrations) both get them. Each fault counts how often it fired.
 */
export interface Fault {
  /** SDK command name, e.g. `CreateDBSnapshotCommand`. */
  readonly command: string;
  /** Only calls whose input matches. @default every call of `command` */
  readonly when?: (input: Record<string, unknown>, region: string) => boolean;
  /** How many matching calls are affected. @default Infinity */
  readonly times?: number;
  /** Throw this AWS error instead of calling. */
  readonly error?: { readonly name: string; readonly message?: string };
  /** Call, then change the output (e.g. report a status); returns whether it changed anything (only that counts). */
  readonly patch?: (output: Record<string, unknown>) => boolean;
  /** Affects calls only until the simulated clock passes this many seconds after the fault was armed. */
  readonly forSeconds?: number;
}

export interface ArmedFault extends Fault {
  fired: number;
  armedAt?: number;
}

export function throttle(command: string, times: number): Fault {
  return { command, times, error: { name: 'ThrottlingException', message: 'Rate exceeded' } };
}

export function failWith(command: string, name: string, message = `${name} (injected)`, times?: number): Fault {
  return { command, times, error: { name, message } };
}

/** DescribeDB(Cluster)Snapshots reports `status` for matching snapshots, `times` times or for `forSeconds`. */
export function snapshotStatus(
  status: string,
  options: { times?: number; forSeconds?: number; snapshotId?: (id: string) => boolean; region?: string } = {},
): Fault[] {
  const when = (input: Record<string, unknown>, region: string) => {
    const id = (input.DBSnapshotIdentifier ?? input.DBClusterSnapshotIdentifier) as string | undefined;
    return (
      (options.region === undefined || options.region === region) &&
      (!options.snapshotId || (id !== undefined && options.snapshotId(id)))
    );
  };
  const patch = (output: Record<string, unknown>) => {
    const found = [
      ...((output.DBSnapshots as Array<Record<string, unknown>>) ?? []),
      ...((output.DBClusterSnapshots as Array<Record<string, unknown>>) ?? []),
    ];
    for (const s of found) s.Status = status;
    return found.length > 0;
  };
  return [
    { command: 'DescribeDBSnapshotsCommand', when, patch, times: options.times, forSeconds: options.forSeconds },
    { command: 'DescribeDBClusterSnapshotsCommand', when, patch, times: options.times, forSeconds: options.forSeconds },
  ];
}

export function awsError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name, $fault: 'client', $metadata: { httpStatusCode: 400 } });
}

/** Adds the fault middleware to a client. `now` is the simulated clock in ms. */
export function applyFaults(
  client: { middlewareStack: MiddlewareStack<object, object>; config: { region: unknown } },
  faults: ArmedFault[],
  now: () => number,
): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = (context as { commandName?: string }).commandName ?? '';
      const regionValue = client.config.region;
      const region =
        typeof regionValue === 'function' ? await (regionValue as () => Promise<string>)() : String(regionValue);
      const input = args.input as Record<string, unknown>;
      const fault = faults.find((f) => {
        if (f.command !== command) return false;
        if (f.fired >= (f.times ?? Number.POSITIVE_INFINITY)) return false;
        f.armedAt ??= now();
        if (f.forSeconds !== undefined && now() - f.armedAt >= f.forSeconds * 1000) return false;
        return !f.when || f.when(input, region);
      });
      if (!fault) return next(args);
      if (fault.error) {
        fault.fired++;
        throw awsError(fault.error.name, fault.error.message ?? fault.error.name);
      }
      const result = await next(args);
      if (fault.patch?.(result.output as Record<string, unknown>)) fault.fired++;
      return result;
    },
    { step: 'initialize', name: 'lifelineFaults', override: true },
  );
}
