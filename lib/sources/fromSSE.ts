import { Observable, asyncScheduler, type SchedulerLike, type Subscriber } from 'rxjs';
import { IncompleteStreamError, InvalidInputError } from '../errors.js';
import { ChatChunkReader } from '../protocol/chunkReader.js';
import { SSEByteParser } from '../sse/byteParser.js';
import {
  cancelQuietly,
  isSuccess,
  pumpReader,
  readHTTPError,
  type ByteStreamLike,
  type ResponseLike,
} from '../http/response.js';
import type { ChatCompletionChunk } from '../types.js';
import { destroyQuietly, subscribeToIterable, type ValueSink } from './iterate.js';
import { connectionLost } from '../http/connection.js';

/**
 * What {@link fromSSE} reads: a fetch `Response`, a `ReadableStream` of bytes, an async iterable
 * of bytes or text (a Node stream, an `http.IncomingMessage`), or a function that starts the
 * request with the `AbortSignal` it is given (the cold, abortable form).
 */
export type SSEInput =
  | ResponseLike
  | ByteStreamLike
  | AsyncIterable<Uint8Array | string>
  | ((signal: AbortSignal) => PromiseLike<ResponseLike>);

/** Options of {@link fromSSE}. */
export interface FromSSEOptions {
  /**
   * Whether the body must end with `data: [DONE]` (default `true`). With `false`, a body that
   * ends without it completes normally when every choice seen got its `finish_reason`.
   */
  requireDone?: boolean;
  /**
   * Keep the text each chunk arrived as, so that a writer (`toSSE`, `pipeSSE`, `relay`) that gets
   * the chunk unchanged before the next one is parsed (through synchronous operators such as `map`,
   * `filter`, `tap`), writes that text instead of
   * `JSON.stringify`-ing it again (default `false`). Opt-in because a chunk changed in place on the
   * way (`tap((c) => { c.model = 'x'; })`) would be written as it came; a new object (`map`) never is.
   */
  keepText?: boolean;
  /** Aborting it errors the stream with the signal's reason and aborts the request. */
  signal?: AbortSignal;
}

/**
 * Creates an Observable of the chunks of a chat-completion stream read from server-sent events.
 *
 * <span class="informal">`fetch` the endpoint yourself (or hand over any byte stream) and get
 * the chunks, with no SDK: works in browsers, Node, Deno, workers.</span>
 *
 * ```
 * body:    --"data: {…a…}\n\nda"--"ta: {…b…}\n\n"--"data: [DONE]\n\n"--|
 *          fromSSE(response)  =  bytes → sseEvents() → chatChunks()
 * result:  --a--------------------b-------------------|
 * ```
 *
 * The input is recognised by its shape: a function is called, per subscription, with an
 * `AbortSignal` and must return (a promise of) a `Response`; an object with `status` and `body`
 * is a `Response`; one with `getReader` a `ReadableStream`; one with `Symbol.asyncIterator` an
 * async iterable. The factory form is truly cold: each subscription starts its own request.
 * A `Response` or `ReadableStream` can be read only once, so a second subscription to a
 * `fromSSE` made from one errors with an {@link InvalidInputError} (use the factory form to subscribe again).
 *
 * Unsubscribing stops at once, not at the next chunk: it cancels the body's reader and aborts the
 * factory's signal, so the HTTP connection closes now. An async iterable gets its iterator's
 * `return()` and, when it has a `destroy()` method (a Node `Readable`, an `http.IncomingMessage`),
 * `destroy()`, which closes a Node stream (and its socket) now too. A plain async iterable (an
 * async generator, say) has no such handle: `return()` waits for its pending `next()`, so it stops
 * at its next value at best; hand over the `Response`, the stream or the factory instead when the
 * connection must close at once. `options.signal` aborting errors the stream with the signal's
 * reason and aborts the same way.
 *
 * Errors:
 * - a non-2xx `Response` → {@link HTTPStatusError} with `status`, `statusText`, the API's `error`
 *   object (its `message` in the error's message; the body text, cut, when it is not JSON),
 *   `retryAfterMs` (from `retry-after-ms`, else `retry-after` in seconds or as an HTTP date,
 *   against the scheduler's clock) and `requestId` (`x-request-id`);
 * - a 2xx `Response` without a body → {@link IncompleteStreamError} (`reason: 'no-done'`);
 * - everything {@link sseEvents} and {@link chatChunks} raise (bad UTF-8, bad JSON, error
 *   events, a body that ends before `[DONE]`);
 * - a body that fails while it is read (the connection broke: undici's `TypeError: terminated`,
 *   a reset socket, an `http.IncomingMessage` whose peer hung up) → {@link IncompleteStreamError}
 *   with `reason: 'connection-lost'` and the original error as `cause` (so `toChatCompletion()`
 *   after it carries `partial`); an abort passes as it is;
 * - what the factory's `fetch` throws before a response (a network error) passes through unchanged;
 * - anything thrown while the pieces are parsed (a bug, an exotic piece) errors the stream with
 *   what was thrown, and stops reading, as every error above does.
 * No error carries a request header.
 *
 * ## Example
 * ```ts
 * import { fromSSE, contentDeltas } from 'rxjs-chat-stream';
 *
 * fromSSE((signal) =>
 *   fetch('https://api.openai.com/v1/chat/completions', {
 *     method: 'POST',
 *     headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
 *     body: JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'Say hi' }] }),
 *     signal,
 *   }),
 * )
 *   .pipe(contentDeltas())
 *   .subscribe((text) => process.stdout.write(text));
 * // Logs:
 * // Hi! How can I help you today?
 * ```
 *
 * @see {@link sseEvents}
 * @see {@link chatChunks}
 * @see {@link fromChatCompletion}
 *
 * @param input A `Response`, a `ReadableStream<Uint8Array>`, an `AsyncIterable<Uint8Array | string>`,
 * or `(signal) => Promise<Response>`.
 * @param options `requireDone` (default `true`) and `signal`.
 * @param scheduler The clock a `retry-after` date is measured against (default `asyncScheduler`).
 * @return A cold Observable that emits the chunks of the stream and completes at `data: [DONE]`.
 */
