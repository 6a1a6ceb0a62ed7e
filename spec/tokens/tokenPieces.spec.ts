import fc from 'fast-check';
import { countTokens } from '../../lib/tokens/countTokens.js';
import { tokenPieces } from '../../lib/tokens/tokenPieces.js';
import { anyText, PERSIAN, reference } from './helpers.js';
import { InvalidInputError } from '../../lib/errors.js';

/** Whether a string holds a lone surrogate (not valid text). */
const hasLoneSurrogate = (text: string): boolean => /\p{Cs}/u.test(text);

describe('tokenPieces', () => {
  it('should split a text into the text of each token', () => {
    expect(tokenPieces('Hello, world!', 'gpt-4o-mini')).toEqual(['Hello', ',', ' world', '!']);
    expect(tokenPieces('<|endoftext|>', 'gpt-4o')).toEqual(['<', '|', 'end', 'of', 'text', '|', '>']);
    expect(tokenPieces('', 'gpt-4o')).toEqual([]);
  });

  it('should join the tokens that split a character, so every piece is valid text', () => {
    // o200k: お 誕(2 tokens) 生日 お め で とう; cl100k splits 誕 too.
    expect(tokenPieces('お誕生日おめでとう', 'gpt-4o')).toEqual(['お', '誕', '生日', 'お', 'め', 'で', 'とう']);
    expect(tokenPieces('👋🏽', 'gpt-4o')).toEqual(['👋', '🏽']);
  });

  it('should give pieces that join back into the text, one per token unless a character was split', () => {
    fc.assert(
      fc.property(anyText(40), fc.constantFrom('gpt-4o', 'gpt-4'), (text, model) => {
        const pieces = tokenPieces(text, model);
        expect(pieces.join('')).toBe(text);
        for (const piece of pieces) expect(piece.length).toBeGreaterThan(0);
        const tokens = countTokens(text, model);
        expect(pieces.length).toBeLessThanOrEqual(tokens);
        if (!hasLoneSurrogate(text)) {
          // Valid text: each piece is valid text, and is the decoding of the tokens it covers.
          for (const piece of pieces) expect(hasLoneSurrogate(piece)).toBe(false);
          const encoding = model === 'gpt-4' ? 'cl100k_base' : 'o200k_base';
          const decoded = reference(encoding)
            .encode(text, [], [])
            .map((token) => reference(encoding).decode([token]));
          if (decoded.every((piece) => !piece.includes('\ufffd'))) expect(pieces).toEqual(decoded);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('should split Persian text token by token', () => {
    const pieces = tokenPieces(PERSIAN, 'gpt-4o');
    expect(pieces.join('')).toBe(PERSIAN);
    expect(pieces.length).toBe(countTokens(PERSIAN, 'gpt-4o'));
  });

  it('should throw an InvalidInputError for a text that is not a string', () => {
    expect(() => tokenPieces(null as unknown as string, 'gpt-4o')).toThrow(InvalidInputError);
  });
});
