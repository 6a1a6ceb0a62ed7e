import OpenAI, { AzureOpenAI } from 'openai';
import { lastValueFrom, take, toArray, timeout } from 'rxjs';
import { fromChatCompletion, type ChatCompletionsClient } from '../../lib/sources/fromChatCompletion.js';
import { chunk } from '../helpers/chunk.js';
import { startPausingServer } from '../helpers/pausingServer.js';
import type { ChatCompletionChunk } from '../../lib/types.js';

const chunks: ChatCompletionChunk[] = [
  chunk({ role: 'assistant', content: '' }),
  chunk({ content: 'One' }),
  chunk({ content: ', two' }),
];
const params = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'Count' }] };

/** A client whose `create` records its calls and resolves to an SDK-shaped stream. */
function fakeClient(pauseAfter = Infinity) {
  const calls: Array<{ body: unknown; options: { signal?: AbortSignal | null; [k: string]: unknown } | undefined }> = [];
  const client: ChatCompletionsClient = {
    chat: {
      completions: {
        create(body, options) {
          calls.push({ body, options });
          const controller = new AbortController();
          options?.signal?.addEventListener('abort', () => controller.abort());
          return Promise.resolve({
            controller,
            async *[Symbol.asyncIterator]() {
              for (let i = 0; i < chunks.length; i++) {
                if (i === pauseAfter) {
                  await new Promise((_, reject) =>
                    controller.signal.addEventListener('abort', () => reject(new Error('aborted'))),
                  );
                }
                yield chunks[i]!;
              }
            },
          });
        },
      },
    },
  };
  return { client, calls };
}

