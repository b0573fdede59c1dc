import { describe, expect, it } from 'vitest';
import {
  type CopyExpectation,
  copyError,
  type DescribedCopy,
  judgeCopy,
  sameKey,
  verifiedCopy,
} from '../../functions/backup/copy-verification';

const DR_KEY = 'arn:aws:kms:eu-west-1:123456789012:key/1111-dr';
const VAULT_KEY = 'arn:aws:kms:eu-west-1:210987654321:key/2222-vault';
const identity = {
  'lifeline:managed-by': 'lifeline',
  'lifeline:database': 'orders',
  'lifeline:installation': 'lifeline',
  'lifeline:retention': 'daily',
  'lifeline:execution': 'arn:aws:states:eu-central-1:123456789012:execution:lifeline-backup:run-1',
  'lifeline:scheduled-time': '2026-11-22T02:00:00.000Z',
};
const dr: CopyExpectation = { keyArn: DR_KEY, keyName: 'DR key', database: 'orders', installation: 'lifeline' };
const vault: CopyExpectation = { ...dr, keyArn: VAULT_KEY, keyName: 'vault key' };
const good = (over: Partial<DescribedCopy> = {}): DescribedCopy => ({
  status: 'available',
  encrypted: true,
  kmsKeyId: DR_KEY,
  tags: identity,
  ...over,
});
const problemsOf = (copy: DescribedCopy, expected = dr) => {
  const verdict = judgeCopy(copy, expected);
  return verdict.verdict === 'not-verified' ? verdict.problems : [];
};

describe('judgeCopy: is the copy a recovery point?', () => {
  it("verifies an available copy under the expected key that carries Lifeline's tags of the source", () => {
    // Act
    const verdicts = [judgeCopy(good(), dr), judgeCopy(good({ kmsKeyId: VAULT_KEY }), vault)];
    // Assess
    expect(verdicts).toEqual([{ verdict: 'verified' }, { verdict: 'verified' }]);
  });

  it('says missing when there is no copy', () => {
    expect(judgeCopy(undefined, dr)).toEqual({ verdict: 'missing' });
  });

  it.each(['creating', 'copying', 'pending'])('says copying while the copy is %s', (status) => {
    expect(judgeCopy(good({ status }), dr)).toEqual({ verdict: 'copying', status });
  });

  it.each(['failed', 'incompatible-restore', 'deleting'])('says failed, with the status, when it is %s', (status) => {
    expect(judgeCopy(good({ status }), dr)).toEqual({ verdict: 'failed', status });
  });

  it('does not judge the key or tags of a copy that is not available yet', () => {
    // Prepare: a copy that would fail every check once available
    const bad = { status: 'copying', encrypted: false, tags: {} };
    // Act / Assess
    expect(judgeCopy(bad, dr)).toEqual({ verdict: 'copying', status: 'copying' });
  });

  it('rejects an unencrypted copy', () => {
    expect(problemsOf(good({ encrypted: false, kmsKeyId: undefined }))).toEqual(['it is not encrypted']);
  });

  it('rejects a copy under another key, naming both keys', () => {
    expect(problemsOf(good({ kmsKeyId: VAULT_KEY }))).toEqual([
      `it is encrypted with ${VAULT_KEY}, not the DR key ${DR_KEY}`,
    ]);
    expect(problemsOf(good({ kmsKeyId: DR_KEY }), vault)).toEqual([
      `it is encrypted with ${DR_KEY}, not the vault key ${VAULT_KEY}`,
    ]);
  });

  it('rejects an encrypted copy whose key is not reported', () => {
    expect(problemsOf(good({ kmsKeyId: undefined }))).toEqual([
      `it is encrypted with undefined, not the DR key ${DR_KEY}`,
    ]);
  });

  it('names every tag that did not arrive, in one problem', () => {
    // Prepare
    const { 'lifeline:execution': _e, 'lifeline:scheduled-time': _s, ...partial } = identity;
    // Act / Assess
    expect(problemsOf(good({ tags: partial }))).toEqual([
      'tags lifeline:execution, lifeline:scheduled-time did not arrive',
    ]);
    expect(problemsOf(good({ tags: {} }))).toEqual([
      'tags lifeline:managed-by, lifeline:database, lifeline:installation, lifeline:execution, lifeline:scheduled-time did not arrive',
    ]);
  });

  it('does not require the retention tag (sources made before it existed carry none)', () => {
    const { 'lifeline:retention': _r, ...withoutRetention } = identity;
    expect(judgeCopy(good({ tags: withoutRetention }), dr)).toEqual({ verdict: 'verified' });
  });

  it("rejects a copy tagged as another database's, another installation's or not Lifeline's, naming both values", () => {
    // Act
    const problems = [
      problemsOf(good({ tags: { ...identity, 'lifeline:database': 'ledger' } })),
      problemsOf(good({ tags: { ...identity, 'lifeline:installation': 'staging' } })),
      problemsOf(good({ tags: { ...identity, 'lifeline:managed-by': 'team' } })),
    ];
    // Assess
    expect(problems).toEqual([
      ['it is tagged as a copy of ledger, not orders'],
      ['it is tagged as made by the installation staging, not lifeline'],
      ['it is tagged as managed by team, not lifeline'],
    ]);
  });

  it('names every problem at once, key first', () => {
    // Prepare
    const copy = good({ kmsKeyId: VAULT_KEY, tags: { 'lifeline:database': 'ledger' } });
    // Act / Assess
    expect(problemsOf(copy)).toEqual([
      `it is encrypted with ${VAULT_KEY}, not the DR key ${DR_KEY}`,
      'tags lifeline:managed-by, lifeline:installation, lifeline:execution, lifeline:scheduled-time did not arrive',
      'it is tagged as a copy of ledger, not orders',
    ]);
  });
});

