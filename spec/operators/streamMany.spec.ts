import { TestScheduler } from 'rxjs/testing';
import { config, defer, map, NEVER, Subject, type Observable } from 'rxjs';
import { streamMany, type StreamManyProgress, type StreamManyResult } from '../../lib/operators/streamMany.js';
import { Budget } from '../../lib/operators/budget.js';
import { HTTPStatusError, InvalidInputError, StreamAPIError, StreamTimeoutError } from '../../lib/errors.js';
import { countPromptTokens } from '../../lib/tokens/countPromptTokens.js';
import { countTokens } from '../../lib/tokens/countTokens.js';
import type { ChatCompletionChunk } from '../../lib/types.js';
import { helloValues } from '../helpers/chunk.js';

const values = helloValues();
type Request = { model: string; messages: Array<{ role: 'user'; content: string }>; max_tokens?: number };
const request = (n: number, extra: Partial<Request> = {}): Request => ({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: `Question ${n}` }],
  ...extra,
});
const requests = (n: number, extra: Partial<Request> = {}): Request[] => Array.from({ length: n }, (_, i) => request(i, extra));

/** A result in one character: its index when answered, `e` + … as `E` when it failed. */
const brief = (result: StreamManyResult<Request>): string => ('error' in result ? `E${result.index}` : `${result.index}`);

/** The largest number of `times` in any window of `windowMs` (a window [t, t + windowMs)). */
function busiestWindow(times: readonly number[], windowMs: number, weights?: readonly number[]): number {
  let best = 0;
  for (let i = 0; i < times.length; i++) {
    let sum = 0;
    for (let j = i; j < times.length && times[j]! < times[i]! + windowMs; j++) sum += weights?.[j] ?? 1;
    best = Math.max(best, sum);
  }
  return best;
}

