import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI, { RateLimitError } from 'openai';
import { from, lastValueFrom, tap, toArray } from 'rxjs';
import { HTTPStatusError, StreamAPIError, StreamTimeoutError } from '../../lib/errors.js';
import { meter, type MeteredUsage } from '../../lib/operators/meter.js';
import { streamMany, type StreamManyProgress, type StreamManyResult } from '../../lib/operators/streamMany.js';
import { retryStream } from '../../lib/operators/retryStream.js';
import { streamTimeout } from '../../lib/operators/streamTimeout.js';
import { toChatCompletion } from '../../lib/operators/toChatCompletion.js';
import { usage } from '../../lib/operators/usage.js';
import { fromChatCompletion } from '../../lib/sources/fromChatCompletion.js';
import { fromSSE } from '../../lib/sources/fromSSE.js';
import { pipeSSE } from '../../lib/http/pipeSSE.js';
import { loadEncoding } from '../../lib/tokens/loadEncoding.js';
import { startMockServer, type MockServer, type MockServerOptions } from '../../lib/testing/startMockServer.js';
import type { ChatCompletionChunk } from '../../lib/types.js';
import { errorOf, until, user } from '../helpers/notebook.js';

/** A local server for one test, closed after it. */
async function withServer<T>(options: MockServerOptions, body: (server: MockServer) => Promise<T>): Promise<T> {
  const server = await startMockServer(options);
  try {
    return await body(server);
  } finally {
    await server.close();
  }
}

/** `fromSSE` over `fetch`: cold, each subscription one request. */
const viaFetch = (server: MockServer, body: object, headers: Record<string, string> = {}) =>
  fromSSE((signal) =>
    fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ model: 'gpt-4o-mini', stream: true, ...body }),
      signal,
    }),
  );

const sdk = (server: MockServer) => new OpenAI({ baseURL: server.baseURL, apiKey: 'test-key', maxRetries: 0 });

