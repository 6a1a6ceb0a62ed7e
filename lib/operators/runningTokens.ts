import { defer, from, map, switchMap, type Observable, type OperatorFunction } from 'rxjs';
import { encodingForModel, type EncodingOptions } from '../tokens/encodingForModel.js';
import { encoderFor, encodingReady, loadEncoding } from '../tokens/loadEncoding.js';
import { TokenTally } from '../tokens/TokenTally.js';

/**
 * Emits, after each text delta, the number of tokens of all the text so far.
 *
 * <span class="informal">A live completion-token count, for budgets and progress bars: exact at every step.</span>
 *
 * ```
 * source:   --a-----b-----c------|      a: 'Hel'   b: 'lo, wor'   c: 'ld!'
 * runningTokens('gpt-4o')
 * result:   --1-----3-----4------|      countTokens('Hel') = 1, countTokens('Hello, wor') = 3,
 *                                       countTokens('Hello, world!') = 4
 * ```
 *
 * Takes strings (compose it after {@link contentDeltas}, or any stream of text pieces) and emits
 * one number per string: always exactly `countTokens(textSoFar, model)`, though byte-pair merges
 * cross delta boundaries ('Hel' is 1 token, 'Hello' is 1 token too). It does not re-encode the
 * text per delta: pieces of the pre-split that can no longer change are counted once and
 * dropped, and only the unfinished last word or two are split again, so each delta costs O(delta)
 * amortized (a long run without spaces is resumed, not re-encoded). An empty string emits the
 * count again. A value that is not a string errors with a `TypeError`.
 *
 * The encoding is loaded on subscription when needed: synchronously in Node; where there is no
 * synchronous `require` (browsers), the source is subscribed once `loadEncoding` resolves.
 *
 * ## Example
 * ```ts
 * import { fromChatCompletion, contentDeltas, runningTokens } from 'rxjs-chat-stream';
 * import { takeWhile } from 'rxjs';
 * import OpenAI from 'openai';
 *
 * fromChatCompletion(new OpenAI(), { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Count to 100' }] })
 *   .pipe(contentDeltas(), runningTokens('gpt-4o-mini'), takeWhile((tokens) => tokens < 50, true))
 *   .subscribe((tokens) => console.log(tokens));
 * // Logs (the reply "1, 2, 3, …", one token per delta):
 * // 1
 * // 2
 * // 3
 * // …
 * // 50
 * ```
 *
 * @see {@link contentDeltas}
 * @see {@link countTokens}
 * @see {@link usage}
 *
 * @param model The model name (it picks the encoding; unknown names use `o200k_base`).
 * @param options `encoding`: count with this encoding, whatever the model.
 * @return A function that returns an Observable that emits the token count of all text so far after each string of the source.
 */
export function runningTokens(model: string, options?: EncodingOptions): OperatorFunction<string, number> {
  return (source) =>
    defer(() => {
      const encoding = encodingForModel(model, options);
      const counted = (): Observable<number> => {
        const tally = new TokenTally(encoderFor(encoding), encoding);
        return source.pipe(map((delta) => tally.push(delta)));
      };
      return encodingReady(encoding) ? counted() : from(loadEncoding(encoding)).pipe(switchMap(counted));
    });
}
