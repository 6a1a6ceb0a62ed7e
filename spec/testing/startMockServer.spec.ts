import { connect } from 'node:net';
import OpenAI from 'openai';
import { VirtualTimeScheduler } from 'rxjs';
import { startMockServer, type MockServer, type MockServerOptions } from '../../lib/testing/startMockServer.js';
import type { ChatCompletion, ChatCompletionChunk } from '../../lib/types.js';
import { NOTEBOOK_PROMPT, ONE_TO_HUNDRED, until, user } from '../helpers/notebook.js';
import { InvalidInputError } from '../../lib/errors.js';


function post(url: string, body: unknown, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...(signal ? { signal } : {}),
  });
}

/** The `data:` payloads of a body, in order. */
const dataOf = (text: string): string[] =>
  text
    .split('\n\n')
    .filter((block) => block.startsWith('data: '))
    .map((block) => block.slice('data: '.length));

/** The chunks of a body (everything before `[DONE]`, which must be there). */
function chunksOf(text: string): ChatCompletionChunk[] {
  const data = dataOf(text);
  expect(data.at(-1)).toBe('[DONE]');
  return data.slice(0, -1).map((d) => JSON.parse(d) as ChatCompletionChunk);
}

const contentOf = (chunks: ChatCompletionChunk[], index = 0): string =>
  chunks
    .flatMap((chunk) => chunk.choices)
    .filter((choice) => choice.index === index)
    .map((choice) => choice.delta.content ?? '')
    .join('');


async function withServer(options: MockServerOptions, test: (server: MockServer) => Promise<void>, scheduler?: VirtualTimeScheduler): Promise<void> {
  const server = await startMockServer(options, scheduler);
  try {
    await test(server);
  } finally {
    await server.close();
  }
}

