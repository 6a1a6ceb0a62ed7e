/**
 * Case "batch": many requests through `streamMany`, against the local server in a child process
 * (127.0.0.1, instant timing, the many-streams case's server).
 *
 * - `batch/1000`: 1,000 requests, concurrency 50: `streamMany(requests, { client })` against a
 *   hand-written bounded loop over the raw SDK (50 workers, each `for await` over
 *   `client.chat.completions.create({ stream: true })`), one `openai` client for both. Wall time.
 * - `batch/budget`: budgeted runs, to see the budgets held, in real time. A budget is per minute,
 *   but a bench run lasts seconds, so the limits are scaled up instead of the run down (3,000
 *   requests and 180,000 tokens a minute: 50 requests a second) and what is measured is a rate:
 *   the requests and tokens charged (as the API counts them: prompt + max_tokens) from the first
 *   start to the last, per minute, against the limit; and the busiest window of one second against
 *   what the budget allows in one second (its burst, a tenth of a second's worth, plus a second of
 *   refill). A clock sped up to show whole minutes was tried and dropped: timers that fire a few ms
 *   late, times the speed-up, starve a bucket that holds a tenth of a second.
 */
import OpenAI from 'openai';
import { asyncScheduler, defer, lastValueFrom, toArray } from 'rxjs';
import { pkg } from '../pkg.js';
import { PARAMS } from '../contenders.js';
import type { BenchContext, CaseResult } from '../context.js';
import { timeGroup, type Contender, type GroupResult } from '../harness.js';
import { startServerChild } from './manyStreams.js';

const { streamMany, fromChatCompletion, countPromptTokens } = pkg;

interface BatchRun {
  texts: string[];
}

function check(result: BatchRun): unknown {
  const first = result.texts[0];
  return { requests: result.texts.length, same: result.texts.every((text) => text === first), text: first };
}

/** The same request, N times (PARAMS: a long story, usage included). */
function requests(n: number): Array<typeof PARAMS> {
  return Array.from({ length: n }, () => ({ ...PARAMS }));
}

export function batchContenders(client: OpenAI, n: number, concurrency: number): Array<Contender<BatchRun>> {
  return [
    {
      name: `streamMany ×${n}, concurrency ${concurrency} (ours)`,
      ours: true,
      check,
      run: async () => {
        const texts = new Array<string>(n);
        const results = await lastValueFrom(streamMany(requests(n), { client, concurrency }).pipe(toArray()));
        for (const result of results) {
          if ('error' in result) throw result.error;
          texts[result.index] = result.completion.choices[0]?.message.content ?? '';
        }
        return { texts };
      },
    },
    {
      name: `raw SDK for await ×${n}, ${concurrency} workers`,
      check,
      run: async () => {
        const texts = new Array<string>(n);
        let next = 0;
        const worker = async (): Promise<void> => {
          for (let i = next++; i < n; i = next++) {
            let text = '';
            for await (const chunk of await client.chat.completions.create(PARAMS)) {
              const content = chunk.choices[0]?.delta.content;
              if (content) text += content;
            }
            texts[i] = text;
          }
        };
        await Promise.all(Array.from({ length: concurrency }, worker));
        return { texts };
      },
    },
  ];
}

/** The most `weights` (default 1 each) of `times` in any window of `windowMs`. */
function busiest(times: readonly number[], windowMs: number, weights?: readonly number[]): number {
  let best = 0;
  let sum = 0;
  let start = 0;
  for (let end = 0; end < times.length; end++) {
    sum += weights?.[end] ?? 1;
    while (times[end]! - times[start]! >= windowMs) {
      sum -= weights?.[start] ?? 1;
      start++;
    }
    best = Math.max(best, sum);
  }
  return best;
}

interface BudgetRun {
  answered: number;
  requestsPerMinute: number;
  busiestSecondRequests: number;
  tokensPerMinute: number;
  busiestSecondTokens: number;
  usedTokensPerMinute: number;
}

/** The token budget of the second budgeted run: with ~70 tokens a request, about 43 requests a second. */
export const TOKENS_PER_MINUTE = 180_000;

/** What a budget allows in any window of 1 s: its burst (a tenth of a second's worth) and a second of its refill. */
const perSecondBound = (limit: number): number => limit / 600 + (limit - limit / 600) / 60;

