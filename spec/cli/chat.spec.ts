import { main } from '../../lib/cli/cli.js';
import { startMockServer, type MockServer } from '../../lib/testing/index.js';
import { closedPort, memoryIO } from './helpers.js';

describe('chat', () => {
  let server: MockServer;
  beforeAll(async () => {
    server = await startMockServer({ timing: { timeToFirstTokenMs: 30, perTokenMs: 5 } });
  });
  afterAll(() => server.close());

  it('should stream the answer to stdout and print one line of numbers on stderr', async () => {
    const run = memoryIO({ OPENAI_BASE_URL: server.baseURL });
    const before = server.stats.completed;
    expect(await main(['chat', 'Count to 10'], run.io)).toBe(0);
    expect(run.stdout).toBe('1, 2, 3, 4, 5, 6, 7, 8, 9, 10.\n');
    expect(run.errorLines).toHaveLength(1);
    expect(run.errorLines[0]).toMatch(
      new RegExp(
        `^\\[${server.baseURL.replace(/[.]/g, '\\.')}\\] · time to first token \\d+\\.\\d\\d s · \\d+\\.\\d tokens/s · gaps p50 \\d+ ms, p99 \\d+ ms · total \\d+\\.\\d\\d s · ` +
          'usage \\d+ prompt \\+ 29 completion = \\d+ tokens \\(from the server\\)$',
      ),
    );
    expect(server.stats.completed).toBe(before + 1);
  });

  it('should print no rate for an answer that came all at once (instant timing), as docs/cli.md says', async () => {
    const run = memoryIO({});
    expect(await main(['chat', 'Count to 20', '--local', '--timing', 'instant'], run.io)).toBe(0);
    expect(run.stdout).toBe(`${Array.from({ length: 20 }, (_, i) => i + 1).join(', ')}.\n`);
    expect(run.errorLines.at(-1)).toMatch(/ · — tokens\/s · .* 59 completion = \d+ tokens/);
  });

  it('should write each piece as it arrives, before the stream ends', async () => {
    const writes: string[] = [];
    const run = memoryIO({ OPENAI_BASE_URL: server.baseURL });
    run.io.stdout = { write: (text: string) => writes.push(text) };
    expect(await main(['chat', 'Count', 'to', '3'], run.io)).toBe(0);
    expect(writes).toEqual(['1', ',', ' ', '2', ',', ' ', '3', '.', '\n']);
  });

  it('should send --system and --model', async () => {
    const seen: unknown[] = [];
    const custom = await startMockServer({
      timing: 'instant',
      reply: (request) => {
        seen.push({ model: request.model, messages: request.messages });
        return 'ok';
      },
    });
    try {
      const run = memoryIO({ OPENAI_BASE_URL: custom.baseURL });
      expect(await main(['chat', 'Hello', '--system', 'Be brief.', '--model', 'gpt-4o'], run.io)).toBe(0);
      expect(run.stdout).toBe('ok\n');
      expect(seen).toEqual([
        {
          model: 'gpt-4o',
          messages: [
            { role: 'system', content: 'Be brief.' },
            { role: 'user', content: 'Hello' },
          ],
        },
      ]);
    } finally {
      await custom.close();
    }
  });

  it('should start the embedded server when no endpoint is configured', async () => {
    const run = memoryIO();
    expect(await main(['chat', "What's 1+1? Answer in one word.", '--timing', 'instant'], run.io)).toBe(0);
    expect(run.stdout).toBe('2\n');
    expect(run.errorLines).toEqual([expect.stringMatching(/^\[local server\] · time to first token .* \(from the server\)$/)]);
  });

  it('should exit 2 with one line when the URL is unreachable', async () => {
    const port = await closedPort();
    const run = memoryIO({ OPENAI_BASE_URL: `http://127.0.0.1:${port}/v1` });
    expect(await main(['chat', 'hi'], run.io)).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.errorLines).toEqual([
      `rxjs-chat-stream: cannot reach http://127.0.0.1:${port}/v1: connection refused (ECONNREFUSED)`,
    ]);
  });

  it('should exit 2 with "authentication failed (401)" and never print the key', async () => {
    const guarded = await startMockServer({ timing: 'instant', apiKey: 'server-side-secret-key' });
    try {
      const key = 'sk-proj-WRONG-0123456789abcdef';
      const run = memoryIO({ OPENAI_BASE_URL: guarded.baseURL, OPENAI_API_KEY: key });
      expect(await main(['chat', 'hi'], run.io)).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.errorLines).toEqual([
        `rxjs-chat-stream: authentication failed (401) at ${guarded.baseURL}: the server rejected the API key (check OPENAI_API_KEY)`,
      ]);
      const everything = run.stdout + run.stderr;
      expect(everything).not.toContain(key);
      expect(everything).not.toContain('server-side-secret-key');
      expect(everything).not.toMatch(/authorization|bearer/i);

      const keyless = memoryIO({ OPENAI_BASE_URL: guarded.baseURL });
      expect(await main(['chat', 'hi'], keyless.io)).toBe(2);
      expect(keyless.errorLines).toEqual([
        expect.stringMatching(/authentication failed \(401\) .*set OPENAI_API_KEY \(or GILAS_API_KEY for the Gilas API\)$/),
      ]);
    } finally {
      await guarded.close();
    }
  });

  it('should take the key from GILAS_API_KEY, as the Gilas docs do, and name it when it is rejected', async () => {
    const guarded = await startMockServer({ timing: 'instant', apiKey: 'gilas-secret-key-1' });
    try {
      const good = memoryIO({ OPENAI_BASE_URL: guarded.baseURL, GILAS_API_KEY: 'gilas-secret-key-1' });
      expect(await main(['chat', "What's 1+1? Answer in one word."], good.io)).toBe(0);
      expect(good.stdout).toBe('2\n');
      const wrong = memoryIO({ OPENAI_BASE_URL: guarded.baseURL, GILAS_API_KEY: 'gilas-wrong-key-2' });
      expect(await main(['chat', 'hi'], wrong.io)).toBe(2);
      expect(wrong.errorLines).toEqual([
        `rxjs-chat-stream: authentication failed (401) at ${guarded.baseURL}: the server rejected the API key (check GILAS_API_KEY)`,
      ]);
      expect(good.stdout + good.stderr + wrong.stdout + wrong.stderr).not.toMatch(/gilas-(secret|wrong)-key/);
    } finally {
      await guarded.close();
    }
  });

  it('should exit 2 with one line for other HTTP errors (404, 429, 500)', async () => {
    const faulty = await startMockServer({ timing: 'instant', faults: ['rate-limit', 'server-error'] });
    try {
      const cases: Array<[string, RegExp]> = [
        [faulty.baseURL, /^rxjs-chat-stream: rate limited \(429\) from http:\/\/127\.0\.0\.1:\d+\/v1: .+/],
        [faulty.baseURL, /^rxjs-chat-stream: server error \(500\) from http:\/\/127\.0\.0\.1:\d+\/v1: .+/],
        [`${faulty.baseURL}/nowhere`, /^rxjs-chat-stream: not found \(404\) from http:\/\/127\.0\.0\.1:\d+\/v1\/nowhere: Invalid URL/],
      ];
      for (const [baseURL, message] of cases) {
        const run = memoryIO({ OPENAI_BASE_URL: baseURL });
        expect(await main(['chat', 'hi'], run.io)).toBe(2);
        expect(run.stdout).toBe('');
        expect(run.errorLines).toHaveLength(1);
        expect(run.errorLines[0]).toMatch(message);
      }
    } finally {
      await faulty.close();
    }
  });

  it('should exit 1 with one line when the stream breaks, ending the printed part of the answer first', async () => {
    const faulty = await startMockServer({ timing: 'instant', faults: ['error-mid-stream'] });
    try {
      const run = memoryIO({ OPENAI_BASE_URL: faulty.baseURL });
      expect(await main(['chat', 'Count to 10'], run.io)).toBe(1);
      expect(run.stdout).toMatch(/^1, ?\n$/);
      expect(run.errorLines).toHaveLength(1);
      expect(run.errorLines[0]).toMatch(/^rxjs-chat-stream: .*server had an error/);
    } finally {
      await faulty.close();
    }
  });

  it('should abort the request and exit 130 when interrupted', async () => {
    const slow = await startMockServer({ timing: { timeToFirstTokenMs: 5, perTokenMs: 50 } });
    try {
      const controller = new AbortController();
      const run = memoryIO({ OPENAI_BASE_URL: slow.baseURL }, { signal: controller.signal });
      const writes: string[] = [];
      run.io.stdout = { write: (text: string) => writes.push(text) };
      const exit = main(['chat', 'Count to 100'], run.io);
      while (writes.length < 3) await new Promise((resolve) => setTimeout(resolve, 5));
      controller.abort();
      expect(await exit).toBe(130);
      expect(run.errorLines).toEqual(['rxjs-chat-stream: interrupted']);
      for (let i = 0; i < 100 && slow.stats.active > 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(slow.stats).toMatchObject({ active: 0, aborted: 1, completed: 0 });
    } finally {
      await slow.close();
    }
  });
});
