import { InvalidInputError } from '../errors.js';
import { advance, toBinary, type BytePairEncoder } from './bpe.js';
import type { EncodingName } from './encodingForModel.js';

/** Pieces shorter than this (in characters) are simply re-encoded after each delta. */
const LONG_PIECE = 64;
/** A growing piece keeps this many of its last bytes at hand to resume its merge from. */
const WINDOW = 2048;

/** A long last piece whose encoding is resumed after each delta rather than redone. */
interface Growing {
  /** Where the piece starts in the tail (UTF-16 index). */
  start: number;
  /** Its length (UTF-16 units). */
  length: number;
  /** Its bytes from byte offset `base` on. */
  window: string;
  base: number;
  /** Its byte length. */
  bytes: number;
  /** The byte offset where each of its tokens starts. */
  starts: number[];
  /**
   * Set when the tail is this one piece and it is a run of a kind that stays one piece while
   * characters of the same kind are appended (see `RUN_KINDS`): deltas of that kind then skip
   * the pre-split entirely.
   */
  run: RunKind | undefined;
}

/** A tail of white space alone, with a line break: its two pieces (see `TokenTally.pushBlank`). */
interface Blank {
  /** Where the first piece ends: after the tail's last line break. */
  breakEnd: number;
  /** The first piece, `[0, breakEnd)`, resumable. */
  first: Growing;
  /** The second piece, the white space after that break (no line break in it). */
  secondText: string;
  /** The second piece when it is long, resumable. */
  second: Growing | undefined;
  secondTokens: number;
}

/** Whether `text` is white space alone (`\s`, as the pattern reads it). */
function allBlank(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 128 ? ((ASCII[c] as number) & SPACE) === 0 : !BLANK.test(text[i] as string)) return false;
  }
  return true;
}
const BLANK = /^\s$/u;

/** The index of the last `\r` or `\n` in `text`, or -1. */
function lastBreakIn(text: string): number {
  for (let i = text.length - 1; i >= 0; i--) {
    const c = text.charCodeAt(i);
    if (c === 0x0a || c === 0x0d) return i;
  }
  return -1;
}

/**
 * Runs that stay one pre-split piece, per pattern: `rest` tests the characters after the first
 * (sticky), `first` the first one. Letters: the first alternative (`X?[U…]*[L…]+…` in o200k,
 * `X?\p{L}+` in cl100k) matches to the end when everything after the first character is in its
 * lower-letter class; the first may be any non-digit, non-newline character (not an apostrophe
 * in cl100k, whose first alternative is the contractions). Spaces: with no newline anywhere,
 * `\s*[\r\n]+` fails and `\s+(?!\S)` takes the whole run.
 */
interface RunKind {
  readonly rest: RegExp;
  readonly first: RegExp;
  /** Per ASCII code: 1 when `rest` matches it (`REST`), 2 when `first` does (`FIRST`); built from the regexes. */
  readonly ascii: Uint8Array;
}
const REST = 1;
const FIRST = 2;

/** A run kind with its ASCII table, read off its own regexes (so the table cannot disagree with them). */
function runKindOf(rest: RegExp, first: RegExp): RunKind {
  const ascii = new Uint8Array(128);
  for (let c = 0; c < 128; c++) {
    const ch = String.fromCharCode(c);
    rest.lastIndex = 0;
    rest.exec(ch);
    first.lastIndex = 0;
    ascii[c] = (rest.lastIndex === 1 ? REST : 0) | (first.test(ch) ? FIRST : 0);
  }
  return { rest, first, ascii };
}

/**
 * Symbols, marks among them: ` ?[^\s\p{L}\p{N}]+` takes a run of them whole ("🔥❤️🔥❤️"). In
 * o200k a mark right after the first character makes a word of them instead ("=\u0301", by the
 * first alternative, `X?[U…]*[L…]+`), but a tail that is one such piece is the letters' kind,
 * which comes first; past the second character a mark no longer can. Lone surrogates are left
 * out (a pair split over two deltas would be read as two).
 */
const SYMBOL_RUN = runKindOf(/[^\s\p{L}\p{N}\p{Cs}]*/uy, / |[^\s\p{L}\p{N}\p{Cs}]/uy);
/** Line breaks: `\s*[\r\n]+` takes a run of them whole (a space among them would split it). */
const BREAK_RUN = runKindOf(/[\r\n]*/uy, /[\r\n]/uy);

