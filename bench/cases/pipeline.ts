/**
 * Case 3, pipeline overhead: `contentDeltas() + elapsed()` and `toChatCompletion()` on one
 * shared source, vs a raw loop doing the same work by hand (stamping each delta, merging the
 * answer), over the same source: the openai SDK's stream (the target), the wire bytes (fromSSE vs
 * the floor parser), and chunks already in memory (the operators alone).
 */
import { Observable, share } from 'rxjs';
import type { Elapsed } from '../../lib/operators/elapsed.js';
import type { ChatCompletion, ChatCompletionChunk } from '../../lib/types.js';
import { CHAT_URL, PARAMS, floorParse, openaiClient } from '../contenders.js';
import type { BenchContext, CaseResult } from '../context.js';
import { timeGroup, type Contender, type Group } from '../harness.js';
import { fakeFetch, realisticChunks, wirePieces } from '../inputs.js';
import { pkg } from '../pkg.js';

const { contentDeltas, elapsed, toChatCompletion, fromChatCompletion, fromSSE } = pkg;

/** What both sides compute: the stamped deltas (counted and joined) and the finished answer. */
export interface PipelineResult {
  deltas: number;
  text: string;
  content: string | null;
  finish: string | null;
  totalTokens: number | null;
  /** Not compared (times differ run to run). */
  lastElapsed?: number;
}

function check(result: PipelineResult): unknown {
  const { lastElapsed: _ignored, ...compared } = result;
  return compared;
}

/** The consumer of the stamped deltas, the same on both sides. */
class DeltaSink {
  deltas = 0;
  text = '';
  lastElapsed = 0;
  push(stamped: Elapsed<string>): void {
    this.deltas++;
    this.text += stamped.value;
    this.lastElapsed = stamped.elapsed;
  }
}

function resultOf(sink: DeltaSink, completion: ChatCompletion | undefined): PipelineResult {
  const choice = completion?.choices[0];
  return {
    deltas: sink.deltas,
    text: sink.text,
    content: choice?.message.content ?? null,
    finish: choice?.finish_reason ?? null,
    totalTokens: completion?.usage?.total_tokens ?? null,
    lastElapsed: sink.lastElapsed,
  };
}

/** Ours: one shared source, two branches. */
export function oursPipeline(source: Observable<ChatCompletionChunk>): Promise<PipelineResult> {
  return new Promise<PipelineResult>((resolve, reject) => {
    const shared = source.pipe(share());
    const sink = new DeltaSink();
    let completion: ChatCompletion | undefined;
    let pending = 2;
    const done = (): void => {
      if (--pending === 0) resolve(resultOf(sink, completion));
    };
    shared.pipe(contentDeltas(), elapsed()).subscribe({ next: (stamped) => sink.push(stamped), error: reject, complete: done });
    shared.pipe(toChatCompletion()).subscribe({
      next: (value) => {
        completion = value;
      },
      error: reject,
      complete: done,
    });
  });
}

interface HandChoice {
  index: number;
  role: string | undefined;
  content: string | null;
  refusal: string | null;
  finish: ChatCompletion.Choice['finish_reason'] | null;
}

/**
 * The same work by hand, as a careful user writes it in a `for await` loop: stamp each non-empty
 * content delta of choice 0 with the time since the start and since the previous one (the same
 * clock as `asyncScheduler`, `Date.now()`), and merge the answer (metadata last non-empty wins,
 * content and refusal appended, finish reason, usage last non-null).
 */
export class HandLoop {
  readonly sink = new DeltaSink();
  private readonly start = Date.now();
  private previous = this.start;
  private id = '';
  private model = '';
  private created = 0;
  private serviceTier: ChatCompletionChunk['service_tier'] = undefined;
  private fingerprint: string | undefined;
  private usage: ChatCompletion['usage'] = undefined;
  private readonly choices: HandChoice[] = [];

