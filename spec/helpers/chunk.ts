import type { ChatCompletionChunk } from '../../lib/types.js';

type Delta = ChatCompletionChunk.Choice.Delta;

/** A chunk in today's OpenAI format with one choice (or the given choices). For specs. */
export function chunk(
  delta: Delta | null,
  extra: Partial<ChatCompletionChunk.Choice> & { chunk?: Partial<ChatCompletionChunk> } = {},
): ChatCompletionChunk {
  const { chunk: top, ...choice } = extra;
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    created: 1_700_000_000,
    model: 'gpt-4o-mini',
    choices: delta === null ? [] : [{ index: 0, delta, finish_reason: null, logprobs: null, ...choice }],
    ...top,
  };
}

/** The usage chunk `stream_options.include_usage` adds: `choices: []`. */
export function usageChunk(prompt: number, completion: number): ChatCompletionChunk {
  return chunk(null, {
    chunk: { usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion } },
  });
}
