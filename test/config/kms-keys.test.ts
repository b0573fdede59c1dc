import { describe, expect, it } from 'vitest';
import { problemsOf } from '../fixtures/configs';

const KEY = (region: string) => `arn:aws:kms:${region}:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab`;

describe('customer-managed keys in the config', () => {
  it('accepts a source key in primaryRegion and a secret key in drRegion', () => {
    expect(
      problemsOf((c) => {
        c.databases[1].sourceKey = KEY('eu-central-1');
        c.databases[0].drill.credentialsSecretKey = KEY('eu-west-1');
      }),
    ).toEqual([]);
  });

  it.each([
    ['an alias', 'alias/aws/rds'],
    ['a key id without ARN', '1234abcd-12ab-34cd-56ef-1234567890ab'],
    ['an alias ARN', 'arn:aws:kms:eu-central-1:123456789012:alias/ledger'],
  ])('rejects %s as sourceKey, naming the field and the value', (_, value) => {
    const [problem] = problemsOf((c) => (c.databases[1].sourceKey = value));
    expect(problem).toMatch(/^databases\[1\]\.sourceKey: expected a KMS key ARN/);
    expect(problem).toContain(JSON.stringify(value));
  });

  it('rejects a source key outside primaryRegion', () => {
    expect(problemsOf((c) => (c.databases[1].sourceKey = KEY('eu-west-1')))).toEqual([
      `databases[1].sourceKey: must be a key in primaryRegion (eu-central-1), where the database and its snapshots are, got "${KEY('eu-west-1')}"`,
    ]);
  });

  it('rejects a credentials secret key outside drRegion', () => {
    expect(problemsOf((c) => (c.databases[0].drill.credentialsSecretKey = KEY('eu-central-1')))).toEqual([
      `databases[0].drill.credentialsSecretKey: must be a key in drRegion (eu-west-1), where the drill's credentials secret is, got "${KEY('eu-central-1')}"`,
    ]);
  });
});
