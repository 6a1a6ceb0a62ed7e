import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import {
  asyncScheduler,
  concat,
  defer,
  mergeMap,
  NEVER,
  Observable,
  throwError,
  timer,
  type SchedulerAction,
  type SchedulerLike,
} from 'rxjs';
import { InvalidInputError, StreamAPIError, type APIErrorBody } from '../errors.js';
import { pipeSSE } from '../http/pipeSSE.js';
import { redactSecrets } from '../redact.js';
import type { ChatCompletionChunk } from '../types.js';
import { planChunks, planCompletion, planReply, type ChunkFormat, type MockToolCall } from './completion.js';
import { requestId, seededRandom, systemFingerprint, type Random } from './random.js';
import { scriptedReply, type MockChatRequest, type MockReply, type MockReplyObject } from './responder.js';
import { countPromptTokens, encodingForModel, loadEncoding, tokenPieces } from './tokenize.js';

export type { MockChatRequest, MockReply, MockReplyObject } from './responder.js';
export type { ChunkFormat, MockToolCall } from './completion.js';

/** The faults the server can play, per request. */
export type MockFault =
  /** 429 with `retry-after: 1`, the API's rate-limit error. */
  | 'rate-limit'
  /** 500, the API's server error. */
  | 'server-error'
  /** A `data: {"error": …}` event after a few chunks, then the end (no `[DONE]`). */
  | 'error-mid-stream'
  /** The connection is cut after a few chunks. */
  | 'drop'
  /** A `data:` event of invalid JSON after a few chunks; the stream then goes on. */
  | 'malformed'
  /** Stops sending after a few chunks and keeps the connection open. */
  | 'stall'
  /** Every chunk, then the end of the body without `data: [DONE]`. */
  | 'no-done';

const FAULTS: readonly MockFault[] = ['rate-limit', 'server-error', 'error-mid-stream', 'drop', 'malformed', 'stall', 'no-done'];

/** How fast the model "thinks" and "types". */
export interface MockTiming {
  /** Time to the first chunk, in ms. Default 300. */
  timeToFirstTokenMs?: number;
  /** Time between tokens, in ms. Default 25. */
  perTokenMs?: number;
  /** Each wait is scaled by a seeded random factor in `[1 - jitter, 1 + jitter]`. Default 0.2. */
  jitter?: number;
}

/** Options of {@link startMockServer}. */
export interface MockServerOptions {
  /** The port; default 0 (any free one). */
  port?: number;
  /** The address to listen on; default `'127.0.0.1'`. */
  host?: string;
  /** When set, requests must carry `Authorization: Bearer <apiKey>`, else 401. Never logged or echoed. */
  apiKey?: string;
  /** `'realistic'` (default: 300 ms to the first token, 25 ms per token, 20 % jitter), `'instant'`, or your numbers. */
  timing?: 'realistic' | 'instant' | MockTiming;
  /** Seeds ids, padding and jitter; default 1. The same seed and requests give the same answers. */
  seed?: number;
  /**
   * Your own answer to a request: a text, `{ content?, toolCalls?, finishReason? }`, or
   * `undefined` for the scripted one. May return a promise. An exception becomes a 500.
   */
  reply?: (request: MockChatRequest) => MockReply | null | undefined | PromiseLike<MockReply | null | undefined>;
  /** The tool call to make when a request offers tools (default: the first, or forced, tool with arguments made from its schema). */
  toolCall?: MockToolCall | ((request: MockChatRequest) => MockToolCall | null | undefined);
  /**
   * Faults to play without a header: a list, used one per chat request in order (`null` for a
   * normal one; when it runs out, requests are normal), or a function of the request. The
   * `x-mock-fault` request header takes precedence.
   */
  faults?: ReadonlyArray<MockFault | null | undefined> | ((request: MockChatRequest) => MockFault | null | undefined);
  /** How many chunks a mid-stream fault lets through first; default 3 (the role chunk and two tokens). */
  faultAfterChunks?: number;
  /** The chunk format; default `'today'`. */
  format?: ChunkFormat;
  /** What `GET /v1/models` lists; default `gpt-4o-mini`, `gpt-4o`, `gpt-4.1-nano`, `gpt-3.5-turbo`. Any model is answered. */
  models?: readonly string[];
  /** Answer CORS preflights and allow any origin, so a browser app can call the server; default true. */
  cors?: boolean;
  /**
   * How long, in ms, an idle keep-alive connection stays open after a response (the `node:http`
   * server's `keepAliveTimeout`). Default 65 000, like many proxies: longer than clients keep
   * pooled sockets idle, so a client never reuses a socket the server is closing at that moment
   * (with Node's own 5 s default, busy clients hit that race: "other side closed", ECONNRESET).
   * `0` turns the timeout off. `close()` cuts idle connections whatever this is.
   */
  keepAliveTimeout?: number;
}

