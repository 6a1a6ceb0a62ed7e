import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import * as fc from 'fast-check';
import { asyncScheduler, from, lastValueFrom, take, toArray, type Observable, type SchedulerLike, type Subscription } from 'rxjs';
import { toChatCompletion } from '../../lib/operators/toChatCompletion.js';
import * as errors from '../../lib/errors.js';
import {
  ChatStreamError,
  HTTPStatusError,
  IncompleteStreamError,
  SSEParseError,
  StreamAPIError,
} from '../../lib/errors.js';
import { fromSSE, type SSEInput } from '../../lib/sources/fromSSE.js';
import { chatChunks } from '../../lib/protocol/chatChunks.js';
import { sseEvents } from '../../lib/sse/sseEvents.js';
import type { ChatCompletionChunk } from '../../lib/types.js';
import { seededRandom } from '../../lib/testing/random.js';
import { describeShared, sharedStreamNames, sharedStreamPath } from '../helpers/sharedFixtures.js';

const encoder = new TextEncoder();

function chunk(content: string | null, finish_reason: ChatCompletionChunk.Choice['finish_reason'] = null, index = 0): ChatCompletionChunk {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'gpt-4o-mini',
    choices: [{ index, delta: content === null ? {} : { content }, finish_reason, logprobs: null }],
  };
}
const A = chunk('Hello');
const B = chunk(' سلام 👋');
const C = chunk(null, 'stop');
const sse = (...chunks: ChatCompletionChunk[]): string => chunks.map((c) => `data: ${JSON.stringify(c)}\n\n`).join('');
const BODY = `${sse(A, B, C)}data: [DONE]\n\n`;


/** A ReadableStream of the bytes in pieces of 1 to 32 bytes (16 on average). */
function streamOf(bytes: Uint8Array, seed = 1): ReadableStream<Uint8Array> & { cancelled: () => boolean } {
  const next = seededRandom(seed);
  let position = 0;
  let cancelled = false;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (position >= bytes.length) {
        controller.close();
        return;
      }
      const size = 1 + Math.floor(next() * 32);
      controller.enqueue(bytes.slice(position, position + size));
      position += size;
    },
    cancel() {
      cancelled = true;
    },
  });
  return Object.assign(stream, { cancelled: () => cancelled });
}

/** A ReadableStream that sends the pieces and then pauses forever (until cancelled). */
function pausingStream(pieces: string[]): { stream: ReadableStream<Uint8Array>; cancelled: () => boolean } {
  let cancelled = false;
  let i = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i < pieces.length) {
        controller.enqueue(encoder.encode(pieces[i++]));
        return;
      }
      return new Promise<void>(() => undefined);
    },
    cancel() {
      cancelled = true;
    },
  });
  return { stream, cancelled: () => cancelled };
}

function collect<T>(observable: Observable<T>): Promise<T[]> {
  return lastValueFrom(observable.pipe(toArray()));
}

/** Subscribes and resolves with the error (rejects when the observable does not error). */
function errorOf(observable: Observable<unknown>): Promise<unknown> {
  return new Promise((resolve, reject) => {
    observable.subscribe({ error: resolve, complete: () => reject(new Error('completed instead of erroring')) });
  });
}

