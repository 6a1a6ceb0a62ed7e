/**
 * Fuzzing fromSSE: arbitrary bytes, arbitrary text, and valid streams mutated byte by byte, cut
 * into arbitrary pieces and handed over in every input form. Whatever comes in, each run ends
 * (completes or errors), nothing is thrown at the subscriber's call, and every error is a
 * ChatStreamError. What the parser itself is not given (a network cut, a piece that is neither
 * bytes nor text) is fuzzed separately, below, and marked where it does not hold yet.
 */
import * as fc from 'fast-check';
import { ChatStreamError } from '../../lib/errors.js';
import { fromSSE, type SSEInput } from '../../lib/sources/fromSSE.js';
import { buildChunks } from '../../lib/testing/buildChunks.js';
import { toSSEText } from '../../lib/testing/toSSEText.js';

const encoder = new TextEncoder();

/** How a run of fromSSE ended. */
type Outcome = { kind: 'complete'; values: number } | { kind: 'error'; error: unknown } | { kind: 'threw'; error: unknown } | { kind: 'hung' };

/** Subscribes, and waits (at most `limitMs`) for the end. */
function run(input: SSEInput, requireDone: boolean, limitMs = 2000): Promise<Outcome> {
  return new Promise((resolve) => {
    let values = 0;
    const timer = setTimeout(() => {
      subscription?.unsubscribe();
      resolve({ kind: 'hung' });
    }, limitMs);
    const end = (outcome: Outcome): void => {
      clearTimeout(timer);
      resolve(outcome);
    };
    let subscription: { unsubscribe(): void } | undefined;
    try {
      subscription = fromSSE(input, { requireDone }).subscribe({
        next: () => values++,
        error: (error: unknown) => end({ kind: 'error', error }),
        complete: () => end({ kind: 'complete', values }),
      });
    } catch (error) {
      end({ kind: 'threw', error });
    }
  });
}

/** Cuts `bytes` at the given points (taken modulo its length), in order. */
function cut(bytes: Uint8Array, points: readonly number[]): Uint8Array[] {
  const ends = [...new Set(points.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  return [...ends, bytes.length].map((end, i, all) => bytes.slice(i === 0 ? 0 : all[i - 1], end));
}

/** The forms fromSSE takes, each made fresh from the same pieces. */
type Form = 'async-iterable' | 'readable-stream' | 'response' | 'factory';

function asInput(pieces: ReadonlyArray<Uint8Array | string>, form: Form, status = 200): SSEInput {
  const stream = (): ReadableStream<Uint8Array> =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (const piece of pieces) controller.enqueue(typeof piece === 'string' ? encoder.encode(piece) : piece);
        controller.close();
      },
    });
  switch (form) {
    case 'async-iterable':
      return (async function* () {
        for (const piece of pieces) {
          await Promise.resolve();
          yield piece;
        }
      })();
    case 'readable-stream':
      return stream();
    case 'response':
      return new Response(stream(), { status });
    case 'factory':
      return () => Promise.resolve(new Response(stream(), { status }));
  }
}

/** A valid stream of the kinds the API sends: text, n > 1, a tool call, usage, the classic format. */
const validStream = fc
  .record({
    text: fc.string({ unit: 'grapheme', maxLength: 40, size: 'large' }),
    n: fc.integer({ min: 1, max: 2 }),
    tool: fc.boolean(),
    includeUsage: fc.boolean(),
    classic: fc.boolean(),
  })
  .map(({ text, n, tool, includeUsage, classic }) =>
    encoder.encode(
      toSSEText(
        buildChunks(text, {
          n,
          includeUsage,
          format: classic ? 'classic' : 'today',
          ...(tool ? { toolCall: { name: 'get_weather', arguments: '{"city":"Paris"}' } } : {}),
        }),
      ),
    ),
  );

