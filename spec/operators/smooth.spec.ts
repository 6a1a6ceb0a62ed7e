import { TestScheduler } from 'rxjs/testing';
import { concat, concatMap, map, of, throwError, timer, type Observable, type SchedulerAction, type SchedulerLike } from 'rxjs';
import fc from 'fast-check';
import { smooth } from '../../lib/operators/smooth.js';
import { ChatStreamError, InvalidInputError } from '../../lib/errors.js';

describe('smooth', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('should emit one word per delayMs, and the last word when the source completes', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -a-----------|', { a: 'One two three four ' });
      const e1subs = '  ^------------!';
      const expected = ' -w--x--y-----(z|)';

      expectObservable(e1.pipe(smooth({ delayMs: 3 }))).toBe(expected, { w: 'One ', x: 'two ', y: 'three ', z: 'four ' });
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should emit everything queued and held at once before an error', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -a--------b-#', { a: 'One two three four ', b: 'five six' }, new ChatStreamError('cut'));
      const e1subs = '  ^-----------!';
      const expected = ' -w--x--y--z-(v#)';

      expectObservable(e1.pipe(smooth({ delayMs: 3 }))).toBe(
        expected,
        { w: 'One ', x: 'two ', y: 'three ', z: 'four ', v: 'five six' },
        expect.any(ChatStreamError),
      );
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should type out the rest at the same pace after the source completes', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = cold('  -a|', { a: 'One two three' });
      expectObservable(e1.pipe(smooth({ delayMs: 3 }))).toBe(' -w--x--(y|)', { w: 'One ', x: 'two ', y: 'three' });
    });
  });

  it('should emit at once when the pace allows: no wait for a lone word', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = cold('  -a---------b---------c-----|', { a: 'Hi ', b: 'there ', c: 'you' });
      expectObservable(e1.pipe(smooth({ delayMs: 3 }))).toBe(' -----------x---------y-----(z|)', { x: 'Hi ', y: 'there ', z: 'you' });
    });
  });

  it('should catch up so that no word waits more than maxLagMs, joining the late ones', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = cold('  -a 99ms |', { a: 'a b c d e f g' });
      // Whole at 1: 'a ' at once, 'b ' at 11; at 21 'c ' and every word that could not wait to 31 (lag > 25).
      const expected = ' -v 9ms w 9ms x 79ms (y|)';
      expectObservable(e1.pipe(smooth({ delayMs: 10, maxLagMs: 25 }))).toBe(expected, { v: 'a ', w: 'b ', x: 'c d e f ', y: 'g' });
    });
  });

  it('should not pace at all with delayMs 0', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = cold('  -a-b-|', { a: 'One two thr', b: 'ee four' });
      expectObservable(e1.pipe(smooth({ delayMs: 0 }))).toBe(' -x-y-(z|)', { x: 'One two ', y: 'three ', z: 'four' });
    });
  });

  it('should pace sentences, graphemes or RegExp pieces as textChunks cuts them', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = cold('  -a----------|', { a: 'Hi. Bye. Ok' });
      expectObservable(e1.pipe(smooth({ delayMs: 4, by: 'sentence' }))).toBe(' -x---y------(z|)', { x: 'Hi. ', y: 'Bye. ', z: 'Ok' });
      const e2 = cold('  -a--|', { a: 'H👋🏽!' });
      expectObservable(e2.pipe(smooth({ delayMs: 2, by: 'grapheme' }))).toBe(' -x-y-(z|)', { x: 'H', y: '👋🏽', z: '!' });
      const e3 = cold('  -a-----|', { a: 'one|two|three' });
      expectObservable(e3.pipe(smooth({ delayMs: 3, by: /\|/ }))).toBe(' -x--y--(z|)', { x: 'one|', y: 'two|', z: 'three' });
    });
  });

  it('should complete without values on an empty source', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold<string>('  |');
      expectObservable(e1.pipe(smooth())).toBe('|');
      expectSubscriptions(e1.subscriptions).toBe('(^!)');
    });
  });

  it('should emit nothing for a source that never emits', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold<string>('  -');
      expectObservable(e1.pipe(smooth())).toBe('-');
      expectSubscriptions(e1.subscriptions).toBe('^');
    });
  });

  it('should emit one value for one word', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = cold('  -a-|', { a: 'Hello' });
      expectObservable(e1.pipe(smooth())).toBe(' ---(x|)', { x: 'Hello' });
    });
  });

  it('should cancel its timer when unsubscribed early', () => {
    let turns = 0;
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -a----------|', { a: 'One two three four ' });
      const e1subs = '  ^---!';
      const unsub = '    ----!';
      // A scheduler that counts the turns that run.
      const counting: SchedulerLike = {
        now: () => testScheduler.now(),
        schedule: (work, delay, state) =>
          testScheduler.schedule(
            function (this: SchedulerAction<unknown>, value) {
              turns++;
              work.call(this as never, value as never);
            },
            delay,
            state,
          ),
      };
      expectObservable(e1.pipe(smooth({ delayMs: 2, scheduler: counting })), unsub).toBe(' -w-x', { w: 'One ', x: 'two ' });
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
    // The turn at 3 ran; the one due at 5 was cancelled at 4.
    expect(turns).toBe(1);
  });

  it('should error with an InvalidInputError for a value that is not a string, after the text that came', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -a-n-|', { a: 'One two three', n: 7 as unknown as string });
      const e1subs = '  ^--!';
      expectObservable(e1.pipe(smooth({ delayMs: 5 }))).toBe(' -x-(y#)', { x: 'One ', y: 'two three' }, expect.any(InvalidInputError));
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should take its scheduler from the options', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = cold('  -a------|', { a: 'One two three' });
      expectObservable(e1.pipe(smooth({ delayMs: 2, scheduler: testScheduler }))).toBe(' -x-y----(z|)', { x: 'One ', y: 'two ', z: 'three' });
    });
  });

  it('should throw an InvalidInputError for bad options, at the call', () => {
    expect(() => smooth({ delayMs: -1 })).toThrow(InvalidInputError);
    expect(() => smooth({ delayMs: Number.NaN })).toThrow('smooth() options.delayMs must be a finite number >= 0, got NaN');
    expect(() => smooth({ delayMs: 50, maxLagMs: 10 })).toThrow('smooth() options.maxLagMs must be a number >= 50, got 10');
    expect(() => smooth({ scheduler: {} as never })).toThrow(InvalidInputError);
    expect(() => smooth({ by: 'page' as never })).toThrow(InvalidInputError);
    expect(() => smooth({ maxLagMs: Infinity })).not.toThrow();
  });

  it('should keep the text whole, the pace, and every word within maxLagMs of becoming whole, for any timing', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 30 }), fc.constantFrom('a', 'bb', 'ccc', 'dd,', 'e.', 'ff!')), { minLength: 1, maxLength: 40, size: 'large' }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 0, max: 40 }),
        fc.boolean(),
        (words, delayMs, extraLag, fails) => {
          const maxLagMs = delayMs + extraLag;
          const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
          scheduler.run(() => {
            // Each delta is one word and a space, so a word is whole when the next delta comes.
            const arrivals: number[] = [];
            const source: Observable<string> = concat(
              of(...words).pipe(
                concatMap(([gap, word]) =>
                  timer(gap).pipe(
                    map(() => {
                      arrivals.push(scheduler.now());
                      return `${word} `;
                    }),
                  ),
                ),
              ),
              timer(5).pipe(concatMap(() => (fails ? throwError(() => new ChatStreamError('x')) : of<string>()))),
            );
            const emissions: Array<[number, string]> = [];
            let endedAt = -1;
            source.pipe(smooth({ delayMs, maxLagMs })).subscribe({
              next: (text) => emissions.push([scheduler.now(), text]),
              error: () => (endedAt = scheduler.now()),
              complete: () => (endedAt = scheduler.now()),
            });
            scheduler.flush();
            expect(endedAt).toBeGreaterThanOrEqual(0);
            expect(emissions.map(([, text]) => text).join('')).toBe(words.map(([, word]) => `${word} `).join(''));
            const sourceEnd = (arrivals[arrivals.length - 1] as number) + 5;
            // Map each character to when its word became whole (the next arrival, or the end).
            const wholeAt: number[] = [];
            words.forEach(([, word], i) => {
              for (let k = 0; k <= word.length; k++) wholeAt.push(i + 1 < arrivals.length ? (arrivals[i + 1] as number) : sourceEnd);
            });
            let offset = 0;
            emissions.forEach(([at, text], i) => {
              for (let k = 0; k < text.length; k++) {
                expect(at - (wholeAt[offset + k] as number)).toBeLessThanOrEqual(maxLagMs);
              }
              offset += text.length;
              const previous = emissions[i - 1];
              const flushedByError = fails && i === emissions.length - 1 && at === endedAt;
              if (previous !== undefined && !flushedByError) expect(at - previous[0]).toBeGreaterThanOrEqual(delayMs);
            });
          });
        },
      ),
      { numRuns: 200 },
    );
  });
});
