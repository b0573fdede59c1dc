/**
 * Checks for execution inputs, with zod/mini (zod's tree-shakable form, small enough for a Lambda bundle), worded
 * for the person who typed the input: where the problem is, what was expected, and what came. No SDK.
 */
import * as z from 'zod/mini';

export const shown = (value: unknown) => JSON.stringify(value ?? null);
export const kindOf = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);

/** The error of an object schema: zod's own words for a value that is no object (zod/mini ships no messages). */
export const notAnObject = (issue: { code: string; input?: unknown }) =>
  issue.code === 'invalid_type' ? `Invalid input: expected object, received ${kindOf(issue.input)}` : undefined;

/** An RFC 3339 date-time with seconds and a zone (`Z` or ±hh:mm): 2026-11-22T02:00:00Z. No 30 February. */
export const isoTime = (error: string) => z.iso.datetime({ offset: true, error });

/** Every problem of `input` against `schema`, one sentence each; none if it fits. */
export function problemsOf(schema: z.ZodMiniType, input: unknown): string[] {
  const parsed = schema.safeParse(input, { reportInput: true });
  return parsed.success ? [] : parsed.error.issues.map(sentence);
}

/** `scheduledTime: expected an ISO-8601 time …, got "yesterday"`; `overrides: unknown field "a", "b"`. */
function sentence(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    const where = issue.path.join('.');
    return `${where ? `${where}: ` : ''}unknown field ${issue.keys.map((key) => `"${key}"`).join(', ')}`;
  }
  // A discriminated union points at its discriminator, but what is wrong is the whole value it reports.
  const path = issue.code === 'invalid_union' && 'discriminator' in issue ? issue.path.slice(0, -1) : issue.path;
  return `${path.join('.') || 'input'}: ${issue.message}, got ${shown((issue as { input?: unknown }).input)}`;
}