describe('fromChatCompletion', () => {
  it('should be cold: no request before subscription, one per subscription', async () => {
    const { client, calls } = fakeClient();
    const chunks$ = fromChatCompletion(client, params);
    expect(calls).toHaveLength(0);
    await lastValueFrom(chunks$);
    await lastValueFrom(chunks$);
    expect(calls).toHaveLength(2);
  });

  it('should force stream: true and leave the rest of the params untouched', async () => {
    const { client, calls } = fakeClient();
    const body = { ...params, stream: false, n: 2, stream_options: { include_usage: true }, temperature: 0 };
    await lastValueFrom(fromChatCompletion(client, body as never));
    expect(calls[0]!.body).toEqual({ ...body, stream: true });
    expect(body.stream).toBe(false);
  });

  it('should pass requestOptions through with its own signal', async () => {
    const { client, calls } = fakeClient();
    const requestOptions = { headers: { 'x-trace': '1' }, timeout: 5000 };
    await lastValueFrom(fromChatCompletion(client, params, { requestOptions }));
    expect(calls[0]!.options).toEqual({ ...requestOptions, signal: expect.any(AbortSignal) });
  });

  it('should emit every chunk and complete', async () => {
    const { client } = fakeClient();
    await expect(lastValueFrom(fromChatCompletion(client, params).pipe(toArray()))).resolves.toEqual(chunks);
  });

  it('should abort the request signal when unsubscribed in a pause', async () => {
    const { client, calls } = fakeClient(2);
    const seen: ChatCompletionChunk[] = [];
    const subscription = fromChatCompletion(client, params).subscribe((x) => seen.push(x));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(seen).toHaveLength(2);
    const signal = calls[0]!.options!.signal!;
    expect(signal.aborted).toBe(false);
    subscription.unsubscribe();
    expect(signal.aborted).toBe(true);
  });

  it('should abort a request whose create has not resolved yet when unsubscribed', async () => {
    let signal: AbortSignal | null | undefined;
    const client: ChatCompletionsClient = {
      chat: {
        completions: {
          create(_body, options) {
            signal = options?.signal;
            return new Promise(() => undefined);
          },
        },
      },
    };
    const subscription = fromChatCompletion(client, params).subscribe();
    await new Promise((resolve) => setTimeout(resolve, 0));
    subscription.unsubscribe();
    expect(signal?.aborted).toBe(true);
  });

  it('should pass a rejection of create through unchanged', async () => {
    const failure = new Error('401 Incorrect API key');
    const client: ChatCompletionsClient = { chat: { completions: { create: () => Promise.reject(failure) } } };
    await expect(lastValueFrom(fromChatCompletion(client, params))).rejects.toBe(failure);
  });

  it('should pass an error thrown synchronously by create through', async () => {
    const failure = new TypeError('bad params');
    const client: ChatCompletionsClient = {
      chat: {
        completions: {
          create: () => {
            throw failure;
          },
        },
      },
    };
    await expect(lastValueFrom(fromChatCompletion(client, params))).rejects.toBe(failure);
  });

  it('should abort when options.signal or requestOptions.signal aborts', async () => {
    for (const where of ['options', 'requestOptions'] as const) {
      const { client, calls } = fakeClient(2);
      const user = new AbortController();
      const options = where === 'options' ? { signal: user.signal } : { requestOptions: { signal: user.signal } };
      const result = lastValueFrom(fromChatCompletion(client, params, options));
      await new Promise((resolve) => setTimeout(resolve, 10));
      user.abort();
      expect(calls[0]!.options!.signal!.aborted).toBe(true);
      await expect(result).rejects.toThrow('aborted');
    }
  });

  it('should take OpenAI and AzureOpenAI clients by their types, and refuse what does not fit', async () => {
    const { client, calls } = fakeClient();
    const openai = new OpenAI({ apiKey: 'sk-test', baseURL: 'http://127.0.0.1:9/v1' });
    const azure = new AzureOpenAI({ apiKey: 'k', endpoint: 'http://127.0.0.1:9', apiVersion: '2024-10-21' });
    // Type-level checks (the type-check of `npm test` fails when these stop holding); nothing is subscribed.
    const sources = [
      fromChatCompletion(openai, params),
      fromChatCompletion(azure, { ...params, stream_options: { include_usage: true } }),
      // @ts-expect-error a client whose create does not return a stream of chunks does not fit
      fromChatCompletion({ chat: { completions: { create: () => Promise.resolve(42) } } }, params),
      // @ts-expect-error params without messages do not fit
      fromChatCompletion(openai, { model: 'gpt-4o-mini' }),
    ];
    expect(sources).toHaveLength(4);
    // The structural client type is what the fake satisfies too: it runs.
    await lastValueFrom(fromChatCompletion(client, params));
    expect(calls).toHaveLength(1);
  });

  describe('with the real openai client over HTTP', () => {
    let server: Awaited<ReturnType<typeof startPausingServer>>;

    beforeAll(async () => {
      server = await startPausingServer(chunks);
    });
    afterAll(() => server.close());

    const client = () => new OpenAI({ apiKey: 'sk-secret-test-key', baseURL: `${server.url}/v1`, maxRetries: 0 });

    it('should send stream: true and emit the chunks as they come', async () => {
      const paused = server.paused();
      const seen: ChatCompletionChunk[] = [];
      const subscription = fromChatCompletion(client(), params).subscribe((x) => seen.push(x));
      const request = await paused;
      expect(request.body).toEqual({ ...params, stream: true });
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(seen).toEqual(chunks);
      subscription.unsubscribe();
      await request.closed;
    });

    it('should close the HTTP request at once when unsubscribed while the model pauses', async () => {
      const paused = server.paused();
      const seen: ChatCompletionChunk[] = [];
      const subscription = fromChatCompletion(client(), params).subscribe((x) => seen.push(x));
      const request = await paused;
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(seen).toHaveLength(3);
      expect(request.closedAt).toBeUndefined();
      const unsubscribedAt = performance.now();
      subscription.unsubscribe();
      await expectClosedWithin(request, unsubscribedAt);
    });

    it('should close the HTTP request when a downstream timeout fires in the pause', async () => {
      const paused = server.paused();
      const result = lastValueFrom(fromChatCompletion(client(), params).pipe(timeout({ each: 50 })));
      const request = await paused;
      await expect(result).rejects.toThrow('Timeout');
      await expectClosedWithin(request, performance.now());
    });

    it('should close the HTTP request when take() has enough', async () => {
      const paused = server.paused();
      const first = await lastValueFrom(fromChatCompletion(client(), params).pipe(take(2), toArray()));
      const tookAt = performance.now();
      expect(first).toEqual(chunks.slice(0, 2));
      await expectClosedWithin(await paused, tookAt);
    });

    it('should error with the SDK abort error when options.signal aborts, and close the request', async () => {
      const paused = server.paused();
      const user = new AbortController();
      const result = lastValueFrom(fromChatCompletion(client(), params, { signal: user.signal }));
      const request = await paused;
      const abortedAt = performance.now();
      user.abort();
      await expect(result).rejects.toBeInstanceOf(OpenAI.APIUserAbortError);
      await expectClosedWithin(request, abortedAt);
    });
  });

  it('should pass SDK HTTP errors through unchanged, without the API key', async () => {
    const server = await startPausingServer([], {
      status: 401,
      body: JSON.stringify({ error: { message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key' } }),
    });
    try {
      const client = new OpenAI({ apiKey: 'sk-secret-test-key', baseURL: `${server.url}/v1`, maxRetries: 0 });
      const error = await lastValueFrom(fromChatCompletion(client, params)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
      expect(JSON.stringify(error)).not.toContain('sk-secret-test-key');
      expect(String((error as Error).message)).not.toContain('sk-secret-test-key');
    } finally {
      await server.close();
    }
  });
});

/**
 * Waits (2 s at most, so a request left open fails here, clearly, not by the test's timeout) for the
 * server to see the connection close, and checks it closed within a second of `since`. A
 * correctness bound, not a speed claim: without the abort the socket stays open for ever (a second
 * is far above what even a loaded machine takes to run the teardown).
 */
async function expectClosedWithin(request: { closed: Promise<void>; closedAt?: number }, since: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const open = new Promise<'open'>((resolve) => (timer = setTimeout(() => resolve('open'), 2000)));
  const outcome = await Promise.race([request.closed.then(() => 'closed' as const), open]);
  clearTimeout(timer);
  expect(outcome).toBe('closed');
  expect(request.closedAt).toBeDefined();
  expect((request.closedAt as number) - since).toBeLessThan(1000);
}
