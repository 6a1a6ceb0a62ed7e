import { CAPITAL, CASED_LOWER, CLASS_TABLE, NUMBER, SPACE, WORD_MARK } from './charClasses.js';

/** What `splitWords` returns for a text it does not take: split it with the pattern. */
export const NOT_WORDS = -1;

// What the last piece of a split is (`WordCuts.last`): what says its run kind without reading it again.
/** Every unit after the first is a lower-case letter: a word (maybe after its space or one capital), a space or a mark alone. */
export const LAST_LOWER = 0;
/** A run of spaces, two or more. */
export const LAST_SPACES = 1;
/** One or two digits. */
export const LAST_DIGITS = 2;
/** A word whose capital follows its space (" The", " T"). */
export const LAST_CAPITAL = 3;

/** Where `splitWords` writes: kept by the caller, so that a split allocates nothing. */
export interface WordCuts {
  /** Where each piece but the first starts (a text longer than this array is not taken). */
  readonly cuts: Uint32Array;
  /** How many cuts the last split wrote: its pieces less one. */
  count: number;
  /** What its last piece is: `LAST_LOWER`, `LAST_SPACES`, `LAST_DIGITS` or `LAST_CAPITAL`. */
  last: number;
}

/** A `WordCuts` for texts of up to `capacity` units. */
export function wordCuts(capacity: number): WordCuts {
  return { cuts: new Uint32Array(capacity), count: 0, last: LAST_LOWER };
}

/** The classes the scan reads (their bits in `CLASS_TABLE`): on ASCII, the space, a-z, A-Z, 0-9 and the marks. */
const SPACE_BIT = SPACE.bit;
const LOWER_BIT = CASED_LOWER.bit;
const CAPITAL_BIT = CAPITAL.bit;
const LETTER_BITS = CASED_LOWER.bit | CAPITAL_BIT;
const MARK_BIT = WORD_MARK.bit;
const DIGIT_BIT = NUMBER.bit;

/** The states of the scan. */
const START = 0;
const AFTER_SPACE = 1;
const IN_WORD = 2;
const AFTER_MARK = 3;
const IN_SPACES = 4;
const IN_NUMBER = 5;

/**
 * Splits the commonest tails without the pattern: writes where each piece but the first starts
 * into `out.cuts`, how many it wrote into `out.count` and what the last piece is into `out.last`,
 * and returns the count, every piece but the last being final; or returns `NOT_WORDS` (leaving
 * `out.count` and `out.last` as they were) for any other text (or when `out.cuts` is shorter
 * than `text`).
 *
 * The shape: ASCII words separated by spaces, each word lower-case letters after at most one
 * capital and maybe one of `, . ; : ! ?` right after it; numbers of ASCII digits between spaces;
 * a space before the first piece and after the last, or not (`" the Quick,  bro"`,
 * `" in 1999 and"`; about 90 % of the tails the tally splits in English prose). Both patterns cut
 * such a text before each space but a leading one, before each mark (`X?[U…]*[L…]+` and
 * ` ?[^\s\p{L}\p{N}]+` in o200k, `X?\p{L}+` and the same in cl100k), before the last space of a run
 * of spaces followed by a word (`\s+(?!\S)`), around the space before a number (`\s+`) and every
 * three digits (`\p{N}{1,3}`). Every piece but the last is final: all that `reach` looks at from
 * its start ends at the unit after it, which is in the text. Two texts whose pieces `splitByPattern`
 * treats otherwise are left to it: one letter and a mark ("I."), and a number ending in a full
 * group of three digits. A spec checks the result against `splitByPattern` on random texts.
 *
 * `out.last` lets the tally know the last piece's run kind (`runKindAt`) without reading it again:
 * the scan saw it. A spec checks the two agree.
 *
 * @param text The tail to split (ASCII only, or it is not taken).
 * @param out Where the cuts are written (caller-owned, `out.cuts` at least `text.length` long).
 * @return The number of cuts (pieces less one), or `NOT_WORDS`.
 */
