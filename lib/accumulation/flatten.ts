/**
 * Flattening the long strings of a finished completion, once.
 *
 * The merge grows `content`, `refusal`, tool-call `arguments` and the other concatenated strings
 * with `+=`, which is O(piece): V8 does not copy, it makes a rope (a "cons string", one node per
 * piece). A rope of a million 4-character pieces costs about 8 bytes of heap per character, where
 * the same text stored flat costs 1 (one-byte text) or 2. V8 flattens a rope when something needs
 * its characters in one run, and reading one character is such a thing: it copies the rope into
 * one flat string, O(n), and the rope's nodes become garbage. Measured on Node 20 with
 * `--expose-gc`, on a rope of 1M pieces (3.9M characters): `s.charCodeAt(0)`, `s[0]` and
 * `RegExp#test` flatten it (32 MB → 3.9 MB), in interpreted and in optimised code alike;
 * `s.concat()`, `s.slice(0)` and using it as a `Map` key do not, nor does `s.indexOf(…)` always.
 * Flattening is the engine's business, not the language's: this is a cheap hint that works on V8
 * and costs one character read elsewhere.
 * @internal
 */

/** Strings shorter than this are left alone: their rope, if any, is small. */
export const FLATTEN_MIN_LENGTH = 4096;

/** The last character read: kept so that no compiler drops the read as dead code. */
let lastRead = 0;

/**
 * Returns `value` unchanged, after making V8 store it flat when it is a long string (a rope built
 * by `+=` is copied once into one run of characters; a flat string costs one character read).
 * Anything else is returned as it is. Called at finalisation only, never per chunk.
 */
export function flatten<T>(value: T): T {
  if (typeof value === 'string' && value.length >= FLATTEN_MIN_LENGTH) lastRead = value.charCodeAt(0) ^ lastRead;
  return value;
}
