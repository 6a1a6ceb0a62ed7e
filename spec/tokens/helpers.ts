import fc from 'fast-check';
import { Tiktoken } from 'js-tiktoken/lite';
import type { EncodingName } from '../../lib/tokens/encodingForModel.js';

const references = new Map<EncodingName, Tiktoken>();

/** js-tiktoken's own encoder (slow to build: one per encoding per spec file). */
export function reference(name: EncodingName): Tiktoken {
  let encoder = references.get(name);
  if (encoder === undefined) {
    const ranks = require(`js-tiktoken/ranks/${name}`) as ConstructorParameters<typeof Tiktoken>[0];
    encoder = new Tiktoken(ranks);
    references.set(name, encoder);
  }
  return encoder;
}

/** js-tiktoken's count, special-token strings as text: `encode(text, [], []).length`. */
export function referenceCount(text: string, name: EncodingName): number {
  return reference(name).encode(text, [], []).length;
}

/** Persian text (the seed documentation is Persian): ZWNJ, diacritics, Persian digits, punctuation. */
export const PERSIAN =
  'این کتابخانه جریان پاسخ‌های مدل زبانی را به رویدادهای قابل مشاهده تبدیل می‌کند. ' +
  'هر تکه از متن که از سرور می‌رسد بلافاصله نمایش داده می‌شود؛ شمارش توکن‌ها دقیق است. ' +
  'عدد ۱۲۳۴۵ و تاریخ ۱۴۰۳/۰۲/۱۵ را هم بشمار. «نقل‌قول» و پرسش؟ بَلِه، دُرُست است!\n\n' +
  'فهرست:\n- اول\n- دوم\n';

/**
 * Pieces that stress the pre-split and the merge: words in several scripts and cases,
 * contractions, digits, whitespace runs with and without newlines, symbols, marks, emoji (with
 * joiners and modifiers), special-token strings, lone surrogates.
 */
export const FRAGMENTS = [
  'a', 'b', 'ab', 'the', ' the', 'Hello', ' world', 'WORLD', 'CamelCase', 'xyzzy', 'ing', 'é', 'e\u0301', 'Ǆǅ', 'ʰ',
  "'", "'s", "'S", "'ll", "'RE", "'ve", "'d", "don't", "we're",
  '0', '1', '23', '456', '7890', '٣', '۱۴۰۳', 'Ⅻ',
  ' ', '  ', '   ', '\t', '\n', '\n\n', '\r\n', '\r', ' \n ', '\u00a0', '\u2003', '\u3000',
  '.', ',', '!?', '...', '/', '//', '://', '-', '==', '{', '}', '()', '"', '«', '؛', '،', '@#$',
  'سلام', ' دنیا', 'می‌شود', 'کتاب', 'ب', 'س', 'ا', 'ی', '\u064E', '\u200C', 'お誕生日', '漢字', 'д', 'Привет',
  '👋', '🏽', '👋🏽', '🧑\u200D🚀', '❤️', '🇮🇷',
  '<|endoftext|>', '<|endofprompt|>', '<|fim_prefix|>', '<|im_start|>',
  '\ud83d', '\udc4b',
] as const;

/**
 * Texts made of {@link FRAGMENTS}. `size` is fast-check's: by default (`'small'`) a text has about
 * 10 parts at most, whatever `maxLength` says; `'medium'` or `'large'` let it reach `maxLength`.
 */
export const fragmentText = (maxLength = 30, size?: fc.SizeForArbitrary): fc.Arbitrary<string> =>
  fc.array(fc.constantFrom(...FRAGMENTS), { maxLength, size }).map((parts) => parts.join(''));

/** Any UTF-16 code units, lone surrogates included. */
export const codeUnitText = (maxLength = 30, size?: fc.SizeForArbitrary): fc.Arbitrary<string> =>
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit)), maxLength, size });

/** Texts of every kind: fragments, any code points, graphemes, code units (`size` as for {@link fragmentText}). */
export const anyText = (maxLength = 30, size?: fc.SizeForArbitrary): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 4, arbitrary: fragmentText(maxLength, size) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength, size }) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength, size }) },
    { weight: 1, arbitrary: codeUnitText(maxLength, size) },
  );

/** "1, 2, 3, ..., 99, 100." as the classic streaming notebook's model replied. */
export const COUNT_TO_100_REPLY = `${Array.from({ length: 100 }, (_, i) => String(i + 1)).join(', ')}.`;
/** That notebook's prompt, exactly. */
export const COUNT_TO_100_PROMPT = 'Count to 100, with a comma between each number and no newlines. E.g., 1, 2, 3, ...';
