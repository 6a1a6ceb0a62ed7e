import { TestScheduler } from 'rxjs/testing';
import { from, lastValueFrom, toArray } from 'rxjs';
import fc from 'fast-check';
import { textChunks } from '../../lib/operators/textChunks.js';
import { cutterFactory, type TextUnit } from '../../lib/operators/textCutter.js';
import { ChatStreamError, InvalidInputError } from '../../lib/errors.js';
import { cutInto, deltaSizes, deltasOf, proseText, referencePieces } from '../helpers/text.js';
import { anyText, PERSIAN } from '../tokens/helpers.js';

/** The pieces `textChunks` makes of the deltas, synchronously. */
function piecesOf(deltas: readonly string[], by?: TextUnit | RegExp, locale?: string): string[] {
  let pieces: string[] = [];
  from(deltas)
    .pipe(textChunks({ by, locale }), toArray())
    .subscribe((all) => (pieces = all));
  return pieces;
}

describe('textChunks', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  describe('in marbles', () => {
    const values = { a: 'Hel', b: 'lo, wor', c: 'ld! Bye' };

    it('should emit whole words with what follows them, holding back the last until completion', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const e1 = cold('  --a-----b---------c-----|', values);
        const e1subs = '  ^-----------------------!';
        const expected = ' --------x---------y-----(z|)';

        expectObservable(e1.pipe(textChunks({ by: 'word' }))).toBe(expected, { x: 'Hello, ', y: 'world! ', z: 'Bye' });
        expectSubscriptions(e1.subscriptions).toBe(e1subs);
      });
    });

    it('should cut by word when no unit is given', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const e1 = cold('  -a-b-c-|', values);
        expectObservable(e1.pipe(textChunks())).toBe(' ---x-y-(z|)', { x: 'Hello, ', y: 'world! ', z: 'Bye' });
      });
    });

    it('should complete without values on an empty source', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const e1 = cold<string>('  |');
        expectObservable(e1.pipe(textChunks())).toBe('|');
        expectSubscriptions(e1.subscriptions).toBe('(^!)');
      });
    });

    it('should emit nothing for a source that never emits', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const e1 = cold<string>('  -');
        expectObservable(e1.pipe(textChunks())).toBe('-');
        expectSubscriptions(e1.subscriptions).toBe('^');
      });
    });

    it('should emit one value, held to the end, for one unfinished word', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const e1 = cold('  -a--|', { a: 'Hello' });
        expectObservable(e1.pipe(textChunks())).toBe(' ----(x|)', { x: 'Hello' });
      });
    });

    it('should emit several pieces for one delta that finishes several', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const e1 = cold('  -a-----|', { a: 'One two three four' });
        expectObservable(e1.pipe(textChunks())).toBe(' -(xyz)-(w|)', { x: 'One ', y: 'two ', z: 'three ', w: 'four' });
      });
    });

    it('should skip empty deltas', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const e1 = cold('  -e-a-e-b-|', { e: '', a: 'Hi ', b: 'there' });
        expectObservable(e1.pipe(textChunks())).toBe(' -------x-(y|)', { x: 'Hi ', y: 'there' });
      });
    });

    it('should emit the held piece before an error: nothing that arrived is lost', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const e1 = cold('  -a-b-#', values, new ChatStreamError('cut'));
        const e1subs = '  ^----!';
        const expected = ' ---x-(y#)';

        expectObservable(e1.pipe(textChunks())).toBe(expected, { x: 'Hello, ', y: 'wor' }, expect.any(ChatStreamError));
        expectSubscriptions(e1.subscriptions).toBe(e1subs);
      });
    });

    it('should stop when unsubscribed early', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const e1 = cold('  -a-b-c-|', values);
        const unsub = '    ----!';
        const e1subs = '  ^---!';

        expectObservable(e1.pipe(textChunks()), unsub).toBe(' ---x-', { x: 'Hello, ' });
        expectSubscriptions(e1.subscriptions).toBe(e1subs);
      });
    });

    it('should error with an InvalidInputError for a value that is not a string, after the held text', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const e1 = cold('  -a-n-b-|', { a: 'Hi the', n: 42 as unknown as string, b: 're' });
        const e1subs = '  ^--!';

        expectObservable(e1.pipe(textChunks())).toBe(' -x-(y#)', { x: 'Hi ', y: 'the' }, expect.any(InvalidInputError));
        expectSubscriptions(e1.subscriptions).toBe(e1subs);
      });
    });

    it('should start afresh for each subscription', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const cut = cold('  -a-b-|', { a: 'Hi th', b: 'ere' }).pipe(textChunks());
        expectObservable(cut).toBe(' -x---(y|)', { x: 'Hi ', y: 'there' });
        expectObservable(cut, '  --^').toBe(' ---x---(y|)', { x: 'Hi ', y: 'there' });
      });
    });
  });

  describe('units', () => {
    it('should cut sentences with their trailing spaces, and wait while a lower-case letter may still join two', () => {
      // "big. e.g." and "one. 1 apple" are not sentence ends (UAX #29 SB8: a lower-case word follows).
      expect(piecesOf(['Hello. World', ' is big. ', 'E.g. this', ' one. 1', ' apple! Done'], 'sentence')).toEqual([
        'Hello. ',
        'World is big. ',
        'E.g. this one. 1 apple! ',
        'Done',
      ]);
      expect(piecesOf(['Wait... what? Yes.\n', '\n', '(1) item', ' big. e.g. this'], 'sentence')).toEqual([
        'Wait... what? ',
        'Yes.\n',
        '\n',
        '(1) item big. e.g. this',
      ]);
    });

    it('should cut lines after \\n, \\r\\n (even split over two deltas), a lone \\r, U+2028 and U+2029', () => {
      expect(piecesOf(['one\r', '\ntwo\rthree\u2028four\u2029five\n', '\n', 'six'], 'line')).toEqual([
        'one\r\n',
        'two\r',
        'three\u2028',
        'four\u2029',
        'five\n',
        '\n',
        'six',
      ]);
      expect(piecesOf(['a\r', 'b\r'], 'line')).toEqual(['a\r', 'b\r']);
    });

    it('should keep graphemes whole even when a delta splits them', () => {
      const text = 'a👋🏽🧑\u200D🚀e\u0301\r\n🇮🇷';
      expect(piecesOf(deltasOf(text, 1), 'grapheme')).toEqual(['a', '👋🏽', '🧑\u200D🚀', 'e\u0301', '\r\n', '🇮🇷']);
    });

    it('should cut after each match of a RegExp, waiting while a match ends the text', () => {
      expect(piecesOf(['First. Sec', 'ond!', ' Third\n', '\nFourth'], /[.!?]\s+|\n+/)).toEqual([
        'First. ',
        'Second! ',
        'Third\n\n',
        'Fourth',
      ]);
    });

    it('should take a RegExp with any flags, and cut at empty matches without looping', () => {
      expect(piecesOf(['abcABCabc'], /(?=A)/y)).toEqual(['abc', 'ABCabc']);
      expect(piecesOf(['a😀b😀c'], /(?=😀)/gu)).toEqual(['a', '😀b', '😀c']);
      expect(piecesOf(['xyz'], /q*/g)).toEqual(['x', 'y', 'z']);
    });
  });

  describe('languages', () => {
    it('should keep Persian words with a ZWNJ (U+200C) whole, and end Persian sentences at ؟ and .', () => {
      const text = 'می‌خواهم کتاب‌ها را بخوانم. آیا تو هم می‌آیی؟ بله، حتماً!';
      expect(piecesOf(deltasOf(text, 3), 'word', 'fa')).toEqual([
        'می‌خواهم ',
        'کتاب‌ها ',
        'را ',
        'بخوانم. ',
        'آیا ',
        'تو ',
        'هم ',
        'می‌آیی؟ ',
        'بله، ',
        'حتماً!',
      ]);
      expect(piecesOf(deltasOf(text, 2), 'sentence', 'fa')).toEqual(['می‌خواهم کتاب‌ها را بخوانم. ', 'آیا تو هم می‌آیی؟ ', 'بله، حتماً!']);
    });

    it('should cut Arabic as Arabic', () => {
      expect(piecesOf(deltasOf('مرحبا بالعالم؟ نعم.', 4), 'word', 'ar')).toEqual(['مرحبا ', 'بالعالم؟ ', 'نعم.']);
    });

    it('should cut Japanese and Chinese into words without spaces, as the whole text is cut', () => {
      const japanese = '今日は良い天気ですね。東京都庁の近くで新しいレストランが開店しました。';
      const chinese = '人工智能正在改变我们的生活方式。北京大学的研究人员发表了一篇新论文。';
      for (const [text, locale] of [
        [japanese, 'ja'],
        [chinese, 'zh'],
      ] as const) {
        const whole = referencePieces(text, 'word', locale);
        expect(whole.length).toBeGreaterThan(10);
        for (const size of [1, 2, 3, 5]) expect(piecesOf(deltasOf(text, size), 'word', locale)).toEqual(whole);
      }
    });

    it('should cut a run of Thai into words once it ends, not while its last word may be unfinished', () => {
      const text = 'สวัสดีครับ วันนี้อากาศดีมาก ผมอยากไปเที่ยวทะเล';
      const pieces = piecesOf(deltasOf(text, 1), 'word', 'th');
      expect(pieces).toEqual(referencePieces(text, 'word', 'th'));
      expect(pieces.slice(0, 4)).toEqual(['สวัสดี', 'ครับ ', 'วัน', 'นี้']);
    });

    it('should cut the Persian of the seed document as the whole text is cut, for every unit', () => {
      for (const by of ['word', 'sentence', 'grapheme'] as const) {
        const whole = referencePieces(PERSIAN, by, 'fa');
        for (const size of [1, 4, 7]) expect(piecesOf(deltasOf(PERSIAN, size), by, 'fa')).toEqual(whole);
      }
    });
  });

  describe('properties', () => {
    it('should give back exactly the text, whatever the text, the unit and the cuts', () => {
      const units = fc.constantFrom<TextUnit | RegExp>('word', 'sentence', 'grapheme', 'line', /\s+/, /[.!?؟]/u, /(?=\p{Lu})/u);
      const text = fc.oneof(
        anyText(40),
        fc.string({ unit: 'binary', maxLength: 600, size: 'large' }),
        fc.string({ unit: 'grapheme', maxLength: 600, size: 'large' }),
      );
      let long = 0;
      fc.assert(
        fc.property(text, deltaSizes, units, (input, sizes, by) => {
          if (input.length > 300) long++;
          expect(piecesOf(cutInto(input, sizes), by).join('')).toBe(input);
        }),
        { numRuns: 400 },
      );
      expect(long).toBeGreaterThan(20);
    });

    it('should cut realistic text in any script as Intl.Segmenter cuts the whole text', () => {
      let long = 0;
      fc.assert(
        fc.property(proseText(80), deltaSizes, fc.constantFrom('word', 'sentence', 'grapheme' as const), (input, sizes, by) => {
          if (input.length > 200) long++;
          expect(piecesOf(cutInto(input, sizes), by)).toEqual(referencePieces(input, by));
        }),
        { numRuns: 300 },
      );
      expect(long).toBeGreaterThan(10);
    });

    it('should find the words of ASCII text (without Intl.Segmenter) exactly where Intl.Segmenter finds them', () => {
      const ascii = fc.string({
        unit: fc.constantFrom(...'aZ09 .,;:\'"-_!?()\t\n\r'.split(''), 'ab', 'AB', '12', '  '),
        maxLength: 200,
        size: 'large',
      });
      fc.assert(
        fc.property(ascii, deltaSizes, (input, sizes) => {
          expect(piecesOf(cutInto(input, sizes), 'word')).toEqual(referencePieces(input, 'word'));
        }),
        { numRuns: 500 },
      );
    });
  });

  describe('work', () => {
    /** The work of cutting `text` in 4-character deltas, per character. */
    function workPerCharacter(by: TextUnit | RegExp, text: string): number {
      const cutter = cutterFactory(by, undefined, 'spec')();
      const out = (): void => undefined;
      for (const delta of deltasOf(text, 4)) cutter.push(delta, out);
      cutter.flush(out);
      return cutter.work / text.length;
    }

    const pieces: Array<[string, TextUnit | RegExp, (n: number) => string]> = [
      ['words without a space (ASCII)', 'word', (n) => 'abcdefgh'.repeat(n / 8)],
      ['words without a space (Persian)', 'word', (n) => 'کتابخانه'.repeat(n / 8)],
      ['a word and then only spaces', 'word', (n) => `a${' '.repeat(n - 1)}`],
      ['a word and then only punctuation', 'word', (n) => `a${'!?'.repeat(n / 2 - 1)}`],
      ['a line without a break', 'line', (n) => 'x'.repeat(n)],
      ['a sentence without an end', 'sentence', (n) => 'word '.repeat(n / 5)],
      ['a sentence of decimals', 'sentence', (n) => '1.5 '.repeat(n / 4)],
      ['one grapheme of marks', 'grapheme', (n) => `a${'\u0301'.repeat(n - 1)}`],
      ['a RegExp that never matches', /\n\n/, (n) => 'x'.repeat(n)],
    ];

    it.each(pieces)('should do bounded work per character for %s', (_, by, make) => {
      const small = workPerCharacter(by, make(16_384));
      const large = workPerCharacter(by, make(131_072));
      // Linear: the work per character does not grow with the text (a re-scan per delta would make it 8x).
      expect(large).toBeLessThan(small * 1.25);
      expect(large).toBeLessThan(60);
    });
  });

  describe('options', () => {
    it('should throw an InvalidInputError for a unit or locale it cannot use, at the call', () => {
      expect(() => textChunks({ by: 'paragraph' as TextUnit })).toThrow(InvalidInputError);
      expect(() => textChunks({ by: 'paragraph' as TextUnit })).toThrow(
        "Invalid input: textChunks() options.by must be 'grapheme', 'word', 'sentence', 'line' or a RegExp, got a string",
      );
      expect(() => textChunks({ locale: 'not a locale!' })).toThrow(InvalidInputError);
      expect(() => textChunks({ locale: 42 as unknown as string })).toThrow(InvalidInputError);
      expect(() => textChunks(null as unknown as object)).toThrow(InvalidInputError);
    });

    it('should work inside a pipeline with lastValueFrom', async () => {
      await expect(lastValueFrom(from(['Hi', ' there']).pipe(textChunks(), toArray()))).resolves.toEqual(['Hi ', 'there']);
    });
  });
});
