/*
 * How the text operators (`contentDeltas()`, `reasoningDeltas()`) read a chunk: the deltas of the
 * one choice they follow, found by the merge's rules (`entryIndex`: a choice without `index` is
 * the one at its position), and what they cannot read named as an `InvalidChunkError`. Not
 * exported from the package.
 */
import { InvalidChunkError, InvalidInputError, type StreamAPIError } from '../errors.js';
import { isObject } from '../json.js';
import { choicePath, entryIndex } from '../protocol/chunkShape.js';
import { serverErrorOf } from '../protocol/serverError.js';

/**
 * Called with each `delta` of the followed choice and its position in `choices`. Returns an error
 * to raise (reading stops), `false` to stop reading (the subscriber left), anything else to go on.
 * @internal
 */
export type DeltaVisitor = (delta: Record<string, unknown>, position: number) => InvalidChunkError | boolean | void;

/**
 * Visits the deltas of the choice with `index` `choiceIndex` in `chunk`, in order (a chunk may
 * carry two entries for one choice). Returns the error to raise, if any: an `InvalidChunkError`
 * for a chunk that is not an object, `choices` that is not an array, a choice that is not an
 * object or has an invalid `index`, a followed choice whose `delta` is not an object (none, as in
 * Azure's filter-only choices, is no delta); the server's `StreamAPIError` for its error sent as a
 * chunk; or the visitor's. Choices not followed are not looked into beyond their `index`.
 * @internal
 */
export function visitDeltas(chunk: unknown, choiceIndex: number, visit: DeltaVisitor): InvalidChunkError | StreamAPIError | undefined {
  if (!isObject(chunk)) return new InvalidChunkError('chunk', chunk, 'an object');
  const choices = chunk['choices'];
  // No choices: a usage chunk, or the server's error (which never passes as a chunk).
  if (choices == null) return serverErrorOf(chunk);
  if (!Array.isArray(choices)) return new InvalidChunkError('chunk.choices', choices, 'an array');
  for (let position = 0; position < choices.length; position++) {
    const choice: unknown = choices[position];
    if (!isObject(choice)) return new InvalidChunkError(choicePath(position), choice, 'an object');
    const index = entryIndex(choice['index'], position);
    if (index < 0) return new InvalidChunkError(`${choicePath(position)}.index`, choice['index'], 'a non-negative safe integer');
    if (index !== choiceIndex) continue;
    const delta = choice['delta'];
    if (delta == null) continue; // Azure's filter-only choices have no delta
    if (!isObject(delta)) return new InvalidChunkError(`${choicePath(position)}.delta`, delta, 'an object');
    const result = visit(delta, position);
    if (result instanceof InvalidChunkError) return result;
    if (result === false) return undefined;
  }
  return undefined;
}

/**
 * A text field of a followed delta: the string, `undefined` for none (absent or `null`), or the
 * `InvalidChunkError` naming it when it is not text.
 * @internal
 */
export function deltaText(delta: Record<string, unknown>, field: string, position: number): string | undefined | InvalidChunkError {
  const value = delta[field];
  if (typeof value === 'string') return value;
  if (value == null) return undefined;
  return new InvalidChunkError(`${choicePath(position)}.delta.${field}`, value, 'a string');
}

/**
 * Checks a text operator's arguments: the choice `index` to follow and `{ thinkTags }`; an
 * `InvalidInputError` naming what is wrong.
 * @internal
 */
export function checkTextArguments(operator: string, choiceIndex: unknown, options: unknown): { thinkTags: boolean } {
  if (typeof choiceIndex !== 'number' || !Number.isSafeInteger(choiceIndex) || choiceIndex < 0) {
    throw new InvalidInputError(`${operator} choiceIndex`, choiceIndex, 'a non-negative safe integer', typeof choiceIndex === 'number' ? { detail: String(choiceIndex) } : {});
  }
  if (!isObject(options)) throw new InvalidInputError(`${operator} options`, options, 'an object');
  const thinkTags = options['thinkTags'];
  if (thinkTags !== undefined && typeof thinkTags !== 'boolean') throw new InvalidInputError(`${operator} options.thinkTags`, thinkTags, 'a boolean');
  return { thinkTags: thinkTags === true };
}
