/**
 * What users would pick instead of this package, written once and shared by the cases: the
 * hand-written floor (split on blank lines + `JSON.parse`), `eventsource-parser` + `JSON.parse`,
 * the `openai` SDK's clients, the Vercel AI SDK's model, and the per-chunk fold every contender
 * applies to what it parsed (so all do the same work after parsing).
 */
import { createOpenAI } from '@ai-sdk/openai';
import { streamText } from 'ai';
import { createParser } from 'eventsource-parser';
import OpenAI from 'openai';
import type { ChatCompletionChunk } from '../lib/types.js';
import { MODEL } from './inputs.js';

/** The URL the fake `fetch` is called with (never reached: the fake answers). */
export const BASE_URL = 'http://127.0.0.1:9/v1';
export const CHAT_URL = `${BASE_URL}/chat/completions`;

/** The request every streamed call makes. */
export const PARAMS = {
  model: MODEL,
  messages: [{ role: 'user' as const, content: 'Write a long story.' }],
  stream: true as const,
  stream_options: { include_usage: true },
};

/** What a decode run computes: checked equal across contenders. */
export interface Tally {
  chunks: number;
  content: string;
  finish: string | null;
  totalTokens: number | null;
}

export function newTally(): Tally {
  return { chunks: 0, content: '', finish: null, totalTokens: null };
}

/** The per-chunk work every decode contender does with what it parsed. */
export function tally(state: Tally, chunk: ChatCompletionChunk): void {
  state.chunks++;
  const choice = chunk.choices[0];
  if (choice !== undefined) {
    const content = choice.delta.content;
    if (content) state.content += content;
    if (choice.finish_reason) state.finish = choice.finish_reason;
  }
  if (chunk.usage) state.totalTokens = chunk.usage.total_tokens;
}

/**
 * The floor: read, decode, split on blank lines, `JSON.parse` each `data:` payload, stop at
 * `[DONE]`. Nothing else (no field names, comments, CR line ends, retries or error events).
 */
export async function floorParse(body: ReadableStream<Uint8Array>, onChunk: (chunk: ChatCompletionChunk) => void): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let start = 0;
    let end: number;
    while ((end = buffer.indexOf('\n\n', start)) !== -1) {
      const event = buffer.slice(start, end);
      start = end + 2;
      if (event.startsWith('data: ')) {
        const data = event.slice(6);
        if (data === '[DONE]') {
          await reader.cancel();
          return;
        }
        onChunk(JSON.parse(data) as ChatCompletionChunk);
      }
    }
    buffer = buffer.slice(start);
  }
}

/** `eventsource-parser` fed decoded text, `JSON.parse` of each event's data, stop at `[DONE]`. */
export async function eventsourceParserParse(
  body: ReadableStream<Uint8Array>,
  onChunk: (chunk: ChatCompletionChunk) => void,
): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let finished = false;
  const parser = createParser({
    onEvent(event) {
      if (finished) return;
      if (event.data === '[DONE]') finished = true;
      else onChunk(JSON.parse(event.data) as ChatCompletionChunk);
    },
  });
  while (!finished) {
    const { done, value } = await reader.read();
    if (done) return;
    parser.feed(decoder.decode(value, { stream: true }));
  }
  await reader.cancel();
}

/** An `openai` client whose requests go to `fetchFn`. */
export function openaiClient(fetchFn: typeof fetch, baseURL = BASE_URL): OpenAI {
  return new OpenAI({ apiKey: 'sk-bench', baseURL, fetch: fetchFn, maxRetries: 0 });
}

/** The Vercel AI SDK's text stream over `fetchFn`, joined. */
export async function vercelText(fetchFn: typeof fetch): Promise<string> {
  const provider = createOpenAI({ apiKey: 'sk-bench', baseURL: BASE_URL, fetch: fetchFn });
  const result = streamText({ model: provider.chat(MODEL), prompt: 'Write a long story.', maxRetries: 0 });
  let text = '';
  for await (const piece of result.textStream) text += piece;
  return text;
}

/** Silences the Vercel AI SDK's warnings (they go to the console otherwise). */
(globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false;
