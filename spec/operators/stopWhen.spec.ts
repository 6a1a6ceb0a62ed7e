import { TestScheduler } from 'rxjs/testing';
import { concat, from, lastValueFrom, of, tap, throwError, toArray } from 'rxjs';
import fc from 'fast-check';
import { stopWhen } from '../../lib/operators/stopWhen.js';
import { contentDeltas } from '../../lib/operators/contentDeltas.js';
import { toChatCompletion } from '../../lib/operators/toChatCompletion.js';
import { ChatStreamError, InvalidChunkError, InvalidInputError } from '../../lib/errors.js';
import { countTokens } from '../../lib/tokens/countTokens.js';
import { tokenPieces } from '../../lib/tokens/tokenPieces.js';
import { chunk, usageChunk } from '../helpers/chunk.js';
import { ONE_TO_HUNDRED } from '../helpers/notebook.js';
import { cutInto, deltaSizes } from '../helpers/text.js';
import { anyText } from '../tokens/helpers.js';
import type { ChatCompletionChunk } from '../../lib/types.js';

const text = (content: string): ChatCompletionChunk => chunk({ content });
const role = chunk({ role: 'assistant', content: '' });
const finish = (reason = 'stop'): ChatCompletionChunk => chunk({}, { finish_reason: reason as 'stop' });
/** The chunk stopWhen ends with: every open choice finished, an empty delta. */
const stopped = (reason: 'stop' | 'length', indexes = [0]): ChatCompletionChunk =>
  ({
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    created: 1_700_000_000,
    model: 'gpt-4o-mini',
    choices: indexes.map((index) => ({ index, delta: {}, finish_reason: reason, logprobs: null })),
  }) as ChatCompletionChunk;

/** A stream of one text, cut into chunks, with its role, finish and usage chunks. */
function streamOf(deltas: readonly string[]): ChatCompletionChunk[] {
  return [role, ...deltas.map(text), finish(), usageChunk(3, deltas.length)];
}

/** The text the chunks carry, joined. */
async function textOf(chunks: readonly ChatCompletionChunk[], options: Parameters<typeof stopWhen>[0]): Promise<string> {
  return (await lastValueFrom(from(chunks).pipe(stopWhen(options), contentDeltas(), toArray()), { defaultValue: [] })).join('');
}

