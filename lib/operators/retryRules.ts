import type { SchedulerLike } from 'rxjs';
import { StreamTimeoutError } from '../errors.js';
import { isObject } from '../json.js';
import { parseRetryAfter } from '../http/response.js';

/*
 * Which failures are worth another request, and how long to wait before it: the one rule that
 * `retryStream` and `streamMany` share. Errors are recognised by their shape, never with
 * `instanceof` of the `openai` SDK's classes (the toolkit does not import the SDK, and another
 * copy of it would have other classes anyway).
 */

/** HTTP statuses a request may be retried after: timeout, conflict, rate limit, any 5xx. */
const RETRYABLE_STATUS = (status: number): boolean => status === 408 || status === 409 || status === 429 || status >= 500;

/** The SDK's connection errors, by class name (a subclass's chain is walked too). */
const CONNECTION_ERRORS = new Set(['APIConnectionError', 'APIConnectionTimeoutError']);

/** What undici's `fetch` rejects with on a network failure: `TypeError: fetch failed` (the reason in `cause`), or `terminated` for a body cut short. */
const FETCH_NETWORK_MESSAGES = new Set(['fetch failed', 'terminated']);

/**
 * System error codes of a failure that a new connection may not meet: reset, refused (a server
 * restarting), timed out, broken pipe, a transient name lookup, undici's socket errors. Not
 * `ENOTFOUND` (a wrong host stays wrong) nor TLS certificate errors.
 */
const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ENETDOWN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/** How deep the `cause` chain is searched. */
const MAX_DEPTH = 8;

function field(error: unknown, name: string): unknown {
  return typeof error === 'object' && error !== null ? (error as Record<string, unknown>)[name] : undefined;
}

/** The names of an error's class and its ancestors (`['APIConnectionTimeoutError', 'APIConnectionError', 'APIError', …]`). */
function classNames(error: object): string[] {
  const names: string[] = [];
  let prototype: unknown = Object.getPrototypeOf(error);
  for (let depth = 0; prototype !== null && prototype !== undefined && depth < MAX_DEPTH; depth++) {
    const name = (prototype as { constructor?: { name?: unknown } }).constructor?.name;
    if (typeof name === 'string') names.push(name);
    prototype = Object.getPrototypeOf(prototype);
  }
  return names;
}

/**
 * The HTTP status of a failed response: our `HTTPStatusError`'s `status`, or the SDK's
 * `APIError`'s (any object with a numeric `status` from 100 to 599).
 * @internal
 */
export function httpStatusOf(error: unknown): number | undefined {
  const status = field(error, 'status');
  return typeof status === 'number' && Number.isInteger(status) && status >= 100 && status <= 599 ? status : undefined;
}

/** A response header of the SDK's error (`headers` a `Headers`, or a plain record in older SDKs). */
function headerOf(error: unknown, name: string): string | null {
  const headers = field(error, 'headers');
  if (typeof headers !== 'object' || headers === null) return null;
  const get = (headers as { get?: unknown }).get;
  if (typeof get === 'function') {
    const value: unknown = get.call(headers, name);
    return typeof value === 'string' ? value : null;
  }
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name && typeof value === 'string') return value;
  }
  return null;
}

/** Whether the request was aborted on purpose (`AbortError`, the SDK's `APIUserAbortError`): never retried. */
function isAbort(error: object): boolean {
  const name = (error as { name?: unknown }).name;
  return name === 'AbortError' || classNames(error).includes('APIUserAbortError');
}

/** The first string `code` on an error or in its `cause` chain (and an `AggregateError`'s `errors`). */
function systemCode(error: unknown, depth = 0): string | undefined {
  if (typeof error !== 'object' || error === null || depth > MAX_DEPTH) return undefined;
  const code = field(error, 'code');
  if (typeof code === 'string' && code !== '') return code;
  const nested = field(error, 'errors');
  if (Array.isArray(nested)) {
    for (const inner of nested) {
      const found = systemCode(inner, depth + 1);
      if (found !== undefined) return found;
    }
  }
  return systemCode(field(error, 'cause'), depth + 1);
}

