import type { ChatCompletionChunk } from '../types.js';
import { planChunks, planReply, type BuildChunksOptions } from './completion.js';

export type { BuildChunksOptions, ChunkFormat, FinishReason, MockToolCall } from './completion.js';

/**
 * Builds the chunks a real model would stream for a given answer.
 *
 * <span class="informal">Test data that looks like the API's, for marble tests and fake servers:
 * a role chunk, one chunk per token, a finish chunk, and the usage chunk when asked.</span>
 *
 * ```
 * buildChunks('Hi there', { includeUsage: true })
 * → [ role, 'Hi', ' there', finish, usage ]
 *     role   = { choices: [{ index: 0, delta: { role: 'assistant', content: '', refusal: null }, … }] }
 *     finish = { choices: [{ index: 0, delta: {}, finish_reason: 'stop', … }] }
 *     usage  = { choices: [], usage: { prompt_tokens: 0, completion_tokens: 2, total_tokens: 2, … } }
 * ```
 *
 * The text is cut into tokens with the project's tokeniser for `options.model` (the pieces join
 * back to the text), one `delta.content` per chunk. A `toolCall` (or an array of parallel ones)
 * is streamed as the API streams tool calls: a first delta with the call's `id`, `type` and
 * `function.name` and `arguments: ""`, then the arguments token by token; with no text the first
 * call rides on the role chunk (`content: null`), and `finish_reason` is `'tool_calls'`. With
 * `n > 1` the choices are interleaved as the API interleaves them (each choice's role chunk with
 * its first token, then one token per choice in turn, the finish chunks last). With
 * `includeUsage`, a last chunk with `choices: []` carries `usage`: `completion_tokens` is what
 * `usage()` counts for the same completion (the tokens streamed, content, tool names and
 * arguments over all choices, plus 7 tokens of framing per tool call, as the API bills them),
 * `prompt_tokens` is `options.promptTokens`.
 *
 * `format: 'today'` (default) writes the chunks as the API does now: `service_tier`,
 * `system_fingerprint`, `usage: null` on every chunk but the usage chunk, and an `obfuscation`
 * string of random-looking padding. `format: 'classic'` writes the leaner 2024 chunks (no
 * `service_tier`, no `usage: null`, no `obfuscation`). Ids, fingerprint and padding come from a
 * seeded generator (`options.seed`): the same call always gives the same chunks.
 *
 * ## Example
 * ```ts
 * import { TestScheduler } from 'rxjs/testing';
 * import { contentDeltas } from 'rxjs-chat-stream';
 * import { buildChunks } from 'rxjs-chat-stream/testing';
 *
 * const [r, a, b, f] = buildChunks('Hello world');
 * new TestScheduler((actual, expected) => console.log(JSON.stringify(actual) === JSON.stringify(expected)))
 *   .run(({ cold, expectObservable }) => {
 *     expectObservable(cold('-r-a-b-f|', { r, a, b, f }).pipe(contentDeltas()))
 *       .toBe('---a-b--|', { a: 'Hello', b: ' world' });
 *   });
 * // Logs:
 * // true
 * ```
 *
 * @see {@link toSSEText}
 * @see {@link startMockServer}
 *
 * @param text The answer's text (`''` for a tool call alone).
 * @param options `model`, `id`, `created`, `n`, `toolCall`, `finishReason`, `includeUsage`,
 * `promptTokens`, `format`, `obfuscation`, `seed`, `systemFingerprint`.
 * @return The chunks, in stream order.
 */
export function buildChunks(text: string, options: BuildChunksOptions = {}): ChatCompletionChunk[] {
  return planChunks(planReply(text, options), options.includeUsage === true);
}
