import { asyncScheduler, Observable, type MonoTypeOperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import { fractionOption, functionOption, integerOption, numberOption, optionsOf, schedulerOption } from './operatorOptions.js';
import { isRetryableError, retryWait, type Backoff } from './retryRules.js';

/** Options of {@link retryStream}. */
export interface RetryStreamOptions {
  /** How many times to retry (so at most `count + 1` requests); default 2, as the `openai` SDK. */
  count?: number;
  /** The first backoff wait in ms, doubled per retry; default 500. */
  delay?: number;
  /** The longest wait in ms, backoff or `retry-after`; default 8000. A longer `retry-after` is not waited out. */
  maxDelay?: number;
  /** How much of each backoff wait may be cut at random, 0 to 1; default 0.25. */
  jitter?: number;
  /**
   * Whether to retry this error, instead of the built-in rule; `attempt` is the number of the
   * retry that would follow (1 for the first). Never asked once a chunk was emitted.
   */
  retryOn?: (error: unknown, attempt: number) => boolean;
  /** Random numbers in [0, 1) for the jitter; default `Math.random` (seed one for tests). */
  random?: () => number;
  /** The clock of the waits; default `asyncScheduler`. */
  scheduler?: SchedulerLike;
}

const WHERE = 'retryStream';

/**
 * Subscribes to the source again after a failure that came before its first chunk, when the
 * failure is worth another request: never once output began, so nothing is ever duplicated.
 *
 * <span class="informal">Rate limits, server errors and dropped connections before the answer
 * starts cost a wait, not a failure; a stream cut mid-answer is never replayed.</span>
 *
 * ```
 * source:   --#                         1st request: 503
 *               -#                      2nd, after the backoff (2 ms): 429, retry-after 3 ms
 *                   --a--b--|           3rd, after the server's 3 ms: the answer
 * retryStream({ delay: 2, jitter: 0 })
 * result:   ----------a--b--|
 *
 * source:   --a--#                      an error after a chunk: passed on, never retried
 * result:   --a--#
 * ```
 *
 * On an error from the source before any chunk was emitted, it asks whether the error is worth
 * another request, and if so re-subscribes to the (cold) source after a wait: for
 * `fromChatCompletion` and `fromSSE`'s factory form, a fresh request. Once a chunk was emitted,
 * every error passes on unchanged (with `partial` when it has one): retrying then would send the
 * beginning of the answer twice.
 *
 * Retried (the rule; `retryOn(error, attempt)` replaces it):
 * - an HTTP status 408, 409, 429 or 5xx: `HTTPStatusError`, or the `openai` SDK's `APIError`s,
 *   recognised by their numeric `status` (the SDK's `x-should-retry` response header decides
 *   when present, as in the SDK);
 * - a network failure: the SDK's `APIConnectionError`/`APIConnectionTimeoutError`, `fetch`'s
 *   `TypeError: fetch failed` (or `terminated`), or a transient system code on the error or in
 *   its `cause` chain (`ECONNRESET`, `ECONNREFUSED`, `ETIMEDOUT`, `EPIPE`, `EAI_AGAIN`, undici's
 *   `UND_ERR_SOCKET` and timeouts); not `ENOTFOUND`, not TLS errors;
 * - an error event with `type: 'server_error'` (`StreamAPIError`, or the SDK's `APIError`
 *   without a status) that came before output;
 * - a `StreamTimeoutError` of the phase `'first'` (put {@link streamTimeout} before this operator).
 * Never an abort (`AbortError`, `APIUserAbortError`), a 4xx other than 408/409/429, a parse error.
 *
 * The wait before retry `n` is the server's when it asked (`HTTPStatusError.retryAfterMs`, or the
 * SDK error's `retry-after-ms` / `retry-after` headers), else `delay × 2^(n−1)` capped at
 * `maxDelay`, minus up to `jitter` of it at random (`random`, seedable). A server asking for more
 * than `maxDelay` is not waited out: its error passes on at once (retrying sooner would only be
 * refused again; reschedule the work instead). After `count` retries, the last error passes on
 * unchanged. Unsubscribing during a wait cancels it; during a request, aborts it. Give the SDK
 * `maxRetries: 0` so that retries are not made twice.
 *
 * A `retryOn` that throws errors the result with what it threw. Options are checked when it is
 * called: a bad one throws an `InvalidInputError`.
 *
 * ## Example
 * ```ts
 * import OpenAI from 'openai';
 * import { fromChatCompletion, streamTimeout, retryStream, toChatCompletion } from 'rxjs-chat-stream';
 *
 * const client = new OpenAI({ maxRetries: 0 });
 * fromChatCompletion(client, { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] })
 *   .pipe(streamTimeout({ first: 10_000, idle: 5_000 }), retryStream({ count: 3 }), toChatCompletion())
 *   .subscribe((completion) => console.log(completion.choices[0]?.message.content));
 * // Logs (after a 429 and a wait of the server's retry-after):
 * // Hello! How can I help you today?
 * ```
 *
 * @see {@link streamTimeout}
 * @see {@link streamMany}
 *
 * @param options `count`, `delay`, `maxDelay`, `jitter`, `retryOn`, `random`, `scheduler`.
 * @return A function that returns an Observable that mirrors the source, subscribing to it again
 * after a retryable failure before the first chunk.
 */
export function retryStream<T>(options: RetryStreamOptions = {}): MonoTypeOperatorFunction<T> {
  const given = optionsOf<RetryStreamOptions>(options, `${WHERE}()`);
  const count = (integerOption(given.count, `${WHERE}() options.count`, 0) ?? 2);
  const backoff: Backoff = {
    delay: numberOption(given.delay, `${WHERE}() options.delay`, 500, 0, false, 'ms'),
    maxDelay: numberOption(given.maxDelay, `${WHERE}() options.maxDelay`, 8000, 0, false, 'ms'),
    jitter: fractionOption(given.jitter, `${WHERE}() options.jitter`, 0.25),
    random: functionOption<() => number>(given.random, `${WHERE}() options.random`) ?? Math.random,
  };
  const retryOn = functionOption<(error: unknown, attempt: number) => boolean>(given.retryOn, `${WHERE}() options.retryOn`);
  const scheduler = schedulerOption(given.scheduler, `${WHERE}() options.scheduler`, asyncScheduler);

  return (source) =>
    new Observable<T>((subscriber) => {
      let emitted = false;
      let retries = 0;
      let current: Subscription | undefined;
      let pause: Subscription | undefined;

      /** The wait before the next attempt, or undefined to let the error through. */
      const planRetry = (error: unknown): number | undefined => {
        if (emitted || retries >= count) return undefined;
        const attempt = retries + 1;
        const retry = retryOn === undefined ? isRetryableError(error) : retryOn(error, attempt) === true;
        return retry ? retryWait(error, attempt, backoff, scheduler) : undefined;
      };

      const attempt = (): void => {
        current = source.subscribe({
          next(value) {
            emitted = true;
            subscriber.next(value);
          },
          error(error: unknown) {
            let wait: number | undefined;
            try {
              wait = planRetry(error);
            } catch (failure) {
              subscriber.error(failure);
              return;
            }
            if (wait === undefined) {
              subscriber.error(error);
              return;
            }
            retries++;
            pause = scheduler.schedule(attempt, wait);
          },
          complete: () => subscriber.complete(),
        });
      };
      attempt();

      return () => {
        current?.unsubscribe();
        pause?.unsubscribe();
      };
    });
}
