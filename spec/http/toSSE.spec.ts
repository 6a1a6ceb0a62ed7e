import * as fc from 'fast-check';
import { defer, lastValueFrom, NEVER, of, Subject, throwError, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { HTTPStatusError, InvalidInputError, StreamAPIError } from '../../lib/errors.js';
import { fromSSE } from '../../lib/sources/fromSSE.js';
import { toSSE } from '../../lib/http/toSSE.js';
import { buildChunks } from '../../lib/testing/buildChunks.js';
import { toSSEText } from '../../lib/testing/toSSEText.js';
import type { ChatCompletionChunk } from '../../lib/types.js';
import { chunk, hiValues, SSE_DONE as DONE, SSE_PING as PING, sseEvent as event } from '../helpers/chunk.js';

const values = hiValues();
const { a, b, c } = values;

/** Lets the ReadableStream run its start and pull steps (they are promise jobs). */
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function readAll(stream: ReadableStream<Uint8Array>): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  const reader = stream.getReader();
  for (let result = await reader.read(); !result.done; result = await reader.read()) {
    expect(result.value).toBeInstanceOf(Uint8Array);
    text += decoder.decode(result.value, { stream: true });
  }
  return text + decoder.decode();
}

/** The events of a body, each with its blank line. */
const events = (text: string): string[] => text.split(/(?<=\n\n)/).filter((part) => part !== '');

