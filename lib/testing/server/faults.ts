/*
 * The faults the local server plays, each defined once for both kinds of reply: an HTTP error
 * answered before any reply (`status`), what a streamed reply does instead of its chunks
 * (`stream`), and what a non-streamed reply writes instead of its body (`body`). A fault without
 * `stream` or `body` leaves that kind of reply normal.
 */
import { concat, defer, NEVER, throwError, type Observable } from 'rxjs';
import { InvalidInputError, StreamAPIError } from '../../errors.js';
import type { ChatCompletionChunk } from '../../types.js';
import type { MockChatRequest } from '../responder.js';
import { apiError, badRequest, RequestError, SERVER_ERROR_MESSAGE } from './apiErrors.js';

/** The faults the server can play, per request. */
export type MockFault =
  /** 429 with `retry-after: 1`, the API's rate-limit error. */
  | 'rate-limit'
  /** 500, the API's server error. */
  | 'server-error'
  /** A `data: {"error": …}` event after a few chunks, then the end (no `[DONE]`). */
  | 'error-mid-stream'
  /** The connection is cut after a few chunks. */
  | 'drop'
  /** A `data:` event of invalid JSON after a few chunks; the stream then goes on. */
  | 'malformed'
  /** Stops sending after a few chunks and keeps the connection open. */
  | 'stall'
  /** Every chunk, then the end of the body without `data: [DONE]`. */
  | 'no-done';

/** A streamed reply, as a fault changes it. @internal */
export interface StreamPlay {
  /** The completion's id. */
  readonly id: string;
  /** How many chunks the reply has. */
  readonly length: number;
  /** Where a mid-stream fault strikes: after `faultAfterChunks` chunks, but before the first finish chunk. */
  readonly cut: number;
  /** Chunks `from` to `to`, each at its time (the first after `firstDelay` when given). */
  timed(from: number, to: number, firstDelay?: number): Observable<ChatCompletionChunk>;
  /** The chunks before the cut, then, one token's time later, what `action` gives. */
  afterCut(action: () => Observable<ChatCompletionChunk>): Observable<ChatCompletionChunk>;
  /** Writes raw text into the body. */
  write(text: string): void;
  /** Ends the body (without `[DONE]`). */
  end(): void;
  /** Cuts the connection. */
  drop(): void;
}

/** A non-streamed reply, once the model's time has passed, as a fault changes it. @internal */
export interface BodyPlay {
  /** The completion as JSON text. */
  readonly text: string;
  /** Answers `text`, declared as JSON, with `status`. */
  send(status: number, text: string): void;
  /** Cuts the connection. */
  drop(): void;
}

/** What one fault does. @internal */
export interface FaultRule {
  /** An HTTP error answered at once, streamed or not, before any reply is made. */
  status?: (request: MockChatRequest) => RequestError;
  /** What a streamed reply sends instead of its chunks. */
  stream?: (play: StreamPlay) => Observable<ChatCompletionChunk>;
  /** What a non-streamed reply writes instead of its body. */
  body?: (play: BodyPlay) => void;
}

/** The API's 500 body. */
const serverError = () => apiError(SERVER_ERROR_MESSAGE, 'server_error');

/** Every fault, once. @internal */
export const FAULT_RULES: Readonly<Record<MockFault, FaultRule>> = {
  'rate-limit': {
    status: (request) =>
      new RequestError(
        429,
        apiError(
          `Rate limit reached for ${request.model} on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 1s.`,
          'requests',
          'rate_limit_exceeded',
        ),
        { 'retry-after': '1', 'x-ratelimit-remaining-requests': '0' },
      ),
  },
  'server-error': {
    status: () => new RequestError(500, serverError()),
  },
  'error-mid-stream': {
    stream: (play) => play.afterCut(() => throwError(() => new StreamAPIError(serverError()))),
    body: (play) => play.send(500, JSON.stringify({ error: serverError() })),
  },
  drop: {
    stream: (play) =>
      play.afterCut(() => {
        play.drop();
        return NEVER;
      }),
    body: (play) => play.drop(),
  },
  stall: {
    stream: (play) => concat(play.timed(0, play.cut), NEVER),
    body: () => undefined, // no answer, the connection left open
  },
  malformed: {
    stream: (play) =>
      play.afterCut(() => {
        play.write(`data: {"id":"${play.id}","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"\n\n`);
        return play.timed(play.cut, play.length, 0);
      }),
    body: (play) => play.send(200, play.text.slice(0, Math.floor(play.text.length / 2))),
  },
  'no-done': {
    stream: (play) =>
      concat(
        play.timed(0, play.length),
        defer(() => {
          play.end();
          return NEVER;
        }),
      ),
  },
};

/** The fault names, in the order the docs list them. @internal */
export const FAULTS = Object.keys(FAULT_RULES) as readonly MockFault[];

/**
 * The fault of one request: the `x-mock-fault` header's (`none` or empty: none; an unknown name:
 * a 400), else the next of `options.faults` (a list used in order), or what the function says.
 * @internal
 */
export function pickFault(
  header: string | undefined,
  next: () => MockFault | null | undefined,
): MockFault | undefined {
  if (header !== undefined) {
    if (header === '' || header === 'none') return undefined;
    if (!(FAULTS as readonly string[]).includes(header)) throw badRequest(`Unknown x-mock-fault '${header}'. Expected one of: ${FAULTS.join(', ')}.`);
    return header as MockFault;
  }
  const fault = next();
  if (fault === null || fault === undefined) return undefined;
  if (!FAULTS.includes(fault)) throw new InvalidInputError('startMockServer() options.faults', fault, `one of ${FAULTS.join(', ')}`, { detail: `'${String(fault)}'` });
  return fault;
}
