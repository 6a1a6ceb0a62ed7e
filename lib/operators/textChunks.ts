import { Observable, type OperatorFunction } from 'rxjs';
import { InvalidInputError } from '../errors.js';
import { optionsOf } from './operatorOptions.js';
import { cutterFactory, type TextUnit } from './textCutter.js';

/** Options of {@link textChunks}. */
export interface TextChunksOptions {
  /**
   * Where to cut: `'word'` (default), `'sentence'`, `'grapheme'` (by `Intl.Segmenter`), `'line'`,
   * or a RegExp (a piece ends where a match ends).
   */
  by?: TextUnit | RegExp;
  /** The language for `Intl.Segmenter` (`'fa'`, `'th'`, `['ja', 'en']`); default the runtime's. */
  locale?: string | readonly string[];
}

/**
 * Re-cuts streamed text into whole words, sentences, graphemes or lines.
 *
 * <span class="informal">Deltas cut anywhere in, pieces a reader or a speech engine can take out.</span>
 *
 * ```
 * source:   --a-----b---------c-----|      a: 'Hel'   b: 'lo, wor'   c: 'ld! Bye'
 * textChunks({ by: 'word' })
 * result:   --------x---------y-----(z|)   x: 'Hello, '   y: 'world! '   z: 'Bye'
 * ```
 *
 * Takes strings (compose it after {@link contentDeltas}) and emits the same text in other pieces,
 * cut by `Intl.Segmenter` in `locale`, so Persian (ZWNJ inside words, `؟` ending sentences),
 * Arabic, Thai and Japanese (no spaces between words) are cut where their readers cut them:
 * - `'word'`: one piece per word, with what follows it up to the next word (spaces,
 *   punctuation, a line break): `'Hello, '`, `'world! '`, `'می‌خواهم '`. Text before the first
 *   word goes with it. Words of Japanese and Chinese are cut one by one (`'今日'`, `'は'`); a run of
 *   Thai, Lao, Khmer or Myanmar text is cut into words when it ends (a space, a punctuation mark,
 *   the end), since the segmenter cuts an unfinished word of those scripts wrongly.
 * - `'sentence'`: one piece per sentence, with its trailing spaces (`'Hello, world! '`).
 * - `'grapheme'`: one piece per user-perceived character (`'👋🏽'`, `'e\u0301'`).
 * - `'line'`: one piece per line, with its line break (`\n`, `\r\n`, `\r`, U+2028, U+2029).
 * - a RegExp: a piece ends where a match ends (`/[.!?]\s+/`, `/\n\n/`).
 *
 * Only the last piece is held back, since more text may still change it; it is emitted when a
 * later delta finishes it, or when the source completes (or errors: nothing that arrived is
 * lost). Joined, the pieces are always exactly the text, whatever the deltas. Each delta costs
 * O(delta) amortized: the held piece and the delta are segmented, never the whole text, and a
 * piece that never ends (a megabyte without a space in `'word'`, without a line break in `'line'`)
 * is looked at through its last 128 characters only. Cuts that depend on more context than that
 * (a sentence end followed by over a hundred spaces, a RegExp match longer than 128 characters
 * inside such a piece) may be missed: the pieces are then longer, never wrong.
 *
 * A value that is not a string errors with an `InvalidInputError`; so do a `by` or `locale` the
 * operator cannot use (at the call).
 *
 * ## Example
 * ```ts
 * import { fromChatCompletion, contentDeltas, textChunks } from 'rxjs-chat-stream';
 * import OpenAI from 'openai';
 *
 * fromChatCompletion(new OpenAI(), { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hello in Persian' }] })
 *   .pipe(contentDeltas(), textChunks({ by: 'sentence', locale: 'fa' }))
 *   .subscribe((sentence) => console.log(JSON.stringify(sentence)));
 * // Logs:
 * // "سلام! "
 * // "حالت چطور است؟"
 * ```
 *
 * @see {@link contentDeltas}
 * @see {@link smooth}
 *
 * @param options `by`: the unit (default `'word'`); `locale`: the segmenter's language.
 * @return A function that returns an Observable that emits the text of the source in whole pieces.
 */
export function textChunks(options: TextChunksOptions = {}): OperatorFunction<string, string> {
  const { by, locale } = optionsOf<TextChunksOptions>(options, 'textChunks()');
  const newCutter = cutterFactory(by, locale, 'textChunks()');
  return (source) =>
    new Observable<string>((subscriber) => {
      const cutter = newCutter();
      const emit = (piece: string): void => subscriber.next(piece);
      const flush = (): void => cutter.flush(emit);
      return source.subscribe({
        next(delta: unknown) {
          if (typeof delta !== 'string') {
            flush();
            subscriber.error(new InvalidInputError('textChunks() value', delta, 'a string'));
            return;
          }
          cutter.push(delta, emit);
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
    });
}
