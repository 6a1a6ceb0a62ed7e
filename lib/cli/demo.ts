/**
 * `rxjs-chat-stream demo`: the OpenAI cookbook notebook "How to stream completions", step by
 * step, with the toolkit's sources and operators.
 * @internal
 */
import { asyncScheduler, connect, forkJoin, lastValueFrom, map, tap, type Observable } from 'rxjs';
import { elapsed } from '../operators/elapsed.js';
import { streamMetrics, type StreamMetrics } from '../operators/streamMetrics.js';
import { toChatCompletion } from '../operators/toChatCompletion.js';
import { usage } from '../operators/usage.js';
import { fromChatCompletion } from '../sources/fromChatCompletion.js';
import { estimateUsageFor } from '../tokens/estimateUsage.js';
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionMessageParam, CompletionUsage } from '../types.js';
import type { Endpoint } from './endpoint.js';
import { line, type CliIO, type Writable } from './io.js';
import { formatUsage, fromRequest, seconds, untilAborted, usageNumbers, type UsageNumbers } from './streams.js';

/** The notebook's prompts. */
export const COUNT_PROMPT = 'Count to 100, with a comma between each number and no newlines. E.g., 1, 2, 3, ...';
export const ONE_PLUS_ONE_PROMPT = "What's 1+1? Answer in one word.";
export const DEFAULT_MODEL = 'gpt-4o-mini';

/** Options of the demo. */
export interface DemoOptions {
  model: string;
  /** Replaces the count-to-100 prompt of steps 1 and 3. */
  prompt: string;
  /** Print nothing while running (the caller prints the JSON report). */
  quiet: boolean;
}

/** The numbers of one step. */
export interface DemoStep {
  step: 1 | 2 | 3;
  title: string;
  prompt: string;
  streamed: boolean;
  endpoint: 'local' | 'remote';
  /** From the request to the full response (the last chunk, when streamed), in ms. */
  totalMs: number;
  /** From the request to the first chunk carrying text, in ms (the total when not streamed). */
  timeToFirstTokenMs: number;
  /** The reply's text. */
  reply: string;
  usage: UsageNumbers;
  /** Chunks received (0 when not streamed). */
  chunks: number;
  /** Everything `streamMetrics()` measured, when streamed. */
  metrics?: StreamMetrics;
}

/** What `demo --json` prints. */
export interface DemoReport {
  endpoint: { kind: 'local' | 'remote'; baseURL: string };
  model: string;
  steps: [DemoStep, DemoStep, DemoStep];
  /** How much sooner the first token came streamed (step 3) than the whole reply unstreamed (step 1), in ms. */
  timeSavedMs: number;
}

const STARS = '****************';

type Request = {
  model: string;
  messages: ChatCompletionMessageParam[];
  temperature: number;
  stream_options?: { include_usage: boolean };
};

const userRequest = (model: string, prompt: string): Request => ({
  model,
  messages: [{ role: 'user', content: prompt }],
  temperature: 0,
});

/** What one streamed request gave. */
interface Streamed {
  completion: ChatCompletion;
  usage: CompletionUsage & { estimated: boolean };
  metrics: StreamMetrics;
  chunks: number;
  totalMs: number;
  timeToFirstTokenMs: number;
}

/**
 * One streamed request, measured: each chunk goes to `onChunk` with its time since the request
 * (`elapsed()`), and one subscription feeds, through `connect`, the rebuilt completion
 * (`toChatCompletion()`), the usage (`usage()`, the server's or counted) and the figures
 * (`streamMetrics()`: time to the first chunk and the first token, duration, rate, gaps).
 */
