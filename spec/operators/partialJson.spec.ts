import { TestScheduler } from 'rxjs/testing';
import { from, lastValueFrom, map, tap, toArray, type Observable } from 'rxjs';
import { partialJson } from '../../lib/operators/partialJson.js';
import { ChatStreamError, InvalidInputError, PartialJsonError } from '../../lib/errors.js';

/** Runs `result` in `scheduler` and gives the error it ended with. */
function caughtBy(scheduler: TestScheduler, result: Observable<unknown>): PartialJsonError {
  let caught: unknown;
  result.pipe(tap({ error: (error: unknown) => (caught = error) })).subscribe({ error: () => undefined });
  scheduler.flush();
  expect(caught).toBeInstanceOf(PartialJsonError);
  return caught as PartialJsonError;
}

describe('partialJson', () => {
  let testScheduler: TestScheduler;

  it('should refuse bad options with an InvalidInputError when called, naming the option', () => {
    expect(() => partialJson('deep' as never)).toThrow(InvalidInputError);
    for (const [options, path] of [
      [{ maxDepth: 0 }, 'partialJson() options.maxDepth'],
      [{ maxDepth: 1.5 }, 'partialJson() options.maxDepth'],
      [{ maxDepth: '3' }, 'partialJson() options.maxDepth'],
      [{ fence: 'yes' }, 'partialJson() options.fence'],
      [{ allowIncomplete: 1 }, 'partialJson() options.allowIncomplete'],
    ] as const) {
      expect(() => partialJson(options as never)).toThrow(expect.objectContaining({ name: 'InvalidInputError', path }));
    }
    expect(() => partialJson({ maxDepth: Infinity, fence: true, allowIncomplete: false })).not.toThrow();
    expect(() => partialJson()).not.toThrow();
  });

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('should emit the value so far after each string that changes it', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  --a-----b-----c-----d--|', { a: '{"items":["ap', b: 'ple", "fig', c: '"], "n": 4', d: '2}' });
      const e1subs = '  ^----------------------!';
      const expected = ' --A-----B-----------D--|';

      expectObservable(e1.pipe(partialJson())).toBe(expected, {
        A: { items: ['ap'] },
        B: { items: ['apple', 'fig'] },
        D: { items: ['apple', 'fig'], n: 42 },
      });
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should emit one value for a whole text in one string', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -a-|', { a: '{"a": [1, true, null, "x"], "b": {"c": -0.5e1}}' });
      const e1subs = '  ^--!';
      const expected = ' -A-|';

      expectObservable(e1.pipe(partialJson())).toBe(expected, { A: { a: [1, true, null, 'x'], b: { c: -5 } } });
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should emit nothing for strings that change nothing (white space, keys, unfinished numbers)', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = cold('  -a-b-c-d-e-f-g-|', { a: ' {', b: ' "ke', c: 'y"', d: ': ', e: '12', f: '3 ', g: '} \n' });
      // The object was still open at F (a view): the finished, plain value follows on completion.
      const expected = ' -A---------F---(Z|)';

      expectObservable(e1.pipe(partialJson())).toBe(expected, { A: {}, F: { key: 123 }, Z: { key: 123 } });
    });
  });

  it('should show a key when its value starts, a string as it grows', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = cold('  -a-b-c-d-e-|', { a: '{"a":', b: ' "', c: 'hi', d: '", "b": [', e: ']}' });
      const expected = ' -A-B-C-D---(Z|)';

      expectObservable(e1.pipe(partialJson())).toBe(expected, { A: {}, B: { a: '' }, C: { a: 'hi' }, D: { a: 'hi', b: [] }, Z: { a: 'hi', b: [] } });
    });
  });

  it('should end with a value that is plain data all through, which structuredClone takes', async () => {
    const values = await lastValueFrom(from(['{"a": [1, {"b": "x"', '}], "c": {"d": [2', ']}}']).pipe(partialJson(), toArray()));
    const last = values[values.length - 1];
    expect(last).toEqual({ a: [1, { b: 'x' }], c: { d: [2] } });
    expect(structuredClone(last)).toEqual(last);
    expect(Object.isFrozen(last)).toBe(true);
  });

  it('should emit a top-level number when the source completes', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = cold('  -a-b-|', { a: '-1', b: '2.5' });
      const expected = ' -----(A|)';

      expectObservable(e1.pipe(partialJson())).toBe(expected, { A: -12.5 });
    });
  });

  it('should error with PartialJsonError (incomplete) on an empty source', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold<string>('  |');
      const e1subs = '          (^!)';

      expectObservable(e1.pipe(partialJson())).toBe('#', undefined, expect.any(PartialJsonError));
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should complete without a value on an empty source when incomplete input is allowed', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold<string>('|').pipe(partialJson({ allowIncomplete: true }))).toBe('|');
    });
  });

  it('should not complete on a never source', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold<string>('  -');
      const e1subs = '          ^';

      expectObservable(e1.pipe(partialJson())).toBe('-');
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should pass an error through', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -a-#', { a: '[1,' }, new Error('boom'));
      const e1subs = '  ^--!';
      const expected = ' -A-#';

      expectObservable(e1.pipe(partialJson())).toBe(expected, { A: [1] }, new Error('boom'));
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should stop on early unsubscribe', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -a-b-c-d-|', { a: '["x', b: 'y', c: 'z', d: '"]' });
      const e1subs = '  ^----!';
      const expected = ' -A-B--';
      const unsub = '    -----!';

      expectObservable(e1.pipe(partialJson()), unsub).toBe(expected, { A: ['x'], B: ['xy'] });
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should error at the first bad character, with its position over the whole text', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -a-b-c-|', { a: '{"a": [1, 2', b: ', ]', c: '}' });
      const e1subs = '  ^--!';
      const expected = ' -A-#';

      expectObservable(e1.pipe(partialJson())).toBe(expected, { A: { a: [1] } }, expect.any(PartialJsonError));
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
    const error = caughtBy(testScheduler, testScheduler.createColdObservable('-a-b-|', { a: '{"a": [1, 2', b: ', ]' }).pipe(partialJson()));
    expect(error).toBeInstanceOf(ChatStreamError);
    expect(error).toMatchObject({ name: 'PartialJsonError', reason: 'invalid-json', position: 13, value: { a: [1] } });
    expect(error.snippet).toBe('{"a": [1, 2, ]');
    expect(error.message).toBe(`Invalid JSON at position 13: expected a value, got "]" near "{\\"a\\": [1, 2, ]"`);
  });

  it('should error on text after the value, and accept white space after it', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('-a-b-|', { a: '[1]', b: ' \n\t' }).pipe(partialJson())).toBe('-A---|', { A: [1] });
      expectObservable(cold('-a-b-|', { a: '[1]', b: ' x' }).pipe(partialJson())).toBe('-A-#', { A: [1] }, expect.any(PartialJsonError));
    });
    const error = caughtBy(testScheduler, testScheduler.createColdObservable('-a-b-|', { a: '[1]', b: ' x' }).pipe(partialJson()));
    expect(error).toMatchObject({ reason: 'invalid-json', position: 4 });
  });

  it('should error with PartialJsonError (not-a-string) on a value that is not a string', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -a-x-b-|', { a: '["x', x: 42 as unknown as string, b: '"]' });
      const e1subs = '  ^--!';

      expectObservable(e1.pipe(partialJson())).toBe(' -A-#', { A: ['x'] }, expect.any(PartialJsonError));
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
    const error = caughtBy(testScheduler, testScheduler.createColdObservable('-a-x-|', { a: '["x', x: null as unknown as string }).pipe(partialJson()));
    expect(error).toMatchObject({ reason: 'not-a-string', position: 3, value: ['x'], message: 'partialJson takes strings, got null' });
  });

  it('should error with PartialJsonError (incomplete) when the source completes before the value', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = cold('  -a-b-|', { a: '{"a": 1', b: '' });

      expectObservable(e1.pipe(partialJson())).toBe(' -A---#', { A: {} }, expect.any(PartialJsonError));
    });
    const error = caughtBy(testScheduler, testScheduler.createColdObservable('-a-|', { a: '{"a": "x' }).pipe(partialJson()));
    expect(error).toMatchObject({ reason: 'incomplete', position: 8, value: { a: 'x' } });
    expect(error.message).toBe('Incomplete JSON: the input ended inside a string (position 8)');
  });

  it('should complete with the value so far when incomplete input is allowed (a last number counts)', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = cold('  -a-b-|', { a: '{"a": [1, "x', b: '", 23' });
      const expected = ' -A---(B|)';

      expectObservable(e1.pipe(partialJson({ allowIncomplete: true }))).toBe(expected, { A: { a: [1, 'x'] }, B: { a: [1, 'x', 23] } });
    });
  });

  it('should strip a Markdown code fence cut anywhere', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = cold('  -a-b-c-d-e-|', { a: ' \n`', b: '``js', c: 'on\n{"ok"', d: ': true}\n`', e: '``\n' });
      const expected = ' -----C-D---|';

      expectObservable(e1.pipe(partialJson({ fence: true }))).toBe(expected, { C: {}, D: { ok: true } });
    });
  });

  it('should read text without a fence when the fence option is set, and refuse a fence when it is not', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('-a-|', { a: ' [1]' }).pipe(partialJson({ fence: true }))).toBe('-A-|', { A: [1] });
      expectObservable(cold('-a-|', { a: '```json\n[1]\n```' }).pipe(partialJson())).toBe('-#', undefined, expect.any(PartialJsonError));
      // An opening fence wants its closing one.
      expectObservable(cold('-a-|', { a: '```\n[1]' }).pipe(partialJson({ fence: true }))).toBe('-A-#', { A: [1] }, expect.any(PartialJsonError));
    });
  });

  it('should not catch an error thrown by a downstream callback as a stream error of its own', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = cold('  -a-b-|', { a: '["x', b: 'y"]' });
      const throwing = e1.pipe(
        partialJson<string[]>(),
        map((value) => {
          if (value[0] === 'xy') throw new TypeError('bad');
          return value;
        }),
      );

      expectObservable(throwing).toBe(' -A-#', { A: ['x'] }, new TypeError('bad'));
    });
  });

  it('should start a new parse for each subscription', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const result = cold('-a-b-|', { a: '[1', b: ']' }).pipe(partialJson());

      expectObservable(result).toBe('-A-B-|', { A: [], B: [1] });
      expectObservable(result).toBe('-A-B-|', { A: [], B: [1] });
    });
  });
});
