import { TestScheduler } from 'rxjs/testing';
import { lastValueFrom, of, tap } from 'rxjs';
import { toChatCompletion } from '../../lib/operators/toChatCompletion.js';
import { IncompleteStreamError, InvalidChunkError, InvalidInputError, StreamAPIError } from '../../lib/errors.js';
import { chunk, helloValues, USAGE_3_2 } from '../helpers/chunk.js';
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionSnapshot } from '../../lib/types.js';

const usage = USAGE_3_2;

const values: Record<string, ChatCompletionChunk> = helloValues();

function completion(content: string, extra: Partial<ChatCompletion> = {}): ChatCompletion {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1_700_000_000,
    model: 'gpt-4o-mini',
    choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, finish_reason: 'stop', logprobs: null }],
    ...extra,
  };
}

describe('toChatCompletion', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('should emit one ChatCompletion when the source completes', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -r-a-b-f-u-|', values);
      const e1subs = '  ^----------!';
      const expected = ' -----------(C|)';

      expectObservable(e1.pipe(toChatCompletion())).toBe(expected, { C: completion('Hello', { usage }) });
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should emit for a single finished chunk', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  --x--|', { x: chunk({ role: 'assistant', content: 'Hi' }, { finish_reason: 'stop' }) });
      const e1subs = '  ^----!';
      const expected = ' -----(C|)';

      expectObservable(e1.pipe(toChatCompletion())).toBe(expected, { C: completion('Hi') });
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should error with IncompleteStreamError no-chunks on an empty source', () => {
    let caught: unknown;
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold<ChatCompletionChunk>('  |');
      const e1subs = '  (^!)';
      const expected = ' #';

      const result = e1.pipe(toChatCompletion(), tap({ error: (e: unknown) => (caught = e) }));
      expectObservable(result).toBe(expected, undefined, expect.any(IncompleteStreamError));
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
    expect(caught).toMatchObject({ reason: 'no-chunks' });
    expect((caught as IncompleteStreamError).partial).toBeUndefined();
  });

  it('should not emit or complete on a source that never emits', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold<ChatCompletionChunk>('  -');
      const e1subs = '  ^';
      const expected = ' -';

      expectObservable(e1.pipe(toChatCompletion())).toBe(expected);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should error with IncompleteStreamError unfinished-choice and partial when a choice has no finish_reason', () => {
    let caught: unknown;
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -r-a-|', values);
      const e1subs = '  ^----!';
      const expected = ' -----#';

      const result = e1.pipe(toChatCompletion(), tap({ error: (e: unknown) => (caught = e) }));
      expectObservable(result).toBe(expected, undefined, expect.any(IncompleteStreamError));
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
    expect(caught).toMatchObject({ reason: 'unfinished-choice' });
    expect((caught as IncompleteStreamError).partial?.choices[0]?.message.content).toBe('Hel');
    expect((caught as IncompleteStreamError).partial?.choices[0]?.finish_reason).toBeNull();
  });

  it('should pass a source error on with partial', () => {
    const error = new StreamAPIError({ message: 'The server had an error', type: 'server_error' });
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -r-a-b-#', values, error);
      const e1subs = '  ^------!';
      const expected = ' -------#';

      expectObservable(e1.pipe(toChatCompletion())).toBe(expected, undefined, expect.any(StreamAPIError));
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
    const partial: ChatCompletionSnapshot | undefined = error.partial;
    expect(partial?.choices[0]?.message).toEqual({ role: 'assistant', content: 'Hello', refusal: null });
  });

  it('should pass an error before any chunk on without partial', () => {
    const error = new StreamAPIError({ message: 'overloaded' });
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = cold<ChatCompletionChunk>('  -#', undefined, error);
      const expected = ' -#';

      expectObservable(e1.pipe(toChatCompletion())).toBe(expected, undefined, expect.any(StreamAPIError));
    });
    expect(error.partial).toBeUndefined();
  });

  it('should error with an InvalidChunkError carrying partial on a malformed chunk, and unsubscribe', () => {
    let caught: unknown;
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -r-a-x-f-|', { ...values, x: chunk({ tool_calls: 'x' as unknown as [] }) });
      const e1subs = '  ^----!';
      const expected = ' -----#';

      const result = e1.pipe(toChatCompletion(), tap({ error: (e: unknown) => (caught = e) }));
      expectObservable(result).toBe(expected, undefined, expect.any(InvalidChunkError));
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
    expect((caught as { partial?: ChatCompletionSnapshot }).partial?.choices[0]?.message.content).toBe('Hel');
  });

  it('should allow unsubscribing early', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -r-a-b-f-u-|', values);
      const unsub = '   -----!';
      const e1subs = '  ^----!';
      const expected = ' ------';

      expectObservable(e1.pipe(toChatCompletion()), unsub).toBe(expected);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should keep a separate state per subscription', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = cold('  -r-a-f-|', values);
      const result = e1.pipe(toChatCompletion());
      const expected = ' -------(C|)';

      expectObservable(result).toBe(expected, { C: completion('Hel') });
      expectObservable(result).toBe(expected, { C: completion('Hel') });
    });
  });

  it('should merge the usage chunk after the finish chunk and a moderation chunk after it', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const moderation = { input: { flagged: false }, output: { flagged: false } };
      const m = chunk(null, { chunk: { usage: null, moderation } as unknown as Partial<ChatCompletionChunk> });
      const e1 = cold('  -r-a-f-u-m-|', { ...values, m });
      const expected = ' -----------(C|)';

      expectObservable(e1.pipe(toChatCompletion())).toBe(expected, {
        C: completion('Hel', { usage, moderation } as unknown as Partial<ChatCompletion>),
      });
    });
  });

  describe('{ lenient: true }', () => {
    it('should finish a choice that never got its finish_reason, null and marked, not guessed', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const e1 = cold('  -r-a-b-|', values);
        const expected = ' -------(C|)';
        const finished = completion('Hello');
        expectObservable(e1.pipe(toChatCompletion({ lenient: true }))).toBe(expected, {
          C: {
            ...finished,
            choices: [{ ...finished.choices[0], finish_reason: null }],
            incomplete: { reason: 'unfinished-choice', choices: [0] },
          },
        });
      });
    });

    it('should add no marker when every choice finished, and still error on an empty stream', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        expectObservable(cold(' -r-a-b-f-|', values).pipe(toChatCompletion({ lenient: true }))).toBe('---------(C|)', { C: completion('Hello') });
        expectObservable(cold<ChatCompletionChunk>(' -|').pipe(toChatCompletion({ lenient: true }))).toBe('-#', undefined, expect.any(IncompleteStreamError));
      });
    });

    it('should mark only the choices that did not finish', async () => {
      const two = (index: number, delta: Record<string, unknown>, finish: string | null = null): ChatCompletionChunk =>
        ({ ...chunk(null), choices: [{ index, delta, finish_reason: finish, logprobs: null }] }) as ChatCompletionChunk;
      const result = await lastValueFrom(
        of(two(0, { role: 'assistant', content: 'a' }), two(1, { role: 'assistant', content: 'b' }), two(0, {}, 'stop')).pipe(
          toChatCompletion({ lenient: true }),
        ),
      );
      expect(result.choices.map((choice) => choice.finish_reason)).toEqual(['stop', null]);
      expect(result.incomplete).toEqual({ reason: 'unfinished-choice', choices: [1] });
    });
  });

  it('should refuse the estimateUsage option it had, saying where counting went', () => {
    const request = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'Hi' }] };
    expect(() => toChatCompletion({ estimateUsage: request } as never)).toThrow(InvalidInputError);
    expect(() => toChatCompletion({ estimateUsage: true } as never)).toThrow(/withUsage\(request\)/);
  });

  it('should never reach the tokenizer (so a bundle of it carries no rank file)', async () => {
    const none = await lastValueFrom(of(values['r']!, values['f']!).pipe(toChatCompletion()));
    expect(none).not.toHaveProperty('usage');
    const imported = Object.keys(require.cache).filter((path) => /lib[\\/]tokens[\\/]/.test(path));
    expect(imported).toEqual([]);
  });
});