describe('sameKey', () => {
  it('matches a bare key id with its ARN, either way round', () => {
    expect(sameKey(VAULT_KEY, '2222-vault')).toBe(true);
    expect(sameKey('2222-vault', VAULT_KEY)).toBe(true);
    expect(sameKey(VAULT_KEY, VAULT_KEY)).toBe(true);
  });

  it('tells other keys apart, also the same id in another account or region', () => {
    expect(sameKey(VAULT_KEY, DR_KEY)).toBe(false);
    expect(sameKey(VAULT_KEY, '1111-dr')).toBe(false);
    expect(sameKey(VAULT_KEY, 'arn:aws:kms:eu-west-1:123456789012:key/2222-vault')).toBe(false);
    expect(sameKey(VAULT_KEY, 'arn:aws:kms:eu-central-1:210987654321:key/2222-vault')).toBe(false);
  });
});

describe('the error each verdict ends the step with', () => {
  const place = { snapshotId: 'lifeline-orders-20261122t0200', where: 'the vault (210987654321, eu-west-1)' };

  const copy = 'The copy lifeline-orders-20261122t0200';
  it.each([
    [{ verdict: 'missing' } as const, 'SnapshotFailed', `${copy} does not exist in ${place.where}`],
    [{ verdict: 'copying', status: 'pending' } as const, 'NotReady', `${copy} in ${place.where} is pending`],
    [{ verdict: 'failed', status: 'failed' } as const, 'SnapshotFailed', `${copy} in ${place.where} is failed`],
    [
      { verdict: 'not-verified', problems: ['it is not encrypted', 'tags lifeline:execution did not arrive'] } as const,
      'CopyNotVerified',
      `${copy} in ${place.where} is not a good recovery point: it is not encrypted; tags lifeline:execution did not arrive`,
    ],
  ])('%o ends the step with %s', (verdict, name, message) => {
    // Act
    const error = copyError(verdict, place);
    // Assess
    expect({ name: error.name, message: error.message }).toEqual({ name, message });
  });

  it('verifiedCopy returns the verified copy itself and throws the verdict otherwise', () => {
    // Prepare
    const copy = { ...good(), arn: 'arn:copy' };
    // Act / Assess
    expect(verifiedCopy(copy, dr, place)).toBe(copy);
    expect(() => verifiedCopy(undefined, dr, place)).toThrow(expect.objectContaining({ name: 'SnapshotFailed' }));
    expect(() => verifiedCopy({ ...copy, status: 'copying' }, dr, place)).toThrow(
      expect.objectContaining({ name: 'NotReady' }),
    );
    expect(() => verifiedCopy({ ...copy, encrypted: false }, dr, place)).toThrow(
      'The copy lifeline-orders-20261122t0200 in the vault (210987654321, eu-west-1) is not a good recovery point: it is not encrypted',
    );
  });
});
