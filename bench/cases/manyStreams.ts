/**
 * Case 5, many streams: N concurrent streamed requests to the local server (`timing: 'instant'`,
 * in a child process, 127.0.0.1) through `fromChatCompletion` vs the raw SDK loop, one `openai`
 * client for both (Node's fetch: one keep-alive pool per origin, no connection limit, so N
 * sockets are opened once and reused). Total time per round; the time to first chunk of each
 * stream, p50 and p99 per round (medians over the rounds reported).
 */
import OpenAI from 'openai';
import { startLongChild } from '../child-process.js';
import { PARAMS } from '../contenders.js';
import type { BenchContext, CaseResult } from '../context.js';
import { percentile, timeGroup, type Contender, type Group, type GroupResult } from '../harness.js';
import { pkg } from '../pkg.js';

const { fromChatCompletion } = pkg;

export interface ManyResult {
  texts: string[];
  /** Time from the request (subscription or `create`) to the first chunk, per stream, ms. */
  firstChunkMs: number[];
}

/** The local server, in a child process. */
export async function startServerChild(replyBytes: number): Promise<{ baseURL: string; reply: string; stop(): Promise<void> }> {
  const { first, stop } = await startLongChild<{ baseURL: string; reply: string }>(['server', String(replyBytes)], 'the bench server');
  return { ...first, stop };
}

function metrics(result: ManyResult): Record<string, number> {
  return { p50FirstChunkMs: percentile(result.firstChunkMs, 50), p99FirstChunkMs: percentile(result.firstChunkMs, 99) };
}

function check(result: ManyResult): unknown {
  const first = result.texts[0];
  return { streams: result.texts.length, same: result.texts.every((text) => text === first), text: first };
}

export function manyContenders(client: OpenAI, n: number): Array<Contender<ManyResult>> {
  return [
    {
      name: `fromChatCompletion ×${n} (ours)`,
      ours: true,
      check,
      metrics,
      run: () =>
        new Promise<ManyResult>((resolve, reject) => {
          const texts = new Array<string>(n);
          const firstChunkMs: number[] = [];
          let finished = 0;
          for (let i = 0; i < n; i++) {
            const start = performance.now();
            let first = true;
            let text = '';
            fromChatCompletion(client, PARAMS).subscribe({
              next(chunk) {
                if (first) {
                  firstChunkMs.push(performance.now() - start);
                  first = false;
                }
                const content = chunk.choices[0]?.delta.content;
                if (content) text += content;
              },
              error: reject,
              complete() {
                texts[i] = text;
                if (++finished === n) resolve({ texts, firstChunkMs });
              },
            });
          }
        }),
    },
    {
      name: `raw SDK for await ×${n}`,
      check,
      metrics,
      run: async () => {
        const firstChunkMs: number[] = [];
        const one = async (): Promise<string> => {
          const start = performance.now();
          let first = true;
          let text = '';
          for await (const chunk of await client.chat.completions.create(PARAMS)) {
            if (first) {
              firstChunkMs.push(performance.now() - start);
              first = false;
            }
            const content = chunk.choices[0]?.delta.content;
            if (content) text += content;
          }
          return text;
        };
        const texts = await Promise.all(Array.from({ length: n }, one));
        return { texts, firstChunkMs };
      },
    },
  ];
}

export async function runManyStreams(context: BenchContext): Promise<CaseResult> {
  const replyBytes = 240;
  const server = await startServerChild(replyBytes);
  try {
    const client = new OpenAI({ apiKey: 'sk-bench', baseURL: server.baseURL, maxRetries: 0 });
    const groups: GroupResult[] = [];
    for (const n of context.quick ? [20] : [100, 1000]) {
      const group: Group = {
        id: `many-streams/${n}`,
        case: 'many-streams',
        title: `${n} concurrent streams from the local server (127.0.0.1, instant timing, server in a child process)`,
        contenders: manyContenders(client, n),
        work: { amount: n, unit: 'streams' },
        clock: 'wall',
        // A round of 1,000 streams takes seconds on 2 shared cores: fewer rounds keep the run near 5 minutes.
        ...(n >= 1000 && !context.quick ? { rounds: Math.min(context.timing.rounds, 5), warmup: Math.min(context.timing.warmup, 1) } : {}),
      };
      groups.push(await timeGroup(group, context.timing));
    }
    const [first] = server.reply.split('\n');
    return {
      case: 'many-streams',
      title: 'Many streams',
      facts: { 'reply bytes': new TextEncoder().encode(server.reply).length, 'reply starts': `${(first ?? '').slice(0, 40)}…` },
      groups,
    };
  } finally {
    await server.stop();
  }
}
