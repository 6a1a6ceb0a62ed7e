import { asyncScheduler, Observable, type MonoTypeOperatorFunction, type SchedulerAction, type SchedulerLike, type Subscription } from 'rxjs';
import { InvalidInputError, StreamTimeoutError, type StreamTimeoutPhase } from '../errors.js';
import { optionsOf, positiveOption, schedulerOption } from './operatorOptions.js';

/** Options of {@link streamTimeout}: at least one of `first`, `idle`, `total`. */
export interface StreamTimeoutOptions {
  /** Ms from the subscription (the request) to the first chunk. Default: `idle`, when set. */
  first?: number;
  /** Ms from one chunk to the next. */
  idle?: number;
  /** Ms from the subscription to the end of the stream. */
  total?: number;
  /** The clock of the three limits; default `asyncScheduler`. */
  scheduler?: SchedulerLike;
}

const WHERE = 'streamTimeout';

/**
 * Errors with a `StreamTimeoutError` when the first chunk, the next chunk or the whole stream
 * takes too long, aborting the request.
 *
 * <span class="informal">A silent server never hangs your pipeline: three clocks, one per way
 * a stream can stall.</span>
 *
 * ```
 * source:   ----------------             (a server that never answers)
 * streamTimeout({ first: 10 })
 * result:   ----------#                  # = StreamTimeoutError, phase 'first', limitMs 10
 * source:   ^---------!                  unsubscribed: the request is aborted
 *
 * source:   --a--b-------------c--|
 * streamTimeout({ idle: 5 })
 * result:   --a--b-----#                 # = StreamTimeoutError, phase 'idle' (after 2 chunks)
 *
 * source:   -a-b-c-d-e-f-g-h-i-j-|
 * streamTimeout({ total: 8 })
 * result:   -a-b-c-d#                    # = StreamTimeoutError, phase 'total'
 * ```
 *
 * Three limits, each optional (give at least one), all in ms of the scheduler's clock:
 * - `first`: from the subscription (for a cold source, the moment the request is sent) to the
 *   first chunk: the time to first token, which reasoning models make long;
 * - `idle`: from one chunk to the next; without `first`, it bounds the wait for the first
 *   chunk too (as rxjs's `timeout({ each })` does), and that wait is then reported as the phase
 *   `'first'`;
 * - `total`: from the subscription to the end of the stream, however fast it flows.
 *
 * When a limit runs out, the source is unsubscribed first (which aborts the request of
 * `fromChatCompletion` and `fromSSE`: the server sees the connection close), then the result
 * errors with a {@link StreamTimeoutError}: `phase` (`'first'`, `'idle'` or `'total'`),
 * `limitMs`, and `chunks`, how many had arrived. Values, errors and completion pass through
 * unchanged; a limit that has not run out is cancelled when the stream ends.
 *
 * It keeps no copy of the output, so it does not set `partial` itself: pipe the result into
 * `toChatCompletion()`, `accumulate()` or `usage()`, which attach the snapshot of what came to
 * any error that passes through them, this one included. A timeout of the phase `'first'` is
 * one {@link retryStream} retries (nothing was emitted yet), so put `streamTimeout` before it.
 *
 * Each chunk costs one read of the clock: the idle timer is not re-armed per chunk, it checks
 * the time of the last chunk when it fires and sleeps on for what is left.
 *
 * Options are checked when it is called: a limit that is not a finite number of ms > 0, or no
 * limit at all, throws an `InvalidInputError`.
 *
 * ## Example
 * ```ts
 * import OpenAI from 'openai';
 * import { fromChatCompletion, streamTimeout, toChatCompletion, StreamTimeoutError } from 'rxjs-chat-stream';
 *
 * fromChatCompletion(new OpenAI(), { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] })
 *   .pipe(streamTimeout({ first: 10_000, idle: 5_000, total: 60_000 }), toChatCompletion())
 *   .subscribe({
 *     next: (completion) => console.log(completion.choices[0]?.message.content),
 *     error: (error) => {
 *       if (error instanceof StreamTimeoutError) console.log(error.phase, error.limitMs, error.partial?.choices[0]?.message.content);
 *     },
 *   });
 * // Logs (a server that stalled after "Hello"):
 * // idle 5000 Hello
 * ```
 *
 * @see {@link retryStream}
 * @see {@link toChatCompletion}
 *
 * @param options `first`, `idle`, `total` (ms; at least one) and `scheduler` (default `asyncScheduler`).
 * @return A function that returns an Observable that mirrors the source, or errors with a
 * `StreamTimeoutError` (after unsubscribing from the source) when a limit runs out.
 */
export function streamTimeout<T>(options: StreamTimeoutOptions): MonoTypeOperatorFunction<T> {
  const given = optionsOf<StreamTimeoutOptions>(options, `${WHERE}()`);
  const idle = positiveOption(given.idle, `${WHERE}() options.idle`, 'ms');
  const first = positiveOption(given.first, `${WHERE}() options.first`, 'ms') ?? idle;
  const total = positiveOption(given.total, `${WHERE}() options.total`, 'ms');
  const scheduler = schedulerOption(given.scheduler, `${WHERE}() options.scheduler`, asyncScheduler);
  if (first === undefined && total === undefined) {
    throw new InvalidInputError(`${WHERE}() options`, options, 'an object with at least one of first, idle, total');
  }

  return (source) =>
    new Observable<T>((subscriber) => {
      let chunks = 0;
      /** When the current wait started: the subscription, then the last chunk. */
      let since = scheduler.now();
      let upstream: Subscription | undefined;
      let waiter: Subscription | undefined;
      let deadline: Subscription | undefined;

      const fail = (phase: StreamTimeoutPhase, limitMs: number): void => {
        // The request is aborted before anyone hears of the timeout (a retry starts a fresh one).
        upstream?.unsubscribe();
        subscriber.error(new StreamTimeoutError(phase, limitMs, chunks));
      };

      /**
       * Waits `delay` ms, then fails unless a chunk came meanwhile; if one did, sleeps on for what
       * is left of the limit since the last one. The limit is `first` before any chunk, then `idle`.
       */
      const wait = (limit: number, delay: number): Subscription =>
        scheduler.schedule(function (this: SchedulerAction<undefined>) {
          const left = since + limit - scheduler.now();
          if (left > 0) this.schedule(undefined, left);
          else fail(chunks === 0 ? 'first' : 'idle', limit);
        }, delay);

      if (total !== undefined) deadline = scheduler.schedule(() => fail('total', total), total);
      if (first !== undefined) waiter = wait(first, first);

      upstream = source.subscribe({
        next(value) {
          if (idle !== undefined) since = scheduler.now();
          if (chunks++ === 0) {
            // From the wait for the first chunk to the wait between chunks (a different limit).
            waiter?.unsubscribe();
            waiter = idle === undefined ? undefined : wait(idle, idle);
          }
          subscriber.next(value);
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });

      return () => {
        upstream?.unsubscribe();
        waiter?.unsubscribe();
        deadline?.unsubscribe();
      };
    });
}
