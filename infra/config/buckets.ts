/*
 * What AWS accepts in a bucket's lifecycle tiers, and what it merely charges for. From the S3 User Guide,
 * "Transitioning objects using Amazon S3 Lifecycle" (supported transitions and constraints) and the API reference
 * of Transition (Days):
 * - Objects can move only down the waterfall Standard-IA → Intelligent-Tiering → Glacier Instant Retrieval →
 *   Glacier Flexible Retrieval → Deep Archive; never back up it. AWS rejects the configuration otherwise.
 * - Standard-IA (and One Zone-IA) only at 30 days after creation or later. AWS rejects less.
 * - Objects stay at least 30 days in Standard-IA before a later transition (to Glacier and below). AWS rejects a
 *   rule whose next transition is less than 30 days after its Standard-IA one.
 * - Minimum storage durations (Glacier Instant Retrieval 90 days, Glacier Flexible Retrieval 90, Deep Archive 180,
 *   Standard-IA 30): leaving a class earlier is accepted and charged for the remaining days (early deletion).
 *   Those are warnings here, not errors.
 */

/** The config's storage classes, in the only order S3 Lifecycle moves objects through them. */
export const STORAGE_CLASSES = ['STANDARD_IA', 'INTELLIGENT_TIERING', 'GLACIER_IR', 'GLACIER', 'DEEP_ARCHIVE'] as const;
export type StorageClassName = (typeof STORAGE_CLASSES)[number];

const CLASS_WORDS: Record<StorageClassName, string> = {
  STANDARD_IA: 'Standard-IA',
  INTELLIGENT_TIERING: 'Intelligent-Tiering',
  GLACIER_IR: 'Glacier Instant Retrieval',
  GLACIER: 'Glacier Flexible Retrieval',
  DEEP_ARCHIVE: 'Deep Archive',
};

/** Days an object is billed for in a class at least, however early it leaves. */
const MINIMUM_STORAGE_DAYS: Partial<Record<StorageClassName, number>> = {
  STANDARD_IA: 30,
  GLACIER_IR: 90,
  GLACIER: 90,
  DEEP_ARCHIVE: 180,
};

const DAY = 86_400;

interface Tier {
  readonly after: { readonly text: string; readonly seconds: number };
  readonly storageClass: StorageClassName;
}
interface LockedBucket {
  readonly lifecycle: readonly Tier[];
  readonly expireAfter: { readonly text: string; readonly seconds: number };
}

export interface BucketFinding {
  readonly path: (string | number)[];
  readonly message: string;
  readonly input: unknown;
}

/** What AWS would reject in a bucket's tiers and expiry: each an error. */
export function lifecycleErrors(bucket: LockedBucket, i: number): BucketFinding[] {
  const errors: BucketFinding[] = [];
  const at = (...rest: (string | number)[]) => ['buckets', i, ...rest];
  bucket.lifecycle.forEach((tier, t) => {
    const days = tier.after.seconds / DAY;
    const name = CLASS_WORDS[tier.storageClass];
    if (!Number.isInteger(days)) {
      errors.push({
        path: at('lifecycle', t, 'after'),
        message: 'must be a whole number of days',
        input: tier.after.text,
      });
      return;
    }
    if (tier.storageClass === 'STANDARD_IA' && days < 30)
      errors.push({
        path: at('lifecycle', t, 'after'),
        message: `${name} must come at least 30 days after an object is written (AWS lifecycle rule)`,
        input: tier.after.text,
      });
    const before = bucket.lifecycle[t - 1];
    if (!before) return;
    const rank = STORAGE_CLASSES.indexOf(tier.storageClass);
    const previousRank = STORAGE_CLASSES.indexOf(before.storageClass);
    if (rank <= previousRank) {
      errors.push({
        path: at('lifecycle', t, 'storageClass'),
        message: `cannot follow ${CLASS_WORDS[before.storageClass]}: S3 Lifecycle moves objects only down ${STORAGE_CLASSES.map((c) => CLASS_WORDS[c]).join(' → ')} (AWS lifecycle rule)`,
        input: tier.storageClass,
      });
      return;
    }
    if (tier.after.seconds <= before.after.seconds)
      errors.push({
        path: at('lifecycle', t, 'after'),
        message: 'must be later than the tier before it',
        input: tier.after.text,
      });
    else if (before.storageClass === 'STANDARD_IA' && tier.after.seconds - before.after.seconds < 30 * DAY)
      errors.push({
        path: at('lifecycle', t, 'after'),
        message: `${name} must come at least 30 days after ${CLASS_WORDS[before.storageClass]} (AWS lifecycle rule)`,
        input: tier.after.text,
      });
  });
  const last = bucket.lifecycle.at(-1);
  if (!Number.isInteger(bucket.expireAfter.seconds / DAY))
    errors.push({ path: at('expireAfter'), message: 'must be a whole number of days', input: bucket.expireAfter.text });
  else if (last && bucket.expireAfter.seconds <= last.after.seconds)
    errors.push({
      path: at('expireAfter'),
      message: 'must be later than the last lifecycle tier',
      input: bucket.expireAfter.text,
    });
  return errors;
}

/** What AWS accepts but charges for: leaving a class before its minimum storage duration ends. */
export function lifecycleWarnings(bucket: LockedBucket, i: number): BucketFinding[] {
  const warnings: BucketFinding[] = [];
  bucket.lifecycle.forEach((tier, t) => {
    const minimum = MINIMUM_STORAGE_DAYS[tier.storageClass];
    const next = bucket.lifecycle[t + 1];
    const leaves = next ? next.after : bucket.expireAfter;
    const stay = (leaves.seconds - tier.after.seconds) / DAY;
    if (minimum === undefined || stay <= 0 || stay >= minimum) return;
    warnings.push({
      path: next ? ['buckets', i, 'lifecycle', t + 1, 'after'] : ['buckets', i, 'expireAfter'],
      message: `objects ${next ? 'leave' : 'expire from'} ${CLASS_WORDS[tier.storageClass]} after ${stay} days, before its ${minimum}-day minimum storage duration: AWS accepts this and charges the remaining ${minimum - stay} days of every object`,
      input: leaves.text,
    });
  });
  return warnings;
}

/** `<name>-<bucket id>-<account>-<region>`: known in both regions without a cross-region reference. */
export function protectedBucketName(name: string, id: string, account: string, region: string): string {
  return `${name}-${id}-${account}-${region}`;
}

/** The id part of each region's inventory bucket name (`<name>-inventory-<account>-<region>`): no bucket may use it. */
export const INVENTORY_BUCKET_ID = 'inventory';
