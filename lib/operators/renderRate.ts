import {
  animationFrameScheduler,
  asyncScheduler,
  Observable,
  type MonoTypeOperatorFunction,
  type SchedulerLike,
  type Subscription,
} from 'rxjs';
import { InvalidInputError } from '../errors.js';
import { isScheduler, numberOption, optionsOf, schedulerOption } from './operatorOptions.js';

/**
 * How values that arrive in the same frame are coalesced: `'concat'` joins strings (deltas);
 * `'latest'` keeps the last value (snapshots); `'auto'` joins when both are strings, else keeps
 * the last.
 */
export type RenderRateMode = 'auto' | 'concat' | 'latest';

/** Options of {@link renderRate}. */
export interface RenderRateOptions {
  /** Default `'auto'`. */
  mode?: RenderRateMode;
  /** At most one value per this many ms (on `scheduler`, default `asyncScheduler`), instead of once per animation frame. */
  intervalMs?: number;
  /** The scheduler of the flushes: default `animationFrameScheduler` where `requestAnimationFrame` exists. */
  scheduler?: SchedulerLike;
}

/** Where there is no `requestAnimationFrame` (Node, workers), one frame is this many ms. */
const FRAME_MS = 16;
const MODES: readonly RenderRateMode[] = ['auto', 'concat', 'latest'];

/**
 * Lets at most one value through per animation frame (or interval), joining text so none is lost.
 *
 * <span class="informal">Hundreds of deltas a second in, one render per frame out.</span>
 *
 * ```
 * source:   -a-b-c-------d---|        a: 'Hel'   b: 'lo'   c: ', w'   d: 'orld'
 * renderRate(5)
 * result:   ------x----------(y|)     x: 'Hello, w' (5 ms after a)   y: 'orld' (at the completion)
 * ```
 *
 * A UI that renders once per delta stalls on a fast stream (React's "Maximum update depth
 * exceeded", Angular change detection per token). This operator holds the values that arrive
 * between two frames and emits one value per frame: for strings (deltas), their concatenation;
 * for anything else (snapshots from `accumulate()`), the latest, which already contains the
 * earlier ones. The first value after a quiet spell is emitted at the next frame, not at once, so
 * a render never runs inside the source's callback. On completion and on error, what is held is
 * emitted first (the last value always arrives before the end); unsubscribing cancels the frame.
 *
 * The argument picks the clock:
 * - nothing: once per animation frame (`animationFrameScheduler`) where `requestAnimationFrame`
 *   exists, else (Node, workers) every 16 ms on `asyncScheduler`;
 * - a number: at most one value per that many ms (`asyncScheduler`);
 * - a scheduler: one value per task of it (`animationFrameScheduler`, `asapScheduler`…);
 * - `{ mode, intervalMs, scheduler }`: the mode (`'auto'`, `'concat'`, `'latest'`) and either.
 *
 * In `'concat'` mode a value that is not a string errors with an `InvalidInputError` (the held
 * text first); so do bad options (at the call). Empty strings add nothing and wait for nothing.
 *
 * ## Example
 * ```ts
 * import { fromChatCompletion, contentDeltas, renderRate } from 'rxjs-chat-stream';
 * import OpenAI from 'openai';
 *
 * const output = document.querySelector('#answer')!;
 * fromChatCompletion(new OpenAI({ dangerouslyAllowBrowser: true }), { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] })
 *   .pipe(contentDeltas(), renderRate())
 *   .subscribe((text) => {
 *     output.append(text);
 *     console.log(JSON.stringify(text));
 *   });
 * // Logs (one line per frame, whatever the number of deltas in it):
 * // "Hello! How"
 * // " can I help?"
 * ```
 *
 * @see {@link smooth}
 * @see {@link accumulate}
 *
 * @param options A number of ms, a scheduler, or `{ mode, intervalMs, scheduler }`; default: once per animation frame.
 * @return A function that returns an Observable that emits at most one value per frame: the joined text, or the latest value.
 */
export function renderRate<T>(options?: number | SchedulerLike | RenderRateOptions): MonoTypeOperatorFunction<T> {
  const { mode, delay, scheduler } = readOptions(options);
  return (source) =>
    new Observable<T>((subscriber) => {
      const clock = scheduler ?? defaultClock();
      const wait = scheduler !== undefined || delay !== undefined ? (delay ?? 0) : clock === asyncScheduler ? FRAME_MS : 0;
      let held = false;
      let value: unknown;
      let frame: Subscription | undefined;

      const flush = (): void => {
        frame?.unsubscribe();
        frame = undefined;
        if (!held) return;
        const out = value as T;
        held = false;
        value = undefined;
        subscriber.next(out);
      };

      const upstream = source.subscribe({
        next(next: T) {
          if (typeof next === 'string') {
            if (next === '' && mode !== 'latest') return;
            if (mode !== 'latest' && held && typeof value === 'string') value += next;
            else {
              value = next;
              held = true;
            }
          } else if (mode === 'concat') {
            flush();
            subscriber.error(new InvalidInputError("renderRate({ mode: 'concat' }) value", next, 'a string'));
            return;
          } else {
            value = next;
            held = true;
          }
          frame ??= clock.schedule(flush, wait);
        },
        error(error: unknown) {
          flush();
          subscriber.error(error);
        },
        complete() {
          flush();
          subscriber.complete();
        },
      });
      return () => {
        frame?.unsubscribe();
        upstream.unsubscribe();
      };
    });
}

/** `animationFrameScheduler` where frames exist, else `asyncScheduler` (every `FRAME_MS`). */
function defaultClock(): SchedulerLike {
  return typeof requestAnimationFrame === 'function' ? animationFrameScheduler : asyncScheduler;
}

function readOptions(options: unknown): { mode: RenderRateMode; delay: number | undefined; scheduler: SchedulerLike | undefined } {
  if (options === undefined) return { mode: 'auto', delay: undefined, scheduler: undefined };
  if (typeof options === 'number') {
    return { mode: 'auto', delay: numberOption(options, 'renderRate() interval', 0), scheduler: asyncScheduler };
  }
  if (isScheduler(options)) return { mode: 'auto', delay: undefined, scheduler: options };
  const given = optionsOf<RenderRateOptions>(options, 'renderRate()');
  const mode = given.mode ?? 'auto';
  if (!MODES.includes(mode)) throw new InvalidInputError('renderRate() options.mode', mode, "'auto', 'concat' or 'latest'");
  const delay = given.intervalMs === undefined ? undefined : numberOption(given.intervalMs, 'renderRate() options.intervalMs', 0);
  const scheduler =
    given.scheduler !== undefined
      ? schedulerOption(given.scheduler, 'renderRate() options.scheduler', asyncScheduler)
      : delay !== undefined
        ? asyncScheduler
        : undefined;
  return { mode, delay, scheduler };
}
