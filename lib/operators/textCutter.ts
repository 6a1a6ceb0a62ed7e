/*
 * Cutting a growing text into pieces as it streams in: the shared part of `textChunks()` and
 * `smooth()`. Not exported from the package.
 *
 * The text arrives in deltas. A cutter keeps the text after its last cut (`held`), looks for new
 * cuts after each delta, and hands out the pieces before the last cut; the last piece, which more
 * text may still change, is held back until a later cut or `flush()`. Joined, the pieces are
 * always the text, whatever the deltas.
 *
 * The work per delta is bounded. Deltas longer than `MAX_DELTA` are taken in slices. A held text
 * of at most `LONG` characters (the usual case: a word, a line) is segmented whole with the delta;
 * a longer one (a text that never closes its piece: a megabyte without a space, a line without a
 * break) only through a window of its last `KEEP` characters and the delta, and cuts found in the
 * window's first `GUARD` characters, which miss their left context, are not trusted (cuts there
 * were found by earlier scans). The held text itself is a rope that is only read at a cut, so a
 * long one is never copied per delta. Common cases skip `Intl.Segmenter` altogether: words in
 * ASCII text (see `ASCII_WORDS`), graphemes of ASCII, a sentence until a terminator comes.
 */
import { InvalidInputError } from '../errors.js';

/** The units `Intl.Segmenter` knows, and lines. */
export type TextUnit = 'grapheme' | 'word' | 'sentence' | 'line';

/** A cutter: push deltas, take the finished pieces, flush the rest. @internal */
export interface TextCutter {
  /** Appends `delta` and hands each piece it finished to `out`, in order. */
  push(delta: string, out: (piece: string) => void): void;
  /** The text ends: hands the pieces of the held text to `out` (cut as at the end of a text); the cutter is then empty. */
  flush(out: (piece: string) => void): void;
  /** Characters examined so far (segmented, scanned or copied): for specs that bound the work. */
  readonly work: number;
}

/** A held text up to this long is segmented whole after each delta. */
const LONG = 256;
/** Characters before a delta that a longer held text shows the segmenter. */
const KEEP = 128;
/** Cuts this close to the start of such a window are not trusted. */
const GUARD = 16;
/** Longer deltas are taken in slices of this many characters. */
const MAX_DELTA = 256;
/** A trailing run of Thai, Lao, Khmer or Myanmar text up to this long is not cut inside (see `isDictionaryScript`). */
const RUN_MAX = KEEP;

const UNITS: readonly TextUnit[] = ['grapheme', 'word', 'sentence', 'line'];

/**
 * Checks a `by` option: a unit or a RegExp (default `fallback`).
 * @internal
 */
export function checkBy(by: unknown, fallback: TextUnit, path: string): TextUnit | RegExp {
  if (by === undefined) return fallback;
  if (by instanceof RegExp || (UNITS as readonly unknown[]).includes(by)) return by as TextUnit | RegExp;
  throw new InvalidInputError(path, by, `'grapheme', 'word', 'sentence', 'line' or a RegExp`);
}

/**
 * Checks `by` and `locale` once and returns a factory of fresh cutters (one per subscription).
 * Throws an {@link InvalidInputError} for a bad `by` or `locale`.
 * @internal
 */
export function cutterFactory(by: unknown, locale: unknown, caller: string, fallback: TextUnit = 'word'): () => TextCutter {
  const unit = checkBy(by, fallback, `${caller} options.by`);
  if (unit instanceof RegExp) {
    const source = unit.source;
    const flags = `${unit.flags.replace(/[gy]/g, '')}g`;
    return () => new RegExpCutter(new RegExp(source, flags));
  }
  if (unit === 'line') return () => new LineCutter();
  const segmenter = makeSegmenter(unit, locale, caller);
  const asciiWords = unit === 'word' && agreesWithAsciiWords(segmenter);
  return () => new SegmentCutter(segmenter, unit, asciiWords);
}

