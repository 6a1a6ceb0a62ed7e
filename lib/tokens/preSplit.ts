import { advance, type BytePairEncoder } from './bpe.js';
import {
  AFTER_SYMBOL,
  allIn,
  BEFORE_WORD,
  CAPITAL,
  CAPITALS_FIRST,
  CASED_LOWER,
  CASED_UPPER,
  CASED_WORD_FIRST,
  INLINE_SPACE,
  LETTER,
  LETTER_OR_MARK,
  LINE_BREAK,
  NUMBER,
  oneOf,
  runEnd,
  SYMBOL,
  SYMBOL_RUN,
  SYMBOL_RUN_FIRST,
  WHITE_SPACE,
  WORD_FIRST,
  type CharClass,
} from './charClasses.js';
import type { EncodingName } from './encodingForModel.js';

/**
 * What the tally knows of an encoding's pre-split pattern: how far the regex engine reads from a
 * piece's start (`reach`), so when a piece is final whatever text is appended, and which runs stay
 * one piece while characters of their kind are appended (`runKindAt`). The pattern itself stays
 * the encoder's (`BytePairEncoder.nextPiece`); `splitByPattern` cuts a tail with it.
 *
 * Three facts make the tally exact:
 *
 * 1. The pattern has no look-behind and no anchors, so the match found at a position depends only
 *    on the text from there on, and only on the characters the regex engine reads. Starting at `p`,
 *    the engine reads no further than (see `reach`): the whitespace run from `p` and the character
 *    after it (`\s+(?!\S)`, `\s*[\r\n]+`); the letter-or-mark run after the first character and the
 *    character after it, and 2 more when that one is an apostrophe (a contraction such as `'ll`);
 *    the run of other symbols after the first character, the `[\r\n/]` run after it and the
 *    character after that; up to 3 digits and the character after them; 3 characters from an
 *    apostrophe (cl100k's contractions). When all of that lies before the end of the text, the
 *    piece found at `p` is final whatever is appended.
 * 2. When a word alternative matches, no later one is tried: what the engine read is exact
 *    (`casedWordReach`, `wordReach`), which lets runs of mixed-case letters commit as they come.
 * 3. A piece of more than 3 characters that ends the text is not taken as final. That is a margin
 *    rather than a fact: `reach` bounds the only alternatives that stop reading on their own
 *    (`\p{N}{1,3}`, the contractions), and the finality spec passes without it. It is kept so
 *    that the tally commits exactly what it always did.
 * @internal
 */

/**
 * A run that stays one pre-split piece: a text that the pattern finds one piece is such a run when
 * its first code point is in `first` and all the others in `rest`, and it stays one piece while
 * characters of `rest` are appended. (One piece first: "\u0301=" reads as a run of symbols, but
 * the pattern cuts it in two, the mark being a word of its own in o200k.) Letters: the word alternative (`X?[U…]*[L…]+…` in o200k, `X?\p{L}+` in cl100k) matches
 * to the end when everything after the first character is in its lower-letter class. Spaces: with
 * no newline anywhere, `\s*[\r\n]+` fails and `\s+(?!\S)` takes the whole run. Symbols:
 * ` ?[^\s\p{L}\p{N}]+` takes a run of them whole ("🔥❤️🔥❤️"; in o200k a mark right after the first
 * character makes a word of them instead, "=\u0301", but a tail that is one such piece is the
 * letters' kind, which is tried first). Line breaks: `\s*[\r\n]+` (a space among them would split it).
 */
export interface RunKind {
  readonly first: CharClass;
  readonly rest: CharClass;
}

/** An encoding's pattern as the tally reads it. */
export interface PreSplitModel {
  /** The run kinds, in the order they are tried: the letters' first (`letters`). */
  readonly kinds: readonly RunKind[];
  /** The letters' kind, `kinds[0]`. */
  readonly letters: RunKind;
  /** The kind of a run of spaces without a line break, `kinds[1]`. */
  readonly spaces: RunKind;
  /** Whether the pattern cuts letters by case (o200k: `[U…]*[L…]+`), which `reach` reads exactly. */
  readonly cased: boolean;
  /** The classes this model says the pattern spells (a spec checks each one is in it). */
  readonly spelled: readonly CharClass[];
}

const SPACE_RUN: RunKind = { first: INLINE_SPACE, rest: INLINE_SPACE };
const SYMBOLS: RunKind = { first: SYMBOL_RUN_FIRST, rest: SYMBOL_RUN };
const BREAK_RUN: RunKind = { first: LINE_BREAK, rest: LINE_BREAK };

const O200K_LETTERS: RunKind = { first: CASED_WORD_FIRST, rest: CASED_LOWER };
const CL100K_LETTERS: RunKind = { first: WORD_FIRST, rest: LETTER };

const MODELS: Readonly<Record<EncodingName, PreSplitModel>> = {
  o200k_base: {
    // Capitals: with no lower-case letter (nor a letter of both classes: Lm, Lo, marks) the first
    // alternative fails, and `X?[\p{Lu}…]+` takes the run whole.
    kinds: [O200K_LETTERS, SPACE_RUN, { first: CAPITALS_FIRST, rest: CAPITAL }, SYMBOLS, BREAK_RUN],
    letters: O200K_LETTERS,
    spaces: SPACE_RUN,
    cased: true,
    spelled: [WHITE_SPACE, NUMBER, SYMBOL, AFTER_SYMBOL, BEFORE_WORD, CASED_UPPER, CASED_LOWER, LINE_BREAK],
  },
  cl100k_base: {
    kinds: [CL100K_LETTERS, SPACE_RUN, SYMBOLS, BREAK_RUN],
    letters: CL100K_LETTERS,
    spaces: SPACE_RUN,
    cased: false,
    spelled: [WHITE_SPACE, NUMBER, SYMBOL, BEFORE_WORD, LETTER, LINE_BREAK],
  },
};

