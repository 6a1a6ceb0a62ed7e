import { Observable, type MonoTypeOperatorFunction } from 'rxjs';
import { InvalidInputError } from '../errors.js';
import type { ChatCompletionChunk } from '../types.js';
import { chunkOfChoice, entriesByIndex } from './choiceChunks.js';

/**
 * Keeps the chunks of one choice of an `n > 1` stream, each with that choice alone.
 *
 * <span class="informal">One answer out of `n`, as if it had been asked for alone: pipe
 * `toChatCompletion()`, `toolCalls()` or `contentDeltas()` after it.</span>
 *
 * ```
 * source:   --a--b--c--d--f--g--u--|     a, c: choice 0 'Hel', 'lo'   b, d: choice 1 'Hi', '!'
 * choice(1)                              f: choice 1 finishes   g: choice 0 finishes
 * result:   -----b-----d--f-----u--|     u: the usage chunk (choices: []) passes
 * ```
 *
 * Each chunk that carries an entry of `choices` with `index` `index` is emitted with only that
 * choice's entries; their `index` is unchanged (an entry without `index`, which is the choice at
 * its position, gets it), every other field of the chunk is as it came; a chunk that holds that
 * choice alone is emitted as it is (the same object). Chunks that carry only other choices are
 * dropped. Chunks without choices (the usage chunk's `choices: []`, a chunk without `choices`)
 * pass, so `toChatCompletion()` after it still sees the `usage` (the usage of all choices: the API
 * reports one). It filters, nothing more: chunks of the choice after its `finish_reason` pass too
 * (`toChatCompletion()` and `toolCalls()` know what to do with them). Chunks are never mutated.
 *
 * What it cannot read is an `InvalidChunkError` naming the field, never a skipped chunk: a chunk
 * that is not an object, `choices` that is not an array, an entry that is not an object, an
 * invalid `index` or a `finish_reason` that is not a string. The server's error sent as a chunk
 * errors with its `StreamAPIError`. Errors and completion pass through. An `index` that is not a
 * non-negative safe integer throws an `InvalidInputError` when the operator is made.
 *
 * ## Example
 * ```ts
 * import OpenAI from 'openai';
 * import { share } from 'rxjs';
 * import { fromChatCompletion, choice, toChatCompletion } from 'rxjs-chat-stream';
 *
 * const chunks$ = fromChatCompletion(new OpenAI(), { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Name a colour.' }], n: 2 }).pipe(share());
 * chunks$.pipe(choice(0), toChatCompletion()).subscribe((c) => console.log('first:', c.choices[0]?.message.content));
 * chunks$.pipe(choice(1), toChatCompletion()).subscribe((c) => console.log('second:', c.choices[0]?.message.content));
 * // Logs:
 * // first: Blue.
 * // second: Teal.
 * ```
 *
 * @see {@link choices}
 * @see {@link contentDeltas}
 *
 * @param index The `index` of the choice to keep.
 * @return A function that returns an Observable that emits the chunks of that choice, and the chunks without choices.
 */
export function choice(index: number): MonoTypeOperatorFunction<ChatCompletionChunk> {
  if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < 0) {
    throw new InvalidInputError('choice() index', index, 'a non-negative safe integer', typeof index === 'number' ? { detail: String(index) } : {});
  }
  return (source) =>
    new Observable<ChatCompletionChunk>((subscriber) =>
      source.subscribe({
        next(chunk) {
          const entries = entriesByIndex(chunk);
          if (entries === undefined) {
            subscriber.next(chunk);
          } else if (entries instanceof Error) {
            subscriber.error(entries);
          } else {
            const own = entries.get(index);
            if (own !== undefined) subscriber.next(chunkOfChoice(chunk, index, own));
          }
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      }),
    );
}
