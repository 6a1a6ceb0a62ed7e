/**
 * The local server's provider quirks on the wire: which quirks a request gets (`options.quirks`,
 * the `x-mock-quirks` header), and what each does to the bytes. What the operators make of them:
 * spec/e2e/quirks.spec.ts.
 */
import { from, lastValueFrom } from 'rxjs';
import { InvalidInputError } from '../../lib/errors.js';
import { toChatCompletion } from '../../lib/operators/toChatCompletion.js';
import { usage } from '../../lib/operators/usage.js';
import { startMockServer, type MockQuirk, type MockServer } from '../../lib/testing/startMockServer.js';
import type { ChatCompletion, ChatCompletionChunk } from '../../lib/types.js';
import { user } from '../helpers/notebook.js';

function post(url: string, body: object, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

/** The chunks of a streamed body (before `data: [DONE]`, which must be there). */
async function chunksOf(response: Response): Promise<ChatCompletionChunk[]> {
  const data = (await response.text())
    .split('\n\n')
    .filter((block) => block.startsWith('data: '))
    .map((block) => block.slice('data: '.length));
  expect(data.at(-1)).toBe('[DONE]');
  return data.slice(0, -1).map((d) => JSON.parse(d) as ChatCompletionChunk);
}

const STREAM = { model: 'gpt-4o-mini', messages: user('Count to 3'), stream: true, stream_options: { include_usage: true } };
const quirks = (names: string) => ({ 'x-mock-quirks': names });
const fields = (chunks: ChatCompletionChunk[]): string[] => [...new Set(chunks.flatMap((c) => c.choices.flatMap((choice) => Object.keys(choice.delta))))].sort();

describe('startMockServer quirks', () => {
  let server: MockServer;

  beforeAll(async () => {
    server = await startMockServer({ timing: 'instant' });
  });

  afterAll(() => server.close());

  it('should take the x-mock-quirks header, comma-separated, spaces allowed', async () => {
    const chunks = await chunksOf(await post(server.url, STREAM, quirks(' reasoning , no-finish-reason ')));
    expect(fields(chunks)).toContain('reasoning');
    expect(chunks.some((chunk) => chunk.choices.some((choice) => choice.finish_reason !== null))).toBe(false);
  });

  it('should answer 400 in the API shape to an unknown quirk, naming it and the known ones', async () => {
    const response = await post(server.url, STREAM, quirks('reasoning,gemini'));
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as { error: { message: string; type: string } };
    expect(error.type).toBe('invalid_request_error');
    expect(error.message).toMatch(/^Unknown x-mock-quirks 'gemini'\. Expected some of: ollama-tool-index, .*think-tags\.$/);
  });

  it('should replay options.quirks on every request, and let the header replace them (none: no quirk)', async () => {
    const local = await startMockServer({ timing: 'instant', quirks: ['reasoning-content'] });
    try {
      expect(fields(await chunksOf(await post(local.url, STREAM)))).toContain('reasoning_content');
      expect(fields(await chunksOf(await post(local.url, STREAM, quirks('none'))))).toEqual(['content', 'refusal', 'role']);
      expect(fields(await chunksOf(await post(local.url, STREAM, quirks('reasoning'))))).toEqual(['content', 'reasoning', 'refusal', 'role']);
    } finally {
      await local.close();
    }
  });

  it('should reject quirks options that are not a list of known names', async () => {
    await expect(startMockServer({ quirks: 'reasoning' as unknown as MockQuirk[] })).rejects.toThrow(InvalidInputError);
    await expect(startMockServer({ quirks: ['reasoning', 'gemini' as MockQuirk] })).rejects.toThrow(
      "Invalid input: startMockServer() options.quirks must be one of ollama-tool-index, no-finish-reason, after-finish, usage-every-chunk, usage-empty-delta, reasoning-content, reasoning, think-tags, got 'gemini'",
    );
  });

  it('should put the reasoning into a non-streamed answer too, the same as the stream accumulates to', async () => {
    for (const [quirk, field] of [
      ['reasoning-content', 'reasoning_content'],
      ['reasoning', 'reasoning'],
      ['think-tags', 'content'],
    ] as const) {
      const streamed = await lastValueFrom(from(await chunksOf(await post(server.url, STREAM, quirks(quirk)))).pipe(toChatCompletion()));
      const response = await post(server.url, { ...STREAM, stream: false }, quirks(quirk));
      const whole = (await response.json()) as ChatCompletion;
      const message = whole.choices[0]!.message as unknown as Record<string, unknown>;
      expect(message[field]).toBe((streamed.choices[0]!.message as unknown as Record<string, unknown>)[field]);
      expect(String(message[field])).toContain('The user wrote "Count to 3". I will answer briefly.');
      expect(whole.usage).toEqual(streamed.usage);
    }
  });

  it('should report the usage usage() counts, reasoning included, as reasoning_tokens', async () => {
    for (const quirk of ['reasoning-content', 'reasoning', 'think-tags']) {
      const reported = await lastValueFrom(from(await chunksOf(await post(server.url, STREAM, quirks(quirk)))).pipe(usage()));
      const counted = await lastValueFrom(from(await chunksOf(await post(server.url, { ...STREAM, stream_options: undefined }, quirks(quirk)))).pipe(usage(STREAM)));
      expect(counted.estimated).toBe(true);
      expect(reported.estimated).toBe(false);
      expect([reported.prompt_tokens, reported.completion_tokens]).toEqual([counted.prompt_tokens, counted.completion_tokens]);
      expect(reported.completion_tokens_details?.reasoning_tokens).toBe(counted.completion_tokens_details?.reasoning_tokens ?? 0);
    }
  });

  it('should stream the reasoning before a tool call, and move the first call off the role chunk', async () => {
    const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
    const chunks = await chunksOf(await post(server.url, { ...STREAM, messages: user('Weather in Oslo?'), tools }, quirks('reasoning')));
    const kinds = chunks.flatMap((c) => c.choices.map((choice) => Object.keys(choice.delta).filter((key) => key !== 'refusal' && key !== 'content')[0] ?? ''));
    expect(kinds.slice(0, 2)).toEqual(['role', 'reasoning']);
    expect(chunks[0]!.choices[0]!.delta.tool_calls).toBeUndefined();
    expect(kinds.indexOf('tool_calls')).toBeGreaterThan(kinds.lastIndexOf('reasoning'));
  });

  it('should give every call index 0, each whole in one delta, for ollama-tool-index', async () => {
    const local = await startMockServer({
      timing: 'instant',
      reply: () => ({ toolCalls: [{ name: 'a', arguments: { x: 1 } }, { name: 'b', arguments: '{"y":"two words"}' }] }),
    });
    try {
      const chunks = await chunksOf(await post(local.url, STREAM, quirks('ollama-tool-index')));
      const calls = chunks.flatMap((c) => c.choices.flatMap((choice) => choice.delta.tool_calls ?? []));
      expect(calls.map((call) => [call.index, call.function?.name, call.function?.arguments])).toEqual([
        [0, 'a', '{"x":1}'],
        [0, 'b', '{"y":"two words"}'],
      ]);
      expect(calls.every((call) => typeof call.id === 'string' && call.id.startsWith('call_'))).toBe(true);
      expect(chunks.map((c) => c.choices[0]?.finish_reason ?? null)).toEqual([null, null, 'tool_calls', null]);
    } finally {
      await local.close();
    }
  });

  it('should repeat each finish chunk and add an empty delta per choice, before the usage chunk, for after-finish', async () => {
    const chunks = await chunksOf(await post(server.url, { ...STREAM, n: 2 }, quirks('after-finish')));
    const tail = chunks.slice(-7).map((c) => (c.choices[0] === undefined ? 'usage' : `${c.choices[0].index}:${c.choices[0].finish_reason ?? '-'}`));
    expect(tail).toEqual(['0:stop', '1:stop', '0:stop', '1:stop', '0:-', '1:-', 'usage']);
  });

  it('should put a cumulative usage on every chunk for usage-every-chunk, only with include_usage', async () => {
    const chunks = await chunksOf(await post(server.url, STREAM, quirks('usage-every-chunk')));
    const counts = chunks.map((c) => c.usage?.completion_tokens);
    expect(counts).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 8]);
    expect(chunks.at(-1)!.usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 8, total_tokens: 19, completion_tokens_details: { reasoning_tokens: 0 } });
    const without = await chunksOf(await post(server.url, { ...STREAM, stream_options: undefined }, quirks('usage-every-chunk')));
    expect(without.every((c) => c.usage == null)).toBe(true);
  });

  it('should give the usage chunk one empty choice for usage-empty-delta', async () => {
    const chunks = await chunksOf(await post(server.url, STREAM, quirks('usage-empty-delta')));
    expect(chunks.at(-1)).toMatchObject({ choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: null }], usage: { completion_tokens: 8 } });
    expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe('stop');
  });

  it('should write the think block into the content, split into tokens, for think-tags', async () => {
    const chunks = await chunksOf(await post(server.url, STREAM, quirks('think-tags')));
    const content = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(content).toBe('<think>\nThe user wrote "Count to 3". I will answer briefly.\n</think>\n\n1, 2, 3.');
    expect(chunks.map((c) => c.choices[0]?.delta.content).slice(1, 4)).toEqual(['<th', 'ink', '>\n']);
  });

  it('should let faults strike quirky streams too', async () => {
    const response = await post(server.url, STREAM, { ...quirks('reasoning-content'), 'x-mock-fault': 'error-mid-stream' });
    const text = await response.text();
    expect(text).toContain('reasoning_content');
    expect(text).toContain('"error"');
    expect(text).not.toContain('[DONE]');
  });
});
