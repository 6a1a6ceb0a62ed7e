import fc from 'fast-check';
import { BytePairEncoder, mergeLarge, mergeSmall, toBinary, withoutCaptures } from '../../lib/tokens/bpe.js';
import { encoderFor } from '../../lib/tokens/loadEncoding.js';
import { anyText, codeUnitText } from './helpers.js';

describe('bpe', () => {
  describe('toBinary', () => {
    it('should give the bytes TextEncoder gives, one unit per byte (lone surrogates as U+FFFD)', () => {
      const encoder = new TextEncoder();
      fc.assert(
        fc.property(fc.oneof(anyText(40), codeUnitText(40)), (text) => {
          const expected = Array.from(encoder.encode(text));
          const bytes = toBinary(text);
          expect(Array.from(bytes, (c) => c.charCodeAt(0))).toEqual(expected);
        }),
        { numRuns: 500 },
      );
    });

    it('should return ASCII text as is and handle texts longer than one conversion batch', () => {
      expect(toBinary('plain ascii')).toBe('plain ascii');
      const long = 'ب'.repeat(20_000);
      expect(toBinary(long)).toHaveLength(40_000);
      expect(toBinary(long).slice(0, 2)).toBe('\xd8\xa8');
    });
  });

  describe('withoutCaptures', () => {
    it('should make groups non-capturing, leaving escapes, classes and (?…) groups alone', () => {
      expect(withoutCaptures("(a|b)(?:c)\\(d[(]e(?!f)")).toBe("(?:a|b)(?:c)\\(d[(]e(?!f)");
    });

    it('should keep the matches of both patterns', () => {
      for (const name of ['o200k_base', 'cl100k_base'] as const) {
        const original = new RegExp((require(`js-tiktoken/ranks/${name}`) as { pat_str: string }).pat_str, 'gu');
        const ours = encoderFor(name).pattern;
        fc.assert(
          fc.property(anyText(40), (text) => {
            expect(Array.from(text.matchAll(ours), (m) => [m.index, m[0]])).toEqual(
              Array.from(text.matchAll(original), (m) => [m.index, m[0]]),
            );
          }),
          { numRuns: 300 },
        );
      }
    });
  });

  describe('merge', () => {
    it('should give the same tokens by plain scan and by heap', () => {
      const encoder = encoderFor('o200k_base');
      const pieces = fc.oneof(
        fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'ab', 'ba', ' ', '='), minLength: 2, maxLength: 120, size: 'large' }),
        fc.string({ unit: 'binary', minLength: 1, maxLength: 40, size: 'large' }).map(toBinary),
      );
      fc.assert(
        fc.property(pieces, (piece) => {
          fc.pre(piece.length >= 2);
          const small = mergeSmall(piece, encoder);
          expect(mergeLarge(piece, encoder)).toEqual(small);
          expect(small[0]).toBe(0);
          for (let i = 1; i < small.length; i++) expect(small[i]).toBeGreaterThan(small[i - 1] as number);
          for (let i = 0; i < small.length; i++) {
            expect(encoder.ranks.has(piece.slice(small[i], small[i + 1] ?? piece.length))).toBe(true);
          }
        }),
        { numRuns: 400 },
      );
    });

    it('should build its ranks from a rank file', () => {
      const encoder = new BytePairEncoder({
        pat_str: '\\S+|\\s+',
        special_tokens: {},
        bpe_ranks: '! 0 YQ== Yg== IA==\n! 3 YWI= YWJhYg==\n',
      });
      expect(encoder.ranks.get('a')).toBe(0);
      expect(encoder.ranks.get(' ')).toBe(2);
      expect(encoder.ranks.get('ab')).toBe(3);
      expect(encoder.maxTokenBytes).toBe(4);
      // 'ababab' → 'abab' + 'ab' (ab merges first, then abab leftmost); ' ' → 1; 'ba' → b, a.
      expect(encoder.tokenStarts('ababab')).toEqual([0, 4]);
      expect(encoder.count('ababab ba')).toBe(5);
    });

    it('should count only the matched pieces when the pattern skips text, as js-tiktoken does', () => {
      const encoder = new BytePairEncoder({
        pat_str: '[ab]+',
        special_tokens: {},
        bpe_ranks: '! 0 YQ== Yg== IA==\n! 3 YWI= YWJhYg==\n',
      });
      // ' ' and '!' match nothing: skipped (the exec fallback); 'abab' → 1, 'ba' → 2, 'ab' → 1.
      expect(encoder.count('abab ba!ab')).toBe(4);
      expect(encoder.count('!! ')).toBe(0);
    });

    it('should count every two-byte ASCII piece as its merge does, from its pair table too', () => {
      for (const name of ['o200k_base', 'cl100k_base'] as const) {
        const encoder = encoderFor(name);
        for (const pass of ['fills the table', 'reads it']) {
          const wrong: string[] = [];
          for (let pair = 0; pair < 16384; pair++) {
            const piece = String.fromCharCode(pair >> 7, pair & 127);
            if (encoder.countPiece(piece) !== mergeSmall(piece, encoder).length) wrong.push(JSON.stringify(piece));
          }
          expect({ name, pass, wrong }).toEqual({ name, pass, wrong: [] });
        }
        // Not ASCII: not from the table ('é' is two bytes, 'aé' three).
        expect(encoder.countPiece('aé')).toBe(encoder.tokenStarts(toBinary('aé')).length);
        expect(encoder.countPiece('\u0080a')).toBe(encoder.tokenStarts(toBinary('\u0080a')).length);
      }
    });

    it('should give the same count for a piece from its memo as from a fresh merge', () => {
      const encoder = encoderFor('o200k_base');
      const piece = ` memoised${Math.random().toString(36).slice(2)}`;
      const fresh = encoder.tokenStarts(toBinary(piece)).length;
      expect(encoder.countPiece(piece)).toBe(fresh);
      expect(encoder.countPiece(piece)).toBe(fresh);
      expect(encoder.count(`${piece}${piece}`)).toBe(encoder.count(piece) * 2);
    });
  });
});
