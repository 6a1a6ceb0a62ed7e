/**
 * `rxjs-chat-stream chat "prompt"`: one streamed answer to stdout as it arrives, then one line of
 * numbers on stderr.
 * @internal
 */
import { asyncScheduler, connect, filter, forkJoin, lastValueFrom, map, reduce, tap } from 'rxjs';
import { contentDeltas } from '../operators/contentDeltas.js';
import { elapsed } from '../operators/elapsed.js';
import { usage } from '../operators/usage.js';
import { fromChatCompletion } from '../sources/fromChatCompletion.js';
import type { ChatCompletionMessageParam } from '../types.js';
import type { Endpoint } from './endpoint.js';
import { line, type CliIO } from './io.js';
import { carriesOutput, formatUsage, seconds, untilAborted, usageNumbers, type UsageNumbers } from './streams.js';

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
      elapsed(scheduler),
      connect((shared) =>
        forkJoin({
          deltas: shared.pipe(
            map(({ value }) => value),
            contentDeltas(),
            tap((text) => {
              io.stdout.write(text);
              lastText = text;
            }),
            reduce((n) => n + 1, 0),
          ),
          usage: shared.pipe(
            map(({ value }) => value),
            usage(request),
          ),
          firstTokenMs: shared.pipe(
            filter(({ value }) => carriesOutput(value)),
            map(({ elapsed: ms }) => ms),
            reduce((first: number | undefined, ms) => first ?? ms, undefined),
          ),
          totalMs: shared.pipe(reduce((_, { elapsed: ms }) => ms, 0)),
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
  const generationMs = result.firstTokenMs === undefined ? 0 : result.totalMs - result.firstTokenMs;
  const counted = usageNumbers(result.usage, result.usage.estimated);
  // One token, or all at once (a burst shorter than a rate can be read from: instant timing, a
  // cache): no rate to speak of.
  const tokensPerSecond =
    generationMs >= MIN_RATE_WINDOW_MS && counted.completion > 1 ? (counted.completion * 1000) / generationMs : undefined;
  const parts = [
    endpoint.kind === 'local' ? '[local server]' : `[${endpoint.baseURL}]`,
    `time to first token ${result.firstTokenMs === undefined ? '—' : `${seconds(result.firstTokenMs)} s`}`,
    `${tokensPerSecond === undefined ? '—' : tokensPerSecond.toFixed(1)} tokens/s`,
    `total ${seconds(result.totalMs)} s`,
    `usage ${formatUsage(counted, counted.estimated ? 'counted locally: the server sent none' : 'from the server')}`,
  ];
  line(io.stderr, parts.join(' · '));
  return {
    timeToFirstTokenMs: result.firstTokenMs,
    totalMs: result.totalMs,
    tokensPerSecond,
    usage: counted,
    endedWithNewline,
  };
}
