import { map, of, type Observable, type OperatorFunction } from 'rxjs';
import type { ChatCompletionAccumulator } from '../accumulation/ChatCompletionAccumulator.js';
import { collectChunks } from '../accumulation/collect.js';
import { estimateUsageWhenReady, type UsageRequest } from '../tokens/estimateUsage.js';
import type { ChatCompletion, ChatCompletionChunk } from '../types.js';

/** Options of {@link toChatCompletion}. */
export interface ToChatCompletionOptions {
  /**
   * When the stream sent no `usage` (no `stream_options: { include_usage: true }`), fill `usage` by
   * counting tokens: pass the request (`model`, `messages`, `tools`) to count the prompt too, or
   * `true` to count from the completion alone. A `usage` the server sent always wins.
   */
  estimateUsage?: UsageRequest | true;
}

/**
 * Emits one `ChatCompletion` when the stream completes: the answer a non-streamed request returns.
 *
 * <span class="informal">Streams in, one finished completion out.</span>
 *
 * ```
 * source:   --r-----a-----b-----f---u--|     r: role, content ''   a: 'Hel'   b: 'lo'
 * toChatCompletion()                         f: finish_reason 'stop'   u: usage chunk
 * result:   ---------------------------(C|)  C: { choices: [{ message: { content: 'Hello' … } }], usage … }
 *
 * source:   --r-----a---|                     (no finish_reason)
 * result:   ------------#                     IncompleteStreamError 'unfinished-choice', partial set
 * ```
 *
 * Merges every chunk with the same rules as {@link accumulate} (see `docs/accumulation.md`), but
 * into mutable state: no snapshot is built per chunk, and the result is assembled once, at the end.
 * The result has the exact shape of a non-streamed `ChatCompletion`: `object: 'chat.completion'`;
 * choices sorted by `index`; each message with `role`, `content` (`null` when no text came),
 * `refusal`, and `tool_calls` only when some came (without their stream `index`); each choice with
 * `logprobs` (`null` when none came); `usage` when the server sent it (the last non-null one); a
 * null `system_fingerprint` dropped; unknown fields (`service_tier`, Azure's filter results) kept.
 *
 * Errors, all after the chunks that came are merged:
 * - an empty stream: `IncompleteStreamError` with `reason: 'no-chunks'`;
 * - a choice without `finish_reason` (the stream was cut): `IncompleteStreamError` with
 *   `reason: 'unfinished-choice'` and `partial`, the snapshot of what came;
 * - an error from the source: passes through with `partial` set once a chunk had arrived.
 *
 * ## Example
 * ```ts
 * import { fromChatCompletion, toChatCompletion } from 'rxjs-chat-stream';
 * import OpenAI from 'openai';
 *
 * fromChatCompletion(new OpenAI(), {
 *   model: 'gpt-4o-mini',
 *   messages: [{ role: 'user', content: 'Say hello' }],
 *   stream_options: { include_usage: true },
 * })
 *   .pipe(toChatCompletion())
 *   .subscribe((completion) => console.log(completion.choices[0]?.message.content, completion.usage?.total_tokens));
 * // Logs:
 * // Hello! 17
 * ```
 *
 * @see {@link accumulate}
 * @see {@link usage}
 *
 * @param options `estimateUsage`: count tokens for `usage` when the server sent none.
 * @return A function that returns an Observable that emits the finished `ChatCompletion` when the source completes.
 */
export function toChatCompletion(
  options: ToChatCompletionOptions = {},
): OperatorFunction<ChatCompletionChunk, ChatCompletion> {
  return collectChunks((accumulator) => finish(accumulator, options));
}

function finish(accumulator: ChatCompletionAccumulator, options: ToChatCompletionOptions): Observable<ChatCompletion> {
  const completion = accumulator.toChatCompletion();
  // Count the usage when the server sent none (loading the encoding first where that is async).
  if (options.estimateUsage === undefined || completion.usage !== undefined) return of(completion);
  const request = options.estimateUsage === true ? undefined : options.estimateUsage;
  return estimateUsageWhenReady(completion, request).pipe(map((usage) => ({ ...completion, usage })));
}
