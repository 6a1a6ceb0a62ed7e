/*
 * A connection that breaks while a body is read: the one rule that turns the runtime's many ways of
 * saying so into an `IncompleteStreamError` with `reason: 'connection-lost'`.
 */
import { ChatStreamError, IncompleteStreamError } from '../errors.js';

/** Error codes of a broken connection (Node's sockets, undici). */
const CONNECTION_CODES = /^(?:ECONNRESET|ECONNABORTED|EPIPE|ETIMEDOUT|ENETDOWN|ENETUNREACH|EHOSTUNREACH|ERR_STREAM_PREMATURE_CLOSE|UND_ERR_\w+)$/;

function codeOf(error: unknown): unknown {
  return error !== null && typeof error === 'object' ? (error as { code?: unknown }).code : undefined;
}

function nameOf(error: unknown): unknown {
  return error !== null && typeof error === 'object' ? (error as { name?: unknown }).name : undefined;
}

/**
 * Whether an error says that the connection broke: undici's `TypeError: terminated` (and any error
 * whose `cause` is a socket error), Node's `ECONNRESET`, `EPIPE`, a premature close, `aborted` of an
 * `http.IncomingMessage` whose peer hung up. Errors of a client library (the `openai` SDK's
 * `APIError`s), aborts and the toolkit's own errors are not.
 * @internal
 */
export function isConnectionError(error: unknown): boolean {
  if (error === null || typeof error !== 'object' || error instanceof ChatStreamError) return false;
  const code = codeOf(error);
  if (typeof code === 'string' && CONNECTION_CODES.test(code)) return true;
  const cause = (error as { cause?: unknown }).cause;
  if (typeof codeOf(cause) === 'string' && CONNECTION_CODES.test(codeOf(cause) as string)) return true;
  const message = (error as { message?: unknown }).message;
  return nameOf(error) === 'TypeError' && (message === 'terminated' || message === 'fetch failed');
}

/**
 * `error` as an {@link IncompleteStreamError} with `reason: 'connection-lost'` and the original as
 * `cause`, for an error raised while a body was read. Passes through unchanged what is not a
 * broken connection by this rule: the toolkit's own errors and an abort (`AbortError`, which a
 * signal raises on purpose).
 * @internal
 */
export function connectionLost(error: unknown, always: boolean): unknown {
  if (error instanceof ChatStreamError || nameOf(error) === 'AbortError') return error;
  if (!always && !isConnectionError(error)) return error;
  const detail = error instanceof Error && error.message !== '' ? `: ${error.message}` : '';
  return new IncompleteStreamError(`The connection was lost while the stream was read${detail}`, {
    reason: 'connection-lost',
    cause: error,
  });
}