export function splitWords(text: string, out: WordCuts): number {
  const cuts = out.cuts;
  const length = text.length;
  if (length === 0 || length > cuts.length) return NOT_WORDS;
  const table = CLASS_TABLE;
  let count = 0;
  let state = START;
  let digits = 0; // in the current group of a number
  for (let i = 0; i < length; i++) {
    const unit = text.charCodeAt(i);
    const bits = unit < 128 ? (table[unit] as number) : 0;
    switch (state) {
      case START: // the first unit: a space (the first piece's own), a letter, a mark or a digit
        if ((bits & SPACE_BIT) !== 0) state = AFTER_SPACE;
        else if ((bits & LETTER_BITS) !== 0) state = IN_WORD;
        else if ((bits & MARK_BIT) !== 0) state = AFTER_MARK;
        else if ((bits & DIGIT_BIT) !== 0) {
          state = IN_NUMBER;
          digits = 1;
        } else return NOT_WORDS;
        break;
      case AFTER_SPACE: // a word starts, a run of spaces goes on, or a number starts after its own space
        if ((bits & LETTER_BITS) !== 0) state = IN_WORD;
        else if ((bits & SPACE_BIT) !== 0) state = IN_SPACES;
        else if ((bits & DIGIT_BIT) !== 0) {
          cuts[count++] = i;
          state = IN_NUMBER;
          digits = 1;
        } else return NOT_WORDS;
        break;
      case IN_SPACES: // two spaces or more: `\s+(?!\S)` leaves the last one to the word after them
        if ((bits & LETTER_BITS) !== 0) {
          cuts[count++] = i - 1;
          state = IN_WORD;
        } else if ((bits & DIGIT_BIT) !== 0) {
          // ...and `\s+` takes that one alone before a digit
          cuts[count++] = i - 1;
          cuts[count++] = i;
          state = IN_NUMBER;
          digits = 1;
        } else if ((bits & SPACE_BIT) === 0) return NOT_WORDS; // a mark: " ," is one piece
        break;
      case IN_NUMBER: // `\p{N}{1,3}`: groups of three digits from the left
        if ((bits & DIGIT_BIT) !== 0) {
          if (digits === 3) {
            cuts[count++] = i;
            digits = 1;
          } else digits++;
        } else if ((bits & SPACE_BIT) !== 0) {
          cuts[count++] = i;
          state = AFTER_SPACE;
        } else return NOT_WORDS; // a letter or a mark right after a digit
        break;
      case IN_WORD:
        if ((bits & LOWER_BIT) !== 0) break;
        if ((bits & SPACE_BIT) !== 0) state = AFTER_SPACE;
        else if ((bits & MARK_BIT) !== 0) state = AFTER_MARK;
        else return NOT_WORDS; // a capital inside a word, a digit, an apostrophe, …
        cuts[count++] = i;
        break;
      default: // AFTER_MARK: only a space may follow
        if ((bits & SPACE_BIT) === 0) return NOT_WORDS;
        cuts[count++] = i;
        state = AFTER_SPACE;
    }
  }
  // One letter and a mark that ends the text ("I."): `reach` bounds the letter's piece by the run
  // of marks after its first character, which reaches the end, so the pattern path keeps both pending.
  if (state === AFTER_MARK && length === 2) return NOT_WORDS;
  // A group of three digits that ends the text is final already (`\p{N}{1,3}` can take no more).
  if (state === IN_NUMBER && digits === 3) return NOT_WORDS;
  out.count = count;
  if (state === IN_SPACES) out.last = LAST_SPACES;
  else if (state === IN_NUMBER) out.last = LAST_DIGITS;
  else {
    // A word's one capital is its first unit or the one after its space: only the second is not lower-case.
    const second = (count === 0 ? 0 : (cuts[count - 1] as number)) + 1;
    out.last = second < length && ((table[text.charCodeAt(second)] as number) & CAPITAL_BIT) !== 0 ? LAST_CAPITAL : LAST_LOWER;
  }
  return count;
}
