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

/** The usage `usageChunk(3, 2)` carries. */
export const USAGE_3_2 = { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 };

/**
 * A small stream for marble tests: `r` the role chunk, `a` 'Hel', `b` 'lo', `f` the finish chunk,
 * `u` the usage chunk (3 + 2 tokens). A fresh object each call, so specs may not share mutations.
 */
export function helloValues(): Record<'r' | 'a' | 'b' | 'f' | 'u', ChatCompletionChunk> {
  return {
    r: chunk({ role: 'assistant', content: '' }),
    a: chunk({ content: 'Hel' }),
    b: chunk({ content: 'lo' }),
    f: chunk({}, { finish_reason: 'stop' }),
    u: usageChunk(3, 2),
  };
}

/** The wire text of the SSE writers: one event, the end, a keep-alive comment. */
export const sseEvent = (value: unknown): string => `data: ${JSON.stringify(value)}\n\n`;
export const SSE_DONE = 'data: [DONE]\n\n';
export const SSE_PING = ': ping\n\n';

/** A three-chunk answer for the SSE writers' specs: `a` the role chunk, `b` 'Hi', `c` the finish chunk. */
export function hiValues(): Record<'a' | 'b' | 'c', ChatCompletionChunk> {
  return {
    a: chunk({ role: 'assistant', content: '' }),
    b: chunk({ content: 'Hi' }),
    c: chunk({}, { finish_reason: 'stop' }),
  };
}
