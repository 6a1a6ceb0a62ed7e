import { Observable, type OperatorFunction } from 'rxjs';
import {
  IncompleteStreamError,
  SSEParseError,
  StreamAPIError,
  type APIErrorBody,
} from '../errors.js';
import type { ChatCompletionChunk, ServerSentEvent } from '../types.js';

/** Options of {@link chatChunks}. */
export interface ChatChunksOptions {
  /**
   * Whether the stream must end with `data: [DONE]` (default `true`). With `false`, a stream that
   * ends without it still completes normally when every choice seen got its `finish_reason`
   * (for servers that never send `[DONE]`); otherwise it errors as with `true`.
   */
  requireDone?: boolean;
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
 * Errors: an `error` event, or a data object with an `error` field, errors with
 * {@link StreamAPIError} carrying the server's `message`, `type`, `code` and `param`. Data that
 * is not JSON errors with {@link SSEParseError} (`reason: 'invalid-json'`), JSON that is not an
 * object with `reason: 'not-an-object'`. A source that completes before `[DONE]` errors with
 * {@link IncompleteStreamError} (`reason: 'no-done'`), unless `requireDone: false` and at least
 * one choice came and every choice that came got a `finish_reason`. Errors of the source pass
 * through unchanged.
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
  return (source) =>
    new Observable<ChatCompletionChunk>((subscriber) => {
      let events = 0;
      /** Choice index → whether it got a finish_reason (only tracked when `requireDone` is off). */
      const choices = new Map<number, boolean>();

      return source.subscribe({
        next(event) {
          if (subscriber.closed) return;
          events += 1;
          const { data } = event;
          if (event.event === 'error') {
            subscriber.error(new StreamAPIError(errorEventBody(data)));
            return;
          }
          if (event.event !== 'message' || data === '') return;
          if (data === '[DONE]') {
            subscriber.complete();
            return;
          }
          let value: unknown;
          try {
            value = JSON.parse(data);
          } catch (cause) {
            subscriber.error(
              new SSEParseError(`An event's data is not valid JSON: ${(cause as Error).message}`, {
                reason: 'invalid-json',
                data,
                cause,
              }),
            );
            return;
          }
          if (value === null || typeof value !== 'object' || Array.isArray(value)) {
            const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
            subscriber.error(
              new SSEParseError(`An event's data is JSON but not an object (got ${got})`, {
                reason: 'not-an-object',
                data,
              }),
            );
            return;
          }
          const error = (value as { error?: unknown }).error;
          if (error) {
            subscriber.error(new StreamAPIError(toErrorBody(error)));
            return;
          }
          const chunk = value as ChatCompletionChunk;
          if (!requireDone && Array.isArray(chunk.choices)) {
            for (const choice of chunk.choices as unknown[]) {
              const { index, finish_reason } = (choice ?? {}) as {
                index?: unknown;
                finish_reason?: unknown;
              };
              if (typeof index !== 'number') continue;
              if (finish_reason != null) choices.set(index, true);
              else if (!choices.has(index)) choices.set(index, false);
            }
          }
          subscriber.next(chunk);
        },
        error(error: unknown) {
          subscriber.error(error);
        },
        complete() {
          if (subscriber.closed) return;
          if (!requireDone && choices.size > 0 && [...choices.values()].every(Boolean)) {
            subscriber.complete();
            return;
          }
          subscriber.error(
            new IncompleteStreamError(incompleteMessage(events, requireDone, choices), {
              reason: 'no-done',
            }),
          );
        },
      });
    });
}

function incompleteMessage(events: number, requireDone: boolean, choices: Map<number, boolean>): string {
  const base = 'The stream ended before `data: [DONE]`';
  if (events === 0) {
    return `${base}, without a single event (is the body a text/event-stream? was \`stream: true\` sent?)`;
  }
  if (requireDone) return base;
  if (choices.size === 0) return `${base}, and no choice came`;
  const open = [...choices].filter(([, finished]) => !finished).map(([index]) => index);
  return `${base}, and choice ${open.join(', ')} had no finish_reason`;
}

/** The error object of an `event: error`: its data as JSON when it is, else as the message. */
function errorEventBody(data: string): APIErrorBody | string {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return data === '' ? 'The server sent an error event' : data;
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const inner = (value as { error?: unknown }).error;
    return inner ? toErrorBody(inner) : (value as APIErrorBody);
  }
  return data;
}

/** The `error` field of a data object, as a `StreamAPIError` takes it. */
function toErrorBody(error: unknown): APIErrorBody | string {
  if (typeof error === 'string') return error;
  if (typeof error === 'object' && error !== null && !Array.isArray(error)) return error as APIErrorBody;
  return { message: `The server reported an error: ${JSON.stringify(error)}` };
}
