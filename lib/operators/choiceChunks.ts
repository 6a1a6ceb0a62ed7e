/*
 * How `choice()` and `choices()` take a chunk apart: its choice entries by `index` (read by the
 * merge's rules: an entry without `index` is the one at its position), and the chunk of one
 * choice (the same fields, only that choice's entries, each with its `index`). Not exported from
 * the package.
 */
import { InvalidChunkError, type StreamAPIError } from '../errors.js';
import { isObject } from '../json.js';
import { choicePath, entryIndex } from '../protocol/chunkShape.js';
import { serverErrorOf } from '../protocol/serverError.js';
import type { ChatCompletionChunk } from '../types.js';

/** One choice entry of a chunk. @internal */
export interface ChoiceEntry {
  readonly choice: Record<string, unknown>;
  /** Whether the entry carries its `index` (else it is its position). */
  readonly explicit: boolean;
  /** Whether it carries a `finish_reason` (a non-empty string). */
  readonly finished: boolean;
}

/**
 * The entries of `chunk.choices` by `index`, in the order the indexes first appear; `undefined`
 * for a chunk without choices (`choices` absent, `null` or `[]`: the usage chunk); or the error to
 * raise: an `InvalidChunkError` for what cannot be read (a chunk that is not an object, `choices`
 * that is not an array, an entry that is not an object, an invalid `index`, a `finish_reason`
 * that is not a string), the server's `StreamAPIError` for its error sent as a chunk.
 * @internal
 */
export function entriesByIndex(chunk: unknown): Map<number, ChoiceEntry[]> | undefined | InvalidChunkError | StreamAPIError {
  if (!isObject(chunk)) return new InvalidChunkError('chunk', chunk, 'an object');
  const choices = chunk['choices'];
  if (choices == null) return serverErrorOf(chunk);
  if (!Array.isArray(choices)) return new InvalidChunkError('chunk.choices', choices, 'an array');
  if (choices.length === 0) return undefined;
  const byIndex = new Map<number, ChoiceEntry[]>();
  for (let position = 0; position < choices.length; position++) {
    const choice: unknown = choices[position];
    if (!isObject(choice)) return new InvalidChunkError(choicePath(position), choice, 'an object');
    const raw = choice['index'];
    const index = entryIndex(raw, position);
    if (index < 0) return new InvalidChunkError(`${choicePath(position)}.index`, raw, 'a non-negative safe integer');
    const reason = choice['finish_reason'];
    if (reason != null && typeof reason !== 'string') return new InvalidChunkError(`${choicePath(position)}.finish_reason`, reason, 'a string');
    const entry: ChoiceEntry = { choice, explicit: raw != null, finished: typeof reason === 'string' && reason !== '' };
    const list = byIndex.get(index);
    if (list === undefined) byIndex.set(index, [entry]);
    else list.push(entry);
  }
  return byIndex;
}

/**
 * The chunk of one choice: `chunk` itself when it holds that choice alone (each entry with its
 * `index`), else a shallow copy whose `choices` are that choice's entries, an `index` added where
 * an entry had none. The chunk is never mutated.
 * @internal
 */
export function chunkOfChoice(chunk: ChatCompletionChunk, index: number, entries: readonly ChoiceEntry[]): ChatCompletionChunk {
  if (entries.length === chunk.choices.length && entries.every((entry) => entry.explicit)) return chunk;
  const choices = entries.map((entry) => (entry.explicit ? entry.choice : { ...entry.choice, index }));
  return { ...chunk, choices } as unknown as ChatCompletionChunk;
}

/** Whether one of the entries finishes its choice. @internal */
export function finishes(entries: readonly ChoiceEntry[]): boolean {
  for (const entry of entries) if (entry.finished) return true;
  return false;
}
