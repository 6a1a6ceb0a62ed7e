/**
 * Case 6's measurement, run alone in a child process (`--expose-gc`): a stream of `total` content
 * chunks generated lazily (wire bytes made on demand, 16 KiB at a time, never held), through one
 * contender, with the heap sampled after a full GC every `total / SAMPLES` chunks.
 */
import type { ChatCompletionChunk } from '../../lib/types.js';
import { PARAMS, openaiClient } from '../contenders.js';
import { byteStreamFrom, englishProse, fakeFetchOf, MODEL } from '../inputs.js';
import { pkg, testing } from '../pkg.js';

const { contentDeltas, toChatCompletion, fromSSE } = pkg;
const { buildChunks } = testing;

const SAMPLES = 20;
const READ_SIZE = 16 * 1024;
const MB = 1048576;

/**
 * Ours, and the SDK's accumulator beside `toChatCompletion`. (`sdk-for-await`, the SDK's raw loop,
 * is flat too; it is left out of the default run because it takes 35 s of the 5-minute budget.)
 */
export const MEMORY_CONTENDERS = ['contentDeltas', 'toChatCompletion', 'sdk-finalChatCompletion'] as const;
const OTHER_CONTENDERS = ['sdk-for-await'] as const;
export type MemoryContender = (typeof MEMORY_CONTENDERS)[number] | (typeof OTHER_CONTENDERS)[number];

export interface MemoryReport {
  contender: string;
  chunks: number;
  /** Characters of content that went through. */
  contentChars: number;
  /** What the contender computed: deltas seen, or the final content's length. */
  computed: number;
  ms: number;
  /** heapUsed after a full GC, MB, at each sample (the first after 1/SAMPLES of the stream). */
  heapMB: number[];
  /** Growth from the sample at 10 % to the end of the stream, MB. */
  growthMB: number;
  /** Heap retained by the result after the stream (final GC, result still held) minus the 10 % sample, MB. */
  retainedMB: number;
  rssPeakMB: number;
}

function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (typeof collect !== 'function') throw new Error('run the child with --expose-gc');
  collect();
  collect();
}

function event(chunk: ChatCompletionChunk): string {
  return `data: ${JSON.stringify(chunk)}\n\n`;
}

/** The pieces of a long stream: role chunk, `total` content chunks cycling through real ones, finish, usage, [DONE]. */
export function lazyStream(total: number, onSample: (chunksSoFar: number) => void): { bytes: AsyncIterable<Uint8Array>; contentChars: number } {
  const chunks = buildChunks(englishProse(4000, 6), { model: MODEL, includeUsage: true, seed: 6 });
  const role = chunks[0]!;
  const finish = chunks[chunks.length - 2]!;
  const usage = chunks[chunks.length - 1]!;
  const contents = chunks.slice(1, -2);
  const events = contents.map(event);
  const lengths = contents.map((chunk) => chunk.choices[0]?.delta.content?.length ?? 0);
  let contentChars = 0;
  for (let i = 0; i < total; i++) contentChars += lengths[i % lengths.length]!;
  const every = Math.max(1, Math.floor(total / SAMPLES));
  const encoder = new TextEncoder();
  async function* generate(): AsyncGenerator<Uint8Array> {
    let batch: string[] = [event(role)];
    let size = 0;
    for (let i = 0; i < total; i++) {
      const text = events[i % events.length]!;
      batch.push(text);
      size += text.length;
      if (size >= READ_SIZE) {
        yield encoder.encode(batch.join(''));
        batch = [];
        size = 0;
      }
      if ((i + 1) % every === 0) onSample(i + 1);
    }
    batch.push(event(finish), event(usage), 'data: [DONE]\n\n');
    yield encoder.encode(batch.join(''));
  }
  return { bytes: { [Symbol.asyncIterator]: generate }, contentChars };
}

export async function measureMemory(contender: string, total: number): Promise<MemoryReport> {
  if (![...MEMORY_CONTENDERS, ...OTHER_CONTENDERS].includes(contender as MemoryContender)) throw new Error(`unknown memory contender ${contender}`);
  if (!Number.isSafeInteger(total) || total <= 0) throw new Error(`bad chunk count ${total}`);
  const heap: number[] = [];
  let rssPeak = 0;
  const sample = (): void => {
    gc();
    const usage = process.memoryUsage();
    heap.push(usage.heapUsed / MB);
    if (usage.rss > rssPeak) rssPeak = usage.rss;
  };
  const { bytes, contentChars } = lazyStream(total, sample);
  gc();
  const start = performance.now();
  let computed = 0;
  let result: unknown;
  switch (contender as MemoryContender) {
    case 'contentDeltas':
      await new Promise<void>((resolve, reject) => {
        fromSSE(bytes)
          .pipe(contentDeltas())
          .subscribe({ next: (delta) => (computed += delta.length), error: reject, complete: resolve });
      });
      break;
    case 'toChatCompletion':
      result = await new Promise((resolve, reject) => {
        fromSSE(bytes)
          .pipe(toChatCompletion())
          .subscribe({ next: resolve, error: reject });
      });
      computed = (result as { choices: Array<{ message: { content: string | null } }> }).choices[0]?.message.content?.length ?? 0;
      break;
    case 'sdk-for-await': {
      const client = openaiClient(fakeFetchOf(() => byteStreamFrom(bytes)));
      for await (const chunk of await client.chat.completions.create(PARAMS)) computed += chunk.choices[0]?.delta.content?.length ?? 0;
      break;
    }
    case 'sdk-finalChatCompletion': {
      const client = openaiClient(fakeFetchOf(() => byteStreamFrom(bytes)));
      result = await client.chat.completions.stream(PARAMS).finalChatCompletion();
      computed = (result as { choices: Array<{ message: { content: string | null } }> }).choices[0]?.message.content?.length ?? 0;
      break;
    }
  }
  const ms = performance.now() - start;
  gc();
  const retained = process.memoryUsage().heapUsed / MB;
  // Keep the result alive up to the measurement above.
  if (result !== undefined && typeof (result as object) !== 'object') throw new Error('unreachable');
  const base = heap[Math.max(0, Math.floor(heap.length / 10) - 1)] ?? heap[0] ?? 0;
  const end = heap[heap.length - 1] ?? base;
  return {
    contender,
    chunks: total,
    contentChars,
    computed,
    ms,
    heapMB: heap.map((h) => Math.round(h * 100) / 100),
    growthMB: end - base,
    retainedMB: retained - base,
    rssPeakMB: rssPeak / MB,
  };
}
