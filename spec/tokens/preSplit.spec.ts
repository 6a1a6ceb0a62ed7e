import fc from 'fast-check';
import { allIn } from '../../lib/tokens/charClasses.js';
import type { EncodingName } from '../../lib/tokens/encodingForModel.js';
import { encoderFor } from '../../lib/tokens/loadEncoding.js';
import { pieceList, preSplitModel, reach, runKindAt, splitByPattern } from '../../lib/tokens/preSplit.js';
import { anyText } from './helpers.js';

const encodings = fc.constantFrom<EncodingName>('o200k_base', 'cl100k_base');

/** The pieces `splitByPattern` gives (`[start, end)` each) and how many of them are final. */
function patternPieces(text: string, encoding: EncodingName): { pieces: Array<[number, number]>; final: number } {
  const list = pieceList(1); // grown as needed
  const final = splitByPattern(encoderFor(encoding), preSplitModel(encoding), text, list);
  const pieces = Array.from({ length: list.count }, (_, k): [number, number] => [list.bounds[2 * k] as number, list.bounds[2 * k + 1] as number]);
  return { pieces, final };
}

/** Units for runs of every kind: letters of both cases and of both o200k classes, marks, emoji, symbols, white space, digits, lone surrogates. */
const RUN_UNITS = ['a', 'b', 'z', 'A', 'B', 'ǅ', 'ʰ', 'ب', '\u064E', '\u0301', '\uFE0F', '❤', '😀', '\u200D', ' ', '\t', '\u00a0', '\n', '\r', '=', '-', '/', '«', "'", '1', '.', ',', '\ud83d', '\udc4b'];
const runText = (maxLength: number): fc.Arbitrary<string> =>
  fc.string({ unit: fc.constantFrom(...RUN_UNITS), minLength: 1, maxLength, size: 'large' });
/** Units of one kind each (lower-case letters and marks, capitals, spaces, symbols, line breaks), and all of them. */
const POOLS = [['a', 'b', 'z', 'ʰ', 'ب', '\u064E', '\u0301'], ['A', 'B', 'ǅ'], [' ', '\t', '\u00a0'], ['=', '-', '/', '«', '❤', '😀', '\uFE0F', '\u200D', '.', ','], ['\n', '\r'], RUN_UNITS];
/** A unit of any kind (or none) and a run of one pool's units after it. */
const runOfAKind = fc
  .tuple(fc.constantFrom('', ...RUN_UNITS), fc.constantFrom(...POOLS).chain((pool) => fc.string({ unit: fc.constantFrom(...pool), minLength: 1, maxLength: 20, size: 'medium' })))
  .map(([first, rest]) => first + rest);

describe('preSplit', () => {
  describe('splitByPattern', () => {
    it('should cut a text as the pattern does, and keep every piece it calls final whatever is appended', () => {
      let finals = 0;
      fc.assert(
        fc.property(fc.oneof(anyText(40), runText(60)), fc.oneof(anyText(8), runText(8)), encodings, (text, appended, encoding) => {
          const { pieces, final } = patternPieces(text, encoding);
          const matches = Array.from(text.matchAll(encoderFor(encoding).pattern), (m): [number, number] => [m.index, m.index + m[0].length]);
          expect(pieces).toEqual(matches.filter(([start, end]) => end > start));
          expect(final).toBeLessThanOrEqual(pieces.length);
          expect(patternPieces(text + appended, encoding).pieces.slice(0, final)).toEqual(pieces.slice(0, final));
          finals += final;
        }),
        { numRuns: 3000 },
      );
      expect(finals).toBeGreaterThan(3000);
    });

    it('should keep the last piece pending, and a piece the pattern may still read past', () => {
      // "hello world": the engine reads " " after "hello" (final), and cannot know where " world" ends.
      expect(patternPieces('hello world', 'o200k_base')).toEqual({ pieces: [[0, 5], [5, 11]], final: 1 });
      // "it's" then "x": the contraction reads 3 characters from the apostrophe, past the end.
      expect(patternPieces("it's", 'o200k_base')).toEqual({ pieces: [[0, 4]], final: 0 });
      // A full group of three digits ends on its own.
      expect(patternPieces('123', 'cl100k_base')).toEqual({ pieces: [[0, 3]], final: 1 });
      // A trailing high surrogate is not read yet: with its other half it may be a letter (𝐀,
      // U+1D400) that joins the word before it, so that word is not final.
      expect(patternPieces('ab\ud835', 'cl100k_base')).toEqual({ pieces: [[0, 2], [2, 3]], final: 0 });
      expect(patternPieces('ab\ud835\udc00', 'cl100k_base').pieces).toEqual([[0, 4]]);
    });
  });

  describe('reach', () => {
    it('should bound what the engine reads by the word it matched, exactly for o200k', () => {
      const o200k = preSplitModel('o200k_base');
      // "Ab" then "Cd": o200k's first word alternative stops at the capital after "Ab".
      expect(reach(o200k, 'AbCd', 0)).toBe(3);
      expect(reach(o200k, 'hello world', 0)).toBe(6);
      // cl100k reads letters whatever their case.
      expect(reach(preSplitModel('cl100k_base'), 'AbCd', 0)).toBe(5);
    });
  });

  describe('runKindAt', () => {
    it('should find the pieces that stay one piece as characters of their kind are appended', () => {
      const seen = new Set<string>();
      fc.assert(
        fc.property(runOfAKind, fc.array(fc.constantFrom(...RUN_UNITS), { maxLength: 12, size: 'medium' }), encodings, (text, candidates, encoding) => {
          // The tally asks only about a tail the pattern found to be one piece.
          if (patternPieces(text, encoding).pieces.length !== 1) return;
          const model = preSplitModel(encoding);
          const kind = runKindAt(model, text, 0);
          if (kind === undefined) return;
          seen.add(`${encoding} ${model.kinds.indexOf(kind)}`);
          const appended = candidates.filter((unit) => allIn(kind.rest, unit, 0)).join('');
          expect(patternPieces(text + appended, encoding).pieces).toEqual([[0, text.length + appended.length]]);
        }),
        { numRuns: 6000 },
      );
      // Every kind of both patterns was met.
      expect([...seen].sort()).toEqual(['cl100k_base 0', 'cl100k_base 1', 'cl100k_base 2', 'cl100k_base 3', 'o200k_base 0', 'o200k_base 1', 'o200k_base 2', 'o200k_base 3', 'o200k_base 4']);
    });

    it('should read capitals then lower case as o200k letters ("HELLOworld"), and a trailing high surrogate as no run', () => {
      const o200k = preSplitModel('o200k_base');
      expect(runKindAt(o200k, 'HELLOworld', 0)).toBe(o200k.letters);
      expect(runKindAt(o200k, 'HELLO', 0)).toBe(o200k.kinds[2]);
      expect(runKindAt(o200k, '==\ud83d', 0)).toBeUndefined();
      expect(runKindAt(o200k, 'a1', 0)).toBeUndefined();
    });
  });

  it('should read only classes its pattern spells', () => {
    for (const encoding of ['o200k_base', 'cl100k_base'] as const) {
      const pattern = (require(`js-tiktoken/ranks/${encoding}`) as { pat_str: string }).pat_str;
      for (const cls of preSplitModel(encoding).spelled) expect({ encoding, source: cls.source, spelled: pattern.includes(cls.source) }).toEqual({ encoding, source: cls.source, spelled: true });
    }
  });
});
