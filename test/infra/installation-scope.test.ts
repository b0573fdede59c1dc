import { beforeAll, describe, expect, it } from 'vitest';
import { baseConfig } from '../fixtures/configs';
import { type Synthesized, synthesize } from '../harness/synth';

type Statement = { Action: string | string[]; Condition?: Record<string, Record<string, string>> };

let app: Synthesized;
beforeAll(() => {
  app = synthesize({ ...baseConfig(), name: 'shop' });
});

const resources = (key: 'primary' | 'dr', type: string) =>
  Object.values(app.templates[key]?.template.Resources ?? {}).filter((r) => r.Type === type);
const statements = (key: 'primary' | 'dr') =>
  resources(key, 'AWS::IAM::Policy').flatMap(
    (p) => (p.Properties?.PolicyDocument as { Statement?: Statement[] } | undefined)?.Statement ?? [],
  );
const actions = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

describe("an installation touches only its own recovery points (config name 'shop')", () => {
  it('lets the pruner delete a snapshot only when it is tagged as this installation’s', () => {
    const deletes = statements('primary').filter((s) =>
      actions(s).some((a) => a === 'rds:DeleteDBSnapshot' || a === 'rds:DeleteDBClusterSnapshot'),
    );
    expect(deletes.length).toBeGreaterThanOrEqual(2);
    for (const statement of deletes) {
      const prefix = actions(statement).includes('rds:DeleteDBClusterSnapshot') ? 'cluster-snapshot' : 'snapshot';
      expect(statement.Condition?.StringEquals).toMatchObject({
        [`rds:${prefix}-tag/lifeline:managed-by`]: 'lifeline',
        [`rds:${prefix}-tag/lifeline:installation`]: 'shop',
      });
    }
  });

  it.each([
    ['primary', 'the creation of a Lifeline snapshot'],
    ['primary', 'the pruning of recovery points by retention'],
    ['dr', 'the drill preflight'],
  ] as const)('tells the %s function "%s" its installation', (stack, description) => {
    const fn = resources(stack, 'AWS::Lambda::Function').find((r) => r.Properties?.Description === description);
    const variables = (fn?.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables;
    expect(variables?.LIFELINE_INSTALLATION).toBe('shop');
  });
});
