import { TestScheduler } from 'rxjs/testing';
import { from, lastValueFrom, map, tap, toArray } from 'rxjs';
import fc from 'fast-check';
import { runningTokens } from '../../lib/operators/runningTokens.js';
import { contentDeltas } from '../../lib/operators/contentDeltas.js';
import { ChatStreamError, InvalidInputError } from '../../lib/errors.js';
import { countTokens } from '../../lib/tokens/countTokens.js';
import { tokenPieces } from '../../lib/tokens/tokenPieces.js';
import { chunk } from '../helpers/chunk.js';
import { anyText, COUNT_TO_100_REPLY, PERSIAN } from '../tokens/helpers.js';

const deltas = { a: 'Hel', b: 'lo, wor', c: 'ld!', e: '' };

describe('runningTokens', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('should emit the token count of all text so far after each delta', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  --a-----b-----c------|', deltas);
      const e1subs = '  ^--------------------!';
      const expected = ' --x-----y-----z------|';

      expectObservable(e1.pipe(runningTokens('gpt-4o'))).toBe(expected, {
        x: countTokens('Hel', 'gpt-4o'),
        y: countTokens('Hello, wor', 'gpt-4o'),
        z: countTokens('Hello, world!', 'gpt-4o'),
      });
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should give the figures of the doc: 1, 3, 4', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = cold('  -a-b-c-|', deltas);
      const expected = ' -x-y-z-|';

      expectObservable(e1.pipe(runningTokens('gpt-4o'))).toBe(expected, { x: 1, y: 3, z: 4 });
    });
  });

  it('should emit the same count again for an empty delta', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -e-a-e-|', deltas);
      const e1subs = '  ^------!';
      const expected = ' -x-y-z-|';

      expectObservable(e1.pipe(runningTokens('gpt-4o'))).toBe(expected, { x: 0, y: 1, z: 1 });
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should complete without values for an empty source', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold<string>('  |');
      const e1subs = '  (^!)';
      const expected = ' |';

      expectObservable(e1.pipe(runningTokens('gpt-4o'))).toBe(expected);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should emit nothing for a source that never emits', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold<string>('  -');
      const e1subs = '  ^';
      const expected = ' -';

      expectObservable(e1.pipe(runningTokens('gpt-4o'))).toBe(expected);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should pass an error through', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -a--#', deltas, new ChatStreamError('cut'));
      const e1subs = '  ^---!';
      const expected = ' -x--#';

      expectObservable(e1.pipe(runningTokens('gpt-4o'))).toBe(expected, { x: 1 }, expect.any(ChatStreamError));
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should error with an InvalidInputError for a value that is not a string', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -a-n-c-|', { ...deltas, n: 42 as unknown as string });
      const e1subs = '  ^--!';
      const expected = ' -x-#';

      expectObservable(e1.pipe(runningTokens('gpt-4o'))).toBe(expected, { x: 1 }, expect.any(InvalidInputError));
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should stop when unsubscribed early', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -a-b-c-|', deltas);
      const unsub = '    ----!';
      const e1subs = '  ^---!';
      const expected = ' -x-y-';

      expectObservable(e1.pipe(runningTokens('gpt-4o')), unsub).toBe(expected, { x: 1, y: 3 });
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should count with the encoding of the model, or the one asked for', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = cold('  -a-b-|', { a: 'お誕生日', b: 'おめでとう' });
      expectObservable(e1.pipe(runningTokens('gpt-4'))).toBe(' -x-y-|', { x: countTokens('お誕生日', 'gpt-4'), y: 9 });
      expectObservable(e1.pipe(runningTokens('gpt-4', { encoding: 'o200k_base' }))).toBe(' -x-y-|', {
        x: countTokens('お誕生日', 'gpt-4o'),
        y: 8,
      });
    });
  });

  it('should start afresh for each subscription', async () => {
    const counts = from(['Hello', ', world!']).pipe(runningTokens('gpt-4o'), toArray());
    await expect(lastValueFrom(counts)).resolves.toEqual([1, 4]);
    await expect(lastValueFrom(counts)).resolves.toEqual([1, 4]);
  });

  it('should agree with countTokens of the text so far at every step, however the text is cut', async () => {
    let longStreams = 0; // more than 11 deltas: what fast-check's default size never made
    await fc.assert(
      fc.asyncProperty(
        fc.array(anyText(12), { maxLength: 25, size: 'large' }),
        fc.constantFrom('gpt-4o', 'gpt-4'),
        async (pieces, model) => {
          if (pieces.length > 11) longStreams++;
          const counts = await lastValueFrom(from(pieces).pipe(runningTokens(model), toArray()));
          let text = '';
          expect(counts).toEqual(pieces.map((piece) => countTokens((text += piece), model)));
        },
      ),
      { numRuns: 300 },
    );
    expect(longStreams).toBeGreaterThan(30);
  });

  it('should count the notebook reply streamed token by token up to 299, after contentDeltas', async () => {
    const stream = tokenPieces(COUNT_TO_100_REPLY, 'gpt-4o-mini').map((content) => chunk({ content }));
    const counts = await lastValueFrom(from(stream).pipe(contentDeltas(), runningTokens('gpt-4o-mini'), toArray()));
    expect(counts).toHaveLength(stream.length);
    expect(counts[counts.length - 1]).toBe(299);
    // '1' ',' ' ' '2' …: a space before a digit is a token of its own.
    expect(counts.slice(0, 4)).toEqual([1, 2, 3, 4]);
  });

  it('should count Persian text in 4-character deltas exactly', async () => {
    const text = PERSIAN.repeat(4);
    const pieces: string[] = [];
    for (let i = 0; i < text.length; i += 4) pieces.push(text.slice(i, i + 4));
    let sofar = '';
    const counts = await lastValueFrom(from(pieces).pipe(runningTokens('gpt-4o'), toArray()));
    expect(counts).toEqual(pieces.map((piece) => countTokens((sofar += piece), 'gpt-4o')));
  });

  it('should wait for the encoding to load where it cannot be loaded synchronously', async () => {
    await jest.isolateModulesAsync(async () => {
      jest.doMock('../../lib/tokens/nodeRequire', () => ({ nodeRequire: undefined }));
      const isolated = require('../../lib/operators/runningTokens') as typeof import('../../lib/operators/runningTokens.js');
      const tokens = require('../../lib/tokens/index') as typeof import('../../lib/tokens/index.js');
      expect(() => tokens.countTokens('Hello', 'gpt-4')).toThrow('loadEncoding');
      let subscribed = 0;
      const source = from(['Hello', ', world!']).pipe(tap({ subscribe: () => subscribed++ }));
      const counts = lastValueFrom(source.pipe(isolated.runningTokens('gpt-4'), toArray()));
      expect(subscribed).toBe(0);
      await expect(counts).resolves.toEqual([1, 4]);
      expect(subscribed).toBe(1);
    });
    jest.dontMock('../../lib/tokens/nodeRequire');
  });

  it('should compose with map for budgets (a trailing space is a token until a word takes it)', async () => {
    // 'one ' is 2 tokens, 'one two ' 3, 'one two three ' 4, 'one two three four' 4.
    const over = await lastValueFrom(
      from(['one ', 'two ', 'three ', 'four']).pipe(
        runningTokens('gpt-4o'),
        map((tokens) => tokens > 3),
        toArray(),
      ),
    );
    expect(over).toEqual([false, false, true, true]);
  });
});
