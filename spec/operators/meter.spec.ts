import { TestScheduler } from 'rxjs/testing';
import { config, take, tap } from 'rxjs';
import { meter, type MeteredUsage } from '../../lib/operators/meter.js';
import { usage } from '../../lib/operators/usage.js';
import { InvalidInputError } from '../../lib/errors.js';
import { countPromptTokens } from '../../lib/tokens/countPromptTokens.js';
import { countTokens } from '../../lib/tokens/countTokens.js';
import type { UsageRequest } from '../../lib/tokens/estimateUsage.js';
import type { ChatCompletionChunk } from '../../lib/types.js';
import { chunk, helloValues } from '../helpers/chunk.js';

const values: Record<string, ChatCompletionChunk> = { ...helloValues(), x: chunk({ content: 42 as unknown as string }) };
const request: UsageRequest = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hello' }] };
const prompt = countPromptTokens(request.messages ?? [], 'gpt-4o-mini');

/** The usage counted for `text` so far, with the request's prompt. */
const counted = (text: string, extra: Partial<MeteredUsage>): Partial<MeteredUsage> => {
  const completion = text === '' ? 0 : countTokens(text, 'gpt-4o-mini');
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion, estimated: true, promptCounted: true, ...extra };
};

describe('meter', () => {
  let testScheduler: TestScheduler;
  let reports: Array<[number, MeteredUsage]>;
  const onUsage = (used: MeteredUsage): void => {
    reports.push([testScheduler.now(), used]);
  };

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    reports = [];
  });

  afterEach(() => {
    config.onUnhandledError = null;
  });

  it("should pass every chunk through and report the server's usage once, before completing", () => {
    const order: string[] = [];
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  --r--a--b--f--u--|', values);
      const e1subs = '  ^----------------!';
      const expected = ' --r--a--b--f--u--|';

      const result = e1.pipe(
        meter(request, (used) => (onUsage(used), order.push('report'))),
        tap({ complete: () => order.push('complete') }),
      );
      expectObservable(result).toBe(expected, values);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
    expect(reports).toEqual([
      [17, { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5, estimated: false, promptCounted: true, ending: 'complete', chunks: 5 }],
    ]);
    expect(order).toEqual(['report', 'complete']);
  });

  it('should count the usage when the server sent none', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('--r--a--b--f--|', values).pipe(meter(request, onUsage))).toBe('--r--a--b--f--|', values);
    });
    expect(reports).toEqual([[14, counted('Hello', { ending: 'complete', chunks: 4 })]]);
  });

  it('should report the output so far once, with ending unsubscribe, after unsubscribing upstream', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  --r--a-----b--f--|', values);
      const e1subs = '  ^-------!';
      const unsub = '    ^-------!';
      const expected = ' --r--a---';

      expectObservable(e1.pipe(meter(request, onUsage)), unsub).toBe(expected, values);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
    expect(reports).toEqual([[8, counted('Hel', { ending: 'unsubscribe', chunks: 2 })]]);
  });

  it('should report ending unsubscribe when a take downstream stops the stream', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('--r--a--b--f--|', values).pipe(meter(request, onUsage), take(3))).toBe('--r--a--(b|)', values);
    });
    expect(reports).toEqual([[8, counted('Hello', { ending: 'unsubscribe', chunks: 3 })]]);
  });

  it('should report ending error with the error, counting what came, then pass the error on', () => {
    const error = new Error('cut');
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  --r--a--#', values, error);
      const e1subs = '  ^-------!';
      const expected = ' --r--a--#';

      expectObservable(e1.pipe(meter(request, onUsage))).toBe(expected, values, error);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
    expect(reports).toEqual([[8, counted('Hel', { ending: 'error', chunks: 2, error })]]);
  });

  it('should report the prompt alone for an empty source', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold<ChatCompletionChunk>('  |');
      expectObservable(e1.pipe(meter(request, onUsage))).toBe('|');
      expectSubscriptions(e1.subscriptions).toBe('(^!)');
    });
    expect(reports).toEqual([[0, counted('', { ending: 'complete', chunks: 0 })]]);
  });

  it('should report nothing while a never source runs, and once when it is unsubscribed', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold<ChatCompletionChunk>('  -');
      const unsub = '  ^ 99ms !';
      expectObservable(e1.pipe(meter(request, onUsage)), unsub).toBe('-');
      expectSubscriptions(e1.subscriptions).toBe('^ 99ms !');
      testScheduler.schedule(() => expect(reports).toEqual([]), 50);
    });
    expect(reports).toEqual([[100, counted('', { ending: 'unsubscribe', chunks: 0 })]]);
  });

  it('should mirror one chunk and count it', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('--a|', values).pipe(meter(request, onUsage))).toBe('--a|', values);
    });
    expect(reports).toEqual([[3, counted('Hel', { ending: 'complete', chunks: 1 })]]);
  });

  it('should count the same as usage() for the same chunks', () => {
    let fromUsage: unknown;
    testScheduler.run(({ cold }) => {
      const e1 = cold('--r--a--b--f--|', values);
      e1.pipe(meter(request, onUsage)).subscribe();
      e1.pipe(usage(request)).subscribe((used) => (fromUsage = used));
    });
    const { ending, chunks, ...metered } = reports[0]![1];
    void ending;
    void chunks;
    expect(metered).toEqual(fromUsage);
  });

  it('should count the completion alone without a request', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('-a-b|', values).pipe(meter(undefined, onUsage))).toBe('-a-b|', values);
    });
    const completion = countTokens('Hello', 'gpt-4o-mini');
    expect(reports).toEqual([
      [4, { prompt_tokens: 0, completion_tokens: completion, total_tokens: completion, estimated: true, promptCounted: false, ending: 'complete', chunks: 2 }],
    ]);
  });

  it('should keep a separate count per subscription', () => {
    testScheduler.run(({ cold }) => {
      const metered = cold('-a-b|', values).pipe(meter(request, onUsage));
      metered.subscribe();
      metered.pipe(take(1)).subscribe();
    });
    expect(reports.map(([, used]) => [used.ending, used.chunks])).toEqual([
      ['unsubscribe', 1],
      ['complete', 2],
    ]);
  });

  it('should pass a chunk the merge cannot read through, and still report', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('-a-x-b|', values).pipe(meter(request, onUsage))).toBe('-a-x-b|', values);
    });
    expect(reports).toHaveLength(1);
    expect(reports[0]![1]).toMatchObject({ ending: 'complete', chunks: 3, estimated: true });
  });

  it('should not let a throwing onUsage break the stream, and report what it threw to config.onUnhandledError', () => {
    const unhandled: unknown[] = [];
    config.onUnhandledError = (error) => unhandled.push(error);
    const thrown = new Error('billing is down');
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  --r--a--b--f--u--|', values);
      const e1subs = '  ^----------------!';
      const expected = ' --r--a--b--f--u--|';

      expectObservable(
        e1.pipe(
          meter(request, () => {
            throw thrown;
          }),
        ),
      ).toBe(expected, values);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
    expect(unhandled).toEqual([thrown]);
  });

  it('should rethrow what onUsage threw on a fresh call stack when no config.onUnhandledError is set', () => {
    jest.useFakeTimers();
    try {
      const thrown = new Error('billing is down');
      let completed = false;
      testScheduler.run(({ cold }) => {
        cold('-a|', values)
          .pipe(
            meter(request, () => {
              throw thrown;
            }),
          )
          .subscribe({ complete: () => (completed = true) });
      });
      expect(completed).toBe(true);
      expect(() => jest.runOnlyPendingTimers()).toThrow(thrown);
    } finally {
      jest.useRealTimers();
    }
  });

  it('should throw an InvalidInputError for a callback that is not a function or a request that is not an object', () => {
    expect(() => meter(request, undefined as never)).toThrow(InvalidInputError);
    expect(() => meter('gpt-4o' as never, onUsage)).toThrow(InvalidInputError);
  });
});
