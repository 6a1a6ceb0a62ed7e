import fc from 'fast-check';
import * as charClasses from '../../lib/tokens/charClasses.js';
import { allIn, CLASS_TABLE, oneOf, runEnd, type CharClass } from '../../lib/tokens/charClasses.js';
import { anyText } from './helpers.js';

/** Every class the module exports. */
const CLASSES: Array<[string, CharClass]> = Object.entries(charClasses).filter(
  (entry): entry is [string, CharClass] => typeof entry[1] === 'object' && entry[1] !== null && 'bit' in entry[1] && 'source' in entry[1],
);

/** The classes of the table that hold `ch`, by name. */
function classesOf(ch: string): string[] {
  return CLASSES.filter(([, cls]) => ((CLASS_TABLE[ch.charCodeAt(0)] as number) & cls.bit) !== 0).map(([name]) => name);
}

describe('charClasses', () => {
  it('should give each class its own bit', () => {
    expect(CLASSES.length).toBeGreaterThan(10);
    const bits = CLASSES.map(([, cls]) => cls.bit);
    expect(new Set(bits).size).toBe(bits.length);
    for (const bit of bits) expect(bit & (bit - 1)).toBe(0);
  });

  it('should hold, for each ASCII code, exactly the classes whose expression matches it', () => {
    for (let c = 0; c < 128; c++) {
      const ch = String.fromCharCode(c);
      const expected = CLASSES.filter(([, cls]) => new RegExp(`^(?:${cls.source})$`, 'u').test(ch)).map(([name]) => name);
      expect({ c, classes: classesOf(ch) }).toEqual({ c, classes: expected });
    }
  });

  it('should read letters, spaces, line breaks and symbols as the patterns do', () => {
    expect(classesOf('a')).toEqual(expect.arrayContaining(['LETTER', 'LETTER_OR_MARK', 'CASED_LOWER', 'CASED_WORD_FIRST', 'WORD_FIRST']));
    expect(classesOf('a')).not.toContain('CASED_UPPER');
    expect(classesOf('Q')).toEqual(expect.arrayContaining(['LETTER', 'CASED_UPPER', 'CAPITAL', 'CAPITALS_FIRST']));
    expect(classesOf('Q')).not.toContain('CASED_LOWER');
    expect(classesOf(' ').sort()).toEqual(['BEFORE_WORD', 'CAPITALS_FIRST', 'CASED_WORD_FIRST', 'INLINE_SPACE', 'SPACE', 'SYMBOL_RUN_FIRST', 'WHITE_SPACE', 'WORD_FIRST']);
    expect(classesOf('\n').sort()).toEqual(['AFTER_SYMBOL', 'LINE_BREAK', 'WHITE_SPACE']);
    expect(classesOf('/')).toEqual(expect.arrayContaining(['SYMBOL', 'AFTER_SYMBOL', 'SYMBOL_RUN', 'BEFORE_WORD']));
    expect(classesOf("'")).toContain('CASED_WORD_FIRST');
    expect(classesOf("'")).not.toContain('WORD_FIRST');
    expect(classesOf(',')).toContain('WORD_MARK');
    expect(classesOf('7').sort()).toEqual(['NUMBER']);
  });

  it('should find runs and single characters as the class expressions do, beyond ASCII too', () => {
    const texts = fc.oneof(anyText(30), fc.string({ unit: fc.constantFrom('a', 'Z', 'ʰ', 'ب', '\u0301', ' ', '\u00a0', '\n', '=', '1', '٣', '😀', '\ud83d'), maxLength: 30, size: 'medium' }));
    fc.assert(
      fc.property(texts, fc.nat(), fc.constantFrom(...CLASSES), (text, at, [, cls]) => {
        const from = text.length === 0 ? 0 : at % (text.length + 1);
        const run = new RegExp(`(?:${cls.source})*`, 'uy');
        run.lastIndex = from;
        run.exec(text);
        expect(runEnd(cls, text, from)).toBe(run.lastIndex);
        expect(allIn(cls, text, from)).toBe(run.lastIndex === text.length);
        const one = new RegExp(`(?:${cls.source})`, 'uy');
        one.lastIndex = from;
        expect(oneOf(cls, text, from)).toBe(one.test(text) ? one.lastIndex : -1);
      }),
      { numRuns: 3000 },
    );
  });
});