describe('e2e: pipelines over HTTP against the local server', () => {
  // The server loads the model's ranks on its first request: not inside a measured time limit.
  beforeAll(() => loadEncoding('o200k_base'));

  describe('streamTimeout', () => {
    it('should time a stalled stream out with fetch + fromSSE and abort the request on the server', async () => {
      await withServer({ timing: { timeToFirstTokenMs: 5, perTokenMs: 5, jitter: 0 } }, async (server) => {
        const error = await errorOf(
          lastValueFrom(viaFetch(server, { messages: user('Count to 50') }, { 'x-mock-fault': 'stall' }).pipe(streamTimeout({ first: 10_000, idle: 150 }), toChatCompletion())),
        );
        expect(error).toEqual(expect.any(StreamTimeoutError));
        expect(error).toMatchObject({ phase: 'idle', limitMs: 150, chunks: 3 });
        expect(error.partial?.choices[0]?.message.content).toBe('1,');
        await until(() => server.stats.aborted === 1, 'the aborted stall', 1000);
        expect(server.stats).toMatchObject({ active: 0, aborted: 1, completed: 0 });
      });
    });

    it('should time a stalled stream out with the openai SDK and abort the request on the server', async () => {
      await withServer({ timing: { timeToFirstTokenMs: 5, perTokenMs: 5, jitter: 0 }, faults: ['stall'] }, async (server) => {
        const error = await errorOf(
          lastValueFrom(fromChatCompletion(sdk(server), { model: 'gpt-4o-mini', messages: user('Count to 50') }).pipe(streamTimeout({ first: 10_000, idle: 150 }))),
        );
        expect(error).toEqual(expect.any(StreamTimeoutError));
        expect(error).toMatchObject({ phase: 'idle', chunks: 3 });
        await until(() => server.stats.aborted === 1, 'the aborted stall', 1000);
        expect(server.stats).toMatchObject({ active: 0, aborted: 1 });
      });
    });

    it('should time out a server that never sends the first chunk, as the phase first', async () => {
      await withServer({ timing: { timeToFirstTokenMs: 30_000, perTokenMs: 5, jitter: 0 } }, async (server) => {
        const error = await errorOf(lastValueFrom(viaFetch(server, { messages: user('Hi') }).pipe(streamTimeout({ first: 100, idle: 50 }))));
        expect(error).toMatchObject({ name: 'StreamTimeoutError', phase: 'first', limitMs: 100, chunks: 0 });
        await until(() => server.stats.aborted === 1, 'the aborted request', 1000);
        expect(server.stats.active).toBe(0);
      });
    });
  });

  describe('retryStream', () => {
    // Both sources at once: the server asks for a 1 s wait (retry-after: 1) per 429.
    it('should get through two 429s (retry-after honoured) to the answer, with fetch + fromSSE and with the SDK', async () => {
      const faults: MockServerOptions['faults'] = ['rate-limit', 'rate-limit', null];
      const params = { model: 'gpt-4o-mini', messages: user('Count to 5') };
      const [viaSSE, viaSDK] = await Promise.all([
        withServer({ timing: 'instant', faults }, async (server) => {
          const seen: unknown[] = [];
          const started = performance.now();
          const completion = await lastValueFrom(
            viaFetch(server, params).pipe(
              retryStream({ retryOn: (error, attempt) => (seen.push(error), attempt <= 2) }),
              toChatCompletion(),
            ),
          );
          return { completion, seen, ms: performance.now() - started, stats: server.stats };
        }),
        withServer({ timing: 'instant', faults }, async (server) => {
          const seen: unknown[] = [];
          const started = performance.now();
          const completion = await lastValueFrom(
            fromChatCompletion(sdk(server), params).pipe(
              tap({ error: (error: unknown) => seen.push(error) }),
              retryStream(),
              toChatCompletion(),
            ),
          );
          return { completion, seen, ms: performance.now() - started, stats: server.stats };
        }),
      ]);
      for (const run of [viaSSE, viaSDK]) {
        expect(run.completion.choices[0]!.message.content).toBe('1, 2, 3, 4, 5.');
        expect(run.stats).toMatchObject({ requests: 3, errors: 2, completed: 1, aborted: 0, active: 0 });
        expect(run.ms).toBeGreaterThanOrEqual(1900); // two waits of the server's 1 s
      }
      expect(viaSSE.seen).toEqual([expect.any(HTTPStatusError), expect.any(HTTPStatusError)]);
      expect(viaSSE.seen[0]).toMatchObject({ status: 429, retryAfterMs: 1000 });
      expect(viaSDK.seen).toEqual([expect.any(RateLimitError), expect.any(RateLimitError)]);
    });

    it('should never retry a stream that failed after its first chunk: one request, the error with partial', async () => {
      await withServer({ timing: 'instant', faults: ['error-mid-stream', null] }, async (server) => {
        const error = await errorOf(lastValueFrom(viaFetch(server, { messages: user('Count to 10') }).pipe(retryStream({ delay: 1 }), toChatCompletion())));
        expect(error).toEqual(expect.any(StreamAPIError));
        expect(error.partial?.choices[0]?.message.content).toBe('1,');
        expect(server.stats.requests).toBe(1);
      });
    });

    it('should retry a first-chunk timeout with a fresh request, aborting the stalled one', async () => {
      await withServer(
        { timing: { timeToFirstTokenMs: 5, perTokenMs: 1, jitter: 0 } },
        async (server) => {
          // The first attempt goes to a server that takes a minute to its first chunk, the retry to a quick one.
          const slow = await startMockServer({ timing: { timeToFirstTokenMs: 60_000, perTokenMs: 1, jitter: 0 } });
          try {
            let attempt = 0;
            const completion = await lastValueFrom(
              fromSSE((signal) =>
                fetch(attempt++ === 0 ? slow.url : server.url, {
                  method: 'POST',
                  headers: { 'content-type': 'application/json' },
                  body: JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: user('Count to 3') }),
                  signal,
                }),
              ).pipe(streamTimeout({ first: 100 }), retryStream({ delay: 1 }), toChatCompletion()),
            );
            expect(completion.choices[0]!.message.content).toBe('1, 2, 3.');
            await until(() => slow.stats.aborted === 1, 'the aborted first attempt', 1000);
            expect(slow.stats.active).toBe(0);
          } finally {
            await slow.close();
          }
        },
      );
    });
  });

  describe('meter through a pipeSSE relay', () => {
    let upstream: MockServer;
    let relay: Server;
    let relayURL: string;
    const reports: MeteredUsage[] = [];
    const relayed: ChatCompletionChunk[][] = [];
    const request = { model: 'gpt-4o-mini', messages: user('Count to 200') };

    beforeAll(async () => {
      upstream = await startMockServer({ timing: { timeToFirstTokenMs: 5, perTokenMs: 10, jitter: 0 } });
      const client = sdk(upstream);
      relay = createServer((req, res) => {
        const usageChunk = req.url?.includes('usage') === true;
        const body = usageChunk ? { ...request, messages: user('Count to 5'), stream_options: { include_usage: true } } : request;
        const sent: ChatCompletionChunk[] = [];
        relayed.push(sent);
        pipeSSE(
          fromChatCompletion(client, body).pipe(
            meter(body, (used) => reports.push(used)),
            tap((chunk) => sent.push(chunk)),
          ),
          res,
        );
      });
      await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
      relayURL = `http://127.0.0.1:${(relay.address() as AddressInfo).port}/`;
    });

    afterAll(async () => {
      relay.closeAllConnections();
      await new Promise((resolve) => relay.close(resolve));
      await upstream.close();
    });

    it('should report once, ending unsubscribe, the tokens of what was relayed when the client disconnects mid-stream', async () => {
      const controller = new AbortController();
      const response = await fetch(relayURL, { signal: controller.signal });
      const reader = response.body!.getReader();
      let text = '';
      while ((text.match(/\n\n/g) ?? []).length < 8) {
        const { value } = await reader.read();
        text += new TextDecoder().decode(value);
      }
      controller.abort();
      await until(() => reports.length === 1 && upstream.stats.aborted === 1, 'the report and the upstream abort', 2000);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(reports).toHaveLength(1);
      const [report] = reports;
      const sent = relayed[0]!;
      const expected = await lastValueFrom(from(sent).pipe(usage(request)));
      expect(report).toEqual({ ...expected, ending: 'unsubscribe', chunks: sent.length });
      expect(report!.estimated).toBe(true);
      expect(report!.completion_tokens).toBeGreaterThan(0);
      expect(report!.prompt_tokens).toBeGreaterThan(0);
      expect(sent.length).toBeGreaterThanOrEqual(8);
      expect(sent.length).toBeLessThan(100);
      expect(upstream.stats).toMatchObject({ active: 0, aborted: 1 });
    });

    it("should report the server's usage, ending complete, for a stream that ran to its end", async () => {
      reports.length = 0;
      const text = await (await fetch(`${relayURL}usage`)).text();
      expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
      await until(() => reports.length === 1, 'the report', 1000);
      expect(reports[0]).toMatchObject({ estimated: false, ending: 'complete', prompt_tokens: 11, completion_tokens: 14 });
    });
  });

  describe('streamMany', () => {
    const count = (n: number) => ({ model: 'gpt-4o-mini', messages: user(`Count to ${n}`), stream_options: { include_usage: true } });
    const answer = (n: number) => `${Array.from({ length: n }, (_, i) => i + 1).join(', ')}.`;
    const contents = (results: Array<StreamManyResult<unknown>>) =>
      results.map((result) => ('error' in result ? `failed: ${String(result.error)}` : result.completion.choices[0]?.message.content));

    it('should answer every request through the openai SDK, at most concurrency at a time, in input order', async () => {
      await withServer({ timing: { timeToFirstTokenMs: 2, perTokenMs: 1, jitter: 0 } }, async (server) => {
        const requests = Array.from({ length: 40 }, (_, i) => count((i % 7) + 1));
        const progress: StreamManyProgress[] = [];
        const results = await lastValueFrom(
          streamMany(requests, { client: sdk(server), concurrency: 6, ordered: true, progress: (p) => progress.push(p) }).pipe(toArray()),
        );
        expect(results.map((result) => result.index)).toEqual(requests.map((_, i) => i));
        expect(contents(results)).toEqual(requests.map((_, i) => answer((i % 7) + 1)));
        expect(results.every((result) => !('error' in result) && result.usage.estimated === false && result.metrics.attempts === 1)).toBe(true);
        expect(Math.max(...progress.map((p) => p.inFlight))).toBe(6);
        expect(server.stats).toMatchObject({ requests: 40, completed: 40, active: 0 });
      });
    });

    it('should answer every request through fetch + fromSSE as its source', async () => {
      await withServer({ timing: 'instant' }, async (server) => {
        const requests = Array.from({ length: 20 }, (_, i) => count(i + 1));
        const results = await lastValueFrom(
          streamMany(requests, { source: (request) => viaFetch(server, request), concurrency: 5, ordered: true }).pipe(toArray()),
        );
        expect(contents(results)).toEqual(requests.map((_, i) => answer(i + 1)));
      });
    });

    it("should wait out 429s (the server's retry-after), cut the concurrency, and still answer every request", async () => {
      await withServer({ timing: 'instant', faults: ['rate-limit', 'rate-limit', 'rate-limit'] }, async (server) => {
        const requests = Array.from({ length: 12 }, (_, i) => count(i + 1));
        const progress: StreamManyProgress[] = [];
        const started = performance.now();
        const results = await lastValueFrom(
          streamMany(requests, { client: sdk(server), concurrency: 4, progress: (p) => progress.push(p) }).pipe(toArray()),
        );
        expect(results.filter((result) => 'error' in result)).toEqual([]);
        expect(results).toHaveLength(12);
        expect(performance.now() - started).toBeGreaterThanOrEqual(950);
        expect(Math.min(...progress.map((p) => p.concurrency))).toBe(2);
        expect(server.stats).toMatchObject({ requests: 15, errors: 3, completed: 12, active: 0 });
      });
    });

    it('should abort every request in flight when unsubscribed', async () => {
      await withServer({ timing: { timeToFirstTokenMs: 5, perTokenMs: 10, jitter: 0 } }, async (server) => {
        const requests = Array.from({ length: 10 }, () => count(500));
        const subscription = streamMany(requests, { client: sdk(server), concurrency: 4 }).subscribe();
        await until(() => server.stats.active === 4, 'four streams in flight', 2000);
        subscription.unsubscribe();
        await until(() => server.stats.active === 0, 'every stream closed', 2000);
        expect(server.stats.completed).toBe(0);
        expect(server.stats.requests).toBe(4);
      });
    });
  });
});