/** What the server has seen. */
export interface MockServerStats {
  /** Every HTTP request received. */
  requests: number;
  /** Chat completions answered to the end (the whole body written, whatever it said). */
  completed: number;
  /** Chat completions whose connection closed before the end (the client went away, or a `drop` fault). */
  aborted: number;
  /** Chat completions in progress. */
  active: number;
  /** Requests answered with an HTTP error status (401, 400, 404, 429, 500, …). */
  errors: number;
}

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

const DEFAULT_MODELS = ['gpt-4o-mini', 'gpt-4o', 'gpt-4.1-nano', 'gpt-3.5-turbo'];
const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 65_000;
const MAX_BODY_BYTES = 16 * 1024 * 1024;
const REALISTIC: Required<MockTiming> = { timeToFirstTokenMs: 300, perTokenMs: 25, jitter: 0.2 };
const INSTANT: Required<MockTiming> = { timeToFirstTokenMs: 0, perTokenMs: 0, jitter: 0 };

function resolveTiming(timing: MockServerOptions['timing']): Required<MockTiming> {
  if (timing === undefined || timing === 'realistic') return REALISTIC;
  if (timing === 'instant') return INSTANT;
  if (timing === null || typeof timing !== 'object') {
    throw new InvalidInputError('startMockServer() options.timing', timing, "'realistic', 'instant' or an object", { detail: String(timing) });
  }
  const resolved = { ...REALISTIC, ...timing };
  for (const [key, value] of Object.entries(resolved)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new InvalidInputError(`startMockServer() options.timing.${key}`, value, 'a finite number >= 0', { detail: String(value) });
    }
  }
  if (resolved.jitter > 1) throw new InvalidInputError('startMockServer() options.timing.jitter', resolved.jitter, 'at most 1', { detail: String(resolved.jitter) });
  return resolved;
}

/** An error in the API's shape. */
function apiError(message: string, type: string, code: string | null = null, param: string | null = null): APIErrorBody {
  return { message, type, param, code };
}

class RequestError extends Error {
  constructor(
    readonly status: number,
    readonly body: APIErrorBody,
  ) {
    super(body.message);
  }
}

const badRequest = (message: string, param: string | null = null, code: string | null = null): RequestError =>
  new RequestError(400, apiError(message, 'invalid_request_error', code, param));

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (part: Buffer) => {
      if (size > MAX_BODY_BYTES) return;
      size += part.length;
      if (size > MAX_BODY_BYTES) {
        reject(new RequestError(413, apiError('The request body is too large.', 'invalid_request_error')));
        return;
      }
      parts.push(part);
    });
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