describe('stopWhen', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('should stop at a stop sequence split across chunks, dropping it and what follows, and unsubscribe at once', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const values = { r: role, a: text('Hello'), b: text(' wor'), c: text('ld. EN'), d: text('D now'), f: finish(), u: usageChunk(3, 9) };
      const e1 = cold('  --r--a--b--c--d--f--u--|', values);
      const e1subs = '  ^-------------!';
      const expected = ' --r--a--b--C--(DF|)';

      expectObservable(e1.pipe(stopWhen({ stopSequences: ['END'] }))).toBe(expected, {
        r: role,
        a: values.a,
        b: values.b,
        C: text('ld. '),
        D: text(''),
        F: stopped('stop'),
      });
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should stop at maxTokens, cutting the chunk that goes past it at the token', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const values = { r: role, a: text('One'), b: text(' two'), c: text(' three four'), f: finish() };
      const e1 = cold('  --r--a--b--c-----f-|', values);
      const e1subs = '  ^----------!';
      const expected = ' --r--a--b--(CF|)';

      expectObservable(e1.pipe(stopWhen({ maxTokens: 3 }))).toBe(expected, {
        r: role,
        a: values.a,
        b: values.b,
        C: text(' three'),
        F: stopped('length'),
      });
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should stop at the chunk of the token after the limit, when chunks are tokens', async () => {
    const deltas = tokenPieces(ONE_TO_HUNDRED, 'gpt-4o-mini');
    const chunks = await lastValueFrom(from(streamOf(deltas)).pipe(stopWhen({ maxTokens: 10 }), toArray()));
    // role + 10 token chunks + the 11th emptied + the finish chunk
    expect(chunks).toHaveLength(13);
    expect(chunks[11]).toEqual(text(''));
    const kept = deltas.slice(0, 10).join('');
    expect(await textOf(streamOf(deltas), { maxTokens: 10 })).toBe(kept);
    expect(countTokens(kept, 'gpt-4o-mini')).toBe(10);
  });

  it('should send held-back text on once it turns out not to be a stop sequence', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const values = { a: text('ld. EN'), b: text('Xtra E'), c: text('N'), f: finish() };
      const e1 = cold('  -a-b-c-f-|', values);
      expectObservable(e1.pipe(stopWhen({ stopSequences: ['END'] }))).toBe(' -A-B-C-F-|', {
        A: text('ld. '),
        B: text('ENXtra '),
        C: text(''),
        // The choice finishes: what was held back ('EN') cannot become 'END' any more.
        F: chunk({ content: 'EN' }, { finish_reason: 'stop' }),
      });
    });
  });

  it('should send held-back text in a chunk of its own when the source completes or errors', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const values = { a: text('Hi ST') };
      const held = { ...text('ST'), choices: [{ index: 0, delta: { content: 'ST' }, finish_reason: null, logprobs: null }] };
      expectObservable(cold('  -a-|', values).pipe(stopWhen({ stopSequences: 'STOP' }))).toBe(' -A-(H|)', { A: text('Hi '), H: held });
      expectObservable(cold('  -a-#', values, new ChatStreamError('cut')).pipe(stopWhen({ stopSequences: 'STOP' }))).toBe(
        ' -A-(H#)',
        { A: text('Hi '), H: held },
        expect.any(ChatStreamError),
      );
    });
  });

  it('should stop when the predicate holds, dropping the delta that made it true', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const values = { a: text('All good. '), b: text('Then a bad word'), c: text(' more') };
      const e1 = cold('  -a-b-c-|', values);
      const e1subs = '  ^--!';
      const seen: string[] = [];
      const predicate = (sofar: string): boolean => {
        seen.push(sofar);
        return sofar.includes('bad');
      };
      expectObservable(e1.pipe(stopWhen({ predicate }))).toBe(' -a-(BF|)', { a: values.a, B: text(''), F: stopped('stop') });
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should error with what the predicate throws, after the held-back text', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -a-b-|', { a: text('Hi S'), b: text('o') });
      const e1subs = '  ^--!';
      const predicate = (sofar: string): boolean => {
        if (sofar.length > 4) throw new Error('moderation is down');
        return false;
      };
      const held = { ...text('S'), choices: [{ index: 0, delta: { content: 'S' }, finish_reason: null, logprobs: null }] };
      expectObservable(e1.pipe(stopWhen({ predicate, stopSequences: ['STOP'] }))).toBe(' -a-(H#)', { a: text('Hi '), H: held }, new Error('moderation is down'));
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should pass every chunk untouched while nothing holds', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const values = { r: role, a: text('Hello'), f: finish(), u: usageChunk(3, 1) };
      const e1 = cold('  -r-a-f-u-|', values);
      expectObservable(e1.pipe(stopWhen({ maxTokens: 5, stopSequences: ['\n\n'], predicate: () => false }))).toBe(' -r-a-f-u-|', values);
      expectSubscriptions(e1.subscriptions).toBe('^--------!');
    });
  });

  it('should complete without values on an empty source', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold<ChatCompletionChunk>('  |');
      expectObservable(e1.pipe(stopWhen({ maxTokens: 1 }))).toBe('|');
      expectSubscriptions(e1.subscriptions).toBe('(^!)');
    });
  });

  it('should emit nothing for a source that never emits', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold<ChatCompletionChunk>('  -');
      expectObservable(e1.pipe(stopWhen({ maxTokens: 1 }))).toBe('-');
      expectSubscriptions(e1.subscriptions).toBe('^');
    });
  });

  it('should stop on the one chunk there is', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('  -a-|', { a: text('Hi there') }).pipe(stopWhen({ maxTokens: 1 }))).toBe(' -(AF|)', {
        A: text('Hi'),
        F: stopped('length'),
      });
    });
  });

  it('should stop when unsubscribed early', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -a-b-c-|', { a: text('a'), b: text('b'), c: text('c') });
      expectObservable(e1.pipe(stopWhen({ maxTokens: 100 })), '   ---!').toBe(' -a-', { a: text('a') });
      expectSubscriptions(e1.subscriptions).toBe('^--!');
    });
  });

  it('should error with an InvalidChunkError for a chunk it cannot read', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const bad = chunk({ content: 5 as unknown as string });
      expectObservable(cold('  -a-x-|', { a: text('Hi'), x: bad }).pipe(stopWhen({ maxTokens: 9 }))).toBe(
        ' -a-#',
        { a: text('Hi') },
        expect.any(InvalidChunkError),
      );
    });
  });

  it('should give toChatCompletion a finished, clean completion, for every reason', async () => {
    const deltas = tokenPieces(ONE_TO_HUNDRED, 'gpt-4o-mini');
    for (const [options, content, reason] of [
      [{ maxTokens: 7 }, deltas.slice(0, 7).join(''), 'length'],
      [{ stopSequences: [', 5,'] }, '1, 2, 3, 4', 'stop'],
      // '12' is one token: the delta that brings it is dropped.
      [{ predicate: (t: string) => t.includes('12') }, '1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, ', 'stop'],
    ] as const) {
      const completion = await lastValueFrom(from(streamOf(deltas)).pipe(stopWhen(options), toChatCompletion()));
      expect(completion.choices).toEqual([
        { index: 0, message: { role: 'assistant', content, refusal: null }, finish_reason: reason, logprobs: null },
      ]);
      expect(completion.usage).toBeUndefined();
    }
  });

  it('should watch one choice of n > 1 and finish every open one', async () => {
    const of2 = (index: number, content: string): ChatCompletionChunk => ({
      ...chunk(null),
      choices: [{ index, delta: { content }, finish_reason: null, logprobs: null }],
    });
    const chunks = [of2(0, 'a b'), of2(1, 'x y'), of2(0, ' STOP c'), of2(1, ' z')];
    const completion = await lastValueFrom(from(chunks).pipe(stopWhen({ stopSequences: 'STOP' }), toChatCompletion()));
    expect(completion.choices.map((c) => [c.index, c.message.content, c.finish_reason])).toEqual([
      [0, 'a b ', 'stop'],
      [1, 'x y', 'stop'],
    ]);
    const second = await lastValueFrom(from(chunks).pipe(stopWhen({ stopSequences: 'y', choiceIndex: 1 }), toChatCompletion()));
    expect(second.choices.map((c) => [c.index, c.message.content, c.finish_reason])).toEqual([
      [0, 'a b', 'stop'],
      [1, 'x ', 'stop'],
    ]);
  });

  it("should count with the stream's model, or the model or encoding given", async () => {
    const say = 'お誕生日おめでとう';
    const chunks = [{ ...text(say), model: 'gpt-4' }];
    // gpt-4 (cl100k) counts 9 tokens, gpt-4o (o200k) fewer.
    expect(await textOf(chunks, { maxTokens: countTokens(say, 'gpt-4') })).toBe(say);
    expect(await textOf(chunks, { maxTokens: countTokens(say, 'gpt-4o'), model: 'gpt-4o' })).toBe(say);
    expect(await textOf(chunks, { maxTokens: countTokens(say, 'gpt-4o'), encoding: 'o200k_base' })).toBe(say);
    expect((await textOf(chunks, { maxTokens: countTokens(say, 'gpt-4o') })).length).toBeLessThan(say.length);
  });

  it('should find a stop sequence that overlaps itself, one character per chunk', async () => {
    const perCharacter = (input: string): ChatCompletionChunk[] => [...input].map(text);
    expect(await textOf(perCharacter('xaaab tail'), { stopSequences: 'aab' })).toBe('xa');
    expect(await textOf(perCharacter('abababc'), { stopSequences: 'ababc' })).toBe('ab');
    expect(await textOf(perCharacter('no match: aaa'), { stopSequences: 'aab' })).toBe('no match: aaa');
  });

  it('should keep exactly the text before the first stop sequence, however the text is cut, holding back less than the longest', async () => {
    // Mostly 'a' and 'b': stop sequences that overlap themselves ('aab' in 'aaab') are common then.
    const alphabet = fc.constantFrom('a', 'b', 'a', 'b', 'a', 'b', 'c', ' ', '\n', 'ab', 'ba', 'é', '👋');
    const stops = fc.array(fc.string({ unit: alphabet, minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 3 });
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: alphabet, maxLength: 60, size: 'large' }), deltaSizes, stops, async (input, sizes, sequences) => {
        const deltas = cutInto(input, sizes);
        // The API's rule: the first stop sequence to be completed, the longest where several end together.
        let cut = input.length;
        let end = Infinity;
        for (const s of sequences) {
          const at = input.indexOf(s);
          if (at >= 0 && (at + s.length < end || (at + s.length === end && at < cut))) {
            end = at + s.length;
            cut = at;
          }
        }
        const chunks = await lastValueFrom(from(streamOf(deltas)).pipe(stopWhen({ stopSequences: sequences }), toArray()));
        const kept = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
        expect(kept).toBe(input.slice(0, cut));
        // At every chunk, what was sent lags what came by less than the longest stop sequence.
        const longest = Math.max(...sequences.map((s) => s.length));
        let came = 0;
        let sent = 0;
        chunks.slice(1).forEach((c, i) => {
          came += deltas[i]?.length ?? 0;
          sent += c.choices[0]?.delta.content?.length ?? 0;
          if (end === Infinity && i < deltas.length) expect(came - sent).toBeLessThan(longest);
        });
        const finished = chunks.filter((c) => c.choices[0]?.finish_reason != null);
        expect(finished.map((c) => c.choices[0]?.finish_reason)).toEqual(['stop']);
      }),
      { numRuns: 400 },
    );
  });

  it('should keep the longest prefix of at most maxTokens tokens, cut where the tokens of the text are, however the text is cut', async () => {
    // The case a property run found: the 4th piece (' ') went out while "a'S   " was 3 tokens.
    expect(await textOf(tokenPieces("a'S   23", 'gpt-4o').map(text), { maxTokens: 3 })).toBe("a'S   ");
    await fc.assert(
      fc.asyncProperty(anyText(40), deltaSizes, fc.integer({ min: 1, max: 12 }), fc.constantFrom('gpt-4o', 'gpt-4'), async (input, sizes, max, model) => {
        const deltas = cutInto(input, sizes);
        const kept = await textOf(
          deltas.map((content) => ({ ...text(content), model })),
          { maxTokens: max },
        );
        expect(input.startsWith(kept)).toBe(true);
        expect(countTokens(kept, model)).toBeLessThanOrEqual(max);
        // Nothing is cut while the text so far stays within the limit after every delta (a prefix
        // may count more than the whole: ' دنی' is 2 tokens, ' دنیا' 1).
        let sofar = '';
        if (deltas.every((delta) => countTokens((sofar += delta), model) <= max)) expect(kept).toBe(input);
        const pieces = tokenPieces(input, model);
        const byToken = await textOf(
          pieces.map((content) => ({ ...text(content), model })),
          { maxTokens: max },
        );
        // At least the first `max` pieces (fewer where a piece is several tokens: a character split
        // by the tokens), more only where text already sent counted less then than it does in the
        // whole text (trailing spaces: "a   " is 2 tokens, "a   23" cuts the spaces in two).
        let k = Math.min(max, pieces.length);
        while (k > 0 && countTokens(pieces.slice(0, k).join(''), model) > max) k--;
        expect(input.startsWith(byToken)).toBe(true);
        expect(byToken.length).toBeGreaterThanOrEqual(pieces.slice(0, k).join('').length);
        expect(countTokens(byToken, model)).toBeLessThanOrEqual(max);
      }),
      { numRuns: 200 },
    );
  });

  it('should throw an InvalidInputError for bad options, at the call', () => {
    expect(() => stopWhen({ maxTokens: 0 })).toThrow('stopWhen() options.maxTokens must be a whole number >= 1, got 0');
    expect(() => stopWhen({ maxTokens: 1.5 })).toThrow(InvalidInputError);
    expect(() => stopWhen({ stopSequences: [''] })).toThrow(InvalidInputError);
    expect(() => stopWhen({ stopSequences: [3] as never })).toThrow(InvalidInputError);
    expect(() => stopWhen({ predicate: 'x' as never })).toThrow(InvalidInputError);
    expect(() => stopWhen({ choiceIndex: -1 })).toThrow(InvalidInputError);
    expect(() => stopWhen({ encoding: 'r50k' as never })).toThrow(InvalidInputError);
    expect(() => stopWhen(undefined as never)).not.toThrow();
  });

  it('should not touch the chunks it is given', async () => {
    const input = [text('ab STOP'), finish()];
    const frozen = JSON.stringify(input);
    await lastValueFrom(concat(from(input), of(text('x'))).pipe(stopWhen({ stopSequences: 'STOP' }), toArray()));
    expect(JSON.stringify(input)).toBe(frozen);
    const failing = concat(of(text('a')), throwError(() => new ChatStreamError('x')));
    await expect(lastValueFrom(failing.pipe(stopWhen({ maxTokens: 3 }), tap(() => undefined)))).rejects.toEqual(expect.any(ChatStreamError));
  });
});
