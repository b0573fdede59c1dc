import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Environment and clock of one invocation. On Lambda both are the process's; the local harness runs
 * several functions in one process, so it scopes each invocation's variables and simulated time here.
 */
export interface InvocationScope {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly now?: () => number;
}

const scope = new AsyncLocalStorage<InvocationScope>();

export function runInScope<T>(invocation: InvocationScope, fn: () => T): T {
  return scope.run(invocation, fn);
}

export function optionalEnv(name: string): string | undefined {
  const current = scope.getStore();
  return current ? current.env[name] : process.env[name];
}

export function env(name: string): string {
  const value = optionalEnv(name);
  if (value === undefined || value === '') throw new Error(`Environment variable ${name} is not set`);
  return value;
}

export function now(): Date {
  const clock = scope.getStore()?.now;
  return new Date(clock ? clock() : Date.now());
}
