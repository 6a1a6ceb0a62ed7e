import { TestScheduler } from 'rxjs/testing';
import { from, lastValueFrom, map, tap, toArray } from 'rxjs';
import { choice } from '../../lib/operators/choice.js';
import { toChatCompletion } from '../../lib/operators/toChatCompletion.js';
import { ChatStreamError, InvalidChunkError, InvalidInputError, StreamAPIError } from '../../lib/errors.js';
import { buildChunks } from '../../lib/testing/buildChunks.js';
import { chunk, usageChunk } from '../helpers/chunk.js';
import type { ChatCompletionChunk } from '../../lib/types.js';

/** A chunk with one entry for choice `index`. */
const c = (index: number, content: string | null, finish: 'stop' | null = null): ChatCompletionChunk => ({
  ...chunk(null),
  choices: [{ index, delta: content === null ? {} : { content }, finish_reason: finish, logprobs: null }],
});

function twoChoices(): Record<string, ChatCompletionChunk> {
  return { a: c(0, 'Hel'), b: c(1, 'Hi'), c: c(0, 'lo'), d: c(1, '!'), f: c(1, null, 'stop'), g: c(0, null, 'stop'), u: usageChunk(3, 4) };
}

describe('choice', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it("should keep one choice's chunks, as they are, and the chunks without choices", () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const values = twoChoices();
      const e1 = cold('  -a-b-c-d-f-g-u-|', values);
      const e1subs = '  ^--------------!';

      expectObservable(e1.pipe(choice(1))).toBe(' ---b---d-f---u-|', values);
      expectObservable(e1.pipe(choice(0))).toBe(' -a---c-----g-u-|', values);
      expectSubscriptions(e1.subscriptions).toBe([e1subs, e1subs]);
    });
  });

  it('should pass a chunk holding the choice alone as the same object', () => {
    const a = c(1, 'x');
    let seen: unknown;
    from([a]).pipe(choice(1)).subscribe((value) => (seen = value));
    expect(seen).toBe(a);
  });

  it('should cut a chunk with several choices down to the one kept, without mutating it', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const both: ChatCompletionChunk = {
        ...chunk(null, { chunk: { usage: null, service_tier: 'default' } }),
        choices: [
          { index: 0, delta: { content: 'a' }, finish_reason: null },
          { index: 1, delta: { content: 'b' }, finish_reason: null },
          { index: 1, delta: { content: 'c' }, finish_reason: 'stop' },
        ],
      };
      const copy = JSON.parse(JSON.stringify(both)) as ChatCompletionChunk;
      const e1 = cold('  -x-|', { x: both });

      expectObservable(e1.pipe(choice(1))).toBe(' -y-|', { y: { ...copy, choices: copy.choices.slice(1) } });
      testScheduler.flush();
      expect(both).toEqual(copy);
    });
  });

  it('should give an entry without index, the choice at its position, its index', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const noIndex = { ...chunk(null), choices: [{ delta: { content: 'zero' } }, { delta: { content: 'one' } }] } as unknown as ChatCompletionChunk;
      const e1 = cold('  -x-|', { x: noIndex });

      expectObservable(e1.pipe(choice(1))).toBe(' -y-|', { y: { ...noIndex, choices: [{ delta: { content: 'one' }, index: 1 }] } });
    });
  });

  it('should pass chunks of the choice after its finish_reason (a filter, nothing more)', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const values = { a: c(0, 'x'), f: c(0, null, 'stop'), e: c(0, null) };
      expectObservable(cold(' -a-f-f-e-|', values).pipe(choice(0))).toBe(' -a-f-f-e-|', values);
    });
  });

  it('should let toChatCompletion() rebuild one choice of an n = 2 stream as if it had been asked for alone', async () => {
    const chunks = buildChunks('Hello there', { n: 2, includeUsage: true });
    const one = await lastValueFrom(from(chunks).pipe(choice(1), toChatCompletion()));
    expect(one.choices).toEqual([{ index: 1, message: { role: 'assistant', content: 'Hello there', refusal: null }, finish_reason: 'stop', logprobs: null }]);
    expect(one.usage).toEqual(chunks.at(-1)?.usage);
    const kept = await lastValueFrom(from(chunks).pipe(choice(0), toArray()));
    expect(kept.every((k) => k.choices.every((entry) => entry.index === 0))).toBe(true);
  });

  describe('on a chunk it cannot read', () => {
    const malformed: [string, unknown, string][] = [
      ['a chunk that is not an object', [], 'chunk must be an object, got an array'],
      ['choices that is not an array', { ...chunk(null), choices: 'x' }, 'chunk.choices must be an array, got a string'],
      ['an entry that is not an object', { ...chunk(null), choices: [null] }, 'chunk.choices[0] must be an object, got null'],
      ['an invalid index', { ...chunk(null), choices: [{ index: 1.5 }] }, 'chunk.choices[0].index must be a non-negative safe integer, got a number'],
      ['a finish_reason that is not a string', { ...chunk(null), choices: [{ index: 0, finish_reason: 1 }] }, 'chunk.choices[0].finish_reason must be a string, got a number'],
    ];

    it.each(malformed)('should error with an InvalidChunkError naming the field for %s', (_, bad, message) => {
      let caught: unknown;
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const e1 = cold('  -a-x-b-|', { a: c(0, 'x'), x: bad as ChatCompletionChunk, b: c(0, 'y') });
        const e1subs = '  ^--!';

        expectObservable(e1.pipe(choice(0), tap({ error: (e: unknown) => (caught = e) }))).toBe(' -a-#', { a: c(0, 'x') }, expect.any(InvalidChunkError));
        expectSubscriptions(e1.subscriptions).toBe(e1subs);
      });
      expect(caught).toBeInstanceOf(ChatStreamError);
      expect((caught as Error).message).toBe(`Invalid chat-completion chunk: ${message}`);
    });

    it("should error with the server's StreamAPIError for an error sent as a chunk", () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const e1 = cold('  -x-|', { x: { error: { message: 'overloaded' } } as unknown as ChatCompletionChunk });
        expectObservable(e1.pipe(choice(0))).toBe(' -#', undefined, expect.any(StreamAPIError));
      });
    });
  });

  it('should complete on an empty source', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold<ChatCompletionChunk>('  |');
      expectObservable(e1.pipe(choice(0))).toBe('|');
      expectSubscriptions(e1.subscriptions).toBe('(^!)');
    });
  });

  it('should not complete on a never source', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold<ChatCompletionChunk>('  -');
      expectObservable(e1.pipe(choice(0))).toBe('-');
      expectSubscriptions(e1.subscriptions).toBe('^');
    });
  });

  it('should pass an error through', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const values = twoChoices();
      const e1 = cold('  -a-b-#', values, new Error('boom'));
      const e1subs = '  ^----!';
      expectObservable(e1.pipe(choice(1))).toBe(' ---b-#', values, new Error('boom'));
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should stop on early unsubscribe', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const values = twoChoices();
      const e1 = cold('  -a-b-c-d-f-g-u-|', values);
      const e1subs = '  ^------!';
      const unsub = '    -------!';
      expectObservable(e1.pipe(choice(0)), unsub).toBe(' -a---c--', values);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should not catch an error thrown by a downstream callback as its own', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const values = twoChoices();
      const result = cold('  -a-b-c-|', values).pipe(
        choice(0),
        map((kept) => {
          if (kept === values['c']) throw new TypeError('bad');
          return kept;
        }),
      );
      expectObservable(result).toBe(' -a---#', values, new TypeError('bad'));
    });
  });

  it('should reject an index that is not a non-negative safe integer', () => {
    for (const bad of [-1, 1.5, Number.NaN, '0', undefined]) expect(() => choice(bad as number)).toThrow(InvalidInputError);
  });
});
