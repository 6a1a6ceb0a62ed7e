import { InvalidInputError } from '../errors.js';
import { advance, toBinary, type BytePairEncoder } from './bpe.js';
import { encodingForModel, type EncodingOptions } from './encodingForModel.js';
import { encoderFor } from './loadEncoding.js';

/** The UTF-8 length of the UTF-16 unit at `i` of `text` (a pair's high half counts 4, its low half 0). */
function utf8Length(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c < 0x80) return 1;
  if (c < 0x800) return 2;
  if (c >= 0xd800 && c <= 0xdbff) {
    const next = text.charCodeAt(i + 1);
    return next >= 0xdc00 && next <= 0xdfff ? 4 : 3;
  }
  if (c >= 0xdc00 && c <= 0xdfff) {
    const before = i > 0 ? text.charCodeAt(i - 1) : 0;
    return before >= 0xd800 && before <= 0xdbff ? 0 : 3;
  }
  return 3;
}

/** Appends the text of each token of one pre-split piece to `out`, merging tokens that split a character. */
function splitPiece(piece: string, encoder: BytePairEncoder, out: string[]): void {
  const bytes = toBinary(piece);
  const starts = encoder.tokenStarts(bytes);
  if (starts.length === 1) {
    out.push(piece);
    return;
  }
  // Walk the piece's characters and the token starts together; cut where a start falls on a
  // character boundary (a start inside a character's bytes is skipped: that token joins the previous one).
  let next = 1;
  let byte = 0;
  let from = 0;
  for (let i = 0; i < piece.length && next < starts.length; i++) {
    const length = utf8Length(piece, i);
    if (length === 0) continue; // the low half of a surrogate pair: no boundary here
    while (next < starts.length && (starts[next] as number) < byte) next++;
    if (next < starts.length && starts[next] === byte && i > from) {
      out.push(piece.slice(from, i));
      from = i;
      next++;
    }
    byte += length;
  }
  out.push(piece.slice(from));
}

/**
 * Splits a text into the pieces a model would stream it in: one string per token.
 *
 * <span class="informal">What a local server needs to stream a canned reply token by token.</span>
 *
 * Each string is the text of one token, except where tokens split a character's UTF-8 bytes
 * (an emoji, a rare CJK character): those adjacent tokens are joined, so every piece is valid
 * text, and `pieces.join('') === text` always. The tokens are those {@link countTokens} counts,
 * so `tokenPieces(text, model).length <= countTokens(text, model)`, equal when no token splits a
 * character.
 *
 * ## Example
 * ```ts
 * import { tokenPieces } from 'rxjs-chat-stream';
 *
 * console.log(tokenPieces('Hello, world!', 'gpt-4o-mini'));
 * // Logs:
 * // [ 'Hello', ',', ' world', '!' ]
 * ```
 *
 * @see {@link countTokens}
 *
 * @param text The text.
 * @param model The model name (unknown names use `o200k_base`).
 * @param options `encoding`: split with this encoding, whatever the model.
 * @return The pieces, in order.
 */
export function tokenPieces(text: string, model: string, options?: EncodingOptions): string[] {
  if (typeof text !== 'string') throw new InvalidInputError('tokenPieces() text', text, 'a string');
  const out: string[] = [];
  if (text.length === 0) return out;
  const encoder = encoderFor(encodingForModel(model, options));
  let end = 0;
  let at = 0;
  while (at < text.length) {
    const pieceEnd = encoder.nextPiece(text, at);
    if (pieceEnd < 0) break;
    const start = encoder.pieceStart;
    if (pieceEnd === start) {
      at = advance(text, start);
      continue;
    }
    // Text the pattern skipped (it skips nothing in o200k/cl100k) stays in the output, untokenised.
    if (start > end) out.push(text.slice(end, start));
    splitPiece(text.slice(start, pieceEnd), encoder, out);
    end = at = pieceEnd;
  }
  if (end < text.length) out.push(text.slice(end));
  return out;
}
