import * as fc from 'fast-check';
import { from, take, tap, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { InvalidInputError, SSEParseError } from '../../lib/errors.js';
import { raise, SSEEventParser } from '../../lib/sse/eventParser.js';
import { sseEvents } from '../../lib/sse/sseEvents.js';
import type { ServerSentEvent } from '../../lib/types.js';
import { unhandledErrorsOf } from '../helpers/unhandledErrors.js';

const encoder = new TextEncoder();
const bytes = (text: string): Uint8Array => encoder.encode(text);
const message = (data: string, extra: Partial<ServerSentEvent> = {}): ServerSentEvent => ({
  event: 'message',
  data,
  id: '',
  ...extra,
});

/** Runs pieces through sseEvents synchronously and returns the events (throws what it errors with). */
function parse(pieces: Array<Uint8Array | string>): ServerSentEvent[] {
  const events: ServerSentEvent[] = [];
  let failure: unknown;
  let completed = false;
  from(pieces)
    .pipe(sseEvents())
    .subscribe({ next: (e) => events.push(e), error: (e: unknown) => (failure = e), complete: () => (completed = true) });
  if (failure !== undefined) throw failure;
  expect(completed).toBe(true);
  return events;
}

/** Splits bytes at the given cut points. */
function splitAt<T extends { slice(a: number, b?: number): T; length: number }>(whole: T, cuts: number[]): T[] {
  const points = [...new Set(cuts.map((c) => c % (whole.length + 1)))].sort((x, y) => x - y);
  const pieces: T[] = [];
  let last = 0;
  for (const point of points) {
    pieces.push(whole.slice(last, point));
    last = point;
  }
  pieces.push(whole.slice(last));
  return pieces;
}

describe('sseEvents', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('should parse events from string pieces, whatever the cuts', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -a--b--c--|', { a: 'data: {"x"', b: ':1}\n\nda', c: 'ta: two\n\n' });
      const e1subs = '   ^---------!';
      const expected = ' ----x--y--|';
      expectObservable(e1.pipe(sseEvents())).toBe(expected, {
        x: message('{"x":1}'),
        y: message('two'),
      });
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should parse events from byte pieces, a character split across them', () => {
    const text = bytes('data: سلام 👋\n\n');
    // Cut inside the two bytes of 'س' and inside the four of '👋'.
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = cold('  -a-b-c|', { a: text.slice(0, 8), b: text.slice(8, 17), c: text.slice(17) });
      const expected = ' -----x|';
      expectObservable(e1.pipe(sseEvents())).toBe(expected, { x: message('سلام 👋') });
    });
  });

  it('should emit several events from one piece', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = cold('  -a-----|', { a: bytes('data: 1\n\ndata: 2\n\nevent: ping\ndata: 3\n\n') });
      const expected = ' -(xyz)-|';
      expectObservable(e1.pipe(sseEvents())).toBe(expected, {
        x: message('1'),
        y: message('2'),
        z: { event: 'ping', data: '3', id: '' },
      });
    });
  });

  it('should complete without events on an empty source', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  |');
      const e1subs = '   (^!)';
      const expected = ' |';
      expectObservable(e1.pipe(sseEvents())).toBe(expected);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should never emit on a source that never emits', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -');
      const e1subs = '   ^';
      const expected = ' -';
      expectObservable(e1.pipe(sseEvents())).toBe(expected);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should pass the error of the source through unchanged', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -a--#', { a: 'data: 1\n\n' }, new TypeError('terminated'));
      const e1subs = '   ^---!';
      const expected = ' -x--#';
      expectObservable(e1.pipe(sseEvents())).toBe(expected, { x: message('1') }, new TypeError('terminated'));
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should allow unsubscribing early and explicitly', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -a--b--c--|', { a: 'data: 1\n\n', b: 'data: 2\n\n', c: 'data: 3\n\n' });
      const e1subs = '   ^-----!';
      const expected = ' -x--y--';
      const unsub = '    ------!';
      expectObservable(e1.pipe(sseEvents()), unsub).toBe(expected, { x: message('1'), y: message('2') });
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should error with what reading a piece throws, and unsubscribe from the source', () => {
    // A revoked proxy throws as soon as its type is asked: a throw inside the parse step itself.
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -a--x--b--|', { a: 'data: 1\n\n', x: proxy as unknown as string, b: 'data: 2\n\n' });
      const e1subs = '   ^---!';
      const expected = ' -y--#';
      expectObservable(e1.pipe(sseEvents())).toBe(expected, { y: message('1') }, expect.any(TypeError));
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should error with what ending the parse throws, instead of hanging', () => {
    const failure = new Error('a bug at the end');
    const end = jest.spyOn(SSEEventParser.prototype, 'end').mockImplementation(() => {
      throw failure;
    });
    try {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const e1 = cold('  -a--|', { a: 'data: 1\n\n' });
        const e1subs = '   ^---!';
        const expected = ' -y--#';
        expectObservable(e1.pipe(sseEvents())).toBe(expected, { y: message('1') }, failure);
        expectSubscriptions(e1.subscriptions).toBe(e1subs);
      });
    } finally {
      end.mockRestore();
    }
  });

  it('should stop parsing a piece as soon as the subscriber closes', () => {
    // Seen from outside, a closed subscriber swallows what comes: look at the parser itself.
    const emitted: ServerSentEvent[] = [];
    const parser = new SSEEventParser((event, data, id) => emitted.push({ event, data, id }), {
      get closed() {
        return emitted.length >= 1;
      },
      error: () => undefined,
    });
    parser.feed('data: 1\n\ndata: 2\n\ndata: 3\n\n');
    expect(emitted).toEqual([message('1')]);
  });

  it('should emit nothing more once the subscriber closed', () => {
    let seen = 0;
    const events = parseWith(['data: 1\n\ndata: 2\n\ndata: 3\n\n'], (o) =>
      o.pipe(
        tap(() => seen++),
        take(1),
      ),
    );
    expect(events).toEqual([message('1')]);
    expect(seen).toBe(1);
  });

  it('should not read the pieces a synchronous source sends once the subscriber closed, even one that throws', async () => {
    // A revoked proxy throws when its type is asked: read after the output closed, that throw would
    // have nobody to go to and reach rxjs as an unhandled error.
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    const unhandled = await unhandledErrorsOf(() => {
      const events: ServerSentEvent[] = [];
      from(['data: 1\n\n', 'data: 2\n\n', proxy as unknown as string])
        .pipe(sseEvents(), take(1))
        .subscribe((e) => events.push(e));
      expect(events).toEqual([message('1')]);
    });
    expect(unhandled).toEqual([]);
  });

  it('should treat LF, CR and CRLF alike, also a CRLF split across pieces', () => {
    const expected = [message('a\nb'), message('c')];
    expect(parse(['data: a\ndata: b\n\ndata: c\n\n'])).toEqual(expected);
    expect(parse(['data: a\rdata: b\r\rdata: c\r\r'])).toEqual(expected);
    expect(parse(['data: a\r\ndata: b\r\n\r\ndata: c\r\n\r\n'])).toEqual(expected);
    expect(parse(['data: a\r', '\ndata: b\r', '\n\r', '\ndata: c\r\n\r', '\n'])).toEqual(expected);
    expect(parse([bytes('data: a\r'), bytes('\ndata: b\r'), bytes('\n\r'), bytes('\n'), bytes('data: c\r\n\r\n')])).toEqual(
      expected,
    );
    // A CR ending a piece, then an empty piece, then the LF: still one line end.
    expect(parse(['data: a\r', '', '\ndata: b\r\n\r\ndata: c\n\n'])).toEqual(expected);
  });

  it('should strip one leading BOM, only at the start of the stream', () => {
    expect(parse([bytes('\uFEFFdata: 1\n\n')])).toEqual([message('1')]);
    expect(parse([new Uint8Array([0xef]), new Uint8Array([0xbb, 0xbf]), bytes('data: 1\n\n')])).toEqual([message('1')]);
    expect(parse(['\uFEFF', 'data: 1\n\n'])).toEqual([message('1')]);
    // A second BOM is part of the first line: the field name is then '\uFEFFdata', unknown.
    expect(parse(['\uFEFF\uFEFFdata: 1\n\ndata: 2\n\n'])).toEqual([message('2')]);
    expect(parse(['data: 1\n\n\uFEFFdata: 2\n\n'])).toEqual([message('1')]);
  });

  it('should ignore comments and unknown fields', () => {
    expect(parse([': keep-alive\n:\ndata: 1\nfoo: bar\n: x\n\n: ping\n\n'])).toEqual([message('1')]);
  });

  it('should read event, data, id and retry fields by the WHATWG rules', () => {
    const text =
      'event: add\ndata:  two spaces\ndata:no space\nid: 7\nretry: 1500\n\n' +
      'data\n\n' + // a field without colon: data with an empty value
      'data:\ndata:\n\n' + // two empty data lines: '\n'
      'id: 8\0\ndata: nul id ignored\n\n' +
      'retry: 15x\ndata: bad retry ignored\n\n' +
      'event: first\nevent: second\ndata: the last event field wins\n\n' +
      'id\ndata: an empty id clears the last one\n\n';
    expect(parse([text])).toEqual([
      { event: 'add', data: ' two spaces\nno space', id: '7', retry: 1500 },
      message('', { id: '7' }),
      message('\n', { id: '7' }),
      message('nul id ignored', { id: '7' }),
      message('bad retry ignored', { id: '7' }),
      { event: 'second', data: 'the last event field wins', id: '7' },
      message('an empty id clears the last one', { id: '' }),
    ]);
  });

  it('should take the value of any field after its colon, less one leading space only', () => {
    const text = 'event:add\nid:7\nretry:20\ndata: x\n\nevent:  two\nid:  8\ndata: y\n\n';
    expect(parse([text])).toEqual([{ event: 'add', data: 'x', id: '7', retry: 20 }, { event: ' two', data: 'y', id: ' 8' }]);
  });

  it('should skip one LF after a CR that ended a piece, and only that one', () => {
    // 'data: a' CR | LF (the same line end) | LF (the blank line that dispatches a) 'data: b' …
    expect(parse(['data: a\r', '\n', '\ndata: b\n\n'])).toEqual([message('a'), message('b')]);
    expect(parse(['data: a\r', '\ndata: b\n', '\n', '\ndata: c\n\n'])).toEqual([message('a\nb'), message('c')]);
    expect(parse(['data: a\r', '\r', '\ndata: b\n\n'])).toEqual([message('a'), message('b')]);
  });

  it('should join the pieces of an unterminated last line as they came, for the [DONE] rule', () => {
    expect(parse(['data: 1\n\ndata: [DO', 'NE]'])).toEqual([message('1'), message('[DONE]')]);
    expect(parse(['data: 1\n\nda', 'ta: [D', 'ONE]'])).toEqual([message('1'), message('[DONE]')]);
  });

  it('should read a data line only by its own characters, not those around it', () => {
    // The fast path for `data:` looks at fixed offsets from the line's start.
    expect(parse(['x:yz\ndatax\ndata: real\n\n'])).toEqual([message('real')]);
    expect(parse(['id:datax\ndata\ndata: real\n\n'])).toEqual([message('\nreal', { id: 'datax' })]);
  });

  it('should not dispatch a block without data, but keep its id and drop its event type', () => {
    expect(parse(['id: 3\nevent: ping\nretry: 10\n\n\n\ndata: x\n\n'])).toEqual([message('x', { id: '3' })]);
  });

  it('should discard an unterminated final event, except an exact [DONE]', () => {
    expect(parse(['data: 1\n\ndata: 2\n'])).toEqual([message('1')]);
    expect(parse(['data: 1\n\ndata: 2'])).toEqual([message('1')]);
    expect(parse(['data: 1\n\ndata: [DONE]'])).toEqual([message('1'), message('[DONE]')]);
    expect(parse(['data: 1\n\ndata: [DONE]\n'])).toEqual([message('1'), message('[DONE]')]);
    expect(parse(['data: 1\n\ndata: [DONE]\r'])).toEqual([message('1'), message('[DONE]')]);
    expect(parse(['data: 1\n\ndata: [DONE]\ndata: more'])).toEqual([message('1')]);
    expect(parse(['data: 1\n\ndata: [DONE'])).toEqual([message('1')]);
  });

  it('should handle one long line spread over many small pieces', () => {
    const long = 'x'.repeat(20_000);
    const text = `data: ${long}\n\n`;
    const pieces: string[] = [];
    for (let i = 0; i < text.length; i += 7) pieces.push(text.slice(i, i + 7));
    expect(parse(pieces)).toEqual([message(long)]);
  });

  it('should error with SSEParseError on bytes that are not UTF-8', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -a-b-c|', { a: bytes('data: 1\n\n'), b: new Uint8Array([0x64, 0xff, 0x0a]), c: bytes('data: 2\n\n') });
      const e1subs = '   ^--!';
      const expected = ' -x-#';
      expectObservable(e1.pipe(sseEvents())).toBe(expected, { x: message('1') }, expect.any(SSEParseError));
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
    let failure: unknown;
    from([new Uint8Array([0xc0, 0x80])]).pipe(sseEvents()).subscribe({ error: (e: unknown) => (failure = e) });
    expect(failure).toBeInstanceOf(SSEParseError);
    expect((failure as SSEParseError).reason).toBe('invalid-utf8');
  });

  it('should error with SSEParseError when the bytes end inside a character', () => {
    expect(() => parse([bytes('data: 1\n\n'), new Uint8Array([0xf0, 0x9f])])).toThrow(SSEParseError);
    // A string piece after an unfinished character is an error too.
    expect(() => parse([new Uint8Array([0xd8]), 'data: 1\n\n'])).toThrow(SSEParseError);
  });

  it('should decode pieces that end on a character boundary and pieces that split one alike', () => {
    // Whole pieces (nothing held, last byte ASCII) and streamed pieces take different decoders:
    // every cut into three pieces (empty ones too) switches between them somewhere.
    const all = bytes('data: é👋\n\ndata: 中文 x\n\ndata: y\n\n');
    const expected = [message('é👋'), message('中文 x'), message('y')];
    for (let i = 0; i <= all.length; i++) {
      for (let j = i; j <= all.length; j++) {
        expect(parse([all.slice(0, i), all.slice(i, j), all.slice(j)])).toEqual(expected);
      }
    }
  });

  it('should error with SSEParseError on bad bytes in a whole piece after a split character', () => {
    const start = bytes('data: é'); // ends inside nothing: é is whole, but its last byte is not ASCII
    const split = bytes('data: 👋\n\n');
    let failure: unknown;
    const events: ServerSentEvent[] = [];
    from([start, bytes('\n\n'), split.slice(0, 8), split.slice(8), new Uint8Array([0x64, 0xc3, 0x0a])])
      .pipe(sseEvents())
      .subscribe({ next: (e) => events.push(e), error: (e: unknown) => (failure = e) });
    expect(events).toEqual([message('é'), message('👋')]);
    expect(failure).toBeInstanceOf(SSEParseError);
    expect((failure as SSEParseError).message).toContain(`bytes ${start.length + 2 + split.length}–${start.length + 2 + split.length + 3}`);
  });

  it('should error with an InvalidInputError on a piece that is neither bytes nor text', () => {
    expect(() => parse([42 as unknown as string])).toThrow(InvalidInputError);
    expect(() => parse([{ data: 'x' } as unknown as string])).toThrow(
      'Invalid input: sseEvents() piece must be a Uint8Array or a string, got an object',
    );
    expect(() => parse([[1] as unknown as string])).toThrow('sseEvents() piece must be a Uint8Array or a string, got an array');
    expect(() => parse([new Map() as unknown as string])).toThrow('got a Map');
  });

  it('should accept other views of bytes (ArrayBuffer, Buffer, DataView)', () => {
    const whole = bytes('data: 1\n\ndata: 2\n\ndata: 3\n\n');
    expect(
      parse([
        Buffer.from(whole.slice(0, 9)),
        whole.slice(9, 18).buffer as unknown as Uint8Array,
        new DataView(whole.buffer, 18) as unknown as Uint8Array,
      ]),
    ).toEqual([message('1'), message('2'), message('3')]);
  });

  it('should give an event a retry field only when its block had a valid one', () => {
    const events = parse(['retry: 20\ndata: 1\n\ndata: 2\n\nretry: x\ndata: 3\n\n']);
    expect(events).toStrictEqual([message('1', { retry: 20 }), message('2'), message('3')]);
    expect(events.map((e) => 'retry' in e)).toEqual([true, false, false]);
  });

  it('should hold a split character whose bytes end in 0x80 until its last byte comes', () => {
    // U+4000 is E4 80 80: a piece ending in 0x80 may end inside a character, like any byte >= 0x80.
    const head = bytes('data: \u4000');
    expect(parse([head.slice(0, 8), bytes('\u4000\n\n').slice(2)])).toEqual([message('\u4000')]);
    expect(parse([head.slice(0, 7), head.slice(7, 8), bytes('\u4000\n\n').slice(2)])).toEqual([message('\u4000')]);
    // A piece that ends in 0x80 on a character boundary (À is C3 80).
    expect(parse([bytes('data: À'), bytes('\n\n')])).toEqual([message('À')]);
  });

  it('should strip a BOM only at the start of the stream, not at the start of each byte piece', () => {
    expect(parse([bytes('data: 1\n\n'), bytes('\uFEFFdata: 2\n\n'), bytes('data: 3\n\n')])).toEqual([
      message('1'),
      message('3'),
    ]);
    expect(parse([bytes('\uFEFF\uFEFFdata: 1\n\ndata: 2\n\n')])).toEqual([message('2')]);
  });

  it('should say where the bytes are not UTF-8, and carry them', () => {
    let failure: unknown;
    from([bytes('data: 1\n\n'), new Uint8Array([0x64, 0xff, 0x0a])])
      .pipe(sseEvents())
      .subscribe({ error: (e: unknown) => (failure = e) });
    expect(failure).toBeInstanceOf(SSEParseError);
    expect((failure as SSEParseError).message).toBe('The event stream is not valid UTF-8: invalid UTF-8 in the bytes 9–12');
    expect((failure as SSEParseError).data).toBe('d\uFFFD\n');
    expect((failure as SSEParseError).cause).toMatchObject({ name: 'TypeError' }); // the decoder's, of Node's realm

    failure = undefined;
    from([bytes('data: 1\n\n'), new Uint8Array([0xf0, 0x9f])])
      .pipe(sseEvents())
      .subscribe({ error: (e: unknown) => (failure = e) });
    expect((failure as SSEParseError).message).toBe(
      'The event stream is not valid UTF-8: the stream ended inside a UTF-8 character',
    );
    expect((failure as SSEParseError).reason).toBe('invalid-utf8');
    expect((failure as SSEParseError).data).toBe('');
  });

  it('should read only a field named exactly data as data', () => {
    // Five characters with a colon after the fourth, or starting with "data": other fields.
    expect(parse(['datax: 1\ndone: 2\ndate: 3\ndata: 4\n\n'])).toEqual([message('4')]);
    expect(parse(['datax\ndata\n\n'])).toEqual([message('')]);
  });

  it('should accept a retry of ASCII digits only, anchored at both ends', () => {
    expect(parse(['retry: x15\ndata: 1\n\nretry: 1 5\ndata: 2\n\nretry: 0\ndata: 3\n\n'])).toStrictEqual([
      message('1'),
      message('2'),
      message('3', { retry: 0 }),
    ]);
  });

  it('should not count an empty first piece as the start of the stream, nor let it end a CR', () => {
    expect(parse(['', '\uFEFFdata: 1\n\n'])).toEqual([message('1')]);
    expect(parse([bytes(''), bytes('\uFEFFdata: 1\n\n')])).toEqual([message('1')]);
  });

  describe('properties', () => {
    const word = fc.oneof(
      fc.constantFrom('سلام', 'دنیا', 'خوبی؟', '👋', '👨‍👩‍👧', '🇮🇷', 'é', '中文', '{"a":1}', ': x', '[DONE]', ' '),
      fc.string({ unit: 'grapheme', maxLength: 6 }),
    );
    const line = fc.array(word, { maxLength: 4 }).map((w) => w.join('').replace(/[\r\n]/g, ''));
    const eventArb = fc.record({
      event: fc.option(fc.constantFrom('message', 'ping', 'error', 'رویداد'), { nil: undefined }),
      data: fc.array(line, { minLength: 1, maxLength: 3 }),
      id: fc.option(line.map((s) => s.replace(/\0/g, '')), { nil: undefined }),
      comment: fc.option(line, { nil: undefined }),
    });
    const streamArb = fc.record({
      events: fc.array(eventArb, { maxLength: 6 }),
      ending: fc.constantFrom('\n', '\r', '\r\n'),
      bom: fc.boolean(),
    });
    interface Model {
      events: Array<{ event?: string | undefined; data: string[]; id?: string | undefined; comment?: string | undefined }>;
      ending: string;
      bom: boolean;
    }

    function serialize({ events, ending, bom }: Model): string {
      let text = bom ? '\uFEFF' : '';
      for (const e of events) {
        if (e.comment !== undefined) text += `:${e.comment}${ending}`;
        if (e.event !== undefined) text += `event: ${e.event}${ending}`;
        if (e.id !== undefined) text += `id: ${e.id}${ending}`;
        for (const d of e.data) text += `data: ${d}${ending}`;
        text += ending;
      }
      return text;
    }

    function expectedEvents({ events }: Model): ServerSentEvent[] {
      let id = '';
      return events.map((e) => {
        if (e.id !== undefined) id = e.id;
        return { event: e.event === undefined || e.event === '' ? 'message' : e.event, data: e.data.join('\n'), id };
      });
    }

    it('should give the same events for any split of the bytes, down to single bytes', () => {
      fc.assert(
        fc.property(streamArb, fc.array(fc.nat(), { maxLength: 40, size: 'large' }), fc.boolean(), (model, cuts, singleBytes) => {
          const whole = bytes(serialize(model));
          const pieces = singleBytes ? Array.from(whole, (b) => new Uint8Array([b])) : splitAt(whole, cuts);
          expect(parse(pieces)).toEqual(expectedEvents(model));
        }),
        { numRuns: 300 },
      );
    });

    it('should give the same events for any split of the decoded text', () => {
      fc.assert(
        fc.property(streamArb, fc.array(fc.nat(), { maxLength: 40, size: 'large' }), (model, cuts) => {
          const pieces = splitAt(serialize(model), cuts);
          expect(parse(pieces)).toEqual(expectedEvents(model));
        }),
        { numRuns: 300 },
      );
    });

    it('should give the same events with LF, CR and CRLF line ends', () => {
      fc.assert(
        fc.property(streamArb, fc.array(fc.nat(), { maxLength: 20, size: 'large' }), (model, cuts) => {
          const results = ['\n', '\r', '\r\n'].map((ending) =>
            parse(splitAt(bytes(serialize({ ...model, ending })), cuts)),
          );
          expect(results[1]).toEqual(results[0]);
          expect(results[2]).toEqual(results[0]);
        }),
        { numRuns: 200 },
      );
    });
  });
});

/** Runs pieces through sseEvents and the given extra operators, synchronously. */
function parseWith(
  pieces: string[],
  extra: (o: Observable<ServerSentEvent>) => Observable<ServerSentEvent>,
): ServerSentEvent[] {
  const events: ServerSentEvent[] = [];
  extra(from(pieces).pipe(sseEvents())).subscribe((e) => events.push(e));
  return events;
}

describe('raise', () => {
  it('should error an open sink with what was thrown, and rethrow it once the sink is closed', () => {
    const failure = new Error('a bug');
    const errors: unknown[] = [];
    raise({ closed: false, error: (e: unknown) => errors.push(e) }, failure);
    expect(errors).toEqual([failure]);
    expect(() => raise({ closed: true, error: (e: unknown) => errors.push(e) }, failure)).toThrow(failure);
    expect(errors).toHaveLength(1);
  });
});
