import { TestScheduler } from 'rxjs/testing';
import { map, type Observable } from 'rxjs';
import { contentDeltas } from '../../lib/operators/contentDeltas.js';
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
