import fc from 'fast-check';
import { encoderFor } from '../../lib/tokens/loadEncoding.js';
import { TokenTally } from '../../lib/tokens/TokenTally.js';
import type { EncodingName } from '../../lib/tokens/encodingForModel.js';
import { anyText, PERSIAN } from './helpers.js';
import { InvalidInputError } from '../../lib/errors.js';

/**
 * A text and the lengths to cut it into (the deltas, in order; the rest is one last delta). The
 * size is set large: fast-check's default would keep the list of cuts under about 10 whatever
 * `maxLength` says, and leave most of a long text to that last delta.
 */
const cutText = (text: fc.Arbitrary<string>, maxDelta: number): fc.Arbitrary<{ text: string; deltas: string[] }> =>
  fc.tuple(text, fc.array(fc.integer({ min: 0, max: maxDelta }), { maxLength: 200, size: 'large' })).map(([whole, cuts]) => {
    const deltas: string[] = [];
    let at = 0;
    for (const cut of cuts) {
      if (at >= whole.length) break;
      deltas.push(whole.slice(at, at + cut));
      at += cut;
    }
    if (at < whole.length) deltas.push(whole.slice(at));
    return { text: whole, deltas };
  });

/**
 * Pushes every delta and checks the running count against a fresh count of the text so far
 * (after every delta, or every `every`-th one and the last).
 */
function checkRunning(encoding: EncodingName, deltas: readonly string[], longPiece?: number, every = 1): void {
  const encoder = encoderFor(encoding);
  const tally = new TokenTally(encoder, encoding, longPiece);
  let text = '';
  for (let i = 0; i < deltas.length; i++) {
    const delta = deltas[i] as string;
    text += delta;
    const running = tally.push(delta);
    if (i % every !== 0 && i !== deltas.length - 1) continue;
    if (running !== encoder.count(text)) {
      throw new Error(`after ${JSON.stringify(text)}: running ${running}, fresh ${encoder.count(text)}`);
    }
    expect(tally.count).toBe(running);
  }
}

const encodings = fc.constantFrom<EncodingName>('o200k_base', 'cl100k_base');
const longPieces = fc.constantFrom(1, 2, 5, 64);

/**
 * The running count checked on long texts made of `units` (up to `maxLength` of them: fast-check
 * keeps strings short by default, so the size is set large), cut into deltas of up to `maxDelta`.
 */
function checkRunsOf(units: readonly string[], maxLength: number, maxDelta: number, numRuns: number): void {
  const text = fc.string({ unit: fc.constantFrom(...units), minLength: 1, maxLength, size: 'large' });
  let long = 0;
  fc.assert(
    fc.property(cutText(text, maxDelta), encodings, longPieces, ({ text: whole, deltas }, encoding, longPiece) => {
      if (whole.length >= 100 && deltas.length >= 30) long++;
      checkRunning(encoding, deltas, longPiece);
    }),
    { numRuns },
  );
  // Long texts streamed in many small deltas, not only short ones.
  expect(long).toBeGreaterThan(numRuns / 10);
}

