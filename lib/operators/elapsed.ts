import { asyncScheduler, Observable, type OperatorFunction, type TimestampProvider } from 'rxjs';

/** A value with the time it arrived, relative to the subscription and to the previous value. */
export interface Elapsed<T> {
  value: T;
  /** Milliseconds since the subscription (since the request, for a cold source). */
  elapsed: number;
  /** Milliseconds since the previous value (since the subscription for the first one). */
  interval: number;
}

/**
 * Stamps each value with the time since subscription and since the previous value.
 *
 * <span class="informal">The classic notebook's "Message received 0.31 seconds after request".</span>
 *
 * ```
 * source:   ---a---------b--c--|
 * elapsed()
 * result:   ---x---------y--z--|    x: { value: a, elapsed: 3, interval: 3 }
 *                                   y: { value: b, elapsed: 13, interval: 10 }
 *                                   z: { value: c, elapsed: 16, interval: 3 }
 * ```
 *
 * The clock starts when the result is subscribed to, which for a cold source such as
 * `fromChatCompletion` is the moment the request is sent: `elapsed` of the first chunk is the
 * time to first token. Time comes from `scheduler.now()` (the `asyncScheduler` by default, a
 * `TestScheduler` in virtual-time tests), never from `Date.now()`. Errors and completion pass
 * through.
 *
 * ## Example
 * ```ts
 * import { fromChatCompletion, contentDeltas, elapsed } from 'rxjs-chat-stream';
 * import OpenAI from 'openai';
 *
 * fromChatCompletion(new OpenAI(), { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Count to 3' }] })
 *   .pipe(contentDeltas(), elapsed())
 *   .subscribe(({ value, elapsed }) =>
 *     console.log(`Message received ${(elapsed / 1000).toFixed(2)} seconds after request: ${value}`));
 * // Logs:
 * // Message received 0.31 seconds after request: 1
 * // Message received 0.33 seconds after request: ,
 * // …
 * ```
 *
 * @see {@link contentDeltas}
 *
 * @param scheduler Where the time comes from: anything with `now()`; default `asyncScheduler`.
 * @return A function that returns an Observable that emits `{ value, elapsed, interval }` for each source value.
 */
export function elapsed<T>(scheduler: TimestampProvider = asyncScheduler): OperatorFunction<T, Elapsed<T>> {
  return (source) =>
    new Observable<Elapsed<T>>((subscriber) => {
      const start = scheduler.now();
      let previous = start;
      return source.subscribe({
        next(value) {
          let now: number;
          try {
            now = scheduler.now();
          } catch (error) {
            subscriber.error(error);
            return;
          }
          const interval = now - previous;
          previous = now;
          subscriber.next({ value, elapsed: now - start, interval });
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
    });
}
