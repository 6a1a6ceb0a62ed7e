/**
 * Helpers of the text operators' specs: a text cut into deltas, arbitrary cuts, and what
 * `Intl.Segmenter` makes of a whole text (the reference the streamed pieces are held to).
 */
import fc from 'fast-check';
import { FRAGMENTS } from '../tokens/helpers.js';

/** `text` cut at the given lengths (cycled), never into empty pieces. */
export function cutInto(text: string, sizes: readonly number[]): string[] {
  const deltas: string[] = [];
  for (let i = 0, k = 0; i < text.length; k++) {
    const size = Math.max(1, sizes.length === 0 ? text.length : (sizes[k % sizes.length] as number));
    deltas.push(text.slice(i, i + size));
    i += size;
  }
  return deltas;
}

/** `text` cut into deltas of `size` characters. */
export const deltasOf = (text: string, size: number): string[] => cutInto(text, [size]);

/** Arbitrary delta lengths (1 to 12 code units: surrogate pairs and clusters get split). */
export const deltaSizes = fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 8 });

/**
 * The pieces `textChunks` must give for a whole text, by `Intl.Segmenter`: a piece per segment
 * (grapheme, sentence); per word-like segment with what follows it, text before the first word
 * going with it (word).
 */
export function referencePieces(text: string, by: 'grapheme' | 'word' | 'sentence', locale?: string): string[] {
  const cuts: number[] = [];
  let word = false;
  for (const segment of new Intl.Segmenter(locale, { granularity: by }).segment(text)) {
    if (by !== 'word') {
      if (segment.index > 0) cuts.push(segment.index);
    } else if (segment.isWordLike === true) {
      if (word) cuts.push(segment.index);
      word = true;
    }
  }
  const pieces: string[] = [];
  let from = 0;
  for (const cut of cuts) {
    pieces.push(text.slice(from, cut));
    from = cut;
  }
  if (from < text.length) pieces.push(text.slice(from));
  return pieces;
}

/** Words and separators of several scripts, from which realistic texts are built. */
export const PROSE_PARTS = [
  ...FRAGMENTS.filter((f) => !f.startsWith('\ud83d') && !f.startsWith('\udc4b') && !f.includes('<|')),
  ' ', ' ', ' ', '. ', '? ', '! ', ', ', '؟ ', '، ', '. ', '\n',
  'The', ' cat', ' sat', ' on', ' the', ' mat', 'e.g.', ' 3.14', ' 3,000', "can't",
  'می‌خواهم', ' کتاب‌ها', ' را', ' بخوانم', 'مرحبا', ' بالعالم',
  '今日は', '良い天気', 'ですね。', '明日も', '晴れる', 'でしょう。', '人工智能', '正在改变', '我们的生活。',
];

/** Texts built from `PROSE_PARTS`. */
export const proseText = (maxLength = 60): fc.Arbitrary<string> =>
  fc.array(fc.constantFrom(...PROSE_PARTS), { maxLength, size: 'large' }).map((parts) => parts.join(''));