function makeSegmenter(unit: 'grapheme' | 'word' | 'sentence', locale: unknown, caller: string): Intl.Segmenter {
  if (typeof Intl === 'undefined' || typeof Intl.Segmenter !== 'function') {
    throw new InvalidInputError(`${caller} options.by`, unit, "'line' or a RegExp here: this runtime has no Intl.Segmenter");
  }
  if (locale !== undefined && typeof locale !== 'string' && !(Array.isArray(locale) && locale.every((l) => typeof l === 'string'))) {
    throw new InvalidInputError(`${caller} options.locale`, locale, 'a language tag or a list of them');
  }
  try {
    return new Intl.Segmenter(locale as string | string[] | undefined, { granularity: unit });
  } catch (error) {
    throw new InvalidInputError(`${caller} options.locale`, locale, 'a valid BCP 47 language tag', { cause: error });
  }
}

const isHighSurrogate = (c: number): boolean => c >= 0xd800 && c <= 0xdbff;
const isLowSurrogate = (c: number): boolean => c >= 0xdc00 && c <= 0xdfff;

/** What a scan looks at: `text` starts at `base` in the whole text; cuts before `trustFrom` are not trusted. */
interface Window {
  text: string;
  base: number;
  trustFrom: number;
}

/** The common part: the held text, its place in the whole text, the window, the slicing of long deltas. */
abstract class Cutter implements TextCutter {
  work = 0;
  /**
   * The text after the last cut (a rope: read only by a scan of a short one, or at a cut). While
   * a delta is taken, without that delta (see `window` and `emit`).
   */
  protected held = '';
  /** Where `held` starts in the whole text, and where the text ends. */
  protected start = 0;
  protected end = 0;
  /**
   * While the held text is longer than `LONG`: its end, the current delta included, at least
   * the last `KEEP` characters before the delta and at most `2 * KEEP` more (it is trimmed once
   * it grows past that, so keeping it costs O(1) per character).
   */
  protected recent = '';
  private recentKept = false;
  /** The last two characters of the text before the current delta (-1: none), last first. */
  protected last1 = -1;
  protected last2 = -1;
  private readonly cuts: number[] = [];
  /** A high surrogate that ended the last delta: its character is judged once its low half comes. */
  private split = '';

  push(delta: string, out: (piece: string) => void): void {
    if (delta.length === 0) return;
    if (this.split !== '') {
      delta = this.split + delta;
      this.split = '';
    }
    if (isHighSurrogate(delta.charCodeAt(delta.length - 1))) {
      this.split = delta.slice(-1);
      delta = delta.slice(0, -1);
    }
    if (delta.length <= MAX_DELTA) {
      this.add(delta, out);
      return;
    }
    for (let i = 0; i < delta.length; ) {
      let j = Math.min(delta.length, i + MAX_DELTA);
      if (j < delta.length && isHighSurrogate(delta.charCodeAt(j - 1))) j++;
      this.add(delta.slice(i, j), out);
      i = j;
    }
  }

  flush(out: (piece: string) => void): void {
    if (this.split !== '') {
      // A lone high surrogate ends the text: it is a character of its own.
      this.held += this.split;
      if (this.recentKept) this.recent += this.split;
      this.end += this.split.length;
      this.split = '';
    }
    const cuts = this.cuts;
    cuts.length = 0;
    this.findFinalCuts(cuts);
    this.emit(cuts, '', this.end, out);
    if (this.held !== '') out(this.held);
    this.held = '';
    this.start = this.end;
    this.recentKept = false;
    this.reset();
  }

  private add(piece: string, out: (piece: string) => void): void {
    if (piece.length === 0) return;
    const oldEnd = this.end;
    this.end += piece.length;
    if (this.end - this.start > LONG) {
      // Only a long held text is seen through `recent`: kept from when it gets long.
      if (!this.recentKept) {
        const held = this.held;
        this.recent = held.slice(Math.max(0, held.length - KEEP)) + piece;
        this.recentKept = true;
        this.work += held.length;
      } else {
        if (this.recent.length > 2 * KEEP) {
          this.recent = this.recent.slice(this.recent.length - KEEP);
          this.work += KEEP;
        }
        this.recent += piece;
      }
    }
    const cuts = this.cuts;
    if (cuts.length !== 0) cuts.length = 0;
    this.findCuts(piece, oldEnd, cuts);
    this.emit(cuts, piece, oldEnd, out);
    const n = piece.length;
    this.last2 = n > 1 ? piece.charCodeAt(n - 2) : this.last1;
    this.last1 = piece.charCodeAt(n - 1);
  }

