import { asyncScheduler, Subscription, type Observable, type SchedulerLike } from 'rxjs';
import type { ChatCompletionChunk } from '../types.js';
import { sseText, type ToSSEOptions } from '../protocol/writer.js';

/**
 * What `pipeSSE` needs of a response: a `node:http` `ServerResponse`, or anything built on it
 * (Express, Fastify's `reply.raw`, Koa's `ctx.res`).
 */
export interface SSEResponse {
  readonly headersSent: boolean;
  readonly writableEnded?: boolean;
  readonly destroyed?: boolean;
  setHeader(name: string, value: string): unknown;
  hasHeader?(name: string): boolean;
  flushHeaders?(): void;
  write(chunk: string): boolean;
  /** Node's `cork`/`uncork`: the events of one burst go out in one write to the socket. */
  cork?(): void;
  uncork?(): void;
  end(): unknown;
  on(event: 'close', listener: () => void): unknown;
}

/** Options of {@link pipeSSE}: those of `toSSE`, and more response headers. */
export interface PipeSSEOptions extends ToSSEOptions {
  /** Extra response headers (CORS, …), set before the stream starts. */
  headers?: Record<string, string>;
}

/** The headers a server-sent-events response gets (each only when not already set). */
const SSE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
  // nginx buffers proxied responses unless told not to; a stream must not wait in a buffer.
  'x-accel-buffering': 'no',
};

/**
 * Writes an Observable of chat-completion chunks to a `node:http` response as the OpenAI wire format.
 *
 * <span class="informal">`toSSE` for a Node server: headers, one write per event, `end()`, and
 * unsubscribing when the client goes away.</span>
 *
 * ```
 * source:   ---a-----b-----c--|
 * pipeSSE(source, res)
 * res:      H--A-----B-----C--(DE)     H = headers flushed, D = 'data: [DONE]\n\n', E = res.end()
 *
 * source:   ---a-----b---
 * client:   ------------x              the browser tab closes ('close' on res)
 * source:   ^-----------!              unsubscribed at once: the upstream request is aborted
 * ```
 *
 * Sets `content-type: text/event-stream; charset=utf-8`, `cache-control: no-cache`,
 * `connection: keep-alive` and `x-accel-buffering: no` (each only when not set already, plus
 * `options.headers`), flushes the headers so the client sees the response start at once, then
 * subscribes and writes each event as it comes, exactly as `toSSE` formats them: `data: {json}`
 * per chunk, `data: [DONE]` and `res.end()` on completion, one `data: {"error": …}` event (redacted,
 * no stack) and `res.end()` on error, `: ping` every `options.keepAliveMs`. When the client
 * disconnects (`'close'` before the end), the subscription is unsubscribed at once, which aborts an
 * upstream `fromChatCompletion` request. Headers already sent are left alone, so you may write
 * your own status and headers first. Options `eventIds` and `reuseText` work as for `toSSE`
 * (`id:` lines; chunks written from the text they arrived as). The events of one burst (the chunks of
 * one network read) are written between `res.cork()` and `res.uncork()`. A response that is already closed is not subscribed to.
 *
 * ## Example
 * ```ts
 * import { createServer } from 'node:http';
 * import OpenAI from 'openai';
 * import { fromChatCompletion, pipeSSE } from 'rxjs-chat-stream';
 *
 * const client = new OpenAI();
 * createServer((req, res) => {
 *   const prompt = new URL(req.url ?? '/', 'http://localhost').searchParams.get('q') ?? 'Say hi';
 *   pipeSSE(
 *     fromChatCompletion(client, { model: 'gpt-4o-mini', messages: [{ role: 'user', content: prompt }] }),
 *     res,
 *     { keepAliveMs: 15_000, headers: { 'access-control-allow-origin': '*' } },
 *   );
 * }).listen(8080);
 * // Logs (curl -N 'http://localhost:8080/?q=Say%20hi'):
 * // data: {"id":"chatcmpl-…","object":"chat.completion.chunk",…,"choices":[{"index":0,"delta":{"role":"assistant","content":""},…}]}
 * // …
 * // data: [DONE]
 * ```
 *
 * @see {@link toSSE}
 *
 * @param source The chunks to send.
 * @param res A `node:http` `ServerResponse` (or anything shaped like one).
 * @param options `keepAliveMs`, `formatError` (as for `toSSE`) and extra `headers`.
 * @param scheduler Times the keep-alive comments; default `asyncScheduler`.
 * @return The Subscription: unsubscribe it to stop the stream (the response is then left open for you to end).
 */
export function pipeSSE(
  source: Observable<ChatCompletionChunk>,
  res: SSEResponse,
  options: PipeSSEOptions = {},
  scheduler: SchedulerLike = asyncScheduler,
): Subscription {
  const events = sseText(source, options, scheduler);
  if (res.destroyed === true || res.writableEnded === true) return Subscription.EMPTY;

  if (!res.headersSent) {
    for (const [name, value] of Object.entries(SSE_HEADERS)) {
      if (res.hasHeader?.(name) !== true) res.setHeader(name, value);
    }
    for (const [name, value] of Object.entries(options.headers ?? {})) res.setHeader(name, value);
    res.flushHeaders?.();
  }

  const subscription = new Subscription();
  res.on('close', () => subscription.unsubscribe());
  const closed = (): boolean => res.destroyed === true || res.writableEnded === true;
  // Events that come in one burst (the chunks of one network read) are corked and go to the socket
  // in one write, uncorked once the burst's synchronous work is done.
  let corked = false;
  const uncork = (): void => {
    corked = false;
    if (!closed()) res.uncork?.();
  };
  subscription.add(
    events.subscribe({
      next(text) {
        // A response ended or destroyed by someone else takes no more writes: stop, rather than throw.
        if (closed()) return subscription.unsubscribe();
        try {
          if (!corked && typeof res.cork === 'function') {
            corked = true;
            res.cork();
            queueMicrotask(uncork);
          }
          res.write(text);
        } catch {
          subscription.unsubscribe();
        }
      },
      complete() {
        if (!closed()) res.end();
      },
    }),
  );
  return subscription;
}
