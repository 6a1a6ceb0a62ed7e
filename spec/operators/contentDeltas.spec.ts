import { TestScheduler } from 'rxjs/testing';
import { map, tap, type Observable } from 'rxjs';
import { contentDeltas } from '../../lib/operators/contentDeltas.js';
import { ChatStreamError, InvalidChunkError, InvalidInputError } from '../../lib/errors.js';
import { chunk, helloValues } from '../helpers/chunk.js';
import type { ChatCompletionChunk } from '../../lib/types.js';

describe('contentDeltas', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  const values: Record<string, ChatCompletionChunk> = helloValues();

  it('should emit the non-empty content deltas of choice 0', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -r-a-b-f-u-|', values);
      const e1subs = '  ^----------!';
      const expected = ' ---A-B-----|';

      expectObservable(e1.pipe(contentDeltas())).toBe(expected, { A: 'Hel', B: 'lo' });
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should follow the given choice index and ignore the others', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const c = (index: number, content: string): ChatCompletionChunk => ({
        ...chunk({ content }),
        choices: [{ index, delta: { content }, finish_reason: null, logprobs: null }],
      });
      const e1 = cold('  -a-b-c-d-|', { a: c(0, 'x'), b: c(1, 'y'), c: c(0, 'z'), d: c(1, 'w') });
      const expected = ' ---B---D-|';

      expectObservable(e1.pipe(contentDeltas(1))).toBe(expected, { B: 'y', D: 'w' });
    });
  });

  it('should pass chunks without delta, without choices, or with tool calls and refusals', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const filter = { ...chunk(null), choices: [{ index: 0, content_filter_results: {} }] } as unknown as ChatCompletionChunk;
      const noChoices = { ...chunk(null), choices: undefined } as unknown as ChatCompletionChunk;
      const tool = chunk({ tool_calls: [{ index: 0, function: { arguments: '{"a' } }] });
      const refusal = chunk({ refusal: 'no' });
      const nullContent = chunk({ content: null });
      const e1 = cold('  -f-n-t-r-z-a-|', { f: filter, n: noChoices, t: tool, r: refusal, z: nullContent, a: values['a']! });
      const expected = ' -----------A-|';

      expectObservable(e1.pipe(contentDeltas())).toBe(expected, { A: 'Hel' });
    });
  });

  it('should emit every delta of one chunk that carries two entries for the choice', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const two: ChatCompletionChunk = {
        ...chunk(null),
        choices: [
          { index: 0, delta: { content: 'a' }, finish_reason: null },
          { index: 0, delta: { content: 'b' }, finish_reason: null },
        ],
      };
      const e1 = cold('  -x----|', { x: two });
      const expected = ' -(ab)-|';

      expectObservable(e1.pipe(contentDeltas())).toBe(expected, { a: 'a', b: 'b' });
    });
  });

  it('should read a choice without index as the one at its position, as the merge does', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const noIndex = (contents: string[]): ChatCompletionChunk =>
        ({ ...chunk(null), choices: contents.map((content) => ({ delta: { content }, finish_reason: null })) }) as unknown as ChatCompletionChunk;
      const e1 = cold('  -a-b-|', { a: noIndex(['x', 'y']), b: noIndex(['z']) });

      expectObservable(e1.pipe(contentDeltas())).toBe(' -a-b-|', { a: 'x', b: 'z' });
      expectObservable(e1.pipe(contentDeltas(1))).toBe(' -a---|', { a: 'y' });
    });
  });

  describe('on a chunk it cannot read', () => {
    const malformed: [string, unknown, string][] = [
      ['a chunk that is not an object', null, 'chunk must be an object, got null'],
      ['choices that is not an array', { ...chunk(null), choices: {} }, 'chunk.choices must be an array, got an object'],
      ['a choice that is not an object', { ...chunk(null), choices: [7] }, 'chunk.choices[0] must be an object, got a number'],
      ['a choice that is an array', { ...chunk(null), choices: [['x']] }, 'chunk.choices[0] must be an object, got an array'],
      ['a delta that is an array', { ...chunk(null), choices: [{ index: 0, delta: ['x'] }] }, 'chunk.choices[0].delta must be an object, got an array'],
      ['an invalid index', { ...chunk(null), choices: [{ index: -1, delta: { content: 'x' } }] }, 'chunk.choices[0].index must be a non-negative safe integer, got a number'],
      ['an index beyond the safe integers', { ...chunk(null), choices: [{ index: 2 ** 53, delta: { content: 'x' } }] }, 'chunk.choices[0].index must be a non-negative safe integer, got a number'],
      ['a delta that is not an object', { ...chunk(null), choices: [{ index: 0, delta: 'x' }] }, 'chunk.choices[0].delta must be an object, got a string'],
      ['a content that is not a string', chunk({ content: 42 as unknown as string }), 'chunk.choices[0].delta.content must be a string, got a number'],
    ];

    it.each(malformed)('should error with an InvalidChunkError naming the field for %s', (_, bad, message) => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const e1 = cold('  -a-x-b-|', { a: values['a']!, x: bad as ChatCompletionChunk, b: values['b']! });
        const e1subs = '  ^--!';
        let caught: unknown;
        const result = e1.pipe(contentDeltas(), tap({ error: (error: unknown) => (caught = error) }));

        expectObservable(result).toBe(' -A-#', { A: 'Hel' }, expect.any(InvalidChunkError));
        expectSubscriptions(e1.subscriptions).toBe(e1subs);
        testScheduler.flush();
        expect(caught).toBeInstanceOf(ChatStreamError);
        expect((caught as Error).message).toBe(`Invalid chat-completion chunk: ${message}`);
      });
    });

    it('should not look into the choices it does not follow beyond their index', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const other = { ...chunk(null), choices: [{ index: 1, delta: { content: 42 } }, { index: 0, delta: { content: 'x' } }] };
        const e1 = cold('  -a-|', { a: other as unknown as ChatCompletionChunk });

        expectObservable(e1.pipe(contentDeltas())).toBe(' -a-|', { a: 'x' });
      });
    });
  });

  describe('with { thinkTags: true }', () => {
    const contents = (...pieces: string[]): Record<string, ChatCompletionChunk> =>
      Object.fromEntries(pieces.map((content, i) => [String.fromCharCode(97 + i), chunk({ content })]));

    it('should skip a leading <think> block, its tags split anywhere, and emit the answer after it exactly', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const e1 = cold('  -a-b-c-d-e-|', contents(' <', 'think>Two', ' plus two</th', 'ink>\n\n4', '.'));
        const e1subs = '  ^----------!';
        const expected = ' -------D-E-|';

        expectObservable(e1.pipe(contentDeltas(0, { thinkTags: true }))).toBe(expected, { D: '\n\n4', E: '.' });
        expectSubscriptions(e1.subscriptions).toBe(e1subs);
      });
    });

    it('should keep the think block without the option, as the merge does', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const e1 = cold('  -a-b-|', contents('<think>x</think>', 'A'));
        expectObservable(e1.pipe(contentDeltas())).toBe(' -a-b-|', { a: '<think>x</think>', b: 'A' });
      });
    });

    it('should pass content that does not open with <think> as it is, once the start is told', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const e1 = cold('  -a-b-c-|', contents('<', 'b>bold</b>', ' <think>'));
        expectObservable(e1.pipe(contentDeltas(0, { thinkTags: true }))).toBe(' ---b-c-|', { b: '<b>bold</b>', c: ' <think>' });
      });
    });

    it('should emit nothing of a block that never closes, and an undecided start on completion', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        expectObservable(cold('  -a-b-|', contents('<think>cut', ' short')).pipe(contentDeltas(0, { thinkTags: true }))).toBe(' -----|');
        expectObservable(cold('  -a-|', contents('\n<thi')).pipe(contentDeltas(0, { thinkTags: true }))).toBe(' ---(a|)', { a: '\n<thi' });
      });
    });

    it('should split each subscription on its own', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const e1 = cold('  -a-b-|', contents('<think>x</think>', 'A'));
        const split = contentDeltas(0, { thinkTags: true });
        expectObservable(e1.pipe(split)).toBe(' ---b-|', { b: 'A' });
        expectObservable(e1.pipe(split)).toBe(' ---b-|', { b: 'A' });
      });
    });
  });

  it('should reject arguments that are not what they must be', () => {
    expect(() => contentDeltas(-1)).toThrow(InvalidInputError);
    expect(() => contentDeltas(Number.NaN)).toThrow(InvalidInputError);
    expect(() => contentDeltas('0' as unknown as number)).toThrow(InvalidInputError);
    expect(() => contentDeltas(0, { thinkTags: 1 as unknown as boolean })).toThrow(InvalidInputError);
    expect(() => contentDeltas(0, [] as unknown as undefined)).toThrow(InvalidInputError);
  });

  it('should complete on an empty source', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold<ChatCompletionChunk>('  |');
      const e1subs = '  (^!)';
      expectObservable(e1.pipe(contentDeltas())).toBe('|');
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should not complete on a never source', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold<ChatCompletionChunk>('  -');
      const e1subs = '  ^';
      expectObservable(e1.pipe(contentDeltas())).toBe('-');
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should pass an error through', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -a-#', values, new Error('boom'));
      const e1subs = '  ^--!';
      const expected = ' -A-#';
      expectObservable(e1.pipe(contentDeltas())).toBe(expected, { A: 'Hel' }, new Error('boom'));
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should stop on early unsubscribe', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -a-b-a-b-|', values);
      const e1subs = '  ^----!';
      const expected = ' -A-B--';
      const unsub = '    -----!';
      expectObservable(e1.pipe(contentDeltas()), unsub).toBe(expected, { A: 'Hel', B: 'lo' });
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should not catch an error thrown by a downstream callback as a stream error of its own', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = cold('  -a-b-|', values);
      const throwing: Observable<string> = e1.pipe(
        contentDeltas(),
        map((text) => {
          if (text === 'lo') throw new TypeError('bad');
          return text;
        }),
      );
      expectObservable(throwing).toBe(' -A-#', { A: 'Hel' }, new TypeError('bad'));
    });
  });
});