  /**
   * Hands the pieces before each cut to `out`; the held text then runs from the last cut to the
   * end, `piece` (which starts at `oldEnd`) included. The held text is not joined with the piece
   * unless a piece spans both, so a word cut inside a delta costs two slices and one join.
   */
  private emit(cuts: readonly number[], piece: string, oldEnd: number, out: (piece: string) => void): void {
    let text = this.held; // from `start` to `oldEnd`
    let start = this.start;
    let used = 0; // how much of `piece` went out
    for (const cut of cuts) {
      if (cut <= start) continue;
      if (cut <= oldEnd) {
        const at = cut - start;
        out(text.slice(0, at));
        text = text.slice(at);
      } else {
        const at = cut - oldEnd;
        out(text + piece.slice(used, at));
        text = '';
        used = at;
      }
      this.work += cut - start;
      start = cut;
    }
    this.held = used === 0 ? text + piece : piece.slice(used);
    if (start !== this.start) {
      this.start = start;
      if (this.end - start <= LONG) this.recentKept = false;
      this.afterCut();
    }
  }

  /**
   * What a scan of `piece` looks at: the held text whole when it is short (`trustFrom` its start),
   * else the last `KEEP` characters before the piece and the piece (`trustFrom` past `GUARD`).
   */
  protected window(piece: string): Window {
    if (this.end - this.start <= LONG + piece.length) return { text: this.held + piece, base: this.start, trustFrom: this.start };
    let text = this.recent;
    let base = this.end - text.length;
    if (isLowSurrogate(text.charCodeAt(0))) {
      text = text.slice(1);
      base++;
    }
    return { text, base, trustFrom: base + GUARD };
  }

  /** Pushes the absolute positions of the new cuts (ascending, after `start`, before `end`) onto `cuts`. */
  protected abstract findCuts(piece: string, oldEnd: number, cuts: number[]): void;
  /** At the end of the text: the cuts that waited for more text (none by default). */
  protected findFinalCuts(_cuts: number[]): void {}
  /** After a cut moved `start`. */
  protected afterCut(): void {}
  /** After a flush. */
  protected reset(): void {}
}

/** Line breaks: a piece ends after `\n`, `\r\n`, a lone `\r`, U+2028 or U+2029. */
class LineCutter extends Cutter {
  protected findCuts(piece: string, oldEnd: number, cuts: number[]): void {
    // A `\r` that ended the text before waited to see whether `\n` follows.
    if (oldEnd > this.start && this.last1 === 0x0d) {
      cuts.push(piece.charCodeAt(0) === 0x0a ? oldEnd + 1 : oldEnd);
    }
    this.work += piece.length;
    for (let i = 0; i < piece.length; i++) {
      const c = piece.charCodeAt(i);
      if (c === 0x0a || c === 0x2028 || c === 0x2029) {
        if (i === 0 && cuts[cuts.length - 1] === oldEnd + 1) continue; // the `\n` of a `\r\n` cut above
        cuts.push(oldEnd + i + 1);
      } else if (c === 0x0d) {
        if (i + 1 === piece.length) break; // wait for the next delta
        if (piece.charCodeAt(i + 1) === 0x0a) i++;
        cuts.push(oldEnd + i + 1);
      }
    }
  }
}

/** After each match of a RegExp: a piece ends where a match ends (a match that ends the text waits). */
class RegExpCutter extends Cutter {
  private readonly unicode: boolean;

  constructor(private readonly regexp: RegExp) {
    super();
    this.unicode = regexp.unicode || regexp.flags.includes('v');
  }

