import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../infra/config/load';
import { bucketWarnings } from '../../infra/lifeline-app';
import { baseConfig, type Mutable, problemsOf } from '../fixtures/configs';

const withBucket = (bucket: Record<string, unknown>) => (c: Mutable) => {
  c.buckets = [{ id: 'archive', ...bucket }];
};
const tiers = (...list: Array<[string, string]>) => list.map(([after, storageClass]) => ({ after, storageClass }));

describe('bucket validation', () => {
  it("defaults to the seeds' tiers: Standard-IA 30d, Glacier Flexible Retrieval 90d, Deep Archive 180d, expiry 2555d", () => {
    const config = validateConfig({ ...baseConfig(), buckets: [{ id: 'archive' }] });
    const [bucket] = config.buckets;
    expect(bucket?.lifecycle.map((t) => [t.after.text, t.storageClass])).toEqual([
      ['30d', 'STANDARD_IA'],
      ['90d', 'GLACIER'],
      ['180d', 'DEEP_ARCHIVE'],
    ]);
    expect(bucket?.expireAfter.text).toBe('2555d');
    expect(bucket).toMatchObject({ replicate: true, existing: false });
    expect(bucketWarnings(config)).toEqual([]);
  });

  it.each([
    [
      'Standard-IA sooner than 30 days after creation',
      { lifecycle: tiers(['7d', 'STANDARD_IA']) },
      'buckets[0].lifecycle[0].after: Standard-IA must come at least 30 days after an object is written (AWS lifecycle rule), got "7d"',
    ],
    [
      'Glacier Flexible Retrieval less than 30 days after Standard-IA',
      { lifecycle: tiers(['30d', 'STANDARD_IA'], ['45d', 'GLACIER']) },
      'buckets[0].lifecycle[1].after: Glacier Flexible Retrieval must come at least 30 days after Standard-IA (AWS lifecycle rule), got "45d"',
    ],
    [
      'a class above the one before it (S3 moves objects only down)',
      { lifecycle: tiers(['90d', 'DEEP_ARCHIVE'], ['120d', 'GLACIER_IR']) },
      'buckets[0].lifecycle[1].storageClass: cannot follow Deep Archive: S3 Lifecycle moves objects only down Standard-IA → Intelligent-Tiering → Glacier Instant Retrieval → Glacier Flexible Retrieval → Deep Archive (AWS lifecycle rule), got "GLACIER_IR"',
    ],
    [
      'the same class twice',
      { lifecycle: tiers(['30d', 'GLACIER'], ['90d', 'GLACIER']) },
      'buckets[0].lifecycle[1].storageClass: cannot follow Glacier Flexible Retrieval',
    ],
    [
      'a tier not in whole days',
      { lifecycle: tiers(['36h', 'GLACIER']) },
      'buckets[0].lifecycle[0].after: must be a whole number of days, got "36h"',
    ],
    [
      'expiry before the last tier',
      { lifecycle: tiers(['90d', 'GLACIER']), expireAfter: '60d' },
      'buckets[0].expireAfter: must be later than the last lifecycle tier, got "60d"',
    ],
    [
      'expiry before the lock ends',
      { objectLock: { mode: 'GOVERNANCE', retention: '10y' } },
      'buckets[0].expireAfter: is before the object lock retention (10y) ends, got "2555d"',
    ],
    [
      'a lock retention not in whole days',
      { objectLock: { mode: 'GOVERNANCE', retention: '12h' } },
      'buckets[0].objectLock.retention: must be a whole number of days (S3 Object Lock counts days), got "12h"',
    ],
    [
      'an unknown lock mode',
      { objectLock: { mode: 'LEGAL', retention: '30d' } },
      'buckets[0].objectLock.mode: expected GOVERNANCE or COMPLIANCE, got "LEGAL"',
    ],
    [
      'an existing bucket without its name',
      { existing: true },
      'buckets[0].bucketName: is required with existing: true: the name of the bucket you own',
    ],
    [
      'Object Lock on an existing bucket',
      { existing: true, bucketName: 'invoices-2019', objectLock: { mode: 'GOVERNANCE', retention: '30d' } },
      'buckets[0].objectLock: cannot be set on an existing bucket: Lifeline cannot turn Object Lock on for a bucket it did not create',
    ],
    [
      'an id that makes bucket names longer than S3 allows',
      { id: 'a'.repeat(32) },
      `buckets[0].id: is too long together with name "lifeline": buckets are named lifeline-${'a'.repeat(32)}-<account>-<region> (67 characters here), and S3 allows 63`,
    ],
  ])('rejects %s, naming the bucket and the rule', (_name, bucket, expected) => {
    const problems = problemsOf(withBucket(bucket));
    expect(
      problems.some((p) => p.startsWith(expected)),
      `problems: ${problems.join(' | ')}`,
    ).toBe(true);
  });

  it('rejects a bucket id used twice', () => {
    expect(problemsOf((c) => (c.buckets = [{ id: 'archive' }, { id: 'archive' }]))).toEqual([
      'buckets[1].id: is already used by buckets[0], got "archive"',
    ]);
  });

  it('accepts, with a warning each, a class left before its minimum storage duration (AWS charges, it does not reject)', () => {
    const config = validateConfig({
      ...baseConfig(),
      buckets: [
        {
          id: 'archive',
          lifecycle: tiers(['30d', 'STANDARD_IA'], ['60d', 'GLACIER'], ['120d', 'DEEP_ARCHIVE']),
          expireAfter: '200d',
        },
      ],
    });
    expect(bucketWarnings(config).map((w) => w.message)).toEqual([
      'buckets[0].lifecycle[2].after: objects leave Glacier Flexible Retrieval after 60 days, before its 90-day minimum storage duration: AWS accepts this and charges the remaining 30 days of every object, got "120d"',
      'buckets[0].expireAfter: objects expire from Deep Archive after 80 days, before its 180-day minimum storage duration: AWS accepts this and charges the remaining 100 days of every object, got "200d"',
    ]);
  });

  it('warns that COMPLIANCE is irreversible, and what an existing bucket needs before its first deploy', () => {
    const config = validateConfig({
      ...baseConfig(),
      buckets: [
        { id: 'archive', objectLock: { mode: 'COMPLIANCE', retention: '7y' } },
        { id: 'invoices', existing: true, bucketName: 'invoices-2019', replicate: false },
      ],
    });
    expect(bucketWarnings(config).map((w) => w.message)).toEqual([
      "buckets[0].objectLock.mode: COMPLIANCE is irreversible: for 7y after each object version is written, nobody (not the account's root user) can delete or overwrite it or shorten its lock, and the bucket cannot be deleted while it holds one; its replica in eu-west-1 is locked the same. Try the settings with GOVERNANCE first.",
      'buckets[1].existing: invoices-2019 must be imported into lifeline-primary once (cdk import lifeline-primary) before the first deploy with it, which otherwise fails because the bucket exists; its objects written before replication is on are not replicated (use S3 Batch Replication) and keep their encryption.',
    ]);
  });

  it('accepts GOVERNANCE with no warning, and no tiers at all', () => {
    const config = validateConfig({
      ...baseConfig(),
      buckets: [{ id: 'archive', lifecycle: [], objectLock: { mode: 'GOVERNANCE', retention: '400d' } }],
    });
    expect(bucketWarnings(config)).toEqual([]);
  });
});
