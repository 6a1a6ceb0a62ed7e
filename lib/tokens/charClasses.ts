/**
 * The character classes the tally reads in the pre-split patterns, in one table.
 *
 * Each class is written once, as the pattern spells it (`[\p{Ll}\p{Lm}\p{Lo}\p{M}]`), and gets a
 * bit. `CLASS_TABLE` holds, for every ASCII code, the bits of the classes it belongs to, found by
 * testing the code against each class's own regular expression when this module loads, so the
 * table cannot disagree with the classes. Beyond ASCII, the class's sticky regular expressions
 * answer. The word scan (`splitWords`) reads the same table.
 *
 * The classes are the two encodings' together (o200k_base and cl100k_base share most of them);
 * `preSplit.ts` says which pattern reads which. A spec checks that every class a pattern is said
 * to read is spelled in that pattern.
 * @internal
 */

/** One character class: its bit in `CLASS_TABLE` and its regular expressions for the rest of Unicode. */
export interface CharClass {
  /** The class's bit in `CLASS_TABLE`. */
  readonly bit: number;
  /** The class as a pattern spells it: a bracket expression, an escape, or an alternation of them. */
  readonly source: string;
  /** `(?:source)*`, sticky: from `lastIndex`, the end of the run of the class (its `lastIndex` after `exec`). */
  readonly run: RegExp;
  /** `(?:source)`, sticky: whether the code point at `lastIndex` is in the class (its end after `test`). */
  readonly one: RegExp;
}

const classes: CharClass[] = [];

function charClass(source: string): CharClass {
  const cls: CharClass = {
    bit: 1 << classes.length,
    source,
    run: new RegExp(`(?:${source})*`, 'uy'),
    one: new RegExp(`(?:${source})`, 'uy'),
  };
  classes.push(cls);
  return cls;
}

// What the pattern reads to find where a piece ends (see `reach` in preSplit.ts).
/** `\s`: the runs of `\s+(?!\S)` and `\s*[\r\n]+`. */
export const WHITE_SPACE = charClass('\\s');
/** Letters and marks: a bound on the run of any letter alternative (o200k's two letter classes together). */
export const LETTER_OR_MARK = charClass('[\\p{L}\\p{M}]');
/** `\p{N}`: `\p{N}{1,3}`. */
export const NUMBER = charClass('\\p{N}');
/** The symbols of ` ?[^\s\p{L}\p{N}]+`. */
export const SYMBOL = charClass('[^\\s\\p{L}\\p{N}]');
/** What may follow the symbols: o200k's `[\r\n/]*` (cl100k reads `[\r\n]*`, fewer: the larger bound serves both). */
export const AFTER_SYMBOL = charClass('[\\r\\n/]');
/** The character that may stand before a word in both patterns (`X?`). */
export const BEFORE_WORD = charClass('[^\\r\\n\\p{L}\\p{N}]');
/** o200k's first letter class, `[U…]` (capitals, and letters of both classes). */
export const CASED_UPPER = charClass('[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]');
/** o200k's second letter class, `[L…]` (lower case, and letters of both classes). */
export const CASED_LOWER = charClass('[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]');
/** cl100k's letters, `\p{L}` (marks are not among them there). */
export const LETTER = charClass('\\p{L}');

// The runs that stay one piece while more of their kind is appended (see `RunKind` in preSplit.ts).
/** Line breaks: `\s*[\r\n]+`. */
export const LINE_BREAK = charClass('[\\r\\n]');
/** White space without a line break: `\s+(?!\S)` takes a run of it whole. */
export const INLINE_SPACE = charClass('[^\\S\\r\\n]');
/** Capitals alone (o200k): with no letter of the lower class, `X?[U…]+` takes them whole. */
export const CAPITAL = charClass('[\\p{Lu}\\p{Lt}]');
/** What may start such a run of capitals: `X`, or a capital. */
export const CAPITALS_FIRST = charClass('[^\\r\\n\\p{L}\\p{N}]|[\\p{Lu}\\p{Lt}]');
/** What may start a run of letters in o200k (`X` or a letter of either class): any non-digit, non-newline. */
export const CASED_WORD_FIRST = charClass('[^\\r\\n\\p{N}]');
/** The same in cl100k, whose first alternative, the contractions, takes an apostrophe first. */
export const WORD_FIRST = charClass("[^\\r\\n\\p{N}']");
/** Symbols in a run (lone surrogates left out: a pair split over two deltas would be read as two). */
export const SYMBOL_RUN = charClass('[^\\s\\p{L}\\p{N}\\p{Cs}]');
/** What may start a run of symbols: ` ?` or a symbol. */
export const SYMBOL_RUN_FIRST = charClass(' |[^\\s\\p{L}\\p{N}\\p{Cs}]');

// The word scan's own units (see splitWords.ts): choices of the scan, not classes of the patterns.
/** The ASCII space alone: what separates the words the scan takes. */
export const SPACE = charClass(' ');
/** The marks the scan takes right after a word (`word,`). */
export const WORD_MARK = charClass('[,.;:!?]');

/** Per ASCII code: the bits of the classes it is in. */
export const CLASS_TABLE: Uint32Array = new Uint32Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  let bits = 0;
  for (const cls of classes) {
    cls.one.lastIndex = 0;
    if (cls.one.test(ch)) bits |= cls.bit;
  }
  CLASS_TABLE[c] = bits;
}

/** The end of the run of `cls` characters in `text` from `from` (ASCII by the table, the rest by the class's regex). */
export function runEnd(cls: CharClass, text: string, from: number): number {
  const length = text.length;
  const table = CLASS_TABLE;
  const bit = cls.bit;
  let i = from;
  while (i < length) {
    const c = text.charCodeAt(i);
    if (c >= 128) {
      const run = cls.run;
      run.lastIndex = i;
      run.exec(text);
      return run.lastIndex;
    }
    if (((table[c] as number) & bit) === 0) return i;
    i++;
  }
  return length;
}

/** Whether all of `text` from `from` on is in `cls`. */
export function allIn(cls: CharClass, text: string, from: number): boolean {
  return runEnd(cls, text, from) === text.length;
}

/** The index after the code point at `at` when it is in `cls`, else -1. */
export function oneOf(cls: CharClass, text: string, at: number): number {
  const c = text.charCodeAt(at);
  if (c < 128) return ((CLASS_TABLE[c] as number) & cls.bit) !== 0 ? at + 1 : -1;
  const one = cls.one;
  one.lastIndex = at;
  return one.test(text) ? one.lastIndex : -1;
}
