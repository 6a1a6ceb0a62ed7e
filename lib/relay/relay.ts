import type { Subscription } from 'rxjs';
import { ChunkLogError, HTTPStatusError, InvalidInputError } from '../errors.js';
import { redactSecrets } from '../redact.js';
import { chunkData, errorData, parseEventId, PING_EVENT } from '../protocol/writer.js';
import { fromSSE } from '../sources/fromSSE.js';
import type { ResponseLike } from '../http/response.js';
import {
  checkMs,
  DEFAULT_HEARTBEAT_TIMEOUT_MS,
  type ChunkLog,
  type LogEvent,
} from './chunkLog.js';
import { MemoryChunkLog } from './MemoryChunkLog.js';

/** What `relay` needs of a request: a `node:http` `IncomingMessage` (Express's `req`, Fastify's `request.raw`). */
export interface RelayRequest {
  readonly method?: string | undefined;
  readonly url?: string | undefined;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** A body a framework already parsed (Express's `express.json()`, Fastify): used instead of reading the request. */
  readonly body?: unknown;
  on(event: 'data', listener: (chunk: Uint8Array | string) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
  on(event: 'error', listener: (error: unknown) => void): unknown;
}

/** What `relay` needs of a response: a `node:http` `ServerResponse` (Express's `res`, Fastify's `reply.raw`). */
export interface RelayResponse {
  statusCode: number;
  readonly headersSent: boolean;
  readonly writableEnded?: boolean;
  readonly destroyed?: boolean;
  setHeader(name: string, value: string): unknown;
  flushHeaders?(): void;
  write(chunk: string): boolean;
  cork?(): void;
  uncork?(): void;
  end(chunk?: string): unknown;
  on(event: 'close', listener: () => void): unknown;
}

/** Where the relay sends its requests. */
export interface RelayUpstream {
  /** The API's base URL, as the `openai` SDK takes it: `https://api.openai.com/v1`, `http://127.0.0.1:8080/v1`. */
  baseURL: string;
  /** Sent as `Authorization: Bearer …` to the upstream only: never relayed to a client, never logged. */
  apiKey?: string;
}

/** Options of {@link relay}. */
export interface RelayOptions {
  /** The API the relay calls. */
  upstream: RelayUpstream;
  /** Where streams are kept; default a new `MemoryChunkLog` (one process). Share a `RedisChunkLog` between processes. */
  log?: ChunkLog;
  /** How long a stream stays in the log after its last event, for a resume; default 600 000 (10 minutes). */
  ttlMs?: number;
  /** How often the producer of a stream says it is alive (and learns of a cancel from another process); default 1000. */
  heartbeatMs?: number;
  /** Readers of a stream whose producer has not said so for this long end with an error event; default 5000. */
  heartbeatTimeoutMs?: number;
  /** A `: ping` comment every this many ms while a client waits; default 15 000, `0` for none. */
  keepAliveMs?: number;
  /** The largest request body accepted, in bytes; default 1 MiB. */
  maxBodyBytes?: number;
  /** Extra headers on every answer (CORS, …). */
  headers?: Record<string, string>;
  /** The `fetch` used for the upstream; default the global one. */
  fetch?: (url: string, init: { method: string; headers: Record<string, string>; body: string; signal: AbortSignal }) => Promise<ResponseLike>;
  /** Makes a new stream's id; default `crypto.randomUUID()` without dashes. */
  newStreamId?: () => string;
}

/** The handler {@link relay} returns: a `node:http` request listener, and Express middleware. */
export interface RelayHandler {
  (req: RelayRequest, res: RelayResponse, next?: (error?: unknown) => void): void;
  /** Stops the streams this process produces (their readers get a `cancelled` error event) and waits for their last writes. */
  close(): Promise<void>;
}

/** A stream this process produces. */
interface Producer {
  readonly streamId: string;
  /** Stops the upstream request and ends the stream with a `cancelled` error event. */
  cancel(): void;
  /** The upstream's HTTP error when it came before any chunk (the POST answers with its status). */
  initialError: HTTPStatusError | undefined;
  /** Settles when its last write is done. */
  readonly finished: Promise<void>;
}

const STREAM_PATH = /^\/v1\/streams\/([A-Za-z0-9_-]{1,128})\/?$/;

/**
 * A resumable relay of chat-completion streams: a request handler for `node:http` (and Express, and
 * Fastify's raw request and reply) that calls the upstream API once per stream, keeps every event
 * in a {@link ChunkLog}, and lets clients resume a stream from any relay process sharing the log.
 *
 * <span class="informal">`pipeSSE` that survives a dropped connection, a reload, and a second
 * server: the answer keeps being written to the log while nobody reads it.</span>
 *
 * ```
 * POST /v1/chat/completions        upstream: ─r─a─b─c─f─D|     (one request, whatever the clients do)
 * client 1 (x-stream-id: s):       ─0─1─2─x                    the connection drops: not a cancel
 * GET /v1/streams/s  Last-Event-ID: s:2
 * client 1, again:                          ─3─4─5|            from the log: c, f, [DONE]
 * DELETE /v1/streams/s                                         aborts the upstream request
 * ```
 *
 * Routes:
 * - `POST /v1/chat/completions` (an OpenAI request body; `stream: true` is forced): starts the
 *   upstream request (`upstream.baseURL` + `/chat/completions`, with `upstream.apiKey`), appends
 *   each event to the log and streams it to the client with an `id: <streamId>:<n>` line; the
 *   answer's `x-stream-id` header names the stream. An upstream HTTP error before any chunk is
 *   answered with its status and the API's error body.
 * - `GET /v1/streams/:id`: the stream from the log, from after the `Last-Event-ID` header (or the
 *   `lastEventId` query parameter; from the start without either), then live, to the same last event
 *   (`data: [DONE]` or the error event) the first client got; also after the stream ended, until
 *   `ttlMs`. Unknown or expired id: 404. A malformed `Last-Event-ID`, or one of another stream: 400.
 * - `DELETE /v1/streams/:id`: cancels the upstream request (at once on the producing process,
 *   within `heartbeatMs` from another); its readers end with an error event of code `cancelled`.
 *   204, or 404 for an unknown stream.
 *
 * A client that disconnects is not a cancel: the upstream request goes on and its events are kept.
 * Faults: when a stream's producer stops (its process died), readers end with an error event of
 * code `producer_lost` after `heartbeatTimeoutMs`; when the log fails (`ChunkLogError`), the
 * producer stops the upstream request and readers end with an error event of code
 * `chunk_log_unavailable`. The API key never reaches a client: errors are redacted as `toSSE` does.
 * Other paths call `next()` when given (Express), else get 404.
 *
 * ## Example
 * ```ts
 * import { createServer } from 'node:http';
 * import { relay } from 'rxjs-chat-stream';
 *
 * const handler = relay({ upstream: { baseURL: 'https://api.openai.com/v1', apiKey: process.env['OPENAI_API_KEY'] ?? '' } });
 * createServer(handler).listen(8787, '127.0.0.1');
 * // curl -N -X POST localhost:8787/v1/chat/completions -d '{"model":"gpt-4o-mini","messages":[…]}'
 * // Logs (the response, with the header x-stream-id: 3f2a…):
 * // id: 3f2a…:0
 * // data: {"id":"chatcmpl-…",…}
 * // …
 * ```
 *
 * @see {@link MemoryChunkLog}
 * @see {@link pipeSSE}
 *
 * @param options The upstream, the log, TTL, heartbeats, keep-alive, body limit, headers.
 * @return The request handler, with `close()`.
 */
export function relay(options: RelayOptions): RelayHandler {
  const upstream = checkUpstream(options.upstream);
  const log = options.log ?? new MemoryChunkLog();
  const ttlMs = options.ttlMs ?? 600_000;
  const heartbeatMs = options.heartbeatMs ?? 1000;
  const heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS;
  const keepAliveMs = options.keepAliveMs ?? 15_000;
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  checkMs(ttlMs, 'relay() options.ttlMs');
  checkMs(heartbeatMs, 'relay() options.heartbeatMs');
  checkMs(heartbeatTimeoutMs, 'relay() options.heartbeatTimeoutMs');
  checkMs(maxBodyBytes, 'relay() options.maxBodyBytes');
  if (!(keepAliveMs >= 0) || !Number.isFinite(keepAliveMs)) {
    throw new InvalidInputError('relay() options.keepAliveMs', keepAliveMs, 'a finite number of ms >= 0');
  }
  const extraHeaders = options.headers ?? {};
  const fetchUpstream = options.fetch ?? (globalThis.fetch as unknown as NonNullable<RelayOptions['fetch']>);
  const newStreamId = options.newStreamId ?? (() => globalThis.crypto.randomUUID().replace(/-/g, ''));
  const producers = new Map<string, Producer>();

  const handler = ((req: RelayRequest, res: RelayResponse, next?: (error?: unknown) => void): void => {
    const url = new URL(req.url ?? '/', 'http://relay');
    const method = (req.method ?? 'GET').toUpperCase();
    const path = url.pathname;
    if (path === '/v1/chat/completions' || path === '/v1/chat/completions/') {
      if (method !== 'POST') return answerError(res, 405, 'Use POST', 'method_not_allowed', extraHeaders);
      void start(req, res);
      return;
    }
    const match = STREAM_PATH.exec(path);
    if (match !== null) {
      const streamId = match[1] as string;
      if (method === 'GET') return void resume(req, res, streamId, url);
      if (method === 'DELETE') return void cancel(res, streamId);
      return answerError(res, 405, 'Use GET or DELETE', 'method_not_allowed', extraHeaders);
    }
    if (next) return next();
    answerError(res, 404, `No route ${method} ${path}`, 'not_found', extraHeaders);
  }) as RelayHandler;

  handler.close = async () => {
    const all = [...producers.values()];
    for (const producer of all) producer.cancel();
    await Promise.all(all.map((producer) => producer.finished));
  };

  async function start(req: RelayRequest, res: RelayResponse): Promise<void> {
    let body: Record<string, unknown>;
    try {
      body = await readBody(req, maxBodyBytes);
    } catch (error) {
      return answerError(res, 400, (error as Error).message, 'invalid_request_error', extraHeaders);
    }
    const streamId = newStreamId();
    try {
      await log.create(streamId, ttlMs);
    } catch (error) {
      return answerError(res, 503, logFailureMessage(error), 'chunk_log_unavailable', extraHeaders);
    }
    const producer = produce(streamId, { ...body, stream: true });
    stream(res, streamId, 0, producer);
  }

  async function resume(req: RelayRequest, res: RelayResponse, streamId: string, url: URL): Promise<void> {
    const header = req.headers['last-event-id'];
    const lastEventId = (Array.isArray(header) ? header[0] : header) ?? url.searchParams.get('lastEventId') ?? undefined;
    let from = 0;
    if (lastEventId !== undefined && lastEventId !== '') {
      const parsed = parseEventId(lastEventId.trim());
      if (parsed === undefined || parsed.streamId !== streamId) {
        return answerError(
          res,
          400,
          `Last-Event-ID must be an id of this stream (${streamId}:<n>), as the relay wrote it`,
          'invalid_request_error',
          extraHeaders,
        );
      }
      from = parsed.sequence + 1;
    }
    let info;
    try {
      info = await log.info(streamId);
    } catch (error) {
      return answerError(res, 503, logFailureMessage(error), 'chunk_log_unavailable', extraHeaders);
    }
    if (info === undefined) return answerError(res, 404, `No stream ${streamId} (never started, or expired)`, 'not_found', extraHeaders);
    if (from > info.nextSequence) {
      return answerError(res, 400, `Last-Event-ID is past the end of stream ${streamId}`, 'invalid_request_error', extraHeaders);
    }
    stream(res, streamId, from, undefined);
  }

  async function cancel(res: RelayResponse, streamId: string): Promise<void> {
    const local = producers.get(streamId);
    let known: boolean;
    try {
      known = await log.cancel(streamId);
    } catch (error) {
      if (local === undefined) return answerError(res, 503, logFailureMessage(error), 'chunk_log_unavailable', extraHeaders);
      known = true;
    }
    local?.cancel();
    if (!known && local === undefined) return answerError(res, 404, `No stream ${streamId} (never started, or expired)`, 'not_found', extraHeaders);
    res.statusCode = 204;
    setHeaders(res, extraHeaders);
    res.setHeader('x-stream-id', streamId);
    res.end();
  }

  /** Starts the upstream request of a stream and writes its events to the log. */
  function produce(streamId: string, body: Record<string, unknown>): Producer {
    let sequence = 0;
    let pending: LogEvent[] = [];
    let writing: Promise<void> = Promise.resolve();
    let ended = false;
    let resolveFinished!: () => void;
    const finished = new Promise<void>((resolve) => (resolveFinished = resolve));
    let subscription: Subscription | undefined;

    const flush = (): void => {
      const batch = pending;
      pending = [];
      writing = writing.then(() => log.append(streamId, batch)).catch((error: unknown) => {
        // The log failed (or another reader ended the stream): nothing more can be kept, so stop.
        if (!ended) stop();
        void error;
      });
    };
    const push = (kind: LogEvent['kind'], data: string): void => {
      if (ended) return;
      pending.push({ sequence: sequence++, kind, data });
      if (kind !== 'chunk') end();
      else if (pending.length === 1) queueMicrotask(() => pending.length > 0 && flush());
    };
    const end = (): void => {
      ended = true;
      clearInterval(beat);
      subscription?.unsubscribe();
      if (pending.length > 0) flush();
      void writing.then(() => {
        producers.delete(streamId);
        resolveFinished();
      });
    };
    const stop = (): void => {
      if (ended) return;
      ended = true;
      pending = [];
      clearInterval(beat);
      subscription?.unsubscribe();
      void writing.then(() => {
        producers.delete(streamId);
        resolveFinished();
      });
    };
    const beat = setInterval(() => {
      log.heartbeat(streamId).then(
        (cancelled) => {
          if (cancelled) producer.cancel();
        },
        () => undefined,
      );
    }, heartbeatMs);
    (beat as { unref?: () => void }).unref?.();

    const producer: Producer = {
      streamId,
      initialError: undefined,
      finished,
      cancel() {
        push('error', CANCELLED_DATA);
      },
    };
    producers.set(streamId, producer);

    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'text/event-stream' };
    if (upstream.apiKey !== undefined && upstream.apiKey !== '') headers['authorization'] = `Bearer ${upstream.apiKey}`;
    const text = JSON.stringify(body);
    subscription = fromSSE(
      (signal) => fetchUpstream(`${upstream.baseURL}/chat/completions`, { method: 'POST', headers, body: text, signal }),
      { keepText: true },
    ).subscribe({
      next(chunk) {
        let data: string;
        try {
          data = chunkData(chunk, true);
        } catch (error) {
          push('error', errorData(error));
          return;
        }
        push('chunk', data);
      },
      error(error: unknown) {
        if (sequence === 0 && error instanceof HTTPStatusError) producer.initialError = error;
        push('error', errorData(error));
      },
      complete() {
        push('done', '[DONE]');
      },
    });
    return producer;
  }

  /** Streams a logged stream to a client, from `from`, with ids; answers an early upstream HTTP error with its status. */
  function stream(res: RelayResponse, streamId: string, from: number, producer: Producer | undefined): void {
    let started = false;
    let corked = false;
    let ping: ReturnType<typeof setInterval> | undefined;
    const closed = (): boolean => res.destroyed === true || res.writableEnded === true;
    const begin = (): void => {
      started = true;
      res.statusCode = 200;
      setHeaders(res, SSE_HEADERS);
      setHeaders(res, extraHeaders);
      res.setHeader('x-stream-id', streamId);
      res.flushHeaders?.();
      if (keepAliveMs > 0) {
        ping = setInterval(() => !closed() && res.write(PING_EVENT), keepAliveMs);
        (ping as { unref?: () => void }).unref?.();
      }
    };
    const finish = (): void => {
      clearInterval(ping);
      if (!closed()) res.end();
    };
    let subscription: Subscription | undefined;
    // A resume starts its answer at once; a new stream waits for its first event (an upstream
    // HTTP error before any chunk is answered with its status).
    if (producer === undefined) begin();
    subscription = log.read(streamId, from, { heartbeatTimeoutMs }).subscribe({
      next(event) {
        if (closed()) return subscription?.unsubscribe();
        if (!started) {
          const early = producer?.initialError;
          if (early !== undefined && event.kind === 'error' && event.sequence === 0) {
            res.statusCode = early.status;
            setHeaders(res, extraHeaders);
            res.setHeader('content-type', 'application/json');
            res.setHeader('x-stream-id', streamId);
            res.end(event.data);
            return;
          }
          begin();
        }
        if (!corked && typeof res.cork === 'function') {
          corked = true;
          res.cork();
          queueMicrotask(() => {
            corked = false;
            if (!closed()) res.uncork?.();
          });
        }
        res.write(`id: ${streamId}:${event.sequence}\ndata: ${event.data}\n\n`);
      },
      error(error: unknown) {
        if (!started) {
          if (error instanceof ChunkLogError && error.reason === 'not-found') {
            return answerError(res, 404, error.message, 'not_found', extraHeaders);
          }
          begin();
        }
        if (!closed()) res.write(`data: ${logFailureData(error)}\n\n`);
        finish();
      },
      complete: finish,
    });
    // The client going away stops its reading only: the upstream goes on (use DELETE to cancel).
    res.on('close', () => {
      clearInterval(ping);
      subscription?.unsubscribe();
    });
  }

  return handler;
}

const SSE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
};

