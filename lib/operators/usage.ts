import { map, of, type Observable, type OperatorFunction } from 'rxjs';
import type { ChatCompletionAccumulator } from '../accumulation/ChatCompletionAccumulator.js';
import { collectChunks } from '../accumulation/collect.js';
import { estimateUsageWhenReady, type UsageRequest } from '../tokens/estimateUsage.js';
import type { ChatCompletionChunk, CompletionUsage } from '../types.js';

/** A `CompletionUsage`, and whether it was counted here rather than reported by the server. */
export interface EstimatedUsage extends CompletionUsage {
  /**
   * `false`: the server's own usage (the last non-null `usage` of the stream), untouched.
   * `true`: counted with js-tiktoken from the request and the streamed output.
   */
  estimated: boolean;
  /**
   * Whether `prompt_tokens` is real: `true` when the server reported it or it was counted from the
   * request's `messages`; `false` when it was counted without them (`usage()` with no request):
   * then `prompt_tokens` is 0 and only the completion was counted.
   */
  promptCounted: boolean;
}

/**
 * Emits the token usage of a stream when it completes: the server's when it sent one, else a count.
 *
 * <span class="informal">One `usage` per stream, with or without `stream_options.include_usage`.</span>
 *
 * ```
 * source:   --r---a---b---f---u--|      u: usage chunk { prompt_tokens: 36, completion_tokens: 299, … }
 * usage()
 * result:   ---------------------(U|)   U: { prompt_tokens: 36, completion_tokens: 299, total_tokens: 335, estimated: false, … }
 *
 * source:   --r---a---b---f--|          (no include_usage: no usage chunk)
 * usage(request)
 * result:   -----------------(E|)       E: { prompt_tokens: countPromptTokens(request…), completion_tokens: counted,
 *                                             total_tokens: their sum, estimated: true }
 * ```
 *
 * A streamed response carries no `usage` unless the request set
 * `stream_options: { include_usage: true }`; then a last chunk with `choices: []` brings it (some
 * providers send more chunks after it, even with `usage: null`). When the source completes:
 * - if any chunk carried a non-null `usage`, the last one is emitted as is (its
 *   `prompt_tokens_details` / `completion_tokens_details` untouched) with `estimated: false`;
 * - otherwise the usage is counted, with `estimated: true`: `prompt_tokens` by
 *   {@link countPromptTokens} from `request` (its `messages` and `tools`), `completion_tokens` by
 *   {@link countTokens} of the generated text of every choice (content, refusal, tool-call names and
 *   arguments, reasoning text), `total_tokens` their sum. The stream's own `model` picks the
 *   encoding (else `request.model`). Without a `request`, only the completion is counted and
 *   `prompt_tokens` is 0. Images, audio and the hidden reasoning tokens of o-series models are not
 *   counted (see `docs/usage.md`).
 *
 * Chunks are merged by the same accumulator as {@link toChatCompletion} (O(chunk) each); the text
 * is counted once, at the end. An empty source emits a count too (`completion_tokens: 0`). Where
 * the encoding must be loaded asynchronously (browsers), the count waits for `loadEncoding`. An
 * error from the source passes through with `partial` set once a chunk had arrived.
 *
 * ## Example
 * ```ts
 * import { fromChatCompletion, usage } from 'rxjs-chat-stream';
 * import OpenAI from 'openai';
 *
 * const request = {
 *   model: 'gpt-4o-mini',
 *   messages: [{ role: 'user' as const, content: 'Count to 100, with a comma between each number and no newlines. E.g., 1, 2, 3, ...' }],
 * };
 * fromChatCompletion(new OpenAI(), request)
 *   .pipe(usage(request))
 *   .subscribe((used) => console.log(used));
 * // Logs:
 * // { prompt_tokens: 36, completion_tokens: 299, total_tokens: 335, estimated: true, promptCounted: true }
 * ```
 *
 * @see {@link toChatCompletion}
 * @see {@link countPromptTokens}
 * @see {@link runningTokens}
 *
 * @param request The request that was sent (a whole `ChatCompletionCreateParams` will do), to count
 * the prompt when the server reports no usage.
 * @return A function that returns an Observable that emits one `EstimatedUsage` when the source completes.
 */
export function usage(request?: UsageRequest): OperatorFunction<ChatCompletionChunk, EstimatedUsage> {
  return collectChunks((accumulator) => finish(accumulator, request));
}

function finish(accumulator: ChatCompletionAccumulator, request: UsageRequest | undefined): Observable<EstimatedUsage> {
  const reported = accumulator.usage;
  if (reported !== undefined) return of({ ...reported, estimated: false, promptCounted: true });
  const promptCounted = request?.messages != null;
  return estimateUsageWhenReady(accumulator.snapshot(), request).pipe(
    map((counted) => ({ ...counted, estimated: true, promptCounted })),
  );
}
