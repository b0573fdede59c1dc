import { beforeAll, describe, expect, it } from 'vitest';
import { baseConfig } from '../fixtures/configs';
import { synthesize, type Template } from '../harness/synth';

interface State {
  readonly Type: string;
  readonly Next?: string;
  readonly End?: boolean;
  readonly Error?: string;
  readonly Parameters?: Record<string, unknown>;
  readonly Catch?: { ErrorEquals: string[]; Next: string; ResultPath?: string }[];
}

/** The definition of the state machine named `name` (tokens replaced by placeholders). */
function definitionOf(template: Template, name: string): Record<string, State> {
  const resource = Object.values(template.Resources).find(
    (r) => r.Type === 'AWS::StepFunctions::StateMachine' && r.Properties?.StateMachineName === name,
  );
  if (!resource) throw new Error(`no state machine ${name}`);
  const body = resource.Properties?.DefinitionString as { 'Fn::Join': [string, unknown[]] };
  const [, parts] = body['Fn::Join'];
  const text = parts.map((p) => (typeof p === 'string' ? p : 'TOKEN')).join('');
  return (JSON.parse(text) as { States: Record<string, State> }).States;
}

/** The states from `start` along Next to where the chain ends. */
function chainFrom(states: Record<string, State>, start: string): [string, State][] {
  const chain: [string, State][] = [];
  for (let name: string | undefined = start; name; name = states[name]?.Next) {
    const state = states[name];
    if (!state) throw new Error(`no state ${name}`);
    chain.push([name, state]);
  }
  return chain;
}

let templates: Record<'backup' | 'drill', Template>;
beforeAll(() => {
  const app = synthesize(baseConfig());
  templates = { backup: app.templates.primary?.template as Template, drill: app.templates.dr?.template as Template };
});

describe.each(['backup', 'drill'] as const)('the failure path of the %s workflow', (workflow) => {
  it('sends every error of each of its tasks to a Fail state with error AlertNotDelivered', () => {
    const states = definitionOf(templates[workflow], `lifeline-${workflow}`);
    const path = chainFrom(states, 'Explain the failure');
    const tasks = path.filter(([, s]) => s.Type === 'Task').map(([name]) => name);
    expect(tasks).toEqual(['Explain the failure', 'Publish the failure alert']);
    for (const name of tasks) {
      const catchers = states[name]?.Catch ?? [];
      expect(catchers, name).toHaveLength(1);
      expect(catchers[0]?.ErrorEquals).toEqual(['States.ALL']);
      // Kept beside the workflow's own error ($.error), not over it.
      expect(catchers[0]?.ResultPath).toBe('$.alertError');
      const end = chainFrom(states, catchers[0]?.Next as string).at(-1)?.[1];
      expect(end, name).toMatchObject({ Type: 'Fail', Error: 'AlertNotDelivered' });
      const note = states[catchers[0]?.Next as string];
      const cause = String(note?.Parameters?.['cause.$']);
      // The cause says what failed and keeps the workflow's original error.
      expect(cause).toMatch(/^States\.Format\(/);
      expect(cause).toContain('States.JsonToString($.alertError)');
      expect(cause).toContain('States.JsonToString($.error)');
      expect(cause).toContain('$.failedStep');
    }
    // The path still ends with the workflow's own error when the alert went out.
    expect(path.at(-1)?.[1]).toMatchObject({ Type: 'Fail' });
    expect(path.at(-1)?.[1].Error).toBeUndefined();
  });
});
