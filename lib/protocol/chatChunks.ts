import { Observable, type OperatorFunction } from 'rxjs';
import type { ChatCompletionChunk, ServerSentEvent } from '../types.js';
// The error classes are imported for the {@link}s of the documentation.
import type { IncompleteStreamError, SSEParseError, StreamAPIError } from '../errors.js';
import { ChatChunkReader } from './chunkReader.js';

/** Options of {@link chatChunks}. */
export interface ChatChunksOptions {
  /**
   * Whether the stream must end with `data: [DONE]` (default `true`). With `false`, a stream that
   * ends without it still completes normally when every choice seen got its `finish_reason`
   * (for servers that never send `[DONE]`); otherwise it errors as with `true`.
   */
  requireDone?: boolean;
  /**
   * Keep the text each chunk arrived as, for a writer that passes it on unchanged (see
   * `fromSSE`'s `keepText`; default `false`).
   */
  keepText?: boolean;
}

/**
 * Turns the server-sent events of a chat-completion stream into its chunks, ending at `[DONE]`.
 *
 * <span class="informal">Parses each event's JSON, raises the errors the server sends in the
 * stream, and checks that the stream really ended.</span>
 *
 * ```
 * source:  --a--b--e--D--x--|     a, b = chunk events   e = an event of another type
 *          chatChunks()            D = data: [DONE]      x = anything after [DONE]
 * result:  --A--B-----|           A, B = the parsed chunks
 *
 * source:  --a--E                  E = event: error (or data: {"error": {…}})
 * result:  --A--#                  # = StreamAPIError
 *
 * source:  --a--b--|               ends without [DONE]
 * result:  --A--B--#               # = IncompleteStreamError (reason 'no-done')
 * ```
 *
 * Each `message` event's data is parsed as JSON and emitted as a `ChatCompletionChunk`. Data that
 * is exactly `[DONE]` completes the output and unsubscribes from the source (so the HTTP body
 * is cancelled and anything after it is never read).
 *
 * Errors: an `error` event, a data object with an `error` field that is not `null` (an empty
 * string too), or vLLM's `{ "object": "error", "message": …, "code": … }`, errors with
 * {@link StreamAPIError} carrying the server's `message`, `type`, `code` and `param`. Data that
 * is not JSON errors with {@link SSEParseError} (`reason: 'invalid-json'`), JSON that is not an
 * object with `reason: 'not-an-object'`. A source that completes before `[DONE]` errors with
 * {@link IncompleteStreamError} (`reason: 'no-done'`), unless `requireDone: false` and at least
 * one choice came and every choice that came got a `finish_reason`. A source value that is not
 * an event (`{ event, data }` with string `data`; a missing `event` reads as `'message'`) errors
 * with an `InvalidInputError`, and anything thrown while an event is read errors the output with what was
 * thrown; either way the source is unsubscribed. Errors of the source pass through unchanged.
 *
 * Ignored: events of types other than `message` and `error` (`event: ping`, …) and `message`
 * events whose data is empty (`data:` alone). An `error` event is never ignored, even empty.
 *
 * ## Example
 * ```ts
 * import { chatChunks, sseEvents } from 'rxjs-chat-stream';
 * import { of } from 'rxjs';
 *
 * of(
 *   'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m",',
 *   '"choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}\n\n',
 *   'data: [DONE]\n\n',
 * )
 *   .pipe(sseEvents(), chatChunks())
 *   .subscribe((chunk) => console.log(chunk.choices[0]?.delta.content));
 * // Logs:
 * // Hi
 * ```
 *
 * @see {@link sseEvents}
 * @see {@link fromSSE}
 *
 * @param options `requireDone` (default `true`): whether a stream without `data: [DONE]` is an error
 * even when every choice finished.
 * @return A function that returns an Observable that emits the chunks of the stream and completes
 * at `[DONE]`.
 */
export function chatChunks(
  options: ChatChunksOptions = {},
): OperatorFunction<ServerSentEvent, ChatCompletionChunk> {
  const requireDone = options.requireDone ?? true;
  const keepText = options.keepText ?? false;
  return (source) =>
    new Observable<ChatCompletionChunk>((subscriber) => {
      const reader = new ChatChunkReader(subscriber, requireDone, keepText);
      return source.subscribe({
        next(event) {
          reader.serverSentEvent(event);
        },
        error(error: unknown) {
          subscriber.error(error);
        },
        complete() {
          reader.end();
        },
      });
    });
}
