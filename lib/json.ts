/*
 * The small helpers everything shares, once: what a value is, and how to name it in a message.
 */

/**
 * Whether `value` is a JSON object: not null, not an array (which `typeof` calls an object too).
 * The one test for it: chunks, server error bodies, redacted copies.
 * @internal
 */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Whether `value` is an object of any kind, arrays included: what may hold fields (used where a
 * field is read defensively and an array simply has none of the fields asked for).
 * @internal
 */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/**
 * What a value is, for a message, never the value itself: `null`, `undefined`, `a number`,
 * `a string`, `an array`, `an object` (a plain one), or the class of any other object
 * (`a Uint16Array`, `a Map`). The one way the toolkit names a type in its errors.
 * @internal
 */
export function describeType(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'an array';
  const type = typeof value;
  if (type !== 'object') return `a ${type}`;
  let name: unknown;
  try {
    name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  } catch {
    name = undefined; // a proxy whose trap throws
  }
  if (typeof name !== 'string' || name === '' || name === 'Object') return 'an object';
  return `${/^[AEIOU]/.test(name) ? 'an' : 'a'} ${name}`;
}
