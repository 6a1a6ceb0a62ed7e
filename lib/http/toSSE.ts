import { asyncScheduler, isObservable, type Observable, type SchedulerLike, type Subscription } from 'rxjs';
import type { ChatCompletionChunk } from '../types.js';
import { sseText, type ToSSEOptions } from '../protocol/writer.js';

export type { ToSSEOptions, EventIds } from '../protocol/writer.js';

/**
 * Turns an Observable of chat-completion chunks into a `ReadableStream` of the OpenAI wire format.
 *
 * <span class="informal">The relay's half: what your backend sends on to a browser, byte for byte
 * what the API would have sent.</span>
 *
 * ```
 * source:   ---a-----b----c---|
 * toSSE(source)
 * stream:   ---A-----B----C---(D|)    A = 'data: {…a…}\n\n', D = 'data: [DONE]\n\n'
 *
 * source:   ---a-----#
 * stream:   ---A-----(E|)              E = 'data: {"error":{"message":…,"type":…,"code":…}}\n\n'
 *
 * toSSE(source, { keepAliveMs: 4 })
 * source:   ---a----------b|
 * stream:   ---AP---P---P-(BD|)        P = ': ping\n\n'
 * ```
 *
 * Like `firstValueFrom`, `toSSE` takes the Observable and leaves the Observable world (a `pipe`
 * step must return an Observable, and this returns a stream). Called without the source,
 * `toSSE(options?)` returns the function `(chunks$) => stream`, to keep a configured writer
 * (`const write = toSSE({ keepAliveMs: 15_000 }); write(chunks$)`). `toSSE(chunks$)` is a
 * `ReadableStream<Uint8Array>` (UTF-8) to hand to `new Response(stream, { headers })` in any
 * fetch-style server (Next.js route handlers, Hono, Deno, Bun, Cloudflare Workers); for
 * `node:http`, use `pipeSSE`.
 *
 * Each chunk becomes one event `data: {json}\n\n`, enqueued as it arrives; completion writes
 * `data: [DONE]\n\n` and closes the stream. An upstream error becomes one last event
 * `data: {"error":{"message","type","code"}}` (the shape the OpenAI API uses, which the `openai`
 * SDK and `fromSSE` both raise as an error) and closes the stream normally: no stack, no cause,
 * and anything in the message that looks like an API key (`sk-…`) or a bearer token is replaced
 * by `***` (`options.formatError` chooses the body yourself). A value that is not a chunk object
 * ends the stream the same way, with an `InvalidChunkError`'s message.
 *
 * For a relay, `options.eventIds` (`{ streamId, start? }`) puts an `id: <streamId>:<n>` line before
 * each event (not the pings), which a browser's `EventSource` sends back as `Last-Event-ID`; and a
 * chunk that `fromSSE` or `chatChunks()` parsed with `keepText: true` and that arrives here as the same object is written
 * from the text it came as, without `JSON.stringify` (`options.reuseText`, default `true`; a chunk
 * an operator derived is a new object and is stringified).
 *
 * The stream is cold and lazy: nothing subscribes to the source until the stream is first read,
 * and each stream subscribes once. Cancelling it (`reader.cancel()`, the client going away)
 * unsubscribes at once, which aborts the upstream request of a `fromChatCompletion` or `fromSSE`
 * source. An Observable cannot be paused, so chunks are queued as they come rather than held back
 * when the reader is slow (a chat answer is small). With `keepAliveMs`, a `: ping` comment is
 * sent every `keepAliveMs` while the stream is open, timed by `scheduler`.
 *
 * ## Example
 * ```ts
 * import OpenAI from 'openai';
 * import { fromChatCompletion, toSSE } from 'rxjs-chat-stream';
 *
 * const client = new OpenAI();
 * export async function POST(request: Request): Promise<Response> {
 *   const { prompt } = await request.json();
 *   const chunks$ = fromChatCompletion(client, {
 *     model: 'gpt-4o-mini',
 *     messages: [{ role: 'user', content: prompt }],
 *   });
 *   const body = toSSE(chunks$, { keepAliveMs: 15_000 });
 *   return new Response(body, { headers: { 'content-type': 'text/event-stream; charset=utf-8' } });
 * }
 * // Logs (the response body):
 * // data: {"id":"chatcmpl-…","object":"chat.completion.chunk",…,"choices":[{"index":0,"delta":{"role":"assistant","content":""},…}]}
 * //
 * // data: {"id":"chatcmpl-…",…,"choices":[{"index":0,"delta":{"content":"Hi"},…}]}
 * // …
 * // data: [DONE]
 * ```
 *
 * @see {@link pipeSSE}
 * @see {@link fromSSE}
 *
 * @param source The chunks to send.
 * @param options `keepAliveMs` for `: ping` comments; `formatError` for the body of the error event;
 * `eventIds` for `id:` lines; `reuseText` (default `true`) to write parsed chunks from their text.
 * @param scheduler Times the keep-alive comments; default `asyncScheduler`.
 * @return A `ReadableStream<Uint8Array>` of the source's chunks in the OpenAI server-sent-events
 * format, which subscribes to the source when first read.
 */
export function toSSE(
  source: Observable<ChatCompletionChunk>,
  options?: ToSSEOptions,
  scheduler?: SchedulerLike,
): ReadableStream<Uint8Array>;
export function toSSE(
  options?: ToSSEOptions,
  scheduler?: SchedulerLike,
): (source: Observable<ChatCompletionChunk>) => ReadableStream<Uint8Array>;
export function toSSE(
  sourceOrOptions?: Observable<ChatCompletionChunk> | ToSSEOptions,
  optionsOrScheduler?: ToSSEOptions | SchedulerLike,
  scheduler?: SchedulerLike,
): ReadableStream<Uint8Array> | ((source: Observable<ChatCompletionChunk>) => ReadableStream<Uint8Array>) {
  if (isObservable(sourceOrOptions)) {
    return writeSSE(sourceOrOptions as Observable<ChatCompletionChunk>, optionsOrScheduler as ToSSEOptions | undefined, scheduler);
  }
  return (source) => writeSSE(source, sourceOrOptions, optionsOrScheduler as SchedulerLike | undefined);
}

function writeSSE(
  source: Observable<ChatCompletionChunk>,
  options: ToSSEOptions = {},
  scheduler: SchedulerLike = asyncScheduler,
): ReadableStream<Uint8Array> {
  const events = sseText(source, options, scheduler);
  const encoder = new TextEncoder();
  let subscription: Subscription | undefined;
  let finished = false;
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (subscription !== undefined || finished) return;
        subscription = events.subscribe({
          next(text) {
            if (!finished) controller.enqueue(encoder.encode(text));
          },
          complete() {
            if (finished) return;
            finished = true;
            controller.close();
          },
        });
      },
      cancel() {
        finished = true;
        subscription?.unsubscribe();
      },
    },
    // No queue of its own: `pull` (and so the subscription) waits for the first read.
    { highWaterMark: 0 },
  );
}
