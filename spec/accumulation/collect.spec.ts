import { TestScheduler } from 'rxjs/testing';
import { Subject } from 'rxjs';
import { watchMerge, type MergeWatch } from '../../lib/accumulation/collect.js';
import type { ChatCompletionAccumulator } from '../../lib/accumulation/ChatCompletionAccumulator.js';
import type { ChatCompletionChunk } from '../../lib/types.js';
import { helloValues } from '../helpers/chunk.js';

/*
 * watchMerge is the body of toolCalls() and toolCallArguments(), which both give it both hooks:
 * these specs hold it to its own contract (hooks optional, a throw in either errors the result
 * with `partial`, nothing done for a subscriber that left).
 */
describe('watchMerge', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  /** Emits the text of the snapshot after each merged chunk, and `end` at completion. */
  function texts(hooks: (keyof MergeWatch)[]) {
    return watchMerge<string>((accumulator: ChatCompletionAccumulator, subscriber) => {
      const watch: MergeWatch = {};
      if (hooks.includes('merged')) watch.merged = () => subscriber.next(String(accumulator.snapshot().choices[0]?.message.content));
      if (hooks.includes('completed')) watch.completed = () => subscriber.next('end');
      return watch;
    });
  }

  it('should merge every chunk and complete with the source when the watch has no hooks', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('-r-a-b-f|', helloValues()).pipe(texts([]))).toBe('--------|');
    });
  });

  it('should call each hook it is given, and only those', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const values = helloValues();
      expectObservable(cold('-r-a-b|', values).pipe(texts(['merged']))).toBe('-x-y-z|', { x: '', y: 'Hel', z: 'Hello' });
      expectObservable(cold('-r-a-b|', values).pipe(texts(['completed']))).toBe('------(e|)', { e: 'end' });
      expectObservable(cold('-r-a-b|', values).pipe(texts(['merged', 'completed']))).toBe('-x-y-z(e|)', { x: '', y: 'Hel', z: 'Hello', e: 'end' });
    });
  });

  it('should error with what completed() throws, carrying partial, and not complete', () => {
    const failure = new Error('completed failed');
    const operator = watchMerge<never>(() => ({
      completed() {
        throw failure;
      },
    }));
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('-r-a|', helloValues()).pipe(operator)).toBe('----#', undefined, failure);
    });
    expect((failure as Error & { partial?: { choices: { message: { content: string } }[] } }).partial?.choices[0]?.message.content).toBe('Hel');
  });

  it('should error with what merged() throws, and read nothing more for that subscriber', () => {
    const failure = new Error('merged failed');
    let calls = 0;
    const source = new Subject<ChatCompletionChunk>();
    const values = helloValues();
    const seen: unknown[] = [];
    source
      .pipe(
        watchMerge<never>(() => ({
          merged() {
            calls += 1;
            if (calls === 2) throw failure;
          },
        })),
      )
      .subscribe({ error: (error: unknown) => seen.push(error), complete: () => seen.push('complete') });
    source.next(values.r);
    source.next(values.a);
    source.next(values.b);
    source.complete();
    expect(seen).toEqual([failure]);
    expect(calls).toBe(2);
    expect(source.observed).toBe(false);
  });
});