/** The error event of a cancelled stream. */
const CANCELLED_DATA = JSON.stringify({
  error: { message: 'The stream was cancelled (DELETE /v1/streams/:id)', type: 'cancelled', code: 'cancelled' },
});

function setHeaders(res: RelayResponse, headers: Readonly<Record<string, string>>): void {
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
}

function answerError(res: RelayResponse, status: number, message: string, code: string, headers: Readonly<Record<string, string>>): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.statusCode = status;
  setHeaders(res, headers);
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ error: { message: redactSecrets(message), type: code === 'invalid_request_error' ? code : 'relay_error', code } }));
}

function logFailureMessage(error: unknown): string {
  return error instanceof Error ? `The relay's chunk log failed: ${error.message}` : "The relay's chunk log failed";
}

/** The error event a reader ends with when the log fails under it. */
function logFailureData(error: unknown): string {
  return errorData(error, () => ({
    message: redactSecrets(logFailureMessage(error)),
    type: 'server_error',
    code: 'chunk_log_unavailable',
  }));
}

function checkUpstream(upstream: RelayUpstream): { baseURL: string; apiKey?: string } {
  if (upstream === null || typeof upstream !== 'object' || typeof upstream.baseURL !== 'string') {
    throw new InvalidInputError('relay() options.upstream', upstream, '{ baseURL, apiKey? }');
  }
  let url: URL;
  try {
    url = new URL(upstream.baseURL);
  } catch {
    throw new InvalidInputError('relay() options.upstream.baseURL', upstream.baseURL, 'an http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidInputError('relay() options.upstream.baseURL', upstream.baseURL, 'an http(s) URL');
  }
  if (upstream.apiKey !== undefined && typeof upstream.apiKey !== 'string') {
    // The value is not shown: it may be a key of the wrong type.
    throw new InvalidInputError('relay() options.upstream.apiKey', typeof upstream.apiKey, 'a string');
  }
  const result: { baseURL: string; apiKey?: string } = { baseURL: upstream.baseURL.replace(/\/+$/, '') };
  if (upstream.apiKey !== undefined) result.apiKey = upstream.apiKey;
  return result;
}

/** The request's JSON object: a body a framework parsed, or the bytes read (at most `limit`). */
async function readBody(req: RelayRequest, limit: number): Promise<Record<string, unknown>> {
  let value: unknown = req.body;
  if (value === undefined || typeof value === 'string' || value instanceof Uint8Array) {
    const text =
      value === undefined
        ? await new Promise<string>((resolve, reject) => {
            const decoder = new TextDecoder();
            let text = '';
            let size = 0;
            req.on('data', (piece) => {
              size += typeof piece === 'string' ? piece.length : piece.byteLength;
              if (size > limit) reject(new Error(`The request body is larger than ${limit} bytes`));
              else text += typeof piece === 'string' ? piece : decoder.decode(piece, { stream: true });
            });
            req.on('end', () => resolve(text + decoder.decode()));
            req.on('error', reject);
          })
        : typeof value === 'string'
          ? value
          : new TextDecoder().decode(value);
    try {
      value = JSON.parse(text);
    } catch {
      throw new Error('The request body is not JSON');
    }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error('The request body must be a JSON object (a chat-completion request)');
  }
  return value as Record<string, unknown>;
}
