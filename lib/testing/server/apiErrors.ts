/*
 * Errors in the API's shape, as the local server answers them (no Node types here: the public
 * declarations of the faults and quirks reach this file, and must compile without @types/node).
 */
import type { APIErrorBody } from '../../errors.js';

/** The API's own words for its 500. @internal */
export const SERVER_ERROR_MESSAGE = 'The server had an error while processing your request. Sorry about that!';

/** An error in the API's shape. @internal */
export function apiError(message: string, type: string, code: string | null = null, param: string | null = null): APIErrorBody {
  return { message, type, param, code };
}

/** A request answered with an HTTP error: its status and the API's error body. @internal */
export class RequestError extends Error {
  constructor(
    readonly status: number,
    readonly body: APIErrorBody,
    readonly headers: Record<string, string> = {},
  ) {
    super(body.message);
  }
}

/** A 400 `invalid_request_error`. @internal */
export const badRequest = (message: string, param: string | null = null, code: string | null = null): RequestError =>
  new RequestError(400, apiError(message, 'invalid_request_error', code, param));
