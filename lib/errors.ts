import { describeType, isObject } from './json.js';
import { redactAndCut, redactErrorInPlace, redactSecrets, redactValue } from './redact.js';
import type { ChatCompletionSnapshot } from './types.js';

/** Options every toolkit error takes. */
export interface ChatStreamErrorOptions {
  cause?: unknown;
  /** What the stream had produced before the error (see {@link ChatStreamError.partial}). */
  partial?: ChatCompletionSnapshot;
}

/**
 * The base class of every error the toolkit raises. Catch it to catch them all; test the
 * subclasses (or `name`) to tell them apart. Its message is redacted (a key or a token in it
 * becomes `***`), and so is every server text a subclass keeps.
 */
export class ChatStreamError extends Error {
  override name: string = 'ChatStreamError';
  /**
   * The completion received before the error, when output had begun: set by `accumulate()`,
   * `toChatCompletion()` and `usage()` as the error passes through them.
   */
  partial?: ChatCompletionSnapshot;

  constructor(message: string, options: ChatStreamErrorOptions = {}) {
    // Redacted before `super`, so the stack (which starts with the message) is clean too.
    super(redactSecrets(message), options.cause === undefined ? undefined : { cause: options.cause });
    if (options.partial !== undefined) this.partial = options.partial;
  }
}

/** Why an {@link SSEParseError} was raised. */
export type SSEParseErrorReason = 'invalid-json' | 'not-an-object' | 'invalid-utf8';

/** The byte stream or an event in it could not be read as a chat-completion stream. */
export class SSEParseError extends ChatStreamError {
  override name = 'SSEParseError' as const;
  readonly reason: SSEParseErrorReason;
  /** The offending event data, redacted, then cut to 1,000 characters. */
  readonly data: string;

  constructor(
    message: string,
    options: ChatStreamErrorOptions & { reason: SSEParseErrorReason; data: string },
  ) {
    super(message, options);
    this.reason = options.reason;
    this.data = typeof options.data === 'string' ? redactAndCut(options.data, 1000) : '';
  }
}

/**
 * The error object an OpenAI-compatible API sends (`{ error: { message, type, code, param } }`).
 * As the errors keep it, it is a redacted copy with the server's own types: a server may send a
 * `message` that is not a string (the errors' `message`, `type`, `code`, `param` are checked).
 */
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
  /** The body's `type` when it is a string, else null. */
  readonly type: string | null;
  /** The body's `code` when it is a string or a number, else null. */
  readonly code: string | number | null;
  /** The body's `param` when it is a string, else null. */
  readonly param: string | null;
  /**
   * The error object as the server sent it, but redacted: a copy with every string in it passed
   * through the redaction (the value of an `authorization` or `apiKey` key masked whole), at most
   * 8 levels and 1,000 values deep, each string cut to 10,000 characters.
   */
  readonly error: APIErrorBody | string;

  constructor(error: APIErrorBody | string, options: ChatStreamErrorOptions = {}) {
    // Never a key or token the server may have echoed: everything kept is a redacted copy.
    const copy = redactValue(error);
    const body: APIErrorBody = isObject(copy) ? copy : {};
    const message = typeof copy === 'string' ? copy : body['message'];
    const fallback = 'The server reported an error in the stream';
    super(typeof message === 'string' && message !== '' ? message : withBody(fallback, typeof copy === 'string' ? undefined : copy), options);
    this.type = stringOrNull(body['type']);
    this.code = codeOrNull(body['code']);
    this.param = stringOrNull(body['param']);
    this.error = typeof copy === 'string' || isObject(copy) ? (copy as APIErrorBody | string) : (describeBody(copy) ?? '');
  }
}

/** The HTTP response was not a 2xx. Carries the status and the API's own error, never a request header. */
export class HTTPStatusError extends ChatStreamError {
  override name = 'HTTPStatusError' as const;
  readonly status: number;
  /** The response's status text, redacted. */
  readonly statusText: string;
  /** The API's error object, when the body held one: a redacted copy, as {@link StreamAPIError.error}. */
  readonly error: APIErrorBody | undefined;
  /** The error's `type` when it is a string, else null. */
  readonly type: string | null;
  /** The error's `code` when it is a string or a number, else null. */
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
    // The server's words, but never a key or token it may have echoed (a proxy, a debug server).
    const copy = init.error === undefined ? undefined : redactValue(init.error);
    const error: APIErrorBody | undefined = isObject(copy) ? copy : typeof copy === 'string' ? { message: copy } : undefined;
    const statusText = typeof init.statusText === 'string' ? redactSecrets(init.statusText) : '';
    const status = `${init.status}${statusText ? ` ${statusText}` : ''}`;
    const detail = error?.message;
    const message =
      typeof init.message === 'string'
        ? init.message
        : typeof detail === 'string' && detail !== ''
          ? `${status}: ${detail}`
          : withBody(status, error ?? copy);
    super(message);
    this.status = init.status;
    this.statusText = statusText;
    this.error = error;
    this.type = stringOrNull(error?.type);
    this.code = codeOrNull(error?.code);
    this.retryAfterMs = init.retryAfterMs;
    this.requestId = typeof init.requestId === 'string' ? redactSecrets(init.requestId) : undefined;
  }
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function codeOrNull(value: unknown): string | number | null {
  return typeof value === 'string' || typeof value === 'number' ? value : null;
}

