import { TestScheduler } from 'rxjs/testing';
import { defer, type Observable } from 'rxjs';
import { retryStream } from '../../lib/operators/retryStream.js';
import { isRetryableError, retryAfterOf } from '../../lib/operators/retryRules.js';
import { HTTPStatusError, InvalidInputError, SSEParseError, StreamAPIError, StreamTimeoutError } from '../../lib/errors.js';
import { helloValues } from '../helpers/chunk.js';

const values = helloValues();

const http = (status: number, retryAfterMs?: number): HTTPStatusError =>
  new HTTPStatusError({ status, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });

/** Shaped like the `openai` SDK's errors (matched by shape, never by class). */
class APIError extends Error {
  constructor(
    readonly status: number | undefined,
    readonly error: unknown,
    readonly headers: Headers | Record<string, string> | undefined,
  ) {
    super(`${status ?? ''} sdk error`);
  }
}
class APIConnectionError extends APIError {
  constructor(cause?: unknown) {
    super(undefined, undefined, undefined);
    if (cause !== undefined) (this as { cause?: unknown }).cause = cause;
  }
}
class APIConnectionTimeoutError extends APIConnectionError {}
class APIUserAbortError extends APIError {
  constructor() {
    super(undefined, undefined, undefined);
  }
}
const systemError = (code: string): Error => Object.assign(new Error(`connect ${code}`), { code });

/** The sources of successive subscriptions, one after the other. */
function attempts(...sources: Array<Observable<unknown>>): Observable<unknown> {
  let n = 0;
  return defer(() => sources[Math.min(n++, sources.length - 1)]!);
}