  protected findCuts(piece: string, _oldEnd: number, cuts: number[]): void {
    const { text, base, trustFrom } = this.window(piece);
    this.work += text.length;
    const regexp = this.regexp;
    regexp.lastIndex = 0;
    for (;;) {
      const match = regexp.exec(text);
      if (match === null) break;
      const length = match[0].length;
      if (length === 0) regexp.lastIndex = this.advance(text, regexp.lastIndex);
      const matchStart = base + match.index;
      const matchEnd = matchStart + length;
      if (matchEnd >= this.end) break; // it may go on with the next delta
      if (matchStart < trustFrom || matchEnd <= this.start) continue;
      if (cuts.length === 0 || matchEnd > (cuts[cuts.length - 1] as number)) cuts.push(matchEnd);
    }
  }

  private advance(text: string, at: number): number {
    return this.unicode && isHighSurrogate(text.charCodeAt(at)) && isLowSurrogate(text.charCodeAt(at + 1)) ? at + 2 : at + 1;
  }
}

/** Thai, Lao, Khmer and Myanmar: scripts without spaces that ICU cuts into words with a dictionary. */
function isDictionaryScript(c: number): boolean {
  return (
    (c >= 0x0e00 && c <= 0x0eff) ||
    (c >= 0x1000 && c <= 0x109f) ||
    (c >= 0x1780 && c <= 0x17ff) ||
    (c >= 0x19e0 && c <= 0x19ff) ||
    (c >= 0xa9e0 && c <= 0xa9ff) ||
    (c >= 0xaa60 && c <= 0xaa7f)
  );
}

const isAsciiLetter = (c: number): boolean => (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a);
const isAsciiDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isAsciiAlnum = (c: number): boolean => isAsciiLetter(c) || isAsciiDigit(c);
/** ASCII other than `_` (which joins words in both directions, WB13a/b): the characters `asciiWordStart` reads. */
const isPlainAscii = (c: number): boolean => c < 0x80 && c !== 0x5f;
const DOT = 0x2e;
const APOSTROPHE = 0x27;
const COLON = 0x3a;
const COMMA = 0x2c;
const SEMICOLON = 0x3b;

/**
 * Whether a word starts at a character `c` (ASCII, not `_`) after `p1` and `p2` (-1: none), by the
 * word rules of Unicode (UAX #29) on ASCII: a letter or digit starts a word after anything but a
 * letter or digit, except between two letters across `.`, `:` or `'` (WB6/7: "e.g", "can't") and
 * between two digits across `.`, `,`, `;` or `'` (WB11/12: "3.14", "3,000"). Every such word is a
 * segment `Intl.Segmenter` calls word-like. `agreesWithAsciiWords` checks this against the
 * runtime's segmenter before it is used.
 */
function asciiWordStart(p2: number, p1: number, c: number): boolean {
  if (!isAsciiAlnum(c)) return false;
  if (p1 < 0) return true;
  if (isAsciiAlnum(p1)) return false;
  if (isAsciiLetter(c) && isAsciiLetter(p2) && (p1 === DOT || p1 === COLON || p1 === APOSTROPHE)) return false;
  if (isAsciiDigit(c) && isAsciiDigit(p2) && (p1 === DOT || p1 === COMMA || p1 === SEMICOLON || p1 === APOSTROPHE)) return false;
  return true;
}

/** Text that exercises every rule `asciiWordStart` knows, and some it must not get wrong. */
const ASCII_WORDS =
  "e.g. a.b a:b a'b a,b a;b 1.2 1,2 1;2 1'2 1:2 a.1 1.a x--y (z) \"q\" can't 3,000.50 A-B a\tb a\nb a\r\nb " +
  "#1 @me x/y 5% $4 a=b a+b a|b a~b ^c `d` {e} [f] <g> i? j! k& l* m# n.. o.'p 2.,3 q'. r: s;t u,v 7a a7 A.B.C 8.9.10";

const asciiWordsChecked = new WeakMap<Intl.Segmenter, boolean>();

