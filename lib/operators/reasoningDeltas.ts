import { Observable, type OperatorFunction } from 'rxjs';
import { REASONING_FIELDS } from '../protocol/chunkShape.js';
import type { ChatCompletionChunk } from '../types.js';
import { checkTextArguments, deltaText, visitDeltas } from './choiceDeltas.js';
import { ThinkTagSplitter } from './thinkTags.js';

/** Options of {@link reasoningDeltas}. */
export interface ReasoningDeltasOptions {
  /**
   * Also read a `<think>…</think>` block at the start of `content` as reasoning (R1-style models
   * served without a reasoning parser); `contentDeltas(choiceIndex, { thinkTags: true })` then
   * gives the answer without it. Default `false`.
   */
  thinkTags?: boolean;
}

/**
 * Emits the reasoning text each chunk adds to one choice, whatever field the provider streams it in.
 *
 * <span class="informal">The model's thinking as it streams: `reasoning_content` (DeepSeek, xAI,
 * vLLM), `reasoning` (OpenRouter, Ollama, newer vLLM) or, asked to, `<think>…</think>` in the
 * content.</span>
 *
 * ```
 * source:   --r----p--------q------a-----b---f--|   r: role   p: reasoning_content 'Two plus'
 * reasoningDeltas()                                 q: reasoning_content ' two is four.'
 *                                                   a: content '4', reasoning_content null   b: content '.'
 * result:   -------P--------Q-------------------|   P: 'Two plus'   Q: ' two is four.'
 *
 * source:   --a------b---------c------d------|      a: content '<thi'   b: 'nk>Two'
 * reasoningDeltas(0, { thinkTags: true })           c: ' plus two</th'   d: 'ink>\n\n4'
 * result:   ---------B---------C-------------|      B: 'Two'   C: ' plus two'
 * ```
 *
 * For each delta of the choice whose `index` is `choiceIndex`, the non-empty strings of
 * `delta.reasoning_content` and `delta.reasoning`, in that order; a delta that carries the same
 * text under both names (some vLLM versions send both) emits it once. Joined, the values are the
 * reasoning text of the finished message, which `toChatCompletion()` keeps under the field the
 * provider used. Choices are read by the rules of {@link contentDeltas} (a choice without `index`
 * is the one at its position); chunks without the choice, and the answer's deltas, emit nothing.
 *
 * With `{ thinkTags: true }`, a `<think>…</think>` block at the start of `content` (after optional
 * whitespace) is reasoning too: its text is emitted as it streams, however the tags are split
 * across deltas (one character at a time too), and `contentDeltas(choiceIndex, { thinkTags: true })`
 * gives the answer after it. The characters that may be the start of `</think>` are held back
 * until the next delta tells, and emitted when the source completes if the block never closed (a
 * reply cut by `max_tokens`: then everything after `<think>` was reasoning). Content that does
 * not open with `<think>` is no reasoning. The finished `ChatCompletion` is not changed by this:
 * its `content` keeps the block as the server sent it.
 *
 * What it cannot read is an error, never a skipped chunk: the `InvalidChunkError`s of
 * {@link contentDeltas} for the chunk and the choice, and one for a reasoning field (or, with
 * `thinkTags`, a `content`) of the followed choice that is not a string (`null` is none). The
 * server's error sent as a chunk errors with its `StreamAPIError`. Errors and completion pass
 * through. Per delta O(delta). A `choiceIndex` that is not a non-negative safe integer, or an
 * option that is not what it must be, throws an `InvalidInputError` when the operator is made.
 *
 * ## Example
 * ```ts
 * import OpenAI from 'openai';
 * import { share } from 'rxjs';
 * import { fromChatCompletion, contentDeltas, reasoningDeltas } from 'rxjs-chat-stream';
 *
 * const client = new OpenAI({ baseURL: 'https://api.deepseek.com', apiKey: process.env['DEEPSEEK_API_KEY'] });
 * const chunks$ = fromChatCompletion(client, { model: 'deepseek-reasoner', messages: [{ role: 'user', content: "What's 2+2?" }] }).pipe(share());
 * chunks$.pipe(reasoningDeltas()).subscribe((thought) => console.log('thinking:', thought));
 * chunks$.pipe(contentDeltas()).subscribe((text) => console.log('answer:', text));
 * // Logs:
 * // thinking: Two plus
 * // thinking:  two is four.
 * // answer: 4
 * ```
 *
 * @see {@link contentDeltas}
 * @see {@link toChatCompletion}
 *
 * @param choiceIndex The `index` of the choice to follow (for `n > 1`); default 0.
 * @param options `thinkTags`: read a leading `<think>…</think>` block of the content as reasoning (default `false`).
 * @return A function that returns an Observable that emits the non-empty pieces of reasoning text of that choice.
 */
export function reasoningDeltas(choiceIndex = 0, options: ReasoningDeltasOptions = {}): OperatorFunction<ChatCompletionChunk, string> {
  const { thinkTags } = checkTextArguments('reasoningDeltas()', choiceIndex, options);
  return (source) =>
    new Observable<string>((subscriber) => {
      const splitter = thinkTags ? new ThinkTagSplitter() : undefined;
      const emit = (text: string): boolean => {
        if (text.length > 0) subscriber.next(text);
        return !subscriber.closed;
      };
      return source.subscribe({
        next(chunk: unknown) {
          if (subscriber.closed) return;
          const error = visitDeltas(chunk, choiceIndex, (delta, position) => {
            let previous: string | undefined;
            for (const field of REASONING_FIELDS) {
              const text = deltaText(delta, field, position);
              if (typeof text !== 'string') {
                if (text !== undefined) return text;
                continue;
              }
              if (text !== previous && !emit(text)) return false;
              previous = text;
            }
            if (splitter === undefined) return true;
            const content = deltaText(delta, 'content', position);
            if (typeof content !== 'string') return content;
            splitter.push(content);
            return emit(splitter.reasoning);
          });
          if (error !== undefined) subscriber.error(error);
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => {
          if (splitter !== undefined && !subscriber.closed) {
            splitter.end();
            emit(splitter.reasoning);
          }
          subscriber.complete();
        },
      });
    });
}
