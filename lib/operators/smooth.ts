import { asyncScheduler, Observable, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import { InvalidInputError } from '../errors.js';
import { numberOption, optionsOf, schedulerOption } from './operatorOptions.js';
import { cutterFactory, type TextUnit } from './textCutter.js';

/** Options of {@link smooth}. */
export interface SmoothOptions {
  /** At most one piece per this many ms; default 10. 0: no pacing (pieces as soon as they are whole). */
  delayMs?: number;
  /** The pieces, as in {@link textChunks}: `'word'` (default), `'sentence'`, `'grapheme'`, `'line'` or a RegExp. */
  by?: TextUnit | RegExp;
  /**
   * The longest a whole piece may wait for its turn, in ms; default 250 (at least `delayMs`).
   * When the model outruns the pace, the pieces that would wait longer go out together.
   * `Infinity`: never catch up.
   */
  maxLagMs?: number;
  /** The segmenter's language (see {@link textChunks}). */
  locale?: string | readonly string[];
  /** Where the time comes from and the timers run; default `asyncScheduler`. */
  scheduler?: SchedulerLike;
}

/**
 * Paces streamed text like a typewriter: at most one word (or sentence, grapheme, line) per `delayMs`.
 *
 * <span class="informal">Bursty deltas in, a steady flow of whole words out, never far behind.</span>
 *
 * ```
 * source:   -a-----------|           a: 'One two three four '
 * smooth({ delayMs: 3 })
 * result:   -w--x--y-----(z|)        w: 'One '  x: 'two '  y: 'three '  z: 'four ' (the last word, at the completion)
 *
 * source:   -a--------b-#            b: 'five six'
 * smooth({ delayMs: 3 })
 * result:   -w--x--y--z-(v#)         z: 'four '  v: 'five six' (on an error, everything at once)
 * ```
 *
 * The text is cut as {@link textChunks} cuts it (`by`, `locale`), and each whole piece is queued.
 * A piece goes out at once when the last one went out at least `delayMs` ago, else when its turn
 * comes, one per `delayMs`. The lag of a piece is the time from the moment it is whole (the text
 * that finished it arrived) to its emission; it never exceeds `maxLagMs`: at each turn, the pieces
 * that could not wait for the next one go out with the current one, joined into one string. So
 * a burst of text (a slow model that sends a paragraph at once) is typed out, while a model that
 * is faster than the pace is followed at most `maxLagMs` behind.
 *
 * - Completion: the last piece (the text after the last cut) is queued too, and the rest is
 *   typed out at the same pace before the result completes, at most `maxLagMs` after the source.
 * - Error: everything queued and held goes out at once, in one string, before the error: no text
 *   that arrived is lost.
 * - Unsubscribing cancels the timer.
 *
 * Joined, the values are exactly the text of the source. A value that is not a string errors with
 * an `InvalidInputError` (the text before it comes first); so do bad options (at the call).
 *
 * ## Example
 * ```ts
 * import { fromChatCompletion, contentDeltas, smooth } from 'rxjs-chat-stream';
 * import OpenAI from 'openai';
 *
 * fromChatCompletion(new OpenAI(), { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Write a haiku' }] })
 *   .pipe(contentDeltas(), smooth({ delayMs: 40 }))
 *   .subscribe((word) => process.stdout.write(word));
 * // Logs (a word every 40 ms):
 * // Autumn moonlight—
 * // a worm digs silently
 * // into the chestnut.
 * ```
 *
 * @see {@link textChunks}
 * @see {@link renderRate}
 *
 * @param options `delayMs` (10), `by` (`'word'`), `maxLagMs` (250), `locale`, `scheduler` (`asyncScheduler`).
 * @return A function that returns an Observable that emits the text of the source in whole pieces, paced.
 */
export function smooth(options: SmoothOptions = {}): OperatorFunction<string, string> {
  const given = optionsOf<SmoothOptions>(options, 'smooth()');
  const delayMs = numberOption(given.delayMs, 'smooth() options.delayMs', 10);
  const maxLagMs = numberOption(given.maxLagMs, 'smooth() options.maxLagMs', Math.max(250, delayMs), delayMs, true);
  const scheduler = schedulerOption(given.scheduler, 'smooth() options.scheduler', asyncScheduler);
  const newCutter = cutterFactory(given.by, given.locale, 'smooth()');
  return (source) =>
    new Observable<string>((subscriber) => {
      const cutter = newCutter();
      const whole: string[] = [];
      const collect = (piece: string): void => {
        whole.push(piece);
      };
      /** Whole pieces waiting for their turn, and when each became whole. */
      let queue: string[] = [];
      let since: number[] = [];
      let head = 0;
      let lastEmission = -Infinity;
      let timer: Subscription | undefined;
      let sourceDone = false;

      /** Emits the next piece, with every queued piece that could not wait for the turn after. */
      const turn = (): void => {
        timer = undefined;
        const now = scheduler.now();
        let text = queue[head++] as string;
        while (head < queue.length && (delayMs === 0 || (since[head] as number) + maxLagMs < now + delayMs)) {
          text += queue[head++] as string;
        }
        if (head === queue.length) {
          queue = [];
          since = [];
          head = 0;
        }
        lastEmission = now;
        subscriber.next(text);
        if (subscriber.closed) return;
        if (head < queue.length) timer = scheduler.schedule(turn, delayMs);
        else if (sourceDone) subscriber.complete();
      };

      const enqueue = (pieces: readonly string[]): void => {
        if (pieces.length === 0) return;
        const now = scheduler.now();
        for (const piece of pieces) {
          queue.push(piece);
          since.push(now);
        }
        if (timer !== undefined) return;
        const wait = lastEmission + delayMs - now;
        if (wait <= 0) turn();
        else timer = scheduler.schedule(turn, wait);
      };

      /** Everything queued and held, at once, then `end`. */
      const flushAll = (end: () => void): void => {
        timer?.unsubscribe();
        timer = undefined;
        cutter.flush(collect);
        const rest = queue.slice(head).join('') + whole.join('');
        whole.length = 0;
        queue = [];
        since = [];
        head = 0;
        if (rest !== '') subscriber.next(rest);
        end();
      };

      const upstream = source.subscribe({
        next(delta: unknown) {
          if (typeof delta !== 'string') {
            flushAll(() => subscriber.error(new InvalidInputError('smooth() value', delta, 'a string')));
            return;
          }
          try {
            cutter.push(delta, collect);
            enqueue(whole);
          } catch (error) {
            flushAll(() => subscriber.error(error));
          } finally {
            if (whole.length !== 0) whole.length = 0;
          }
        },
        error(error: unknown) {
          flushAll(() => subscriber.error(error));
        },
        complete() {
          sourceDone = true;
          try {
            cutter.flush(collect);
            enqueue(whole);
            whole.length = 0;
          } catch (error) {
            flushAll(() => subscriber.error(error));
            return;
          }
          if (timer === undefined && head === queue.length) subscriber.complete();
        },
      });
      return () => {
        timer?.unsubscribe();
        upstream.unsubscribe();
      };
    });
}
