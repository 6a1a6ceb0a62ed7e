import {
  catchError,
  concatMap,
  defer,
  Observable,
  reduce,
  throwError,
  type MonoTypeOperatorFunction,
  type ObservableInput,
  type OperatorFunction,
  type Subscriber,
} from 'rxjs';
import { attachPartial } from '../errors.js';
import type { ChatCompletionChunk } from '../types.js';
import { ChatCompletionAccumulator } from './ChatCompletionAccumulator.js';

/**
 * Errors pass with `partial`: the snapshot of what `accumulator` had merged, once it had anything.
 * @internal
 */
export function withPartial<T>(accumulator: ChatCompletionAccumulator): MonoTypeOperatorFunction<T> {
  return catchError((error: unknown) =>
    throwError(() => attachPartial(error, accumulator.hasOutput() ? accumulator.snapshot() : undefined)),
  );
}

/**
 * Merges every chunk of the source into one accumulator (one per subscription) and, when the
 * source completes, emits what `finish` makes of it. Errors, the source's or `finish`'s, carry
 * `partial`. The shared body of `toChatCompletion()` and `usage()`.
 * @internal
 */
export function collectChunks<R>(
  finish: (accumulator: ChatCompletionAccumulator) => ObservableInput<R>,
): OperatorFunction<ChatCompletionChunk, R> {
  return (source) =>
    defer(() => {
      const accumulator = new ChatCompletionAccumulator();
      return source.pipe(
        reduce((acc, chunk: ChatCompletionChunk) => {
          acc.push(chunk);
          return acc;
        }, accumulator),
        concatMap(finish),
        withPartial(accumulator),
      );
    });
}

/** What an operator built on {@link watchMerge} does around the merge. @internal */
export interface MergeWatch {
  /** After each chunk was merged (so it is shaped like a chunk). */
  merged?(chunk: ChatCompletionChunk): void;
  /** When the source completed, before the result completes. */
  completed?(): void;
}

/**
 * Merges every chunk of the source into one accumulator (one per subscription), for an operator
 * that emits as the merge goes rather than at the end: `setup` gets the accumulator and the
 * subscriber, and returns what to do after each merged chunk and at completion (it may also
 * listen to the accumulator). Whatever the merge, a hook or a listener throws errors the result;
 * every error carries `partial`. No work is done for a subscriber that already left (a
 * synchronous source goes on emitting until `subscribe` returns). The shared body of
 * `toolCalls()` and `toolCallArguments()`.
 * @internal
 */
export function watchMerge<R>(
  setup: (accumulator: ChatCompletionAccumulator, subscriber: Subscriber<R>) => MergeWatch,
): OperatorFunction<ChatCompletionChunk, R> {
  return (source) =>
    defer(() => {
      const accumulator = new ChatCompletionAccumulator();
      return new Observable<R>((subscriber) => {
        const watch = setup(accumulator, subscriber);
        return source.subscribe({
          next(chunk) {
            if (subscriber.closed) return;
            try {
              accumulator.push(chunk);
              watch.merged?.(chunk);
            } catch (error) {
              subscriber.error(error);
            }
          },
          error: (error: unknown) => subscriber.error(error),
          complete() {
            if (subscriber.closed) return;
            try {
              watch.completed?.();
            } catch (error) {
              subscriber.error(error);
              return;
            }
            subscriber.complete();
          },
        });
      }).pipe(withPartial(accumulator));
    });
}
