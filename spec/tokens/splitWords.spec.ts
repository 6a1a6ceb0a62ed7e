import fc from 'fast-check';
import type { EncodingName } from '../../lib/tokens/encodingForModel.js';
import { encoderFor } from '../../lib/tokens/loadEncoding.js';
import { pieceList, preSplitModel, runKindAt, splitByPattern } from '../../lib/tokens/preSplit.js';
import { LAST_CAPITAL, LAST_DIGITS, LAST_LOWER, LAST_SPACES, NOT_WORDS, splitWords, wordCuts } from '../../lib/tokens/splitWords.js';

const encodings = fc.constantFrom<EncodingName>('o200k_base', 'cl100k_base');

/** The pieces `splitWords` gives, `[start, end)` each, or undefined when it does not take `text`. */
function wordPieces(text: string, out = wordCuts(64)): Array<[number, number]> | undefined {
  const count = splitWords(text, out);
  if (count === NOT_WORDS) return undefined;
  expect(out.count).toBe(count);
  const starts = [0, ...Array.from(out.cuts.subarray(0, count))];
  return starts.map((start, k): [number, number] => [start, starts[k + 1] ?? text.length]);
}

/** The pieces the pattern gives and how many of them are final. */
function patternPieces(text: string, encoding: EncodingName): { pieces: Array<[number, number]>; final: number } {
  const list = pieceList(2);
  const final = splitByPattern(encoderFor(encoding), preSplitModel(encoding), text, list);
  const pieces = Array.from({ length: list.count }, (_, k): [number, number] => [list.bounds[2 * k] as number, list.bounds[2 * k + 1] as number]);
  return { pieces, final };
}

describe('splitWords', () => {
  it('should split a tail of ASCII words without the pattern exactly as the pattern does', () => {
    // The same pieces as `splitByPattern`, and every one but the last final there too.
    const word = fc.oneof(fc.stringMatching(/^[A-Z]?[a-z]{0,7}[,.;:!?]?$/), fc.stringMatching(/^[0-9]{1,7}$/));
    const words = fc
      .tuple(
        fc.constantFrom('', ' ', '  ', ', ', '. ', '!'),
        fc.array(fc.tuple(fc.constantFrom(' ', ' ', ' ', '  ', '   '), word), { minLength: 1, maxLength: 5 }),
        fc.constantFrom('', ' ', '  ', ','),
      )
      .map(([before, list, after]) => before + list.map(([gap, w], k) => (k === 0 ? '' : gap) + w).join('') + after);
    const noisy = fc.string({ unit: fc.constantFrom(' ', 'a', 'z', 'q', 'A', 'Q', 'ab', ' the', ' Quick', ' x', "'", ',', '.', '!?', '/', '1', '\n', 'é'), maxLength: 24, size: 'large' });
    const tails = fc.oneof({ arbitrary: words, weight: 3 }, { arbitrary: noisy, weight: 1 });
    let taken = 0;
    fc.assert(
      fc.property(tails, encodings, (tail, encoding) => {
        const pieces = wordPieces(tail);
        if (pieces === undefined) return;
        taken++;
        expect(patternPieces(tail, encoding)).toEqual({ pieces, final: pieces.length - 1 });
      }),
      { numRuns: 3000 },
    );
    expect(taken).toBeGreaterThan(1000);
  });

  it("should say what its last piece is as the run kind it has (the tally's shortcut for runKindAt)", () => {
    // LAST_LOWER is the letters' kind, LAST_SPACES the spaces', LAST_DIGITS none; LAST_CAPITAL is left to runKindAt.
    const word = fc.oneof(fc.stringMatching(/^[A-Z]?[a-z]{0,5}[,.;:!?]?$/), fc.stringMatching(/^[0-9]{1,5}$/));
    const tails = fc
      .tuple(fc.array(fc.tuple(fc.constantFrom('', ' ', '  ', '   '), word), { minLength: 1, maxLength: 4 }), fc.constantFrom('', ' ', '  ', '   '))
      .map(([list, after]) => list.map(([gap, w]) => gap + w).join('') + after);
    const seen = new Set<number>();
    fc.assert(
      fc.property(tails, encodings, (tail, encoding) => {
        const out = wordCuts(64);
        const count = splitWords(tail, out);
        if (count === NOT_WORDS) return;
        seen.add(out.last);
        const model = preSplitModel(encoding);
        const start = count === 0 ? 0 : (out.cuts[count - 1] as number);
        const kind = runKindAt(model, tail, start);
        if (out.last === LAST_LOWER) expect(kind).toBe(model.letters);
        else if (out.last === LAST_SPACES) expect(kind).toBe(model.spaces);
        else if (out.last === LAST_DIGITS) expect(kind).toBeUndefined();
        else expect(out.last).toBe(LAST_CAPITAL);
      }),
      { numRuns: 2000 },
    );
    expect([...seen].sort()).toEqual([LAST_LOWER, LAST_SPACES, LAST_DIGITS, LAST_CAPITAL]);
  });

  it('should tell a capital after a space from one that starts the piece', () => {
    const last = (text: string): number => {
      const out = wordCuts(64);
      expect(splitWords(text, out)).not.toBe(NOT_WORDS);
      return out.last;
    };
    expect([last('a The'), last('a T'), last('The'), last('a the'), last('a '), last('ab,'), last('a   '), last('a 12')]).toEqual([
      LAST_CAPITAL,
      LAST_CAPITAL,
      LAST_LOWER,
      LAST_LOWER,
      LAST_LOWER,
      LAST_LOWER,
      LAST_SPACES,
      LAST_DIGITS,
    ]);
  });

  it('should cut words, marks, runs of spaces and numbers in groups of three', () => {
    expect(wordPieces(' the Quick,  brown')).toEqual([[0, 4], [4, 10], [10, 11], [11, 12], [12, 18]]);
    expect(wordPieces(' in 1999 and')).toEqual([[0, 3], [3, 4], [4, 7], [7, 8], [8, 12]]);
    expect(wordPieces('1234567 x')).toEqual([[0, 3], [3, 6], [6, 7], [7, 9]]);
    expect(wordPieces('hello')).toEqual([[0, 5]]);
  });

  it('should leave to the pattern what it does not take', () => {
    for (const text of [
      '', // nothing to split
      "don't", // an apostrophe
      'camelCase', // a capital inside a word
      'x2', // a digit after a letter
      'a\nb', // a line break
      'café', // beyond ASCII
      'I.', // one letter and a mark: the pattern keeps both pending
      ' 123', // a full group of three digits at the end is final already
      'a ,', // a space before a mark
      '?!', // two marks
    ]) {
      expect({ text, count: splitWords(text, wordCuts(64)) }).toEqual({ text, count: NOT_WORDS });
    }
  });

  it('should not take a text longer than its cuts array', () => {
    expect(splitWords('a b c d', wordCuts(4))).toBe(NOT_WORDS);
    expect(splitWords('a b c d', wordCuts(7))).toBe(3);
  });
});