/** The letters' kind first: `splitWords` relies on it (see its end). */
const RUN_KINDS: Readonly<Record<EncodingName, readonly RunKind[]>> = {
  o200k_base: [
    runKindOf(/[\p{Ll}\p{Lm}\p{Lo}\p{M}]*/uy, /[^\r\n\p{N}]/uy),
    runKindOf(/[^\S\r\n]*/uy, /[^\S\r\n]/uy),
    // Capitals: with no lower-case letter (nor a letter of both classes: Lm, Lo, marks) the first
    // alternative fails, and `X?[\p{Lu}…]+` takes the run whole.
    runKindOf(/[\p{Lu}\p{Lt}]*/uy, /[^\r\n\p{L}\p{N}]|[\p{Lu}\p{Lt}]/uy),
    SYMBOL_RUN,
    BREAK_RUN,
  ],
  cl100k_base: [
    runKindOf(/\p{L}*/uy, /[^\r\n\p{N}']/uy),
    runKindOf(/[^\S\r\n]*/uy, /[^\S\r\n]/uy),
    SYMBOL_RUN,
    BREAK_RUN,
  ],
};

/** Whether all of `text` from `from` on is in the rest class of `kind` (ASCII by table, the rest by its regex). */
function allOf(kind: RunKind, text: string, from: number): boolean {
  const length = text.length;
  const ascii = kind.ascii;
  for (let i = from; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 128) {
      const run = kind.rest;
      run.lastIndex = i;
      run.exec(text);
      return run.lastIndex === length;
    }
    if (((ascii[c] as number) & REST) === 0) return false;
  }
  return true;
}

/** Whether the character at `from` is in the first class of `kind`; the index after it, or -1. */
function firstOf(kind: RunKind, text: string, from: number): number {
  const c = text.charCodeAt(from);
  if (c < 128) return ((kind.ascii[c] as number) & FIRST) !== 0 ? from + 1 : -1;
  const first = kind.first;
  first.lastIndex = from;
  return first.test(text) ? first.lastIndex : -1;
}

/** Character classes of ASCII, for the runs the pattern reads (a bit per run kind). */
const SPACE = 1;
const LETTER = 2;
const DIGIT = 4;
const SYMBOL = 8;
const BREAK = 16;
/** o200k's two letter classes: `[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]` and `[\p{Ll}\p{Lm}\p{Lo}\p{M}]`. */
const UPPER = 32;
const LOWER = 64;
const ASCII = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  let bits = 0;
  if (/\s/u.test(ch)) bits |= SPACE;
  else if (/\p{L}/u.test(ch)) bits |= LETTER;
  else if (/\p{N}/u.test(ch)) bits |= DIGIT;
  else bits |= SYMBOL;
  if (ch === '\r' || ch === '\n' || ch === '/') bits |= BREAK;
  if (/[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]/u.test(ch)) bits |= UPPER;
  if (/[\p{Ll}\p{Lm}\p{Lo}\p{M}]/u.test(ch)) bits |= LOWER;
  ASCII[c] = bits;
}

