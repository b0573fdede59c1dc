/** Small checks for execution inputs, written for the person who typed the input. No SDK, no schema library (bundle size). */

/** A calendar date, yyyy-mm-dd: no 30 February, 29 February only in leap years. */
const DATE = String.raw`(?:(?:\d\d(?:[2468][048]|[13579][26]|0[48])|(?:[02468][048]|[13579][26])00)-02-29|\d{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\d|30)|02-(?:0[1-9]|1\d|2[0-8])))`;
/** RFC 3339 date-time: seconds required, fractions of any length, then `Z` or an offset ±hh:mm. */
export const ISO_TIME = new RegExp(
  String.raw`^${DATE}T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$`,
);

export const shown = (value: unknown) => JSON.stringify(value ?? null);
export const kindOf = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);
export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `unknown field "a", "b"` for keys outside `allowed`, prefixed by where they are; nothing if none. */
export function unknownFields(value: Record<string, unknown>, allowed: readonly string[], where = ''): string[] {
  const unknown = Object.keys(value).filter((key) => !allowed.includes(key));
  return unknown.length === 0
    ? []
    : [`${where ? `${where}: ` : ''}unknown field ${unknown.map((key) => `"${key}"`).join(', ')}`];
}

export function notAnObject(value: unknown, where = 'input'): string {
  return `${where}: Invalid input: expected object, received ${kindOf(value)}, got ${shown(value)}`;
}