function budgetContender(
  client: OpenAI,
  n: number,
  limits: { requestsPerMinute?: number; tokensPerMinute?: number },
  name: string,
): Contender<BudgetRun> {
  return {
    name,
    ours: true,
    check: (run) => ({ answered: run.answered }),
    metrics: (run) => ({
      answered: run.answered,
      requestsPerMinute: Math.round(run.requestsPerMinute),
      ...(limits.requestsPerMinute === undefined ? {} : { requestsLimit: limits.requestsPerMinute }),
      busiestSecondRequests: run.busiestSecondRequests,
      ...(limits.requestsPerMinute === undefined ? {} : { requestsSecondBound: Math.floor(perSecondBound(limits.requestsPerMinute)) }),
      tokensPerMinute: Math.round(run.tokensPerMinute),
      ...(limits.tokensPerMinute === undefined ? {} : { tokensLimit: limits.tokensPerMinute }),
      busiestSecondTokens: run.busiestSecondTokens,
      ...(limits.tokensPerMinute === undefined ? {} : { tokensSecondBound: Math.floor(perSecondBound(limits.tokensPerMinute)) }),
      usedTokensPerMinute: Math.round(run.usedTokensPerMinute),
    }),
    run: async () => {
      const input = Array.from({ length: n }, () => ({ ...PARAMS, max_tokens: 60 }));
      const cost = countPromptTokens(PARAMS.messages, PARAMS.model) + 60;
      const starts: number[] = [];
      const results = await lastValueFrom(
        streamMany(input, {
          source: (request) =>
            defer(() => {
              starts.push(asyncScheduler.now());
              return fromChatCompletion(client, request);
            }),
          concurrency: 50,
          ...limits,
        }).pipe(toArray()),
      );
      const span = starts.at(-1)! - starts[0]!;
      const used = results.reduce((sum, result) => sum + (result.usage?.total_tokens ?? 0), 0);
      // The rate after the first burst (what a full bucket lets out at once: a tenth of a second's
      // worth, the most binding budget's), from the first start to the last, per minute.
      const burst = Math.max(
        limits.requestsPerMinute === undefined ? 0 : limits.requestsPerMinute / 600,
        limits.tokensPerMinute === undefined ? 0 : limits.tokensPerMinute / 600 / cost,
      );
      const after = starts.length - Math.max(1, Math.floor(burst));
      return {
        answered: results.filter((result) => !('error' in result)).length,
        requestsPerMinute: (after / span) * 60_000,
        busiestSecondRequests: busiest(starts, 1000),
        tokensPerMinute: ((after * cost) / span) * 60_000,
        busiestSecondTokens: busiest(starts, 1000, starts.map(() => cost)),
        usedTokensPerMinute: (used / span) * 60_000,
      };
    },
  };
}

export async function runBatch(context: BenchContext): Promise<CaseResult> {
  const server = await startServerChild(240);
  try {
    const client = new OpenAI({ apiKey: 'sk-bench', baseURL: server.baseURL, maxRetries: 0 });
    const groups: GroupResult[] = [];
    const n = context.quick ? 100 : 1000;
    groups.push(
      await timeGroup(
        {
          id: `batch/${n}`,
          case: 'batch',
          title: `${n} requests, concurrency 50, from the local server (127.0.0.1, instant timing, server in a child process)`,
          contenders: batchContenders(client, n, 50),
          work: { amount: n, unit: 'requests' },
          clock: 'wall',
          ...(context.quick ? {} : { rounds: Math.min(context.timing.rounds, 7), warmup: Math.min(context.timing.warmup, 1) }),
        },
        context.timing,
      ),
    );
    // 50 requests a second: a run of 250 lasts 5 s.
    const budgeted = context.quick ? 60 : 250;
    groups.push(
      await timeGroup(
        {
          id: 'batch/budget',
          case: 'batch',
          title: `budgets held: ${budgeted} requests, concurrency 50, limits scaled to 50 requests a second (real time)`,
          contenders: [
            budgetContender(client, budgeted, { requestsPerMinute: 3000 }, 'requestsPerMinute: 3,000'),
            budgetContender(client, budgeted, { requestsPerMinute: 6000, tokensPerMinute: TOKENS_PER_MINUTE }, 'tokensPerMinute: 180,000 (requestsPerMinute: 6,000)'),
          ],
          clock: 'wall',
          // One timed run each (after the check's run): the figures, not the time, are the point.
          rounds: 1,
          warmup: 0,
          note:
            'Each request is charged 1 request and its prompt (counted) + max_tokens 60 tokens. requestsPerMinute / tokensPerMinute: ' +
            'charged after the first burst (a tenth of a second of the limit), from the first start to the last, per minute; ' +
            'busiestSecond*: the most charged in any window of 1 s, against ' +
            'what the bucket allows in 1 s (*SecondBound); usedTokensPerMinute: from the usage the server reported.',
        },
        context.timing,
      ),
    );
    return {
      case: 'batch',
      title: 'Batches: streamMany',
      facts: { 'reply bytes': new TextEncoder().encode(server.reply).length },
      groups,
    };
  } finally {
    await server.stop();
  }
}
