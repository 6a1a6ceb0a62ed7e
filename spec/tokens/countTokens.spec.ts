import fc from 'fast-check';
import { countTokens } from '../../lib/tokens/countTokens.js';
import { anyText, COUNT_TO_100_REPLY, PERSIAN, referenceCount } from './helpers.js';
import { InvalidInputError } from '../../lib/errors.js';

/** js-tiktoken's count of `persianRun(65_536)` (o200k_base), recorded once: it takes it most of an hour. */
const PERSIAN_64K_TOKENS = 63_292;

/** Persian letters without whitespace, the same pseudo-random sequence as the recorded figure. */
function persianRun(length: number): string {
  const letters = 'ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی';
  let seed = 12345;
  let text = '';
  for (let i = 0; i < length; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    text += letters[seed % letters.length];
  }
  return text;
}

describe('countTokens', () => {
  it('should count like js-tiktoken encode(text, [], []) on any text (o200k_base)', () => {
    fc.assert(
      fc.property(anyText(40), (text) => {
        expect(countTokens(text, 'gpt-4o')).toBe(referenceCount(text, 'o200k_base'));
      }),
      { numRuns: 1000 },
    );
  });

  it('should count like js-tiktoken encode(text, [], []) on any text (cl100k_base)', () => {
    fc.assert(
      fc.property(anyText(40), (text) => {
        expect(countTokens(text, 'gpt-4')).toBe(referenceCount(text, 'cl100k_base'));
      }),
      { numRuns: 1000 },
    );
  });

  it('should count long pieces (the heap path) like js-tiktoken', () => {
    const runs = fc.string({ unit: fc.constantFrom('a', 'b', 'ab', 'ب', 'س', 'ی', '=', '-', ' ', 'x'), minLength: 20, maxLength: 400, size: 'large' });
    fc.assert(
      fc.property(runs, (text) => {
        expect(countTokens(text, 'gpt-4o-mini')).toBe(referenceCount(text, 'o200k_base'));
        expect(countTokens(text, 'gpt-3.5-turbo')).toBe(referenceCount(text, 'cl100k_base'));
      }),
      { numRuns: 150 },
    );
  });

  it('should count Persian text exactly as js-tiktoken does', () => {
    for (const text of [PERSIAN, PERSIAN.repeat(20), PERSIAN.replace(/\s/g, ''), persianRun(400)]) {
      expect(countTokens(text, 'gpt-4o')).toBe(referenceCount(text, 'o200k_base'));
      expect(countTokens(text, 'gpt-4')).toBe(referenceCount(text, 'cl100k_base'));
    }
  });

  it('should count special-token strings as ordinary text, never throwing', () => {
    // js-tiktoken's encode(text) throws on these by default.
    for (const text of ['<|endoftext|>', 'a<|endofprompt|>b', '<|fim_prefix|><|fim_middle|><|fim_suffix|>', '<|im_start|>user']) {
      expect(countTokens(text, 'gpt-4o')).toBe(referenceCount(text, 'o200k_base'));
      expect(countTokens(text, 'gpt-4')).toBe(referenceCount(text, 'cl100k_base'));
    }
    expect(countTokens('<|endoftext|>', 'gpt-4o')).toBe(7);
  });

  it("should count the streaming notebook's reply as 299 tokens (gpt-3.5-turbo and gpt-4o-mini)", () => {
    expect(COUNT_TO_100_REPLY.startsWith('1, 2, 3, ')).toBe(true);
    expect(COUNT_TO_100_REPLY.endsWith(', 99, 100.')).toBe(true);
    expect(countTokens(COUNT_TO_100_REPLY, 'gpt-3.5-turbo')).toBe(299);
    expect(countTokens(COUNT_TO_100_REPLY, 'gpt-4o-mini')).toBe(299);
  });

  it('should pick the encoding from the model name, or the encoding option', () => {
    const text = 'お誕生日おめでとう';
    expect(countTokens(text, 'gpt-4o')).toBe(8);
    expect(countTokens(text, 'gpt-4')).toBe(9);
    expect(countTokens(text, 'gpt-4o', { encoding: 'cl100k_base' })).toBe(9);
    expect(countTokens(text, 'some-unknown-model')).toBe(8);
  });

  it('should count 64K characters without whitespace quickly (guard against the quadratic merge)', () => {
    // js-tiktoken's merge is quadratic per piece: the figures were recorded once with js-tiktoken
    // 1.0.21 `encode(text, [], []).length`, which took 23 min for the "a"s and 49 min for the
    // Persian letters on this (shared) machine. Measured here: 0.13 s and 0.2 s.
    const started = performance.now();
    expect(countTokens('a'.repeat(65_536), 'gpt-4o')).toBe(8192);
    expect(countTokens(persianRun(65_536), 'gpt-4o')).toBe(PERSIAN_64K_TOKENS);
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('should return 0 for an empty text', () => {
    expect(countTokens('', 'gpt-4o')).toBe(0);
  });

  it('should throw an InvalidInputError for a text that is not a string', () => {
    expect(() => countTokens(undefined as unknown as string, 'gpt-4o')).toThrow(InvalidInputError);
    expect(() => countTokens(42 as unknown as string, 'gpt-4o')).toThrow(InvalidInputError);
  });

  it('should throw an InvalidInputError for an unknown encoding option', () => {
    expect(() => countTokens('x', 'gpt-4o', { encoding: 'p50k_base' as 'o200k_base' })).toThrow(InvalidInputError);
  });
});
