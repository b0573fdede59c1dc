import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import type { LifelineConfigInput } from '../../infra/config/schema';
import { baseConfig, type Mutable } from '../fixtures/configs';
import { synthesize } from '../harness/synth';

const warningsOf = (config: Mutable) =>
  Annotations.fromStack(synthesize(config as LifelineConfigInput, { bundle: false }).stacks.primary)
    .findWarning('*', Match.stringLikeRegexp('is (validated but not built yet|partly built)'))
    .map((w) => String(w.entry.data));

describe('config sections that would build nothing yet, or only part', () => {
  it('are none left: a config with every section synthesizes without such a warning', () => {
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
    // Assess: the buckets, continuous protection, the archives, the failover (drill and vault reader included) and
    // the escalation are all built.
    expect(warnings).toEqual([]);
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
