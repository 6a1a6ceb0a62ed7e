import { Observable } from 'rxjs';
import type { ChatCompletionChunk, ChatCompletionCreateParamsStreaming } from '../types.js';
// The error classes are imported for the {@link}s of the documentation.
import type { IncompleteStreamError, StreamAPIError } from '../errors.js';
import { redactErrorInPlace } from '../redact.js';
import { chunkSink } from './chunkSink.js';
import { subscribeToIterable } from './iterate.js';

/** The request options a client's `create` takes; `signal` is always set by the source. */
export interface ChatRequestOptions {
  /** `undefined` too, as in the SDK's `RequestOptions`: under `exactOptionalPropertyTypes` its clients fit only so. */
  signal?: AbortSignal | null | undefined;
  headers?: unknown;
  timeout?: number;
  maxRetries?: number;
  [key: string]: unknown;
}

/** What `create` resolves to for a streamed request: an async iterable of chunks (the SDK's `Stream`). */
export type ChatCompletionStreamLike = AsyncIterable<ChatCompletionChunk> & {
  controller?: { abort(reason?: unknown): void };
};

/**
 * Anything shaped like an `openai` client: `OpenAI`, `AzureOpenAI`, or a compatible SDK whose
 * `chat.completions.create(params, options)` returns (a promise of) an async iterable of chunks
 * when `stream: true`.
 */
export interface ChatCompletionsClient<P = ChatCompletionCreateParamsStreaming> {
  chat: {
    completions: {
      create(body: P, options?: ChatRequestOptions): PromiseLike<ChatCompletionStreamLike>;
    };
  };
}

/** The request params without `stream`, which the source sets to `true` itself. */
export type StreamingParams<P> = Omit<P, 'stream'> & { stream?: true };

/** Options of {@link fromChatCompletion}. */
export interface FromChatCompletionOptions {
  /** Aborts the request; the Observable then errors with the SDK's abort error. */
  signal?: AbortSignal;
  /** Passed through to `create` (headers, timeout, maxRetries, …); its `signal` is honoured too. */
  requestOptions?: ChatRequestOptions;
}

/**
 * Creates a cold Observable of the chunks of a streamed chat completion, made with any
 * `openai`-shaped client.
 *
 * <span class="informal">Each subscription sends its own request; unsubscribing aborts it at once.</span>
 *
 * ```
 * subscribe          unsubscribe
 *  │                  │
 * ─┼──────r─a─b─c─────┼         request aborted here, not at the next chunk
 *  POST /chat/completions (stream: true)
 * ```
 *
 * `stream: true` is forced; every other field of `params` goes to the API untouched (so
 * `stream_options: { include_usage: true }`, `n`, `tools` … work as with the SDK). The request
 * starts on subscription, not before: subscribe twice and two requests go out. Unsubscribing (a
 * destroyed component, a `switchMap` to a new prompt, a `timeout`) aborts the HTTP request
 * immediately, also while the model pauses between chunks, where a bare `from(stream)` would keep
 * the connection open until the next chunk arrives.
 *
 * Errors are the SDK's own (`APIError` and its subclasses, `APIConnectionError`,
 * `APIUserAbortError` when `options.signal` aborts), passed through with their class and fields,
 * but with their `message`, `stack` and `error` (the API's body) redacted in place: a server or
 * proxy that echoes the request's `Authorization` header cannot put the key in them. Three cases
 * are the toolkit's own, as in {@link fromSSE}: a chunk that is the server's error (vLLM's
 * `{ "object": "error", … }`) errors with {@link StreamAPIError}; a connection that breaks
 * mid-stream (undici's `TypeError: terminated`, `ECONNRESET`) with {@link IncompleteStreamError}
 * (`reason: 'connection-lost'`, the original as `cause`).
 *
 * ## Example
 * ```ts
 * import OpenAI from 'openai';
 * import { fromChatCompletion, contentDeltas } from 'rxjs-chat-stream';
 *
 * const client = new OpenAI(); // or new OpenAI({ baseURL: 'https://api.gilas.io/v1/' })
 * fromChatCompletion(client, {
 *   model: 'gpt-4o-mini',
 *   messages: [{ role: 'user', content: "What's 1+1? Answer in one word." }],
 * })
 *   .pipe(contentDeltas())
 *   .subscribe((text) => console.log(text));
 * // Logs:
 * // Two
 * ```
 *
 * @see {@link fromChunks}
 * @see {@link fromSSE}
 *
 * @param client Anything with `chat.completions.create` (OpenAI, AzureOpenAI, compatible SDKs).
 * @param params The request body; `stream` is set to `true`.
 * @param options `signal` to abort; `requestOptions` passed to `create`.
 * @return A cold Observable that sends the request on subscription and emits each chunk of the answer.
 */
export function fromChatCompletion<P extends { stream?: boolean | null } = ChatCompletionCreateParamsStreaming>(
  client: ChatCompletionsClient<P>,
  // The client's own request type, or ours (what an app typed with this package's types has; it
  // may name values an older SDK's types do not know yet, which the API takes all the same).
  params: StreamingParams<NoInfer<P>> | StreamingParams<ChatCompletionCreateParamsStreaming>,
  options: FromChatCompletionOptions = {},
): Observable<ChatCompletionChunk> {
  return new Observable<ChatCompletionChunk>((subscriber) => {
    const controller = new AbortController();
    const signals = [options.signal, options.requestOptions?.signal].filter(
      (s): s is AbortSignal => s != null,
    );
    const onAbort = (): void => controller.abort(signals.find((s) => s.aborted)?.reason);
    for (const signal of signals) {
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    }

    let stopIteration: (() => boolean) | undefined;
    let stream: ChatCompletionStreamLike | undefined;
    const body = { ...params, stream: true } as unknown as P;

    Promise.resolve()
      .then(() => client.chat.completions.create(body, { ...options.requestOptions, signal: controller.signal }))
      .then(
        (result) => {
          stream = result;
          if (subscriber.closed) {
            result.controller?.abort();
            return;
          }
          stopIteration = subscribeToIterable(result, chunkSink(subscriber));
        },
        (error: unknown) => {
          if (!subscriber.closed) subscriber.error(redactErrorInPlace(error));
        },
      );

    return () => {
      for (const signal of signals) signal.removeEventListener('abort', onAbort);
      // A stream that ended (completed or errored) has nothing left to abort.
      if (stopIteration && !stopIteration()) return;
      stream?.controller?.abort();
      if (!controller.signal.aborted) controller.abort();
    };
  });
}