/** Resolves once `count` values arrived, with the subscription and what came so far. */
function firstValues<T>(observable: Observable<T>, count: number): Promise<{ subscription: Subscription; values: T[] }> {
  return new Promise((resolve, reject) => {
    const values: T[] = [];
    const subscription: Subscription = observable.subscribe({
      next: (value) => {
        values.push(value);
        if (values.length === count) resolve({ subscription, values });
      },
      error: reject,
      complete: () => reject(new Error(`completed after ${values.length} values`)),
    });
  });
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('fromSSE', () => {
  describe('inputs', () => {
    it('should read a Response', async () => {
      await expect(collect(fromSSE(new Response(BODY)))).resolves.toEqual([A, B, C]);
    });

    it('should read a ReadableStream in small pieces, splitting characters', async () => {
      for (let seed = 1; seed <= 20; seed++) {
        await expect(collect(fromSSE(streamOf(encoder.encode(BODY), seed)))).resolves.toEqual([A, B, C]);
      }
    });

    it('should read an AsyncIterable of bytes or strings', async () => {
      async function* pieces() {
        yield encoder.encode(BODY.slice(0, 30));
        yield BODY.slice(30, 200);
        yield encoder.encode(BODY.slice(200));
      }
      await expect(collect(fromSSE(pieces()))).resolves.toEqual([A, B, C]);
    });

    it('should call a factory per subscription (cold)', async () => {
      const signals: AbortSignal[] = [];
      const source = fromSSE(async (signal) => {
        signals.push(signal);
        return new Response(BODY);
      });
      expect(signals).toHaveLength(0);
      await expect(collect(source)).resolves.toEqual([A, B, C]);
      await expect(collect(source)).resolves.toEqual([A, B, C]);
      expect(signals).toHaveLength(2);
      expect(signals[0]).not.toBe(signals[1]);
    });

    it("should not abort the factory's signal once the body was read to its end", async () => {
      let given: AbortSignal | undefined;
      const source = fromSSE(
        async (signal) => {
          given = signal;
          return new Response(sse(A, C));
        },
        { requireDone: false },
      );
      await expect(collect(source)).resolves.toEqual([A, C]);
      expect(given?.aborted).toBe(false);
    });

    it('should error clearly on a second subscription to a Response or a ReadableStream', async () => {
      const fromResponse = fromSSE(new Response(BODY));
      await expect(collect(fromResponse)).resolves.toEqual([A, B, C]);
      const again = await errorOf(fromResponse);
      expect(again).toBeInstanceOf(errors.InvalidInputError);
      expect((again as Error).message).toMatch(/already been read.*signal/);

      const fromStream = fromSSE(streamOf(encoder.encode(BODY)));
      await expect(collect(fromStream)).resolves.toEqual([A, B, C]);
      await expect(errorOf(fromStream)).resolves.toBeInstanceOf(errors.InvalidInputError);

      const used = new Response(BODY);
      await used.text();
      await expect(errorOf(fromSSE(used))).resolves.toBeInstanceOf(errors.InvalidInputError);
    });

    it('should recognise a Response by its shape, and read it once', async () => {
      // Not a real Response (another realm, a polyfill): status and body suffice.
      const body = encoder.encode(BODY);
      let readers = 0;
      const responseLike = {
        status: 200,
        body: {
          getReader: () => {
            readers++;
            return streamOf(body).getReader();
          },
        },
      };
      const source = fromSSE(responseLike);
      await expect(collect(source)).resolves.toEqual([A, B, C]);
      await expect(errorOf(source)).resolves.toBeInstanceOf(errors.InvalidInputError);
      expect(readers).toBe(1);
    });

    it('should error with an InvalidInputError on an input it does not know', async () => {
      const unknown = await errorOf(fromSSE({} as never));
      expect(unknown).toBeInstanceOf(errors.InvalidInputError);
      expect(unknown).toMatchObject({ path: 'fromSSE() input', got: 'an object' });
      const factory = await errorOf(fromSSE((() => Promise.resolve(new Map())) as never));
      expect(factory).toBeInstanceOf(errors.InvalidInputError);
      expect(factory).toMatchObject({ path: 'fromSSE() factory result', got: 'a Map' });
    });

    it('should error with IncompleteStreamError on a 2xx Response without a body', async () => {
      const error = await errorOf(fromSSE(new Response(null, { status: 204 })));
      expect(error).toBeInstanceOf(IncompleteStreamError);
      expect((error as Error).message).toMatch(/no body/);
    });

    it('should pass an error of the factory (a network error) through unchanged', async () => {
      const failure = new TypeError('fetch failed');
      await expect(errorOf(fromSSE(() => Promise.reject(failure)))).resolves.toBe(failure);
      await expect(
        errorOf(
          fromSSE(() => {
            throw failure;
          }),
        ),
      ).resolves.toBe(failure);
    });

    it('should error with IncompleteStreamError connection-lost when the body fails, the failure as cause', async () => {
      const failure = new TypeError('terminated');
      let sent = false;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (!sent) {
            sent = true;
            controller.enqueue(encoder.encode(sse(A)));
          } else controller.error(failure);
        },
      });
      const error = await errorOf(fromSSE(stream));
      expect(error).toBeInstanceOf(IncompleteStreamError);
      expect(error).toMatchObject({ reason: 'connection-lost', cause: failure });
      expect((error as Error).message).toBe('The connection was lost while the stream was read: terminated');
      // Through the merge, what came is kept.
      let again = false;
      const cut = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (!again) {
            again = true;
            controller.enqueue(encoder.encode(sse(A)));
          } else controller.error(failure);
        },
      });
      const merged = await errorOf(fromSSE(new Response(cut)).pipe(toChatCompletion()));
      expect(merged).toMatchObject({ reason: 'connection-lost' });
      expect((merged as errors.ChatStreamError).partial?.choices[0]?.message.content).toBe('Hello');
    });

    it('should error with IncompleteStreamError connection-lost when an async iterable body fails', async () => {
      const failure = Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
      async function* body(): AsyncGenerator<Uint8Array> {
        yield encoder.encode(sse(A));
        throw failure;
      }
      const error = await errorOf(fromSSE(body()));
      expect(error).toBeInstanceOf(IncompleteStreamError);
      expect(error).toMatchObject({ reason: 'connection-lost', cause: failure });
    });

    it('should pass an abort of the body through as it is', async () => {
      const abort = new DOMException('This operation was aborted', 'AbortError');
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          controller.error(abort);
        },
      });
      await expect(errorOf(fromSSE(stream))).resolves.toBe(abort);
    });

    it('should release the reader of a Response it stops reading, and of one it read to the end', async () => {
      const endless = new Response(
        new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(encoder.encode(sse(A)));
          },
        }),
      );
      const seen = await lastValueFrom(fromSSE(endless).pipe(take(1), toArray()));
      expect(seen).toEqual([A]);
      expect(endless.body?.locked).toBe(false);

      const whole = new Response(BODY);
      await collect(fromSSE(whole));
      expect(whole.body?.locked).toBe(false);

      const failed = new Response(sse(A));
      await errorOf(fromSSE(failed));
      expect(failed.body?.locked).toBe(false);
    });
  });

  describe('the end of the stream', () => {
    it('should error with IncompleteStreamError when the body ends before [DONE]', async () => {
      const error = await errorOf(fromSSE(new Response(sse(A, B, C))));
      expect(error).toBeInstanceOf(IncompleteStreamError);
      expect((error as IncompleteStreamError).reason).toBe('no-done');
    });

    it('should complete, with requireDone: false, when every choice finished', async () => {
      await expect(collect(fromSSE(new Response(sse(A, B, C)), { requireDone: false }))).resolves.toEqual([A, B, C]);
      await expect(errorOf(fromSSE(new Response(sse(A, B)), { requireDone: false }))).resolves.toBeInstanceOf(
        IncompleteStreamError,
      );
    });

    it('should complete when the final [DONE] lacks its blank line', async () => {
      await expect(collect(fromSSE(new Response(`${sse(A, B, C)}data: [DONE]`)))).resolves.toEqual([A, B, C]);
      await expect(collect(fromSSE(new Response(`${sse(A, B, C)}data: [DONE]\r\n`)))).resolves.toEqual([A, B, C]);
    });

    it('should cancel the body at [DONE], without reading on', async () => {
      const { stream, cancelled } = pausingStream([sse(A), 'data: [DONE]\n\n', sse(B)]);
      await expect(collect(fromSSE(stream))).resolves.toEqual([A]);
      expect(cancelled()).toBe(true);
    });

    it('should raise the errors of the stream: error events, bad JSON, bad UTF-8', async () => {
      const apiError = await errorOf(
        fromSSE(new Response(`${sse(A)}event: error\ndata: {"error":{"message":"overloaded","type":"server_error","code":null}}\n\n`)),
      );
      expect(apiError).toBeInstanceOf(StreamAPIError);
      expect(apiError).toMatchObject({ message: 'overloaded', type: 'server_error' });
      await expect(errorOf(fromSSE(new Response(`${sse(A)}data: {oops}\n\n`)))).resolves.toBeInstanceOf(SSEParseError);
      const utf8 = await errorOf(fromSSE(new Response(new Uint8Array([0x64, 0x61, 0x74, 0x61, 0x3a, 0xff, 0x0a, 0x0a]))));
      expect(utf8).toMatchObject({ name: 'SSEParseError', reason: 'invalid-utf8' });
    });
  });

  describe('a throw while parsing', () => {
    /** Each kind of input, over pieces that pause (forever) once sent, and how to see it stopped. */
    type Kind = { name: string; input: (pieces: unknown[]) => { input: SSEInput; stopped: () => boolean } };
    const pausingPieces = (pieces: unknown[]) => {
      let cancelled = false;
      let i = 0;
      const stream = new ReadableStream<unknown>({
        pull(controller) {
          if (i < pieces.length) controller.enqueue(pieces[i++]);
          else return new Promise<void>(() => undefined);
        },
        cancel() {
          cancelled = true;
        },
      });
      return { stream: stream as ReadableStream<Uint8Array>, cancelled: () => cancelled };
    };
    const kinds: Kind[] = [
      {
        name: 'a Response',
        input: (pieces) => {
          const { stream, cancelled } = pausingPieces(pieces);
          return { input: { status: 200, body: stream }, stopped: cancelled };
        },
      },
      {
        name: 'a ReadableStream',
        input: (pieces) => {
          const { stream, cancelled } = pausingPieces(pieces);
          return { input: stream, stopped: cancelled };
        },
      },
      {
        name: 'a factory',
        input: (pieces) => {
          const { stream, cancelled } = pausingPieces(pieces);
          let given: AbortSignal | undefined;
          const factory = async (signal: AbortSignal) => {
            given = signal;
            return { status: 200, body: stream };
          };
          return { input: factory, stopped: () => cancelled() && given?.aborted === true };
        },
      },
      {
        name: 'an AsyncIterable',
        input: (pieces) => {
          let returned = false;
          let i = 0;
          const iterable = {
            [Symbol.asyncIterator]: () => ({
              next: () =>
                i < pieces.length
                  ? Promise.resolve({ done: false, value: pieces[i++] })
                  : new Promise<IteratorResult<unknown>>(() => undefined),
              return: () => {
                returned = true;
                return Promise.resolve({ done: true, value: undefined });
              },
            }),
          };
          return { input: iterable as AsyncIterable<string>, stopped: () => returned };
        },
      },
      {
        name: 'a Node Readable',
        input: (pieces) => {
          const readable = new Readable({ objectMode: true, read() {} });
          for (const piece of pieces) readable.push(piece);
          return { input: readable, stopped: () => readable.destroyed };
        },
      },
    ];

    it.each(kinds)('should error with what building an error throws, and stop $name', async ({ input }) => {
      // The error class failing in its constructor (a bug of the kind it once had).
      const failure = new TypeError('result.replace is not a function');
      const spy = jest.spyOn(errors, 'StreamAPIError').mockImplementation(() => {
        throw failure;
      });
      try {
        const source = input([sse(A), 'data: {"error":{"message":42}}\n\n', sse(B)]);
        const values: ChatCompletionChunk[] = [];
        const error = await new Promise<unknown>((resolve, reject) =>
          fromSSE(source.input).subscribe({ next: (v) => values.push(v), error: resolve, complete: () => reject(new Error('completed')) }),
        );
        expect(error).toBe(failure);
        expect(values).toEqual([A]);
        expect(source.stopped()).toBe(true);
      } finally {
        spy.mockRestore();
      }
    });

    // (A Node Readable's own iterator already fails on such a piece: that error is the stream's.)
    it.each(kinds.filter((kind) => kind.name !== 'a Node Readable'))(
      'should error with what reading a piece throws, and stop $name',
      async ({ input }) => {
        // A revoked proxy throws as soon as its type is asked.
        const { proxy, revoke } = Proxy.revocable({}, {});
        revoke();
        const source = input([sse(A), proxy, sse(B)]);
        const values: ChatCompletionChunk[] = [];
        const error = await new Promise<unknown>((resolve, reject) =>
          fromSSE(source.input).subscribe({ next: (v) => values.push(v), error: resolve, complete: () => reject(new Error('completed')) }),
        );
        expect(error).toBeInstanceOf(TypeError);
        expect(values).toEqual([A]);
        expect(source.stopped()).toBe(true);
      },
    );

    it('should error with what checking the end throws, instead of hanging', async () => {
      const failure = new Error('a bug at the end');
      const spy = jest.spyOn(errors, 'IncompleteStreamError').mockImplementation(() => {
        throw failure;
      });
      try {
        await expect(errorOf(fromSSE(new Response(sse(A, B))))).resolves.toBe(failure);
      } finally {
        spy.mockRestore();
      }
    });
  });

  describe('the two stages, fused', () => {
    /** How an observable ends, run to its end: its values, then 'complete' or the error's class and message. */
    async function outcome(observable: Observable<ChatCompletionChunk>): Promise<unknown[]> {
      const seen: unknown[] = [];
      await new Promise<void>((resolve) => {
        observable.subscribe({
          next: (value) => seen.push(value),
          error: (error: unknown) => {
            seen.push(`${(error as Error).name}: ${(error as Error).message}`, (error as { reason?: unknown }).reason);
            resolve();
          },
          complete: () => {
            seen.push('complete');
            resolve();
          },
        });
      });
      return seen;
    }
    const block = fc.constantFrom(
      sse(A),
      sse(B),
      sse(C),
      `data: ${JSON.stringify(B).replace(',', ',\ndata: ')}\r\n\r\n`,
      'event: ping\ndata: {}\n\n',
      ': keep-alive\n\n',
      'id: 7\nretry: 10\n\n',
      'data:\n\n',
      'data: [DONE]\n\n',
      'data: [DONE]',
      'data: {"oops\n\n',
      'data: [1]\n\n',
      'event: error\ndata: {"message":"overloaded"}\n\n',
      'data: {"error":{"message":"bad"}}\n\n',
    );

    it('should give exactly what sseEvents() then chatChunks() give, however the bytes are cut', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(block, { maxLength: 6 }),
          fc.array(fc.nat(), { maxLength: 12, size: 'large' }),
          fc.boolean(),
          async (blocks, cuts, requireDone) => {
            const all = encoder.encode(blocks.join(''));
            const points = [...new Set(cuts.map((c) => c % (all.length + 1)))].sort((x, y) => x - y);
            const pieces = [...points, all.length].map((end, i, ends) => all.slice(i === 0 ? 0 : ends[i - 1], end));
            async function* body(): AsyncGenerator<Uint8Array> {
              yield* pieces;
            }
            const fused = await outcome(fromSSE(body(), { requireDone }));
            const staged = await outcome(from(pieces).pipe(sseEvents(), chatChunks({ requireDone })));
            expect(fused).toEqual(staged);
          },
        ),
        { numRuns: 300 },
      );
    });
  });

  describe('unsubscribing and aborting', () => {
    it('should cancel the reader at once on unsubscribe, with a read pending', async () => {
      const { stream, cancelled } = pausingStream([sse(A), sse(B), sse(C)]);
      const { subscription, values } = await firstValues(fromSSE(stream), 3);
      expect(values).toEqual([A, B, C]);
      expect(cancelled()).toBe(false);
      subscription.unsubscribe();
      expect(cancelled()).toBe(true);
    });

    it("should call the iterator's return() on unsubscribe", async () => {
      let returned = false;
      let i = 0;
      const pieces = [sse(A), sse(B), sse(C)];
      const iterable: AsyncIterable<string> = {
        [Symbol.asyncIterator]: () => ({
          next: () =>
            i < pieces.length ? Promise.resolve({ done: false, value: pieces[i++]! }) : new Promise<IteratorResult<string>>(() => undefined),
          return: () => {
            returned = true;
            return Promise.resolve({ done: true, value: undefined });
          },
        }),
      };
      const { subscription } = await firstValues(fromSSE(iterable), 3);
      subscription.unsubscribe();
      expect(returned).toBe(true);
    });

    it('should destroy a Node stream at once on unsubscribe, with a read pending', async () => {
      const readable = new Readable({ read() {} });
      readable.push(sse(A));
      const { subscription, values } = await firstValues(fromSSE(readable), 1);
      expect(values).toEqual([A]);
      await wait(10); // a read is pending: return() alone would wait for the next piece
      expect(readable.destroyed).toBe(false);
      subscription.unsubscribe();
      expect(readable.destroyed).toBe(true);
    });

    it('should destroy a Node stream when options.signal aborts, or was aborted already', async () => {
      const readable = new Readable({ read() {} });
      readable.push(sse(A));
      const controller = new AbortController();
      let failure: unknown;
      fromSSE(readable, { signal: controller.signal }).subscribe({ error: (e: unknown) => (failure = e) });
      await wait(10); // a read is pending
      controller.abort();
      expect(failure).toMatchObject({ name: 'AbortError' });
      expect(readable.destroyed).toBe(true);
      const unread = new Readable({ read() {} });
      await expect(errorOf(fromSSE(unread, { signal: controller.signal }))).resolves.toMatchObject({ name: 'AbortError' });
      expect(unread.destroyed).toBe(true);
    });

    it("should abort the factory's signal on unsubscribe, also before the response came", async () => {
      let given: AbortSignal | undefined;
      const subscription = fromSSE((signal) => {
        given = signal;
        return new Promise<Response>(() => undefined);
      }).subscribe();
      expect(given?.aborted).toBe(false);
      subscription.unsubscribe();
      expect(given?.aborted).toBe(true);
    });

    it("should cancel a response that arrives after unsubscribing", async () => {
      const { stream, cancelled } = pausingStream([sse(A)]);
      let resolve!: (response: Response) => void;
      const subscription = fromSSE(() => new Promise<Response>((r) => (resolve = r))).subscribe();
      subscription.unsubscribe();
      resolve(new Response(stream));
      await wait(0);
      expect(cancelled()).toBe(true);
    });

    it('should error with the reason when options.signal aborts, and cancel the body', async () => {
      const { stream, cancelled } = pausingStream([sse(A), sse(B)]);
      const controller = new AbortController();
      const reason = new Error('user cancelled');
      const values: ChatCompletionChunk[] = [];
      const error = new Promise<unknown>((resolve) =>
        fromSSE(stream, { signal: controller.signal }).subscribe({
          next: (v) => {
            values.push(v);
            if (values.length === 2) controller.abort(reason);
          },
          error: resolve,
        }),
      );
      await expect(error).resolves.toBe(reason);
      expect(values).toEqual([A, B]);
      expect(cancelled()).toBe(true);
    });

    it('should error with an AbortError when options.signal is already aborted, without calling the factory', async () => {
      const controller = new AbortController();
      controller.abort();
      const factory = jest.fn(async () => new Response(BODY));
      const error = await errorOf(fromSSE(factory, { signal: controller.signal }));
      expect(error).toMatchObject({ name: 'AbortError' });
      expect(factory).not.toHaveBeenCalled();
      const { stream, cancelled } = pausingStream([sse(A)]);
      await expect(errorOf(fromSSE(stream, { signal: controller.signal }))).resolves.toMatchObject({ name: 'AbortError' });
      expect(cancelled()).toBe(true);
    });
  });

  describe('HTTP errors', () => {
    const fixedClock: SchedulerLike = {
      now: () => Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'),
      schedule: asyncScheduler.schedule.bind(asyncScheduler),
    };

    it('should error with HTTPStatusError carrying the API error, retry-after and the request id', async () => {
      const response = new Response(
        JSON.stringify({ error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded', param: null } }),
        { status: 429, statusText: 'Too Many Requests', headers: { 'retry-after': '2', 'x-request-id': 'req_123' } },
      );
      const error = (await errorOf(fromSSE(response))) as HTTPStatusError;
      expect(error).toBeInstanceOf(HTTPStatusError);
      expect(error).toBeInstanceOf(ChatStreamError);
      expect(error).toMatchObject({
        status: 429,
        statusText: 'Too Many Requests',
        type: 'requests',
        code: 'rate_limit_exceeded',
        retryAfterMs: 2000,
        requestId: 'req_123',
        error: { message: 'Rate limit reached' },
      });
      expect(error.message).toMatch(/429.*Rate limit reached/);
    });

    it('should prefer retry-after-ms, and read retry-after as an HTTP date against the scheduler', async () => {
      const ms = (headers: Record<string, string>) =>
        errorOf(fromSSE(new Response('{}', { status: 503, headers }), {}, fixedClock)).then(
          (e) => (e as HTTPStatusError).retryAfterMs,
        );
      await expect(ms({ 'retry-after-ms': '150', 'retry-after': '2' })).resolves.toBe(150);
      await expect(ms({ 'retry-after': '0.5' })).resolves.toBe(500);
      await expect(ms({ 'retry-after': 'Wed, 21 Oct 2015 07:28:30 GMT' })).resolves.toBe(30_000);
      await expect(ms({ 'retry-after': 'Wed, 21 Oct 2015 07:27:00 GMT' })).resolves.toBe(0);
      await expect(ms({ 'retry-after': 'soon' })).resolves.toBeUndefined();
      await expect(ms({})).resolves.toBeUndefined();
    });

    it('should put a non-JSON body, cut and on one line, into the message', async () => {
      const html = `<html>\n<body>\n<h1>502 Bad Gateway</h1>${'x'.repeat(5000)}</body></html>`;
      const error = (await errorOf(fromSSE(new Response(html, { status: 502, statusText: 'Bad Gateway' })))) as HTTPStatusError;
      expect(error).toBeInstanceOf(HTTPStatusError);
      expect(error.error).toBeUndefined();
      expect(error.message).toMatch(/^502 Bad Gateway: <html> <body> <h1>502 Bad Gateway<\/h1>x+…$/);
      expect(error.message.length).toBeLessThan(600);
    });

    it('should redact a non-JSON body before cutting it, so a key the cut splits shows no part', async () => {
      const text = `${'x'.repeat(495)} sk-SECRETSECRET`;
      const error = (await errorOf(fromSSE(new Response(text, { status: 500 })))) as HTTPStatusError;
      expect(error.message).toContain('x sk-');
      expect(error.message).not.toContain('sk-S');
    });

    it('should read at most 64 KiB of an error body, then cancel it', async () => {
      let cancelled = false;
      let sent = 0;
      const endless = new ReadableStream<Uint8Array>({
        pull(controller) {
          sent += 1024;
          controller.enqueue(encoder.encode('x'.repeat(1024)));
        },
        cancel() {
          cancelled = true;
        },
      });
      const error = (await errorOf(fromSSE(new Response(endless, { status: 500 })))) as HTTPStatusError;
      expect(error).toBeInstanceOf(HTTPStatusError);
      expect(cancelled).toBe(true);
      expect(sent).toBeLessThan(1024 * 1024);
    });

    it('should read the error shapes { error: "text" } and { message }', async () => {
      const of = async (body: string) => ((await errorOf(fromSSE(new Response(body, { status: 400 })))) as HTTPStatusError).error;
      await expect(of('{"error":"bad model"}')).resolves.toEqual({ message: 'bad model' });
      await expect(of('{"message":"bad model","code":"x"}')).resolves.toEqual({ message: 'bad model', code: 'x' });
      await expect(of('[]')).resolves.toBeUndefined();
    });
  });

  describe('over real HTTP', () => {
    const secret = 'Bearer sk-test-do-not-leak-123456';
    let server: http.Server;
    let url: string;
    const closes = new Map<string, Promise<number>>();
    const seenAuthorization: string[] = [];

    beforeAll(async () => {
      server = http.createServer((req, res) => {
        seenAuthorization.push(String(req.headers.authorization));
        const id = String(req.headers['x-test-id'] ?? '');
        closes.set(id, new Promise((resolve) => res.on('close', () => resolve(performance.now()))));
        const route = new URL(req.url ?? '/', 'http://x').pathname;
        if (route === '/pause') {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.write(sse(A));
          res.write(sse(B));
          res.write(sse(C)); // then nothing: the model "thinks"
        } else if (route === '/429') {
          res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '2', 'x-request-id': 'req_429' });
          res.end(JSON.stringify({ error: { message: 'Rate limit reached for gpt-4o', type: 'requests', code: 'rate_limit_exceeded', param: null } }));
        } else if (route === '/500') {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end('Internal Server Error: upstream crashed');
        } else {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.end(BODY);
        }
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });

    afterAll(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });

    const request = (route: string, id: string) => (signal: AbortSignal) =>
      fetch(`${url}${route}`, { headers: { authorization: secret, 'x-test-id': id }, signal });

    /** Waits for the server to see the request's connection close, at most `ms`. */
    /** When the server saw the connection close, or Infinity after `ms` (the timer is cleared, so jest can exit). */
    const closedWithin = async (id: string, ms: number): Promise<number> => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<number>((resolve) => (timer = setTimeout(() => resolve(Number.POSITIVE_INFINITY), ms)));
      try {
        return await Promise.race([closes.get(id) as Promise<number>, timeout]);
      } finally {
        clearTimeout(timer);
      }
    };

    it('should read a whole stream', async () => {
      await expect(collect(fromSSE(request('/ok', 'ok')))).resolves.toEqual([A, B, C]);
    });

    it('should close the connection at once when unsubscribed during a pause (factory form)', async () => {
      const { subscription, values } = await firstValues(fromSSE(request('/pause', 'factory')), 3);
      expect(values).toEqual([A, B, C]);
      await wait(50); // in the pause
      expect(await closedWithin('factory', 0)).toBe(Number.POSITIVE_INFINITY); // still open
      const unsubscribedAt = performance.now();
      subscription.unsubscribe();
      const closedAt = await closedWithin('factory', 2000);
      // The server never sends more: only the abort closes it. A second is far below any pause a
      // model makes, and above what a loaded machine takes to run the teardown.
      expect(closedAt - unsubscribedAt).toBeLessThan(1000);
    });

    it('should close the connection at once when unsubscribed during a pause (Response form)', async () => {
      const response = await fetch(`${url}/pause`, { headers: { 'x-test-id': 'response' } });
      const { subscription } = await firstValues(fromSSE(response), 3);
      await wait(50);
      const unsubscribedAt = performance.now();
      subscription.unsubscribe();
      const closedAt = await closedWithin('response', 2000);
      // The server never sends more: only the abort closes it. A second is far below any pause a
      // model makes, and above what a loaded machine takes to run the teardown.
      expect(closedAt - unsubscribedAt).toBeLessThan(1000);
    });

    /** Starts a request with node:http and resolves with the `IncomingMessage`. */
    const incoming = (route: string, id: string) =>
      new Promise<http.IncomingMessage>((resolve, reject) =>
        http.get(`${url}${route}`, { headers: { 'x-test-id': id }, agent: false }, resolve).on('error', reject),
      );

    it('should close the connection at once when unsubscribed during a pause (http.IncomingMessage form)', async () => {
      const { subscription, values } = await firstValues(fromSSE(await incoming('/pause', 'incoming')), 3);
      expect(values).toEqual([A, B, C]);
      await wait(50); // in the pause
      expect(await closedWithin('incoming', 0)).toBe(Number.POSITIVE_INFINITY); // still open
      const unsubscribedAt = performance.now();
      subscription.unsubscribe();
      const closedAt = await closedWithin('incoming', 2000);
      expect(closedAt - unsubscribedAt).toBeLessThan(200);
    });

    it('should close the connection at once when options.signal aborts (http.IncomingMessage form)', async () => {
      const controller = new AbortController();
      const { values } = await firstValues(fromSSE(await incoming('/pause', 'incoming-signal'), { signal: controller.signal }), 3);
      expect(values).toEqual([A, B, C]);
      await wait(50);
      const abortedAt = performance.now();
      controller.abort();
      const closedAt = await closedWithin('incoming-signal', 2000);
      expect(closedAt - abortedAt).toBeLessThan(200);
    });

    it('should abort the request when options.signal aborts', async () => {
      const controller = new AbortController();
      const values: ChatCompletionChunk[] = [];
      const error = new Promise<unknown>((resolve) =>
        fromSSE(request('/pause', 'signal'), { signal: controller.signal }).subscribe({
          next: (v) => {
            values.push(v);
            if (values.length === 3) setTimeout(() => controller.abort(), 20);
          },
          error: resolve,
        }),
      );
      const failure = await error;
      const abortedAt = performance.now();
      expect(failure).toMatchObject({ name: 'AbortError' });
      expect(values).toEqual([A, B, C]);
      const closedAt = await closedWithin('signal', 2000);
      expect(closedAt - abortedAt).toBeLessThan(1000);
    });

    it('should error with HTTPStatusError on a 429, with retryAfterMs and the API message, and no request header', async () => {
      const error = (await errorOf(fromSSE(request('/429', '429')))) as HTTPStatusError;
      expect(error).toBeInstanceOf(HTTPStatusError);
      expect(error).toMatchObject({ status: 429, retryAfterMs: 2000, requestId: 'req_429', code: 'rate_limit_exceeded' });
      expect(error.message).toContain('Rate limit reached for gpt-4o');
      expect(seenAuthorization).toContain(secret); // the header was really sent…
      expect(JSON.stringify(error)).not.toContain('sk-test'); // …and is nowhere in the error
      expect(error.message).not.toContain('sk-test');
      expect(String(error.stack)).not.toContain('sk-test');
    });

    it('should error with HTTPStatusError on a 500 with a text body', async () => {
      const error = (await errorOf(fromSSE(request('/500', '500')))) as HTTPStatusError;
      expect(error).toBeInstanceOf(HTTPStatusError);
      expect(error.status).toBe(500);
      expect(error.message).toBe('500 Internal Server Error: Internal Server Error: upstream crashed');
      expect(JSON.stringify(error)).not.toContain('sk-test');
    });
  });

  describe('recorded streams', () => {
    const files = sharedStreamNames();

    /** The naive reading: split on blank lines, JSON.parse each `data: ` up to [DONE]. */
    function naive(text: string): unknown[] {
      const out: unknown[] = [];
      for (const block of text.split('\n\n')) {
        const data = block
          .split('\n')
          .filter((l) => l.startsWith('data: '))
          .map((l) => l.slice(6))
          .join('\n');
        if (data === '') continue;
        if (data === '[DONE]') return out;
        out.push(JSON.parse(data));
      }
      throw new Error('no [DONE] in the fixture');
    }

    describeShared('from ../shared/fixtures/streams', () => {
      it('should have streams to read', () => {
        expect(files.length).toBeGreaterThan(0);
      });

      it.each(files)('should read %s in small random pieces to the same chunks as a naive split', async (file) => {
        const bytes = fs.readFileSync(sharedStreamPath(file));
        const expected = naive(bytes.toString('utf8'));
        expect(expected.length).toBeGreaterThan(0);
        const seed = [...file].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7);
        const stream = streamOf(new Uint8Array(bytes), seed);
        await expect(collect(fromSSE(stream))).resolves.toEqual(expected);
      });
    });
  });
});