/** The model of an encoding's pattern. */
export function preSplitModel(encoding: EncodingName): PreSplitModel {
  return MODELS[encoding];
}

const APOSTROPHE = 0x27;

/** Where the pattern stops reading after a word ending at `end`: the character there, and 2 more after an apostrophe (`'ll`). */
function afterWord(text: string, end: number): number {
  return end + (text.charCodeAt(end) === APOSTROPHE ? 3 : 1);
}

/** The index after the character at `at` when it is one that may stand before a word, else `at`. */
function beforeWord(text: string, at: number): number {
  if (at >= text.length) return at;
  const next = oneOf(BEFORE_WORD, text, at);
  return next >= 0 ? next : at;
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
    const upperEnd = runEnd(CASED_UPPER, text, a);
    const lowerEnd = runEnd(CASED_LOWER, text, upperEnd);
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
  const end = runEnd(LETTER, text, a);
  return end > a ? Math.max(start + 1, end + 1) : -1;
}

/**
 * How far the pattern may read when it matches at `start` (exclusive): the maximum over its
 * alternatives, each bounded by the runs of its character classes (see the notes above).
 */
export function reach(model: PreSplitModel, text: string, start: number): number {
  // When a word alternative matches, no later one is tried: what the engine read is exact.
  const word = model.cased ? casedWordReach(text, start) : wordReach(text, start);
  if (word >= 0) return word;
  const length = text.length;
  const next = start < length ? advance(text, start) : start;
  const spaces = runEnd(WHITE_SPACE, text, start) + 1;
  const letterEnd = runEnd(LETTER_OR_MARK, text, next);
  const letters = letterEnd + (text.charCodeAt(letterEnd) === APOSTROPHE ? 3 : 1);
  const breaks = runEnd(AFTER_SYMBOL, text, runEnd(SYMBOL, text, next)) + 1;
  // `\p{N}{1,3}` counts code points, not UTF-16 units: an astral digit (𒐀) is two units.
  const digits = Math.min(runEnd(NUMBER, text, start) + 1, advance(text, advance(text, advance(text, start))));
  const contraction = text.charCodeAt(start) === APOSTROPHE ? start + 3 : start + 1;
  return Math.max(spaces, letters, breaks, digits, contraction);
}

/** The run kind of `text` from `from` on, if any, when the pattern finds that text one piece (the tally asks of no other). */
export function runKindAt(model: PreSplitModel, text: string, from: number): RunKind | undefined {
  // A trailing high surrogate may pair with the next delta's first unit.
  const last = text.charCodeAt(text.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) return undefined;
  // The letters' kind, the commonest by far, first and on its own: this much V8 inlines into the
  // tally's word path (the whole function it would not; measured).
  const letters = model.letters;
  const next = oneOf(letters.first, text, from);
  if (next >= 0 && allIn(letters.rest, text, next)) return letters;
  return otherRunKind(model, text, from);
}

/** `runKindAt` for the kinds after the letters'. */
function otherRunKind(model: PreSplitModel, text: string, from: number): RunKind | undefined {
  const kinds = model.kinds;
  for (let k = 1; k < kinds.length; k++) {
    const kind = kinds[k] as RunKind;
    const next = oneOf(kind.first, text, from);
    if (next >= 0 && allIn(kind.rest, text, next)) return kind;
  }
  if (model.cased) {
    // o200k's `X?[U…]*[L…]+` with the [U…] run at its longest and lower-case letters after it
    // ("HELLOworld"): more of them still make one piece, so it is the letters' kind too.
    const upperEnd = runEnd(CASED_UPPER, text, beforeWord(text, from));
    if (upperEnd < text.length && allIn(model.letters.rest, text, upperEnd)) return model.letters;
  }
  return undefined;
}

/** The pieces a split found: piece k is `[bounds[2k], bounds[2k + 1])`. The caller keeps it; a split grows `bounds` as needed. */
export interface PieceList {
  bounds: Uint32Array;
  count: number;
}

/** An empty piece list. */
export function pieceList(capacity = 16): PieceList {
  return { bounds: new Uint32Array(2 * capacity), count: 0 };
}

/**
 * Cuts `text` into the pattern's pieces (into `out`) and returns how many of them, from the
 * first, are final whatever text is appended: each one up to the first that is not (by `reach`,
 * and fact 3). A trailing high surrogate, which may pair with what comes next, counts as unread.
 */
export function splitByPattern(encoder: BytePairEncoder, model: PreSplitModel, text: string, out: PieceList): number {
  const length = text.length;
  const last = text.charCodeAt(length - 1);
  const readable = last >= 0xd800 && last <= 0xdbff ? length - 1 : length;
  let bounds = out.bounds;
  let count = 0;
  let final = 0;
  let committing = true;
  let at = 0;
  while (at < length) {
    const end = encoder.nextPiece(text, at);
    if (end < 0) break;
    const start = encoder.pieceStart;
    if (end === start) {
      at = advance(text, start);
      continue;
    }
    at = end;
    if (2 * count + 2 > bounds.length) {
      const grown = new Uint32Array(2 * bounds.length + 2);
      grown.set(bounds);
      out.bounds = bounds = grown;
    }
    bounds[2 * count] = start;
    bounds[2 * count + 1] = end;
    count++;
    if (committing) {
      if (!(end === length && end - start > 3) && reach(model, text, start) <= readable) final++;
      else committing = false;
    }
  }
  out.count = count;
  return final;
}
