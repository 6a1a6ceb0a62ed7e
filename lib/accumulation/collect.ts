import { catchError, concatMap, defer, reduce, throwError, type MonoTypeOperatorFunction, type ObservableInput, type OperatorFunction } from 'rxjs';
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