/** Whether this segmenter finds the word starts `asciiWordStart` finds (checked once per segmenter). */
function agreesWithAsciiWords(segmenter: Intl.Segmenter): boolean {
  let agrees = asciiWordsChecked.get(segmenter);
  if (agrees === undefined) {
    const icu: number[] = [];
    for (const segment of segmenter.segment(ASCII_WORDS)) if (segment.isWordLike === true) icu.push(segment.index);
    const ours: number[] = [];
    for (let i = 0; i < ASCII_WORDS.length; i++) {
      const p1 = i > 0 ? ASCII_WORDS.charCodeAt(i - 1) : -1;
      const p2 = i > 1 ? ASCII_WORDS.charCodeAt(i - 2) : -1;
      if (asciiWordStart(p2, p1, ASCII_WORDS.charCodeAt(i))) ours.push(i);
    }
    agrees = icu.length === ours.length && icu.every((index, i) => index === ours[i]);
    asciiWordsChecked.set(segmenter, agrees);
  }
  return agrees;
}

/** Characters that may end a sentence (SATerm) or a paragraph (ParaSep): only after them can a sentence boundary come. */
const TERMINATOR = /[\p{Sentence_Terminal}\u2024\ufe52\uff0e\n\r\u0085\u2028\u2029]/u;
/** Characters that may stand between a terminator and the next sentence (Close, Sp, and Extend and Format, which SB5 skips): a superset. */
const AFTER_TERMINATOR = /^[\s\p{M}\p{Cf}\p{Ps}\p{Pe}\p{Pi}\p{Pf}\p{Po}]*$/u;
/** Characters that settle whether a sentence boundary stays (the end of SB8's look-ahead): letters (not marks, which SB5 skips), terminators, line breaks. */
const SETTLES = /(?![\p{M}\p{Cf}])[\p{Alphabetic}\p{Lowercase}\p{Uppercase}]|[\p{Sentence_Terminal}\u2024\ufe52\uff0e\n\r\u0085\u2028\u2029]/u;

/**
 * `Intl.Segmenter`'s graphemes, words and sentences.
 * - grapheme: a piece per grapheme cluster (the last one waits: a combining mark may follow);
 * - word: a piece per word-like segment, with what follows it up to the next word (spaces,
 *   punctuation, line breaks); text before the first word goes with it. A trailing run of Thai,
 *   Lao, Khmer or Myanmar text (up to `RUN_MAX` characters) is not cut inside until it ends: ICU
 *   cuts an unfinished word of those scripts differently than the finished one.
 * - sentence: a piece per sentence with its trailing spaces; a boundary whose next sentence shows
 *   no letter yet waits (a lower-case letter may still join the two, UAX #29 SB8: "e.g. 1 apple").
 */
class SegmentCutter extends Cutter {
  /** word: the held text has a word in it (so the next word starts a piece). */
  private wordSeen = false;
  /** word: where the trailing run of Thai, Lao, Khmer or Myanmar text started (-1: the text does not end in one). */
  private runStart = -1;
  /** word: where the trailing run of Han and kana started (-1: none). */
  private ideographicStart = -1;
  /** sentence: the last boundary found was held back (see `SETTLES`). */
  private pending = false;
  /** sentence: the text ends with a terminator and only what may follow one (so a boundary may come). */
  private openTerminator = false;

  constructor(
    private readonly segmenter: Intl.Segmenter,
    private readonly unit: 'grapheme' | 'word' | 'sentence',
    private readonly asciiWords: boolean,
  ) {
    super();
  }

  protected override reset(): void {
    this.wordSeen = false;
    this.runStart = -1;
    this.ideographicStart = -1;
    this.pending = false;
    this.openTerminator = false;
  }

  protected override afterCut(): void {
    if (this.unit === 'word') this.wordSeen = true; // a cut is where a word starts
  }

  protected override findFinalCuts(cuts: number[]): void {
    if (this.unit === 'word' && (this.runStart >= 0 || this.ideographicStart >= 0)) {
      this.scanWords(this.window(''), -1, true, cuts);
    } else if (this.unit === 'sentence' && this.pending) {
      this.segmentAll(this.window(''), cuts);
    }
  }

