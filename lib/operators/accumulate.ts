import { defer, map, type OperatorFunction } from 'rxjs';
import { ChatCompletionAccumulator } from '../accumulation/ChatCompletionAccumulator.js';
import { withPartial } from '../accumulation/collect.js';
import type { ChatCompletionChunk, ChatCompletionSnapshot } from '../types.js';

/**
 * Emits, after each chunk, a new immutable snapshot of everything the stream has said so far.
 *
 * <span class="informal">The message as it grows: the running `ChatCompletion`, one per chunk.</span>
 *
 * ```
 * source:   --r-----a-----b-----f---u--|     r: role, content ''   a: 'Hel'   b: 'lo'
 * accumulate()                               f: finish_reason 'stop'   u: usage chunk (choices: [])
 * result:   --R-----A-----B-----F---U--|     R: content ''   A: 'Hel'   B: 'Hello'
 *                                            F: + finish_reason   U: + usage
 * ```
 *
 * Each chunk is merged by the API's own rules (the same merge as {@link toChatCompletion}): choices
 * by `index`, `n > 1` interleaved; `content`, `refusal`, tool-call `arguments`, legacy
 * `function_call.arguments` and unknown string fields of `delta` (`reasoning_content`) concatenated;
 * tool-call `id`/`type`/`name` set when present; logprobs arrays appended; `finish_reason` sticky;
 * the last non-null `usage` kept; `obfuscation` dropped; Azure's `id: ""` chunks never overwrite
 * metadata. See `docs/accumulation.md` for every rule.
 *
 * A snapshot is never changed once emitted: the next one is a new object that shares every
 * unchanged part with it (a choice that did not change is the same object in both), so keeping
 * all snapshots is cheap and safe. A chunk that changes nothing emits the previous snapshot again.
 * Each chunk costs O(size of the chunk), however long the stream: strings grow by concatenation and
 * long lists (logprobs, many tool calls) are never copied whole; a list longer than 32 entries is
 * shown as a property that is read on demand (it behaves as a plain array: JSON, spread and
 * equality see it). Treat snapshots as read-only.
 *
 * An error from the source, once a chunk arrived, reaches the subscriber with `partial` set to the
 * last snapshot (a toolkit error gets the field; other errors, such as the SDK's, get it as a
 * non-enumerable property and otherwise pass through unchanged). A chunk that is not shaped like
 * a chat-completion chunk errors with an `InvalidChunkError` naming the field.
 *
 * ## Example
 * ```ts
 * import { fromChatCompletion, accumulate } from 'rxjs-chat-stream';
 * import OpenAI from 'openai';
 *
 * fromChatCompletion(new OpenAI(), { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] })
 *   .pipe(accumulate())
 *   .subscribe((snapshot) => console.log(JSON.stringify(snapshot.choices[0]?.message.content)));
 * // Logs:
 * // ""
 * // "Hello"
 * // "Hello! How can I help?"
 * // "Hello! How can I help?"
 * ```
 *
 * @see {@link toChatCompletion}
 * @see {@link contentDeltas}
 *
 * @return A function that returns an Observable that emits a new `ChatCompletionSnapshot` after each chunk of the source.
 */
export function accumulate(): OperatorFunction<ChatCompletionChunk, ChatCompletionSnapshot> {
  return (source) =>
    defer(() => {
      const accumulator = new ChatCompletionAccumulator();
      return source.pipe(
        map((chunk) => {
          accumulator.push(chunk);
          return accumulator.snapshot();
        }),
        withPartial(accumulator),
      );
    });
}
