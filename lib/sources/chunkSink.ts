import type { Subscriber } from 'rxjs';
import { connectionLost } from '../http/connection.js';
import { isObject } from '../json.js';
import { isServerError, serverErrorOf } from '../protocol/serverError.js';
import { redactErrorInPlace } from '../redact.js';
import type { ValueSink } from './iterate.js';

/**
 * The subscriber of a source of chunk objects (`fromChunks`, `fromChatCompletion`), read by the
 * protocol's rules on the way: a value that is the server's error (`{ error: … }`, vLLM's
 * `{ object: 'error', … }`) errors with a `StreamAPIError` instead of passing as a chunk, as it
 * does in `fromSSE`; an error that says the connection broke becomes an `IncompleteStreamError`
 * with `reason: 'connection-lost'` (the original as `cause`); every other error (the SDK's own)
 * passes with its class and fields, its text redacted in place (`redactErrorInPlace`: an
 * `APIError` quotes the server's body, where an echoing proxy may have put the caller's key).
 * @internal
 */
export function chunkSink<T>(subscriber: Subscriber<T>): ValueSink<T> {
  return {
    get closed() {
      return subscriber.closed;
    },
    next(value) {
      if (isObject(value) && isServerError(value)) subscriber.error(serverErrorOf(value));
      else subscriber.next(value);
    },
    error(error) {
      subscriber.error(connectionLost(redactErrorInPlace(error), false));
    },
    complete() {
      subscriber.complete();
    },
  };
}