describe('startMockServer', () => {
  let server: MockServer;
  let client: OpenAI;

  beforeAll(async () => {
    server = await startMockServer({ timing: 'instant' });
    client = new OpenAI({ baseURL: server.baseURL, apiKey: 'test-key', maxRetries: 0 });
  });

  afterAll(() => server.close());

  it('should listen on 127.0.0.1 and give the base URL, the completions URL and the port', () => {
    expect(server.port).toBeGreaterThan(0);
    expect(server.baseURL).toBe(`http://127.0.0.1:${server.port}/v1`);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/v1/chat/completions`);
  });

  describe('scripted replies', () => {
    it('should stream the notebook prompt exactly "1, 2, 3, …, 100." with usage 36/299/335', async () => {
      const response = await post(server.url, {
        model: 'gpt-4o-mini',
        messages: user(NOTEBOOK_PROMPT),
        stream: true,
        stream_options: { include_usage: true },
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      expect(response.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{32}$/);
      const chunks = chunksOf(await response.text());
      expect(contentOf(chunks)).toBe(ONE_TO_HUNDRED);
      expect(chunks[0]!.choices[0]!.delta).toEqual({ role: 'assistant', content: '', refusal: null });
      expect(chunks.filter((c) => c.choices[0]?.delta.content)).toHaveLength(299);
      expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe('stop');
      expect(chunks.at(-1)!.choices).toEqual([]);
      expect(chunks.at(-1)!.usage).toMatchObject({ prompt_tokens: 36, completion_tokens: 299, total_tokens: 335 });
      expect(chunks.at(-1)!.model).toBe('gpt-4o-mini');
    });

    it('should answer the notebook prompt unstreamed with the same text and usage', async () => {
      const completion = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: user(NOTEBOOK_PROMPT) });
      expect(completion.object).toBe('chat.completion');
      expect(completion.id).toMatch(/^chatcmpl-/);
      expect(completion.choices).toEqual([
        { index: 0, message: { role: 'assistant', content: ONE_TO_HUNDRED, refusal: null, annotations: [] }, logprobs: null, finish_reason: 'stop' },
      ]);
      expect(completion.usage).toMatchObject({ prompt_tokens: 36, completion_tokens: 299, total_tokens: 335 });
    });

    it.each([
      ["What's 1+1? Answer in one word.", '2'],
      ['What is 6 * 7?', '42'],
      ['Count to 5', '1, 2, 3, 4, 5.'],
      ['Please count from 3 to 1.', '3, 2, 1.'],
      ['Tell me a joke', 'You said: "Tell me a joke"'],
      ['   ', 'Hello! How can I help you today?'],
    ])('should answer %j with %j', async (prompt, answer) => {
      const completion = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: user(prompt) });
      expect(completion.choices[0]!.message.content).toBe(answer);
    });

    it('should answer a Persian prompt in Persian', async () => {
      const completion = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: user('سلام، حالت چطوره؟') });
      const content = completion.choices[0]!.message.content!;
      expect(content).toMatch(/^سلام! /);
      expect(content).toContain('سلام، حالت چطوره؟');
      expect(content).not.toMatch(/[A-Za-z]/);
    });

    it('should answer the last user message, reading text parts too', async () => {
      const completion = await client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [
          { role: 'system', content: 'You are terse.' },
          { role: 'user', content: 'Count to 2' },
          { role: 'assistant', content: '1, 2.' },
          { role: 'user', content: [{ type: 'text', text: "What's 2+3?" }] },
        ],
      });
      expect(completion.choices[0]!.message.content).toBe('5');
    });
  });

  describe('options.reply', () => {
    it('should replace the script with a text, an object, or a promise, and fall back on undefined', async () => {
      const seen: string[] = [];
      await withServer(
        {
          timing: 'instant',
          reply: async (request) => {
            seen.push(request.model);
            const text = (request.messages.at(-1) as { content: string }).content;
            if (text === 'plain') return 'A plain reply.';
            if (text === 'object') return { content: 'Cut short', finishReason: 'length' };
            return undefined;
          },
        },
        async (local) => {
          const ask = async (content: string) =>
            (await post(local.url, { model: 'm-1', messages: user(content) }).then((r) => r.json())) as ChatCompletion;
          expect((await ask('plain')).choices[0]!.message.content).toBe('A plain reply.');
          const cut = await ask('object');
          expect([cut.choices[0]!.message.content, cut.choices[0]!.finish_reason]).toEqual(['Cut short', 'length']);
          expect((await ask('Count to 2')).choices[0]!.message.content).toBe('1, 2.');
          expect(seen).toEqual(['m-1', 'm-1', 'm-1']);
        },
      );
    });

    it('should answer 500 in the API shape when options.reply throws', async () => {
      await withServer({ timing: 'instant', reply: () => { throw new Error('my bug'); } }, async (local) => {
        const response = await post(local.url, { model: 'm', messages: user('x') });
        expect(response.status).toBe(500);
        await expect(response.json()).resolves.toEqual({
          error: { message: 'options.reply failed: my bug', type: 'server_error', param: null, code: null },
        });
      });
    });
  });

  describe('tools', () => {
    const tools = [
      {
        type: 'function' as const,
        function: {
          name: 'get_weather',
          parameters: {
            type: 'object',
            properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] }, days: { type: 'integer' } },
            required: ['city', 'unit', 'days'],
          },
        },
      },
      { type: 'function' as const, function: { name: 'get_time', parameters: { type: 'object', properties: {} } } },
    ];

    it('should stream a tool call with arguments made from the schema and the prompt', async () => {
      const response = await post(server.url, {
        model: 'gpt-4o-mini',
        messages: user('What is the weather in Paris for 3 days?'),
        tools,
        stream: true,
      });
      const chunks = chunksOf(await response.text());
      const first = chunks[0]!.choices[0]!.delta;
      expect(first).toMatchObject({ role: 'assistant', content: null, refusal: null });
      expect(first.tool_calls![0]).toMatchObject({ index: 0, type: 'function', function: { name: 'get_weather', arguments: '' } });
      expect(first.tool_calls![0]!.id).toMatch(/^call_/);
      const args = chunks
        .flatMap((c) => c.choices)
        .flatMap((choice) => choice.delta.tool_calls ?? [])
        .map((call) => call.function?.arguments ?? '')
        .join('');
      expect(JSON.parse(args)).toEqual({ city: 'Paris', unit: 'celsius', days: 3 });
      expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe('tool_calls');
    });

    it('should call the tool tool_choice names, and none with tool_choice none', async () => {
      const forced = await client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: user('Time?'),
        tools,
        tool_choice: { type: 'function', function: { name: 'get_time' } },
      });
      expect(forced.choices[0]!.message.tool_calls).toEqual([
        { id: expect.stringMatching(/^call_/), type: 'function', function: { name: 'get_time', arguments: '{}' } },
      ]);
      expect(forced.choices[0]!.message.content).toBeNull();
      const none = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: user('Hi'), tools, tool_choice: 'none' });
      expect(none.choices[0]!.message).toEqual({ role: 'assistant', content: 'You said: "Hi"', refusal: null, annotations: [] });
    });

    it('should quote the tool result after a tool message', async () => {
      const completion = await client.chat.completions.create({
        model: 'gpt-4o-mini',
        tools,
        messages: [
          { role: 'user', content: 'Weather in Paris?' },
          { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{}' } }] },
          { role: 'tool', tool_call_id: 'call_1', content: '{"temperature":21}' },
        ],
      });
      expect(completion.choices[0]!.message.content).toBe('The tool returned: {"temperature":21}');
      expect(completion.choices[0]!.finish_reason).toBe('stop');
    });

    it('should make the call options.toolCall gives', async () => {
      await withServer(
        { timing: 'instant', toolCall: (request) => ({ name: 'lookup', arguments: { model: request.model }, id: 'call_fixed' }) },
        async (local) => {
          const completion = (await post(local.url, { model: 'x-model', messages: user('hi'), tools }).then((r) => r.json())) as ChatCompletion;
          expect(completion.choices[0]!.message.tool_calls).toEqual([
            { id: 'call_fixed', type: 'function', function: { name: 'lookup', arguments: '{"model":"x-model"}' } },
          ]);
        },
      );
    });
  });

  describe('request options', () => {
    it('should interleave n choices', async () => {
      const response = await post(server.url, { model: 'gpt-4o-mini', messages: user('Count to 3'), n: 2, stream: true });
      const chunks = chunksOf(await response.text());
      expect(chunks.slice(0, 4).map((c) => c.choices[0]!.index)).toEqual([0, 0, 1, 1]);
      expect([contentOf(chunks, 0), contentOf(chunks, 1)]).toEqual(['1, 2, 3.', '1, 2, 3.']);
      const completion = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: user('Count to 3'), n: 2 });
      expect(completion.choices.map((choice) => [choice.index, choice.message.content])).toEqual([
        [0, '1, 2, 3.'],
        [1, '1, 2, 3.'],
      ]);
      expect(completion.usage!.completion_tokens).toBe(16);
    });

    it('should send no usage chunk without include_usage, and usage null on every chunk', async () => {
      const chunks = chunksOf(await (await post(server.url, { model: 'gpt-4o-mini', messages: user('Hi'), stream: true })).text());
      expect(chunks.every((c) => c.usage === null && c.choices.length === 1)).toBe(true);
    });

    it('should leave obfuscation out with include_obfuscation false', async () => {
      const body = { model: 'gpt-4o-mini', messages: user('Hi'), stream: true };
      const plain = chunksOf(await (await post(server.url, body)).text());
      expect(plain.every((c) => typeof (c as { obfuscation?: unknown }).obfuscation === 'string')).toBe(true);
      const lean = chunksOf(await (await post(server.url, { ...body, stream_options: { include_obfuscation: false } })).text());
      expect(lean.some((c) => 'obfuscation' in c)).toBe(false);
    });

    it('should cut the answer at max_tokens with finish_reason length', async () => {
      const completion = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: user('Count to 100'), max_tokens: 4 });
      expect(completion.choices[0]!.message.content).toBe('1, 2');
      expect(completion.choices[0]!.finish_reason).toBe('length');
      expect(completion.usage!.completion_tokens).toBe(4);
    });

    it('should write the classic format when asked', async () => {
      await withServer({ timing: 'instant', format: 'classic' }, async (local) => {
        const chunks = chunksOf(await (await post(local.url, { model: 'gpt-4o', messages: user('Hi'), stream: true })).text());
        expect(chunks.some((c) => 'service_tier' in c || 'obfuscation' in c || 'usage' in c)).toBe(false);
      });
    });

    it('should give the same ids for the same seed', async () => {
      const ids = async () => {
        const local = await startMockServer({ timing: 'instant', seed: 5 });
        try {
          const first = (await post(local.url, { model: 'm', messages: user('a') }).then((r) => r.json())) as ChatCompletion;
          const second = (await post(local.url, { model: 'm', messages: user('a') }).then((r) => r.json())) as ChatCompletion;
          return [first.id, second.id, first.system_fingerprint];
        } finally {
          await local.close();
        }
      };
      const once = await ids();
      expect(once[0]).not.toBe(once[1]);
      expect(await ids()).toEqual(once);
    });
  });

  describe('errors in the API shape', () => {
    it.each([
      ['invalid JSON', '{"model":', 'We could not parse the JSON body', null],
      ['a body that is not an object', '[1]', 'The request body must be a JSON object.', null],
      ['no model', { messages: user('x') }, 'you must provide a model parameter', 'model'],
      ['no messages', { model: 'm' }, "Missing required parameter: 'messages'.", 'messages'],
      ['empty messages', { model: 'm', messages: [] }, "Invalid 'messages': empty array", 'messages'],
      ['a message without a role', { model: 'm', messages: [{ content: 'x' }] }, "Invalid 'messages[0]'", 'messages[0]'],
      ['a bad n', { model: 'm', messages: user('x'), n: 0 }, "Invalid 'n'", 'n'],
      ['a bad max_tokens', { model: 'm', messages: user('x'), max_tokens: -2 }, "Invalid 'max_tokens'", 'max_tokens'],
      ['a stream that is not a boolean', { model: 'm', messages: user('x'), stream: 'yes' }, "Invalid 'stream'", 'stream'],
      ['tools that are not objects', { model: 'm', messages: user('x'), tools: [1] }, 'Invalid request: Invalid input: countPromptTokens() tool must be an object, got 1', null],
    ])('should answer 400 to %s', async (_what, body, message, param) => {
      const response = await post(server.url, body);
      expect(response.status).toBe(400);
      const { error } = (await response.json()) as { error: Record<string, unknown> };
      expect(error['message']).toEqual(expect.stringContaining(message));
      expect(error['type']).toBe('invalid_request_error');
      expect(error['param']).toBe(param);
    });

    it('should answer 400 to an unknown x-mock-fault', async () => {
      const response = await post(server.url, { model: 'm', messages: user('x') }, { 'x-mock-fault': 'explode' });
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: { message: string } }).error.message).toContain('rate-limit, server-error');
    });

    it('should answer 404 to an unknown path, and the SDK should raise NotFoundError', async () => {
      const response = await fetch(`${server.baseURL}/completions/nope`);
      expect(response.status).toBe(404);
      await expect(response.json()).resolves.toEqual({
        error: { message: 'Invalid URL (GET /v1/completions/nope)', type: 'invalid_request_error', param: null, code: null },
      });
      await expect(client.models.retrieve('no-such-model')).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    });

    it('should list and retrieve models', async () => {
      const list = await client.models.list();
      expect(list.data.map((model) => model.id)).toEqual(['gpt-4o-mini', 'gpt-4o', 'gpt-4.1-nano', 'gpt-3.5-turbo']);
      await expect(client.models.retrieve('gpt-4o')).resolves.toMatchObject({ id: 'gpt-4o', object: 'model' });
    });

    it('should answer a CORS preflight so browsers can call it', async () => {
      const response = await fetch(server.url, {
        method: 'OPTIONS',
        headers: { origin: 'http://localhost:4200', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
      });
      expect(response.status).toBe(204);
      expect(response.headers.get('access-control-allow-origin')).toBe('*');
      expect(response.headers.get('access-control-allow-headers')).toBe('authorization,content-type');
    });
  });

  describe('auth', () => {
    it('should answer 401 without the key, never echoing it, and 200 with it', async () => {
      const key = 'sk-test-very-secret-1234';
      await withServer({ timing: 'instant', apiKey: key }, async (local) => {
        const missing = await post(local.url, { model: 'm', messages: user('x') });
        expect(missing.status).toBe(401);
        const missingBody = (await missing.json()) as { error: Record<string, unknown> };
        expect(missingBody.error).toMatchObject({ type: 'invalid_request_error', code: null });
        expect(missingBody.error['message']).toContain("You didn't provide an API key");

        const wrong = await post(local.url, { model: 'm', messages: user('x') }, { authorization: 'Bearer sk-wrong-guess-5678' });
        expect(wrong.status).toBe(401);
        const text = await wrong.text();
        expect(JSON.parse(text)).toEqual({
          error: { message: 'Incorrect API key provided.', type: 'invalid_request_error', param: null, code: 'invalid_api_key' },
        });
        expect(text).not.toMatch(/very-secret|wrong-guess|sk-/);

        expect((await fetch(`${local.baseURL}/models`)).status).toBe(401);
        const right = await post(local.url, { model: 'm', messages: user('Count to 2') }, { authorization: `Bearer ${key}` });
        expect(right.status).toBe(200);

        const bad = new OpenAI({ baseURL: local.baseURL, apiKey: 'sk-nope', maxRetries: 0 });
        const error = await bad.chat.completions.create({ model: 'm', messages: user('x') }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
        expect((error as InstanceType<typeof OpenAI.AuthenticationError>).status).toBe(401);
        const good = new OpenAI({ baseURL: local.baseURL, apiKey: key, maxRetries: 0 });
        await expect(good.chat.completions.create({ model: 'm', messages: user('Count to 2') })).resolves.toMatchObject({
          choices: [{ message: { content: '1, 2.' } }],
        });
        expect(local.stats.errors).toBe(4);
      });
    });
  });

  describe('faults', () => {
    const body = { model: 'gpt-4o-mini', messages: user('Count to 10'), stream: true };
    const fault = (name: string) => ({ 'x-mock-fault': name });

    it('should answer rate-limit with 429, retry-after and the API error', async () => {
      const response = await post(server.url, body, fault('rate-limit'));
      expect(response.status).toBe(429);
      expect(response.headers.get('retry-after')).toBe('1');
      const { error } = (await response.json()) as { error: Record<string, unknown> };
      expect(error).toMatchObject({ type: 'requests', code: 'rate_limit_exceeded' });
      const sdkError = await client.chat.completions.create({ ...body, stream: false }, { headers: fault('rate-limit') }).catch((e: unknown) => e);
      expect(sdkError).toBeInstanceOf(OpenAI.RateLimitError);
    });

    it('should answer server-error with 500', async () => {
      const response = await post(server.url, body, fault('server-error'));
      expect(response.status).toBe(500);
      await expect(response.json()).resolves.toMatchObject({ error: { type: 'server_error' } });
      const sdkError = await client.chat.completions.create(body, { headers: fault('server-error') }).catch((e: unknown) => e);
      expect(sdkError).toBeInstanceOf(OpenAI.InternalServerError);
    });

    it('should send an error event after three chunks for error-mid-stream, and no [DONE]', async () => {
      const data = dataOf(await (await post(server.url, body, fault('error-mid-stream'))).text());
      expect(data).toHaveLength(4);
      expect(JSON.parse(data[3]!)).toEqual({
        error: { message: 'The server had an error while processing your request. Sorry about that!', type: 'server_error', code: null },
      });
      expect(contentOf(data.slice(0, 3).map((d) => JSON.parse(d) as ChatCompletionChunk))).toBe('1,');
    });

    it('should send a chunk of invalid JSON for malformed, then the rest', async () => {
      const data = dataOf(await (await post(server.url, body, fault('malformed'))).text());
      expect(() => JSON.parse(data[3]!)).toThrow(SyntaxError);
      expect(data.at(-1)).toBe('[DONE]');
      const good = [...data.slice(0, 3), ...data.slice(4, -1)].map((d) => JSON.parse(d) as ChatCompletionChunk);
      expect(contentOf(good)).toBe('1, 2, 3, 4, 5, 6, 7, 8, 9, 10.');
    });

    it('should end the body without [DONE] for no-done', async () => {
      const data = dataOf(await (await post(server.url, body, fault('no-done'))).text());
      expect(data).not.toContain('[DONE]');
      expect(contentOf(data.map((d) => JSON.parse(d) as ChatCompletionChunk))).toBe('1, 2, 3, 4, 5, 6, 7, 8, 9, 10.');
    });

    it('should cut the connection after three chunks for drop', async () => {
      await withServer({ timing: 'instant' }, async (local) => {
        const response = await post(local.url, body, fault('drop'));
        expect(response.status).toBe(200);
        const reader = response.body!.getReader();
        let text = '';
        const failure = await (async () => {
          for (;;) {
            const { done, value } = await reader.read();
            if (done) return undefined;
            text += new TextDecoder().decode(value);
          }
        })().catch((e: unknown) => e);
        // fetch's errors come from Node's own realm, not jest's: compare names.
        expect(failure).toMatchObject({ name: 'TypeError', message: 'terminated' });
        expect(dataOf(text)).toHaveLength(3);
        await until(() => local.stats.aborted === 1, 'the drop to be counted');
        expect(local.stats).toMatchObject({ completed: 0, active: 0 });
      });
    });

    it('should stop after three chunks and keep the connection open for stall, until the client leaves', async () => {
      await withServer({ timing: 'instant' }, async (local) => {
        const controller = new AbortController();
        const response = await post(local.url, body, fault('stall'), controller.signal);
        const reader = response.body!.getReader();
        let text = '';
        while (dataOf(text).length < 3) text += new TextDecoder().decode((await reader.read()).value);
        const next = reader.read().then(
          () => 'data',
          () => 'aborted',
        );
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect(local.stats.active).toBe(1);
        controller.abort();
        await expect(next).resolves.toBe('aborted');
        expect(dataOf(text)).toHaveLength(3);
        await until(() => local.stats.aborted === 1, 'the stall to be counted as aborted');
        expect(local.stats.active).toBe(0);
      });
    });

    it('should play faults unstreamed too', async () => {
      const unstreamed = { ...body, stream: false };
      const midStream = await post(server.url, unstreamed, fault('error-mid-stream'));
      expect(midStream.status).toBe(500);
      const malformed = await post(server.url, unstreamed, fault('malformed'));
      expect(malformed.status).toBe(200);
      await expect(malformed.json()).rejects.toMatchObject({ name: 'SyntaxError' });
      await expect(post(server.url, unstreamed, fault('drop'))).rejects.toMatchObject({ name: 'TypeError' });
    });

    it('should take faults from options.faults in order, and from a function', async () => {
      await withServer({ timing: 'instant', faults: ['rate-limit', null, 'server-error'] }, async (local) => {
        const statuses: number[] = [];
        for (let i = 0; i < 4; i++) statuses.push((await post(local.url, body)).status);
        expect(statuses).toEqual([429, 200, 500, 200]);
        expect((await post(local.url, body, fault('none'))).status).toBe(200);
      });
      await withServer({ timing: 'instant', faults: (request) => (request.model === 'flaky' ? 'server-error' : undefined) }, async (local) => {
        expect((await post(local.url, { ...body, model: 'flaky' })).status).toBe(500);
        expect((await post(local.url, body)).status).toBe(200);
        expect((await post(local.url, { ...body, model: 'flaky' }, fault('no-done'))).status).toBe(200);
      });
    });
  });

  describe('timing', () => {
    const body = { model: 'gpt-4o-mini', messages: user('Count to 3'), stream: true };
    const timing = { timeToFirstTokenMs: 300, perTokenMs: 25, jitter: 0 };

    it('should send the first chunk after the time to first token, then one token per perTokenMs', async () => {
      const scheduler = new VirtualTimeScheduler();
      await withServer(
        { timing },
        async (local) => {
          const response = await post(local.url, body);
          const reader = response.body!.getReader();
          await until(() => local.stats.active === 1, 'the request');
          scheduler.maxFrames = 299;
          scheduler.flush();
          const first = reader.read();
          let arrived = false;
          void first.then(() => (arrived = true));
          await new Promise((resolve) => setTimeout(resolve, 30));
          expect(arrived).toBe(false);
          scheduler.maxFrames = 300;
          scheduler.flush();
          const firstData = dataOf(new TextDecoder().decode((await first).value));
          expect(firstData).toHaveLength(1);
          expect((JSON.parse(firstData[0]!) as ChatCompletionChunk).choices[0]!.delta.role).toBe('assistant');
          scheduler.maxFrames = Number.POSITIVE_INFINITY;
          scheduler.flush();
          // role, 1 , ␠ 2 , ␠ 3 . finish: 10 chunks, the last nine 25 ms apart.
          expect(scheduler.now()).toBe(300 + 9 * 25);
          await until(() => local.stats.completed === 1, 'the end');
        },
        scheduler,
      );
    });

    it('should answer unstreamed only after the same total time', async () => {
      const scheduler = new VirtualTimeScheduler();
      await withServer(
        { timing },
        async (local) => {
          let settled = false;
          const answer = post(local.url, { ...body, stream: false }).then((response) => {
            settled = true;
            return response.json() as Promise<ChatCompletion>;
          });
          await until(() => local.stats.active === 1, 'the request');
          scheduler.maxFrames = 300 + 9 * 25 - 1;
          scheduler.flush();
          await new Promise((resolve) => setTimeout(resolve, 30));
          expect(settled).toBe(false);
          scheduler.maxFrames = Number.POSITIVE_INFINITY;
          scheduler.flush();
          expect(scheduler.now()).toBe(525);
          await expect(answer).resolves.toMatchObject({ choices: [{ message: { content: '1, 2, 3.' } }], usage: { completion_tokens: 8 } });
        },
        scheduler,
      );
    });

    it('should stop generating at once when the client disconnects', async () => {
      const scheduler = new VirtualTimeScheduler();
      await withServer(
        { timing },
        async (local) => {
          const controller = new AbortController();
          const response = await post(local.url, { ...body, messages: user('Count to 1000') }, {}, controller.signal);
          const reader = response.body!.getReader();
          await until(() => local.stats.active === 1, 'the request');
          scheduler.maxFrames = 400;
          scheduler.flush();
          await reader.read();
          expect(scheduler.actions.length).toBe(1);
          controller.abort();
          await until(() => local.stats.aborted === 1, 'the abort to be seen');
          expect(local.stats).toMatchObject({ active: 0, completed: 0, aborted: 1 });
          expect(scheduler.actions).toEqual([]);
        },
        scheduler,
      );
    });

    it('should jitter the same way for the same seed', async () => {
      const totals: number[] = [];
      for (const seed of [3, 3, 4]) {
        const scheduler = new VirtualTimeScheduler();
        await withServer(
          { timing: { timeToFirstTokenMs: 300, perTokenMs: 25, jitter: 0.5 }, seed },
          async (local) => {
            const answer = post(local.url, { ...body, stream: false });
            await until(() => local.stats.active === 1, 'the request');
            scheduler.flush();
            await answer;
            totals.push(scheduler.now());
          },
          scheduler,
        );
      }
      expect(totals[0]).toBe(totals[1]);
      expect(totals[0]).not.toBe(totals[2]);
      for (const total of totals) {
        expect(total).toBeGreaterThanOrEqual(150 + 9 * 12);
        expect(total).toBeLessThanOrEqual(450 + 9 * 38);
      }
    });
  });

  describe('load and lifecycle', () => {
    it('should serve 200 concurrent streams', async () => {
      await withServer({ timing: { timeToFirstTokenMs: 5, perTokenMs: 1, jitter: 0 } }, async (local) => {
        const texts = await Promise.all(
          Array.from({ length: 200 }, (_, i) =>
            post(local.url, { model: 'gpt-4o-mini', messages: user(`Count to ${(i % 20) + 1}`), stream: true }).then((r) => r.text()),
          ),
        );
        texts.forEach((text, i) => {
          const n = (i % 20) + 1;
          expect(contentOf(chunksOf(text))).toBe(`${Array.from({ length: n }, (_, k) => k + 1).join(', ')}.`);
        });
        await until(() => local.stats.completed === 200, 'every stream to be counted');
        expect(local.stats).toEqual({ requests: 200, completed: 200, aborted: 0, active: 0, errors: 0 });
      });
    });

    it('should count a client that left while the reply was being prepared as aborted', async () => {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let asked!: () => void;
      const replyAsked = new Promise<void>((resolve) => (asked = resolve));
      await withServer(
        {
          timing: 'instant',
          reply: async () => {
            asked();
            await gate;
            return 'late';
          },
        },
        async (local) => {
          const controller = new AbortController();
          const response = post(local.url, { model: 'm', messages: user('Hi'), stream: true }, {}, controller.signal);
          await replyAsked;
          controller.abort();
          await expect(response).rejects.toThrow();
          await until(() => local.stats.requests === 1, 'the request to be counted');
          await new Promise((resolve) => setTimeout(resolve, 20));
          release();
          await until(() => local.stats.aborted === 1, 'the early leave to be counted');
          expect(local.stats).toMatchObject({ active: 0, aborted: 1, completed: 0 });
        },
      );
    });

    it('should cut open streams on close()', async () => {
      const local = await startMockServer({ timing: 'instant' });
      const response = await post(local.url, { model: 'm', messages: user('Count to 10'), stream: true }, { 'x-mock-fault': 'stall' });
      const reader = response.body!.getReader();
      await reader.read();
      await local.close();
      await expect(
        (async () => {
          for (;;) if ((await reader.read()).done) return 'ended';
        })().catch(() => 'cut'),
      ).resolves.toBe('cut');
      expect(local.stats).toMatchObject({ active: 0, aborted: 1 });
      await expect(local.close()).resolves.toBeUndefined();
    });

    it('should keep idle connections open for 65 s by default, or for options.keepAliveTimeout', async () => {
      const keepAlive = async (local: MockServer): Promise<string | null> => {
        const response = await fetch(`${local.baseURL}/models`);
        await response.text();
        return response.headers.get('keep-alive');
      };
      await withServer({ timing: 'instant' }, async (local) => expect(await keepAlive(local)).toBe('timeout=65'));
      await withServer({ timing: 'instant', keepAliveTimeout: 120_000 }, async (local) => expect(await keepAlive(local)).toBe('timeout=120'));
      await withServer({ timing: 'instant', keepAliveTimeout: 0 }, async (local) => expect(await keepAlive(local)).toBeNull());
    });

    it('should close a connection idle for longer than keepAliveTimeout, and only then', async () => {
      /** Sends one keep-alive request on a fresh socket; resolves when the server closes the socket, or with 'open' after `waitMs`. */
      const idleFate = (local: MockServer, waitMs: number): Promise<'closed' | 'open'> =>
        new Promise((resolve, reject) => {
          const socket = connect(local.port, '127.0.0.1');
          let answered = false;
          let timer: NodeJS.Timeout | undefined;
          socket.setEncoding('utf8');
          socket.on('error', reject);
          socket.on('data', (text: string) => {
            if (answered || !text.includes('"object":"list"')) return;
            answered = true;
            timer = setTimeout(() => {
              socket.destroy();
              resolve('open');
            }, waitMs);
          });
          socket.on('close', () => {
            clearTimeout(timer);
            resolve(answered ? 'closed' : 'open');
          });
          socket.write('GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n');
        });
      await withServer({ timing: 'instant', keepAliveTimeout: 50 }, async (local) => expect(await idleFate(local, 3_000)).toBe('closed'));
      await withServer({ timing: 'instant' }, async (local) => expect(await idleFate(local, 300)).toBe('open'));
    });

    it('should reject bad options', async () => {
      await expect(startMockServer({ timing: { perTokenMs: -1 } })).rejects.toThrow(InvalidInputError);
      await expect(startMockServer({ timing: { jitter: 2 } })).rejects.toThrow(InvalidInputError);
      await expect(startMockServer({ timing: 'fast' as 'instant' })).rejects.toThrow(InvalidInputError);
      await expect(startMockServer({ faultAfterChunks: -1 })).rejects.toThrow(InvalidInputError);
      await expect(startMockServer({ apiKey: '' })).rejects.toThrow(InvalidInputError);
      await expect(startMockServer({ keepAliveTimeout: -1 })).rejects.toThrow(InvalidInputError);
      await expect(startMockServer({ keepAliveTimeout: Infinity })).rejects.toThrow(InvalidInputError);
      await expect(startMockServer({ keepAliveTimeout: '5000' as unknown as number })).rejects.toThrow(InvalidInputError);
    });
  });
});
