import { of, type Observable, type OperatorFunction } from 'rxjs';
import type { ChatCompletionAccumulator } from '../accumulation/ChatCompletionAccumulator.js';
import { collectChunks } from '../accumulation/collect.js';
import { InvalidInputError } from '../errors.js';
import type { ChatCompletion, ChatCompletionChunk } from '../types.js';

/**
 * What `toChatCompletion({ lenient: true })` emits: a `ChatCompletion` whose choices may lack a
 * `finish_reason` (`null`: none came), and then say so in `incomplete`.
 */
export type LenientChatCompletion = Omit<ChatCompletion, 'choices'> & {
  choices: Array<Omit<ChatCompletion.Choice, 'finish_reason'> & { finish_reason: ChatCompletion.Choice['finish_reason'] | null }>;
  /**
   * Present only when some choice never got its `finish_reason` (a stream that ended with
   * `[DONE]` but without one: llama.cpp, some vLLM versions): those choices' indexes.
   */
  incomplete?: { reason: 'unfinished-choice'; choices: number[] };
};

/** Options of {@link toChatCompletion}. */
export interface ToChatCompletionOptions {
  /**
   * Finish even when a choice never got its `finish_reason` (default `false`: that is an
   * `IncompleteStreamError`). Such a choice keeps `finish_reason: null` (none came: the toolkit
   * does not guess one) and the completion gets `incomplete: { reason: 'unfinished-choice',
   * choices: [indexes] }`, so that the marker is never silent. A stream with no chunk at all still
   * errors, and so does any error of the source.
   */
  lenient?: boolean;
  /**
   * Gone: counting moved to its own operator, `withUsage(request)` (pipe it after
   * `toChatCompletion()`), so that merging never pulls the tokenizer into a bundle. Passing it
   * errors with an `InvalidInputError` that says so, rather than leaving `usage` out in silence.
   * @deprecated Use `toChatCompletion()` then `withUsage(request)`.
   */
  estimateUsage?: never;
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
 * `logprobs` (`null` when none came); `usage` when the server sent it (the last non-null one; pipe
 * {@link withUsage} after it to count one when the server sent none); a
 * null `system_fingerprint` dropped; unknown fields (`service_tier`, Azure's filter results) kept.
 *
 * Errors, all after the chunks that came are merged:
 * - an empty stream: `IncompleteStreamError` with `reason: 'no-chunks'`;
 * - a choice without `finish_reason` (the stream was cut): `IncompleteStreamError` with
 *   `reason: 'unfinished-choice'` and `partial`, the snapshot of what came; with
 *   `{ lenient: true }` the completion is emitted anyway, that choice's `finish_reason` `null` and
 *   `incomplete: { reason: 'unfinished-choice', choices }` set (servers that end with `[DONE]` but
 *   send no `finish_reason`: llama.cpp, some vLLM versions);
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
 * @see {@link withUsage}
 * @see {@link usage}
 *
 * @param options `lenient`: finish a choice that never got its `finish_reason`, and say so
 * (`estimateUsage` moved to {@link withUsage}).
 * @return A function that returns an Observable that emits the finished `ChatCompletion` when the source completes.
 */
export function toChatCompletion(options: ToChatCompletionOptions & { lenient: true }): OperatorFunction<ChatCompletionChunk, LenientChatCompletion>;
export function toChatCompletion(options?: ToChatCompletionOptions & { lenient?: false }): OperatorFunction<ChatCompletionChunk, ChatCompletion>;
export function toChatCompletion(options?: ToChatCompletionOptions): OperatorFunction<ChatCompletionChunk, ChatCompletion | LenientChatCompletion>;
export function toChatCompletion(
  options: ToChatCompletionOptions = {},
): OperatorFunction<ChatCompletionChunk, ChatCompletion | LenientChatCompletion> {
  if ((options as { estimateUsage?: unknown }).estimateUsage !== undefined) {
    throw new InvalidInputError('toChatCompletion() options.estimateUsage', (options as { estimateUsage?: unknown }).estimateUsage, 'absent', {
      detail: 'a value: counting moved to its own operator, pipe withUsage(request) after toChatCompletion()',
    });
  }
  const lenient = options.lenient === true;
  return collectChunks((accumulator: ChatCompletionAccumulator): Observable<ChatCompletion | LenientChatCompletion> =>
    of(accumulator.toChatCompletion(lenient)),
  );
}
