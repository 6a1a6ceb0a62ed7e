import { toBinary, type BytePairEncoder } from './bpe.js';
import { allIn, WHITE_SPACE } from './charClasses.js';
import { growPiece, startPiece, type GrowingPiece } from './growingPiece.js';

/**
 * A tail of white space alone with a line break in it, counted without the pattern.
 *
 * `\s*[\r\n]+` takes everything up to the last line break (after the other alternatives fail:
 * they need a letter, a digit or a symbol), and `\s+(?!\S)` the spaces after it, to the end. So
 * a tail made only of white space is two pieces at most, cut after its last line break, and
 * neither is final while white space follows (the first grows with the next line break). Split
 * again per delta, such a tail costs its length each time (a reply of blank lines and indents,
 * "  \n  \n…", is quadratic); here a delta of white space only moves that cut: the first piece is
 * resumed with what it takes in, the second counted again (resumed too when long). The first
 * character that is not white space ends it.
 * @internal
 */
export interface BlankTail {
  /** Where the first piece ends: after the tail's last line break. */
  breakEnd: number;
  /** The first piece, `[0, breakEnd)`, resumable. */
  first: GrowingPiece;
  /** The second piece, the white space after that break (no line break in it). */
  secondText: string;
  /** The second piece when it is long, resumable. */
  second: GrowingPiece | undefined;
  secondTokens: number;
}

/** Whether `text` is white space alone (`\s`, as the pattern reads it). */
export function isBlank(text: string): boolean {
  return allIn(WHITE_SPACE, text, 0);
}

/** The index of the last `\r` or `\n` in `text`, or -1. */
function lastBreakIn(text: string): number {
  for (let i = text.length - 1; i >= 0; i--) {
    const c = text.charCodeAt(i);
    if (c === 0x0a || c === 0x0d) return i;
  }
  return -1;
}

/** The tokens of a blank tail: its two pieces'. */
export function blankTokens(blank: BlankTail): number {
  return blank.first.starts.length + blank.secondTokens;
}

/**
 * The blank tail of `tail` when it is long (`longPiece` units or more) white space with a line
 * break in it, else undefined (spaces alone are one piece, a run kind's).
 */
export function startBlank(encoder: BytePairEncoder, tail: string, longPiece: number): BlankTail | undefined {
  if (tail.length < longPiece || !isBlank(tail)) return undefined;
  const breakEnd = lastBreakIn(tail) + 1;
  if (breakEnd === 0) return undefined;
  const blank: BlankTail = { breakEnd, first: startPiece(encoder, 0, tail.slice(0, breakEnd)), secondText: '', second: undefined, secondTokens: 0 };
  pushBlank(encoder, blank, tail.slice(breakEnd), tail, longPiece); // the spaces after the break (none: counts nothing)
  return blank;
}

/**
 * Takes in `delta`, white space alone, appended to the blank tail `tail` (which ends with it
 * already), and returns the tail's tokens.
 */
export function pushBlank(encoder: BytePairEncoder, blank: BlankTail, delta: string, tail: string, longPiece: number): number {
  const lastBreak = lastBreakIn(delta);
  if (lastBreak >= 0) {
    // The first piece takes in the second and the delta up to its last line break.
    const added = blank.secondText + delta.slice(0, lastBreak + 1);
    const end = blank.breakEnd + added.length;
    growPiece(encoder, blank.first, toBinary(added), end, tail, 0);
    blank.breakEnd = end;
    blank.secondText = delta.slice(lastBreak + 1);
    blank.second = undefined;
  } else {
    blank.secondText += delta;
  }
  const second = blank.secondText;
  if (second.length < longPiece) {
    blank.second = undefined;
    blank.secondTokens = second.length === 0 ? 0 : encoder.countPiece(second);
  } else if (blank.second === undefined) {
    blank.second = startPiece(encoder, blank.breakEnd, second);
    blank.secondTokens = blank.second.starts.length;
  } else {
    growPiece(encoder, blank.second, toBinary(delta), second.length, tail, blank.breakEnd);
    blank.secondTokens = blank.second.starts.length;
  }
  return blankTokens(blank);
}
