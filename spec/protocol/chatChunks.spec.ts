import * as fc from 'fast-check';
import { from } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import * as errors from '../../lib/errors.js';
import { IncompleteStreamError, InvalidInputError, SSEParseError, StreamAPIError } from '../../lib/errors.js';
import { chatChunks, type ChatChunksOptions } from '../../lib/protocol/chatChunks.js';
import { sseEvents } from '../../lib/sse/sseEvents.js';
import type { ChatCompletionChunk, ServerSentEvent } from '../../lib/types.js';
import { unhandledErrorsOf } from '../helpers/unhandledErrors.js';

function chunk(
  delta: ChatCompletionChunk.Choice['delta'],
  finish_reason: ChatCompletionChunk.Choice['finish_reason'] = null,
  index = 0,
): ChatCompletionChunk {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'gpt-4o-mini',
    choices: [{ index, delta, finish_reason, logprobs: null }],
  };
}

const ev = (data: string, event = 'message'): ServerSentEvent => ({ event, data, id: '' });
const evOf = (value: unknown): ServerSentEvent => ev(JSON.stringify(value));

const A = chunk({ role: 'assistant', content: '' });
const B = chunk({ content: 'سلام 👋' });
const C = chunk({}, 'stop');
const events = { a: evOf(A), b: evOf(B), c: evOf(C), D: ev('[DONE]'), x: evOf(chunk({ content: 'after' })) };
const chunks = { A, B, C };

/** Runs events through chatChunks synchronously. */
function run(list: ServerSentEvent[], options?: ChatChunksOptions): { values: ChatCompletionChunk[]; error: unknown; completed: boolean } {
  const values: ChatCompletionChunk[] = [];
  let error: unknown;
  let completed = false;
  from(list)
    .pipe(chatChunks(options))
    .subscribe({ next: (v) => values.push(v), error: (e: unknown) => (error = e), complete: () => (completed = true) });
  return { values, error, completed };
}

