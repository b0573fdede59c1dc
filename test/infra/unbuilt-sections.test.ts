import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import type { LifelineConfigInput } from '../../infra/config/schema';
import { baseConfig, type Mutable } from '../fixtures/configs';
import { synthesize } from '../harness/synth';

const warningsOf = (config: Mutable) =>
  Annotations.fromStack(synthesize(config as LifelineConfigInput, { bundle: false }).stacks.primary)
    .findWarning('*', Match.stringLikeRegexp('is (validated but not built yet|partly built)'))
    .map((w) => String(w.entry.data));

describe('config sections that build nothing yet, or only part', () => {
  it('make synth warn, naming each section and what the deployment lacks', () => {
    // Prepare
    const config = structuredClone(baseConfig()) as Mutable;
    config.buckets = [{ id: 'invoices' }];
    const orders = (config.databases as Mutable[])[0] as Mutable;
    orders.continuous = { mode: 'automated-backup-replication' };
    orders.archive = { bucket: 'invoices' };
    config.failover = { hostedZoneId: 'Z0123456789ABC', recordName: 'db.example.com', databases: ['orders'] };
    config.escalation = { levels: [{ name: 'on-call', after: '0m', notify: ['oncall@example.com'] }] };
    // Act
    const warnings = warningsOf(config);
    // Assess
    // The escalation is built in full: no warning for it.
    expect(warnings).toHaveLength(1);
    // The protected buckets, their verification, continuous protection, the export and the dump archive are built.
    expect(warnings.some((w) => /^(buckets|databases)/.test(w))).toBe(false);
    // The failover workflow and its monthly drill are built; the vault reader is not.
    expect(warnings[0]).toMatch(
      /^failover: is partly built; this deployment has the failover workflow lifeline-failover .*the monthly failover drill on a shadow record\) but no vault reader role/,
    );
    expect(warnings[0]).not.toContain('no monthly failover drill');
    // The first synth of a worker, of a config that builds nearly everything: slow on a loaded machine.
  }, 180_000);

  it('are silent when the config leaves them out', () => {
    const config = structuredClone(baseConfig()) as Mutable;
    delete config.buckets;
    delete config.failover;
    delete config.escalation;
    expect(warningsOf(config)).toEqual([]);
  });
});