function parseRequest(text: string): MockChatRequest {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw badRequest(
      "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload.)",
    );
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw badRequest('The request body must be a JSON object.');
  const request = body as Record<string, unknown>;
  if (typeof request['model'] !== 'string' || request['model'] === '') {
    throw badRequest('you must provide a model parameter', 'model');
  }
  const messages = request['messages'];
  if (!Array.isArray(messages)) throw badRequest("Missing required parameter: 'messages'.", 'messages', 'missing_required_parameter');
  if (messages.length === 0) throw badRequest("Invalid 'messages': empty array. Expected an array with minimum length 1.", 'messages', 'empty_array');
  messages.forEach((message: unknown, index) => {
    if (message === null || typeof message !== 'object' || typeof (message as { role?: unknown }).role !== 'string') {
      throw badRequest(`Invalid 'messages[${index}]': expected an object with a string 'role'.`, `messages[${index}]`);
    }
  });
  const n = request['n'];
  if (n !== undefined && n !== null && (!Number.isInteger(n) || (n as number) < 1 || (n as number) > 128)) {
    throw badRequest(`Invalid 'n': expected an integer from 1 to 128, got ${JSON.stringify(n)}.`, 'n');
  }
  for (const key of ['max_tokens', 'max_completion_tokens']) {
    const value = request[key];
    if (value !== undefined && value !== null && (!Number.isInteger(value) || (value as number) < 1)) {
      throw badRequest(`Invalid '${key}': expected an integer >= 1, got ${JSON.stringify(value)}.`, key);
    }
  }
  if (request['stream'] !== undefined && request['stream'] !== null && typeof request['stream'] !== 'boolean') {
    throw badRequest(`Invalid 'stream': expected a boolean, got ${JSON.stringify(request['stream'])}.`, 'stream');
  }
  if (request['tools'] !== undefined && request['tools'] !== null && !Array.isArray(request['tools'])) {
    throw badRequest("Invalid 'tools': expected an array.", 'tools');
  }
  return request as MockChatRequest;
}

function normaliseReply(reply: MockReply | null | undefined): MockReplyObject | undefined {
  if (reply === null || reply === undefined) return undefined;
  if (typeof reply === 'string') return { content: reply };
  if (typeof reply !== 'object') throw new InvalidInputError('startMockServer() options.reply result', reply, 'a string or { content, toolCalls }');
  return reply;
}