/** One change to a byte string: an insertion, a deletion, a flipped byte, a repeated range, a cut. */
const mutation = fc.oneof(
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.constantFrom(...['\n', '\r', '\n\n', 'data: ', ':', '[DONE]', '{', '"', '\\', 'event: error\n', 'id: \u0000\n', '\uFEFF', '\u00e9', '😀'].map((t) => encoder.encode(t))) }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ op: fc.constant('repeat' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function mutate(bytes: Uint8Array, changes: readonly Mutation[]): Uint8Array {
  let out = bytes;
  for (const change of changes) {
    const at = change.at % (out.length + 1);
    switch (change.op) {
      case 'insert':
        out = Uint8Array.from([...out.subarray(0, at), ...change.bytes, ...out.subarray(at)]);
        break;
      case 'delete':
        out = Uint8Array.from([...out.subarray(0, at), ...out.subarray(at + change.length)]);
        break;
      case 'flip':
        if (at < out.length) {
          out = Uint8Array.from(out);
          out[at] = out[at]! ^ (1 << change.bit);
        }
        break;
      case 'repeat':
        out = Uint8Array.from([...out.subarray(0, at + change.length), ...out.subarray(at)]);
        break;
      case 'truncate':
        out = out.subarray(0, at);
        break;
    }
  }
  return out;
}

const form = fc.constantFrom<Form>('async-iterable', 'readable-stream', 'response', 'factory');

/** The property every run must have: it ended, did not throw, and any error is ours. */
function expectWellBehaved(outcome: Outcome): void {
  expect(outcome.kind).not.toBe('hung');
  expect(outcome.kind).not.toBe('threw');
  if (outcome.kind === 'error') {
    if (!(outcome.error instanceof ChatStreamError)) {
      const { name, message } = outcome.error as Error;
      throw new Error(`not a ChatStreamError: ${name}: ${message}`);
    }
  }
}

describe('fromSSE fuzzing', () => {
  it('should end, never throw, and raise only ChatStreamErrors on arbitrary bytes cut anywhere', async () => {
    let long = 0; // inputs of more than 100 bytes: fast-check's default size would stop at 10
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 600, size: 'large' }), fc.array(fc.nat(), { maxLength: 10 }), form, fc.boolean(), async (bytes, points, how, requireDone) => {
        if (bytes.length > 100) long++;
        expectWellBehaved(await run(asInput(cut(bytes, points), how), requireDone));
      }),
      { numRuns: 300 },
    );
    expect(long).toBeGreaterThan(30);
  });

  it('should end, never throw, and raise only ChatStreamErrors on arbitrary text in string pieces', async () => {
    const line = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 30, size: 'large' }),
      fc.string({ maxLength: 30, size: 'large' }).map((text) => `data: ${text}\n`),
      fc.jsonValue({ maxDepth: 3 }).map((value) => `data: ${JSON.stringify(value)}\n\n`),
      fc.constantFrom('\n', '\r\n', 'data: [DONE]\n\n', 'event: error\n', ': ping\n\n', 'retry: 5\n', 'id: 3\n'),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(line, { maxLength: 12, size: 'large' }), fc.boolean(), async (pieces, requireDone) => {
        expectWellBehaved(await run(asInput(pieces, 'async-iterable'), requireDone));
      }),
      { numRuns: 300 },
    );
  });

  it('should end, never throw, and raise only ChatStreamErrors on valid streams mutated byte by byte', async () => {
    await fc.assert(
      fc.asyncProperty(
        validStream,
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        form,
        fc.boolean(),
        async (valid, changes, points, how, requireDone) => {
          expectWellBehaved(await run(asInput(cut(mutate(valid, changes), points), how), requireDone));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('should complete with every chunk for valid streams cut anywhere (the fuzz inputs are sound)', async () => {
    await fc.assert(
      fc.asyncProperty(validStream, fc.array(fc.nat(), { maxLength: 10 }), form, async (valid, points, how) => {
        const outcome = await run(asInput(cut(valid, points), how), true);
        expect(outcome).toMatchObject({ kind: 'complete' });
      }),
      { numRuns: 100 },
    );
  });

  it('should raise an HTTPStatusError (a ChatStreamError) for any non-2xx status with any body', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.integer({ min: 400, max: 599 }), fc.constantFrom(300, 301, 302, 303, 307, 308)),
        fc.oneof(fc.uint8Array({ maxLength: 200, size: 'large' }), fc.jsonValue({ maxDepth: 3 }).map((value) => encoder.encode(JSON.stringify({ error: value })))),
        fc.constantFrom<Form>('response', 'factory'),
        async (status, body, how) => {
          expectWellBehaved(await run(asInput([body], how, status), true));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('should raise a ChatStreamError for a 2xx response without a body', async () => {
    for (const status of [200, 204, 205]) {
      expectWellBehaved(await run(new Response(null, { status }), true));
      expectWellBehaved(await run(() => Promise.resolve(new Response(null, { status })), true));
    }
  });

  describe('a network cut, a piece of the wrong type, bad input forms', () => {
    /** A body that sends `pieces`, then fails as undici's fetch does when the connection is cut. */
    const cutBody = (pieces: readonly Uint8Array[]): ReadableStream<Uint8Array> =>
      new ReadableStream<Uint8Array>({
        start(controller) {
          for (const piece of pieces) controller.enqueue(piece);
          controller.error(new TypeError('terminated'));
        },
      });

    // A cut is an IncompleteStreamError with reason 'connection-lost' (docs/sse.md).
    it('should raise a ChatStreamError when the connection is cut mid-body', async () => {
      await fc.assert(
        fc.asyncProperty(validStream, fc.nat(), async (valid, at) => {
          const [head] = cut(valid, [at]);
          expectWellBehaved(await run(cutBody([head!]), true));
        }),
        { numRuns: 20 },
      );
    });

    // An InvalidInputError (docs/sse.md).
    it('should raise a ChatStreamError for a piece that is neither bytes nor text', async () => {
      const odd = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.object({ maxDepth: 1 }), fc.array(fc.nat(), { maxLength: 3 }));
      await fc.assert(
        fc.asyncProperty(odd, async (piece) => {
          expectWellBehaved(await run(asInput([piece as unknown as string], 'async-iterable'), true));
        }),
        { numRuns: 20 },
      );
    });

    // The one error that is not the toolkit's, by design (docs/sse.md): what the caller's own
    // factory rejects with before there is a response (fetch's `TypeError: fetch failed`, the
    // reason in its cause) passes through unchanged; `retryStream()` knows it as a network error.
    it('should pass a refused connection through as the factory rejected it, and end', async () => {
      const outcome = await run((signal) => fetch('http://127.0.0.1:9/v1/chat/completions', { method: 'POST', signal }), true);
      expect(outcome.kind).toBe('error');
      expect(outcome.kind === 'error' && (outcome.error as Error).message).toBe('fetch failed');
    });

    // InvalidInputErrors (docs/sse.md).
    it.each([
      ['an input of no known shape', () => fromSSE(42 as never)],
      ['a factory that does not resolve to a Response', () => fromSSE(() => Promise.resolve({} as never))],
      [
        'a Response subscribed to a second time',
        () => {
          const once = fromSSE(new Response('data: [DONE]\n\n'));
          once.subscribe();
          return once;
        },
      ],
    ])('should raise a ChatStreamError for %s', async (_, make) => {
      const outcome = await new Promise<Outcome>((resolve) =>
        make().subscribe({ error: (error: unknown) => resolve({ kind: 'error', error }), complete: () => resolve({ kind: 'complete', values: 0 }) }),
      );
      expectWellBehaved(outcome);
      expect(outcome.kind).toBe('error');
    });

    it('should still end, never hang nor throw, on a cut connection or a piece of the wrong type', async () => {
      const odd = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.object({ maxDepth: 1 }));
      await fc.assert(
        fc.asyncProperty(validStream, fc.nat(), odd, async (valid, at, piece) => {
          const [head] = cut(valid, [at]);
          for (const input of [cutBody([head!]), asInput([head!, piece as unknown as string], 'async-iterable')]) {
            const outcome = await run(input, true);
            expect(['complete', 'error']).toContain(outcome.kind);
          }
        }),
        { numRuns: 50 },
      );
    });
  });
});