describe('TokenTally', () => {
  it('should equal a fresh count of the text so far after every delta (any text, any cuts)', () => {
    let long = 0;
    fc.assert(
      fc.property(cutText(anyText(60, 'medium'), 8), encodings, longPieces, ({ deltas }, encoding, longPiece) => {
        if (deltas.length >= 20) long++;
        checkRunning(encoding, deltas, longPiece);
      }),
      { numRuns: 1000 },
    );
    expect(long).toBeGreaterThan(100);
  });

  it('should equal a fresh count inside long pieces: runs of letters, spaces, symbols, digits', () => {
    checkRunsOf(['a', 'b', 'ab', 'A', 'ب', 'س', 'ی', '\u064E', ' ', '\t', '=', '-', '/', '1', "'", 's', '\n'], 600, 12, 300);
  });

  it('should equal a fresh count in runs without spaces: mixed case, capitals, marks, emoji, symbols, line breaks', () => {
    // The shapes whose pieces `reach` reads exactly (o200k's two letter classes, with backtracking
    // over letters of both: Lm 'ʰ', Lo 'ب', marks) and the run kinds of capitals, symbols and breaks.
    const units = ['A', 'B', 'Ab', 'Cd', 'aB', 'a', 'ǅ', 'ʰ', 'ب', '\u0301', '\uFE0F', '❤', '😀', '🏽', '\u200D', '=', '-', '«', "'", "'s", "'LL", 'e', '1', '\n', '\r', ' ', '\t'];
    checkRunsOf(units, 300, 6, 600);
  });

  it('should equal a fresh count in white space with line breaks, and after it', () => {
    // A tail of white space alone is two pieces, cut after its last line break (`pushBlank`).
    checkRunsOf([' ', '  ', '\t', '\n', '\n\n', '\r\n', '\r', '\u00a0', '\u3000', '\u2028', '\v', ' \n ', 'a', '.', '1'], 300, 7, 600);
  });

  it('should split again only a bounded tail per delta in long runs (O(delta) per delta)', () => {
    // The characters handed to the pre-split, summed over a whole stream: linear in the text when
    // each delta re-splits a bounded tail (or none), quadratic when it re-splits the whole run.
    const shapes: Record<string, (n: number) => string> = {
      'mixed case': (n) => 'AbCd'.repeat(n / 4),
      'lower then upper': (n) => 'aBcD'.repeat(n / 4),
      capitals: (n) => 'A'.repeat(n),
      'capitals then lower case': (n) => 'A'.repeat(n / 2) + 'a'.repeat(n / 2),
      'emoji with a mark': (n) => '❤\uFE0F'.repeat(n / 2),
      emoji: (n) => '😀'.repeat(n / 2),
      'emoji with joiners': (n) => '🧑\u200D🚀'.repeat(n / 5),
      'emoji with and without a mark': (n) => '🔥❤\uFE0F'.repeat(n / 4),
      'flags with joiners and marks': (n) => '🏳\uFE0F\u200D🌈'.repeat(n / 6),
      symbols: (n) => '=-'.repeat(n / 2),
      'letters and marks': (n) => 'a\u0301'.repeat(n / 2),
      marks: (n) => '\u0301'.repeat(n),
      'line breaks': (n) => '\r\n'.repeat(n / 2),
      'blank lines with indents': (n) => '  \n'.repeat(n / 3),
      'indented blank lines': (n) => '\n    '.repeat(n / 5),
      'tabs and breaks': (n) => '\t\r\n'.repeat(n / 3),
      Persian: (n) => 'سلام'.repeat(n / 4),
    };
    for (const encoding of ['o200k_base', 'cl100k_base'] as const) {
      for (const [name, make] of Object.entries(shapes)) {
        const codePoints = [...make(6000)];
        const tally = new TokenTally(encoderFor(encoding), encoding);
        let text = '';
        for (let i = 0; i < codePoints.length; i += 2) {
          const delta = codePoints.slice(i, i + 2).join('');
          text += delta;
          tally.push(delta);
        }
        expect({ encoding, name, count: tally.push('') }).toEqual({ encoding, name, count: encoderFor(encoding).count(text) });
        if (tally.scanned > 8 * text.length) throw new Error(`${encoding}, ${name}: ${tally.scanned} characters split again for ${text.length}`);
      }
    }
  });

  it('should equal a fresh count on Persian text in small deltas', () => {
    fc.assert(
      fc.property(cutText(fc.constant(PERSIAN.repeat(3)), 6), encodings, ({ deltas }, encoding) => {
        checkRunning(encoding, deltas);
      }),
      { numRuns: 30 },
    );
  });

  it('should equal a fresh count on English-like prose in deltas of any size', () => {
    const word = fc.constantFrom('the', 'The', 'quick', 'brown', 'Fox', 'a', 'I', 'jumps', "isn't", 'over', 'NASA', 'x2', 'café', '7', '42', '1999', '123456');
    const glue = fc.constantFrom(' ', ' ', ' ', ', ', '. ', '  ', '\n', ' - ');
    const prose = fc.array(fc.tuple(word, glue), { minLength: 1, maxLength: 40, size: 'large' }).map((parts) => parts.map(([w, g]) => w + g).join(''));
    let long = 0;
    fc.assert(
      fc.property(cutText(prose, 7), encodings, ({ text, deltas }, encoding) => {
        if (text.length >= 100 && deltas.length >= 30) long++;
        checkRunning(encoding, deltas);
      }),
      { numRuns: 500 },
    );
    expect(long).toBeGreaterThan(100);
  });

  it('should follow runs long enough to leave the resume window, and leave a run for other text', () => {
    for (const encoding of ['o200k_base', 'cl100k_base'] as const) {
      for (const unit of ['a', 'ب', ' ', 'ab', 'Ab', '=']) {
        const deltas: string[] = [];
        for (let i = 0; i < 2000; i++) deltas.push(unit.repeat(1 + (i % 5)));
        deltas.push(' and then, some words.', '\n', unit.repeat(50));
        checkRunning(encoding, deltas, undefined, 37);
      }
    }
  });

  it('should count a delta that completes a surrogate pair, and empty deltas', () => {
    checkRunning('o200k_base', ['Hi ', '\ud83d', '\udc4b', '', ' there', '\ud83d']);
    checkRunning('o200k_base', ['\ud83d', '\udc4b'.repeat(1)]);
    checkRunning('cl100k_base', ['a'.repeat(100), '\ud83d', '\udc4b', 'b'.repeat(100)]);
  });

  it('should count digit groups by code point when a digit is astral', () => {
    // \p{N}{1,3} groups three code points; 𒐀 (U+12400) is one code point in two UTF-16 units.
    checkRunning('o200k_base', ['௦𒐀', '۱۴۰۳']);
    checkRunning('o200k_base', ['𒐀𒐀', '𒐀1', '23']);
    checkRunning('cl100k_base', ['௦𒐀', '۱۴۰۳']);
  });

  it('should throw an InvalidInputError for a delta that is not a string', () => {
    const tally = new TokenTally(encoderFor('o200k_base'), 'o200k_base');
    expect(() => tally.push(3 as unknown as string)).toThrow(InvalidInputError);
  });

  it('should stream a 64K run without whitespace fast (the run is not re-scanned per delta)', () => {
    // A guard against quadratic behaviour, not a benchmark: measured ~0.1 s for each.
    for (const unit of ['a', 'ب']) {
      const started = performance.now();
      const tally = new TokenTally(encoderFor('o200k_base'), 'o200k_base');
      for (let i = 0; i < 65_536; i += 4) tally.push(unit.repeat(4));
      expect(tally.count).toBe(encoderFor('o200k_base').count(unit.repeat(65_536)));
      expect(performance.now() - started).toBeLessThan(5000);
    }
  });
});
