/** A JSON object as it came from the stream. @internal */
export type JsonObject = Record<string, unknown>;

/**
 * Fields the accumulator does not interpret (`service_tier`, `moderation`, `prompt_filter_results`,
 * `content_filter_results`, provider extensions), kept in a `Map`: fast for the handful of keys a
 * chunk carries, and a key such as `__proto__` in the JSON stays an ordinary key.
 * @internal
 */
export type Fields = Map<string, unknown>;

/** A new, empty field store. */
export function newFields(): Fields {
  return new Map<string, unknown>();
}

/**
 * Writes `value` under `key` by the merge's rule for fields it does not interpret: the last
 * non-empty write wins; `null` and `""` only record the key when nothing was there yet (so a later
 * `null` never clears what came, yet a field that only ever came as `null` is still present).
 * `undefined` is ignored. Returns whether `target` changed.
 */
export function writeField(target: Fields, key: string, value: unknown): boolean {
  if (value === undefined) return false;
  if (value === null || value === '') {
    if (target.has(key)) return false;
    target.set(key, value);
    return true;
  }
  if (target.get(key) === value) return false;
  target.set(key, value);
  return true;
}

/** Copies the entries of `source` onto the plain object `target` (safely for `__proto__`). */
export function copyFields(target: object, source: Fields): void {
  for (const [key, value] of source) {
    if (key === '__proto__') {
      Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
    } else {
      (target as JsonObject)[key] = value;
    }
  }
}
