import { Observable, type OperatorFunction } from 'rxjs';
import { checkPartialJsonOptions, PartialJsonParser, type PartialJsonOptions } from '../structured/partialJsonParser.js';

export type { PartialJsonOptions } from '../structured/partialJsonParser.js';

/** Before the first emission. */
const NOTHING = Symbol('nothing');

/**
 * Emits, after each piece of JSON text that changes it, the JSON value parsed so far.
 *
 * <span class="informal">Render structured output (or tool-call arguments) while it streams: each piece is read once, never the text again.</span>
 *
 * ```
 * source:   --a-----b-----c-----d--|     a: '{"items":["ap'   b: 'ple", "fig'   c: '"], "n": 4'   d: '2}'
 * partialJson()
 * result:   --A-----B-----------D--|     A: { items: ['ap'] }   B: { items: ['apple', 'fig'] }
 *                                        (c changes nothing: 4 may go on)   D: { items: ['apple', 'fig'], n: 42 }
 * ```
 *
 * Takes strings (compose it after {@link contentDeltas}, or give it one tool call's argument
 * deltas) and emits a new value after each string that changes the value; a string that changes
 * nothing (white space, a key, the inside of a number) emits nothing. The last value deep-equals
 * `JSON.parse` of the whole text. It parses incrementally: its state is kept between strings and no
 * character is read twice, so the total work is linear in the text's length, whatever the number
 * of pieces, where re-parsing the text so far after each piece is quadratic.
 *
 * The values are stable, for a UI:
 * - a string only grows at its end (it appears as `''` at its opening quote; the first half of a
 *   surrogate pair waits for the second);
 * - an array or an object only gains entries, each keeps its type, and all but the last one read
 *   are complete; a key appears with its value (`{"a":` is `{}`, `{"a":"` is `{ a: '' }`,
 *   `{"a":[` is `{ a: [] }`), never while the key itself is being read;
 * - a number, `true`, `false` or `null` appears once complete: a number when the character after
 *   it comes, or when the source completes (`[1` is `[]`, `[1,` is `[1]`; `12` alone emits
 *   `12` on completion);
 * - values are immutable: every array and object in them is frozen, and each value shares
 *   everything complete with the previous one (the same objects), only its open path is new. An
 *   array or object still open is a read-only view (a `Proxy`) that becomes a frozen plain array
 *   or object when first read, so an emission costs O(1) per open container, however long, and a
 *   value you skip (`auditTime`, one render per frame) is never copied. Complete containers are
 *   plain data. The closing brackets change nothing, so when the source completes and the last
 *   value emitted still held views, the finished value follows it: deep-equal, and plain frozen
 *   data all through. `structuredClone` and `postMessage` refuse a view (the values before the
 *   last; copy with `JSON.parse(JSON.stringify(value))`).
 * A repeated key (which `JSON.parse` accepts) is the one exception: its later value replaces the
 * earlier one.
 *
 * Errors are `PartialJsonError`s, raised as soon as they are known: at the first character that
 * makes the text invalid (`reason: 'invalid-json'`, `position` counted over the whole text,
 * `snippet` the redacted text around it, `value` the last value emitted), when the source
 * completes before the value is complete (`'incomplete'`; `{ allowIncomplete: true }` completes
 * with the value so far instead), on nesting deeper than `maxDepth` (`'too-deep'`, default 128), and
 * when a source value is not a string (`'not-a-string'`). White space after the value is fine;
 * anything else after it is an error. Errors of the source pass through.
 *
 * Models often wrap JSON in a Markdown fence: `{ fence: true }` strips one opening fence line
 * (```` ``` ```` or ```` ```json ````, after white space) and the closing fence, wherever the
 * pieces cut them.
 *
 * ## Example
 * ```ts
 * import { fromChatCompletion, contentDeltas, partialJson } from 'rxjs-chat-stream';
 * import OpenAI from 'openai';
 *
 * fromChatCompletion(new OpenAI(), {
 *   model: 'gpt-4o-mini',
 *   messages: [{ role: 'user', content: 'Three fruits as {"fruits": [...]}' }],
 *   response_format: { type: 'json_object' },
 * })
 *   .pipe(contentDeltas(), partialJson<{ fruits?: string[] }>())
 *   .subscribe((value) => console.log(value));
 * // Logs:
 * // {}
 * // { fruits: [] }
 * // { fruits: [ 'Ap' ] }
 * // { fruits: [ 'Apple', 'Ban' ] }
 * // { fruits: [ 'Apple', 'Banana', 'Cherry' ] }
 * ```
 *
 * @see {@link contentDeltas}
 * @see {@link accumulate}
 *
 * @param options `fence`: strip a Markdown code fence; `allowIncomplete`: complete with the value
 * so far when the text ends early; `maxDepth`: the deepest nesting accepted (default 128). Options
 * are checked when the operator is called: one that is not what it must be is an `InvalidInputError`.
 * @return A function that returns an Observable that emits the JSON value parsed so far after each
 * string of the source that changes it. The type parameter is a cast, not a check: the values are
 * partial.
 */
export function partialJson<T = unknown>(options?: PartialJsonOptions): OperatorFunction<string, T> {
  checkPartialJsonOptions(options, 'partialJson()');
  return (source) =>
    new Observable<T>((subscriber) => {
      const parser = new PartialJsonParser(options);
      let emitted: unknown = NOTHING;
      return source.subscribe({
        next(text: unknown) {
          let changed: boolean;
          try {
            changed = parser.push(text as string);
          } catch (error) {
            subscriber.error(error);
            return;
          }
          if (changed) subscriber.next((emitted = parser.value) as T);
        },
        error: (error: unknown) => subscriber.error(error),
        complete() {
          let changed: boolean;
          try {
            changed = parser.end();
          } catch (error) {
            subscriber.error(error);
            return;
          }
          // The last value is plain data: when the last one emitted still held views (the closing
          // brackets change nothing), the finished value follows it, deep-equal and plain.
          if (changed || (emitted !== NOTHING && parser.value !== emitted)) subscriber.next(parser.value as T);
          subscriber.complete();
        },
      });
    });
}
