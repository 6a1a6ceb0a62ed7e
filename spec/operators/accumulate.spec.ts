import { TestScheduler } from 'rxjs/testing';
import { lastValueFrom, of, tap, toArray } from 'rxjs';
import { accumulate } from '../../lib/operators/accumulate.js';
import { ChatCompletionAccumulator } from '../../lib/accumulation/ChatCompletionAccumulator.js';
import { InvalidChunkError, StreamAPIError } from '../../lib/errors.js';
import { chunk, helloValues, USAGE_3_2 } from '../helpers/chunk.js';
import type { ChatCompletionChunk, ChatCompletionSnapshot, CompletionUsage } from '../../lib/types.js';

/** The snapshot expected after the chunks below: one choice with `content`. */
function snap(content: string | null, extra: { finish_reason?: string; usage?: CompletionUsage } = {}): ChatCompletionSnapshot {
  const snapshot: ChatCompletionSnapshot = {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1_700_000_000,
    model: 'gpt-4o-mini',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content, refusal: null },
        finish_reason: (extra.finish_reason ?? null) as ChatCompletionSnapshot['choices'][number]['finish_reason'],
        logprobs: null,
      },
    ],
  };
  if (extra.usage) snapshot.usage = extra.usage;
  return snapshot;
}

const usage = USAGE_3_2;

const values: Record<string, ChatCompletionChunk> = helloValues();

const expectedValues: Record<string, ChatCompletionSnapshot> = {
  R: snap(''),
  A: snap('Hel'),
  B: snap('Hello'),
  F: snap('Hello', { finish_reason: 'stop' }),
  U: snap('Hello', { finish_reason: 'stop', usage }),
};

describe('accumulate', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('should emit a new snapshot after each chunk', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -r-a-b-f-u-|', values);
      const e1subs = '  ^----------!';
      const expected = ' -R-A-B-F-U-|';

      expectObservable(e1.pipe(accumulate())).toBe(expected, expectedValues);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should emit one snapshot for one chunk', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  --r--|', values);
      const e1subs = '  ^----!';
      const expected = ' --R--|';

      expectObservable(e1.pipe(accumulate())).toBe(expected, expectedValues);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should complete without a value on an empty source', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold<ChatCompletionChunk>('  |');
      const e1subs = '  (^!)';
      const expected = ' |';

      expectObservable(e1.pipe(accumulate())).toBe(expected);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should not emit or complete on a source that never emits', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold<ChatCompletionChunk>('  -');
      const e1subs = '  ^';
      const expected = ' -';

      expectObservable(e1.pipe(accumulate())).toBe(expected);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should pass an error on with partial, the snapshot so far', () => {
    const error = new StreamAPIError({ message: 'The server had an error', type: 'server_error' });
    let caught: unknown;
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -r-a-#', values, error);
      const e1subs = '  ^----!';
      const expected = ' -R-A-#';

      const result = e1.pipe(accumulate(), tap({ error: (e: unknown) => (caught = e) }));
      expectObservable(result).toBe(expected, expectedValues, expect.any(StreamAPIError));
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
    expect(caught).toBe(error);
    expect(error.partial).toEqual(snap('Hel'));
  });

  it('should pass an error before any chunk on without partial', () => {
    const error = new StreamAPIError({ message: 'overloaded' });
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold<ChatCompletionChunk>('  --#', undefined, error);
      const e1subs = '  ^-!';
      const expected = ' --#';

      expectObservable(e1.pipe(accumulate())).toBe(expected, undefined, expect.any(StreamAPIError));
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
    expect(error.partial).toBeUndefined();
  });

  it('should give a foreign error partial as a non-enumerable property and pass it unchanged', () => {
    const error = new Error('socket hang up');
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = cold('  -r-a-b-#', values, error);
      const expected = ' -R-A-B-#';

      expectObservable(e1.pipe(accumulate())).toBe(expected, expectedValues, error);
    });
    expect((error as Error & { partial?: unknown }).partial).toEqual(snap('Hello'));
    expect(Object.keys(error)).not.toContain('partial');
  });

  it('should error with an InvalidChunkError carrying partial on a malformed chunk, and unsubscribe', () => {
    let caught: unknown;
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -r-a-x-b-|', { ...values, x: chunk({ content: 42 as unknown as string }) });
      const e1subs = '  ^----!';
      const expected = ' -R-A-#';

      const result = e1.pipe(accumulate(), tap({ error: (e: unknown) => (caught = e) }));
      expectObservable(result).toBe(expected, expectedValues, expect.any(InvalidChunkError));
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
    expect((caught as Error).message).toBe(
      'Invalid chat-completion chunk: chunk.choices[0].delta.content must be a string, got a number',
    );
    expect((caught as { partial?: unknown }).partial).toEqual(snap('Hel'));
  });

  it('should allow unsubscribing early', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -r-a-b-f-u-|', values);
      const unsub = '   -----!';
      const e1subs = '  ^----!';
      const expected = ' -R-A-';

      expectObservable(e1.pipe(accumulate()), unsub).toBe(expected, expectedValues);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should keep a separate state per subscription', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = cold('  -r-a-|', values);
      const result = e1.pipe(accumulate());
      const expected = ' -R-A-|';

      expectObservable(result).toBe(expected, expectedValues);
      expectObservable(result).toBe(expected, expectedValues);
    });
  });

  it('should emit the previous snapshot again for a chunk that changes nothing', async () => {
    const snapshots = await lastValueFrom(of(values['r']!, values['a']!, chunk({}), values['b']!).pipe(accumulate(), toArray()));
    expect(snapshots).toHaveLength(4);
    expect(snapshots[2]).toBe(snapshots[1]);
    expect(snapshots[3]).not.toBe(snapshots[2]);
  });

  it('should never change a snapshot once emitted', async () => {
    const chunks: ChatCompletionChunk[] = [];
    for (let i = 0; i < 60; i++) {
      chunks.push({
        ...chunk({ content: `w${i} ` }, { logprobs: { content: [{ token: `w${i}`, logprob: -i, bytes: null, top_logprobs: [] }], refusal: null } }),
      });
    }
    const snapshots = await lastValueFrom(of(...chunks).pipe(accumulate(), toArray()));
    snapshots.forEach((snapshot, k) => {
      const fresh = new ChatCompletionAccumulator();
      for (const c of chunks.slice(0, k + 1)) fresh.push(c);
      expect(JSON.parse(JSON.stringify(snapshot))).toStrictEqual(JSON.parse(JSON.stringify(fresh.snapshot())));
      expect(snapshot.choices[0]?.logprobs?.content).toHaveLength(k + 1);
    });
  });
});