describe('chatChunks', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('should emit the parsed chunks and complete at [DONE], unsubscribing from the source', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const e1 = hot('   --a--b--c--D--x--|', events);
      const e1subs = '   ^----------!';
      const expected = ' --A--B--C--|';
      expectObservable(e1.pipe(chatChunks())).toBe(expected, chunks);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should emit one chunk and complete', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -c-D|', events);
      const e1subs = '   ^--!';
      const expected = ' -C-|';
      expectObservable(e1.pipe(chatChunks())).toBe(expected, chunks);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should complete at once on [DONE] alone', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  D|', events);
      const e1subs = '   (^!)';
      const expected = ' |';
      expectObservable(e1.pipe(chatChunks())).toBe(expected);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should error with IncompleteStreamError on an empty source', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold<ServerSentEvent>('  |');
      const e1subs = '   (^!)';
      const expected = ' #';
      expectObservable(e1.pipe(chatChunks())).toBe(expected, undefined, expect.any(IncompleteStreamError));
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should never emit on a source that never emits', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold<ServerSentEvent>('  -');
      const e1subs = '   ^';
      const expected = ' -';
      expectObservable(e1.pipe(chatChunks())).toBe(expected);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should pass the error of the source through unchanged', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const failure = new TypeError('terminated');
      const e1 = cold('  -a--#', events, failure);
      const e1subs = '   ^---!';
      const expected = ' -A--#';
      expectObservable(e1.pipe(chatChunks())).toBe(expected, chunks, failure);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should allow unsubscribing early and explicitly', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -a--b--c--D|', events);
      const e1subs = '   ^----!';
      const expected = ' -A--B-';
      const unsub = '    -----!';
      expectObservable(e1.pipe(chatChunks()), unsub).toBe(expected, chunks);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should error with StreamAPIError on an error event', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -a--e--D|', {
        ...events,
        e: ev('{"error":{"message":"overloaded","type":"server_error","code":"overloaded","param":null}}', 'error'),
      });
      const e1subs = '   ^---!';
      const expected = ' -A--#';
      expectObservable(e1.pipe(chatChunks())).toBe(expected, chunks, expect.any(StreamAPIError));
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should error with StreamAPIError on a data object with an error field', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -a--e--D|', { ...events, e: evOf({ error: { message: 'Rate limit', type: 'requests', code: 'rate_limit_exceeded', param: null } }) });
      const e1subs = '   ^---!';
      const expected = ' -A--#';
      expectObservable(e1.pipe(chatChunks())).toBe(expected, chunks, expect.any(StreamAPIError));
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it("should carry the server's message, type, code and param in the StreamAPIError", () => {
    const body = { message: 'The server had an error', type: 'server_error', code: 'internal', param: 'messages' };
    for (const event of [ev(JSON.stringify({ error: body }), 'error'), ev(JSON.stringify(body), 'error'), evOf({ error: body })]) {
      const { error, values } = run([evOf(A), event, ev('[DONE]')]);
      expect(values).toEqual([A]);
      expect(error).toBeInstanceOf(StreamAPIError);
      expect(error).toMatchObject({ message: body.message, type: 'server_error', code: 'internal', param: 'messages' });
    }
    const text = run([ev('upstream timed out', 'error')]).error as StreamAPIError;
    expect(text).toBeInstanceOf(StreamAPIError);
    expect(text.message).toBe('upstream timed out');
    expect(run([ev('', 'error')]).error).toBeInstanceOf(StreamAPIError);
    const stringError = run([evOf({ error: 'quota exceeded' })]).error as StreamAPIError;
    expect(stringError.message).toBe('quota exceeded');
    // `error: null` on an ordinary chunk is not an error.
    expect(run([evOf({ ...C, error: null }), ev('[DONE]')]).values).toEqual([{ ...C, error: null }]);
  });

  it('should error with StreamAPIError on an error field that is not null, even empty or false', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -a--e--b--D|', { ...events, e: ev('{"error":""}') });
      const e1subs = '   ^---!';
      const expected = ' -A--#';
      expectObservable(e1.pipe(chatChunks())).toBe(expected, chunks, expect.any(StreamAPIError));
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
    for (const value of ['', false, 0, [], '  ']) {
      const { error, values } = run([evOf(A), evOf({ ...C, error: value }), ev('[DONE]')]);
      expect(values).toEqual([A]);
      expect(error).toBeInstanceOf(StreamAPIError);
      expect((error as StreamAPIError).message).toBe(`The server reported an error: ${JSON.stringify(value)}`);
    }
  });

  it("should error with StreamAPIError on vLLM's { object: 'error' } data", () => {
    const body = { object: 'error', message: 'model overloaded', type: 'ServiceUnavailableError', param: null, code: 503 };
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -a--v--b--D|', { ...events, v: evOf(body) });
      const e1subs = '   ^---!';
      const expected = ' -A--#';
      expectObservable(e1.pipe(chatChunks())).toBe(expected, chunks, expect.any(StreamAPIError));
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
    const { error } = run([evOf(body)]);
    expect(error).toMatchObject({ message: 'model overloaded', type: 'ServiceUnavailableError', code: 503, param: null, error: body });
  });

  it('should error with what reading an event throws, and unsubscribe from the source', () => {
    const failure = new Error('a getter that throws');
    const throwing = {
      get event(): string {
        throw failure;
      },
      data: '{}',
      id: '',
    };
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -a--t--b--D|', { ...events, t: throwing });
      const e1subs = '   ^---!';
      const expected = ' -A--#';
      expectObservable(e1.pipe(chatChunks())).toBe(expected, chunks, failure);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should error with what building the error of an error event throws, and unsubscribe', () => {
    // The error class failing in its constructor (a bug of the kind it once had).
    const failure = new TypeError('result.replace is not a function');
    const spy = jest.spyOn(errors, 'StreamAPIError').mockImplementation(() => {
      throw failure;
    });
    try {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const e1 = cold('  -a--e--f--b--D|', { ...events, e: ev('{"message":42}', 'error'), f: evOf({ error: { message: 42 } }) });
        const e1subs = '   ^---!';
        const expected = ' -A--#';
        expectObservable(e1.pipe(chatChunks())).toBe(expected, chunks, failure);
        expectSubscriptions(e1.subscriptions).toBe(e1subs);
      });
      expect(run([evOf({ error: { message: 42 } }), evOf(A), ev('[DONE]')])).toEqual({ values: [], error: failure, completed: false });
    } finally {
      spy.mockRestore();
    }
  });

  it('should error with what checking the end throws, instead of hanging', () => {
    const failure = new Error('a bug at the end');
    const spy = jest.spyOn(errors, 'IncompleteStreamError').mockImplementation(() => {
      throw failure;
    });
    try {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const e1 = cold('  -a--|', events);
        const e1subs = '   ^---!';
        const expected = ' -A--#';
        expectObservable(e1.pipe(chatChunks())).toBe(expected, chunks, failure);
        expectSubscriptions(e1.subscriptions).toBe(e1subs);
      });
    } finally {
      spy.mockRestore();
    }
  });

  it('should error with an InvalidInputError on a value that is not an event', () => {
    for (const value of [null, 42, 'data: {}', { event: 'message', data: 42 }, { event: 7, data: '{}' }]) {
      const { error, values } = run([evOf(A), value as unknown as ServerSentEvent, ev('[DONE]')]);
      expect(values).toEqual([A]);
      expect(error).toBeInstanceOf(InvalidInputError);
      expect((error as Error).message).toMatch(/^Invalid input: chatChunks\(\) event must be a server-sent event/);
    }
  });

  it('should read an event without a type as a message event', () => {
    expect(run([{ data: JSON.stringify(A) } as ServerSentEvent, { data: '[DONE]' } as ServerSentEvent])).toEqual({
      values: [A],
      error: undefined,
      completed: true,
    });
  });

  it('should error with SSEParseError on data that is not JSON', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -a--j--D|', { ...events, j: ev('{"id": "chatcmpl-1",') });
      const e1subs = '   ^---!';
      const expected = ' -A--#';
      expectObservable(e1.pipe(chatChunks())).toBe(expected, chunks, expect.any(SSEParseError));
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
    const { error } = run([ev('{"id": "chatcmpl-1",')]);
    expect(error).toMatchObject({ reason: 'invalid-json', data: '{"id": "chatcmpl-1",' });
  });

  it('should keep no key of bad JSON in the error, its cause included (JSON.parse quotes the data)', () => {
    const { error } = run([ev('sk-SECRET12')]);
    expect(error).toBeInstanceOf(SSEParseError);
    const cause = (error as Error).cause as Error;
    expect(cause).toBeInstanceOf(SyntaxError);
    for (const text of [(error as Error).message, (error as SSEParseError).data, cause.message, String(cause.stack)]) {
      expect(text).not.toContain('SECRET');
    }
  });

  it('should error with SSEParseError on JSON that is not an object', () => {
    for (const data of ['[1,2]', '42', '"text"', 'null', 'true', '[DONE] ']) {
      const { error } = run([ev(data)]);
      expect(error).toBeInstanceOf(SSEParseError);
      expect((error as SSEParseError).reason).toBe(data === '[DONE] ' ? 'invalid-json' : 'not-an-object');
    }
  });

  it('should error with IncompleteStreamError when the source ends without [DONE]', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -a--b--c--|', events);
      const e1subs = '   ^---------!';
      const expected = ' -A--B--C--#';
      expectObservable(e1.pipe(chatChunks())).toBe(expected, chunks, expect.any(IncompleteStreamError));
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
    const { error } = run([evOf(A), evOf(C)]);
    expect(error).toMatchObject({ name: 'IncompleteStreamError', reason: 'no-done' });
  });

  it('should, with requireDone: false, complete when every choice seen finished', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = cold('  -a--b--c--|', events);
      const expected = ' -A--B--C--|';
      expectObservable(e1.pipe(chatChunks({ requireDone: false }))).toBe(expected, chunks);
    });
    const two = [
      evOf(chunk({ content: 'x' }, null, 0)),
      evOf(chunk({ content: 'y' }, null, 1)),
      evOf(chunk({}, 'stop', 1)),
      evOf(chunk({}, 'length', 0)),
      evOf({ ...chunk({}), choices: [], usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } }),
    ];
    expect(run(two, { requireDone: false })).toMatchObject({ completed: true, error: undefined });
    expect(run(two).error).toBeInstanceOf(IncompleteStreamError);
  });

  it('should, with requireDone: false, still error when a choice did not finish or none came', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = cold('  -a--b--|', events);
      const expected = ' -A--B--#';
      expectObservable(e1.pipe(chatChunks({ requireDone: false }))).toBe(expected, chunks, expect.any(IncompleteStreamError));
    });
    const open = run([evOf(chunk({}, 'stop', 0)), evOf(chunk({ content: 'y' }, null, 1))], { requireDone: false });
    expect(open.error).toBeInstanceOf(IncompleteStreamError);
    expect((open.error as Error).message).toMatch(/choice 1 had no finish_reason/);
    expect(run([], { requireDone: false }).error).toBeInstanceOf(IncompleteStreamError);
    expect(run([evOf({ ...chunk({}), choices: [] })], { requireDone: false }).error).toBeInstanceOf(IncompleteStreamError);
  });

  it("should, with requireDone: false, take finish_reason '' for no finish, as the merge does", () => {
    // '' is not a reason: the merge keeps finish_reason null for it (docs/accumulation.md).
    const empty = run([evOf(chunk({ content: 'x' }, '' as never, 0))], { requireDone: false });
    expect(empty.error).toBeInstanceOf(IncompleteStreamError);
    expect((empty.error as Error).message).toMatch(/choice 0 had no finish_reason/);
    const after = run([evOf(chunk({}, 'stop', 0)), evOf(chunk({}, '' as never, 0))], { requireDone: false });
    expect(after).toMatchObject({ completed: true, error: undefined });
  });

  it('should, with requireDone: false, still complete at [DONE] before any finish_reason', () => {
    expect(run([evOf(A), ev('[DONE]')], { requireDone: false })).toEqual({ values: [A], error: undefined, completed: true });
  });

  it('should ignore events of other types and events with empty data', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = cold('  -a-p-e-b-D|', { ...events, p: ev('{"ping":1}', 'ping'), e: ev('') });
      const expected = ' -A-----B-|';
      expectObservable(e1.pipe(chatChunks())).toBe(expected, chunks);
    });
  });

  it('should not treat a [DONE] of another event type, or not exact, as the end', () => {
    const { error } = run([evOf(A), ev('[DONE]', 'status'), evOf(C)]);
    expect(error).toBeInstanceOf(IncompleteStreamError);
    expect(run([evOf(A), ev('[done]')]).error).toBeInstanceOf(SSEParseError);
  });

  it('should hint at a body that is not an event stream when no event came', () => {
    const { error } = run([]);
    expect((error as Error).message).toMatch(/stream: true/);
  });

  it('should stop reading a synchronous source at [DONE]', () => {
    const { values, completed, error } = run([evOf(A), ev('[DONE]'), ev('not json'), ev('{"error":"x"}', 'error')]);
    expect(values).toEqual([A]);
    expect(completed).toBe(true);
    expect(error).toBeUndefined();
  });

  it('should not read what a synchronous source sends after [DONE], even a value that throws when read', async () => {
    // A revoked proxy throws as soon as it is read: read after the output closed, that throw would
    // have nobody to go to and reach rxjs as an unhandled error.
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    const unhandled = await unhandledErrorsOf(() => {
      expect(run([evOf(A), ev('[DONE]'), proxy as unknown as ServerSentEvent])).toEqual({ values: [A], error: undefined, completed: true });
    });
    expect(unhandled).toEqual([]);
  });

  it('should say what went wrong in the message of each error', () => {
    const base = 'The stream ended before `data: [DONE]`';
    expect((run([ev('{"id": 1,')]).error as Error).message).toMatch(/^An event's data is not valid JSON: \S/);
    expect((run([ev('42')]).error as Error).message).toBe("An event's data is JSON but not an object (got a number)");
    expect((run([]).error as Error).message).toBe(
      `${base}, without a single event (is the body a text/event-stream? was \`stream: true\` sent?)`,
    );
    expect((run([evOf(A)]).error as Error).message).toBe(base);
    expect((run([evOf({ ...chunk({}), choices: [] })], { requireDone: false }).error as Error).message).toBe(
      `${base}, and no choice came`,
    );
    const open = [evOf(chunk({ content: 'x' }, null, 2)), evOf(chunk({}, 'stop', 0)), evOf(chunk({ content: 'y' }, null, 1))];
    expect((run(open, { requireDone: false }).error as Error).message).toBe(`${base}, and choice 2, 1 had no finish_reason`);
  });

  it('should, with requireDone: false, count only choices with a number index', () => {
    const noIndex = { ...chunk({}, 'stop'), choices: [{ delta: {}, finish_reason: 'stop' }, null, 'x'] };
    const result = run([evOf(noIndex)], { requireDone: false });
    expect(result.values).toEqual([noIndex]);
    expect(result.error).toBeInstanceOf(IncompleteStreamError);
    expect((result.error as Error).message).toMatch(/and no choice came$/);
  });

  it('should give the same chunks for any split of the bytes (with sseEvents)', () => {
    const content = fc.oneof(
      fc.constantFrom('سلام', ' دنیا', '👋', '👨‍👩‍👧', '\n', '"quoted"', '\\', ''),
      fc.string({ unit: 'grapheme', maxLength: 8 }),
    );
    fc.assert(
      fc.property(fc.array(content, { maxLength: 12, size: 'large' }), fc.array(fc.nat(), { maxLength: 30, size: 'large' }), (contents, cuts) => {
        const list = [A, ...contents.map((c) => chunk({ content: c })), C];
        const whole = new TextEncoder().encode(list.map((c) => `data: ${JSON.stringify(c)}\n\n`).join('') + 'data: [DONE]\n\n');
        const points = [...new Set(cuts.map((c) => c % (whole.length + 1)))].sort((x, y) => x - y);
        const pieces: Uint8Array[] = [];
        let last = 0;
        for (const p of points) {
          pieces.push(whole.slice(last, p));
          last = p;
        }
        pieces.push(whole.slice(last));
        const values: ChatCompletionChunk[] = [];
        let completed = false;
        let failure: unknown;
        from(pieces)
          .pipe(sseEvents(), chatChunks())
          .subscribe({ next: (v) => values.push(v), error: (e: unknown) => (failure = e), complete: () => (completed = true) });
        expect(failure).toBeUndefined();
        expect(completed).toBe(true);
        expect(values).toEqual(list);
      }),
      { numRuns: 200 },
    );
  });
});
