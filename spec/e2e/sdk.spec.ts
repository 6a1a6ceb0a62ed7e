import OpenAI from 'openai';
import { lastValueFrom, take, tap, timeout, TimeoutError, toArray } from 'rxjs';
import { contentDeltas } from '../../lib/operators/contentDeltas.js';
import { toChatCompletion } from '../../lib/operators/toChatCompletion.js';
import { usage } from '../../lib/operators/usage.js';
import { fromChatCompletion } from '../../lib/sources/fromChatCompletion.js';
import { startMockServer, type MockServer } from '../../lib/testing/startMockServer.js';
import type { ChatCompletion } from '../../lib/types.js';
import { IncompleteStreamError } from '../../lib/errors.js';
import { NOTEBOOK_PROMPT, ONE_TO_HUNDRED, errorOf, until, user } from '../helpers/notebook.js';




/** A completion without the fields that differ between two requests. */
const comparable = ({ id, created, ...rest }: ChatCompletion) => {
  void id;
  void created;
  return {
    ...rest,
    choices: rest.choices.map(({ message, ...choice }) => {
      const { annotations, ...fields } = message as typeof message & { annotations?: unknown };
      void annotations;
      return { ...choice, message: fields };
    }),
  };
};

describe('e2e: the openai SDK against the local server', () => {
  let server: MockServer;
  let client: OpenAI;

  beforeAll(async () => {
    server = await startMockServer({ timing: 'instant' });
    client = new OpenAI({ baseURL: server.baseURL, apiKey: 'test-key', maxRetries: 0 });
  });

  afterAll(() => server.close());

  it('should stream the notebook answer and rebuild the completion the unstreamed request returns', async () => {
    const params = { model: 'gpt-4o-mini', messages: user(NOTEBOOK_PROMPT), stream_options: { include_usage: true } };
    const streamed = await lastValueFrom(fromChatCompletion(client, params).pipe(toChatCompletion()));
    expect(streamed.choices[0]!.message.content).toBe(ONE_TO_HUNDRED);
    expect(streamed.usage).toMatchObject({ prompt_tokens: 36, completion_tokens: 299, total_tokens: 335 });
    const unstreamed = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: user(NOTEBOOK_PROMPT) });
    expect(comparable(streamed)).toEqual(comparable(unstreamed));
  });

  it('should stream content deltas one token at a time', async () => {
    const deltas = await lastValueFrom(
      fromChatCompletion(client, { model: 'gpt-4o-mini', messages: user("What's 1+1? Answer in one word.") }).pipe(contentDeltas(), toArray()),
    );
    expect(deltas).toEqual(['2']);
  });

  it('should leave usage out without include_usage', async () => {
    const completion = await lastValueFrom(
      fromChatCompletion(client, { model: 'gpt-4o-mini', messages: user('Count to 3') }).pipe(toChatCompletion()),
    );
    expect(completion.usage).toBeUndefined();
    expect(completion.choices[0]!.message.content).toBe('1, 2, 3.');
  });

  it('should rebuild n=2 choices', async () => {
    const completion = await lastValueFrom(
      fromChatCompletion(client, { model: 'gpt-4o-mini', messages: user('Count to 4'), n: 2, stream_options: { include_usage: true } }).pipe(
        toChatCompletion(),
      ),
    );
    expect(completion.choices.map((choice) => [choice.index, choice.message.content, choice.finish_reason])).toEqual([
      [0, '1, 2, 3, 4.', 'stop'],
      [1, '1, 2, 3, 4.', 'stop'],
    ]);
    expect(completion.usage!.completion_tokens).toBe(22);
  });

  it('should accumulate a streamed tool call to what the unstreamed request returns', async () => {
    const tools = [
      {
        type: 'function' as const,
        function: { name: 'get_capital', parameters: { type: 'object', properties: { country: { type: 'string' } }, required: ['country'] } },
      },
    ];
    const params = { model: 'gpt-4o-mini', messages: user('What is the capital of the UK?'), tools, stream_options: { include_usage: true } };
    const streamed = await lastValueFrom(fromChatCompletion(client, params).pipe(toChatCompletion()));
    expect(streamed.choices[0]!.finish_reason).toBe('tool_calls');
    expect(streamed.choices[0]!.message.tool_calls).toEqual([
      { id: expect.stringMatching(/^call_/), type: 'function', function: { name: 'get_capital', arguments: '{"country":"UK"}' } },
    ]);
    const unstreamed = await client.chat.completions.create({ ...params, stream_options: undefined });
    const withoutIds = (completion: ChatCompletion) =>
      JSON.parse(JSON.stringify(comparable(completion)).replace(/call_[A-Za-z0-9]{24}/g, 'call_*')) as unknown;
    expect(withoutIds(streamed)).toEqual(withoutIds(unstreamed));
  });

  it("should report the server's usage with include_usage, and count the same numbers without it", async () => {
    const tools = [{ type: 'function' as const, function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } } }];
    const requests = [
      { model: 'gpt-4o-mini', messages: user(NOTEBOOK_PROMPT) },
      { model: 'gpt-4o-mini', messages: user('سلام، حالت چطوره؟'), n: 2 },
      { model: 'gpt-3.5-turbo', messages: user('Look up Paris'), tools },
    ];
    for (const request of requests) {
      const reported = await lastValueFrom(
        fromChatCompletion(client, { ...request, stream_options: { include_usage: true } }).pipe(usage(request)),
      );
      expect(reported.estimated).toBe(false);
      const counted = await lastValueFrom(fromChatCompletion(client, request).pipe(usage(request)));
      expect(counted.estimated).toBe(true);
      expect(counted).toEqual({
        prompt_tokens: reported.prompt_tokens,
        completion_tokens: reported.completion_tokens,
        total_tokens: reported.total_tokens,
        estimated: true,
        promptCounted: true,
      });
    }
    const notebook = await lastValueFrom(
      fromChatCompletion(client, { ...requests[0]!, stream_options: { include_usage: true } }).pipe(usage()),
    );
    expect(notebook).toMatchObject({ prompt_tokens: 36, completion_tokens: 299, total_tokens: 335, estimated: false });
  });

  describe('faults end in the right typed error', () => {
    const params = { model: 'gpt-4o-mini', messages: user('Count to 10') };
    const withFault = (fault: string) =>
      lastValueFrom(fromChatCompletion(client, params, { requestOptions: { headers: { 'x-mock-fault': fault } } }).pipe(toChatCompletion()));

    it('should raise the SDK RateLimitError for rate-limit, with no partial', async () => {
      const error = await errorOf(withFault('rate-limit'));
      expect(error).toBeInstanceOf(OpenAI.RateLimitError);
      expect((error as InstanceType<typeof OpenAI.RateLimitError>).status).toBe(429);
      expect(error.partial).toBeUndefined();
    });

    it('should raise the SDK InternalServerError for server-error', async () => {
      const error = await errorOf(withFault('server-error'));
      expect(error).toBeInstanceOf(OpenAI.InternalServerError);
      expect(error.partial).toBeUndefined();
    });

    it('should raise the SDK APIError for error-mid-stream, keeping the partial answer', async () => {
      const error = await errorOf(withFault('error-mid-stream'));
      expect(error).toBeInstanceOf(OpenAI.APIError);
      expect(error.message).toContain('The server had an error while processing your request');
      expect(error.partial?.choices[0]?.message.content).toBe('1,');
    });

    it('should raise the SDK parse error for malformed, keeping the partial answer', async () => {
      // The SDK logs the bad chunk before it throws: keep the test output clean.
      const quiet = new OpenAI({ baseURL: server.baseURL, apiKey: 'test-key', maxRetries: 0, logLevel: 'off' });
      const error = await errorOf(
        lastValueFrom(fromChatCompletion(quiet, params, { requestOptions: { headers: { 'x-mock-fault': 'malformed' } } }).pipe(toChatCompletion())),
      );
      expect(error.name).toBe('SyntaxError');
      expect(error.partial?.choices[0]?.message.content).toBe('1,');
    });

    it('should raise IncompleteStreamError connection-lost for drop, with the SDK\'s TypeError as cause and the partial answer', async () => {
      const error = await errorOf(withFault('drop'));
      expect(error).toBeInstanceOf(IncompleteStreamError);
      expect((error as IncompleteStreamError).reason).toBe('connection-lost');
      expect((error.cause as Error).name).toBe('TypeError');
      expect(error.partial?.choices[0]?.message.content).toBe('1,');
    });

    it('should complete for no-done, since the SDK does not require [DONE] and the answer had finished', async () => {
      const completion = await withFault('no-done');
      expect(completion.choices[0]!.message.content).toBe('1, 2, 3, 4, 5, 6, 7, 8, 9, 10.');
    });

    it('should time out a stall with rxjs timeout, closing the request', async () => {
      const local = await startMockServer({ timing: 'instant', faults: ['stall'] });
      try {
        const localClient = new OpenAI({ baseURL: local.baseURL, apiKey: 'k', maxRetries: 0 });
        const error = await errorOf(
          lastValueFrom(fromChatCompletion(localClient, params).pipe(timeout({ each: 200 }), toChatCompletion())),
        );
        expect(error).toBeInstanceOf(TimeoutError);
        expect(error.partial?.choices[0]?.message.content).toBe('1,');
        await until(() => local.stats.aborted === 1, 'the stalled request to close', 1000);
        expect(local.stats.active).toBe(0);
      } finally {
        await local.close();
      }
    });

    it('should raise the SDK AuthenticationError for a wrong key', async () => {
      const local = await startMockServer({ timing: 'instant', apiKey: 'sk-right' });
      try {
        const wrong = new OpenAI({ baseURL: local.baseURL, apiKey: 'sk-wrong', maxRetries: 0 });
        const error = await errorOf(lastValueFrom(fromChatCompletion(wrong, params)));
        expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
        expect(JSON.stringify(error)).not.toContain('sk-right');
      } finally {
        await local.close();
      }
    });
  });

  it('should show an unsubscription mid-stream in stats.aborted within 100 ms', async () => {
    const local = await startMockServer({ timing: { timeToFirstTokenMs: 10, perTokenMs: 20, jitter: 0 } });
    try {
      const localClient = new OpenAI({ baseURL: local.baseURL, apiKey: 'k', maxRetries: 0 });
      const seen = await lastValueFrom(
        fromChatCompletion(localClient, { model: 'gpt-4o-mini', messages: user('Count to 1000') }).pipe(contentDeltas(), take(3), toArray()),
      );
      expect(seen).toEqual(['1', ',', ' ']);
      await until(() => local.stats.aborted === 1, 'the aborted stream', 100);
      expect(local.stats).toMatchObject({ active: 0, completed: 0, aborted: 1 });
    } finally {
      await local.close();
    }
  });

  it('should retry a rate-limited request with the SDK and succeed', async () => {
    const local = await startMockServer({ timing: 'instant', faults: ['rate-limit'] });
    try {
      const retrying = new OpenAI({ baseURL: local.baseURL, apiKey: 'k', maxRetries: 1 });
      const texts: string[] = [];
      await lastValueFrom(
        fromChatCompletion(retrying, { model: 'gpt-4o-mini', messages: user('Count to 2') }).pipe(
          contentDeltas(),
          tap((text) => texts.push(text)),
        ),
      );
      expect(texts.join('')).toBe('1, 2.');
      expect(local.stats).toMatchObject({ requests: 2, errors: 1, completed: 1 });
    } finally {
      await local.close();
    }
  });
});
