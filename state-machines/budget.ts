/**
 * Time budgets of a workflow, read from its Amazon States Language definition: how long each state may take
 * before it gives up (every attempt of every retrier, and the waits between them), and the longest path
 * through the whole definition, error handlers included. The execution timeout is derived from it, so the
 * states' own retries end first and their Catch (cleanup, slot release, alert) runs; an execution timeout
 * that nothing can catch is then only the backstop.
 */

export interface AslRetrier {
  readonly ErrorEquals: readonly string[];
  readonly IntervalSeconds?: number;
  readonly MaxAttempts?: number;
  readonly BackoffRate?: number;
  readonly MaxDelaySeconds?: number;
}

export interface AslState {
  readonly Type: string;
  readonly Next?: string;
  readonly Default?: string;
  readonly Seconds?: number;
  readonly TimeoutSeconds?: number;
  readonly Retry?: readonly AslRetrier[];
  readonly Catch?: readonly { readonly Next: string }[];
  readonly Choices?: readonly { readonly Next: string }[];
  readonly Branches?: readonly AslDefinition[];
  readonly ItemProcessor?: AslDefinition;
  readonly Iterator?: AslDefinition;
  readonly MaxConcurrency?: number;
}

export interface AslDefinition {
  readonly StartAt: string;
  readonly States: Readonly<Record<string, AslState>>;
}

export interface BudgetOptions {
  /** Longest one attempt of a task without its own TimeoutSeconds may run. @default 60 */
  readonly attemptSeconds?: number;
  /** The same, for named states (e.g. a Lambda task: its function's timeout). */
  readonly attemptSecondsByState?: Readonly<Record<string, number>>;
  /** Most items a Map state iterates. @default 3 (Lifeline's maps run once per region) */
  readonly mapItems?: number;
}

/** Seconds a retrier waits between attempts before it gives up; jitter only shortens the waits. */
export function retrierWaitSeconds(retrier: AslRetrier): number {
  const interval = retrier.IntervalSeconds ?? 1;
  const rate = retrier.BackoffRate ?? 2;
  const cap = retrier.MaxDelaySeconds ?? Number.POSITIVE_INFINITY;
  let total = 0;
  for (let attempt = 0; attempt < (retrier.MaxAttempts ?? 3); attempt++)
    total += Math.min(interval * rate ** attempt, cap);
  return total;
}

/** The longest one state may take: for a task, every attempt its retriers allow, each at its longest. */
export function stateBudgetSeconds(state: AslState, options: BudgetOptions = {}, name = ''): number {
  switch (state.Type) {
    case 'Task': {
      const retriers = state.Retry ?? [];
      // Each retrier counts its own attempts: in the worst case every one of them is used up.
      const attempts = 1 + retriers.reduce((sum, r) => sum + (r.MaxAttempts ?? 3), 0);
      const waits = retriers.reduce((sum, r) => sum + retrierWaitSeconds(r), 0);
      const attempt = state.TimeoutSeconds ?? options.attemptSecondsByState?.[name] ?? options.attemptSeconds ?? 60;
      return attempts * attempt + waits;
    }
    case 'Wait':
      if (state.Seconds === undefined) throw new Error('a Wait state without fixed Seconds has no known budget');
      return state.Seconds;
    case 'Parallel':
      return Math.max(0, ...(state.Branches ?? []).map((branch) => worstCaseSeconds(branch, options)));
    case 'Map': {
      const processor = state.ItemProcessor ?? state.Iterator;
      if (!processor) return 0;
      const items = options.mapItems ?? 3;
      const rounds = Math.ceil(items / Math.min(items, state.MaxConcurrency || items));
      return rounds * worstCaseSeconds(processor, options);
    }
    default:
      return 0;
  }
}

/** The longest an execution of `definition` can run before every state has given up, along any path. */
export function worstCaseSeconds(definition: AslDefinition, options: BudgetOptions = {}): number {
  const memo = new Map<string, number>();
  const visiting = new Set<string>();
  const longestFrom = (name: string): number => {
    const known = memo.get(name);
    if (known !== undefined) return known;
    const state = definition.States[name];
    if (!state) throw new Error(`the definition has no state "${name}"`);
    if (visiting.has(name)) throw new Error(`the definition loops through "${name}"; its budget is unbounded`);
    visiting.add(name);
    const next = [state.Next, state.Default, ...(state.Choices ?? []).map((c) => c.Next)];
    // A caught error arrives after the state has used its whole budget.
    const paths = [...next, ...(state.Catch ?? []).map((c) => c.Next)].filter((n): n is string => !!n);
    const total = stateBudgetSeconds(state, options, name) + Math.max(0, ...paths.map(longestFrom));
    visiting.delete(name);
    memo.set(name, total);
    return total;
  };
  return longestFrom(definition.StartAt);
}

/** Seconds of margin past the worst case, for state transitions and Lambda start-up. */
export const EXECUTION_MARGIN_SECONDS = 15 * 60;

/** The execution timeout for `definition`: its worst case plus a margin, so a state always gives up first. */
export function executionTimeoutSeconds(definition: AslDefinition, options: BudgetOptions = {}): number {
  return Math.ceil(worstCaseSeconds(definition, options)) + EXECUTION_MARGIN_SECONDS;
}

/** Fewest attempts of a backoff poll whose waits add up to at least `seconds`. */
export function attemptsToCover(
  policy: { intervalSeconds: number; backoffRate: number; maxDelaySeconds: number },
  seconds: number,
): number {
  let total = 0;
  let attempts = 0;
  while (total < seconds) {
    total += Math.min(policy.intervalSeconds * policy.backoffRate ** attempts, policy.maxDelaySeconds);
    attempts++;
  }
  return attempts;
}
