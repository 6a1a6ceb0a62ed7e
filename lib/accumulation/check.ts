/*
 * What every level of the merge shares: a known field is absent (`undefined`), `null` (no news)
 * or of its type; anything else throws an `InvalidChunkError` naming it. Paths are built only when
 * throwing, so checking costs a `typeof` per field.
 */
import { InvalidChunkError } from '../errors.js';
import { choicePath } from '../protocol/chunkShape.js';
import type { JsonObject } from './fields.js';

/** Throws the `InvalidChunkError` of a field: where it is, what it must be, what it was. */
export function fail(path: string, value: unknown, expected: string): never {
  throw new InvalidChunkError(path, value, expected);
}

/** The keys of `record`, counted (`for…in`: no array is built). */
export function keyCount(record: JsonObject): number {
  let keys = 0;
  for (const _ in record) keys++;
  return keys;
}

/** The path of a tool call in an error message. */
export function toolCallPath(position: number, i: number): string {
  return `${choicePath(position)}.delta.tool_calls[${i}]`;
}
