import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { lastValueFrom, take, toArray } from 'rxjs';
import { HTTPStatusError, IncompleteStreamError, SSEParseError, StreamAPIError } from '../../lib/errors.js';
import { contentDeltas } from '../../lib/operators/contentDeltas.js';
import { toChatCompletion } from '../../lib/operators/toChatCompletion.js';
import { fromChatCompletion } from '../../lib/sources/fromChatCompletion.js';
import { fromSSE } from '../../lib/sources/fromSSE.js';
import { pipeSSE } from '../../lib/http/pipeSSE.js';
import { startMockServer, type MockServer } from '../../lib/testing/startMockServer.js';
import { errorOf, until, user } from '../helpers/notebook.js';




describe('e2e: fetch and fromSSE against the local server', () => {
  let server: MockServer;

  beforeAll(async () => {
    server = await startMockServer({ timing: 'instant', apiKey: 'sk-local-test' });
  });

  afterAll(() => server.close());

  /** A cold request: each subscription sends it, unsubscribing aborts it. */
  const request = (body: object, headers: Record<string, string> = {}, target: MockServer = server) =>
    fromSSE((signal) =>
      fetch(target.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer sk-local-test', ...headers },
        body: JSON.stringify({ model: 'gpt-4o-mini', stream: true, ...body }),
        signal,
      }),
    );

  it('should stream and rebuild the notebook answer with usage', async () => {
    const completion = await lastValueFrom(
      request({
        messages: user('Count to 100, with a comma between each number and no newlines. E.g., 1, 2, 3, ...'),
        stream_options: { include_usage: true },
      }).pipe(toChatCompletion()),
    );
    expect(completion.choices[0]!.message.content).toBe(`${Array.from({ length: 100 }, (_, i) => i + 1).join(', ')}.`);
    expect(completion.usage).toMatchObject({ prompt_tokens: 36, completion_tokens: 299, total_tokens: 335 });
  });

  it('should rebuild n=2 and tool calls', async () => {
    const two = await lastValueFrom(request({ messages: user('Count to 2'), n: 2 }).pipe(toChatCompletion()));
    expect(two.choices.map((choice) => choice.message.content)).toEqual(['1, 2.', '1, 2.']);
    const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
    const call = await lastValueFrom(request({ messages: user('Weather in Tehran?'), tools }).pipe(toChatCompletion()));
    expect((call.choices[0]!.message.tool_calls?.[0] as { function?: unknown } | undefined)?.function).toEqual({ name: 'get_weather', arguments: '{"city":"Tehran"}' });
  });

  describe('faults end in the right typed error', () => {
    const body = { messages: user('Count to 10') };
    const withFault = (fault: string) => lastValueFrom(request(body, { 'x-mock-fault': fault }).pipe(toChatCompletion()));

    it('should raise HTTPStatusError 429 with retryAfterMs for rate-limit', async () => {
      const error = await errorOf(withFault('rate-limit'));
      expect(error).toEqual(expect.any(HTTPStatusError));
      expect(error).toMatchObject({ status: 429, retryAfterMs: 1000, type: 'requests', code: 'rate_limit_exceeded' });
      expect((error as HTTPStatusError).requestId).toMatch(/^req_/);
      expect(error.partial).toBeUndefined();
    });

    it('should raise HTTPStatusError 500 for server-error', async () => {
      const error = await errorOf(withFault('server-error'));
      expect(error).toEqual(expect.any(HTTPStatusError));
      expect(error).toMatchObject({ status: 500, type: 'server_error' });
    });

    it('should raise HTTPStatusError 401 for a wrong key, without the key', async () => {
      const error = await errorOf(lastValueFrom(request(body, { authorization: 'Bearer sk-wrong-key' })));
      expect(error).toEqual(expect.any(HTTPStatusError));
      expect(error).toMatchObject({ status: 401, code: 'invalid_api_key' });
      expect(JSON.stringify({ ...error, message: error.message })).not.toMatch(/sk-wrong-key|sk-local-test/);
    });

    it('should raise StreamAPIError for error-mid-stream, keeping the partial answer', async () => {
      const error = await errorOf(withFault('error-mid-stream'));
      expect(error).toEqual(expect.any(StreamAPIError));
      expect(error).toMatchObject({ type: 'server_error', code: null });
      expect(error.partial?.choices[0]?.message.content).toBe('1,');
    });

    it('should raise SSEParseError for malformed, keeping the partial answer', async () => {
      const error = await errorOf(withFault('malformed'));
      expect(error).toEqual(expect.any(SSEParseError));
      expect((error as SSEParseError).reason).toBe('invalid-json');
      expect(error.partial?.choices[0]?.message.content).toBe('1,');
    });

    it('should raise IncompleteStreamError no-done for no-done, keeping the whole answer as partial', async () => {
      const error = await errorOf(withFault('no-done'));
      expect(error).toEqual(expect.any(IncompleteStreamError));
      expect((error as IncompleteStreamError).reason).toBe('no-done');
      expect(error.partial?.choices[0]?.message.content).toBe('1, 2, 3, 4, 5, 6, 7, 8, 9, 10.');
    });

    it("should raise IncompleteStreamError connection-lost for drop, with fetch's TypeError as cause and the partial answer", async () => {
      const error = await errorOf(withFault('drop'));
      expect(error).toBeInstanceOf(IncompleteStreamError);
      expect((error as IncompleteStreamError).reason).toBe('connection-lost');
      expect((error.cause as Error).name).toBe('TypeError');
      expect(error.partial?.choices[0]?.message.content).toBe('1,');
    });
  });

  it('should show an unsubscription mid-stream in stats.aborted within 100 ms', async () => {
    const local = await startMockServer({ timing: { timeToFirstTokenMs: 10, perTokenMs: 20, jitter: 0 } });
    try {
      const seen = await lastValueFrom(request({ messages: user('Count to 1000') }, {}, local).pipe(contentDeltas(), take(2), toArray()));
      expect(seen).toEqual(['1', ',']);
      await until(() => local.stats.aborted === 1, 'the aborted stream', 100);
      expect(local.stats).toMatchObject({ active: 0, completed: 0, aborted: 1 });
    } finally {
      await local.close();
    }
  });

  describe('a relay: pipeSSE(fromChatCompletion(…)) to a fromSSE client', () => {
    let upstream: MockServer;
    let relay: Server;
    let relayURL: string;

    beforeAll(async () => {
      upstream = await startMockServer({ timing: { timeToFirstTokenMs: 5, perTokenMs: 10, jitter: 0 }, apiKey: 'sk-upstream-secret' });
      const client = new OpenAI({ baseURL: upstream.baseURL, apiKey: 'sk-upstream-secret', maxRetries: 0 });
      relay = createServer((req, res) => {
        const prompt = new URL(req.url ?? '/', 'http://relay').searchParams.get('q') ?? '';
        const fault = req.headers['x-mock-fault'];
        pipeSSE(
          fromChatCompletion(
            client,
            { model: 'gpt-4o-mini', messages: user(prompt), stream_options: { include_usage: true } },
            { requestOptions: { headers: typeof fault === 'string' ? { 'x-mock-fault': fault } : {} } },
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

    const browser = (q: string, headers: Record<string, string> = {}) =>
      fromSSE((signal) => fetch(`${relayURL}?q=${encodeURIComponent(q)}`, { headers, signal }));

    it('should pass the stream through unchanged', async () => {
      const completion = await lastValueFrom(browser('Count to 5').pipe(toChatCompletion()));
      expect(completion.choices[0]!.message.content).toBe('1, 2, 3, 4, 5.');
      expect(completion.usage?.completion_tokens).toBe(14);
    });

    it('should turn an upstream HTTP error into an error event, with no key in it', async () => {
      const error = await errorOf(lastValueFrom(browser('x', { 'x-mock-fault': 'rate-limit' })));
      expect(error).toEqual(expect.any(StreamAPIError));
      expect(error).toMatchObject({ type: 'requests', code: 'rate_limit_exceeded' });
      expect(error.message).toContain('429');
      expect(JSON.stringify(error)).not.toContain('sk-upstream-secret');
    });

    it('should abort the upstream request when the browser goes away', async () => {
      const before = upstream.stats.aborted;
      const seen = await lastValueFrom(browser('Count to 1000').pipe(contentDeltas(), take(2), toArray()));
      expect(seen).toEqual(['1', ',']);
      await until(() => upstream.stats.aborted === before + 1, 'the upstream abort', 1000);
      expect(upstream.stats.active).toBe(0);
    });
  });
});
