import { TestScheduler } from 'rxjs/testing';
import { animationFrameScheduler, asapScheduler, from, lastValueFrom, toArray, type SchedulerAction, type SchedulerLike } from 'rxjs';
import { renderRate } from '../../lib/operators/renderRate.js';
import { ChatStreamError, InvalidInputError } from '../../lib/errors.js';

const deltas = { a: 'Hel', b: 'lo', c: ', w', d: 'orld', e: '' };

describe('renderRate', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('should join the deltas of each interval into one value, and flush the rest on completion', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -a-b-c-------d---|', deltas);
      const e1subs = '  ^----------------!';
      const expected = ' ------x----------(y|)';

      expectObservable(e1.pipe(renderRate(5))).toBe(expected, { x: 'Hello, w', y: 'orld' });
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should emit at most one value per animation frame', () => {
    testScheduler.run(({ animate, cold, expectObservable }) => {
      animate('          --x---x---x---x---x');
      const e1 = cold('  -a-b-c--d--------|', deltas);
      const expected = ' --x---y---z------|';

      expectObservable(e1.pipe(renderRate(animationFrameScheduler))).toBe(expected, { x: 'Hel', y: 'lo, w', z: 'orld' });
    });
  });

  it('should use animation frames by default where requestAnimationFrame exists', () => {
    const global = globalThis as { requestAnimationFrame?: unknown };
    global.requestAnimationFrame = () => 0;
    try {
      testScheduler.run(({ animate, cold, expectObservable }) => {
        animate('          ----x-----x');
        const e1 = cold('  -a-b-c-----|', deltas);
        expectObservable(e1.pipe(renderRate())).toBe(' ----x-----y|', { x: 'Hello', y: ', w' });
      });
    } finally {
      delete global.requestAnimationFrame;
    }
  });

  it('should fall back to one value per 16 ms where there are no animation frames (Node)', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = cold('  -a 9ms b 9ms c 30ms |', deltas);
      expectObservable(e1.pipe(renderRate())).toBe(' - 16ms x 19ms y 14ms |', { x: 'Hello', y: ', w' });
    });
  });

  it('should keep the latest of values that are not strings (snapshots)', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const s = { a: { text: 'H' }, b: { text: 'Hi' }, c: { text: 'Hi!' } };
      const e1 = cold('  -a-b-----c|', s);
      expectObservable(e1.pipe(renderRate(3))).toBe(' ----x-----(y|)', { x: s.b, y: s.c });
      expectObservable(e1.pipe(renderRate({ intervalMs: 3, mode: 'latest' }))).toBe(' ----x-----(y|)', { x: s.b, y: s.c });
    });
  });

  it("should keep the latest string in 'latest' mode", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = cold('  -a-b-|', { a: 'Hel', b: 'Hello' });
      expectObservable(e1.pipe(renderRate({ mode: 'latest', intervalMs: 10 }))).toBe(' -----(x|)', { x: 'Hello' });
    });
  });

  it('should let empty strings add nothing and wait for nothing', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = cold('  -e-e-a-e-|', deltas);
      expectObservable(e1.pipe(renderRate(2))).toBe(' -------x-|', { x: 'Hel' });
    });
  });

  it('should take a scheduler: one value per task of it', async () => {
    const values = await lastValueFrom(from(['a', 'b', 'c']).pipe(renderRate(asapScheduler), toArray()));
    expect(values).toEqual(['abc']);
    const options = await lastValueFrom(from(['a', 'b']).pipe(renderRate({ scheduler: asapScheduler }), toArray()));
    expect(options).toEqual(['ab']);
  });

  it('should complete without values on an empty source', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold<string>('  |');
      expectObservable(e1.pipe(renderRate(5))).toBe('|');
      expectSubscriptions(e1.subscriptions).toBe('(^!)');
    });
  });

  it('should emit nothing for a source that never emits', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold<string>('  -');
      expectObservable(e1.pipe(renderRate(5))).toBe('-');
      expectSubscriptions(e1.subscriptions).toBe('^');
    });
  });

  it('should emit one value for one delta', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = cold('  -a------|', deltas);
      expectObservable(e1.pipe(renderRate(5))).toBe(' ------x-|', { x: 'Hel' });
    });
  });

  it('should emit what it holds before an error', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -a-b-#', deltas, new ChatStreamError('cut'));
      const e1subs = '  ^----!';
      expectObservable(e1.pipe(renderRate(10))).toBe(' -----(x#)', { x: 'Hello' }, expect.any(ChatStreamError));
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should cancel its frame when unsubscribed early', () => {
    let runs = 0;
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const counting: SchedulerLike = {
        now: () => testScheduler.now(),
        schedule: (work, delay, state) =>
          testScheduler.schedule(
            function (this: SchedulerAction<unknown>, value) {
              runs++;
              work.call(this as never, value as never);
            },
            delay,
            state,
          ),
      };
      const e1 = cold('  -a--b--|', deltas);
      const e1subs = '  ^----!';
      const unsub = '    -----!';
      expectObservable(e1.pipe(renderRate({ scheduler: counting, intervalMs: 2 })), unsub).toBe(' ---x-', { x: 'Hel' });
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
    // The flush at 3 ran; the one due at 6 (for 'lo') was cancelled at 5.
    expect(runs).toBe(1);
  });

  it("should error with an InvalidInputError for a value that is not a string in 'concat' mode, after what it held", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = cold('  -a-n-|', { a: 'Hel', n: { x: 1 } as unknown as string });
      expectObservable(e1.pipe(renderRate({ mode: 'concat', intervalMs: 10 }))).toBe(' ---(x#)', { x: 'Hel' }, expect.any(InvalidInputError));
    });
  });

  it('should throw an InvalidInputError for bad options, at the call', () => {
    expect(() => renderRate(-1)).toThrow(InvalidInputError);
    expect(() => renderRate({ mode: 'sum' as never })).toThrow("renderRate() options.mode must be 'auto', 'concat' or 'latest', got a string");
    expect(() => renderRate({ intervalMs: Number.POSITIVE_INFINITY })).toThrow(InvalidInputError);
    expect(() => renderRate({ scheduler: { now: () => 0 } as never })).toThrow(InvalidInputError);
    expect(() => renderRate('fast' as never)).toThrow(InvalidInputError);
  });
});
