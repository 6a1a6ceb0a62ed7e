/**
 * Whether `value` is a JSON object: not null, not an array (which `typeof` calls an object too).
 * The one test for it: chunks, server error bodies, redacted copies.
 * @internal
 */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
