/**
 * The writers' relay options: an `id:` line per event (`eventIds`), and chunks written from the
 * text they arrived as (`reuseText`) when they pass unchanged.
 */
import { EventEmitter } from 'node:events';
import * as fc from 'fast-check';
import { bufferCount, concatMap, from, lastValueFrom, map, of, Subject, throwError, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { InvalidInputError } from '../../lib/errors.js';
import { pipeSSE } from '../../lib/http/pipeSSE.js';
import { toSSE } from '../../lib/http/toSSE.js';
import { chatChunks } from '../../lib/protocol/chatChunks.js';
import { parseEventId } from '../../lib/protocol/writer.js';
import { fromSSE } from '../../lib/sources/fromSSE.js';
import { buildChunks } from '../../lib/testing/buildChunks.js';
import { toSSEText } from '../../lib/testing/toSSEText.js';
import type { ChatCompletionChunk, ServerSentEvent } from '../../lib/types.js';
import { hiValues, SSE_DONE as DONE, SSE_PING as PING, sseEvent as event } from '../helpers/chunk.js';

/** A `ServerResponse` stand-in that logs writes (and corks, when asked to) at the scheduler's time. */
class FakeResponse extends EventEmitter {
  headersSent = false;
  writableEnded = false;
  destroyed = false;
  readonly log: Array<[number, string]> = [];
  constructor(private readonly now: () => number) {
    super();
  }
  setHeader(): this {
    return this;
  }
  flushHeaders(): void {
    this.headersSent = true;
  }
  write(text: string): boolean {
    this.log.push([this.now(), text]);
    return true;
  }
  end(): this {
    this.writableEnded = true;
    this.log.push([this.now(), 'end']);
    return this;
  }
}

class CorkingResponse extends FakeResponse {
  cork(): void {
    this.log.push([-1, 'cork']);
  }
  uncork(): void {
    this.log.push([-1, 'uncork']);
  }
}

/** A body for fromSSE: the text in pieces of 7 characters. */
async function* bodyOf(text: string): AsyncIterable<string> {
  for (let i = 0; i < text.length; i += 7) yield text.slice(i, i + 7);
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<string> {
  return new Response(stream).text();
}

/** The wire text of one event with an id. */
const withId = (id: string, text: string): string => `id: ${id}\n${text}`;

/** Data texts as a server may write them: spaces, key order and escapes JSON.stringify would change. */
const RAW_A = '{"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m", "choices": [{"index": 0, "delta": {"content": "caf\\u00e9"}, "finish_reason": null}]}';
const RAW_B = '{ "choices":[{"finish_reason":"stop","index":0,"delta":{}}],"id":"c1","object":"chat.completion.chunk","created":1,"model":"m" }';
const sse = (data: string): ServerSentEvent => ({ event: 'message', data, id: '', retry: undefined }) as unknown as ServerSentEvent;

describe('eventIds (toSSE, pipeSSE)', () => {
  it('should write an id line before each event, counting from 0, but not before pings', () => {
    const testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    const values = hiValues();
    testScheduler.run(({ cold, expectSubscriptions }) => {
      const e1 = cold(' --a---b--c|', values);
      const e1subs = '  ^---------!';
      const res = new FakeResponse(() => testScheduler.now());
      pipeSSE(e1, res, { eventIds: { streamId: 's1' }, keepAliveMs: 4 }, testScheduler);
      testScheduler.flush();
      expect(res.log).toEqual([
        [2, withId('s1:0', event(values.a))],
        [4, PING],
        [6, withId('s1:1', event(values.b))],
        [8, PING],
        [9, withId('s1:2', event(values.c))],
        [10, withId('s1:3', DONE)],
        [10, 'end'],
      ]);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should start at options.eventIds.start and give the error event an id', () => {
    const testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    const values = hiValues();
    testScheduler.run(({ cold }) => {
      const e1 = cold(' -a-#', values, new Error('upstream broke'));
      const res = new FakeResponse(() => testScheduler.now());
      pipeSSE(e1, res, { eventIds: { streamId: 'abc_D-9', start: 7 } }, testScheduler);
      testScheduler.flush();
      expect(res.log).toEqual([
        [1, withId('abc_D-9:7', event(values.a))],
        [3, withId('abc_D-9:8', event({ error: { message: 'upstream broke', type: 'server_error', code: null } }))],
        [3, 'end'],
      ]);
    });
  });

  it('should write ids in toSSE too', async () => {
    const { a } = hiValues();
    await expect(readAll(toSSE(of(a), { eventIds: { streamId: 'x' } }))).resolves.toBe(
      withId('x:0', event(a)) + withId('x:1', DONE),
    );
  });

  it.each([
    [{ streamId: '' }],
    [{ streamId: 'a\nb' }],
    [{ streamId: 'a:b' }],
    [{ streamId: 'x'.repeat(129) }],
    [{ streamId: 's', start: -1 }],
    [{ streamId: 's', start: 1.5 }],
  ])('should throw an InvalidInputError for eventIds %j', (eventIds) => {
    expect(() => toSSE(of(), { eventIds })).toThrow(InvalidInputError);
  });

  it('should say which eventIds field is wrong and what it must be', () => {
    expect(() => toSSE(of(), { eventIds: { streamId: 'a:b' } })).toThrow(
      'Invalid input: options.eventIds.streamId must be 1 to 128 letters, digits, _ or -, got a string',
    );
    expect(() => toSSE(of(), { eventIds: null as unknown as { streamId: string } })).toThrow(
      'Invalid input: options.eventIds.streamId must be 1 to 128 letters, digits, _ or -, got undefined',
    );
    expect(() => toSSE(of(), { eventIds: { streamId: 7 as unknown as string } })).toThrow(
      'Invalid input: options.eventIds.streamId must be 1 to 128 letters, digits, _ or -, got 7',
    );
    expect(() => toSSE(of(), { eventIds: { streamId: 's', start: -1 } })).toThrow(
      'Invalid input: options.eventIds.start must be a whole number >= 0, got -1',
    );
  });

  it('should accept a start of 0 and a stream id of 128 characters', async () => {
    const { a } = hiValues();
    const id = 'x'.repeat(128);
    await expect(readAll(toSSE(of(a), { eventIds: { streamId: id, start: 0 } }))).resolves.toBe(
      withId(`${id}:0`, event(a)) + withId(`${id}:1`, DONE),
    );
  });

  it('should read back the ids it writes, and nothing else', () => {
    expect(parseEventId('s1:0')).toEqual({ streamId: 's1', sequence: 0 });
    expect(parseEventId('abc_D-9:42')).toEqual({ streamId: 'abc_D-9', sequence: 42 });
    expect(parseEventId(`s1:${'9'.repeat(15)}`)).toEqual({ streamId: 's1', sequence: 999_999_999_999_999 });
    // The last colon splits: an id without one is not read as a stream id and its digits.
    expect(parseEventId('12')).toBeUndefined();
    for (const bad of ['', 's1', ':1', 's1:', 's1:01', 's1:-1', 's1:1.5', 's 1:1', 's1:1x', `s1:${'9'.repeat(16)}`]) {
      expect(parseEventId(bad)).toBeUndefined();
    }
  });
});

describe('reuseText (toSSE, pipeSSE)', () => {
  it('should write a chunk that passes unchanged from the text it arrived as, and a derived one re-stringified', () => {
    const testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    testScheduler.run(({ cold }) => {
      const events = { a: sse(RAW_A), b: sse(RAW_B), d: sse('[DONE]') };
      const e1 = cold(' -a--b--d', events);
      const kept = new FakeResponse(() => testScheduler.now());
      pipeSSE(e1.pipe(chatChunks({ keepText: true })), kept, {}, testScheduler);
      const notKept = new FakeResponse(() => testScheduler.now());
      pipeSSE(e1.pipe(chatChunks()), notKept, {}, testScheduler);
      const derived = new FakeResponse(() => testScheduler.now());
      pipeSSE(e1.pipe(chatChunks({ keepText: true }), map((chunk) => ({ ...chunk }))), derived, {}, testScheduler);
      const off = new FakeResponse(() => testScheduler.now());
      pipeSSE(e1.pipe(chatChunks({ keepText: true })), off, { reuseText: false }, testScheduler);
      testScheduler.flush();
      expect(kept.log).toEqual([
        [1, `data: ${RAW_A}\n\n`],
        [4, `data: ${RAW_B}\n\n`],
        [7, DONE],
        [7, 'end'],
      ]);
      const stringified = [
        [1, event(JSON.parse(RAW_A))],
        [4, event(JSON.parse(RAW_B))],
        [7, DONE],
        [7, 'end'],
      ];
      expect(derived.log).toEqual(stringified);
      expect(off.log).toEqual(stringified);
      // Without keepText the source kept nothing: stringified (the default costs no WeakMap entry).
      expect(notKept.log).toEqual(stringified);
      // The texts really differ: the test could fail.
      expect(event(JSON.parse(RAW_A))).not.toBe(`data: ${RAW_A}\n\n`);
    });
  });

  it('should write a kept chunk from its text only while it is the last one parsed (one slot, not a map)', () => {
    const testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    testScheduler.run(({ cold }) => {
      const events = { a: sse(RAW_A), b: sse(RAW_B), d: sse('[DONE]') };
      const e1 = cold(' -a--b--d', events);
      const held = new FakeResponse(() => testScheduler.now());
      // Both chunks reach the writer after b was parsed: a is stringified, b written as it came.
      pipeSSE(e1.pipe(chatChunks({ keepText: true }), bufferCount(2), concatMap((pair) => from(pair))), held, {}, testScheduler);
      testScheduler.flush();
      expect(held.log).toEqual([
        [4, event(JSON.parse(RAW_A))],
        [4, `data: ${RAW_B}\n\n`],
        [7, DONE],
        [7, 'end'],
      ]);
    });
  });

  it('should re-stringify data that came on several data lines', async () => {
    const body = `data: {"id":"c1","object":"chat.completion.chunk",\ndata: "created":1,"model":"m","choices":[]}\n\ndata: [DONE]\n\n`;
    const text = await readAll(toSSE(fromSSE(bodyOf(body), { keepText: true })));
    expect(text).toBe(
      `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[]}\n\n${DONE}`,
    );
  });

  it('should relay a body from fromSSE byte for byte, ids added', async () => {
    const body = `data: ${RAW_A}\n\ndata: ${RAW_B}\n\ndata: [DONE]\n\n`;
    await expect(readAll(toSSE(fromSSE(bodyOf(body), { keepText: true })))).resolves.toBe(body);
    await expect(readAll(toSSE(fromSSE(bodyOf(body), { keepText: true }), { eventIds: { streamId: 'r' } }))).resolves.toBe(
      `id: r:0\ndata: ${RAW_A}\n\nid: r:1\ndata: ${RAW_B}\n\nid: r:2\ndata: [DONE]\n\n`,
    );
  });

  it('should relay any answer, spaced any way, byte for byte, and parse back to the same chunks (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ size: 'large', unit: 'grapheme' }), fc.integer({ min: 1, max: 3 }), async (answer, n) => {
        const chunks = buildChunks(answer, { includeUsage: true, n });
        const body = chunks.map((c) => `data: ${JSON.stringify(c, null, 1).replace(/\n/g, ' ')}\n\n`).join('') + DONE;
        const relayed = await readAll(toSSE(fromSSE(bodyOf(body), { keepText: true })));
        expect(relayed).toBe(body);
        expect(relayed).not.toBe(toSSEText(chunks));
        const parsed = await lastValueFrom(fromSSE(bodyOf(relayed)).pipe(toArray()));
        expect(parsed).toEqual(chunks);
      }),
      // 40 runs of long answers take about 15 s; the mutation runs lower it (WRITER_RUNS, stryker.config.mjs).
      { numRuns: Number(process.env['WRITER_RUNS'] ?? 40) },
    );
  });

  it('should write an error event, not the text, for an error object', async () => {
    const text = await readAll(toSSE(throwError(() => new Error('no'))));
    expect(text).toBe(event({ error: { message: 'no', type: 'server_error', code: null } }));
  });
});

describe('pipeSSE corking', () => {
  it('should cork a burst of events and uncork once after it', async () => {
    const values = hiValues();
    const res = new CorkingResponse(() => 0);
    pipeSSE(of(values.a, values.b, values.c), res);
    // Ended within the burst: `end()` flushes what is corked.
    expect(res.log.map(([, what]) => what)).toEqual(['cork', event(values.a), event(values.b), event(values.c), DONE, 'end']);
    await Promise.resolve();
    expect(res.log.filter(([, what]) => what === 'uncork')).toEqual([]);
  });

  it('should uncork after each burst of a stream that goes on', async () => {
    const values = hiValues();
    const res = new CorkingResponse(() => 0);
    const source = new Subject<ChatCompletionChunk>();
    pipeSSE(source, res);
    source.next(values.a);
    source.next(values.b);
    await Promise.resolve();
    source.next(values.c);
    await Promise.resolve();
    expect(res.log.map(([, what]) => what)).toEqual(['cork', event(values.a), event(values.b), 'uncork', 'cork', event(values.c), 'uncork']);
  });
});