/** A run kind: its ASCII bit and the sticky regex for the rest of Unicode. */
interface Run {
  readonly bit: number;
  readonly regex: RegExp;
}
const SPACES: Run = { bit: SPACE, regex: /\s*/uy };
const LETTERS: Run = { bit: LETTER, regex: /[\p{L}\p{M}]*/uy };
const DIGITS: Run = { bit: DIGIT, regex: /\p{N}*/uy };
const SYMBOLS: Run = { bit: SYMBOL, regex: /[^\s\p{L}\p{N}]*/uy };
const BREAKS: Run = { bit: BREAK, regex: /[\r\n/]*/uy };
const UPPERS: Run = { bit: UPPER, regex: /[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*/uy };
const LOWERS: Run = { bit: LOWER, regex: /[\p{Ll}\p{Lm}\p{Lo}\p{M}]*/uy };
/** cl100k's letters (marks are not among them there). */
const PLAIN_LETTERS: Run = { bit: LETTER, regex: /\p{L}*/uy };
/** The optional character before a word in both patterns, `[^\r\n\p{L}\p{N}]`, beyond ASCII. */
const BEFORE_WORD = /[^\r\n\p{L}\p{N}]/uy;

/** Where the pattern stops reading after a word ending at `end`: the character there, and 2 more after an apostrophe (`'ll`). */
function afterWord(text: string, end: number): number {
  return end + (text.charCodeAt(end) === APOSTROPHE ? 3 : 1);
}

/**
 * o200k: how far the engine reads when one of its word alternatives matches at `start`, else -1.
 * The first, `X?[U…]*[L…]+` (then maybe a contraction): X? takes a character that may stand
 * before a word, [U…]* the run of its class, and when [L…]+ takes a run of its own from there,
 * the alternative has matched and no other is tried: the engine read the character after each
 * run, and 2 more after an apostrophe. When [L…]+ takes nothing there, the engine backtracks
 * into the [U…] run (letters of both classes, Lm, Lo and marks, can serve either) and then tries
 * `X?[U…]+[L…]*`, which matches as soon as [U…]+ takes one character; none of that reads past
 * the character after the [U…] run, or 2 more after an apostrophe there. Then the same without
 * X. This lets runs of mixed-case letters ("AbCdAbCd…", "❤️❤️…") commit their pieces as they
 * come. Not a run that the [U…] class covers whole ("A\u0301A\u0301…", "AIのGPUを…"): that is one
 * piece up to its last letter of both classes, a cut that moves with each delta.
 */
function casedWordReach(text: string, start: number): number {
  for (let a = beforeWord(text, start); ; a = start) {
    const upperEnd = runEnd(UPPERS, text, a);
    const lowerEnd = runEnd(LOWERS, text, upperEnd);
    if (lowerEnd > upperEnd || upperEnd > a) return afterWord(text, lowerEnd);
    if (a === start) return -1;
  }
}

/**
 * cl100k: how far the engine reads when `X?\p{L}+` matches at `start`, else -1. Its contractions
 * come first: at an apostrophe, -1 (the bound of all alternatives serves); elsewhere they read
 * the one character at `start`. A mark is no letter here.
 */
function wordReach(text: string, start: number): number {
  if (text.charCodeAt(start) === APOSTROPHE) return -1;
  const a = beforeWord(text, start);
  const end = runEnd(PLAIN_LETTERS, text, a);
  return end > a ? Math.max(start + 1, end + 1) : -1;
}

/** The index after the character at `at` when it is one that may stand before a word, else `at`. */
function beforeWord(text: string, at: number): number {
  if (at >= text.length) return at;
  const c = text.charCodeAt(at);
  if (c < 128) return ((ASCII[c] as number) & (LETTER | DIGIT)) === 0 && c !== 0x0a && c !== 0x0d ? at + 1 : at;
  BEFORE_WORD.lastIndex = at;
  return BEFORE_WORD.test(text) ? BEFORE_WORD.lastIndex : at;
}

/** The end of the run of `run` characters in `text` from `from` (ASCII by table, the rest by regex). */
function runEnd(run: Run, text: string, from: number): number {
  const length = text.length;
  let i = from;
  while (i < length) {
    const c = text.charCodeAt(i);
    if (c >= 128) {
      run.regex.lastIndex = i;
      run.regex.exec(text);
      return run.regex.lastIndex;
    }
    if (((ASCII[c] as number) & run.bit) === 0) return i;
    i++;
  }
  return length;
}

const APOSTROPHE = 0x27;

/** ASCII units for `splitWords`: a space, lower and upper-case letters, marks that end a word; 0 anything else. */
const SPACE_KIND = 1;
const LOWER_KIND = 2;
const UPPER_KIND = 3;
const MARK_KIND = 4;
const DIGIT_KIND = 5;
const WORD_UNIT = new Uint8Array(128);
WORD_UNIT[0x20] = SPACE_KIND;
for (let c = 0x61; c <= 0x7a; c++) WORD_UNIT[c] = LOWER_KIND;
for (let c = 0x41; c <= 0x5a; c++) WORD_UNIT[c] = UPPER_KIND;
for (const mark of ',.;:!?') WORD_UNIT[mark.charCodeAt(0)] = MARK_KIND;
for (let c = 0x30; c <= 0x39; c++) WORD_UNIT[c] = DIGIT_KIND;
/** The states of `splitWords`' scan. */
const START = 0;
const AFTER_SPACE = 1;
const IN_WORD = 2;
const AFTER_MARK = 3;
const IN_SPACES = 4;
const IN_NUMBER = 5;

/**
 * Counts the tokens of a growing text, one appended piece at a time, always equal to a fresh
 * count of the whole text so far, without re-encoding it.
 *
 * Three facts make that exact and cheap:
 *
 * 1. The pre-split pattern has no look-behind and no anchors, so the match found at a position
 *    depends only on the text from there on, and only on the characters the regex engine reads.
 *    Starting at `p`, the engine reads no further than (see `reach`): the whitespace run from
 *    `p` and the character after it (`\s+(?!\S)`, `\s*[\r\n]+`); the letter-or-mark run after
 *    the first character and the character after it, and 2 more when that one is an apostrophe
 *    (a contraction such as `'ll`); the run of other symbols after the first character, the
 *    `[\r\n/]` run after it and the character after that; up to 3 digits and the character
 *    after them; 3 characters from an apostrophe (cl100k's contractions). When all of that lies
 *    before the end of the text, the piece found at `p` is final whatever is appended: it is
 *    committed (its tokens added once, its text dropped). Only the pieces from the first one
 *    that is not final are kept and split again after the next delta: usually the last word.
 * 2. Byte-pair merges never cross a token boundary of the result, so a long piece that keeps
 *    growing is encoded by resuming a few tokens before its old end: if re-encoding from token j
 *    yields token j again as its first token, the old tokens before j followed by the new ones
 *    are the encoding of the whole piece (two valid encodings that share a token join into a
 *    valid one, and the valid encoding of a text is unique); else it backs off (doubling), down
 *    to a full re-encoding.
 * 3. A tail that is one long run of letters (or of capitals, of spaces without newlines, of
 *    symbols, of line breaks) stays one piece while deltas of the same kind arrive (see
 *    `RUN_KINDS`): those deltas skip the pre-split, so a 64K-letter run streamed in small deltas
 *    costs O(delta) each, not a re-scan of the run. A tail of white space with line breaks is two
 *    pieces whose cut only moves (`pushBlank`).
 *
 * Specifications (fast-check) check the count after every delta against a fresh count.
 * @internal
 */
export class TokenTally {
  /** Tokens of the committed (final) pieces. */
  private committed = 0;
  /**
   * The text after the committed pieces. Deltas are appended with `+`, which V8 makes O(delta)
   * (a rope, flattened once when the text is read again), so a long run that only grows costs no copy.
   */
  private tail = '';
  /** The current total. */
  private total = 0;
  /** The long last piece, if any. */
  private growing: Growing | undefined;
  /** The short pieces of the last split that were not committed: `[start, length, tokens]` triples. */
  private pending: number[] = [];
  /** The run kind of the tail when it is one short pending piece of such a run (see `RUN_KINDS`). */
  private short: RunKind | undefined;
  /** Set while the tail is long and only white space with a line break in it (see `pushBlank`). */
  private blank: Blank | undefined;
  /** Where `splitWords` found pieces to start (reused; it looks at tails shorter than `longPiece` only). */
  private readonly bounds: Int32Array;

  private readonly kinds: readonly RunKind[];
  /** Whether the pattern splits letters by case (o200k: `[U…]*[L…]+`), which `reach` reads exactly. */
  private readonly casedLetters: boolean;

  /**
   * @param encoder The encoding's encoder.
   * @param encoding Its name (it picks the run kinds of its pattern).
   * @param longPiece Pieces of at least this many characters are resumed rather than re-encoded
   *   (a parameter so that specifications can send every piece through that path).
   */
  constructor(
    private readonly encoder: BytePairEncoder,
    encoding: EncodingName,
    private readonly longPiece = LONG_PIECE,
  ) {
    this.kinds = RUN_KINDS[encoding];
    this.casedLetters = encoding === 'o200k_base';
    this.bounds = new Int32Array(Math.max(1, longPiece));
  }

  /** The number of tokens of all text pushed so far. */
  get count(): number {
    return this.total;
  }

  /** Appends `delta` and returns the number of tokens of all text so far. */
  push(delta: string): number {
    if (typeof delta !== 'string') throw new InvalidInputError('runningTokens() delta', delta, 'a string');
    if (delta.length === 0) return this.total;
    this.tail += delta;
    if (this.blank !== undefined) {
      if (allBlank(delta)) {
        this.pushBlank(this.blank, delta);
        return this.total;
      }
      this.leaveBlank();
    }
    const growing = this.growing;
    if (growing?.run !== undefined && allOf(growing.run, delta, 0)) {
      this.grow(growing, toBinary(delta), growing.length + delta.length);
      this.total = this.committed + growing.starts.length;
      return this.total;
    }
    const short = this.short;
    if (short !== undefined && allOf(short, delta, 0)) {
      // The tail is one short run piece and stays one: count it, no pre-split.
      const tail = this.tail;
      if (tail.length < this.longPiece) {
        const tokens = this.encoder.countPiece(tail);
        this.pendOne(tail.length, tokens);
        this.total = this.committed + tokens;
        return this.total;
      }
    }
    const tail = this.tail;
    if (!this.splitWords(tail)) {
      this.split(tail);
      this.enterBlank();
    }
    return this.total;
  }

  /**
   * White space alone: `\s*[\r\n]+` takes everything up to the last line break (after the others
   * fail: they need a letter, a digit or a symbol), and `\s+(?!\S)` the spaces after it, to the end.
   * So a tail made only of white space is two pieces at most, cut after its last line break, and
   * neither is final while white space follows (the first grows with the next line break). Split
   * again per delta, such a tail costs its length each time (a reply of blank lines and indents,
   * "  \n  \n…", is quadratic); here a delta of white space only moves that cut: the first piece is
   * resumed (`grow`) with what it takes in, the second counted again (resumed too when long).
   */
  private pushBlank(blank: Blank, delta: string): void {
    const encoder = this.encoder;
    const lastBreak = lastBreakIn(delta);
    if (lastBreak >= 0) {
      // The first piece takes in the second and the delta up to its last line break.
      const added = blank.secondText + delta.slice(0, lastBreak + 1);
      const end = blank.breakEnd + added.length;
      this.grow(blank.first, toBinary(added), end, () => toBinary(this.tail.slice(0, end)));
      blank.breakEnd = end;
      blank.secondText = delta.slice(lastBreak + 1);
      blank.second = undefined;
    } else {
      blank.secondText += delta;
    }
    const second = blank.secondText;
    if (second.length < this.longPiece) {
      blank.second = undefined;
      blank.secondTokens = second.length === 0 ? 0 : encoder.countPiece(second);
    } else if (blank.second === undefined) {
      blank.second = fresh(encoder, blank.breakEnd, second);
      blank.secondTokens = blank.second.starts.length;
    } else {
      const start = blank.breakEnd;
      this.grow(blank.second, toBinary(delta), second.length, () => toBinary(this.tail.slice(start)));
      blank.secondTokens = blank.second.starts.length;
    }
    this.total = this.committed + blank.first.starts.length + blank.secondTokens;
  }

  /** After a split: when the tail left is long white space with a line break, counts it as `pushBlank` will from now on. */
  private enterBlank(): void {
    const tail = this.tail;
    if (tail.length < this.longPiece || !allBlank(tail)) return;
    const breakEnd = lastBreakIn(tail) + 1;
    if (breakEnd === 0) return; // spaces alone: one piece, a run kind's
    const first = fresh(this.encoder, 0, tail.slice(0, breakEnd));
    const blank: Blank = { breakEnd, first, secondText: '', second: undefined, secondTokens: 0 };
    this.pending = [];
    this.growing = undefined;
    this.short = undefined;
    this.blank = blank;
    this.pushBlank(blank, tail.slice(breakEnd)); // the spaces after the break (none: counts nothing)
  }

  /** A delta that is not all white space ends the blank tail: the next split starts from nothing kept. */
  private leaveBlank(): void {
    this.blank = undefined;
    this.pending = [];
    this.growing = undefined;
    this.short = undefined;
  }

  /**
   * `split` for the commonest tails, done without the pattern. The shape: ASCII words separated by
   * spaces, each word lower-case letters after at most one capital and maybe one of `, . ; : ! ?`
   * right after it; numbers of ASCII digits between spaces; a space before the first piece and
   * after the last, or not (`" the Quick,  bro"`, `" in 1999 and"`; about 90 % of the splits of
   * English prose). Both patterns cut such a tail before each space but a leading one, before each
   * mark (`X?[U…]*[L…]+` and ` ?[^\s\p{L}\p{N}]+` in o200k, `X?\p{L}+` and the same in cl100k),
   * before the last space of a run of spaces followed by a word (`\s+(?!\S)`), around the space
   * before a number (`\s+`) and every three digits (`\p{N}{1,3}`). Every piece but the last is
   * final: all that `reach` looks at from its start ends at the unit after it, which is in the
   * tail (see the notes). So the pieces before the last are committed and the last is pending, as
   * `split` would, but for two tails that `split` treats otherwise, left to it: one letter and a
   * mark ("I."), and a number ending in a full group of three digits. A spec checks the state
   * against `split` on random tails. Returns false, having changed nothing, for any other tail.
   */
  private splitWords(tail: string): boolean {
    const length = tail.length;
    if (length === 0 || length >= this.longPiece) return false;
    const bounds = this.bounds;
    let pieces = 0;
    let state = START;
    let digits = 0; // in the current group of a number
    for (let i = 0; i < length; i++) {
      const unit = tail.charCodeAt(i);
      const kind = unit < 128 ? (WORD_UNIT[unit] as number) : 0;
      switch (state) {
        case START: // the first unit: a space (the first piece's own), a letter, a mark or a digit
          if (kind === SPACE_KIND) state = AFTER_SPACE;
          else if (kind === LOWER_KIND || kind === UPPER_KIND) state = IN_WORD;
          else if (kind === MARK_KIND) state = AFTER_MARK;
          else if (kind === DIGIT_KIND) {
            state = IN_NUMBER;
            digits = 1;
          } else return false;
          break;
        case AFTER_SPACE: // a word starts, a run of spaces goes on, or a number starts after its own space
          if (kind === LOWER_KIND || kind === UPPER_KIND) state = IN_WORD;
          else if (kind === SPACE_KIND) state = IN_SPACES;
          else if (kind === DIGIT_KIND) {
            bounds[pieces++] = i;
            state = IN_NUMBER;
            digits = 1;
          } else return false;
          break;
        case IN_SPACES: // two spaces or more: `\s+(?!\S)` leaves the last one to the word after them
          if (kind === LOWER_KIND || kind === UPPER_KIND) {
            bounds[pieces++] = i - 1;
            state = IN_WORD;
          } else if (kind === DIGIT_KIND) {
            // ...and `\s+` takes that one alone before a digit
            bounds[pieces++] = i - 1;
            bounds[pieces++] = i;
            state = IN_NUMBER;
            digits = 1;
          } else if (kind !== SPACE_KIND) return false; // a mark: " ," is one piece
          break;
        case IN_NUMBER: // `\p{N}{1,3}`: groups of three digits from the left
          if (kind === DIGIT_KIND) {
            if (digits === 3) {
              bounds[pieces++] = i;
              digits = 1;
            } else digits++;
          } else if (kind === SPACE_KIND) {
            bounds[pieces++] = i;
            state = AFTER_SPACE;
          } else return false; // a letter or a mark right after a digit
          break;
        case IN_WORD:
          if (kind === LOWER_KIND) break;
          if (kind === SPACE_KIND) state = AFTER_SPACE;
          else if (kind === MARK_KIND) state = AFTER_MARK;
          else return false; // a capital inside a word, a digit, an apostrophe, …
          bounds[pieces++] = i;
          break;
        default: // AFTER_MARK: only a space may follow
          if (kind !== SPACE_KIND) return false;
          bounds[pieces++] = i;
          state = AFTER_SPACE;
      }
    }
    // One letter and a mark that ends the tail ("I."): `reach` bounds the letter's piece by the run of
    // marks after its first character, which reaches the end, so `split` keeps both pending.
    if (state === AFTER_MARK && length === 2) return false;
    // A group of three digits that ends the tail is final already (`\p{N}{1,3}` can take no more).
    if (state === IN_NUMBER && digits === 3) return false;
    // The pieces before the last, committed; the last pending.
    const cached = this.pending;
    let committed = 0;
    let start = 0;
    for (let k = 0; k < pieces; k++) {
      const end = bounds[k] as number;
      committed += this.pieceTokens(tail, start, end, cached);
      start = end;
    }
    // The last piece is the new tail: one slice serves as both.
    const rest = start === 0 ? tail : tail.slice(start);
    const open = this.pieceTokens(tail, start, length, cached, rest);
    this.committed += committed;
    this.pendOne(length - start, open);
    this.tail = rest;
    this.growing = undefined;
    // The last piece is a run of spaces, digits, or starts with a space, a letter or a mark, all in
    // the first class of the letter run (`RUN_KINDS`, where it comes first): its kind is then the
    // letters' when the rest is lower-case, else what `runKind` finds (" A" is a run of capitals).
    if (state === IN_SPACES) {
      this.short = this.runKind(tail, start); // a run of spaces
    } else if (state === IN_NUMBER) {
      this.short = undefined; // digits are in no run kind
    } else {
      const letters = this.kinds[0] as RunKind;
      this.short = allOf(letters, tail, start + 1) ? letters : this.runKind(tail, start);
    }
    this.total = this.committed + open;
    return true;
  }

  /** Makes the pending pieces the one piece `[0, length)` of `tokens` tokens (in place when it was one piece: no allocation per delta). */
  private pendOne(length: number, tokens: number): void {
    const pending = this.pending;
    if (pending.length !== 3) {
      this.pending = [0, length, tokens];
      return;
    }
    pending[0] = 0;
    pending[1] = length;
    pending[2] = tokens;
  }

  /**
   * The tokens of the short piece `[start, end)` of `tail` (`piece`, when it is sliced already): the
   * last split's count when it saw the same piece (same start, same length: same text), else counted.
   */
  private pieceTokens(tail: string, start: number, end: number, cached: readonly number[], piece?: string): number {
    if (end - start === 1) return 1; // one ASCII unit (all `splitWords` sees): one byte, and every byte is a token
    for (let k = 0; k < cached.length; k += 3) {
      if (cached[k] === start) {
        if (cached[k + 1] === end - start) return cached[k + 2] as number;
        break;
      }
    }
    return this.encoder.countPiece(piece ?? tail.slice(start, end));
  }

  /** Splits the tail again, commits its final pieces and counts the others. */
  private split(tail: string): void {
    // A trailing high surrogate may pair with the next delta's first unit: treat it as unread.
    const last = tail.charCodeAt(tail.length - 1);
    const readable = last >= 0xd800 && last <= 0xdbff ? tail.length - 1 : tail.length;
    const previous = this.growing;
    this.growing = undefined;
    const cached = this.pending;
    let cursor = 0;
    const pending: number[] = [];
    const encoder = this.encoder;
    const length = tail.length;
    let committing = true;
    let keepFrom = 0;
    let open = 0;
    let at = 0;
    while (at < length) {
      const end = encoder.nextPiece(tail, at);
      if (end < 0) break;
      const start = encoder.pieceStart;
      if (end === start) {
        at = advance(tail, start);
        continue;
      }
      at = end;
      const pieceLength = end - start;
      const isLast = end === length;
      // The count of a short piece the last split saw too (same start, same length: same text).
      let tokens = -1;
      if (pieceLength < this.longPiece) {
        while (cursor < cached.length && (cached[cursor] as number) < start) cursor += 3;
        if (cached[cursor] === start && cached[cursor + 1] === pieceLength) tokens = cached[cursor + 2] as number;
        else tokens = this.encoder.countPiece(tail.slice(start, end));
      }
      // A piece of more than 3 characters that ends the text is never final (see the notes).
      if (committing && !(isLast && pieceLength > 3) && this.reach(tail, start) <= readable) {
        this.committed += tokens >= 0 ? tokens : this.countLong(tail.slice(start, end), start, previous, false);
        keepFrom = end;
        if (isLast) break;
        continue;
      }
      committing = false;
      if (tokens < 0) {
        tokens = this.countLong(tail.slice(start, end), start, previous, isLast);
      } else {
        pending.push(start - keepFrom, pieceLength, tokens);
      }
      open += tokens;
      if (isLast) break;
    }
    this.pending = pending;
    this.tail = keepFrom === 0 ? tail : keepFrom < tail.length ? tail.slice(keepFrom) : '';
    const growing = this.growing as Growing | undefined; // set by countLong
    const rest = tail.length - keepFrom;
    this.short =
      pending.length === 3 && pending[0] === 0 && pending[1] === rest && rest < this.longPiece
        ? this.runKind(tail, keepFrom)
        : undefined;
    if (growing !== undefined) {
      growing.start -= keepFrom;
      growing.run =
        growing.start === 0 && growing.length === tail.length - keepFrom
          ? this.runKind(tail, keepFrom)
          : undefined;
    }
    this.total = this.committed + open;
  }

  /** The run kind of `text` from `from` (the whole tail, one piece), if any. */
  private runKind(text: string, from: number): RunKind | undefined {
    const last = text.charCodeAt(text.length - 1);
    if (last >= 0xd800 && last <= 0xdbff) return undefined;
    for (const kind of this.kinds) {
      const next = firstOf(kind, text, from);
      if (next >= 0 && allOf(kind, text, next)) return kind;
    }
    if (this.casedLetters) {
      // o200k's `X?[U…]*[L…]+` with the [U…] run at its longest and lower-case letters after it
      // ("HELLOworld"): more of them still make one piece, so it is the letters' kind too.
      const upperEnd = runEnd(UPPERS, text, beforeWord(text, from));
      const letters = this.kinds[0] as RunKind;
      if (upperEnd < text.length && allOf(letters, text, upperEnd)) return letters;
    }
    return undefined;
  }

  /**
   * How far the pattern may read when it matches at `start` (exclusive): the maximum over its
   * alternatives, each bounded by the runs of its character classes (see the notes).
   */
  private reach(text: string, start: number): number {
    // When a word alternative matches, no later one is tried: what the engine read is exact.
    const word = this.casedLetters ? casedWordReach(text, start) : wordReach(text, start);
    if (word >= 0) return word;
    const length = text.length;
    const next = start < length ? advance(text, start) : start;
    const spaces = runEnd(SPACES, text, start) + 1;
    const letterEnd = runEnd(LETTERS, text, next);
    const letters = letterEnd + (text.charCodeAt(letterEnd) === APOSTROPHE ? 3 : 1);
    const breaks = runEnd(BREAKS, text, runEnd(SYMBOLS, text, next)) + 1;
    // `\p{N}{1,3}` counts code points, not UTF-16 units: an astral digit (𒐀) is two units.
    const digits = Math.min(runEnd(DIGITS, text, start) + 1, advance(text, advance(text, advance(text, start))));
    const contraction = text.charCodeAt(start) === APOSTROPHE ? start + 3 : start + 1;
    return Math.max(spaces, letters, breaks, digits, contraction);
  }

  /** The tokens of one long piece, resumed from `previous` when it is the same piece grown; kept as `growing` when last. */
  private countLong(piece: string, start: number, previous: Growing | undefined, isLast: boolean): number {
    const encoder = this.encoder;
    let growing: Growing;
    if (previous !== undefined && previous.start === start && previous.length <= piece.length) {
      // The same text as before (the tail only grows), and maybe more: encode only the new
      // characters and resume the merge near the old end.
      growing = previous;
      if (piece.length > previous.length) {
        const lastUnit = piece.charCodeAt(previous.length - 1);
        if (lastUnit >= 0xd800 && lastUnit <= 0xdbff) {
          growing = fresh(encoder, start, piece);
        } else {
          this.grow(growing, toBinary(piece.slice(previous.length)), piece.length, () => toBinary(piece));
        }
      }
    } else {
      growing = fresh(encoder, start, piece);
    }
    if (isLast) this.growing = growing;
    return growing.starts.length;
  }

  /** Appends `added` bytes to a growing piece and resumes its encoding. */
  private grow(growing: Growing, added: string, length: number, whole?: () => string): void {
    const encoder = this.encoder;
    const window = growing.window + added;
    const starts = growing.starts;
    growing.length = length;
    growing.bytes += added.length;
    for (let back = 2; ; back *= 2) {
      const j = starts.length - back;
      const from = j > 0 ? (starts[j] as number) : -1;
      if (j <= 0 || from < growing.base) {
        // Backed off past the window: encode the whole piece again.
        const bytes = whole !== undefined ? whole() : toBinary(this.tail.slice(growing.start));
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
}

/** A growing piece encoded from scratch. */
function fresh(encoder: BytePairEncoder, start: number, piece: string): Growing {
  const bytes = toBinary(piece);
  const growing: Growing = { start, length: piece.length, window: '', base: 0, bytes: bytes.length, starts: encoder.tokenStarts(bytes).slice(), run: undefined };
  setWindow(growing, bytes, 0);
  return growing;
}

/** Keeps about the last `WINDOW` bytes of a growing piece (from a token start), given `bytes` from byte `base`. */
function setWindow(growing: Growing, bytes: string, base: number): void {
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
