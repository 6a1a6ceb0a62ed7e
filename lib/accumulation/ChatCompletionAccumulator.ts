import type { ChatCompletion, ChatCompletionChunk, ChatCompletionSnapshot, CompletionUsage } from '../types.js';
import { finalise, type IncompleteMarker } from './finalise.js';
import { mergeChunk } from './merge.js';
import { buildSnapshot } from './snapshot.js';
import { newCompletionState, type ChoiceState, type CompletionState, type ToolCallPieceListener } from './state.js';

/**
 * Merges the chunks of one chat-completion stream: `push` each chunk, read `snapshot()` at any time,
 * `toChatCompletion()` at the end. Used by `accumulate`, `toChatCompletion`, `usage` and the local
 * server; not part of the public API.
 *
 * The parts, each in its own module (docs/architecture.md walks a chunk through them):
 * - `state.ts`: the mutable state (records, strings grown by `+=`, append-only lists) and the marks
 *   of what changed;
 * - `merge.ts`: THE merge, one function per level, each rule of docs/accumulation.md once;
 * - `snapshot.ts`: immutable snapshots that rebuild only what changed and share the rest;
 * - `finalise.ts`: the finished `ChatCompletion`, built once.
 * @internal
 */
export class ChatCompletionAccumulator {
  readonly #state: CompletionState = newCompletionState();

  /** How many chunks were merged. */
  get chunkCount(): number {
    return this.#state.chunkCount;
  }

  /** The last non-null `usage` seen, if any. */
  get usage(): CompletionUsage | undefined {
    return this.#state.usage;
  }

  /** Whether any chunk was merged. */
  hasOutput(): boolean {
    return this.#state.chunkCount > 0;
  }

  /**
   * The merge's own state of the choice with `index` (its tool calls in `toolCalls.items`, sorted
   * by index, and its `finishReason`), or `undefined` while no chunk brought that choice. For
   * `toolCalls()`, which watches calls complete without building a snapshot per chunk. O(1) for
   * the usual indexes. Read it, never write it: it is the merge's working state.
   */
  choiceState(index: number): Readonly<ChoiceState> | undefined {
    return this.#state.choices.find(index);
  }

  /**
   * Listens to each piece the merge appends to a tool call (a function's `arguments`, a custom
   * call's `input`), with its choice and call states, as it is merged: what `toolCallArguments()`
   * feeds its parsers with, without reading a growing string again. One listener; `undefined`
   * removes it.
   */
  onToolCallPiece(listener: ToolCallPieceListener | undefined): void {
    this.#state.onToolCallPiece = listener;
  }

  /**
   * Merges one chunk. O(size of the chunk). Throws an `InvalidChunkError` naming the field when the
   * chunk is not shaped like a chat-completion chunk (a known field of the wrong type), and the
   * server's `StreamAPIError` when it is the server's error rather than a chunk (nothing of it merged).
   */
  push(chunk: ChatCompletionChunk): void {
    mergeChunk(this.#state, chunk);
  }

  /**
   * What the stream has said so far, as an immutable snapshot. Returns the previous snapshot
   * object when nothing changed since; otherwise a new one that shares every unchanged part with
   * the previous one. Earlier snapshots never change.
   */
  snapshot(): ChatCompletionSnapshot {
    return buildSnapshot(this.#state);
  }

  /**
   * The finished `ChatCompletion`: the shape a non-streamed request returns. Does not change the
   * state (more chunks may be pushed and this called again).
   * `lenient`: a choice without `finish_reason` finishes with `finish_reason: null`, and the
   * completion carries `incomplete` to say so.
   * @throws IncompleteStreamError `no-chunks` when no chunk was merged; `unfinished-choice`, with
   * `partial`, when a choice has no `finish_reason` (unless `lenient`).
   */
  toChatCompletion(lenient = false): ChatCompletion & { incomplete?: IncompleteMarker } {
    return finalise(this.#state, lenient);
  }
}