export function fromSSE(
  input: SSEInput,
  options: FromSSEOptions = {},
  scheduler: SchedulerLike = asyncScheduler,
): Observable<ChatCompletionChunk> {
  const { signal } = options;
  /** A Response or ReadableStream is read by the first subscription only. */
  let claimed = false;
  const claim = (subscriber: Subscriber<unknown>, what: string, used: boolean): boolean => {
    if (claimed || used) {
      subscriber.error(
        new InvalidInputError('fromSSE() input', input, `a ${what} not read before`, {
          detail:
            `a ${what} that has already been read (it can be read only once; ` +
            'pass a function `(signal) => fetch(…, { signal })` for a source you can subscribe to again)',
        }),
      );
      return false;
    }
    claimed = true;
    return true;
  };

  const bytes = new Observable<Uint8Array | string>((subscriber) => {
    if (typeof input === 'function') {
      return subscribeToFactory(input, subscriber, signal, scheduler);
    }
    if (isResponse(input)) {
      if (!claim(subscriber, 'Response', input.bodyUsed === true || input.body?.locked === true)) return;
      return withSignal(signal, subscriber, () => cancelResponse(input), () =>
        readResponse(input, subscriber, scheduler, () => undefined),
      );
    }
    if (isByteStream(input)) {
      if (!claim(subscriber, 'ReadableStream', input.locked === true)) return;
      return withSignal(signal, subscriber, () => cancelStream(input), () =>
        pumpReader(input.getReader(), subscriber, () => undefined),
      );
    }
    if (isAsyncIterable(input)) {
      // The teardown calls `return()`, then `destroy()` when the input has one (a Node stream).
      // A failed read is a connection lost mid-body, as for a Response (see `pumpReader`).
      const body: ValueSink<Uint8Array | string> = {
        get closed() {
          return subscriber.closed;
        },
        next: (piece) => subscriber.next(piece),
        error: (error) => subscriber.error(connectionLost(error, true)),
        complete: () => subscriber.complete(),
      };
      return withSignal(signal, subscriber, () => destroyQuietly(input), () => subscribeToIterable(input, body));
    }
    subscriber.error(
      new InvalidInputError(
        'fromSSE() input',
        input,
        'a Response, a ReadableStream, an AsyncIterable or a function (signal) => Promise<Response>',
      ),
    );
    return;
  });

  const requireDone = options.requireDone ?? true;
  const keepText = options.keepText ?? false;
  // bytes → sseEvents() → chatChunks(), fused: the same parser and chunk reader those two
  // operators use, called directly, with no event objects and no subscriber between the stages.
  // Both catch what is thrown while they read and error the subscriber with it, which
  // unsubscribes from `bytes` and so stops the input.
  return new Observable<ChatCompletionChunk>((subscriber) => {
    const chunks = new ChatChunkReader(subscriber, requireDone, keepText);
    const events = new SSEByteParser(subscriber, (type, data) => chunks.event(type, data));
    return bytes.subscribe({
      next(piece) {
        events.next(piece);
      },
      error(error: unknown) {
        subscriber.error(error);
      },
      complete() {
        if (events.end()) chunks.end();
      },
    });
  });
}

