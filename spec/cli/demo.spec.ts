import { main } from '../../lib/cli/cli.js';
import { runDemo, type DemoReport } from '../../lib/cli/demo.js';
import type { Endpoint } from '../../lib/cli/endpoint.js';
import { buildChunks, startMockServer, type MockServer } from '../../lib/testing/index.js';
import { countPromptTokens } from '../../lib/tokens/countPromptTokens.js';
import { countTokens } from '../../lib/tokens/countTokens.js';
import type { ChatCompletion } from '../../lib/types.js';
import { COUNT_TO_100, memoryIO } from './helpers.js';

/** Fast but not instant: 50 ms to the first token, then 2 ms per token, so the timings mean something. */
const TIMING = '50,2';

describe('demo', () => {
  it('should print one JSON document with the numbers of each step (--json)', async () => {
    const run = memoryIO();
    expect(await main(['demo', '--json', '--timing', TIMING], run.io)).toBe(0);
    expect(run.stderr).toBe('');
    const report = JSON.parse(run.stdout) as DemoReport;

    expect(report.endpoint).toEqual({ kind: 'local', baseURL: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/v1$/) });
    expect(report.model).toBe('gpt-4o-mini');
    const [one, two, three] = report.steps;

    // 1. Not streamed: the whole reply at once, with the server's usage.
    expect(one).toEqual({
      step: 1,
      title: 'What a typical chat completion response looks like',
      prompt: 'Count to 100, with a comma between each number and no newlines. E.g., 1, 2, 3, ...',
      streamed: false,
      endpoint: 'local',
      totalMs: expect.any(Number),
      timeToFirstTokenMs: one.totalMs,
      reply: COUNT_TO_100,
      usage: { prompt: 36, completion: 299, total: 335, estimated: false },
      chunks: 0,
    });
    // The server waits 50 ms + 299 × 2 ms (± 20 % jitter) before answering.
    expect(one.totalMs).toBeGreaterThanOrEqual(300);

    // 2. Streamed without include_usage: the usage is counted locally.
    expect(two).toMatchObject({ step: 2, streamed: true, endpoint: 'local', prompt: "What's 1+1? Answer in one word.", reply: '2' });
    expect(two.usage.estimated).toBe(true);
    expect(two.usage.completion).toBe(1);
    expect(two.usage.prompt).toBeGreaterThan(0);
    expect(two.usage.total).toBe(two.usage.prompt + two.usage.completion);
    expect(two.chunks).toBeGreaterThanOrEqual(3); // role, "2", finish

    // 3. Streamed with include_usage: the same reply rebuilt, the server's usage, the first token long before the end.
    expect(three).toMatchObject({
      step: 3,
      streamed: true,
      endpoint: 'local',
      reply: COUNT_TO_100,
      usage: { prompt: 36, completion: 299, total: 335, estimated: false },
    });
    expect(three.chunks).toBeGreaterThanOrEqual(299 + 2); // a chunk per token, the finish chunk, the usage chunk
    expect(three.timeToFirstTokenMs).toBeGreaterThan(0);
    expect(three.timeToFirstTokenMs * 2).toBeLessThan(three.totalMs);
    expect(three.timeToFirstTokenMs * 2).toBeLessThan(one.totalMs);
    expect(report.timeSavedMs).toBe(one.totalMs - three.timeToFirstTokenMs);
  });

  it('should print the notebook: the chunks, "Message received … seconds after request" lines, the comparison', async () => {
    const run = memoryIO();
    expect(await main(['demo', '--timing', TIMING, '--prompt', 'Count to 20, with a comma between each number.'], run.io)).toBe(0);
    expect(run.stderr).toBe('');
    const out = run.stdout;
    const lines = out.split('\n');

    expect(lines[0]).toMatch(
      /^Endpoint: the embedded local server at http:\/\/127\.0\.0\.1:\d+\/v1 \(OPENAI_BASE_URL, OPENAI_API_KEY and GILAS_API_KEY are not set; 50 ms to the first token, 2 ms per token\)$/,
    );
    expect(lines[1]).toBe('Model: gpt-4o-mini');
    for (const heading of [
      '### 1. What a typical chat completion response looks like',
      '### 2. How to stream a chat completion',
      '### 3. How much time is saved by streaming a chat completion',
      '#### Time comparison',
    ]) {
      expect(lines).toContain(heading);
    }
    const twenty = `${Array.from({ length: 20 }, (_, i) => i + 1).join(', ')}.`;

    // Step 1: the full response and its content.
    expect(out).toMatch(/^Full response received \d+\.\d\d seconds after request$/m);
    expect(lines[lines.indexOf('Extracted content:') + 1]).toBe(twenty);

    // Step 2: each chunk as JSON, then its delta content, then the notebook's stars.
    const step2 = lines.slice(
      lines.indexOf('### 2. How to stream a chat completion'),
      lines.indexOf('### 3. How much time is saved by streaming a chat completion'),
    );
    const chunkLines = step2.filter((l) => l.startsWith('{"id":'));
    expect(chunkLines.length).toBeGreaterThanOrEqual(3);
    for (const chunkLine of chunkLines) {
      expect(JSON.parse(chunkLine)).toMatchObject({ object: 'chat.completion.chunk' });
      expect(step2[step2.indexOf(chunkLine) + 2]).toBe('****************');
    }
    expect(step2).toContain('2');
    expect(step2).toContain('Reply: 2');
    expect(step2).toContainEqual(
      expect.stringMatching(/^Usage: \d+ prompt \+ 1 completion = \d+ tokens \(no stream_options\.include_usage, so counted locally with usage\(\)\)$/),
    );

    // Step 3: one line per chunk with its time, in order; the rebuilt reply; the server's usage.
    const received = lines.filter((l) => l.startsWith('Message received '));
    for (const l of received) expect(l).toMatch(/^Message received \d+\.\d\d seconds after request: /);
    expect(received).toContainEqual(expect.stringMatching(/^Message received \d+\.\d\d seconds after request: 1$/));
    expect(received).toContainEqual(expect.stringMatching(/^Message received \d+\.\d\d seconds after request: 20$/));
    expect(received.at(-2)).toMatch(/: \[finish_reason: stop\]$/);
    expect(received.at(-1)).toMatch(/: \[usage chunk: \d+ prompt \+ \d+ completion = \d+ tokens\]$/);
    const times = received.map((l) => Number(/received (\d+\.\d\d) seconds/.exec(l)![1]));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(out).toContain(`Full conversation received (rebuilt with toChatCompletion()): ${twenty}`);
    expect(out).toMatch(/Usage: \d+ prompt \+ \d+ completion = \d+ tokens \(from the server, with stream_options\.include_usage, read by usage\(\)\)/);

    // The comparison, side by side.
    expect(out).toMatch(/^1\. without streaming +\d+\.\d\d s +\d+\.\d\d s$/m);
    expect(out).toMatch(/^3\. with streaming +\d+\.\d\d s +\d+\.\d\d s$/m);
  });

  it('should abort the running request and exit 130 when interrupted', async () => {
    const controller = new AbortController();
    const run = memoryIO({}, { signal: controller.signal });
    // Step 1 waits 5 s before its answer: interrupt it.
    const exit = main(['demo', '--timing', '5000,1,0'], run.io);
    await new Promise((resolve) => setTimeout(resolve, 300));
    controller.abort();
    expect(await exit).toBe(130);
    expect(run.stdout).not.toContain('Full response received');
    expect(run.errorLines).toEqual(['rxjs-chat-stream: interrupted']);
  });

  describe('against a configured endpoint (OPENAI_BASE_URL)', () => {
    let server: MockServer;
    beforeAll(async () => {
      server = await startMockServer({ timing: { timeToFirstTokenMs: 20, perTokenMs: 1 }, apiKey: 'sk-demo-secret-1234' });
    });
    afterAll(() => server.close());

    it('should run remote, say so without printing the key, and use --model', async () => {
      const run = memoryIO({ OPENAI_BASE_URL: server.baseURL, OPENAI_API_KEY: 'sk-demo-secret-1234' });
      expect(await main(['demo', '--model', 'gpt-4.1-nano'], run.io)).toBe(0);
      expect(run.stdout.split('\n')[0]).toBe(
        `Endpoint: remote, ${server.baseURL} (OPENAI_BASE_URL; API key from OPENAI_API_KEY)`,
      );
      expect(run.stdout).toContain('Model: gpt-4.1-nano');
      expect(run.stdout).toContain('"model":"gpt-4.1-nano"');
      expect(run.stdout + run.stderr).not.toContain('sk-demo-secret-1234');
    });

    it('should stop at the first step with "authentication failed (401)" and exit 2, never printing the key', async () => {
      const run = memoryIO({ OPENAI_BASE_URL: server.baseURL, OPENAI_API_KEY: 'sk-wrong-key-5678' });
      expect(await main(['demo', '--json'], run.io)).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.errorLines).toEqual([expect.stringContaining('authentication failed (401)')]);
      expect(run.stderr).not.toContain('sk-wrong-key-5678');
      expect(run.stderr).not.toContain('sk-demo-secret-1234');
    });
  });
});

