import { toBinary, type BytePairEncoder } from './bpe.js';

/**
 * Resumable byte-pair encoding of one pre-split piece that keeps growing (a long run without
 * spaces, streamed in small deltas), without encoding it again from its start each time.
 *
 * Byte-pair merges never cross a token boundary of the result, so a grown piece is encoded by
 * resuming a few tokens before its old end: if encoding the bytes from token j on yields token j
 * again as its first token, the old tokens before j followed by the new ones are the encoding of
 * the whole piece (two valid encodings that share a token join into a valid one, and the valid
 * encoding of a text is unique); else it backs off (doubling), down to a full encoding. Only the
 * last `WINDOW` bytes or so are kept to resume from.
 * @internal
 */

/** A growing piece keeps about this many of its last bytes at hand to resume its merge from. */
export const WINDOW = 2048;

/** A long piece whose encoding is resumed as it grows. */
export interface GrowingPiece {
  /** Where the piece starts in the text that holds it (UTF-16 index). */
  start: number;
  /** Its length (UTF-16 units). */
  length: number;
  /** Its bytes (a binary string) from byte offset `base` on. */
  window: string;
  base: number;
  /** Its byte length. */
  bytes: number;
  /** The byte offset where each of its tokens starts: its token count is `starts.length`. */
  starts: number[];
}

/** The piece `piece`, found at `start` of its text, encoded from scratch. */
export function startPiece(encoder: BytePairEncoder, start: number, piece: string): GrowingPiece {
  const bytes = toBinary(piece);
  const growing: GrowingPiece = { start, length: piece.length, window: '', base: 0, bytes: bytes.length, starts: encoder.tokenStarts(bytes).slice() };
  setWindow(growing, bytes, 0);
  return growing;
}

/**
 * The piece `piece` found at `start`, resumed from `previous` when that is the same piece (the
 * same start: the text only grows) seen shorter or as long, else encoded from scratch.
 */
export function resumePiece(encoder: BytePairEncoder, previous: GrowingPiece | undefined, start: number, piece: string): GrowingPiece {
  if (previous === undefined || previous.start !== start || previous.length > piece.length) return startPiece(encoder, start, piece);
  if (piece.length > previous.length) {
    // A high surrogate at the old end was half a character: its bytes change with the other half.
    const lastUnit = piece.charCodeAt(previous.length - 1);
    if (lastUnit >= 0xd800 && lastUnit <= 0xdbff) return startPiece(encoder, start, piece);
    growPiece(encoder, previous, toBinary(piece.slice(previous.length)), piece.length, piece, 0);
  }
  return previous;
}

/**
 * Grows `growing` to `length` units, `added` being the bytes of its new units (a binary string), and
 * resumes its encoding. The piece is then `text.slice(offset, offset + length)`: `text` is read only
 * when the merge has to start over (so a text built by `+=` is not flattened per delta).
 */
export function growPiece(encoder: BytePairEncoder, growing: GrowingPiece, added: string, length: number, text: string, offset: number): void {
  const window = growing.window + added;
  const starts = growing.starts;
  growing.length = length;
  growing.bytes += added.length;
  for (let back = 2; ; back *= 2) {
    const j = starts.length - back;
    const from = j > 0 ? (starts[j] as number) : -1;
    if (j <= 0 || from < growing.base) {
      // Backed off past the window: encode the whole piece again.
      const bytes = toBinary(text.slice(offset, offset + length));
      growing.starts = encoder.tokenStarts(bytes).slice();
      setWindow(growing, bytes, 0);
      return;
    }
    const firstEnd = (starts[j + 1] as number) - from;
    const again = encoder.tokenStarts(window.slice(from - growing.base));
    const againFirstEnd = again.length > 1 ? (again[1] as number) : growing.bytes - from;
    if (againFirstEnd !== firstEnd) continue;
    starts.length = j;
    for (const s of again) starts.push(s + from);
    setWindow(growing, window, growing.base);
    return;
  }
}

/** Keeps about the last `WINDOW` bytes of a growing piece (from a token start), given `bytes` from byte `base`. */
function setWindow(growing: GrowingPiece, bytes: string, base: number): void {
  if (bytes.length <= 2 * WINDOW) {
    growing.window = bytes;
    growing.base = base;
    return;
  }
  const starts = growing.starts;
  const wanted = growing.bytes - WINDOW;
  // The last token start at or before `wanted` (binary search).
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if ((starts[mid] as number) <= wanted) low = mid;
    else high = mid - 1;
  }
  const cut = Math.max(starts[low] as number, base);
  growing.window = bytes.slice(cut - base);
  growing.base = cut;
}
