import fc from 'fast-check';
import { blankTokens, isBlank, pushBlank, startBlank } from '../../lib/tokens/blankTail.js';
import { encoderFor } from '../../lib/tokens/loadEncoding.js';

const encoders = fc.constantFrom(encoderFor('o200k_base'), encoderFor('cl100k_base'));
const longPieces = fc.constantFrom(1, 2, 5, 64);
/** White space of every kind the pattern's `\s` takes, line breaks among it. */
const BLANKS = [' ', '  ', '\t', '\n', '\n\n', '\r\n', '\r', '\u00a0', '\u3000', '\u2028', '\v', '\f', ' \n '];

describe('blankTail', () => {
  it('should tell white space alone from anything else', () => {
    expect(isBlank(' \t\n\r\u00a0\u3000\u2028')).toBe(true);
    expect(isBlank('')).toBe(true);
    expect(isBlank('  a ')).toBe(false);
    expect(isBlank(' \u200b')).toBe(false); // a zero-width space is no `\s`
    expect(isBlank(' \ud83d')).toBe(false);
  });

  it('should take only long white space with a line break in it', () => {
    const encoder = encoderFor('o200k_base');
    expect(startBlank(encoder, ' \n ', 64)).toBeUndefined(); // short
    expect(startBlank(encoder, ' '.repeat(100), 64)).toBeUndefined(); // no line break: one piece
    expect(startBlank(encoder, '\n'.repeat(100) + 'a', 64)).toBeUndefined(); // not blank
    const blank = startBlank(encoder, ' \n'.repeat(50) + '   ', 64);
    expect(blank).toMatchObject({ breakEnd: 100, secondText: '   ' });
    expect(blank !== undefined && blankTokens(blank)).toBe(encoder.count(' \n'.repeat(50) + '   '));
  });

  it('should count the tail as a fresh count does after every delta of white space', () => {
    let long = 0;
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...BLANKS), { minLength: 1, maxLength: 300, size: 'large' }),
        fc.array(fc.integer({ min: 1, max: 6 }), { maxLength: 150, size: 'large' }),
        encoders,
        longPieces,
        (units, steps, encoder, longPiece) => {
          // The first delta that makes the tail long enough starts it; each later one is pushed.
          let tail = '';
          let blank: ReturnType<typeof startBlank>;
          let used = 0;
          let pushed = 0;
          for (const step of [...steps, units.length]) {
            const delta = units.slice(used, used + step).join('');
            used += step;
            if (delta === '') break;
            tail += delta;
            if (blank === undefined) {
              blank = startBlank(encoder, tail, longPiece);
              if (blank === undefined) continue;
            } else {
              pushBlank(encoder, blank, delta, tail, longPiece);
              pushed++;
            }
            const tokens = blankTokens(blank);
            if (tokens !== encoder.count(tail)) throw new Error(`${JSON.stringify(tail)}: ${tokens}, fresh ${encoder.count(tail)}`);
          }
          if (pushed > 30) long++;
        },
      ),
      { numRuns: 400 },
    );
    expect(long).toBeGreaterThan(40);
  });
});
