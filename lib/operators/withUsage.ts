import { concatMap, defer, map, of, throwError, type OperatorFunction } from 'rxjs';
import { InvalidInputError } from '../errors.js';
import { isObject } from '../json.js';
import { estimateUsageWhenReady, type UsageRequest } from '../tokens/estimateUsage.js';
import type { ChatCompletion } from '../types.js';

/**
 * Fills in the `usage` of each `ChatCompletion` the server sent none for, by counting tokens.
 *
 * <span class="informal">`toChatCompletion()`, then the usage even without
 * `stream_options.include_usage`.</span>
 *
 * ```
 * source:   --------------C|        C: a ChatCompletion without usage (no include_usage)
 * withUsage(request)
 * result:   --------------D|        D: C with usage: { prompt_tokens, completion_tokens, total_tokens } (counted)
 *
 * source:   --------------U|        U: a ChatCompletion whose usage the server sent
 * result:   --------------U|        U, the same object, untouched
 * ```
 *
 * Counts as {@link usage} does when the server reported nothing: `prompt_tokens` from `request`'s
 * `messages` and `tools` (0 without them), `completion_tokens` from the generated text of every
 * choice (content, refusal, tool calls, reasoning text), `total_tokens` their sum; the
 * completion's `model` picks the encoding (else `request.model`). A completion that has a `usage`
 * passes untouched; one that has none comes out as a new object with `usage` set (the input is
 * not mutated). Where the encoding must be loaded asynchronously (browsers) the count waits for
 * `loadEncoding`. A value that is not an object errors with an {@link InvalidInputError}.
 *
 * It is its own operator, not an option of `toChatCompletion()`, so that code that only merges
 * never reaches the tokenizer and its rank files: a browser bundle of `fromSSE` +
 * `toChatCompletion()` stays small, and pays for the ranks only where it counts.
 *
 * ## Example
 * ```ts
 * import { fromChatCompletion, toChatCompletion, withUsage } from 'rxjs-chat-stream';
 * import OpenAI from 'openai';
 *
 * const request = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'Say hello' }] };
 * fromChatCompletion(new OpenAI(), request)
 *   .pipe(toChatCompletion(), withUsage(request))
 *   .subscribe((completion) => console.log(completion.usage));
 * // Logs:
 * // { prompt_tokens: 9, completion_tokens: 9, total_tokens: 18 }
 * ```
 *
 * @see {@link toChatCompletion}
 * @see {@link usage}
 *
 * @param request The request that was sent (a whole `ChatCompletionCreateParams` will do), to count
 * the prompt; without it only the completion is counted and `prompt_tokens` is 0.
 * @return A function that returns an Observable that emits each completion with its `usage`.
 */
export function withUsage(request?: UsageRequest): OperatorFunction<ChatCompletion, ChatCompletion> {
  return concatMap((completion) => {
    if (!isObject(completion)) return throwError(() => new InvalidInputError('withUsage() value', completion, 'a ChatCompletion'));
    if (completion.usage != null) return of(completion);
    return defer(() => estimateUsageWhenReady(completion, request)).pipe(map((usage) => ({ ...completion, usage })));
  });
}