describe('streamMany', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  afterEach(() => {
    config.onUnhandledError = null;
  });

  it('should stream every request, at most concurrency at a time, and emit one result per request as each ends', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const s0 = cold('  ---r-a-b-f|', values);
      const s1 = cold('  -r-a-f|', values);
      const s2 = cold('        --r-a-b-f|', values);
      const s3 = cold('           -r-f|', values);
      const sources = [s0, s1, s2, s3];
      const expected = ' ------1---0---3(2|)';

      const results = streamMany(requests(4), { source: (_, index) => sources[index]!, concurrency: 2 });
      expectObservable(results.pipe(map(brief))).toBe(expected, { 0: '0', 1: '1', 2: '2', 3: '3' });
      expectSubscriptions(s0.subscriptions).toBe('^---------!');
      expectSubscriptions(s1.subscriptions).toBe('^-----!');
      expectSubscriptions(s2.subscriptions).toBe('------^--------!');
      expectSubscriptions(s3.subscriptions).toBe('----------^---!');
    });
  });

  it('should run the diagram of its documentation', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const q0 = cold('  ---r--f--|', values);
      const q1 = cold('  -r-----#', values, new Error('cut'));
      const q2 = cold('         -r--f|', values);
      const q3 = cold('           --r-f|', values);
      const expected = ' -------1-0--2-(3|)';
      const sources = [q0, q1, q2, q3];

      expectObservable(streamMany(requests(4), { source: (_, i) => sources[i]!, concurrency: 2 }).pipe(map(brief))).toBe(expected, {
        0: '0',
        1: 'E1',
        2: '2',
        3: '3',
      });
      expectSubscriptions(q1.subscriptions).toBe('^------!');
      expectSubscriptions(q2.subscriptions).toBe('-------^----!');
      expectSubscriptions(q3.subscriptions).toBe('---------^----!');
    });
  });

  it('should give each result its request, the rebuilt completion, the usage and the metrics', () => {
    const results: Array<StreamManyResult<Request>> = [];
    const input = requests(2);
    testScheduler.run(({ cold }) => {
      const sources = [cold('--r-a-b-f-u|', values), cold('r-a-f|', values)];
      streamMany(input, { source: (_, index) => sources[index]! }).subscribe((result) => results.push(result));
    });
    const prompt = countPromptTokens(input[1]!.messages, 'gpt-4o-mini');
    const completion = countTokens('Hel', 'gpt-4o-mini');
    expect(results).toEqual([
      {
        index: 1,
        request: input[1],
        completion: expect.objectContaining({ object: 'chat.completion', choices: [expect.objectContaining({ message: expect.objectContaining({ content: 'Hel' }) })] }),
        usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion, estimated: true, promptCounted: true },
        metrics: { timeToFirstChunk: 0, duration: 5, attempts: 1 },
      },
      {
        index: 0,
        request: input[0],
        completion: expect.objectContaining({ usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } }),
        usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5, estimated: false, promptCounted: true },
        metrics: { timeToFirstChunk: 2, duration: 11, attempts: 1 },
      },
    ]);
    expect(results[0]!.request).toBe(input[1]);
  });

  it('should keep the input order with ordered: true', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const sources = [cold('-----r-f|', values), cold('-r-f|', values), cold('--r-f|', values)];
      const expected = ' --------(012|)';
      expectObservable(streamMany(requests(3), { source: (_, i) => sources[i]!, ordered: true }).pipe(map(brief))).toBe(expected, {
        0: '0',
        1: '1',
        2: '2',
      });
    });
  });

  it('should report a failure in its result and go on with the others; a failure after output carries its usage and is not retried', () => {
    const results: Array<StreamManyResult<Request>> = [];
    const error = new StreamAPIError({ message: 'The server had an error', type: 'server_error' });
    let subscriptions = 0;
    testScheduler.run(({ cold }) => {
      const sources = [cold('-r-a-#', values, error), cold('--r-a-f|', values)];
      streamMany(requests(2), { source: (_, i) => defer(() => (subscriptions++, sources[i]!)) }).subscribe((result) => results.push(result));
    });
    expect(results.map(brief)).toEqual(['E0', '1']);
    const failure = results[0] as Extract<StreamManyResult<Request>, { error: unknown }>;
    expect(failure.error).toBe(error);
    expect(failure.error).toEqual(expect.any(StreamAPIError));
    expect((failure.error as StreamAPIError).partial?.choices[0]?.message.content).toBe('Hel');
    expect(failure.usage).toMatchObject({ completion_tokens: countTokens('Hel', 'gpt-4o-mini'), estimated: true });
    expect(failure.metrics).toEqual({ timeToFirstChunk: 1, duration: 5, attempts: 1 });
    expect(subscriptions).toBe(2);
  });

  it('should retry a failure before output after the backoff, without holding a slot', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const failing = cold<never>('  -#', undefined, new HTTPStatusError({ status: 503 }));
      const answer = cold('    -r-f|', values);
      const other = cold('     --r-f|', values);
      let attempts = 0;
      const source = (_: Request, index: number): Observable<ChatCompletionChunk> =>
        index === 0 ? (attempts++ === 0 ? (failing) : answer) : other;
      const expected = ' ------1--------(0|)';

      const results = streamMany(requests(2), { source, concurrency: 1, retry: { delay: 10, jitter: 0 } });
      expectObservable(results.pipe(map(brief))).toBe(expected, { 0: '0', 1: '1' });
      expectSubscriptions(failing.subscriptions).toBe('^!');
      // Request 1 takes the slot while request 0 waits its 10 ms.
      expectSubscriptions(other.subscriptions).toBe('-^----!');
      expectSubscriptions(answer.subscriptions).toBe('-----------^---!');
    });
  });

  it('should give up after retry.count retries and report the last error, with the attempts made', () => {
    const results: Array<StreamManyResult<Request>> = [];
    testScheduler.run(({ cold }) => {
      const failing = cold<never>('-#', undefined, new HTTPStatusError({ status: 500 }));
      streamMany(requests(1), { source: () => failing, retry: { count: 2, delay: 1, jitter: 0 } }).subscribe((r) => results.push(r));
    });
    expect(results).toEqual([expect.objectContaining({ index: 0, error: expect.any(HTTPStatusError), metrics: { timeToFirstChunk: undefined, duration: 1, attempts: 3 } })]);
    const none: Array<StreamManyResult<Request>> = [];
    testScheduler.run(({ cold }) => {
      const failing = cold<never>('-#', undefined, new HTTPStatusError({ status: 500 }));
      streamMany(requests(1), { source: () => failing, retry: false }).subscribe((r) => none.push(r));
    });
    expect(none[0]!.metrics.attempts).toBe(1);
  });

  it('should time an attempt out with timeout, and retry a first-chunk timeout', () => {
    const results: Array<StreamManyResult<Request>> = [];
    testScheduler.run(({ cold }) => {
      let attempts = 0;
      const silent = cold<ChatCompletionChunk>('-');
      const answer = cold('-r-f|', values);
      streamMany(requests(1), { source: () => (attempts++ === 0 ? silent : answer), timeout: { first: 10 }, retry: { delay: 5, jitter: 0 } }).subscribe((r) =>
        results.push(r),
      );
    });
    expect(results).toEqual([expect.objectContaining({ index: 0, metrics: { timeToFirstChunk: 1, duration: 4, attempts: 2 } })]);
    const timedOut: Array<StreamManyResult<Request>> = [];
    testScheduler.run(({ cold }) => {
      streamMany(requests(1), { source: () => cold('-r---------a|', values), timeout: { idle: 5 } }).subscribe((r) => timedOut.push(r));
    });
    expect(timedOut).toEqual([expect.objectContaining({ error: expect.any(StreamTimeoutError) })]);
    expect(timedOut[0]!.metrics.attempts).toBe(1);
  });

  it("should pause every start for a 429's retry-after, halve the concurrency, and raise it again as requests succeed", () => {
    const progress: StreamManyProgress[] = [];
    const starts: Array<[number, number]> = [];
    testScheduler.run(({ cold }) => {
      const limited = cold<never>('-#', undefined, new HTTPStatusError({ status: 429, retryAfterMs: 20 }));
      let first = true;
      const source = (_: Request, index: number): Observable<ChatCompletionChunk> =>
        defer(() => {
          starts.push([testScheduler.now(), index]);
          if (index === 0 && first) {
            first = false;
            return limited;
          }
          return cold('--r-f|', values);
        });
      streamMany(requests(12), { source, concurrency: 4, progress: (p) => progress.push(p) }).subscribe();
    });
    // 0-3 start at 0; 0 gets its 429 at 1: the concurrency drops to 2, nothing starts before 21.
    expect(starts.filter(([at]) => at < 21)).toEqual([
      [0, 0],
      [0, 1],
      [0, 2],
      [0, 3],
    ]);
    expect(starts.filter(([at]) => at === 21).map(([, index]) => index)).toEqual([0, 4]);
    const concurrency = progress.map((p) => p.concurrency);
    expect(concurrency[0]).toBe(4);
    expect(Math.min(...concurrency)).toBe(2);
    expect(concurrency.at(-1)).toBeGreaterThan(2);
    expect(Math.max(...progress.map((p) => p.inFlight))).toBeLessThanOrEqual(4);
    expect(progress.at(-1)).toMatchObject({ done: 12, failed: 0, inFlight: 0, waiting: 0, total: 12 });
  });

  it('should cut the concurrency once for a round of 429s from requests started together', () => {
    const progress: StreamManyProgress[] = [];
    testScheduler.run(({ cold }) => {
      const limited = cold<never>('-#', undefined, new HTTPStatusError({ status: 429, retryAfterMs: 5 }));
      const tried = new Set<number>();
      const source = (_: Request, index: number): Observable<ChatCompletionChunk> =>
        defer(() => (tried.has(index) ? cold('-r-f|', values) : (tried.add(index), limited)));
      streamMany(requests(8), { source, concurrency: 8, progress: (p) => progress.push(p) }).subscribe();
    });
    expect(Math.min(...progress.map((p) => p.concurrency))).toBe(4);
  });

  it('should hold a requests-per-minute budget: evenly spaced starts, no 60 s window over the limit', () => {
    const starts: number[] = [];
    testScheduler.run(({ cold }) => {
      const source = (): Observable<ChatCompletionChunk> => defer(() => (starts.push(testScheduler.now()), cold('-r-f|', values)));
      streamMany(requests(130), { source, concurrency: 50, requestsPerMinute: 60 }).subscribe();
    });
    expect(starts).toHaveLength(130);
    expect(busiestWindow(starts, 60_000)).toBeLessThanOrEqual(60);
    const perMinute = ((starts.length - 1) / (starts.at(-1)! - starts[0]!)) * 60_000;
    expect(perMinute).toBeLessThanOrEqual(60);
    expect(perMinute).toBeGreaterThan(59);
    const gaps = starts.slice(1).map((at, i) => at - starts[i]!);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(1000);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(1003);
  });

  it('should hold a tokens-per-minute budget charged with the counted prompt plus max_tokens', () => {
    const input = requests(400, { max_tokens: 90 });
    const cost = (i: number): number => countPromptTokens(input[i]!.messages, 'gpt-4o-mini') + 90;
    const starts: number[] = [];
    const charged: number[] = [];
    testScheduler.run(({ cold }) => {
      const source = (_: Request, index: number): Observable<ChatCompletionChunk> =>
        defer(() => (starts.push(testScheduler.now()), charged.push(cost(index)), cold('-r-a-f|', values)));
      streamMany(input, { source, concurrency: 100, tokensPerMinute: 60_000 }).subscribe();
    });
    expect(starts).toHaveLength(400);
    expect(busiestWindow(starts, 60_000, charged)).toBeLessThanOrEqual(60_000);
    const perMinute = (charged.slice(1).reduce((a, b) => a + b, 0) / (starts.at(-1)! - starts[0]!)) * 60_000;
    expect(perMinute).toBeLessThanOrEqual(60_000);
    expect(perMinute).toBeGreaterThan(59_000);
  });

  it('should charge a request without max_tokens its prompt at the start and its completion at the end', () => {
    const input = requests(200);
    const prompt = countPromptTokens(input[0]!.messages, 'gpt-4o-mini');
    const completion = countTokens('Hello', 'gpt-4o-mini');
    const starts: number[] = [];
    testScheduler.run(({ cold }) => {
      const source = (): Observable<ChatCompletionChunk> => defer(() => (starts.push(testScheduler.now()), cold('-r-a-b-f|', values)));
      streamMany(input, { source, concurrency: 1, tokensPerMinute: 6000 }).subscribe();
    });
    // Each request costs prompt + completion in all: the run goes at 6000 / (prompt + completion) requests a minute.
    const perMinute = ((starts.length - 1) / (starts.at(-1)! - starts[0]!)) * 60_000;
    expect(perMinute).toBeLessThanOrEqual(6000 / (prompt + completion));
    expect(perMinute).toBeGreaterThan((6000 / (prompt + completion)) * 0.97);
  });

  it('should read an iterable lazily: one request when a slot frees', () => {
    let read = 0;
    const seen: Array<[number, number]> = [];
    function* generate(): Generator<Request> {
      for (let i = 0; i < 5; i++) {
        read++;
        yield request(i);
      }
    }
    testScheduler.run(({ cold }) => {
      streamMany(generate(), {
        source: () => defer(() => (seen.push([testScheduler.now(), read]), cold('--r-f|', values))),
        concurrency: 2,
      }).subscribe();
    });
    expect(seen).toEqual([
      [0, 1],
      [0, 2],
      [5, 3],
      [5, 4],
      [10, 5],
    ]);
  });

  it('should take an Observable of requests, and pass its error on once the requests in flight have ended', () => {
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const input = hot<Request>('  -a--b-#', { a: request(0), b: request(1) }, new Error('input broke'));
      const expected = '            ------0--(1#)';
      expectObservable(streamMany(input, { source: () => cold('-r-f-|', values) }).pipe(map(brief)), '^').toBe(
        expected,
        { 0: '0', 1: '1' },
        new Error('input broke'),
      );
    });
  });

  it('should complete at once for no requests, and never for an input that never ends', () => {
    testScheduler.run(({ expectObservable }) => {
      expectObservable(streamMany([], { source: () => NEVER })).toBe('|');
      expectObservable(streamMany(NEVER as Observable<Request>, { source: () => NEVER })).toBe('-');
    });
  });

  it('should emit one result for one request', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(streamMany([request(0)], { source: () => cold('-r-f|', values) }).pipe(map(brief))).toBe('----(0|)', { 0: '0' });
    });
  });

  it('should abort every request in flight and start no more on early unsubscribe', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const s = cold('  ---r-a-b-f|', values);
      const unsub = '    --!';
      expectObservable(streamMany(requests(5), { source: () => s, concurrency: 2 }), unsub).toBe('---');
      expectSubscriptions(s.subscriptions).toBe(['^-!', '^-!']);
    });
  });

  it('should fail a request that is not an object, or whose source throws, on its own', () => {
    const results: Array<StreamManyResult<Request>> = [];
    testScheduler.run(({ cold }) => {
      const input = [request(0), 'not a request' as unknown as Request, request(2)];
      streamMany(input, {
        source: (_, index) => {
          if (index === 2) throw new Error('no source for you');
          return cold('-r-f|', values);
        },
      }).subscribe((r) => results.push(r));
    });
    expect(results.map(brief).sort()).toEqual(['0', 'E1', 'E2']);
    expect(results.find((r) => r.index === 1)).toMatchObject({ error: expect.any(InvalidInputError) });
    expect(results.find((r) => r.index === 2)).toMatchObject({ error: new Error('no source for you') });
  });

  it('should not charge a budget for a request that is not an object', () => {
    const starts: number[] = [];
    testScheduler.run(({ cold }) => {
      const input = ['not a request' as unknown as Request, request(1)];
      streamMany(input, { source: () => defer(() => (starts.push(testScheduler.now()), cold('-r-f|', values))), requestsPerMinute: 60 }).subscribe();
    });
    expect(starts).toEqual([0]);
  });

  it('should send progress to an observer, and keep going when a progress callback throws', () => {
    const subject = new Subject<StreamManyProgress>();
    const seen: StreamManyProgress[] = [];
    subject.subscribe((p) => seen.push(p));
    testScheduler.run(({ cold }) => {
      streamMany(requests(2), { source: () => cold('-r-f|', values), progress: subject }).subscribe();
    });
    expect(seen.at(-1)).toEqual({ done: 2, failed: 0, inFlight: 0, waiting: 0, tokens: expect.any(Number), concurrency: 8, total: 2 });
    expect(seen.at(-1)!.tokens).toBeGreaterThan(0);

    const unhandled: unknown[] = [];
    config.onUnhandledError = (error) => unhandled.push(error);
    const results: string[] = [];
    testScheduler.run(({ cold }) => {
      streamMany(requests(2), {
        source: () => cold('-r-f|', values),
        progress: () => {
          throw new Error('bar broke');
        },
      }).subscribe((r) => results.push(brief(r)));
    });
    expect(results).toEqual(['0', '1']);
    expect(unhandled.length).toBeGreaterThan(0);
    expect(unhandled[0]).toEqual(new Error('bar broke'));
  });

  it('should throw an InvalidInputError for bad arguments and options, when called', () => {
    const source = (): Observable<never> => NEVER;
    const client = { chat: { completions: { create: () => Promise.resolve({ async *[Symbol.asyncIterator]() {} }) } } };
    const bad: Array<[unknown, unknown]> = [
      ['requests', { source }],
      [null, { source }],
      [42, { source }],
      [[], {}],
      [[], { source, client }],
      [[], { client: {} }],
      [[], { source, concurrency: 0 }],
      [[], { source, requestsPerMinute: -1 }],
      [[], { source, tokensPerMinute: Number.NaN }],
      [[], { source, retry: { count: -1 } }],
      [[], { source, timeout: {} }],
      [[], { source, progress: 'yes' }],
      [[], { source, scheduler: {} }],
    ];
    for (const [input, options] of bad) expect(() => streamMany(input as never, options as never)).toThrow(InvalidInputError);
  });

  describe('Budget', () => {
    it('should hold a tenth of a second of the limit, and refill at the limit less that per minute', () => {
      const budget = new Budget(6000, 0);
      expect(budget.burst).toBe(10);
      expect(budget.wait(10, 0)).toBe(0);
      budget.charge(10, 0);
      expect(budget.wait(1, 0)).toBe(11); // 1 / (5990 / 60000) = 10.02 ms
      expect(budget.wait(1, 11)).toBe(0);
      // A charge larger than the bucket waits for a full bucket, then leaves it in debt.
      const big = new Budget(600, 0);
      big.charge(1, 0);
      expect(big.wait(50, 0)).toBe(101);
      big.charge(50, 101);
      expect(big.wait(1, 101)).toBeGreaterThan(5000);
    });
  });
});
