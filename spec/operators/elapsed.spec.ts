import { TestScheduler } from 'rxjs/testing';
import { elapsed } from '../../lib/operators/elapsed.js';

describe('elapsed', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('should stamp each value with the time since subscription and since the previous value', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  ---a 9ms b-c-|');
      const e1subs = '  ^ 16ms !';
      const expected = ' ---x 9ms y-z-|';

      expectObservable(e1.pipe(elapsed(testScheduler))).toBe(expected, {
        x: { value: 'a', elapsed: 3, interval: 3 },
        y: { value: 'b', elapsed: 13, interval: 10 },
        z: { value: 'c', elapsed: 15, interval: 2 },
      });
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should start the clock at subscription, not at creation', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const e1 = hot('   --a--b--|');
      const sub = '      ---^';
      const expected = ' -----y--|';
      expectObservable(e1.pipe(elapsed(testScheduler)), sub).toBe(expected, {
        y: { value: 'b', elapsed: 2, interval: 2 },
      });
    });
  });

  it('should use the asyncScheduler by default, which TestScheduler.run makes virtual', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = cold('  --a 1s b|');
      const expected = ' --x 1s y|';
      expectObservable(e1.pipe(elapsed())).toBe(expected, {
        x: { value: 'a', elapsed: 2, interval: 2 },
        y: { value: 'b', elapsed: 1003, interval: 1001 },
      });
    });
  });

  it('should complete on an empty source', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  |');
      expectObservable(e1.pipe(elapsed(testScheduler))).toBe('|');
      expectSubscriptions(e1.subscriptions).toBe('(^!)');
    });
  });

  it('should not complete on a never source', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -');
      expectObservable(e1.pipe(elapsed(testScheduler))).toBe('-');
      expectSubscriptions(e1.subscriptions).toBe('^');
    });
  });

  it('should pass an error through', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -a-#', undefined, new Error('boom'));
      const e1subs = '  ^--!';
      const expected = ' -x-#';
      expectObservable(e1.pipe(elapsed(testScheduler))).toBe(
        expected,
        { x: { value: 'a', elapsed: 1, interval: 1 } },
        new Error('boom'),
      );
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should stop on early unsubscribe', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -a-b-c-|');
      const e1subs = '  ^--!';
      const unsub = '    ---!';
      expectObservable(e1.pipe(elapsed(testScheduler)), unsub).toBe('-x--', {
        x: { value: 'a', elapsed: 1, interval: 1 },
      });
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should give each subscription its own clock', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = cold('  -a|');
      const stamped = e1.pipe(elapsed(testScheduler));
      expectObservable(stamped).toBe('-x|', { x: { value: 'a', elapsed: 1, interval: 1 } });
      expectObservable(stamped, '  ----^').toBe('-----x|', { x: { value: 'a', elapsed: 1, interval: 1 } });
    });
  });

  it('should error when the time provider throws', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      let calls = 0;
      const clock = {
        now: () => {
          if (++calls > 1) throw new Error('clock broke');
          return 0;
        },
      };
      expectObservable(cold('-a|').pipe(elapsed(clock))).toBe('-#', undefined, new Error('clock broke'));
    });
  });
});
