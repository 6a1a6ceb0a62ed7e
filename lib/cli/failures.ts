/**
 * Turning anything that went wrong into one clear line and an exit code, without ever showing
 * an API key or an `Authorization` header.
 * @internal
 */
import { ChatStreamError, HTTPStatusError } from '../errors.js';
import { EXIT } from './io.js';
import { redactSecrets } from '../redact.js';

/** A bad flag, a missing argument, a bad value: exit 2 with a pointer to `--help`. */
export class UsageError extends Error {
  override name = 'UsageError' as const;
}

/** The command cannot run here (no `openai` package, port in use …): exit 2, no `--help` hint. */
export class SetupError extends Error {
  override name = 'SetupError' as const;
}

/** Ctrl-C / SIGTERM while a request was running. */
export class InterruptedError extends Error {
  override name = 'InterruptedError' as const;
  constructor() {
    super('interrupted');
  }
}

/** What to print and how to exit. */
export interface Failure {
  message: string;
  exitCode: number;
}

/** What the failing command was talking to, to name it in the message and to scrub the key. */
export interface FailureContext {
  /** The endpoint's base URL as shown to the user (no credentials in it). */
  baseURL?: string;
  /** The API key in use: removed from any message that would echo it. */
  apiKey?: string;
  /** Whether a key was configured (for the 401 hint). */
  keyConfigured?: boolean;
  /** The variable the key came from (for the 401 hint); default `OPENAI_API_KEY`. */
  keyVariable?: string;
}

const CONNECTION_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  CERT_HAS_EXPIRED: 'TLS certificate expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed TLS certificate',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS certificate not trusted',
  ERR_SSL_WRONG_VERSION_NUMBER: 'TLS handshake failed (is it http, not https?)',
};

/** The first system error code (`ECONNREFUSED` …) in an error's `cause` chain (and `AggregateError`s). */
export function systemCode(error: unknown, depth = 0): string | undefined {
  if (error === null || typeof error !== 'object' || depth > 8) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (code in CONNECTION_CODES || /^E[A-Z]+$/.test(code))) return code;
  const nested = (error as { errors?: unknown }).errors;
  if (Array.isArray(nested)) {
    for (const inner of nested) {
      const found = systemCode(inner, depth + 1);
      if (found) return found;
    }
  }
  return systemCode((error as { cause?: unknown }).cause, depth + 1);
}

/** The message of the innermost `cause` (fetch's own reason: `bad port`, `other side closed` …). */
function innermostMessage(error: unknown): string | undefined {
  let message: string | undefined;
  let current: unknown = (error as { cause?: unknown } | null)?.cause;
  for (let depth = 0; current !== null && typeof current === 'object' && depth < 8; depth++) {
    const text = (current as { message?: unknown }).message;
    if (typeof text === 'string' && text !== '' && text !== 'fetch failed') message = text;
    current = (current as { cause?: unknown }).cause;
  }
  return message;
}

/** One line: no newlines, no key, not too long. */
export function oneLine(text: string, apiKey?: string): string {
  let result = text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
  if (apiKey !== undefined && apiKey.length >= 4) result = result.split(apiKey).join('***');
  // A key or bearer token that slipped into a message anyway.
  result = redactSecrets(result);
  return result.length > 300 ? `${result.slice(0, 297)}…` : result;
}

function errorName(error: unknown): string {
  if (error === null || typeof error !== 'object') return '';
  const ctor = (error as { constructor?: { name?: unknown } }).constructor;
  const name = (error as { name?: unknown }).name;
  return typeof ctor?.name === 'string' && ctor.name !== 'Object' && ctor.name !== 'Error'
    ? ctor.name
    : typeof name === 'string'
      ? name
      : '';
}

/** The HTTP status of an SDK `APIError` or our `HTTPStatusError`, when there is one. */
function httpStatus(error: unknown): number | undefined {
  if (error instanceof HTTPStatusError) return error.status;
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' && status >= 100 && status <= 599 ? status : undefined;
}

/** The server's own message, without the SDK's `"404 "` prefix. */
function serverMessage(error: unknown, status: number): string {
  const body = (error as { error?: unknown }).error;
  const fromBody =
    body !== null && typeof body === 'object' && typeof (body as { message?: unknown }).message === 'string'
      ? (body as { message: string }).message
      : undefined;
  const message = fromBody ?? (error instanceof Error ? error.message : String(error));
  return message.replace(new RegExp(`^${status}\\s*(status code\\s*)?(\\(no body\\))?`), '').trim();
}

/**
 * Describes a failure in one line, with its exit code:
 * - usage and set-up errors → 2;
 * - cannot connect (refused, DNS, TLS, timeout) → 2, naming the URL;
 * - 401 → 2, "authentication failed (401)", never the server's message (OpenAI's echoes part of the key);
 * - any other HTTP status → 2, with the server's message (scrubbed);
 * - interrupted → 130;
 * - a stream that broke (the toolkit's errors) and anything else → 1.
 */
export function describeFailure(error: unknown, context: FailureContext = {}): Failure {
  const where = context.baseURL ? ` ${context.baseURL}` : ' the endpoint';
  if (error instanceof UsageError || error instanceof SetupError) {
    return { message: oneLine(error.message, context.apiKey), exitCode: EXIT.usage };
  }
  if (error instanceof InterruptedError) return { message: 'interrupted', exitCode: EXIT.interrupted };
  const name = errorName(error);
  if (name === 'APIUserAbortError' || name === 'AbortError') return { message: 'interrupted', exitCode: EXIT.interrupted };

  const status = httpStatus(error);
  if (status === 401) {
    const variable = context.keyVariable ?? 'OPENAI_API_KEY';
    const hint = context.keyConfigured
      ? `the server rejected the API key (check ${variable})`
      : 'the server wants an API key: set OPENAI_API_KEY (or GILAS_API_KEY for the Gilas API)';
    return { message: `authentication failed (401) at${where}: ${hint}`, exitCode: EXIT.usage };
  }
  if (status !== undefined) {
    const what =
      status === 403
        ? 'permission denied (403)'
        : status === 404
          ? 'not found (404)'
          : status === 429
            ? 'rate limited (429)'
            : status >= 500
              ? `server error (${status})`
              : `HTTP error ${status}`;
    const detail = serverMessage(error, status);
    return {
      message: oneLine(`${what} from${where}${detail ? `: ${detail}` : ''}`, context.apiKey),
      exitCode: EXIT.usage,
    };
  }
  if (name === 'APIConnectionTimeoutError') {
    return { message: `cannot reach${where}: request timed out`, exitCode: EXIT.usage };
  }
  const code = systemCode(error);
  if (name === 'APIConnectionError' || code !== undefined) {
    const inner = innermostMessage(error);
    const reason = code
      ? `${CONNECTION_CODES[code] ?? 'connection failed'} (${code})`
      : `connection failed${inner ? ` (${inner})` : ''}`;
    return { message: oneLine(`cannot reach${where}: ${reason}`, context.apiKey), exitCode: EXIT.usage };
  }
  const message = error instanceof Error ? error.message : String(error);
  // The SDK's `APIError` without a status is an error event inside the stream.
  const label =
    error instanceof ChatStreamError
      ? `stream failed (${error.name})`
      : name === 'APIError'
        ? 'the server reported an error in the stream'
        : name
          ? `unexpected error (${name})`
          : 'unexpected error';
  return { message: oneLine(`${label}: ${message}`, context.apiKey), exitCode: EXIT.failed };
}
