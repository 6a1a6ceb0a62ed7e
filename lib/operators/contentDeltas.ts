import { Observable, type OperatorFunction } from 'rxjs';
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
 * message's `content`. Errors and completion pass through.
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
        next(chunk) {
          const choices = chunk.choices;
          if (!choices) return;
          for (let i = 0; i < choices.length; i++) {
            const choice = choices[i];
            if (choice?.index !== choiceIndex) continue;
            const content = choice.delta?.content;
            if (typeof content === 'string' && content.length > 0) {
              subscriber.next(content);
              if (subscriber.closed) return;
            }
          }
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      }),
    );
}