/** A redacted body as short JSON (300 characters), or undefined when there is nothing to show. */
function describeBody(body: unknown): string | undefined {
  let json: string | undefined;
  try {
    json = JSON.stringify(body);
  } catch {
    return undefined; // a BigInt
  }
  if (json === undefined || json === '{}' || json === '[]' || json === 'null' || json === '""') return undefined;
  return json.length > 300 ? `${json.slice(0, 300)}…` : json;
}

/** `text: <the body as short JSON>`, or `text` alone when the body shows nothing. */
function withBody(text: string, body: unknown): string {
  const shown = describeBody(body);
  return shown === undefined ? text : `${text}: ${shown}`;
}

/** Why an {@link IncompleteStreamError} was raised. */
export type IncompleteStreamReason =
  /** The body ended before `data: [DONE]`. */
  | 'no-done'
  /** The stream completed without a single chunk. */
  | 'no-chunks'
  /** The stream completed, but a choice never got its `finish_reason`. */
  | 'unfinished-choice'
  /**
   * The connection broke while the body was read (a reset socket, a proxy that hung up: undici's
   * `TypeError: terminated`, Node's `ECONNRESET`); the original error is the `cause`.
   */
  | 'connection-lost';

/** The stream ended before the answer did. `partial` holds what came, when anything did. */
export class IncompleteStreamError extends ChatStreamError {
  override name = 'IncompleteStreamError' as const;
  readonly reason: IncompleteStreamReason;

  constructor(message: string, options: ChatStreamErrorOptions & { reason: IncompleteStreamReason }) {
    super(message, options);
    this.reason = options.reason;
  }
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
 * A value given to the toolkit is not what it must be: an argument or an option
 * (`keepAliveMs: -1`), or a value of a source stream that is not a chunk's wire form (a piece of
 * an event stream that is neither bytes nor text, an event without string `data`). Raised instead
 * of a bare `TypeError` or `RangeError`, with the same three facts as {@link InvalidChunkError}.
 */
export class InvalidInputError extends ChatStreamError {
  override name = 'InvalidInputError' as const;
  /** What was wrong: `toSSE() options.keepAliveMs`, `sseEvents() piece`. */
  readonly path: string;
  /** What it must be: `a finite number >= 0`. */
  readonly expected: string;
  /** What it was, as a type (`a number`, `null`, `a Map`): the value itself is not kept. */
  readonly got: string;

