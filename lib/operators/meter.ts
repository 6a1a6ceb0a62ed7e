import { Observable, type MonoTypeOperatorFunction } from 'rxjs';
import { ChatCompletionAccumulator } from '../accumulation/ChatCompletionAccumulator.js';
import { InvalidInputError } from '../errors.js';
import { isObject } from '../json.js';
import { estimateUsageWhenReady, type UsageRequest } from '../tokens/estimateUsage.js';
import type { ChatCompletionChunk } from '../types.js';
import { reportUnhandledError } from './reportUnhandledError.js';
import type { EstimatedUsage } from './usage.js';

/** How a metered stream ended. */
export type MeterEnding =
  /** The source completed. */
  | 'complete'
  /** The source errored (the error is in `error`). */
  | 'error'
  /** The subscriber left first (a client that disconnected, a `take`, a `switchMap`): the request was aborted. */
  | 'unsubscribe';

/** What {@link meter} reports, once per subscription. */
export interface MeteredUsage extends EstimatedUsage {
  /** How the stream ended. */
  ending: MeterEnding;
  /** How many chunks had passed. 0 with `ending: 'unsubscribe'` means the answer never started. */
  chunks: number;
  /** The error that ended the stream, when `ending` is `'error'`. */
  error?: unknown;
}

const WHERE = 'meter';

/**
 * Passes the chunks through unchanged and reports the usage once, however the stream ends:
 * completed, errored, or unsubscribed.
 *
 * <span class="informal">For gateways that bill: the tokens of an aborted stream are counted too,
 * not lost.</span>
 *
 * ```
 * source:   --r--a--b--f--u--|         u: usage chunk (prompt 3, completion 2)
 * meter(request, onUsage)
 * result:   --r--a--b--f--u--|         onUsage({ prompt_tokens: 3, completion_tokens: 2, total_tokens: 5,
 *                                               estimated: false, ending: 'complete', chunks: 5 }) before |
 *
 * source:   --r--a--b--f--|            (no include_usage)
 * result:   --r--a--b--f--|            onUsage({ …counted, estimated: true, ending: 'complete', chunks: 4 })
 *
 * source:   --r--a--b-----             the client disconnects at !
 * result:   --r--a--b--!               onUsage({ …counted from r a b, estimated: true, ending: 'unsubscribe', chunks: 3 })
 * source:   ^----------!               unsubscribed: the request is aborted first
 * ```
 *
 * Every chunk passes on as it is; each is also merged (the same merge as `toChatCompletion()`,
 * O(chunk)) so that the output so far can be counted. When the stream ends, `onUsage` is called
 * once, before the completion or the error is passed on (after the source was unsubscribed, for
 * an unsubscription), with:
 * - the server's usage (the last non-null `usage` of the stream, with
 *   `stream_options: { include_usage: true }`) when it came: `estimated: false`;
 * - otherwise a count, `estimated: true`: `prompt_tokens` by `countPromptTokens` from `request`
 *   (its `messages` and `tools`; 0 without them, then `promptCounted: false`), `completion_tokens`
 *   from what arrived so far, counted as `usage()` counts a whole answer (text, refusals, tool
 *   calls, reasoning text), `total_tokens` their sum;
 * - `ending` (`'complete'`, `'error'`, `'unsubscribe'`), `chunks` (how many had passed), and
 *   `error` for an error.
 * A stream unsubscribed before its first chunk still reports the counted prompt, with `chunks: 0`:
 * the server may or may not have read it; the API bills a prompt it processed, so decide with
 * `chunks` what your gateway charges.
 *
 * An `onUsage` that throws does not break the stream: the chunks, the completion and the error
 * go on as if it had not, and what it threw is reported like an error thrown in a subscriber's
 * callback: to rxjs's `config.onUnhandledError` when set, else rethrown on a fresh call stack
 * (in Node, an uncaught exception: set `config.onUnhandledError` in a server). A chunk the merge
 * cannot read passes on too (the count then covers what could be read); a request whose
 * `messages` cannot be counted is reported the same way as a throwing `onUsage`, and `onUsage` is
 * then not called.
 *
 * Where the encoding loads asynchronously (browsers), the count, and so `onUsage`, comes once
 * `loadEncoding` resolved; the stream does not wait for it.
 *
 * ## Example
 * ```ts
 * import { createServer } from 'node:http';
 * import OpenAI from 'openai';
 * import { config } from 'rxjs';
 * import { fromChatCompletion, meter, pipeSSE } from 'rxjs-chat-stream';
 *
 * config.onUnhandledError = (error) => console.error('metering failed', error);
 * const client = new OpenAI();
 * createServer((req, res) => {
 *   const request = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'Count to 100' }] };
 *   pipeSSE(fromChatCompletion(client, request).pipe(meter(request, (used) => console.log(used))), res);
 * }).listen(8080, '127.0.0.1');
 * // Logs (a client that disconnected after "1, 2, 3"):
 * // { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18, estimated: true, promptCounted: true, ending: 'unsubscribe', chunks: 8 }
 * ```
 *
 * @see {@link usage}
 * @see {@link pipeSSE}
 *
 * @param request The request that was sent (a whole `ChatCompletionCreateParams` will do), to count
 * the prompt when the server reports no usage; `undefined` counts the completion only.
 * @param onUsage Called once per subscription with the usage, however the stream ended.
 * @return A function that returns an Observable that mirrors the source and reports its usage once it ends.
 */
export function meter(
  request: UsageRequest | undefined,
  onUsage: (usage: MeteredUsage) => void,
): MonoTypeOperatorFunction<ChatCompletionChunk> {
  if (request !== undefined && !isObject(request)) {
    throw new InvalidInputError(`${WHERE}() request`, request, 'a request object (model, messages, tools) or undefined');
  }
  if (typeof onUsage !== 'function') throw new InvalidInputError(`${WHERE}() onUsage`, onUsage, 'a function');

  return (source) =>
    new Observable<ChatCompletionChunk>((subscriber) => {
      const accumulator = new ChatCompletionAccumulator();
      let chunks = 0;
      let reported = false;

      const report = (ending: MeterEnding, error?: unknown): void => {
        if (reported) return;
        reported = true;
        const extra = { ending, chunks, ...(ending === 'error' ? { error } : {}) };
        const call = (usage: MeteredUsage): void => {
          try {
            onUsage(usage);
          } catch (failure) {
            reportUnhandledError(failure);
          }
        };
        const sent = accumulator.usage;
        if (sent !== undefined) {
          call({ ...sent, estimated: false, promptCounted: true, ...extra });
          return;
        }
        const promptCounted = request?.messages != null;
        try {
          estimateUsageWhenReady(accumulator.snapshot(), request).subscribe({
            next: (counted) => call({ ...counted, estimated: true, promptCounted, ...extra }),
            error: reportUnhandledError,
          });
        } catch (failure) {
          reportUnhandledError(failure);
        }
      };

      const upstream = source.subscribe({
        next(chunk) {
          chunks++;
          try {
            accumulator.push(chunk);
          } catch {
            // Not readable by the merge: it passes on all the same (the count covers the rest).
          }
          subscriber.next(chunk);
        },
        error(error: unknown) {
          report('error', error);
          subscriber.error(error);
        },
        complete() {
          report('complete');
          subscriber.complete();
        },
      });

      return () => {
        upstream.unsubscribe();
        report('unsubscribe');
      };
    });
}
