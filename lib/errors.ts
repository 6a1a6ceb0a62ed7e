import { redactSecrets } from './redact.js';
import type { ChatCompletionSnapshot } from './types.js';

/** Options every toolkit error takes. */
export interface ChatStreamErrorOptions {
  cause?: unknown;
  /** What the stream had produced before the error (see {@link ChatStreamError.partial}). */
  partial?: ChatCompletionSnapshot;
}

/**
 * The base class of every error the toolkit raises. Catch it to catch them all; test the
 * subclasses (or `name`) to tell them apart.
 */
export class ChatStreamError extends Error {
  override name: string = 'ChatStreamError';
  /**
   * The completion received before the error, when output had begun: set by `accumulate()`,
   * `toChatCompletion()` and `usage()` as the error passes through them.
   */
  partial?: ChatCompletionSnapshot;

  constructor(message: string, options: ChatStreamErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    if (options.partial !== undefined) this.partial = options.partial;
  }
}

/** Why an {@link SSEParseError} was raised. */
export type SSEParseErrorReason = 'invalid-json' | 'not-an-object' | 'invalid-utf8';

/** The byte stream or an event in it could not be read as a chat-completion stream. */
export class SSEParseError extends ChatStreamError {
  override name = 'SSEParseError' as const;
  readonly reason: SSEParseErrorReason;
  /** The offending event data, cut to 1,000 characters. */
  readonly data: string;

  constructor(
    message: string,
    options: ChatStreamErrorOptions & { reason: SSEParseErrorReason; data: string },
  ) {
    super(message, options);
    this.reason = options.reason;
    this.data = options.data.length > 1000 ? `${options.data.slice(0, 1000)}…` : options.data;
  }
}

/** The error object an OpenAI-compatible API sends (`{ error: { message, type, code, param } }`). */
export interface APIErrorBody {
  message?: string;
  type?: string | null;
  code?: string | number | null;
  param?: string | null;
  [key: string]: unknown;
}

/** The server reported an error inside the stream (`event: error`, or a `data` with `error`). */
export class StreamAPIError extends ChatStreamError {
  override name = 'StreamAPIError' as const;
  readonly type: string | null;
  readonly code: string | number | null;
  readonly param: string | null;
  /** The error object as the server sent it. */
  readonly error: APIErrorBody | string;

  constructor(error: APIErrorBody | string, options: ChatStreamErrorOptions = {}) {
    const body: APIErrorBody = typeof error === 'string' ? { message: error } : error;
    // The server's words, but never a key or token it may have echoed.
    super(redactSecrets(body.message ?? 'The server reported an error in the stream'), options);
    this.type = body.type ?? null;
    this.code = body.code ?? null;
    this.param = body.param ?? null;
    this.error = error;
  }
}

/** The HTTP response was not a 2xx. Carries the status and the API's own error, never a request header. */
export class HTTPStatusError extends ChatStreamError {
  override name = 'HTTPStatusError' as const;
  readonly status: number;
  readonly statusText: string;
  /** The API's error object, when the body held one. */
  readonly error: APIErrorBody | undefined;
  readonly type: string | null;
  readonly code: string | number | null;
  /** How long the server asked to wait (`retry-after-ms`, else `retry-after` in seconds or as a date). */
  readonly retryAfterMs: number | undefined;
  /** The `x-request-id` response header, when sent (handy for support requests). */
  readonly requestId: string | undefined;

  constructor(init: {
    status: number;
    statusText?: string;
    error?: APIErrorBody;
    retryAfterMs?: number;
    requestId?: string;
    message?: string;
  }) {
    const message =
      init.message ??
      `${init.status}${init.statusText ? ` ${init.statusText}` : ''}${init.error?.message ? `: ${init.error.message}` : ''}`;
    // The server's words, but never a key or token it may have echoed (a proxy, a debug server).
    super(redactSecrets(message));
    this.status = init.status;
    this.statusText = init.statusText ?? '';
    this.error = init.error;
    this.type = init.error?.type ?? null;
    this.code = init.error?.code ?? null;
    this.retryAfterMs = init.retryAfterMs;
    this.requestId = init.requestId;
  }
}

/** Why an {@link IncompleteStreamError} was raised. */
export type IncompleteStreamReason =
  /** The body ended before `data: [DONE]`. */
  | 'no-done'
  /** The stream completed without a single chunk. */
  | 'no-chunks'
  /** The stream completed, but a choice never got its `finish_reason`. */
  | 'unfinished-choice';

/** The stream ended before the answer did. `partial` holds what came, when anything did. */
export class IncompleteStreamError extends ChatStreamError {
  override name = 'IncompleteStreamError' as const;
  readonly reason: IncompleteStreamReason;

  constructor(message: string, options: ChatStreamErrorOptions & { reason: IncompleteStreamReason }) {
    super(message, options);
    this.reason = options.reason;
  }
}

/** What a value is, for a message: `a number`, `an array`, `null`; never the value itself. */
function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  const type = typeof value;
  return type === 'object' || type === 'undefined' ? `an ${type}` : `a ${type}`;
}

/**
 * A chunk is not shaped like a chat-completion chunk: a known field has the wrong type
 * (`delta.content: 42`, `choices: {}`, `index: -1`). Raised by the merge (`accumulate()`,
 * `toChatCompletion()`, `usage()`) and by `contentDeltas()`, instead of dropping what it cannot read.
 */
export class InvalidChunkError extends ChatStreamError {
  override name = 'InvalidChunkError' as const;
  /** Where the field is: `chunk.choices[0].delta.content`. */
  readonly path: string;
  /** What it must be: `a string`. */
  readonly expected: string;
  /** What it was, as a type (`a number`, `null`): the value itself is not kept. */
  readonly got: string;

  constructor(path: string, value: unknown, expected: string, options: ChatStreamErrorOptions = {}) {
    const got = describeType(value);
    super(`Invalid chat-completion chunk: ${path} must be ${expected}, got ${got}`, options);
    this.path = path;
    this.expected = expected;
    this.got = got;
  }
}

/**
 * Attaches `partial` to an error on its way to the subscriber, without changing its class: a
 * toolkit error gets the field, another error (the SDK's `APIError`, an `AbortError`) gets it
 * as a non-enumerable property of the same object, so it still passes through unchanged.
 * An error that already carries a `partial` keeps it (the innermost accumulator knew most).
 * @internal
 */
export function attachPartial(error: unknown, partial: ChatCompletionSnapshot | undefined): unknown {
  if (partial === undefined || error === null || typeof error !== 'object') return error;
  const target = error as { partial?: unknown };
  if (target.partial !== undefined) return error;
  if (error instanceof ChatStreamError) {
    error.partial = partial;
  } else if (Object.isExtensible(error)) {
    Object.defineProperty(error, 'partial', {
      value: partial,
      enumerable: false,
      configurable: true,
      writable: true,
    });
  }
  return error;
}
