/*
 * Reading the generated text of chunks, by the rules the merge and `contentDeltas()` follow: the
 * shared part of `streamMetrics()` and `stopWhen()`. Not exported from the package.
 */
import * as chunkShape from '../protocol/chunkShape.js';
import { InvalidChunkError } from '../errors.js';
import * as json from '../json.js';

const { choicePath, entryIndex, REASONING_FIELDS } = chunkShape;
const { isObject } = json;

/** The fields of a `delta` whose strings are generated text: `content`, `refusal`, reasoning text. @internal */
export const TEXT_FIELDS: readonly string[] = ['content', 'refusal', ...REASONING_FIELDS];
const TEXT: ReadonlySet<string> = new Set(TEXT_FIELDS);

/** What `readChunk` reports, choice by choice. @internal */
export interface ChunkVisitor {
  /** A choice entry (`position` in `choices`), before its fields. */
  choice?(index: number, position: number): void;
  /** A non-empty string of a text field of the entry's `delta`. */
  text?(index: number, field: string, text: string, position: number): void;
  /** The entry's `delta` carries tool-call (or legacy function-call) deltas. */
  toolCall?(index: number): void;
  /** The entry's `finish_reason` (a non-empty string). */
  finish?(index: number, reason: string): void;
}

/**
 * Reads a chunk: `chunk` must be an object; `choices` an array (or absent: the usage chunk);
 * each choice an object with a valid `index` (none: its position); `delta` an object or absent;
 * its text fields strings or null; `tool_calls` an array or null; `function_call` an object or
 * null; `finish_reason` a string or null. Anything else throws an `InvalidChunkError` naming the
 * field, as `contentDeltas()` and the merge do.
 * @internal
 */
export function readChunk(chunk: unknown, visitor: ChunkVisitor): Record<string, unknown> {
  if (!isObject(chunk)) throw new InvalidChunkError('chunk', chunk, 'an object');
  const choices = chunk['choices'];
  if (choices == null) return chunk;
  if (!Array.isArray(choices)) throw new InvalidChunkError('chunk.choices', choices, 'an array');
  for (let position = 0; position < choices.length; position++) {
    const choice: unknown = choices[position];
    if (!isObject(choice)) throw new InvalidChunkError(choicePath(position), choice, 'an object');
    const index = entryIndex(choice['index'], position);
    if (index < 0) throw new InvalidChunkError(`${choicePath(position)}.index`, choice['index'], 'a non-negative integer');
    visitor.choice?.(index, position);
    const delta = choice['delta'];
    if (delta != null) {
      if (!isObject(delta)) throw new InvalidChunkError(`${choicePath(position)}.delta`, delta, 'an object');
      // Key by key: a delta has one or two keys, and most fields are none of these.
      for (const field in delta) {
        const value = delta[field];
        if (TEXT.has(field)) {
          if (typeof value === 'string') {
            if (value.length > 0) visitor.text?.(index, field, value, position);
          } else if (value != null) {
            throw new InvalidChunkError(`${choicePath(position)}.delta.${field}`, value, 'a string');
          }
        } else if (field === 'tool_calls') {
          if (value == null) continue;
          if (!Array.isArray(value)) throw new InvalidChunkError(`${choicePath(position)}.delta.tool_calls`, value, 'an array');
          if (value.length > 0) visitor.toolCall?.(index);
        } else if (field === 'function_call') {
          if (value == null) continue;
          if (!isObject(value)) throw new InvalidChunkError(`${choicePath(position)}.delta.function_call`, value, 'an object');
          visitor.toolCall?.(index);
        }
      }
    }
    const reason = choice['finish_reason'];
    if (typeof reason === 'string') {
      if (reason !== '') visitor.finish?.(index, reason);
    } else if (reason != null) {
      throw new InvalidChunkError(`${choicePath(position)}.finish_reason`, reason, 'a string');
    }
  }
  return chunk;
}

/**
 * The `usage.completion_tokens` a chunk reports, if any: `usage` must be an object or null, and
 * its `completion_tokens` a whole number of tokens when present (else an `InvalidChunkError`).
 * @internal
 */
export function reportedCompletionTokens(chunk: Record<string, unknown>): number | undefined {
  const usage = chunk['usage'];
  if (usage == null) return undefined;
  if (!isObject(usage)) throw new InvalidChunkError('chunk.usage', usage, 'an object');
  const tokens = usage['completion_tokens'];
  if (tokens === undefined) return undefined;
  if (typeof tokens !== 'number' || !Number.isSafeInteger(tokens) || tokens < 0) {
    throw new InvalidChunkError('chunk.usage.completion_tokens', tokens, 'a whole number of tokens');
  }
  return tokens;
}

/** The chunk's `model` when it is a non-empty string. @internal */
export function modelOf(chunk: Record<string, unknown>): string | undefined {
  const model = chunk['model'];
  return typeof model === 'string' && model !== '' ? model : undefined;
}