  protected findCuts(piece: string, oldEnd: number, cuts: number[]): void {
    switch (this.unit) {
      case 'word':
        this.findWords(piece, oldEnd, cuts);
        return;
      case 'grapheme':
        this.findGraphemes(piece, oldEnd, cuts);
        return;
      case 'sentence':
        this.findSentences(piece, oldEnd, cuts);
    }
  }


  private findWords(piece: string, oldEnd: number, cuts: number[]): void {
    const runBefore = this.runStart;
    const ascii = allPlainAscii(piece);
    if (ascii) {
      this.runStart = -1;
      this.ideographicStart = -1;
    } else {
      this.runStart = trailingRun(piece, oldEnd, runBefore, isDictionaryScript);
      this.ideographicStart = trailingRun(piece, oldEnd, this.ideographicStart, isIdeographic);
    }
    let p2 = this.last2;
    let p1 = this.last1;
    if (ascii && this.asciiWords && runBefore < 0 && (p1 < 0 || isPlainAscii(p1)) && (p2 < 0 || isPlainAscii(p2))) {
      this.work += piece.length;
      for (let i = 0; i < piece.length; i++) {
        const c = piece.charCodeAt(i);
        if (asciiWordStart(p2, p1, c)) {
          const at = oldEnd + i;
          if (this.wordSeen && at > this.start) cuts.push(at);
          this.wordSeen = true;
        }
        p2 = p1;
        p1 = c;
      }
      return;
    }
    this.scanWords(this.window(piece), runBefore, false, cuts);
  }

  /**
   * The word starts in a window, as cuts. `runBefore`: the start of a dictionary-script run that
   * was waiting before this piece (-1: none); `final`: no text follows, nothing waits.
   */
  private scanWords(window: Window, runBefore: number, final: boolean, cuts: number[]): void {
    const { text, base } = window;
    let trustFrom = window.trustFrom;
    // A run that waited is cut now, from its start on.
    const waited = final ? this.runStart : runBefore;
    if (waited >= 0 && waited >= base) trustFrom = Math.min(trustFrom, waited);
    if (base === this.start) this.wordSeen = false;
    const run = this.runStart;
    const deferFrom = !final && run >= 0 && this.end - run <= RUN_MAX ? run : Infinity;
    this.work += text.length;
    const first = cuts.length;
    const segments = this.segmenter.segment(text);
    for (let at = 0; at < text.length; ) {
      const segment = segments.containing(at);
      if (segment === undefined) break;
      at = segment.index + segment.segment.length;
      const position = base + segment.index;
      if (position < trustFrom || segment.isWordLike !== true) continue;
      if (this.wordSeen && position > this.start && position <= deferFrom) cuts.push(position);
      this.wordSeen = true;
    }
    const ideographic = this.ideographicStart;
    if (!final && ideographic >= 0 && cuts.length > first && (cuts[cuts.length - 1] as number) >= ideographic) cuts.pop();
  }

  private findGraphemes(piece: string, oldEnd: number, cuts: number[]): void {
    const p1 = this.last1;
    if ((p1 < 0 || p1 < 0x80) && allAscii(piece)) {
      // ASCII: every character is a cluster of its own but `\r\n`, and no ASCII character joins
      // the one before it (none is a mark, a joiner or a prepended sign).
      this.work += piece.length;
      let previous = p1;
      for (let i = 0; i < piece.length; i++) {
        const c = piece.charCodeAt(i);
        const at = oldEnd + i;
        if (at > this.start && !(previous === 0x0d && c === 0x0a)) cuts.push(at);
        previous = c;
      }
      return;
    }
    this.segmentAll(this.window(piece), cuts);
  }

  private findSentences(piece: string, _oldEnd: number, cuts: number[]): void {
    const hasTerminator = TERMINATOR.test(piece);
    const openBefore = this.openTerminator;
    this.openTerminator = hasTerminator ? endsOpen(piece) : openBefore && AFTER_TERMINATOR.test(piece);
    // A boundary comes only after a terminator (and what may follow one): none, no scan.
    if (!this.pending && !openBefore && !hasTerminator) {
      this.work += piece.length;
      return;
    }
    const window = this.window(piece);
    const found: number[] = [];
    this.segmentAll(window, found);
    this.pending = false;
    const last = found[found.length - 1];
    if (last !== undefined && !settled(window, last)) {
      found.pop();
      this.pending = true;
    }
    for (const position of found) cuts.push(position);
  }

