/*
 * The local server's auth: with an API key set, every request must carry `Authorization: Bearer
 * <key>`, compared in constant time; the key is never echoed, logged or kept elsewhere.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { apiError, RequestError } from './apiErrors.js';

/** Checks requests against one key (none: every request passes). @internal */
export function authCheck(apiKey: string | undefined): (req: IncomingMessage) => RequestError | undefined {
  if (apiKey === undefined) return () => undefined;
  const expected = Buffer.from(`Bearer ${apiKey}`);
  return (req) => {
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
    if (given.length === expected.length && timingSafeEqual(given, expected)) return undefined;
    return new RequestError(401, apiError('Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key'));
  };
}
