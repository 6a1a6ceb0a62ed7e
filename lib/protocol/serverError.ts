/*
 * The server's errors inside a stream: how an error event's data and an error object in a `data`
 * event become a `StreamAPIError`. One rule for every source, the merge and the writers: a data
 * object with a non-null `error`, or vLLM's and TGI's `{ "object": "error", … }`, is the server's
 * error, never a chunk.
 */
import { StreamAPIError, type APIErrorBody } from '../errors.js';
import { isObject } from '../json.js';
import { redactValue } from '../redact.js';

/** How much of an error value that is neither text nor an object goes into the message. */
const SHOWN_LIMIT = 300;

/**
 * Whether a parsed data object is the server's error rather than a chunk: any `error` but null
 * (`""` and `false` too), or `object: "error"` (vLLM, TGI). Two property reads: cheap per chunk.
 * @internal
 */
export function isServerError(value: Record<string, unknown>): boolean {
  return value['error'] != null || value['object'] === 'error';
}

/**
 * The `StreamAPIError` of a data object that {@link isServerError}; undefined for a chunk.
 * @internal
 */
export function serverErrorOf(value: Record<string, unknown>): StreamAPIError | undefined {
  const error = value['error'];
  if (error != null) return new StreamAPIError(toErrorBody(error));
  if (value['object'] === 'error') return new StreamAPIError(value as APIErrorBody);
  return undefined;
}

/**
 * The error object of an `event: error`: its data as JSON when it is (the `error` inside it when
 * it has one), else the data as the message.
 * @internal
 */
export function errorEventBody(data: string): APIErrorBody | string {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return data === '' ? 'The server sent an error event' : data;
  }
  if (isObject(value)) {
    const inner = value['error'];
    return inner != null ? toErrorBody(inner) : (value as APIErrorBody);
  }
  return data;
}

/**
 * The `error` field of a data object, as a `StreamAPIError` takes it: a non-blank string or an
 * object as they are; anything else (a number, `false`, an array, a blank string) as a message that
 * shows it, bounded: a redacted copy (8 levels, 1,000 values) as JSON, cut to 300 characters, so
 * an array nested 5,000 deep or a value of megabytes costs no more than a short one.
 * @internal
 */
export function toErrorBody(error: unknown): APIErrorBody | string {
  if (typeof error === 'string' && error.trim() !== '') return error;
  if (isObject(error)) return error as APIErrorBody;
  let shown: string;
  try {
    shown = JSON.stringify(redactValue(error)) ?? String(error);
  } catch {
    shown = typeof error; // a BigInt
  }
  if (shown.length > SHOWN_LIMIT) shown = `${shown.slice(0, SHOWN_LIMIT)}…`;
  return { message: `The server reported an error: ${shown}` };
}
