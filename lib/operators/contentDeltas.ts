import { Observable, type OperatorFunction } from 'rxjs';
import type { ChatCompletionChunk } from '../types.js';
import { checkTextArguments, deltaText, visitDeltas } from './choiceDeltas.js';
import { ThinkTagSplitter } from './thinkTags.js';

/** Options of {@link contentDeltas}. */
export interface ContentDeltasOptions {
  /**
   * Leave out a `<think>…</think>` block at the start of the content (R1-style models served
   * without a reasoning parser write their reasoning there): only the answer after it is emitted.
   * `reasoningDeltas(choiceIndex, { thinkTags: true })` gives the block's text. Default `false`.
   */
  thinkTags?: boolean;
}

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
 * its `StreamAPIError`, as every source and the merge raise it. A `choiceIndex` that is not a
 * non-negative safe integer, or an option that is not what it must be, throws an
 * `InvalidInputError` when the operator is made.
 *
 * With `{ thinkTags: true }` a `<think>…</think>` block at the start of the content (after
 * optional whitespace) is left out, however the tags are split across deltas, and only the answer
 * after `</think>` is emitted, exactly as it comes (R1 models start it with `\n\n`):
 *
 * ```
 * source:   --a------b---------c------d------|   a: '<thi'   b: 'nk>Two'   c: ' plus two</th'
 * contentDeltas(0, { thinkTags: true })          d: 'ink>\n\n4'
 * result:   ---------------------------D-----|   D: '\n\n4'
 * ```
 *
 * The few characters that may be the start of a tag (`<thi`, `</th`) are held back until the next
 * delta tells; when the source completes, an undecided start (`  <thi`) is emitted as the answer
 * it was, and a block that never closed (a reply cut by `max_tokens`) leaves the answer empty.
 * Content that does not open with `<think>` passes as it is. Per delta O(delta): nothing is
 * re-scanned.
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
 * @see {@link reasoningDeltas}
 * @see {@link accumulate}
 * @see {@link toChatCompletion}
 *
 * @param choiceIndex The `index` of the choice to follow (for `n > 1`); default 0.
 * @param options `thinkTags`: leave out a leading `<think>…</think>` block (default `false`).
 * @return A function that returns an Observable that emits the non-empty `delta.content` strings of that choice.
 */
export function contentDeltas(choiceIndex = 0, options: ContentDeltasOptions = {}): OperatorFunction<ChatCompletionChunk, string> {
  const { thinkTags } = checkTextArguments('contentDeltas()', choiceIndex, options);
  return (source) =>
    new Observable<string>((subscriber) => {
      const splitter = thinkTags ? new ThinkTagSplitter() : undefined;
      return source.subscribe({
        next(chunk: unknown) {
          if (subscriber.closed) return;
          const error = visitDeltas(chunk, choiceIndex, (delta, position) => {
            const content = deltaText(delta, 'content', position);
            if (typeof content !== 'string') return content;
            let text = content;
            if (splitter !== undefined) {
              splitter.push(content);
              text = splitter.content;
            }
            if (text.length === 0) return true;
            subscriber.next(text);
            return !subscriber.closed;
          });
          if (error !== undefined) subscriber.error(error);
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => {
          if (splitter !== undefined && !subscriber.closed) {
            splitter.end();
            if (splitter.content.length > 0) subscriber.next(splitter.content);
          }
          subscriber.complete();
        },
      });
    });
}