describe('retryStream', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it("should retry a 503 after the backoff and a 429 after the server's retry-after, then mirror the answer", () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  --#', undefined, http(503));
      const e2 = cold('      -#', undefined, http(429, 3));
      const e3 = cold('          --a--b--|', values);
      const e1subs = '  ^-!';
      const e2subs = '  ----^!';
      const e3subs = '  --------^-------!';
      const expected = ' ----------a--b--|';

      expectObservable(attempts(e1, e2, e3).pipe(retryStream({ delay: 2, jitter: 0 }))).toBe(expected, values);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
      expectSubscriptions(e2.subscriptions).toBe(e2subs);
      expectSubscriptions(e3.subscriptions).toBe(e3subs);
    });
  });

  it('should never retry once a chunk was emitted, passing the error on unchanged', () => {
    const error = http(503);
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  --a--#', values, error);
      const e1subs = '  ^----!';
      const expected = ' --a--#';

      expectObservable(e1.pipe(retryStream({ delay: 1 }))).toBe(expected, values, error);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should double the backoff per retry, cap it at maxDelay, and pass the last error on after count retries', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  #', undefined, http(500));
      // Attempts at 0, then after 10, 20, 40 → capped at 30: at 10, 30, 60.
      const e1subs = ['(^!)', '10ms (^!)', '30ms (^!)', '60ms (^!)'];
      const expected = ' 60ms #';

      expectObservable(e1.pipe(retryStream({ count: 3, delay: 10, maxDelay: 30, jitter: 0 }))).toBe(expected, undefined, http(500));
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should cut up to jitter of each backoff wait, with the random numbers given', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  #', undefined, http(502));
      const e1subs = ['(^!)', '75ms (^!)'];
      const expected = ' 75ms #';

      expectObservable(e1.pipe(retryStream({ count: 1, delay: 100, jitter: 0.5, random: () => 0.5 }))).toBe(expected, undefined, http(502));
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should let a retry-after longer than maxDelay pass the error on at once', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  --#', undefined, http(429, 60_000));
      const e1subs = '  ^-!';
      const expected = ' --#';

      expectObservable(e1.pipe(retryStream({ maxDelay: 8000 }))).toBe(expected, undefined, http(429, 60_000));
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should pass an error that is not worth a retry on at once', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  --#', undefined, http(400));
      const e1subs = '  ^-!';
      const expected = ' --#';

      expectObservable(e1.pipe(retryStream())).toBe(expected, undefined, http(400));
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it("should honour the SDK error's retry-after-ms header, and retry-after in seconds", () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  #', undefined, new APIError(429, { type: 'requests' }, new Headers({ 'retry-after-ms': '15' })));
      const e2 = cold('  #', undefined, new APIError(503, undefined, { 'Retry-After': '2' }));
      const e3 = cold('  a|', values);
      const expected = ' 2015ms a|';

      expectObservable(attempts(e1, e2, e3).pipe(retryStream())).toBe(expected, values);
      expectSubscriptions(e1.subscriptions).toBe('(^!)');
      expectSubscriptions(e2.subscriptions).toBe('15ms (^!)');
    });
  });

  it("should follow the SDK's x-should-retry header", () => {
    expect(isRetryableError(new APIError(503, undefined, new Headers({ 'x-should-retry': 'false' })))).toBe(false);
    expect(isRetryableError(new APIError(400, undefined, new Headers({ 'x-should-retry': 'true' })))).toBe(true);
  });

  it('should retry network failures, timeouts before output and server errors in the stream, and nothing else', () => {
    const retried: unknown[] = [
      http(408),
      http(409),
      http(429),
      http(500),
      http(599),
      new APIError(502, undefined, undefined),
      new APIConnectionError(new TypeError('fetch failed')),
      new APIConnectionTimeoutError(),
      new TypeError('fetch failed'),
      new TypeError('terminated'),
      Object.assign(new TypeError('fetch failed'), { cause: systemError('ECONNREFUSED') }),
      systemError('ECONNRESET'),
      systemError('UND_ERR_SOCKET'),
      Object.assign(new Error('wrapped'), { cause: { code: 'ETIMEDOUT' } }),
      new AggregateError([systemError('ECONNREFUSED')], 'all failed'),
      new StreamTimeoutError('first', 10, 0),
      new StreamAPIError({ message: 'The server had an error', type: 'server_error' }),
      new APIError(undefined, { message: 'The server had an error', type: 'server_error' }, new Headers()),
    ];
    const passed: unknown[] = [
      http(400),
      http(401),
      http(403),
      http(404),
      http(422),
      new APIError(400, undefined, undefined),
      new StreamTimeoutError('idle', 10, 3),
      new StreamTimeoutError('total', 10, 3),
      new StreamAPIError({ message: 'Bad', type: 'invalid_request_error' }),
      new SSEParseError('bad', { reason: 'invalid-json', data: '{' }),
      new APIUserAbortError(),
      new DOMException('This operation was aborted', 'AbortError'),
      // An abort stays an abort, whatever the network was doing when it came.
      Object.assign(new Error('The operation was aborted'), { name: 'AbortError', cause: systemError('ECONNRESET') }),
      systemError('ENOTFOUND'),
      new APIConnectionError(Object.assign(new TypeError('fetch failed'), { cause: systemError('ENOTFOUND') })),
      Object.assign(new TypeError('fetch failed'), { cause: systemError('CERT_HAS_EXPIRED') }),
      new TypeError('x is not a function'),
      new Error('boom'),
      'a string',
      null,
      undefined,
    ];
    expect(retried.filter((error) => !isRetryableError(error))).toEqual([]);
    expect(passed.filter((error) => isRetryableError(error))).toEqual([]);
  });

  it('should read the wait from retryAfterMs, the retry-after-ms header, or retry-after in seconds or as a date', () => {
    testScheduler.run(() => {
      expect(retryAfterOf(http(429, 1234), testScheduler)).toBe(1234);
      expect(retryAfterOf(new APIError(429, undefined, new Headers({ 'retry-after-ms': '250', 'retry-after': '9' })), testScheduler)).toBe(250);
      expect(retryAfterOf(new APIError(429, undefined, new Headers({ 'retry-after': '1.5' })), testScheduler)).toBe(1500);
      expect(retryAfterOf(new APIError(429, undefined, new Headers({ 'retry-after': new Date(3000).toUTCString() })), testScheduler)).toBe(3000);
      expect(retryAfterOf(new APIError(429, undefined, undefined), testScheduler)).toBeUndefined();
      expect(retryAfterOf(http(429), testScheduler)).toBeUndefined();
    });
  });

  it('should let retryOn decide instead of the rule, with the number of the retry to come', () => {
    const asked: Array<[unknown, number]> = [];
    const retryOn = (error: unknown, attempt: number): boolean => {
      asked.push([(error as HTTPStatusError).status, attempt]);
      return (error as HTTPStatusError).status === 400;
    };
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -#', undefined, http(400));
      const e2 = cold('   -#', undefined, http(503));
      const e1subs = '  ^!';
      const e2subs = '  -^!';
      const expected = ' --#';

      expectObservable(attempts(e1, e2).pipe(retryStream({ delay: 0, retryOn }))).toBe(expected, undefined, http(503));
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
      expectSubscriptions(e2.subscriptions).toBe(e2subs);
    });
    expect(asked).toEqual([
      [400, 1],
      [503, 2],
    ]);
  });

  it('should not ask retryOn once a chunk was emitted', () => {
    const retryOn = jest.fn(() => true);
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('-a-#', values, http(500)).pipe(retryStream({ retryOn }))).toBe('-a-#', values, http(500));
    });
    expect(retryOn).not.toHaveBeenCalled();
  });

  it('should error with what a throwing retryOn threw', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  --#', undefined, http(500));
      const e1subs = '  ^-!';
      const expected = ' --#';
      const retryOn = (): boolean => {
        throw new Error('retryOn broke');
      };

      expectObservable(e1.pipe(retryStream({ retryOn }))).toBe(expected, undefined, new Error('retryOn broke'));
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should complete on an empty source', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  |');
      expectObservable(e1.pipe(retryStream())).toBe('|');
      expectSubscriptions(e1.subscriptions).toBe('(^!)');
    });
  });

  it('should not complete on a never source', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -');
      expectObservable(e1.pipe(retryStream())).toBe('-');
      expectSubscriptions(e1.subscriptions).toBe('^');
    });
  });

  it('should mirror one value and many values', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('--a|', values).pipe(retryStream())).toBe('--a|', values);
      expectObservable(cold('-r-a-b-f-u-|', values).pipe(retryStream())).toBe('-r-a-b-f-u-|', values);
    });
  });

  it('should cancel the wait and never subscribe again on early unsubscribe', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -#', undefined, http(503));
      const e2 = cold('  --a|', values);
      const e1subs = '  ^!';
      const unsub = '    ---!';

      expectObservable(attempts(e1, e2).pipe(retryStream({ delay: 5, jitter: 0 })), unsub).toBe('----');
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
      expectSubscriptions(e2.subscriptions).toBe([]);
    });
  });

  it('should unsubscribe from a running attempt on early unsubscribe', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -#', undefined, http(503));
      const e2 = cold('     --a--b|', values);
      const e2subs = '  ---^---!';
      const unsub = '    -------!';

      expectObservable(attempts(e1, e2).pipe(retryStream({ delay: 2, jitter: 0 })), unsub).toBe('-----a-', values);
      expectSubscriptions(e2.subscriptions).toBe(e2subs);
    });
  });

  it('should throw an InvalidInputError for bad options, when called', () => {
    const bad: unknown[] = [
      null,
      { count: -1 },
      { count: 1.5 },
      { delay: -5 },
      { maxDelay: Number.NaN },
      { jitter: 2 },
      { retryOn: true },
      { random: 0.5 },
      { scheduler: Date },
    ];
    for (const options of bad) expect(() => retryStream(options as never)).toThrow(InvalidInputError);
  });
});
