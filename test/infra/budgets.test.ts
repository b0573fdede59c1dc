import { beforeAll, describe, expect, it } from 'vitest';
import {
  type AslDefinition,
  type AslState,
  retrierWaitSeconds,
  stateBudgetSeconds,
  worstCaseSeconds,
} from '../../state-machines/budget';
import { BUSY_DATABASE_RETRY } from '../../state-machines/policies';
import { baseConfig } from '../fixtures/configs';
import { synthesize, type Template } from '../harness/synth';

/** A state machine as synthesized: its definition (function ARNs replaced by the functions' logical ids). */
interface Synthesized {
  readonly template: Template;
  readonly definition: AslDefinition & { TimeoutSeconds?: number };
  /** How long one attempt of each Lambda task may run: its function's Timeout in the template. */
  readonly attemptSecondsByState: Record<string, number>;
}

function machine(template: Template, name: string): Synthesized {
  const resource = Object.values(template.Resources).find(
    (r) => r.Type === 'AWS::StepFunctions::StateMachine' && r.Properties?.StateMachineName === name,
  );
  if (!resource) throw new Error(`no state machine ${name}`);
  const body = resource.Properties?.DefinitionString as { 'Fn::Join': [string, unknown[]] };
  const [, parts] = body['Fn::Join'];
  const text = parts
    .map((p) => {
      if (typeof p === 'string') return p;
      const getAtt = (p as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
      return getAtt ? getAtt[0] : 'TOKEN';
    })
    .join('');
  const definition = JSON.parse(text) as Synthesized['definition'];
  const attemptSecondsByState: Record<string, number> = {};
  const visit = (states: Record<string, AslState>) => {
    for (const [stateName, state] of Object.entries(states)) {
      const fn = lambdaOf(template, state);
      const timeout = fn?.Properties?.Timeout;
      if (typeof timeout === 'number') attemptSecondsByState[stateName] = timeout;
      if (state.ItemProcessor) visit(state.ItemProcessor.States as Record<string, AslState>);
    }
  };
  visit(definition.States as Record<string, AslState>);
  return { template, definition, attemptSecondsByState };
}

/** The function a Lambda task invokes (its Resource is the function's ARN), if it is one. */
function lambdaOf(template: Template, state: AslState & { Resource?: unknown }) {
  const resource = template.Resources[String(state.Resource)];
  return resource?.Type === 'AWS::Lambda::Function' ? resource : undefined;
}

/** Every state of a definition, those inside Map item processors too. */
function allStates(definition: AslDefinition): [string, AslState & Record<string, unknown>][] {
  return Object.entries(definition.States).flatMap(([name, state]) => [
    [name, state as AslState & Record<string, unknown>] as [string, AslState & Record<string, unknown>],
    ...(state.ItemProcessor ? allStates(state.ItemProcessor) : []),
  ]);
}

describe('the retry budget of a definition', () => {
  it('adds up the waits of a retrier, capped by MaxDelaySeconds', () => {
    expect(retrierWaitSeconds({ ErrorEquals: ['X'], IntervalSeconds: 10, BackoffRate: 2, MaxAttempts: 3 })).toBe(70);
    expect(
      retrierWaitSeconds({
        ErrorEquals: ['X'],
        IntervalSeconds: 10,
        BackoffRate: 2,
        MaxAttempts: 4,
        MaxDelaySeconds: 25,
      }),
    ).toBe(10 + 20 + 25 + 25);
  });

  it('counts every attempt of every retrier of a task at its longest', () => {
    const task: AslState = {
      Type: 'Task',
      Retry: [
        { ErrorEquals: ['A'], IntervalSeconds: 1, BackoffRate: 1, MaxAttempts: 2 },
        { ErrorEquals: ['B'], IntervalSeconds: 5, BackoffRate: 1, MaxAttempts: 1 },
      ],
    };
    // 4 attempts of 30 s, waits 1 + 1 + 5.
    expect(stateBudgetSeconds(task, { attemptSeconds: 30 })).toBe(4 * 30 + 7);
  });

  it('takes the longest path, a caught failure path included', () => {
    const definition: AslDefinition = {
      StartAt: 'work',
      States: {
        work: { Type: 'Task', Next: 'done', Catch: [{ Next: 'cleanup' }] },
        cleanup: { Type: 'Wait', Seconds: 500, Next: 'done' },
        done: { Type: 'Succeed' },
      },
    };
    expect(worstCaseSeconds(definition, { attemptSeconds: 10 })).toBe(10 + 500);
  });
});

describe('the synthesized workflows', () => {
  let backup: Synthesized;
  let drill: Synthesized;
  beforeAll(() => {
    const app = synthesize(baseConfig());
    backup = machine(app.templates.primary?.template as Template, 'lifeline-backup');
    drill = machine(app.templates.dr?.template as Template, 'lifeline-drill');
  });

  it('give every state time to give up before the execution times out (backup and drill)', () => {
    for (const { definition, attemptSecondsByState } of [backup, drill]) {
      const worst = worstCaseSeconds(definition, { attemptSecondsByState, mapItems: 3 });
      expect(definition.TimeoutSeconds).toBeGreaterThanOrEqual(worst);
    }
  });

  it('wait for a copy slot no longer than the backup may run', () => {
    const acquire = backup.definition.States['Acquire a copy slot'] as AslState;
    const slotRetry = acquire.Retry?.find((r) => r.ErrorEquals.includes('NoCopySlot'));
    expect(slotRetry).toBeDefined();
    expect(backup.definition.TimeoutSeconds).toBeGreaterThan(retrierWaitSeconds(slotRetry as never));
  });

  it('let a drill override ask only for a timeout the restore poll enforces and the execution outlasts', () => {
    const validate = drill.definition.States['Validate the drill request'] as unknown as {
      Parameters: Record<string, unknown>;
    };
    const maxMinutes = validate.Parameters.maxTimeoutMinutes;
    expect(maxMinutes).toBeTypeOf('number');
    const wait = drill.definition.States['Wait until the restored database is available'] as AslState;
    const poll = wait.Retry?.find((r) => r.ErrorEquals.includes('NotReady'));
    // The drill times out at the first check past its timeout: that check must still be one of the poll's.
    const enforceable = retrierWaitSeconds(poll as never) - (poll?.MaxDelaySeconds ?? 0);
    expect(enforceable).toBeGreaterThanOrEqual((maxMinutes as number) * 60);
    expect(drill.definition.TimeoutSeconds).toBeGreaterThan((maxMinutes as number) * 60);
  });

  it('retry Lambda.TooManyRequestsException and the Lambda service errors on every Lambda task', () => {
    for (const { definition, template } of [backup, drill]) {
      const lambdaTasks = allStates(definition).filter(([, s]) => s.Type === 'Task' && lambdaOf(template, s));
      expect(lambdaTasks.length).toBeGreaterThan(5);
      for (const [name, state] of lambdaTasks) {
        const retried = (state.Retry ?? []).flatMap((r) => r.ErrorEquals);
        for (const error of [
          'Lambda.TooManyRequestsException',
          'Lambda.ServiceException',
          'Lambda.AWSLambdaException',
          'Lambda.SdkClientException',
        ])
          expect(retried, `${name} retries ${error}`).toContain(error);
      }
    }
  });

  it('retry the snapshot request while the database is busy backing up or modifying', () => {
    const create = backup.definition.States['Create the snapshot'] as AslState;
    const busy = create.Retry?.find((r) => r.ErrorEquals.includes('InvalidDBInstanceStateFault'));
    expect(busy?.ErrorEquals).toContain('InvalidDBClusterStateFault');
    expect(busy?.MaxAttempts).toBe(BUSY_DATABASE_RETRY.maxAttempts);
    expect(busy?.BackoffRate).toBeGreaterThan(1);
  });

  it('names the errors of SDK integrations as Step Functions reports them: <Service>.<Name>Exception', () => {
    const integrations = [backup, drill].flatMap(({ definition, template }) =>
      allStates(definition).filter(([_name, s]) => s.Type === 'Task' && !lambdaOf(template, s)),
    );
    expect(integrations.map(([name]) => name)).toEqual(
      expect.arrayContaining([
        'Mark the snapshot as a recovery point',
        'Publish the failure alert',
        'Publish the drill summary',
      ]),
    );
    for (const [name, state] of integrations) {
      const service = String(state.Resource).includes(':aws-sdk:rds:') ? 'Rds' : 'SNS';
      for (const error of (state.Retry ?? []).flatMap((r) => r.ErrorEquals))
        expect(error, name).toMatch(new RegExp(`^${service}\\.[A-Za-z]+Exception$`));
      expect((state.Retry ?? []).length, name).toBeGreaterThan(0);
    }
    const mark = backup.definition.States['Mark the snapshot as a recovery point'] as AslState;
    expect(mark.Retry?.flatMap((r) => r.ErrorEquals)).toContain('Rds.ThrottlingException');
  });
});
