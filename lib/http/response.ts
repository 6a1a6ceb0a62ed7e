import type { SchedulerLike, Subscriber } from 'rxjs';
import { HTTPStatusError, type APIErrorBody } from '../errors.js';
import { isObject } from '../json.js';
import { redactAndCut } from '../redact.js';
import { connectionLost } from './connection.js';

/** The part of a `ReadableStreamDefaultReader` the toolkit uses. */
export interface ByteReaderLike {
  read(): PromiseLike<{ done: boolean; value?: Uint8Array | string | undefined }>;
  cancel(reason?: unknown): PromiseLike<unknown>;
  releaseLock?(): void;
}

/** The part of a `ReadableStream` the toolkit uses (a WHATWG stream of any realm fits). */
export interface ByteStreamLike {
  getReader(): ByteReaderLike;
  readonly locked?: boolean;
}

/** The part of a fetch `Response` the toolkit uses (undici's, a browser's, a polyfill's). */
export interface ResponseLike {
  readonly status: number;
  readonly statusText?: string;
  readonly headers?: { get(name: string): string | null } | undefined;
  readonly body: ByteStreamLike | null;
  readonly bodyUsed?: boolean;
}

/** How much of an error response body is read, and how much of it goes into a message. */
const ERROR_BODY_LIMIT = 64 * 1024;
const ERROR_TEXT_LIMIT = 500;

/**
 * Pushes what a reader yields into a subscriber until the stream ends or the subscriber closes.
 * Returns the teardown: it cancels the reader at once (a pending `read()` then settles, and is
 * ignored) unless the stream already ended. Either way the reader's lock is released at the end,
 * so the stream reads as unlocked (`body.locked === false`) once nobody reads it. A read that fails
 * is a connection lost mid-body: it errors with an `IncompleteStreamError` (`reason:
 * 'connection-lost'`, the original as `cause`), unless it is an abort or already the toolkit's.
 * @internal
 */
export function pumpReader(
  reader: ByteReaderLike,
  subscriber: Subscriber<Uint8Array | string>,
  onEnd: () => void,
): () => void {
  let stopped = false;
  const fail = (error: unknown): void => {
    if (stopped || subscriber.closed) return;
    stopped = true;
    releaseQuietly(reader);
    onEnd();
    subscriber.error(connectionLost(error, true));
  };
  const pump = (): void => {
    let pending: PromiseLike<{ done: boolean; value?: Uint8Array | string | undefined }>;
    try {
      pending = reader.read();
    } catch (error) {
      fail(error);
      return;
    }
    pending.then((result) => {
      if (stopped || subscriber.closed) return;
      if (result.done) {
        stopped = true;
        releaseQuietly(reader);
        onEnd();
        subscriber.complete();
        return;
      }
      if (result.value !== undefined) subscriber.next(result.value);
      if (!subscriber.closed) pump();
    }, fail);
  };
  pump();
  return () => {
    if (stopped) return;
    stopped = true;
    cancelQuietly(reader);
    releaseQuietly(reader);
  };
}

/** Releases a reader's lock and ignores a failure (a reader of another kind, already released). */
function releaseQuietly(reader: ByteReaderLike): void {
  try {
    reader.releaseLock?.();
  } catch {
    // Nothing to release.
  }
}

/** Cancels a reader or stream and ignores how that settles (nobody is listening any more). */
export function cancelQuietly(target: { cancel(reason?: unknown): PromiseLike<unknown> }): void {
  try {
    const result = target.cancel();
    if (result && typeof (result as Promise<unknown>).then === 'function') {
      (result as Promise<unknown>).then(undefined, () => undefined);
    }
  } catch {
    // Already closed or errored.
  }
}

/** Whether a status is a success (2xx). */
export function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}

/**
 * Reads (at most 64 KiB of) a non-2xx response and builds its `HTTPStatusError`. Returns the
 * promise and a `cancel` to stop reading when the subscriber goes away first.
 * @internal
 */
export function readHTTPError(
  response: ResponseLike,
  scheduler: SchedulerLike,
): { error: Promise<HTTPStatusError>; cancel: () => void } {
  let reader: ByteReaderLike | undefined;
  let cancelled = false;
  const read = async (): Promise<string> => {
    if (!response.body) return '';
    reader = response.body.getReader();
    const decoder = new TextDecoder();
    let text = '';
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done || cancelled) break;
      if (typeof value === 'string') {
        text += value;
        size += value.length;
      } else if (value !== undefined) {
        text += decoder.decode(value, { stream: true });
        size += value.byteLength;
      }
      if (size >= ERROR_BODY_LIMIT) {
        cancelQuietly(reader);
        break;
      }
    }
    return text + decoder.decode();
  };
  const build = (text: string): HTTPStatusError => {
    const headers = response.headers;
    const header = (name: string): string | null => {
      try {
        return headers?.get(name) ?? null;
      } catch {
        return null;
      }
    };
    const error = parseAPIError(text);
    const statusText = response.statusText ?? '';
    const init: ConstructorParameters<typeof HTTPStatusError>[0] = { status: response.status, statusText };
    if (error) init.error = error;
    else {
      // Redacted before it is cut, so a key the cut splits cannot show in part.
      const snippet = redactAndCut(text.replace(/\s+/g, ' ').trim(), ERROR_TEXT_LIMIT);
      if (snippet !== '') init.message = `${response.status}${statusText ? ` ${statusText}` : ''}: ${snippet}`;
    }
    const retryAfterMs = parseRetryAfter(header('retry-after-ms'), header('retry-after'), scheduler);
    if (retryAfterMs !== undefined) init.retryAfterMs = retryAfterMs;
    const requestId = header('x-request-id');
    if (requestId) init.requestId = requestId;
    return new HTTPStatusError(init);
  };
  return {
    // A body that fails to read still gives the status error, without the API's message.
    error: read().then(build, () => build('')),
    cancel: () => {
      if (cancelled) return;
      cancelled = true;
      if (reader) cancelQuietly(reader);
      else if (response.body) cancelQuietly(response.body as unknown as { cancel(): PromiseLike<unknown> });
    },
  };
}

/**
 * The API's error object from an error response body: OpenAI's `{ error: { message, … } }`,
 * `{ error: "text" }`, or a top-level `{ message, … }`. Undefined when the body holds none.
 * @internal
 */
export function parseAPIError(text: string): APIErrorBody | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(value)) return undefined;
  const { error, message } = value;
  if (isObject(error)) return error as APIErrorBody;
  if (typeof error === 'string') return { message: error };
  if (typeof message === 'string') return value as APIErrorBody;
  return undefined;
}

/**
 * The wait a response asks for, in ms: `retry-after-ms`, else `retry-after` as seconds or as an
 * HTTP date (measured against the scheduler's clock). Undefined when neither is usable.
 * @internal
 */
export function parseRetryAfter(
  retryAfterMs: string | null,
  retryAfter: string | null,
  scheduler: SchedulerLike,
): number | undefined {
  if (retryAfterMs !== null && /^\s*\d+(\.\d+)?\s*$/.test(retryAfterMs)) return Number(retryAfterMs);
  if (retryAfter === null) return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(retryAfter)) return Number(retryAfter) * 1000;
  const date = Date.parse(retryAfter);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - scheduler.now());
}