  /**
   * @param detail Replaces the `got <type>` of the message where the type alone says too little
   * (`got -1` for an out-of-range number); `got` still names the type.
   */
  constructor(path: string, value: unknown, expected: string, options: ChatStreamErrorOptions & { detail?: string } = {}) {
    const got = describeType(value);
    // A number is shown as it is (it is never a secret): `got -1` says more than `got a number`.
    super(`Invalid input: ${path} must be ${expected}, got ${options.detail ?? (typeof value === 'number' ? String(value) : got)}`, options);
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

/** Why a {@link PartialJsonError} was raised. */
export type PartialJsonErrorReason =
  /** A character that no JSON text can have there (`position` is where it is). */
  | 'invalid-json'
  /** The input ended before the value did (`{"a": 1`), and incomplete input was not accepted. */
  | 'incomplete'
  /** Containers nested deeper than the parser's `maxDepth`. */
  | 'too-deep'
  /** A source value that is not a string. */
  | 'not-a-string';

/**
 * Text given to `partialJson()` (or its parser) is not JSON: raised at the first character that
 * makes it invalid, when the input ends before the value is complete, or when a source value is
 * not a string.
 */
export class PartialJsonError extends ChatStreamError {
  override name = 'PartialJsonError' as const;
  readonly reason: PartialJsonErrorReason;
  /**
   * Where: the index (in UTF-16 code units, counted over the whole input, a code fence included)
   * of the first invalid character; for `incomplete` and `not-a-string`, the length read so far.
   */
  readonly position: number;
  /** The text around `position` (at most 24 characters before it and 16 from it), redacted. */
  readonly snippet: string;
  /** The last value emitted before the error (`undefined` when none was). */
  readonly value: unknown;

  constructor(
    message: string,
    options: ChatStreamErrorOptions & { reason: PartialJsonErrorReason; position: number; snippet?: string; value?: unknown },
  ) {
    super(message, options);
    this.reason = options.reason;
    this.position = options.position;
    this.snippet = typeof options.snippet === 'string' ? redactAndCut(options.snippet, 60) : '';
    this.value = options.value;
  }

  /** The error for a source value that is not a string (its type named, never its value). */
  static notAString(got: unknown, position: number, value?: unknown): PartialJsonError {
    return new PartialJsonError(`partialJson takes strings, got ${describeType(got)}`, {
      reason: 'not-a-string',
      position,
      value,
    });
  }
}

/** Which wait a {@link StreamTimeoutError} ran out on. */
export type StreamTimeoutPhase =
  /** No chunk came within `first` ms of the subscription (the request). */
  | 'first'
  /** No chunk came within `idle` ms of the previous one. */
  | 'idle'
  /** The stream did not complete within `total` ms of the subscription. */
  | 'total';

/**
 * A stream took too long: to its first chunk, between two chunks, or in all (`streamTimeout()`).
 * The request was aborted when it was raised. `partial` is set by `accumulate()`,
 * `toChatCompletion()` and `usage()` downstream, once output had begun.
 */
export class StreamTimeoutError extends ChatStreamError {
  override name = 'StreamTimeoutError' as const;
  readonly phase: StreamTimeoutPhase;
  /** The limit that ran out, in ms. */
  readonly limitMs: number;
  /** How many chunks had arrived before it ran out (0 for the phase `first`). */
  readonly chunks: number;

  constructor(phase: StreamTimeoutPhase, limitMs: number, chunks: number, options: ChatStreamErrorOptions = {}) {
    const what =
      phase === 'first'
        ? `no chunk within ${limitMs} ms of the request`
        : phase === 'idle'
          ? `no chunk within ${limitMs} ms of the previous one (after ${chunks} ${chunks === 1 ? 'chunk' : 'chunks'})`
          : `the stream did not end within ${limitMs} ms (after ${chunks} ${chunks === 1 ? 'chunk' : 'chunks'})`;
    super(`Stream timed out: ${what}`, options);
    this.phase = phase;
    this.limitMs = limitMs;
    this.chunks = chunks;
  }
}

/** The tool call a {@link ToolCallArgumentsError} is about: where it was, what it was called, what it said. */
export interface ToolCallArgumentsErrorCall {
  /** The `index` of the choice the call belongs to. */
  choiceIndex: number;
  /** The call's `index` in that choice's message (as `toolCalls()` emits it). */
  index: number;
  /** The call's `id` (`''` when none came). */
  id: string;
  /** The function's `name` (`''` when none came). */
  name: string;
  /** The raw arguments, redacted (a key or token in them becomes `***`), then cut to 1,000 characters. */
  arguments: string;
}

/**
 * A tool call's `arguments` are not valid JSON (the model wrote a broken object, or the stream was
 * cut inside it): raised by `toolCalls()` when it parses them. `call` says which call, with its
 * raw text redacted and cut; the `cause` is the parser's `SyntaxError` (its text redacted too).
 */
export class ToolCallArgumentsError extends ChatStreamError {
  override name = 'ToolCallArgumentsError' as const;
  readonly call: ToolCallArgumentsErrorCall;

  constructor(
    call: { choiceIndex: number; index: number; id: string; name: string; arguments: string },
    options: ChatStreamErrorOptions = {},
  ) {
    const cause = options.cause instanceof Error ? redactErrorInPlace(options.cause) : options.cause;
    const reason = cause instanceof Error ? `: ${cause.message}` : '';
    const who = `${call.name === '' ? 'Tool call' : `Tool call ${call.name}`}${call.id === '' ? '' : ` (${call.id})`}`;
    super(`${who} of choice ${call.choiceIndex} has arguments that are not valid JSON${reason}`, { ...options, cause });
    this.call = {
      choiceIndex: call.choiceIndex,
      index: call.index,
      id: redactSecrets(call.id),
      name: redactSecrets(call.name),
      arguments: redactAndCut(call.arguments, 1000),
    };
  }
}

/** Why a {@link ChunkLogError} was raised. */
export type ChunkLogErrorReason =
  /** The log's store cannot be reached (Redis down, restarting, a connection lost). */
  | 'unavailable'
  /** No stream has this id (never created, or expired after its TTL). */
  | 'not-found'
  /** An event with this sequence number is already in the log, or the stream already ended: nothing is written twice. */
  | 'conflict';

/**
 * A `ChunkLog` (the relay's store of streams: in memory, or Redis Streams) could not do what was
 * asked: its store is unreachable, the stream does not exist, or the write would repeat an event.
 * `streamId` names the stream; the store's own error is the `cause`.
 */
export class ChunkLogError extends ChatStreamError {
  override name = 'ChunkLogError' as const;
  readonly reason: ChunkLogErrorReason;
  readonly streamId: string;

  constructor(reason: ChunkLogErrorReason, streamId: string, message: string, options: ChatStreamErrorOptions = {}) {
    super(message, options);
    this.reason = reason;
    this.streamId = streamId;
  }
}
