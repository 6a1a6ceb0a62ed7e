import { TestScheduler } from 'rxjs/testing';
import { from, lastValueFrom, map, tap, toArray } from 'rxjs';
import fc from 'fast-check';
import { reasoningDeltas } from '../../lib/operators/reasoningDeltas.js';
import { contentDeltas } from '../../lib/operators/contentDeltas.js';
import { toChatCompletion } from '../../lib/operators/toChatCompletion.js';
import { ChatStreamError, InvalidChunkError, InvalidInputError, StreamAPIError } from '../../lib/errors.js';
import { chunk, usageChunk } from '../helpers/chunk.js';
import type { ChatCompletionChunk } from '../../lib/types.js';

type Delta = ChatCompletionChunk.Choice.Delta;

/** The DeepSeek stream of the marble diagram. */
function deepseekValues(): Record<string, ChatCompletionChunk> {
  return {
    r: chunk({ role: 'assistant', content: null, reasoning_content: '' }),
    p: chunk({ content: null, reasoning_content: 'Two plus' }),
    q: chunk({ content: null, reasoning_content: ' two is four.' }),
    a: chunk({ content: '4', reasoning_content: null }),
    b: chunk({ content: '.', reasoning_content: null }),
    f: chunk({}, { finish_reason: 'stop' }),
    u: usageChunk(3, 2),
  };
}

/** Content deltas, one chunk each. */
const contents = (...pieces: string[]): Record<string, ChatCompletionChunk> =>
  Object.fromEntries(pieces.map((content, i) => [String.fromCharCode(97 + i), chunk({ content })]));

