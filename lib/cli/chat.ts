/**
 * `rxjs-chat-stream chat "prompt"`: one streamed answer to stdout as it arrives, then one line of
 * numbers on stderr.
 * @internal
 */
import { asyncScheduler, connect, forkJoin, lastValueFrom, reduce, tap } from 'rxjs';
import { contentDeltas } from '../operators/contentDeltas.js';
import { streamMetrics, type StreamMetrics } from '../operators/streamMetrics.js';
import { usage } from '../operators/usage.js';
import { fromChatCompletion } from '../sources/fromChatCompletion.js';
import type { ChatCompletionMessageParam } from '../types.js';
import type { Endpoint } from './endpoint.js';
import { line, type CliIO } from './io.js';
import { formatUsage, seconds, untilAborted, usageNumbers, type UsageNumbers } from './streams.js';

/**
 * The shortest time from the first token to the last chunk that a rate is read from: shorter is
 * "all at once" (the chunks of one burst, a few ms apart, say nothing of the model's speed).
 */
export const MIN_RATE_WINDOW_MS = 50;

/** Options of `chat`. */
export interface ChatOptions {
  model: string;
  prompt: string;
  system?: string;
}

/** What `chat` measured. */
export interface ChatResult {
  timeToFirstTokenMs: number | undefined;
  totalMs: number;
  /** Completion tokens per second, from the first token to the last chunk (undefined for one token or a burst under 50 ms). */
  tokensPerSecond: number | undefined;
  usage: UsageNumbers;
  /** Everything `streamMetrics()` measured. */
  metrics: StreamMetrics;
  endedWithNewline: boolean;
}

/** Streams the answer to `io.stdout`, then writes the numbers to `io.stderr`. */
export async function runChat(endpoint: Endpoint, options: ChatOptions, io: CliIO): Promise<ChatResult> {
  const scheduler = io.scheduler ?? asyncScheduler;
  const messages: ChatCompletionMessageParam[] = [];
  if (options.system !== undefined) messages.push({ role: 'system', content: options.system });
  messages.push({ role: 'user', content: options.prompt });
  const request = { model: options.model, messages, stream_options: { include_usage: true } };

  let lastText = '';
  const answer = lastValueFrom(
    fromChatCompletion(endpoint.client.streaming, request).pipe(
      connect((shared) =>
        forkJoin({
          deltas: shared.pipe(
            contentDeltas(),
            tap((text) => {
              io.stdout.write(text);
              lastText = text;
            }),
            reduce((n) => n + 1, 0),
          ),
          usage: shared.pipe(usage(request)),
          metrics: shared.pipe(streamMetrics({ scheduler, model: options.model })),
        }),
      ),
      untilAborted(io.signal),
    ),
  );
  let result: Awaited<typeof answer>;
  try {
    result = await answer;
  } catch (error) {
    // Part of the answer was printed: end its line before the error line.
    if (lastText !== '' && !lastText.endsWith('\n')) io.stdout.write('\n');
    throw error;
  }

  const endedWithNewline = lastText.endsWith('\n');
  if (!endedWithNewline) io.stdout.write('\n');
  const { metrics } = result;
  const counted = usageNumbers(result.usage, result.usage.estimated);
  const firstTokenMs = metrics.timeToFirstContent ?? undefined;
  // One token, or all at once (a burst shorter than a rate can be read from: instant timing, a
  // cache): no rate to speak of.
  const window = firstTokenMs === undefined ? 0 : metrics.duration - firstTokenMs;
  const tokensPerSecond = window >= MIN_RATE_WINDOW_MS && metrics.outputTokensPerSecond !== null ? metrics.outputTokensPerSecond : undefined;
  const gaps = metrics.gaps;
  const parts = [
    endpoint.kind === 'local' ? '[local server]' : `[${endpoint.baseURL}]`,
    `time to first token ${firstTokenMs === undefined ? '—' : `${seconds(firstTokenMs)} s`}`,
    `${tokensPerSecond === undefined ? '—' : tokensPerSecond.toFixed(1)} tokens/s`,
    ...(gaps === null || tokensPerSecond === undefined ? [] : [`gaps p50 ${gaps.p50.toFixed(0)} ms, p99 ${gaps.p99.toFixed(0)} ms`]),
    `total ${seconds(metrics.duration)} s`,
    `usage ${formatUsage(counted, counted.estimated ? 'counted locally: the server sent none' : 'from the server')}`,
  ];
  line(io.stderr, parts.join(' · '));
  return {
    timeToFirstTokenMs: firstTokenMs,
    totalMs: metrics.duration,
    tokensPerSecond,
    usage: counted,
    metrics,
    endedWithNewline,
  };
}
