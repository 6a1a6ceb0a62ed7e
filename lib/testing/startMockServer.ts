/*
 * The local OpenAI-compatible server: this file starts it; its parts are in `server/` (options
 * and their checks, HTTP helpers, auth, routes, the chat handler, timing, faults, quirks, stats).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { asyncScheduler, type SchedulerLike } from 'rxjs';
import { resolveOptions, type MockServerOptions } from './server/options.js';
import { router } from './server/routes.js';
import { newStats, type MockServerStats } from './server/stats.js';

export type { MockChatRequest, MockReply, MockReplyObject } from './responder.js';
export type { ChunkFormat, MockToolCall } from './completion.js';
export type { MockFault } from './server/faults.js';
export type { MockQuirk } from './server/quirks.js';
export type { MockServerOptions } from './server/options.js';
export type { MockServerStats } from './server/stats.js';
export type { MockTiming } from './server/timing.js';

/** A running local server. */
export interface MockServer {
  /** `http://127.0.0.1:<port>/v1`: give it to `new OpenAI({ baseURL })`. */
  readonly baseURL: string;
  /** `http://127.0.0.1:<port>/v1/chat/completions`: for `fetch` and `fromSSE`. */
  readonly url: string;
  readonly port: number;
  /** A snapshot of the counters, current at each read. */
  readonly stats: MockServerStats;
  /** Stops the server, cutting any open connection (stalled streams too). */
  close(): Promise<void>;
}

/**
 * Starts a local OpenAI-compatible server that streams scripted answers like a real model.
 *
 * <span class="informal">The API on your machine: no key, no network, deterministic answers,
 * real timing, and faults on demand, for demos and for your own tests.</span>
 *
 * ```
 * POST /v1/chat/completions  { stream: true, stream_options: { include_usage: true } }
 *
 *          ~300 ms      25 ms per token
 * client:  ├────────────r─a─b─c─…─f─u─D|      r role, a b c tokens, f finish, u usage, D [DONE]
 * ```
 *
 * A `node:http` server on 127.0.0.1 (port 0 = any free one) answering `POST
 * /v1/chat/completions`, streamed and not, and `GET /v1/models`, in the OpenAI wire format.
 * Answers come from a script: "Count to N…" gets "1, 2, …, N.", "What's 1+1? …" gets "2", a
 * Persian prompt a Persian reply, anything else `You said: "…"`; requests that offer `tools`
 * get a tool call (`options.toolCall`, else the first tool with arguments made from its schema);
 * after a tool result the answer quotes it. `options.reply` replaces the script.
 *
 * Streams are made with `buildChunks` and written with `pipeSSE`: a role chunk, one token per
 * chunk, the finish chunk, the usage chunk when `stream_options.include_usage` is set (exact
 * counts with the project's tokeniser), `data: [DONE]`; `n > 1` interleaves the choices;
 * `max_tokens` cuts the answer with `finish_reason: 'length'`. The first chunk comes after
 * `timing.timeToFirstTokenMs`, the next ones `perTokenMs` apart (seeded jitter); a non-streamed
 * request waits as long, then gets the whole `ChatCompletion` with `usage`. When the client
 * disconnects, generation stops at once, and `stats.aborted` counts it.
 *
 * Auth: with `options.apiKey`, a request without `Authorization: Bearer <apiKey>` gets 401 in
 * the API's error shape; the key is never echoed. Faults: the `x-mock-fault` request header (or
 * `options.faults`) plays `rate-limit`, `server-error`, `error-mid-stream`, `drop`, `malformed`,
 * `stall` or `no-done`. Provider quirks: the `x-mock-quirks` request header (comma-separated, or
 * `options.quirks`) replays what compatible servers send: `ollama-tool-index`,
 * `no-finish-reason`, `after-finish`, `usage-every-chunk`, `usage-empty-delta`,
 * `reasoning-content`, `reasoning`, `think-tags`. Bad requests get 400 and unknown paths 404, in
 * the API's error shape.
 *
 * ## Example
 * ```ts
 * import OpenAI from 'openai';
 * import { fromChatCompletion, contentDeltas } from 'rxjs-chat-stream';
 * import { startMockServer } from 'rxjs-chat-stream/testing';
 *
 * const server = await startMockServer({ timing: 'instant' });
 * const client = new OpenAI({ baseURL: server.baseURL, apiKey: 'test', maxRetries: 0 });
 * fromChatCompletion(client, { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Count to 3' }] })
 *   .pipe(contentDeltas())
 *   .subscribe({ next: (text) => console.log(JSON.stringify(text)), complete: () => server.close() });
 * // Logs:
 * // "1"
 * // ","
 * // " "
 * // "2"
 * // ","
 * // " "
 * // "3"
 * // "."
 * ```
 *
 * @see {@link buildChunks}
 * @see {@link pipeSSE}
 *
 * @param options Port, auth, timing, seed, replies, tool calls, faults, quirks, format, models,
 * CORS, keep-alive timeout.
 * @param scheduler Times the tokens and stamps `created`; default `asyncScheduler`.
 * @return A promise of the running server: `baseURL`, `url`, `port`, `stats`, `close()`.
 */
export async function startMockServer(
  options: MockServerOptions = {},
  scheduler: SchedulerLike = asyncScheduler,
): Promise<MockServer> {
  const resolved = resolveOptions(options);
  const stats = newStats();
  const server = createServer(router(resolved, stats, scheduler));
  server.keepAliveTimeout = resolved.keepAliveTimeout;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(resolved.port, resolved.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const origin = `http://${host}:${address.port}`;
  let closing: Promise<void> | undefined;

  return {
    baseURL: `${origin}/v1`,
    url: `${origin}/v1/chat/completions`,
    port: address.port,
    get stats(): MockServerStats {
      return { ...stats };
    },
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
