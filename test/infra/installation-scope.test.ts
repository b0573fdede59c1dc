import { beforeAll, describe, expect, it } from 'vitest';
import { baseConfig } from '../fixtures/configs';
import { type Synthesized, synthesize } from '../harness/synth';

type Statement = {
  Action: string | string[];
  Resource?: unknown;
  Condition?: Record<string, Record<string, string | string[]>>;
};

let app: Synthesized;
/** The same installation with a vault: its orders are copied there too. */
let vaulted: Synthesized;
beforeAll(() => {
  app = synthesize({ ...baseConfig(), name: 'shop' });
  const config = baseConfig();
  const [orders, ...others] = config.databases;
  const db = orders as (typeof config.databases)[number];
  vaulted = synthesize({
    ...config,
    name: 'shop',
    account: '123456789012',
    vault: { account: '210987654321', retention: { daily: 7, weekly: 4, monthly: 12, yearly: 2 } },
    databases: [{ ...db, backup: { ...db.backup, copyToVault: true } }, ...others],
  });
});

const resources = (key: 'primary' | 'dr', type: string, of: Synthesized = app) =>
  Object.values(of.templates[key]?.template.Resources ?? {}).filter((r) => r.Type === type);
const statements = (key: 'primary' | 'dr', of: Synthesized = app) =>
  resources(key, 'AWS::IAM::Policy', of).flatMap(
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

  it('lets every role tag a snapshot only as this installation’s: new ones with its identity, existing ones with evidence', () => {
    const tagging = statements('primary', vaulted).filter((s) => actions(s).includes('rds:AddTagsToResource'));
    const onSnapshots = tagging.filter((s) => /:(cluster-)?snapshot:/.test(JSON.stringify(s.Resource)));
    // On create: the creation, the DR copy; evidence, per snapshot type: the state machine's mark, the verifier
    // (on the copy, on the source), the vault copy.
    expect(onSnapshots).toHaveLength(10);
    for (const statement of onSnapshots) {
      const c = statement.Condition ?? {};
      if (c.StringEquals?.['aws:RequestTag/lifeline:installation'] !== undefined) {
        // Tags given at create or copy: Lifeline's keys, naming this installation, on a snapshot without tags yet.
        expect(c).toEqual({
          'ForAllValues:StringLike': { 'aws:TagKeys': 'lifeline:*' },
          StringEquals: {
            'aws:RequestTag/lifeline:managed-by': 'lifeline',
            'aws:RequestTag/lifeline:installation': 'shop',
          },
          Null: {
            'aws:TagKeys': 'false',
            'rds:snapshot-tag/lifeline:managed-by': 'true',
            'rds:cluster-snapshot-tag/lifeline:managed-by': 'true',
          },
        });
        continue;
      }
      // An existing snapshot: tagged as this installation's, and only an evidence key is written.
      const type = JSON.stringify(statement.Resource).includes(':cluster-snapshot:') ? 'cluster-snapshot' : 'snapshot';
      expect(c.StringEquals).toMatchObject({
        [`rds:${type}-tag/lifeline:managed-by`]: 'lifeline',
        [`rds:${type}-tag/lifeline:installation`]: 'shop',
      });
      expect(c.Null).toEqual({ 'aws:TagKeys': 'false' });
      expect(['lifeline:verified', 'lifeline:dr-copy', 'lifeline:vault-copy']).toEqual(
        expect.arrayContaining([c['ForAllValues:StringEquals']?.['aws:TagKeys']].flat()),
      );
    }
  });

  it('shares with the vault only DR copies tagged as this installation’s', () => {
    const sharing = statements('primary', vaulted).filter((s) =>
      actions(s).some((a) => /^rds:ModifyDB(Cluster)?SnapshotAttribute$/.test(a)),
    );
    expect(sharing).toHaveLength(2);
    for (const statement of sharing) {
      const type = actions(statement).includes('rds:ModifyDBClusterSnapshotAttribute')
        ? 'cluster-snapshot'
        : 'snapshot';
      expect(statement.Condition?.StringEquals).toEqual({
        [`rds:${type}-tag/lifeline:managed-by`]: 'lifeline',
        [`rds:${type}-tag/lifeline:installation`]: 'shop',
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
