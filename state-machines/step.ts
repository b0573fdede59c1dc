import * as iam from 'aws-cdk-lib/aws-iam';
import type * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import type { HandlerContract } from '../functions/commons/contracts';
import { invoke } from './common';
import { LifelineFunction, type LifelineFunctionProps } from './lifeline-function';

/** A JSONPath into the state (`$.plan.kind`) or the context object (`$$.Execution.Id`), in place of a value. */
export class StatePath {
  // A private member makes the type nominal: no other object passes for a path.
  declare private readonly brand: never;
  constructor(readonly path: string) {}
}

/** A value taken from the state or the context object when the task runs. */
export const at = (path: string): StatePath => new StatePath(path);

const pathOf = (value: unknown): string | undefined => (value instanceof StatePath ? value.path : undefined);

type Field<V> = StatePath | (V extends readonly unknown[] ? V : V extends object ? Payload<V> : V);

/**
 * The payload of a task, checked by tsc against the handler's input type: every field the handler requires is
 * there, none it does not know is, and each is either a value of its type or a path to where the state has it.
 */
export type Payload<T> = { readonly [K in keyof T]: Field<T[K]> };

/** The payload as Step Functions reads it: a path becomes a `key.$` field. */
export function renderPayload(payload: object): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(payload).map(([key, value]) => {
      const path = pathOf(value);
      if (path !== undefined) return [`${key}.$`, path];
      if (value && typeof value === 'object' && !Array.isArray(value))
        return [key, renderPayload(value as Record<string, unknown>)];
      return [key, value];
    }),
  );
}

export interface LambdaStepProps extends Omit<LifelineFunctionProps, 'entry'> {}

/**
 * One step of a workflow as one unit: the function (bundled from the handler the contract names), what its role
 * may do, and the tasks that invoke it with a payload of the handler's input type.
 */
export class LambdaStep<I, O = unknown> extends LifelineFunction {
  constructor(scope: Construct, id: string, contract: HandlerContract<I, O>, props: LambdaStepProps) {
    super(scope, id, { ...props, entry: contract.entry });
  }

  /** Lets the function's role do `actions` on `resources` (under `conditions`). */
  allow(actions: string[], resources: string[], conditions?: Record<string, Record<string, unknown>>): this {
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources, conditions }));
    return this;
  }

  /** Adds statements built elsewhere (e.g. a key's use through RDS). */
  allowAll(statements: iam.PolicyStatement[]): this {
    for (const statement of statements) this.role.addToPrincipalPolicy(statement);
    return this;
  }

  /**
   * A task that invokes the function. `input` is the payload, or a path to the part of the state that is the
   * payload as it stands (unchecked: the state's shape is the workflow's).
   */
  task(
    scope: Construct,
    id: string,
    options: { readonly input?: Payload<I> | StatePath; readonly resultPath?: string } = {},
  ): tasks.LambdaInvoke {
    const path = pathOf(options.input);
    return invoke(scope, id, this.function, {
      payload: path ?? (options.input ? renderPayload(options.input) : undefined),
      resultPath: options.resultPath,
    });
  }
}
