/*
 * The local server's options, and their checks: every option is checked once, when the server
 * starts, and a bad one is an `InvalidInputError` naming it.
 */
import { InvalidInputError } from '../../errors.js';
import type { ChunkFormat, MockToolCall } from '../completion.js';
import type { MockChatRequest, MockReply } from '../responder.js';
import type { MockFault } from './faults.js';
import { checkQuirks, type MockQuirk } from './quirks.js';
import { resolveTiming, type MockTiming } from './timing.js';

/** Options of `startMockServer`. */
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
  /**
   * Provider quirks to replay on every chat request (what OpenAI-compatible servers send that the
   * OpenAI API does not: Ollama's tool-call indexes, no `finish_reason`, reasoning fields, …).
   * The `x-mock-quirks` request header (comma-separated) replaces them for one request.
   */
  quirks?: readonly MockQuirk[];
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

/** The options, checked and with every default filled in. @internal */
export interface ResolvedOptions {
  readonly port: number;
  readonly host: string;
  readonly apiKey: string | undefined;
  readonly timing: Required<MockTiming>;
  readonly seed: number;
  readonly reply: MockServerOptions['reply'];
  readonly toolCall: MockServerOptions['toolCall'];
  /** The next fault of `options.faults` (a list taken in order, or the function), for a request. */
  readonly nextFault: (request: MockChatRequest) => MockFault | null | undefined;
  readonly faultAfterChunks: number;
  readonly quirks: readonly MockQuirk[];
  readonly format: ChunkFormat;
  readonly models: readonly string[];
  readonly cors: boolean;
  readonly keepAliveTimeout: number;
}

const DEFAULT_MODELS = ['gpt-4o-mini', 'gpt-4o', 'gpt-4.1-nano', 'gpt-3.5-turbo'];
const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 65_000;

/** Checks the options and fills in the defaults; an `InvalidInputError` for a bad one. @internal */
export function resolveOptions(options: MockServerOptions): ResolvedOptions {
  const timing = resolveTiming(options.timing);
  const faultAfterChunks = options.faultAfterChunks ?? 3;
  if (!Number.isInteger(faultAfterChunks) || faultAfterChunks < 0) {
    throw new InvalidInputError('startMockServer() options.faultAfterChunks', options.faultAfterChunks, 'a whole number >= 0', { detail: String(options.faultAfterChunks) });
  }
  const keepAliveTimeout = options.keepAliveTimeout ?? DEFAULT_KEEP_ALIVE_TIMEOUT_MS;
  if (typeof keepAliveTimeout !== 'number' || !Number.isFinite(keepAliveTimeout) || keepAliveTimeout < 0) {
    throw new InvalidInputError('startMockServer() options.keepAliveTimeout', options.keepAliveTimeout, 'a finite number of ms >= 0', { detail: String(options.keepAliveTimeout) });
  }
  if (options.apiKey !== undefined && (typeof options.apiKey !== 'string' || options.apiKey === '')) {
    throw new InvalidInputError('startMockServer() options.apiKey', options.apiKey, 'a non-empty string');
  }
  const faults = options.faults;
  const queue = Array.isArray(faults) ? [...(faults as ReadonlyArray<MockFault | null | undefined>)] : undefined;
  return {
    port: options.port ?? 0,
    host: options.host ?? '127.0.0.1',
    apiKey: options.apiKey,
    timing,
    seed: options.seed ?? 1,
    reply: options.reply,
    toolCall: options.toolCall,
    nextFault: (request) => (queue !== undefined ? queue.shift() : typeof faults === 'function' ? faults(request) : undefined),
    faultAfterChunks,
    quirks: checkQuirks(options.quirks),
    format: options.format ?? 'today',
    models: options.models ?? DEFAULT_MODELS,
    cors: options.cors !== false,
    keepAliveTimeout,
  };
}
