import { TestScheduler } from 'rxjs/testing';
import { type Observable, type SchedulerLike, type Subscription } from 'rxjs';
import { streamTimeout } from '../../lib/operators/streamTimeout.js';
import { toChatCompletion } from '../../lib/operators/toChatCompletion.js';
import { ChatStreamError, InvalidInputError, StreamTimeoutError } from '../../lib/errors.js';
import { helloValues } from '../helpers/chunk.js';

const values = helloValues();

/** The error an Observable (made in run mode) ends with, after the test scheduler ran it. */
function errorOf(testScheduler: TestScheduler, make: (cold: TestScheduler['createColdObservable']) => Observable<unknown>): unknown {
  let caught: unknown;
  testScheduler.run(({ cold }) => {
    make(cold).subscribe({ error: (error: unknown) => (caught = error) });
  });
  return caught;
}

describe('streamTimeout', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('should error when the first chunk does not come within first ms, unsubscribing first', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -');
      const e1subs = '  ^ 9ms !';
      const expected = ' 10ms #';

      expectObservable(e1.pipe(streamTimeout({ first: 10 }))).toBe(expected, undefined, new StreamTimeoutError('first', 10, 0));
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should carry the phase, the limit and the chunks seen, as a ChatStreamError', () => {
    const error = errorOf(testScheduler, (cold) => cold('--a--b-----------|', values).pipe(streamTimeout({ idle: 5 })));
    expect(error).toEqual(expect.any(StreamTimeoutError));
    expect(error).toEqual(expect.any(ChatStreamError));
    expect(error).toMatchObject({ name: 'StreamTimeoutError', phase: 'idle', limitMs: 5, chunks: 2 });
    expect((error as Error).message).toBe('Stream timed out: no chunk within 5 ms of the previous one (after 2 chunks)');
  });

  it('should error when the next chunk does not come within idle ms of the previous one', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  --a--b-----------c|', values);
      const e1subs = '  ^---------!';
      const expected = ' --a--b----#';

      expectObservable(e1.pipe(streamTimeout({ idle: 5 }))).toBe(expected, values, new StreamTimeoutError('idle', 5, 2));
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should let a stream whose chunks keep coming within idle ms run to its end, however long', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -a---b---a---b---a---b---|', values);
      const e1subs = '  ^------------------------!';
      const expected = ' -a---b---a---b---a---b---|';

      expectObservable(e1.pipe(streamTimeout({ idle: 5 }))).toBe(expected, values);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should bound the wait for the first chunk by idle when first is not given, as the phase first', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -------a|', values);
      const e1subs = '  ^----!';
      const expected = ' -----#';

      expectObservable(e1.pipe(streamTimeout({ idle: 5 }))).toBe(expected, values, new StreamTimeoutError('first', 5, 0));
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should switch from the first limit to the idle limit at the first chunk', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      // A long time to first token is fine (first: 10); then chunks must come within 3 ms.
      const e1 = cold('  --------a--b------c|', values);
      const e1subs = '  ^-------------!';
      const expected = ' --------a--b--#';

      expectObservable(e1.pipe(streamTimeout({ first: 10, idle: 3 }))).toBe(expected, values, new StreamTimeoutError('idle', 3, 2));
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should not time the chunks after the first when only first is given', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = cold('  --a 20ms b 20ms |', values);
      const expected = ' --a 20ms b 20ms |';

      expectObservable(e1.pipe(streamTimeout({ first: 5 }))).toBe(expected, values);
    });
  });

  it('should error when the whole stream takes longer than total ms, however fast it flows', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -a-b-a-b-a-b-|', values);
      const e1subs = '  ^-------!';
      const expected = ' -a-b-a-b#';

      expectObservable(e1.pipe(streamTimeout({ idle: 5, total: 8 }))).toBe(expected, values, new StreamTimeoutError('total', 8, 4));
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should complete on an empty source and cancel its timers', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  |');
      const e1subs = '  (^!)';
      const expected = ' |';

      expectObservable(e1.pipe(streamTimeout({ first: 1, idle: 1, total: 1 }))).toBe(expected);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
    expect(testScheduler.actions).toHaveLength(0);
  });

  it('should not error on a never source before its limit runs out', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -');
      const e1subs = '  ^ 99ms !';
      const unsub = '    ^ 99ms !';

      expectObservable(e1.pipe(streamTimeout({ first: 1000 })), unsub).toBe('-');
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should mirror one value and complete', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  --a|', values);
      const e1subs = '  ^--!';
      const expected = ' --a|';

      expectObservable(e1.pipe(streamTimeout({ first: 5, idle: 5, total: 50 }))).toBe(expected, values);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should mirror many values and complete', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -r-a-b-f-u-|', values);
      const e1subs = '  ^----------!';
      const expected = ' -r-a-b-f-u-|';

      expectObservable(e1.pipe(streamTimeout({ first: 5, idle: 5, total: 50 }))).toBe(expected, values);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should pass an error through unchanged', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -a-#', values, new Error('boom'));
      const e1subs = '  ^--!';
      const expected = ' -a-#';

      expectObservable(e1.pipe(streamTimeout({ idle: 5 }))).toBe(expected, values, new Error('boom'));
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should stop its timers on early unsubscribe', () => {
    const timers: Subscription[] = [];
    const scheduler: SchedulerLike = {
      now: () => testScheduler.now(),
      schedule: (work: never, delay?: number, state?: never) => {
        const timer = testScheduler.schedule(work, delay, state);
        timers.push(timer);
        return timer;
      },
    };
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -a-b-------------|', values);
      const e1subs = '  ^----!';
      const unsub = '    ^----!';
      const expected = ' -a-b--';

      expectObservable(e1.pipe(streamTimeout({ idle: 3, total: 10, scheduler })), unsub).toBe(expected, values);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
      testScheduler.schedule(() => expect(timers.filter((timer) => !timer.closed)).toHaveLength(0), 5);
    });
    expect(timers.length).toBeGreaterThanOrEqual(2);
  });

  it('should give each subscription its own clocks', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = cold('  ---a|', values);
      const timed = e1.pipe(streamTimeout({ first: 5 }));
      expectObservable(timed).toBe('---a|', values);
      expectObservable(timed, '   ------^').toBe('---------a|', values);
    });
  });

  it('should use the asyncScheduler by default, which TestScheduler.run makes virtual', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = cold('  -a 2s b|', values);
      const expected = ' -a 999ms #';

      expectObservable(e1.pipe(streamTimeout({ idle: 1000 }))).toBe(expected, values, new StreamTimeoutError('idle', 1000, 1));
    });
  });

  it('should let toChatCompletion attach partial to the timeout once output began', () => {
    const error = errorOf(
      testScheduler,
      (cold) => cold('-r-a-b----------|', values).pipe(streamTimeout({ idle: 5 }), toChatCompletion()),
    ) as StreamTimeoutError;
    expect(error).toEqual(expect.any(StreamTimeoutError));
    expect(error.partial?.choices[0]?.message.content).toBe('Hello');
  });

  it('should throw an InvalidInputError for bad options, when called', () => {
    const bad: unknown[] = [
      undefined,
      null,
      'fast',
      {},
      { idle: -1 },
      { first: 0 },
      { total: Number.NaN },
      { idle: Infinity },
      { idle: '5' },
      { idle: 5, scheduler: {} },
    ];
    for (const options of bad) {
      expect(() => streamTimeout(options as never)).toThrow(InvalidInputError);
    }
    expect(() => streamTimeout({ idle: -1 })).toThrow('Invalid input: streamTimeout() options.idle must be a finite number of ms > 0, got -1');
  });
});
