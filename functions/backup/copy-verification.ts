/**
 * The one rule for whether a copy (in the DR region, or in the vault account) is a recovery point: the DR copy and
 * the vault copy are judged alike, and only their callers differ (which client, which evidence tags follow). No SDK.
 */
import { MANAGED_BY, TAG } from '../commons/contracts';
import { CopyNotVerified, NotReady, SnapshotFailed } from '../commons/errors';

/** What the rule reads of a described copy. */
export interface DescribedCopy {
  readonly status: string;
  readonly encrypted: boolean;
  readonly kmsKeyId?: string;
  readonly tags: Readonly<Record<string, string>>;
}

/** What a copy must be: under the destination's key, and Lifeline's copy of the source it was made from. */
export interface CopyExpectation {
  /** The key the copy must be encrypted with: the key of its region (or account). */
  readonly keyArn: string;
  /** What an operator calls that key, in messages: `DR key`, `vault key`. */
  readonly keyName: string;
  /** The database id (`TAG.database`) the source stands for. */
  readonly database: string;
  /** The installation (`TAG.installation`) that made the source. */
  readonly installation: string;
}

export type CopyVerdict =
  | { readonly verdict: 'missing' }
  | { readonly verdict: 'copying'; readonly status: string }
  | { readonly verdict: 'failed'; readonly status: string }
  | { readonly verdict: 'not-verified'; readonly problems: readonly string[] }
  | { readonly verdict: 'verified' };

const COPYING = new Set(['creating', 'copying', 'pending']);

/** Tags that must arrive with every copy: without them pruning and drills could not find it. */
export const CARRIED_TAGS = [TAG.managedBy, TAG.database, TAG.installation, TAG.execution, TAG.scheduledTime] as const;

/**
 * Whether two references name the same key: equal, or a bare key id and an ARN of that id (RDS may report either).
 * Two ARNs must be equal: the same id in another account or region is another key.
 */
export function sameKey(a: string, b: string): boolean {
  const isArn = (ref: string) => ref.startsWith('arn:');
  const id = (ref: string) => (ref.includes(':key/') ? (ref.split(':key/')[1] as string) : ref);
  return a === b || (isArn(a) !== isArn(b) && id(a) === id(b));
}

/** The carried tags whose value is known from the source, and how a wrong value reads. */
function expectedValues(expected: CopyExpectation) {
  return [
    {
      tag: TAG.managedBy,
      value: MANAGED_BY,
      says: (v: string) => `it is tagged as managed by ${v}, not ${MANAGED_BY}`,
    },
    {
      tag: TAG.database,
      value: expected.database,
      says: (v: string) => `it is tagged as a copy of ${v}, not ${expected.database}`,
    },
    {
      tag: TAG.installation,
      value: expected.installation,
      says: (v: string) => `it is tagged as made by the installation ${v}, not ${expected.installation}`,
    },
  ];
}

/** What is wrong with an available copy as a recovery point; empty when nothing is. */
export function copyProblems(copy: DescribedCopy, expected: CopyExpectation): string[] {
  const problems: string[] = [];
  if (!copy.encrypted) problems.push('it is not encrypted');
  else if (!copy.kmsKeyId || !sameKey(copy.kmsKeyId, expected.keyArn))
    problems.push(`it is encrypted with ${copy.kmsKeyId}, not the ${expected.keyName} ${expected.keyArn}`);
  const missing = CARRIED_TAGS.filter((tag) => copy.tags[tag] === undefined);
  if (missing.length > 0) problems.push(`tags ${missing.join(', ')} did not arrive`);
  for (const { tag, value, says } of expectedValues(expected)) {
    const actual = copy.tags[tag];
    if (actual !== undefined && actual !== value) problems.push(says(actual));
  }
  return problems;
}

/** The verdict on a copy: missing, still copying, failed (any other status than available), or judged. */
export function judgeCopy(copy: DescribedCopy | undefined, expected: CopyExpectation): CopyVerdict {
  if (!copy) return { verdict: 'missing' };
  if (COPYING.has(copy.status)) return { verdict: 'copying', status: copy.status };
  if (copy.status !== 'available') return { verdict: 'failed', status: copy.status };
  const problems = copyProblems(copy, expected);
  return problems.length > 0 ? { verdict: 'not-verified', problems } : { verdict: 'verified' };
}

/** Where a copy is, in a person's words: its id and `eu-west-1` or `the vault (210987654321, eu-west-1)`. */
export interface CopyPlace {
  readonly snapshotId: string;
  readonly where: string;
}

/** The error a verdict other than verified ends the step with. */
export function copyError(verdict: Exclude<CopyVerdict, { verdict: 'verified' }>, { snapshotId, where }: CopyPlace) {
  switch (verdict.verdict) {
    case 'missing':
      return new SnapshotFailed(`The copy ${snapshotId} does not exist in ${where}`);
    case 'copying':
      return new NotReady(`The copy ${snapshotId} in ${where} is ${verdict.status}`);
    case 'failed':
      return new SnapshotFailed(`The copy ${snapshotId} in ${where} is ${verdict.status}`);
    case 'not-verified':
      return new CopyNotVerified(
        `The copy ${snapshotId} in ${where} is not a good recovery point: ${verdict.problems.join('; ')}`,
      );
  }
}

/**
 * The copy, once it verifies; otherwise throws what the workflow retries on or fails with: NotReady while it
 * copies, SnapshotFailed when it is missing or failed, CopyNotVerified with every problem.
 */
export function verifiedCopy<C extends DescribedCopy>(
  copy: C | undefined,
  expected: CopyExpectation,
  place: CopyPlace,
): C {
  const verdict = judgeCopy(copy, expected);
  if (verdict.verdict === 'verified' && copy) return copy;
  throw copyError(verdict.verdict === 'verified' ? { verdict: 'missing' } : verdict, place);
}
