import { Observable } from 'rxjs';
import type { ChatCompletionChunk } from '../types.js';
import { chunkSink } from './chunkSink.js';
import { subscribeToIterable } from './iterate.js';

/**
 * An iterable of chunks, optionally with the `AbortController` that feeds it (as the SDK's
 * `Stream` has) or a `destroy()` method (as a Node `Readable` in object mode has).
 */
export type ChunkIterable<T = ChatCompletionChunk> = (AsyncIterable<T> | Iterable<T>) & {
  controller?: { abort(reason?: unknown): void };
  destroy?: () => unknown;
};

/**
 * Creates a cold Observable of the chunks of any async or sync iterable.
 *
 * <span class="informal">Wraps an SDK `Stream`, an async generator or an array of chunks, and stops
 * it when you unsubscribe.</span>
 *
 * ```
 * iterable:  [a, b, c]   (or an async iterable yielding a, b, c over time)
 * fromChunks(iterable)
 * result:    --a--b--c|
 * ```
 *
 * Each subscription asks the iterable for a new iterator. Unsubscribing calls the iterator's
 * `return()` and, unless the stream had ended, aborts the iterable's `controller` when it carries
 * one (the `openai` SDK's `Stream` does) and calls its `destroy()` when it has one (a Node
 * `Readable` in object mode), so the HTTP request behind it closes now rather than when the next
 * chunk arrives. A plain async iterable (an async generator) has neither: its `return()` waits
 * for the pending `next()`, so it stops at its next value at best. An SDK `Stream` can be
 * iterated only once: a second subscription to the same stream
 * errors with the SDK's own error. For a source that starts a fresh request per subscription, use
 * `fromChatCompletion` or `defer(() => fromChunks(await create()))`.
 *
 * Errors thrown by the iterator (the SDK's `APIError`, an abort) pass through with their class
 * and fields, their `message`, `stack` and `error` redacted in place (see
 * {@link fromChatCompletion}). A value that is the server's error rather than a chunk (`{ error: …
 * }`, vLLM's `{ "object": "error", … }`) errors with a `StreamAPIError`, and a connection that
 * breaks mid-stream with an `IncompleteStreamError` (`reason: 'connection-lost'`), as in `fromSSE`.
 *
 * ## Example
 * ```ts
 * import { fromChunks, contentDeltas } from 'rxjs-chat-stream';
 * import OpenAI from 'openai';
 *
 * const client = new OpenAI();
 * const stream = await client.chat.completions.create({
 *   model: 'gpt-4o-mini',
 *   messages: [{ role: 'user', content: 'Say hi' }],
 *   stream: true,
 * });
 * fromChunks(stream).pipe(contentDeltas()).subscribe((text) => process.stdout.write(text));
 * // Logs:
 * // Hi! How can I help you today?
 * ```
 *
 * @see {@link fromChatCompletion}
 * @see {@link fromSSE}
 *
 * @param iterable Any `AsyncIterable` or `Iterable` of chunks; its `controller`, when present, is
 * aborted, and its `destroy()`, when present, called on unsubscribe.
 * @return A cold Observable that emits each chunk the iterable yields, then completes.
 */
export function fromChunks<T = ChatCompletionChunk>(iterable: ChunkIterable<T>): Observable<T> {
  return new Observable<T>((subscriber) => {
    // The teardown calls `return()`, then `destroy()` when the iterable has one (a Node stream).
    const stop = subscribeToIterable(iterable, chunkSink(subscriber));
    return () => {
      if (stop()) iterable.controller?.abort();
    };
  });
}
