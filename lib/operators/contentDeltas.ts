import { Observable, type OperatorFunction } from 'rxjs';
import { choicePath, entryIndex } from '../protocol/chunkShape.js';
import { isObject } from '../json.js';
import { InvalidChunkError } from '../errors.js';
import { serverErrorOf } from '../protocol/serverError.js';
import type { ChatCompletionChunk } from '../types.js';

/**
 * Emits the text each chunk adds to one choice's message.
 *
 * <span class="informal">The words as they arrive: `delta.content`, empty pieces skipped.</span>
 *
 * ```
 * source:   --r-----a-----b------f--u--|     r: role, content ''   a: 'Hel'   b: 'lo'
 * contentDeltas()                            f: finish_reason      u: usage chunk (choices: [])
 * result:   --------A-----B-----------|      A: 'Hel'              B: 'lo'
 * ```
 *
 * For each chunk, each entry of `choices` whose `index` is `choiceIndex` and whose
 * `delta.content` is a non-empty string emits that string. Chunks without such a choice (the
 * usage chunk's `choices: []`, Azure's content-filter chunks without `delta`, tool-call and
 * refusal deltas, other choices of an `n > 1` request) emit nothing. Joined, the values are the
 * message's `content`: choices are read by the merge's rules, so a choice without `index` is the
 * one at its position in `choices`, as in {@link toChatCompletion}. Errors and completion pass
 * through. What it cannot read is an error, never a skipped chunk: a chunk that is not an object,
 * `choices` that is not an array, a choice that is not an object or has an invalid `index`, and,
 * in the followed choice, a `delta` that is not an object or a `content` that is not a string
 * (`null` is no content) error with an `InvalidChunkError` naming the field. A value that is the
 * server's error rather than a chunk (`{ error: … }`, vLLM's `{ object: 'error', … }`) errors with
 * its `StreamAPIError`, as every source and the merge raise it.
 *
 * ## Example
 * ```ts
 * import { fromChatCompletion, contentDeltas } from 'rxjs-chat-stream';
 * import { scan } from 'rxjs';
 * import OpenAI from 'openai';
 *
 * fromChatCompletion(new OpenAI(), { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] })
 *   .pipe(contentDeltas(), scan((text, delta) => text + delta, ''))
 *   .subscribe((text) => console.log(text));
 * // Logs:
 * // Hello
 * // Hello!
 * // Hello! How can I help?
 * ```
 *
 * @see {@link accumulate}
 * @see {@link toChatCompletion}
 *
 * @param choiceIndex The `index` of the choice to follow (for `n > 1`); default 0.
 * @return A function that returns an Observable that emits the non-empty `delta.content` strings of that choice.
 */
export function contentDeltas(choiceIndex = 0): OperatorFunction<ChatCompletionChunk, string> {
  return (source) =>
    new Observable<string>((subscriber) =>
      source.subscribe({
        next(chunk: unknown) {
          if (!isObject(chunk)) {
            subscriber.error(new InvalidChunkError('chunk', chunk, 'an object'));
            return;
          }
          const choices = chunk['choices'];
          if (choices == null) {
            // No choices: a usage chunk, or the server's error (which never passes as a chunk).
            const serverError = serverErrorOf(chunk);
            if (serverError !== undefined) subscriber.error(serverError);
            return;
          }
          if (!Array.isArray(choices)) {
            subscriber.error(new InvalidChunkError('chunk.choices', choices, 'an array'));
            return;
          }
          for (let i = 0; i < choices.length; i++) {
            const content = deltaContent(choices[i], i, choiceIndex);
            if (typeof content === 'string') {
              subscriber.next(content);
              if (subscriber.closed) return;
            } else if (content !== undefined) {
              subscriber.error(content);
              return;
            }
          }
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      }),
    );
}

/**
 * The non-empty `delta.content` of the choice at `position` when it is the followed one, read by
 * the merge's rules (a missing `index` is the position); an `InvalidChunkError` for a choice or a
 * field it cannot read; otherwise `undefined`.
 */
function deltaContent(choice: unknown, position: number, choiceIndex: number): string | InvalidChunkError | undefined {
  if (!isObject(choice)) return new InvalidChunkError(choicePath(position), choice, 'an object');
  const index = entryIndex(choice['index'], position);
  if (index < 0) return new InvalidChunkError(`${choicePath(position)}.index`, choice['index'], 'a non-negative safe integer');
  if (index !== choiceIndex) return undefined;
  const delta = choice['delta'];
  if (delta == null) return undefined; // Azure's filter-only choices have no delta
  if (!isObject(delta)) return new InvalidChunkError(`${choicePath(position)}.delta`, delta, 'an object');
  const content = delta['content'];
  if (typeof content === 'string') return content.length > 0 ? content : undefined;
  if (content != null) return new InvalidChunkError(`${choicePath(position)}.delta.content`, content, 'a string');
  return undefined;
}