/** Whether the error, or one in its `cause` chain, is a connection error of the SDK or of `fetch`. */
function isConnectionFailure(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > MAX_DEPTH) return false;
  if (classNames(error).some((name) => CONNECTION_ERRORS.has(name))) return true;
  if (error instanceof TypeError && FETCH_NETWORK_MESSAGES.has(error.message)) return true;
  return isConnectionFailure(field(error, 'cause'), depth + 1);
}

/**
 * Whether an error is a network failure worth a new connection: when a system code is found on
 * it or in its `cause` chain, that code decides (transient ones only); else the SDK's connection
 * errors and `fetch`'s network `TypeError`s are.
 */
function isNetworkError(error: unknown): boolean {
  const code = systemCode(error);
  if (code !== undefined) return TRANSIENT_CODES.has(code);
  return isConnectionFailure(error);
}

/**
 * Whether a failure that came before any output is worth another request:
 * - never an abort (`AbortError`, `APIUserAbortError`);
 * - a `StreamTimeoutError` of the phase `first` (no chunk came; `idle` and `total` are not);
 * - an HTTP status 408, 409, 429 or 5xx (`HTTPStatusError`, the SDK's `APIError`s, by their
 *   `status`), unless the response said `x-should-retry: false` (and any status when it said
 *   `true`), as the SDK itself decides;
 * - an error the server sent in the stream with `type: 'server_error'` (`StreamAPIError`, or
 *   the SDK's `APIError` without a status);
 * - a network failure: the SDK's `APIConnectionError` (and `APIConnectionTimeoutError`),
 *   `fetch`'s `TypeError: fetch failed` or `terminated`, or a transient system code
 *   (`ECONNRESET`, `ECONNREFUSED`, `ETIMEDOUT`, `EPIPE`, `EAI_AGAIN`, undici's `UND_ERR_SOCKET`
 *   …) on the error or anywhere in its `cause` chain; a code found decides, so an SDK connection
 *   error caused by `ENOTFOUND` or a TLS certificate error is not retried;
 * - nothing else (400, 401, 403, 404, 422, parse errors, invalid chunks, a bug).
 * @internal
 */
export function isRetryableError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  if (isAbort(error)) return false;
  if (error instanceof StreamTimeoutError) return error.phase === 'first';
  const status = httpStatusOf(error);
  if (status !== undefined) {
    const should = headerOf(error, 'x-should-retry');
    if (should === 'true') return true;
    if (should === 'false') return false;
    return RETRYABLE_STATUS(status);
  }
  const body = field(error, 'error');
  if (field(error, 'type') === 'server_error' || (isObject(body) && body['type'] === 'server_error')) return true;
  return isNetworkError(error);
}

/**
 * How long the server asked to wait, in ms: `HTTPStatusError.retryAfterMs`, or the SDK error's
 * `retry-after-ms` / `retry-after` (seconds or an HTTP date) response headers.
 * @internal
 */
export function retryAfterOf(error: unknown, scheduler: SchedulerLike): number | undefined {
  const own = field(error, 'retryAfterMs');
  if (typeof own === 'number' && Number.isFinite(own) && own >= 0) return own;
  return parseRetryAfter(headerOf(error, 'retry-after-ms'), headerOf(error, 'retry-after'), scheduler);
}

/** The backoff settings `retryStream` and `streamMany` share. @internal */
export interface Backoff {
  /** The first wait, in ms; doubled per retry. */
  delay: number;
  /** The longest wait, in ms. */
  maxDelay: number;
  /** How much of each wait may be cut at random: 0 (none) to 1. */
  jitter: number;
  /** Random numbers in [0, 1). */
  random: () => number;
}

/**
 * The wait before retry number `attempt` (1 for the first): the server's `retry-after` when it
 * sent one (undefined, meaning "do not retry", when that is longer than `maxDelay`), else
 * `delay × 2^(attempt − 1)`, capped at `maxDelay`, minus up to `jitter` of it at random.
 * @internal
 */
export function retryWait(error: unknown, attempt: number, backoff: Backoff, scheduler: SchedulerLike): number | undefined {
  const asked = retryAfterOf(error, scheduler);
  if (asked !== undefined) return asked <= backoff.maxDelay ? asked : undefined;
  const exponential = Math.min(backoff.maxDelay, backoff.delay * 2 ** Math.min(attempt - 1, 52));
  return exponential * (1 - backoff.jitter * backoff.random());
}
