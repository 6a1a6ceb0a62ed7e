import fc from 'fast-check';
import { toBinary } from '../../lib/tokens/bpe.js';
import { growPiece, resumePiece, startPiece, WINDOW, type GrowingPiece } from '../../lib/tokens/growingPiece.js';
import { encoderFor } from '../../lib/tokens/loadEncoding.js';
import { FRAGMENTS } from './helpers.js';

const encoders = fc.constantFrom(encoderFor('o200k_base'), encoderFor('cl100k_base'));

/** Throws unless `piece` holds what a fresh encoding of `text` gives: its token starts, its byte and unit lengths. */
function expectFresh(encoder: ReturnType<typeof encoderFor>, piece: GrowingPiece, text: string): void {
  const bytes = toBinary(text);
  const starts = encoder.tokenStarts(bytes);
  const same =
    piece.bytes === bytes.length &&
    piece.length === text.length &&
    piece.starts.length === starts.length &&
    starts.every((start, k) => piece.starts[k] === start);
  if (!same) throw new Error(`${JSON.stringify(text.slice(0, 80))}… (${text.length} units): ${piece.starts.length} tokens, fresh ${starts.length}`);
}

/**
 * Grows a piece through `steps` (how many of `units` to add each time), with `growPiece` (or
 * `resumePiece`, which also takes a half character at the old end), and checks it against a fresh
 * encoding after each step. Returns the largest `base` seen (above 0: the window was cut).
 */
function checkGrowth(encoder: ReturnType<typeof encoderFor>, units: readonly string[], steps: readonly number[], resume = false): number {
  let text = units.slice(0, steps[0]).join('');
  let piece = startPiece(encoder, 0, text);
  expectFresh(encoder, piece, text);
  let used = steps[0] ?? 0;
  let base = 0;
  for (const step of steps.slice(1)) {
    const added = units.slice(used, used + step).join('');
    used += step;
    text += added;
    if (resume) {
      piece = resumePiece(encoder, piece, 0, text);
    } else {
      growPiece(encoder, piece, toBinary(added), text.length, text, 0);
    }
    expectFresh(encoder, piece, text);
    base = Math.max(base, piece.base);
  }
  return base;
}

describe('growingPiece', () => {
  it('should give the tokens of a fresh encoding after every growth', () => {
    // Whole code points, so that `growPiece` may take each step; runs of one script and mixed text.
    const runs = fc.constantFrom('a', 'b', 'ab', 'ب', 'س', '\u064E', '😀', '🏽', '=', '-', ' ', 'A', 'e\u0301');
    const mixed = fc.constantFrom(...FRAGMENTS.filter((fragment) => !/^[\ud800-\udfff]$/.test(fragment)));
    let long = 0;
    fc.assert(
      fc.property(
        fc.array(fc.oneof(runs, mixed), { minLength: 1, maxLength: 300, size: 'large' }),
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 200, size: 'large' }),
        encoders,
        (units, steps, encoder) => {
          if (steps.length > 50) long++;
          checkGrowth(encoder, units, steps);
        },
      ),
      { numRuns: 150 },
    );
    expect(long).toBeGreaterThan(15);
  });

  it('should resume across a character cut in two (resumePiece)', () => {
    // Any code units, lone surrogates included: a step may end between the halves of a pair.
    const unit = fc.constantFrom(...FRAGMENTS);
    fc.assert(
      fc.property(
        fc.array(unit, { minLength: 1, maxLength: 200, size: 'large' }),
        fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 100, size: 'large' }),
        encoders,
        (units, steps, encoder) => {
          checkGrowth(encoder, units, steps, true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('should stay exact on pieces longer than its window, from which it resumes', () => {
    // Past 2 * WINDOW bytes the piece keeps only its last WINDOW or so (`base` moves on).
    for (const [letters, bytes] of [
      ['a', 1],
      ['ab', 2],
      ['ب', 2],
      ['😀', 4],
    ] as const) {
      const units: string[] = Array.from({ length: Math.ceil((2.5 * WINDOW) / bytes) }, () => letters);
      const steps = [1, ...Array.from({ length: Math.ceil(units.length / 13) }, () => 13)];
      const encoder = encoderFor('o200k_base');
      expect({ letters, cut: checkGrowth(encoder, units, steps) > 0 }).toEqual({ letters, cut: true });
    }
  });

  describe('resumePiece', () => {
    it('should resume the same piece grown, and start over for another one', () => {
      const encoder = encoderFor('o200k_base');
      const first = startPiece(encoder, 3, 'aaaa');
      const grown = resumePiece(encoder, first, 3, 'aaaaaaaa');
      expect(grown).toBe(first);
      expectFresh(encoder, grown, 'aaaaaaaa');
      expect(resumePiece(encoder, grown, 3, 'aaaaaaaa')).toBe(grown);
      const other = resumePiece(encoder, grown, 4, 'aaaaaaaaa');
      expect(other).not.toBe(grown);
      expect(other.start).toBe(4);
      expectFresh(encoder, other, 'aaaaaaaaa');
      expectFresh(encoder, resumePiece(encoder, undefined, 0, 'abab'), 'abab');
    });

    it('should start over when the old end was half a character', () => {
      // '\ud83d' alone is U+FFFD's three bytes; with its other half it is four others.
      const encoder = encoderFor('o200k_base');
      const half = startPiece(encoder, 0, '==\ud83d');
      const whole = resumePiece(encoder, half, 0, '==\ud83d\udc4b==');
      expect(whole).not.toBe(half);
      expectFresh(encoder, whole, '==\ud83d\udc4b==');
    });
  });
});
