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
    config.failover = { hostedZoneId: 'Z0123456789ABC', recordName: 'db.example.com', databases: ['orders'] };
    config.escalation = { levels: [{ name: 'on-call', after: '0m', notify: ['oncall@example.com'] }] };
    // Act
    const warnings = warningsOf(config);
    // Assess
    // The escalation is built in full: no warning for it.
    expect(warnings).toHaveLength(2);
    // The protected buckets and their replication verification are built; the export into them and the dump archive are not.
    expect(warnings[0]).toMatch(
      /^buckets: is partly built; this deployment has the protected buckets .* and their replication verification .* but no snapshot export into them and no logical-dump archive from drills\./,
    );
    expect(warnings[0]).not.toMatch(/no replication verification/);
    expect(warnings[1]).toMatch(
      /^failover: .* no failover workflow and no Route 53 change\. Its failures would page nobody\./,
    );
  });

  it('are silent when the config leaves them out', () => {
    const config = structuredClone(baseConfig()) as Mutable;
    delete config.buckets;
    delete config.failover;
    delete config.escalation;
    expect(warningsOf(config)).toEqual([]);
  });
});