function streamRequest(
  endpoint: Endpoint,
  request: Request,
  io: CliIO,
  onChunk: (chunk: ChatCompletionChunk, elapsedMs: number) => void,
): Promise<Streamed> {
  const scheduler = io.scheduler ?? asyncScheduler;
  // One reading of the clock per chunk (elapsed()'s), which streamMetrics() reads too: the figures
  // and the "Message received N seconds after request" lines agree to the millisecond.
  let stamp = 0;
  const stamped = { now: (): number => stamp };
  const result: Observable<Streamed> = fromChatCompletion(endpoint.client.streaming, request).pipe(
    elapsed(scheduler),
    tap(({ value, elapsed: ms }) => {
      stamp = ms;
      onChunk(value, ms);
    }),
    connect((shared) =>
      forkJoin({
        completion: shared.pipe(
          map(({ value }) => value),
          toChatCompletion(),
        ),
        usage: shared.pipe(
          map(({ value }) => value),
          usage(request),
        ),
        metrics: shared.pipe(
          map(({ value }) => value),
          streamMetrics({ scheduler: stamped, model: request.model }),
        ),
      }),
    ),
    map(({ completion, usage: counted, metrics }) => ({
      completion,
      usage: counted,
      metrics,
      chunks: metrics.chunks,
      totalMs: metrics.duration,
      timeToFirstTokenMs: metrics.timeToFirstContent ?? metrics.duration,
    })),
    untilAborted(io.signal),
  );
  return lastValueFrom(result);
}

const replyText = (completion: ChatCompletion): string => completion.choices[0]?.message.content ?? '';

/** What the notebook prints for a chunk in step 3: its text, or what else it carries. */
function describeChunk(chunk: ChatCompletionChunk): string {
  const choice = chunk.choices?.[0];
  if (choice === undefined) {
    const u = chunk.usage;
    return u
      ? `[usage chunk: ${u.prompt_tokens} prompt + ${u.completion_tokens} completion = ${u.total_tokens} tokens]`
      : '[a chunk without choices]';
  }
  const content = choice.delta?.content;
  if (typeof content === 'string') return content;
  if (choice.finish_reason) return `[finish_reason: ${choice.finish_reason}]`;
  return JSON.stringify(choice.delta ?? {});
}

const pad = (text: string, width: number): string => text.padStart(width);

/** One line of a stream's figures: first chunk and token, full response, tokens and rate, gaps. */
function describeMetrics(metrics: StreamMetrics): string {
  const time = (ms: number | null): string => (ms === null ? '—' : `${seconds(ms)} s`);
  const tokens = metrics.completionTokens === null ? '— tokens' : `${metrics.completionTokens} tokens (${metrics.estimated ? 'counted' : 'from the server'})`;
  const rate = metrics.outputTokensPerSecond === null ? '—' : metrics.outputTokensPerSecond.toFixed(1);
  const gaps = metrics.gaps === null ? '—' : `p50 ${metrics.gaps.p50.toFixed(0)} ms, p99 ${metrics.gaps.p99.toFixed(0)} ms`;
  return (
    `first chunk ${time(metrics.timeToFirstChunk)}, first token ${time(metrics.timeToFirstContent)}, ` +
    `full response ${time(metrics.duration)}; ${tokens} at ${rate} tokens/s; gaps between chunks ${gaps}`
  );
}

/**
 * Runs the three steps against `endpoint`, printing them as the notebook does unless `quiet`.
 * @return The numbers of each step.
 */