describe('reasoningDeltas', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('should emit the reasoning_content pieces (DeepSeek, xAI, vLLM)', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -r-p-q-a-b-f-u-|', deepseekValues());
      const e1subs = '  ^--------------!';
      const expected = ' ---P-Q---------|';

      expectObservable(e1.pipe(reasoningDeltas())).toBe(expected, { P: 'Two plus', Q: ' two is four.' });
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should emit the reasoning pieces (OpenRouter, Ollama, newer vLLM)', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = cold('  -r-p-q-a-|', {
        r: chunk({ role: 'assistant', content: '' }),
        p: chunk({ reasoning: 'Hmm' }),
        q: chunk({ content: '', reasoning: ', four.' }),
        a: chunk({ content: '4' }),
      });

      expectObservable(e1.pipe(reasoningDeltas())).toBe(' ---P-Q---|', { P: 'Hmm', Q: ', four.' });
    });
  });

  it('should emit a piece sent under both names once, and two different pieces both', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = cold('  -a-b---|', { a: chunk({ reasoning_content: 'same', reasoning: 'same' }), b: chunk({ reasoning_content: 'x', reasoning: 'y' }) });

      expectObservable(e1.pipe(reasoningDeltas())).toBe(' -a-(xy)|', { a: 'same', x: 'x', y: 'y' });
    });
  });

  it('should follow the given choice, read without index by position, as contentDeltas does', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const both = { ...chunk(null), choices: [{ delta: { reasoning: 'zero' } }, { delta: { reasoning: 'one' } }] } as unknown as ChatCompletionChunk;
      const e1 = cold('  -a-b-|', { a: both, b: { ...chunk(null), choices: [{ index: 1, delta: { reasoning_content: 'more' }, finish_reason: null }] } });

      expectObservable(e1.pipe(reasoningDeltas(1))).toBe(' -a-b-|', { a: 'one', b: 'more' });
      expectObservable(e1.pipe(reasoningDeltas())).toBe(' -a---|', { a: 'zero' });
    });
  });

  it('should leave think tags in the content alone unless asked', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = cold('  -a-b-|', contents('<think>hmm</think>', '4'));

      expectObservable(e1.pipe(reasoningDeltas())).toBe(' -----|');
    });
  });

  describe('with { thinkTags: true }', () => {
    it('should emit the text of a leading <think> block, its tags split anywhere', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const e1 = cold('  -a-b-c-d-e-|', contents('<thi', 'nk>Two', ' plus two</th', 'ink>\n\n4', '.'));
        const e1subs = '  ^----------!';

        expectObservable(e1.pipe(reasoningDeltas(0, { thinkTags: true }))).toBe(' ---B-C-----|', { B: 'Two', C: ' plus two' });
        expectObservable(e1.pipe(contentDeltas(0, { thinkTags: true }))).toBe(' -------D-E-|', { D: '\n\n4', E: '.' });
        expectSubscriptions(e1.subscriptions).toBe([e1subs, e1subs]);
      });
    });

    it('should allow whitespace before <think>, and drop it', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const e1 = cold('  -a-b-c-|', contents('\n ', '\t<think>x', '</think>A'));

        expectObservable(e1.pipe(reasoningDeltas(0, { thinkTags: true }))).toBe(' ---x---|', { x: 'x' });
        expectObservable(e1.pipe(contentDeltas(0, { thinkTags: true }))).toBe(' -----A-|', { A: 'A' });
      });
    });

    it('should hold back what may be a tag, and give content that does not open with <think> as it is', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const e1 = cold('  -a-b-c-|', contents(' <th', 'ank you', ' <think>no</think>'));

        expectObservable(e1.pipe(contentDeltas(0, { thinkTags: true }))).toBe(' ---b-c-|', { b: ' <thank you', c: ' <think>no</think>' });
        expectObservable(e1.pipe(reasoningDeltas(0, { thinkTags: true }))).toBe(' -------|');
      });
    });

    it('should make a block that never closes all reasoning, what was held emitted on completion', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const e1 = cold('  -a-b-|', contents('<think>cut by max_tok', 'ens</thi'));

        expectObservable(e1.pipe(reasoningDeltas(0, { thinkTags: true }))).toBe(' -a-b-(c|)', { a: 'cut by max_tok', b: 'ens', c: '</thi' });
        expectObservable(e1.pipe(contentDeltas(0, { thinkTags: true }))).toBe(' -----|');
      });
    });

    it('should give an undecided start as content on completion', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const e1 = cold('  -a-b-|', contents('  ', '<thi'));

        expectObservable(e1.pipe(contentDeltas(0, { thinkTags: true }))).toBe(' -----(c|)', { c: '  <thi' });
        expectObservable(e1.pipe(reasoningDeltas(0, { thinkTags: true }))).toBe(' -----|');
      });
    });

    it('should emit reasoning fields and a think block alike, in order', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const e1 = cold('  -a-b-|', { a: chunk({ reasoning_content: 'field', content: '<think>tag' }), b: chunk({ content: '</think>A' }) });

        expectObservable(e1.pipe(reasoningDeltas(0, { thinkTags: true }))).toBe(' -(ft)|', { f: 'field', t: 'tag' });
      });
    });

    it('should not hold back or emit on an error (an error passes at once)', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const e1 = cold('  -a-#', contents('<think>x</th'), new Error('boom'));

        expectObservable(e1.pipe(reasoningDeltas(0, { thinkTags: true }))).toBe(' -a-#', { a: 'x' }, new Error('boom'));
      });
    });

    it('should error with an InvalidChunkError for a content that is not a string', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const e1 = cold('  -a-|', { a: chunk({ content: 7 as unknown as string }) });

        expectObservable(e1.pipe(reasoningDeltas(0, { thinkTags: true }))).toBe(' -#', undefined, expect.any(InvalidChunkError));
        expectObservable(e1.pipe(reasoningDeltas())).toBe(' ---|');
      });
    });
  });

  describe('on a chunk it cannot read', () => {
    const malformed: [string, unknown, string][] = [
      ['a chunk that is not an object', 'x', 'chunk must be an object, got a string'],
      ['choices that is not an array', { ...chunk(null), choices: 1 }, 'chunk.choices must be an array, got a number'],
      ['a delta that is not an object', { ...chunk(null), choices: [{ index: 0, delta: [] }] }, 'chunk.choices[0].delta must be an object, got an array'],
      ['a reasoning_content that is not a string', chunk({ reasoning_content: 1 as unknown as string }), 'chunk.choices[0].delta.reasoning_content must be a string, got a number'],
      ['a reasoning that is not a string', chunk({ reasoning: {} as unknown as string }), 'chunk.choices[0].delta.reasoning must be a string, got an object'],
    ];

    it.each(malformed)('should error with an InvalidChunkError naming the field for %s', (_, bad, message) => {
      let caught: unknown;
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const e1 = cold('  -a-x-b-|', { a: chunk({ reasoning: 'r' }), x: bad as ChatCompletionChunk, b: chunk({ reasoning: 's' }) });
        const e1subs = '  ^--!';

        expectObservable(e1.pipe(reasoningDeltas(), tap({ error: (e: unknown) => (caught = e) }))).toBe(' -a-#', { a: 'r' }, expect.any(InvalidChunkError));
        expectSubscriptions(e1.subscriptions).toBe(e1subs);
      });
      expect(caught).toBeInstanceOf(ChatStreamError);
      expect((caught as Error).message).toBe(`Invalid chat-completion chunk: ${message}`);
    });

    it("should error with the server's StreamAPIError for an error sent as a chunk", () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const e1 = cold('  -x-|', { x: { object: 'error', message: 'overloaded', type: 'server_error' } as unknown as ChatCompletionChunk });
        expectObservable(e1.pipe(reasoningDeltas())).toBe(' -#', undefined, expect.any(StreamAPIError));
      });
    });

    it('should not look into the choices it does not follow', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const e1 = cold('  -a-|', { a: { ...chunk(null), choices: [{ index: 1, delta: { reasoning: 5 } }, { index: 0, delta: { reasoning: 'ok' } }] } as unknown as ChatCompletionChunk });
        expectObservable(e1.pipe(reasoningDeltas())).toBe(' -a-|', { a: 'ok' });
      });
    });
  });

  it('should complete on an empty source', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold<ChatCompletionChunk>('  |');
      expectObservable(e1.pipe(reasoningDeltas(0, { thinkTags: true }))).toBe('|');
      expectSubscriptions(e1.subscriptions).toBe('(^!)');
    });
  });

  it('should not complete on a never source', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold<ChatCompletionChunk>('  -');
      expectObservable(e1.pipe(reasoningDeltas())).toBe('-');
      expectSubscriptions(e1.subscriptions).toBe('^');
    });
  });

  it('should pass an error through', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -r-p-#', deepseekValues(), new Error('boom'));
      const e1subs = '  ^----!';
      expectObservable(e1.pipe(reasoningDeltas())).toBe(' ---P-#', { P: 'Two plus' }, new Error('boom'));
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should stop on early unsubscribe', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -r-p-q-a-b-f-u-|', deepseekValues());
      const e1subs = '  ^----!';
      const unsub = '    -----!';
      expectObservable(e1.pipe(reasoningDeltas()), unsub).toBe(' ---P--', { P: 'Two plus' });
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should not catch an error thrown by a downstream callback as its own', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = cold('  -r-p-q-|', deepseekValues());
      const result = e1.pipe(
        reasoningDeltas(),
        map((text) => {
          if (text.startsWith(' two')) throw new TypeError('bad');
          return text;
        }),
      );
      expectObservable(result).toBe(' ---P-#', { P: 'Two plus' }, new TypeError('bad'));
    });
  });

  it('should reject arguments that are not what they must be', () => {
    expect(() => reasoningDeltas(-1)).toThrow(InvalidInputError);
    expect(() => reasoningDeltas(0.5)).toThrow(InvalidInputError);
    expect(() => reasoningDeltas(0, { thinkTags: 'yes' as unknown as boolean })).toThrow(InvalidInputError);
    expect(() => reasoningDeltas(0, null as unknown as undefined)).toThrow(InvalidInputError);
  });

  describe('properties', () => {
    /** Cuts `text` at the given points: the pieces join back to it. */
    const cut = (text: string, cuts: number[], everyChar: boolean): string[] => {
      if (everyChar) return [...text];
      const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
      const pieces: string[] = [];
      let at = 0;
      for (const point of points) {
        pieces.push(text.slice(at, point));
        at = point;
      }
      pieces.push(text.slice(at));
      return pieces;
    };
    /** Text rich in tag characters, so that near-tags and split tags are common. */
    const tagText = fc.string({ unit: fc.constantFrom('<', '>', '/', 't', 'h', 'i', 'n', 'k', 'a', ' ', '\n', '<think>', '</th'), size: 'large' });
    const whitespace = fc.string({ unit: fc.constantFrom(' ', '\n', '\t', '\r'), maxLength: 5 });
    const splits = fc.record({ cuts: fc.array(fc.nat(), { size: 'large' }), everyChar: fc.boolean() });

    const run = async (pieces: string[], operator: typeof reasoningDeltas | typeof contentDeltas): Promise<string> =>
      (await lastValueFrom(from(pieces.map((content) => chunk({ content }))).pipe(operator(0, { thinkTags: true }), toArray()))).join('');

    it('should split any split of <think>R</think>A, after any whitespace, into R and A', async () => {
      let longest = 0;
      await fc.assert(
        fc.asyncProperty(whitespace, tagText.filter((r) => !r.includes('</think>')), tagText, splits, async (space, reasoning, answer, split) => {
          const pieces = cut(`${space}<think>${reasoning}</think>${answer}`, split.cuts, split.everyChar);
          longest = Math.max(longest, pieces.length);
          expect(await run(pieces, reasoningDeltas)).toBe(reasoning);
          expect(await run(pieces, contentDeltas)).toBe(answer);
        }),
        { numRuns: 300 },
      );
      expect(longest).toBeGreaterThan(50);
    });

    it('should give content that does not open with <think> unchanged, and a block that never closes as reasoning', async () => {
      await fc.assert(
        fc.asyncProperty(whitespace, tagText, splits, async (space, text, split) => {
          fc.pre(!`${space}${text}`.trimStart().startsWith('<think>'));
          const plain = cut(`${space}${text}`, split.cuts, split.everyChar);
          expect(await run(plain, contentDeltas)).toBe(`${space}${text}`);
          expect(await run(plain, reasoningDeltas)).toBe('');
          if (text.includes('</think>')) return;
          const unclosed = cut(`${space}<think>${text}`, split.cuts, split.everyChar);
          expect(await run(unclosed, reasoningDeltas)).toBe(text);
          expect(await run(unclosed, contentDeltas)).toBe('');
        }),
        { numRuns: 300 },
      );
    });

    it('should join to the reasoning text the finished completion keeps, under either field', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom('reasoning_content', 'reasoning'),
          fc.array(fc.option(fc.string(), { nil: null }), { size: 'large' }),
          async (field, pieces) => {
            const chunks = [...pieces.map((piece) => chunk({ [field]: piece } as Delta)), chunk({}, { finish_reason: 'stop' })];
            const joined = (await lastValueFrom(from(chunks).pipe(reasoningDeltas(), toArray()))).join('');
            const message = (await lastValueFrom(from(chunks).pipe(toChatCompletion()))).choices[0]!.message as unknown as Record<string, unknown>;
            expect(joined).toBe(message[field] ?? '');
          },
        ),
        { numRuns: 200 },
      );
    });
  });
});