/** Connections are cut for a `drop`: flush what was written, then destroy the socket. */
function dropConnection(socket: Socket | null): void {
  if (socket === null || socket.destroyed) return;
  socket.end(() => socket.destroy());
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
 * `stall` or `no-done`. Bad requests get 400 and unknown paths 404, in the API's error shape.
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
 * @param options Port, auth, timing, seed, replies, tool calls, faults, format, models, CORS,
 * keep-alive timeout.
 * @param scheduler Times the tokens and stamps `created`; default `asyncScheduler`.
 * @return A promise of the running server: `baseURL`, `url`, `port`, `stats`, `close()`.
 */
export async function startMockServer(
  options: MockServerOptions = {},
  scheduler: SchedulerLike = asyncScheduler,
): Promise<MockServer> {
  const timing = resolveTiming(options.timing);
  const seed = options.seed ?? 1;
  const faultAfter = options.faultAfterChunks ?? 3;
  if (!Number.isInteger(faultAfter) || faultAfter < 0) {
    throw new InvalidInputError('startMockServer() options.faultAfterChunks', options.faultAfterChunks, 'a whole number >= 0', { detail: String(options.faultAfterChunks) });
  }
  const keepAliveTimeout = options.keepAliveTimeout ?? DEFAULT_KEEP_ALIVE_TIMEOUT_MS;
  if (typeof keepAliveTimeout !== 'number' || !Number.isFinite(keepAliveTimeout) || keepAliveTimeout < 0) {
    throw new InvalidInputError('startMockServer() options.keepAliveTimeout', options.keepAliveTimeout, 'a finite number of ms >= 0', { detail: String(options.keepAliveTimeout) });
  }
  if (options.apiKey !== undefined && (typeof options.apiKey !== 'string' || options.apiKey === '')) {
    throw new InvalidInputError('startMockServer() options.apiKey', options.apiKey, 'a non-empty string');
  }
  const expectedAuth = options.apiKey === undefined ? undefined : Buffer.from(`Bearer ${options.apiKey}`);
  const models = options.models ?? DEFAULT_MODELS;
  const cors = options.cors !== false;
  const format = options.format ?? 'today';
  const faultQueue = Array.isArray(options.faults) ? [...(options.faults as ReadonlyArray<MockFault | null | undefined>)] : undefined;
  const ids: Random = seededRandom(seed ^ 0x5eed);
  /** One fingerprint per server, as one deployment of a model has one. */
  const fingerprint = systemFingerprint(ids);

  const stats: MockServerStats = { requests: 0, completed: 0, aborted: 0, active: 0, errors: 0 };
  let chatRequests = 0;

  const sendJSON = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    if (status >= 400) stats.errors++;
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(text)),
      ...headers,
    });
    res.end(text);
  };
  const sendError = (res: ServerResponse, error: RequestError, headers: Record<string, string> = {}): void =>
    sendJSON(res, error.status, { error: error.body }, headers);

  const authorised = (req: IncomingMessage): RequestError | undefined => {
    if (expectedAuth === undefined) return undefined;
    const header = req.headers.authorization;
    if (header === undefined || header === '') {
      return new RequestError(
        401,
        apiError(
          "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
          'invalid_request_error',
        ),
      );
    }
    const given = Buffer.from(header);
    if (given.length === expectedAuth.length && timingSafeEqual(given, expectedAuth)) return undefined;
    return new RequestError(401, apiError('Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key'));
  };

  const pickFault = (req: IncomingMessage, request: MockChatRequest): MockFault | undefined => {
    const header = req.headers['x-mock-fault'];
    if (header !== undefined) {
      const value = (Array.isArray(header) ? header[0] : header)?.trim();
      if (value === undefined || value === '' || value === 'none') return undefined;
      if (!(FAULTS as readonly string[]).includes(value)) {
        throw badRequest(`Unknown x-mock-fault '${value}'. Expected one of: ${FAULTS.join(', ')}.`);
      }
      return value as MockFault;
    }
    const fault = faultQueue !== undefined ? faultQueue.shift() : typeof options.faults === 'function' ? options.faults(request) : undefined;
    if (fault === null || fault === undefined) return undefined;
    if (!FAULTS.includes(fault)) throw new InvalidInputError('startMockServer() options.faults', fault, `one of ${FAULTS.join(', ')}`, { detail: `'${String(fault)}'` });
    return fault;
  };

  /** Waits before each chunk: the first after the time to first token, then one token time apart. */
  const delaysFor = (chunks: readonly ChatCompletionChunk[], random: Random): number[] => {
    const jittered = (ms: number): number => Math.round(ms * (1 + timing.jitter * (2 * random() - 1)));
    return chunks.map((chunk, index) => {
      if (index === 0) return jittered(timing.timeToFirstTokenMs);
      const choice = chunk.choices[0];
      // Choices of one round, and the usage chunk, come together with the chunk before.
      if (choice === undefined || choice.index > 0) return 0;
      return jittered(timing.perTokenMs);
    });
  };

  const track = (res: ServerResponse): void => {
    // The client may have left while the request was read or the reply prepared: its 'close' has
    // fired already, so count it now (a listener added later would never run).
    if (res.destroyed || res.closed || !res.socket || res.socket.destroyed) {
      stats.aborted++;
      return;
    }
    stats.active++;
    res.on('close', () => {
      stats.active--;
      if (res.writableFinished) stats.completed++;
      else stats.aborted++;
    });
  };

  const chatCompletion = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const request = parseRequest(await readBody(req));
    const fault = pickFault(req, request);
    const index = chatRequests++;
    const headers = { 'x-request-id': requestId(ids) };
    if (fault === 'rate-limit') {
      sendError(
        res,
        new RequestError(
          429,
          apiError(
            `Rate limit reached for ${request.model} on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 1s.`,
            'requests',
            'rate_limit_exceeded',
          ),
        ),
        { ...headers, 'retry-after': '1', 'x-ratelimit-remaining-requests': '0' },
      );
      return;
    }
    if (fault === 'server-error') {
      sendError(
        res,
        new RequestError(500, apiError('The server had an error while processing your request. Sorry about that!', 'server_error')),
        headers,
      );
      return;
    }

    // Loads the model's token ranks once (a no-op after that), in any runtime.
    await loadEncoding(encodingForModel(request.model));

    let custom: MockReplyObject | undefined;
    try {
      custom = normaliseReply(await options.reply?.(request));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new RequestError(500, apiError(redactSecrets(`options.reply failed: ${message}`), 'server_error'));
    }
    const reply = custom ?? scriptedReply(request, options.toolCall);

    let content = reply.content ?? '';
    let finishReason = reply.finishReason;
    const limit = request.max_completion_tokens ?? request.max_tokens ?? undefined;
    if (limit !== undefined) {
      const pieces = tokenPieces(content, request.model);
      if (pieces.length > limit) {
        content = pieces.slice(0, limit).join('');
        finishReason ??= 'length';
      }
    }
    let promptTokens: number;
    try {
      promptTokens = countPromptTokens(request.messages, request.model, request.tools);
    } catch (error) {
      // The counter rejects malformed messages and tools with an InvalidInputError: the request's fault.
      if (error instanceof InvalidInputError) throw badRequest(`Invalid request: ${error.message}`);
      throw error;
    }
    const plan = planReply(content, {
      model: request.model,
      n: request.n ?? 1,
      ...(reply.toolCalls && reply.toolCalls.length > 0 ? { toolCall: reply.toolCalls } : {}),
      ...(finishReason ? { finishReason } : {}),
      promptTokens,
      format,
      systemFingerprint: fingerprint,
      obfuscation: request.stream_options?.include_obfuscation !== false,
      seed: seed + index * 7919,
      created: Math.floor(scheduler.now() / 1000),
    });
    const timingRandom = seededRandom((seed * 31 + index) >>> 0);

    if (request.stream !== true) {
      const completion = planCompletion(plan);
      const wait = delaysFor(planChunks(plan, false), timingRandom).reduce((a, b) => a + b, 0);
      track(res);
      if (fault === 'stall') return;
      const action = scheduler.schedule(() => {
        if (fault === 'drop') return dropConnection(res.socket);
        if (fault === 'error-mid-stream') {
          stats.errors++;
          const text = JSON.stringify({ error: apiError('The server had an error while processing your request. Sorry about that!', 'server_error') });
          res.writeHead(500, { 'content-type': 'application/json', ...headers });
          res.end(text);
          return;
        }
        const text = JSON.stringify(completion);
        res.writeHead(200, { 'content-type': 'application/json', ...headers });
        res.end(fault === 'malformed' ? text.slice(0, Math.floor(text.length / 2)) : text);
      }, wait);
      res.on('close', () => action.unsubscribe());
      return;
    }

    const chunks = planChunks(plan, request.stream_options?.include_usage === true);
    const delays = delaysFor(chunks, timingRandom);
    /** Chunks `from` to `to`, each after its delay (the first after `firstDelay` when given); one timer at a time. */
    const timed = (from: number, to: number, firstDelay?: number): Observable<ChatCompletionChunk> =>
      new Observable<ChatCompletionChunk>((subscriber) => {
        let i = from;
        /** Sends the chunk that is due and any that follow without a wait; returns the next wait, if any. */
        const sendDue = (): number | undefined => {
          do subscriber.next(chunks[i++]!);
          while (i < to && delays[i] === 0 && !subscriber.closed);
          if (subscriber.closed) return undefined;
          if (i < to) return delays[i]!;
          subscriber.complete();
          return undefined;
        };
        const first = firstDelay ?? delays[from] ?? 0;
        if (from >= to) return subscriber.complete();
        if (first === 0 && sendDue() === undefined) return;
        const wait = first === 0 ? delays[i]! : first;
        subscriber.add(
          scheduler.schedule(function (this: SchedulerAction<undefined>) {
            const next = sendDue();
            if (next !== undefined) this.schedule(undefined, next);
          }, wait),
        );
      });

    // Mid-stream faults strike after `faultAfter` chunks, but always before the first finish chunk.
    const firstFinish = chunks.findIndex((chunk) => chunk.choices.some((choice) => choice.finish_reason !== null));
    const cut = Math.min(faultAfter, firstFinish === -1 ? chunks.length : firstFinish);
    const afterCut = (action: () => Observable<ChatCompletionChunk>): Observable<ChatCompletionChunk> =>
      concat(
        timed(0, cut),
        timer(cut < chunks.length ? (delays[cut] ?? 0) : timing.perTokenMs, scheduler).pipe(mergeMap(action)),
      );

    let source: Observable<ChatCompletionChunk>;
    switch (fault) {
      case 'error-mid-stream':
        source = afterCut(() =>
          throwError(
            () =>
              new StreamAPIError(apiError('The server had an error while processing your request. Sorry about that!', 'server_error')),
          ),
        );
        break;
      case 'drop':
        source = afterCut(() => {
          dropConnection(res.socket);
          return NEVER;
        });
        break;
      case 'stall':
        source = concat(timed(0, cut), NEVER);
        break;
      case 'malformed':
        source = afterCut(() => {
          res.write(`data: {"id":"${plan.id}","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"\n\n`);
          return timed(cut, chunks.length, 0);
        });
        break;
      case 'no-done':
        source = concat(
          timed(0, chunks.length),
          defer(() => {
            res.end();
            return NEVER;
          }),
        );
        break;
      default:
        source = timed(0, chunks.length);
    }
    track(res);
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    pipeSSE(source, res, {}, scheduler);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    stats.requests++;
    if (cors) {
      res.setHeader('access-control-allow-origin', '*');
      res.setHeader('access-control-expose-headers', 'x-request-id, retry-after');
    }
    const path = (req.url ?? '/').split('?')[0]!.replace(/\/+$/, '') || '/';
    if (cors && req.method === 'OPTIONS') {
      res.writeHead(204, {
        'access-control-allow-methods': 'GET, POST, OPTIONS',
        'access-control-allow-headers': String(req.headers['access-control-request-headers'] ?? 'authorization, content-type'),
        'access-control-max-age': '86400',
      });
      res.end();
      return;
    }
    const denied = authorised(req);
    if (denied) return sendError(res, denied);

    if (req.method === 'POST' && path === '/v1/chat/completions') return chatCompletion(req, res);
    if (req.method === 'GET' && path === '/v1/models') {
      return sendJSON(res, 200, {
        object: 'list',
        data: models.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'rxjs-chat-stream' })),
      });
    }
    const model = req.method === 'GET' ? /^\/v1\/models\/([^/]+)$/.exec(path) : null;
    if (model) {
      const id = decodeURIComponent(model[1]!);
      if (models.includes(id)) return sendJSON(res, 200, { id, object: 'model', created: 1_700_000_000, owned_by: 'rxjs-chat-stream' });
      return sendError(
        res,
        new RequestError(404, apiError(`The model '${id}' does not exist or you do not have access to it.`, 'invalid_request_error', 'model_not_found')),
      );
    }
    return sendError(
      res,
      new RequestError(404, apiError(`Invalid URL (${req.method ?? 'GET'} ${path})`, 'invalid_request_error')),
    );
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent || res.destroyed) {
        res.destroy();
        return;
      }
      if (error instanceof RequestError) return sendError(res, error);
      sendError(res, new RequestError(500, apiError('The server had an error while processing your request.', 'server_error')));
    });
  });
  server.keepAliveTimeout = keepAliveTimeout;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
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