  push(chunk: ChatCompletionChunk): void {
    if (chunk.id) this.id = chunk.id;
    if (chunk.model) this.model = chunk.model;
    if (chunk.created) this.created = chunk.created;
    if (chunk.service_tier) this.serviceTier = chunk.service_tier;
    if (chunk.system_fingerprint) this.fingerprint = chunk.system_fingerprint;
    if (chunk.usage) this.usage = chunk.usage;
    for (const choice of chunk.choices) {
      let state = this.choices[choice.index];
      if (state === undefined) {
        state = { index: choice.index, role: undefined, content: null, refusal: null, finish: null };
        this.choices[choice.index] = state;
      }
      const delta = choice.delta;
      if (delta.role) state.role = delta.role;
      if (typeof delta.content === 'string') {
        state.content = (state.content ?? '') + delta.content;
        if (choice.index === 0 && delta.content.length > 0) {
          const now = Date.now();
          this.sink.push({ value: delta.content, elapsed: now - this.start, interval: now - this.previous });
          this.previous = now;
        }
      }
      if (delta.refusal) state.refusal = (state.refusal ?? '') + delta.refusal;
      if (choice.finish_reason) state.finish = choice.finish_reason;
    }
  }

  finish(): PipelineResult {
    const completion: ChatCompletion = {
      id: this.id,
      object: 'chat.completion',
      created: this.created,
      model: this.model,
      ...(this.serviceTier ? { service_tier: this.serviceTier } : {}),
      ...(this.fingerprint ? { system_fingerprint: this.fingerprint } : {}),
      choices: this.choices
        .filter((choice) => choice !== undefined)
        .map((choice) => ({
          index: choice.index,
          message: { role: 'assistant', content: choice.content, refusal: choice.refusal },
          logprobs: null,
          finish_reason: choice.finish ?? 'stop',
        })),
      ...(this.usage ? { usage: this.usage } : {}),
    };
    return resultOf(this.sink, completion);
  }
}

/** A source of chunks already in memory that starts after the subscriptions are made (share() needs that). */
export function burst(chunks: readonly ChatCompletionChunk[]): Observable<ChatCompletionChunk> {
  return new Observable<ChatCompletionChunk>((subscriber) => {
    queueMicrotask(() => {
      for (let i = 0; i < chunks.length && !subscriber.closed; i++) subscriber.next(chunks[i]!);
      subscriber.complete();
    });
  });
}

export function pipelineGroups(
  fetchFn: typeof fetch,
  chunks: readonly ChatCompletionChunk[],
): { sdk: Array<Contender<PipelineResult>>; bytes: Array<Contender<PipelineResult>>; memory: Array<Contender<PipelineResult>> } {
  const client = openaiClient(fetchFn);
  return {
    sdk: [
      { name: 'fromChatCompletion + 3 operators (ours)', ours: true, check, run: () => oursPipeline(fromChatCompletion(client, PARAMS)) },
      {
        name: 'raw for await over the SDK stream',
        check,
        run: async () => {
          const hand = new HandLoop();
          for await (const chunk of await client.chat.completions.create(PARAMS)) hand.push(chunk);
          return hand.finish();
        },
      },
    ],
    bytes: [
      { name: 'fromSSE + 3 operators (ours)', ours: true, check, run: () => oursPipeline(fromSSE((signal) => fetchFn(CHAT_URL, { signal }))) },
      {
        name: 'floor parser + raw loop',
        check,
        run: async () => {
          const hand = new HandLoop();
          const response = await fetchFn(CHAT_URL);
          await floorParse(response.body!, (chunk) => hand.push(chunk));
          return hand.finish();
        },
      },
    ],
    memory: [
      { name: '3 operators (ours)', ours: true, check, run: () => oursPipeline(burst(chunks)) },
      {
        name: 'raw loop',
        check,
        run: async () => {
          const hand = new HandLoop();
          await Promise.resolve();
          for (const chunk of chunks) hand.push(chunk);
          return hand.finish();
        },
      },
    ],
  };
}

export async function runPipeline(context: BenchContext): Promise<CaseResult> {
  const tokens = context.quick ? 600 : 30_000;
  const { chunks } = realisticChunks(tokens, 3);
  const { pieces } = wirePieces(chunks);
  const contenders = pipelineGroups(fakeFetch(pieces), chunks);
  const work = { amount: chunks.length, unit: 'chunks' };
  const groups: Group[] = [
    { id: 'pipeline/sdk', case: 'pipeline', title: 'Over the openai SDK stream (the target)', contenders: contenders.sdk, work },
    { id: 'pipeline/bytes', case: 'pipeline', title: 'From the wire bytes', contenders: contenders.bytes, work },
    { id: 'pipeline/memory', case: 'pipeline', title: 'Chunks in memory: the operators alone', contenders: contenders.memory, work },
  ];
  const results = [];
  for (const group of groups) results.push(await timeGroup(group, context.timing));
  return { case: 'pipeline', title: 'Pipeline overhead', facts: { chunks: chunks.length }, groups: results };
}