describe('toSSE', () => {
  it('should write each chunk as a data event, then [DONE], then close', async () => {
    const body = await readAll(toSSE(of(a, b, c)));
    expect(events(body)).toEqual([event(a), event(b), event(c), DONE]);
  });

  it('should write the same text as toSSEText', async () => {
    const chunks = buildChunks('The capital of the UK is London.', { includeUsage: true, n: 2 });
    await expect(readAll(toSSE(of(...chunks)))).resolves.toBe(toSSEText(chunks));
  });

  it('should give a configured writer when called without the source', async () => {
    const write = toSSE({ formatError: () => ({ message: 'custom', type: 't', code: null }) });
    expect(typeof write).toBe('function');
    await expect(readAll(write(of(a, b, c)))).resolves.toBe(`${event(a)}${event(b)}${event(c)}${DONE}`);
    await expect(readAll(write(throwError(() => new Error('x'))))).resolves.toBe(
      event({ error: { message: 'custom', type: 't', code: null } }),
    );
  });

  it('should write only [DONE] for an empty source', async () => {
    const testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    const e1 = testScheduler.createColdObservable<ChatCompletionChunk>('|');
    const e1subs =                                  '(^!)';
    const reading = readAll(toSSE(e1, {}, testScheduler));
    await tick();
    testScheduler.flush();
    await expect(reading).resolves.toBe(DONE);
    testScheduler.expectSubscriptions(e1.subscriptions).toBe(e1subs);
    testScheduler.flush();
  });

  it('should not subscribe before the stream is read', async () => {
    let subscriptions = 0;
    const source = defer(() => {
      subscriptions++;
      return of(a);
    });
    const stream = toSSE(source);
    await tick();
    expect(subscriptions).toBe(0);
    await expect(readAll(stream)).resolves.toBe(event(a) + DONE);
    expect(subscriptions).toBe(1);
  });

  it('should enqueue chunks as they come, before the source completes', async () => {
    const subject = new Subject<ChatCompletionChunk>();
    const reader = toSSE(subject).getReader();
    const first = reader.read();
    await tick();
    subject.next(a);
    const decoder = new TextDecoder();
    expect(decoder.decode((await first).value)).toBe(event(a));
    subject.next(b);
    expect(decoder.decode((await reader.read()).value)).toBe(event(b));
    subject.complete();
    expect(decoder.decode((await reader.read()).value)).toBe(DONE);
    expect((await reader.read()).done).toBe(true);
  });

  it('should unsubscribe from the source when the stream is cancelled', async () => {
    const testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    const e1 = testScheduler.createColdObservable('-a--b----------c|', values);
    const e1subs =                                  '^------!';
    const reader = toSSE(e1, {}, testScheduler).getReader();
    const received: Promise<ReadableStreamReadResult<Uint8Array>> = reader.read();
    await tick();
    testScheduler.schedule(() => void reader.cancel(), 70);
    testScheduler.flush();
    expect(new TextDecoder().decode((await received).value)).toBe(event(a));
    expect((await reader.read()).done).toBe(true);
    testScheduler.expectSubscriptions(e1.subscriptions).toBe(e1subs);
    testScheduler.flush();
  });

  it('should never subscribe when cancelled before the first read', async () => {
    let subscriptions = 0;
    const stream = toSSE(
      defer(() => {
        subscriptions++;
        return NEVER;
      }),
    );
    await stream.cancel();
    await tick();
    expect(subscriptions).toBe(0);
  });

  it('should end with an error event in the API shape when the source errors', async () => {
    const testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    const error = new StreamAPIError({ message: 'The server had an error', type: 'server_error', code: 'boom' });
    const e1 = testScheduler.createColdObservable('-a--b--#', values, error);
    const e1subs =                                  '^------!';
    const reading = readAll(toSSE(e1, {}, testScheduler));
    await tick();
    testScheduler.flush();
    const body = await reading;
    expect(events(body)).toEqual([
      event(a),
      event(b),
      event({ error: { message: 'The server had an error', type: 'server_error', code: 'boom' } }),
    ]);
    expect(body).not.toContain('[DONE]');
    testScheduler.expectSubscriptions(e1.subscriptions).toBe(e1subs);
    testScheduler.flush();
  });

  it('should keep param, and give a plain Error the type server_error and a null code', async () => {
    const withParam = new StreamAPIError({ message: 'Bad model', type: 'invalid_request_error', code: null, param: 'model' });
    await expect(readAll(toSSE(throwError(() => withParam)))).resolves.toBe(
      event({ error: { message: 'Bad model', type: 'invalid_request_error', code: null, param: 'model' } }),
    );
    await expect(readAll(toSSE(throwError(() => new Error('socket hang up'))))).resolves.toBe(
      event({ error: { message: 'socket hang up', type: 'server_error', code: null } }),
    );
    await expect(readAll(toSSE(throwError(() => 'plain string')))).resolves.toBe(
      event({ error: { message: 'plain string', type: 'server_error', code: null } }),
    );
  });

  it('should say "The stream failed" for an error without a message, and keep only a string or number code', async () => {
    const bodyOf = (error: unknown): Promise<unknown> =>
      readAll(toSSE(throwError(() => error))).then((text) => JSON.parse(text.slice('data: '.length)));
    const failed = { message: 'The stream failed', type: 'server_error', code: null };
    await expect(bodyOf(new Error(''))).resolves.toEqual({ error: failed });
    await expect(bodyOf('')).resolves.toEqual({ error: failed });
    await expect(bodyOf(42)).resolves.toEqual({ error: failed });
    await expect(bodyOf(null)).resolves.toEqual({ error: failed });
    await expect(bodyOf({ message: 7, type: 8, code: true, param: 9 })).resolves.toEqual({ error: failed });
    await expect(bodyOf({ message: 'm', type: '', code: 429 })).resolves.toEqual({ error: { message: 'm', type: 'server_error', code: 429 } });
  });

  it('should redact the type, a string code and the param of the default error body', async () => {
    const error = { message: 'm', type: 'sk-type123456', code: 'sk-code123456', param: 'sk-param123456' };
    await expect(readAll(toSSE(throwError(() => error)))).resolves.toBe(
      event({ error: { message: 'm', type: 'sk-***', code: 'sk-***', param: 'sk-***' } }),
    );
  });

  it('should never write a stack, a cause, headers or anything that looks like a key', async () => {
    const error = new HTTPStatusError({
      status: 401,
      error: {
        message: 'Incorrect API key provided: sk-proj-AbC123xyz789LONGKEY. Header was Bearer sk-live-123456 and api_key=hunter2',
        type: 'invalid_request_error',
        code: 'invalid_api_key',
      },
    });
    (error as { cause?: unknown }).cause = { headers: { authorization: 'Bearer sk-secret-cause' } };
    const body = await readAll(toSSE(throwError(() => error)));
    const parsed = JSON.parse(body.slice('data: '.length)) as { error: Record<string, unknown> };
    expect(Object.keys(parsed.error).sort()).toEqual(['code', 'message', 'type']);
    expect(parsed.error['type']).toBe('invalid_request_error');
    expect(parsed.error['code']).toBe('invalid_api_key');
    expect(parsed.error['message']).toBe(
      '401: Incorrect API key provided: sk-***. Header was Bearer *** and api_key=***',
    );
    expect(body).not.toMatch(/AbC123|sk-live|hunter2|sk-secret|stack|at Object/);
  });

  it('should use formatError for the body of the error event', async () => {
    const body = await readAll(
      toSSE(throwError(() => new Error('internal detail')), {
        formatError: () => ({ message: 'Upstream failed', type: 'relay_error', code: 502 }),
      }),
    );
    expect(body).toBe(event({ error: { message: 'Upstream failed', type: 'relay_error', code: 502 } }));
  });

  it('should fall back to the default body when formatError throws', async () => {
    const body = await readAll(
      toSSE(throwError(() => new Error('upstream gone, key sk-abcdef123456')), {
        formatError: () => {
          throw new Error('bug in formatError');
        },
      }),
    );
    expect(body).toBe(event({ error: { message: 'upstream gone, key sk-***', type: 'server_error', code: null } }));
  });

  it('should end with an error event when a value is not a chunk object', async () => {
    const testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    const e1 = testScheduler.createColdObservable('-a--x--b|', { a, b, x: undefined as unknown as ChatCompletionChunk });
    const e1subs =                                  '^---!';
    const reading = readAll(toSSE(e1, {}, testScheduler));
    await tick();
    testScheduler.flush();
    await expect(reading.then(events)).resolves.toEqual([
      event(a),
      event({ error: { message: 'Invalid chat-completion chunk: chunk must be an object, got undefined', type: 'server_error', code: null } }),
    ]);
    testScheduler.expectSubscriptions(e1.subscriptions).toBe(e1subs);
    testScheduler.flush();
  });

  it('should send a ping comment every keepAliveMs while the stream is open', async () => {
    const testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    // In manual mode one frame is 10 virtual ms: a ping every 4 frames.
    const e1 = testScheduler.createColdObservable('---a----------b|', values);
    const e1subs =                                  '^--------------!';
    // stream:                                         ---AP---P---P-(BD|)
    const reading = readAll(toSSE(e1, { keepAliveMs: 40 }, testScheduler));
    await tick();
    testScheduler.flush();
    await expect(reading.then(events)).resolves.toEqual([event(a), PING, PING, PING, event(b), DONE]);
    testScheduler.expectSubscriptions(e1.subscriptions).toBe(e1subs);
    testScheduler.flush();
    expect(testScheduler.actions).toEqual([]);
  });

  it('should stop the pings when the stream is cancelled', async () => {
    const testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    const e1 = testScheduler.createColdObservable('-', values);
    const e1subs =                                  '^----------!';
    const reader = toSSE(e1, { keepAliveMs: 30 }, testScheduler).getReader();
    const first = reader.read();
    await tick();
    testScheduler.schedule(() => void reader.cancel(), 110);
    testScheduler.flush();
    expect(new TextDecoder().decode((await first).value)).toBe(PING);
    testScheduler.expectSubscriptions(e1.subscriptions).toBe(e1subs);
    testScheduler.flush();
    expect(testScheduler.actions).toEqual([]);
  });

  it('should reject a keepAliveMs that is not a number >= 0', () => {
    expect(() => toSSE(of(a), { keepAliveMs: -1 })).toThrow(InvalidInputError);
    expect(() => toSSE(of(a), { keepAliveMs: Number.NaN })).toThrow('options.keepAliveMs must be a finite number of ms >= 0, got NaN');
    expect(() => toSSE(of(a), { keepAliveMs: Number.POSITIVE_INFINITY })).toThrow('options.keepAliveMs must be a finite number of ms >= 0, got Infinity');
    expect(() => toSSE(of(a), { keepAliveMs: -1 })).toThrow('options.keepAliveMs must be a finite number of ms >= 0, got -1');
  });

  it('should give back the same chunks through fromSSE (property)', async () => {
    const content = fc.string({ unit: 'grapheme', maxLength: 40, size: 'large' });
    const built = fc
      .record({
        text: content,
        n: fc.integer({ min: 1, max: 3 }),
        includeUsage: fc.boolean(),
        format: fc.constantFrom('today' as const, 'classic' as const),
        seed: fc.integer({ min: 0, max: 1000 }),
        tool: fc.option(fc.record({ name: fc.constantFrom('get_weather', 'lookup'), arguments: fc.dictionary(fc.string(), fc.string()) }), {
          nil: undefined,
        }),
      })
      .map(({ text, tool, ...options }) => buildChunks(text, { ...options, ...(tool ? { toolCall: tool } : {}) }));
    // Odd content too: newlines, CRs, lone surrogates, `data: [DONE]` and comments inside strings.
    const odd = fc
      .array(fc.oneof(fc.string({ unit: 'binary', maxLength: 20, size: 'large' }), fc.constantFrom('\n', '\r\n', '\r', 'data: [DONE]\n\n', ': ping', '\u2028', '\ud83d', 'a\udc00b', '\udc00\ud800')), {
        maxLength: 6,
      })
      .map((pieces) => [a, ...pieces.map((piece) => chunk({ content: piece })), c]);
    await fc.assert(
      fc.asyncProperty(fc.oneof(built, odd), async (chunks) => {
        const back = await lastValueFrom(fromSSE(toSSE(of(...chunks))).pipe(toArray()));
        expect(back).toEqual(chunks);
      }),
      { numRuns: 150 },
    );
  });
});
