import { InvalidInputError } from '../errors.js';
import { encodingForModel, type EncodingOptions } from './encodingForModel.js';
import { encoderFor } from './loadEncoding.js';

/**
 * Counts the tokens of a text the way the model's tokenizer splits it.
 *
 * <span class="informal">Exactly js-tiktoken's `encode(text, [], []).length`, without its quadratic worst case.</span>
 *
 * The encoding comes from {@link encodingForModel} (or `options.encoding`); its ranks are
 * loaded on first use (in browsers, `await loadEncoding(...)` first). Special-token strings such
 * as `<|endoftext|>` are counted as the ordinary text they are. The text is pre-split with
 * js-tiktoken's own regular expression, then each piece is merged by byte-pair rank with a heap,
 * so a long run without spaces (64K letters) costs O(n log n), not js-tiktoken's O(n²).
 *
 * ## Example
 * ```ts
 * import { countTokens } from 'rxjs-chat-stream';
 *
 * console.log(countTokens('Hello, world!', 'gpt-4o-mini'));
 * console.log(countTokens('<|endoftext|>', 'gpt-4o-mini'));
 * // Logs:
 * // 4
 * // 7
 * ```
 *
 * @see {@link countPromptTokens}
 * @see {@link encodingForModel}
 *
 * @param text The text.
 * @param model The model name (unknown names count with `o200k_base`).
 * @param options `encoding`: count with this encoding, whatever the model.
 * @return The number of tokens.
 */
export function countTokens(text: string, model: string, options?: EncodingOptions): number {
  if (typeof text !== 'string') throw new InvalidInputError('countTokens() text', text, 'a string');
  if (text.length === 0) return 0;
  return encoderFor(encodingForModel(model, options)).count(text);
}