export async function runDemo(endpoint: Endpoint, options: DemoOptions, io: CliIO): Promise<DemoReport> {
  const scheduler = io.scheduler ?? asyncScheduler;
  const out: Writable = options.quiet ? { write: () => true } : io.stdout;
  const { model, prompt } = options;

  // 1. What a typical chat completion response looks like
  line(out, '### 1. What a typical chat completion response looks like');
  line(out);
  const request1 = userRequest(model, prompt);
  const { value: completion1, elapsed: total1 } = await lastValueFrom(
    fromRequest((signal) => endpoint.client.complete(request1, signal)).pipe(elapsed(scheduler), untilAborted(io.signal)),
  );
  const usage1 = completion1.usage
    ? usageNumbers(completion1.usage, false)
    : usageNumbers(estimateUsageFor(completion1, request1), true);
  const reply1 = replyText(completion1);
  line(out, `Full response received ${seconds(total1)} seconds after request`);
  line(out, 'Full response received:');
  line(out, JSON.stringify(completion1));
  line(out);
  line(out, 'Extracted content:');
  line(out, reply1);
  line(out, `Usage: ${formatUsage(usage1)}`);
  line(out);

  // 2. How to stream a chat completion
  line(out, '### 2. How to stream a chat completion');
  line(out);
  const request2 = userRequest(model, ONE_PLUS_ONE_PROMPT);
  const streamed2 = await streamRequest(endpoint, request2, io, (chunk) => {
    line(out, JSON.stringify(chunk));
    const choice = chunk.choices?.[0];
    line(out, choice === undefined ? '[no choices]' : String(choice.delta?.content ?? null));
    line(out, STARS);
  });
  line(out);
  line(out, `Reply: ${replyText(streamed2.completion)}`);
  line(
    out,
    `Usage: ${formatUsage(
      usageNumbers(streamed2.usage, streamed2.usage.estimated),
      streamed2.usage.estimated ? 'no stream_options.include_usage, so counted locally with usage()' : 'from the server',
    )}`,
  );
  line(out);

  // 3. How much time is saved by streaming a chat completion
  line(out, '### 3. How much time is saved by streaming a chat completion');
  line(out);
  const request3: Request = { ...userRequest(model, prompt), stream_options: { include_usage: true } };
  const streamed3 = await streamRequest(endpoint, request3, io, (chunk, ms) => {
    line(out, `Message received ${seconds(ms)} seconds after request: ${describeChunk(chunk)}`);
  });
  const usage3 = usageNumbers(streamed3.usage, streamed3.usage.estimated);
  const reply3 = replyText(streamed3.completion);
  line(out, `Full response received ${seconds(streamed3.totalMs)} seconds after request`);
  line(out, `Full conversation received (rebuilt with toChatCompletion()): ${reply3}`);
  line(out, `Figures (streamMetrics()): ${describeMetrics(streamed3.metrics)}`);
  line(
    out,
    `Usage: ${formatUsage(
      usage3,
      usage3.estimated
        ? 'counted locally with usage(): the server sent no usage chunk'
        : 'from the server, with stream_options.include_usage, read by usage()',
    )}`,
  );
  line(out);

  const saved = total1 - streamed3.timeToFirstTokenMs;
  line(out, '#### Time comparison');
  line(out);
  const row = (label: string, first: string, full: string): string => `${label.padEnd(24)}${pad(first, 13)}${pad(full, 16)}`;
  line(out, row('', 'first token', 'full response'));
  line(out, row('1. without streaming', `${seconds(total1)} s`, `${seconds(total1)} s`));
  line(out, row('3. with streaming', `${seconds(streamed3.timeToFirstTokenMs)} s`, `${seconds(streamed3.totalMs)} s`));
  line(out);
  const fullStreamed = seconds(streamed3.totalMs);
  const fullPlain = seconds(total1);
  const close = Math.abs(streamed3.totalMs - total1) <= 0.15 * Math.max(streamed3.totalMs, total1);
  line(
    out,
    saved > 0
      ? `Streaming showed the first token ${seconds(saved)} seconds sooner than the non-streamed reply arrived ` +
          `(${seconds(streamed3.timeToFirstTokenMs)} s instead of ${fullPlain} s); the full response took ` +
          (close ? `about as long either way (${fullStreamed} s vs ${fullPlain} s).` : `${fullStreamed} s streamed, ${fullPlain} s not.`)
      : `This time streaming did not show the first token sooner (${seconds(streamed3.timeToFirstTokenMs)} s vs ${fullPlain} s): ` +
          'the reply is short, or the server buffers its stream.',
  );

  const step = (
    n: 1 | 2 | 3,
    title: string,
    stepPrompt: string,
    streamed: Streamed | undefined,
    fallback?: { totalMs: number; reply: string; usage: UsageNumbers },
  ): DemoStep => ({
    step: n,
    title,
    prompt: stepPrompt,
    streamed: streamed !== undefined,
    endpoint: endpoint.kind,
    totalMs: streamed?.totalMs ?? fallback!.totalMs,
    timeToFirstTokenMs: streamed?.timeToFirstTokenMs ?? fallback!.totalMs,
    reply: streamed ? replyText(streamed.completion) : fallback!.reply,
    usage: streamed ? usageNumbers(streamed.usage, streamed.usage.estimated) : fallback!.usage,
    chunks: streamed?.chunks ?? 0,
    ...(streamed ? { metrics: streamed.metrics } : {}),
  });
  return {
    endpoint: { kind: endpoint.kind, baseURL: endpoint.baseURL },
    model,
    steps: [
      step(1, 'What a typical chat completion response looks like', prompt, undefined, { totalMs: total1, reply: reply1, usage: usage1 }),
      step(2, 'How to stream a chat completion', ONE_PLUS_ONE_PROMPT, streamed2),
      step(3, 'How much time is saved by streaming a chat completion', prompt, streamed3),
    ],
    timeSavedMs: saved,
  };
}