describe('runDemo', () => {
  /** A clock that moves 10 ms each time it is read: every measured interval is 10 ms. */
  const tickingClock = () => {
    let now = 0;
    return { now: () => (now += 10) };
  };

  /** An endpoint whose server sends no usage at all (some OpenAI-compatible servers), answering from memory. */
  function usagelessEndpoint(reply: (prompt: string) => string): { endpoint: Endpoint; requests: Array<Record<string, unknown>> } {
    const requests: Array<Record<string, unknown>> = [];
    const promptOf = (body: Record<string, unknown>) => ((body['messages'] as Array<{ content: string }>)[0]!).content;
    const streaming = {
      chat: {
        completions: {
          create: async (body: Record<string, unknown>) => {
            requests.push(body);
            const chunks = buildChunks(reply(promptOf(body)), { format: 'classic' });
            return {
              async *[Symbol.asyncIterator]() {
                yield* chunks;
              },
            };
          },
        },
      },
    };
    const endpoint: Endpoint = {
      kind: 'remote',
      baseURL: 'http://compatible.example/v1',
      apiKey: undefined,
      apiKeyVariable: undefined,
      description: 'Endpoint: remote, http://compatible.example/v1',
      close: () => Promise.resolve(),
      client: {
        streaming: streaming as unknown as Endpoint['client']['streaming'],
        complete: async (body) => {
          requests.push(body);
          return {
            id: 'chatcmpl-1',
            object: 'chat.completion',
            created: 1_700_000_000,
            model: 'gpt-4o-mini',
            choices: [{ index: 0, message: { role: 'assistant', content: reply(promptOf(body)), refusal: null }, logprobs: null, finish_reason: 'stop' }],
          } as ChatCompletion;
        },
      },
    };
    return { endpoint, requests };
  }

  it('should count the usage when the server sends none, and time every step with the given clock', async () => {
    const { endpoint, requests } = usagelessEndpoint((prompt) => (prompt.startsWith('Count') ? '1, 2, 3.' : 'Two.'));
    const run = memoryIO({}, { scheduler: tickingClock() });
    const report = await runDemo(endpoint, { model: 'gpt-4o-mini', prompt: 'Count to 3.', quiet: false }, run.io);

    const counted = (prompt: string, reply: string) => {
      const promptTokens = countPromptTokens([{ role: 'user', content: prompt }], 'gpt-4o-mini');
      const completion = countTokens(reply, 'gpt-4o-mini');
      return { prompt: promptTokens, completion, total: promptTokens + completion, estimated: true };
    };
    const tokens = buildChunks('1, 2, 3.', { format: 'classic' }).length; // role, one per token, finish
    expect(report).toEqual({
      endpoint: { kind: 'remote', baseURL: 'http://compatible.example/v1' },
      model: 'gpt-4o-mini',
      steps: [
        expect.objectContaining({
          step: 1,
          streamed: false,
          endpoint: 'remote',
          totalMs: 10,
          timeToFirstTokenMs: 10,
          chunks: 0,
          reply: '1, 2, 3.',
          usage: counted('Count to 3.', '1, 2, 3.'),
        }),
        expect.objectContaining({ step: 2, streamed: true, reply: 'Two.', usage: counted("What's 1+1? Answer in one word.", 'Two.') }),
        // The first chunk (the role) comes at 10 ms, the first text at 20 ms, one chunk every 10 ms after.
        expect.objectContaining({
          step: 3,
          streamed: true,
          totalMs: 10 * tokens,
          timeToFirstTokenMs: 20,
          chunks: tokens,
          reply: '1, 2, 3.',
          usage: counted('Count to 3.', '1, 2, 3.'),
        }),
      ],
      timeSavedMs: 10 - 20,
    });

    // What was asked: the notebook's requests, temperature 0, include_usage on step 3 only.
    expect(requests.map((r) => ({ stream: r['stream'] ?? false, stream_options: r['stream_options'], temperature: r['temperature'] }))).toEqual([
      { stream: false, stream_options: undefined, temperature: 0 },
      { stream: true, stream_options: undefined, temperature: 0 },
      { stream: true, stream_options: { include_usage: true }, temperature: 0 },
    ]);
    expect(run.stdout).toMatch(/Usage: \d+ prompt \+ \d+ completion = \d+ tokens \(counted locally with usage\(\): the server sent none\)/);
    expect(run.stdout).toMatch(/Usage: \d+ prompt \+ \d+ completion = \d+ tokens \(counted locally with usage\(\): the server sent no usage chunk\)/);
    expect(run.stdout).toContain('Message received 0.02 seconds after request: 1\n');
    expect(run.stdout).toContain('This time streaming did not show the first token sooner (0.02 s vs 0.01 s)');
    // The figures come from streamMetrics(), on the same clock readings as the lines above.
    expect(report.steps[2].metrics).toMatchObject({ timeToFirstChunk: 10, timeToFirstContent: 20, duration: 10 * tokens, chunks: tokens });
    expect(run.stdout).toContain(
      `Figures (streamMetrics()): first chunk 0.01 s, first token 0.02 s, full response ${(tokens / 100).toFixed(2)} s; ` +
        `${counted('Count to 3.', '1, 2, 3.').completion} tokens (counted) at`,
    );
  });

  it('should print nothing when quiet', async () => {
    const { endpoint } = usagelessEndpoint(() => 'ok');
    const run = memoryIO({}, { scheduler: tickingClock() });
    await runDemo(endpoint, { model: 'gpt-4o-mini', prompt: 'Say ok', quiet: true }, run.io);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe('');
  });
});