/**
 * Runs `start` unless `signal` is already aborted, and errors the subscriber with the signal's
 * reason when it aborts later. `cancel` releases the input when `start` never runs.
 */
function withSignal(
  signal: AbortSignal | undefined,
  subscriber: Subscriber<Uint8Array | string>,
  cancel: () => void,
  start: () => () => void,
): () => void {
  if (signal?.aborted) {
    cancel();
    subscriber.error(abortReason(signal));
    return () => undefined;
  }
  // Erroring the subscriber runs the teardown below, which stops reading.
  const onAbort = (): void => subscriber.error(abortReason(signal as AbortSignal));
  signal?.addEventListener('abort', onAbort, { once: true });
  const stop = start();
  return () => {
    signal?.removeEventListener('abort', onAbort);
    stop();
  };
}

function subscribeToFactory(
  factory: (signal: AbortSignal) => PromiseLike<ResponseLike>,
  subscriber: Subscriber<Uint8Array | string>,
  signal: AbortSignal | undefined,
  scheduler: SchedulerLike,
): () => void {
  if (signal?.aborted) {
    subscriber.error(abortReason(signal));
    return () => undefined;
  }
  const controller = new AbortController();
  /** Set once the body was read to its end: nothing left to abort. */
  let ended = false;
  let stopBody: (() => void) | undefined;
  const onAbort = (): void => {
    const reason = abortReason(signal as AbortSignal);
    stopBody?.();
    controller.abort(reason);
    subscriber.error(reason);
  };
  signal?.addEventListener('abort', onAbort, { once: true });

  let request: PromiseLike<ResponseLike>;
  try {
    request = factory(controller.signal);
  } catch (error) {
    subscriber.error(error);
    return () => signal?.removeEventListener('abort', onAbort);
  }
  Promise.resolve(request).then(
    (response) => {
      if (subscriber.closed) {
        if (response && typeof response === 'object') cancelResponse(response);
        return;
      }
      if (!isResponse(response)) {
        subscriber.error(new InvalidInputError('fromSSE() factory result', response, 'a Response'));
        return;
      }
      stopBody = readResponse(response, subscriber, scheduler, () => {
        ended = true;
      });
    },
    (error: unknown) => {
      // A network error, or the abort this subscription caused (then nobody listens).
      if (!subscriber.closed) subscriber.error(error);
    },
  );

  return () => {
    signal?.removeEventListener('abort', onAbort);
    stopBody?.();
    if (!ended && !controller.signal.aborted) controller.abort();
  };
}

/**
 * Reads a Response into the subscriber: its body when 2xx, else an `HTTPStatusError`. Returns
 * the teardown (cancels the body at once).
 */
function readResponse(
  response: ResponseLike,
  subscriber: Subscriber<Uint8Array | string>,
  scheduler: SchedulerLike,
  onEnd: () => void,
): () => void {
  if (!isSuccess(response.status)) {
    const { error, cancel } = readHTTPError(response, scheduler);
    error.then(
      (httpError) => {
        onEnd();
        if (!subscriber.closed) subscriber.error(httpError);
      },
      (failure: unknown) => {
        if (!subscriber.closed) subscriber.error(failure);
      },
    );
    return cancel;
  }
  if (!response.body) {
    onEnd();
    const status = `${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
    subscriber.error(
      new IncompleteStreamError(`fromSSE: the response (${status}) has no body to read events from`, {
        reason: 'no-done',
      }),
    );
    return () => undefined;
  }
  return pumpReader(response.body.getReader(), subscriber, onEnd);
}

function cancelResponse(response: ResponseLike): void {
  if (response.body && response.body.locked !== true) cancelStream(response.body);
}

function cancelStream(stream: ByteStreamLike): void {
  const cancellable = stream as ByteStreamLike & { cancel?: (reason?: unknown) => PromiseLike<unknown> };
  if (typeof cancellable.cancel === 'function' && stream.locked !== true) {
    cancelQuietly(cancellable as { cancel(reason?: unknown): PromiseLike<unknown> });
  }
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

function isResponse(value: unknown): value is ResponseLike {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { status?: unknown }).status === 'number' &&
    'body' in value
  );
}

function isByteStream(value: unknown): value is ByteStreamLike {
  return typeof value === 'object' && value !== null && typeof (value as ByteStreamLike).getReader === 'function';
}

function isAsyncIterable(value: unknown): value is AsyncIterable<Uint8Array | string> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function'
  );
}