  /** Every trusted boundary after `start` in a window, as cuts. */
  private segmentAll({ text, base, trustFrom }: Window, cuts: number[]): void {
    this.work += text.length;
    const segments = this.segmenter.segment(text);
    for (let at = 0; at < text.length; ) {
      const segment = segments.containing(at);
      if (segment === undefined) break;
      at = segment.index + segment.segment.length;
      const position = base + segment.index;
      if (position >= trustFrom && position > this.start) cuts.push(position);
    }
  }
}

/**
 * Han and kana: ICU cuts them into words with a dictionary too, and may cut an unfinished word
 * ("新し": "新", "し") where the finished one is whole ("新しい"); the cut before the last word
 * of such a run waits for the next word.
 */
function isIdeographic(c: number): boolean {
  return (
    (c >= 0x3040 && c <= 0x30ff) ||
    (c >= 0x31f0 && c <= 0x31ff) ||
    (c >= 0x3400 && c <= 0x9fff) ||
    (c >= 0xf900 && c <= 0xfaff) ||
    (c >= 0xff66 && c <= 0xff9f) ||
    c === 0x3005 ||
    (c >= 0xd840 && c <= 0xd87f) || // high surrogates of U+20000–U+2FFFF (Han extensions)
    (c >= 0xdc00 && c <= 0xdfff) // their low halves (alone, never the start of a run)
  );
}

/** Whether `text` has only ASCII characters. */
function allAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) >= 0x80) return false;
  return true;
}

/** Whether `text` has only ASCII characters other than `_`. */
function allPlainAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (!isPlainAscii(text.charCodeAt(i))) return false;
  return true;
}

/** Where the trailing run of characters of a kind starts once `piece` (at `offset`) is appended (-1: none). */
function trailingRun(piece: string, offset: number, runBefore: number, isKind: (c: number) => boolean): number {
  for (let i = piece.length - 1; i >= 0; i--) {
    if (!isKind(piece.charCodeAt(i))) return i === piece.length - 1 ? -1 : offset + i + 1;
  }
  return runBefore >= 0 ? runBefore : offset;
}

/** White space, closing punctuation, and the marks and format characters that go with them (Sp, Close, Extend, Format of UAX #29, about) at the end of a text. */
const TRAILING_CLOSE = /[\s\p{M}\p{Cf}\p{Ps}\p{Pe}\p{Pi}\p{Pf}"']*$/u;

/**
 * Whether a sentence boundary at `position` stays whatever follows: the next sentence shows a
 * letter or a terminator (where SB8's look-ahead ends), or the sentence before it does not end
 * with a full stop (only "." and its look-alikes, ATerm, can be joined to a lower-case word).
 */
function settled(window: Window, position: number): boolean {
  const at = position - window.base;
  if (SETTLES.test(window.text.slice(at))) return true;
  const before = window.text.slice(Math.max(0, at - KEEP), at);
  const last = before.charCodeAt(before.length - 1);
  if (last === 0x0a || last === 0x0d || last === 0x85 || last === 0x2028 || last === 0x2029) return true;
  const sentence = before.replace(TRAILING_CLOSE, '');
  if (sentence === '') return false;
  const c = sentence.charCodeAt(sentence.length - 1);
  return !(c === 0x2e || c === 0x2024 || c === 0xfe52 || c === 0xff0e);
}

const TERMINATORS = new RegExp(TERMINATOR.source, 'gu');

/** Whether `piece`, which has a terminator, ends with its last terminator and only what may follow one. */
function endsOpen(piece: string): boolean {
  let after = 0;
  TERMINATORS.lastIndex = 0;
  for (let match = TERMINATORS.exec(piece); match !== null; match = TERMINATORS.exec(piece)) after = match.index + match[0].length;
  return AFTER_TERMINATOR.test(piece.slice(after));
}
