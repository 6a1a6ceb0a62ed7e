import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../lib/cli/cli.js';
import { parseRequests } from '../../lib/cli/batch.js';
import { startMockServer, type MockServer } from '../../lib/testing/index.js';
import { memoryIO } from './helpers.js';

const count = (n: number, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `Count to ${n}` }], ...extra });
const answer = (n: number): string => `${Array.from({ length: n }, (_, i) => i + 1).join(', ')}.`;

interface ResultLine {
  index: number;
  custom_id?: string;
  completion?: { choices: Array<{ message: { content: string } }> };
  usage?: { total_tokens: number; estimated: boolean };
  metrics: { attempts: number };
  error?: { name: string; message: string; status?: number };
}
const resultsOf = (stdout: string): ResultLine[] =>
  stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as ResultLine);

describe('batch', () => {
  let server: MockServer;
  let dir: string;
  /** Requests whose prompt says "fail" get a 500, always. */
  const failing = (request: { messages: Array<{ content?: unknown }> }): 'server-error' | undefined =>
    request.messages.some((m) => typeof m.content === 'string' && m.content.includes('fail')) ? 'server-error' : undefined;

  beforeAll(async () => {
    server = await startMockServer({ timing: 'instant', faults: failing });
    dir = mkdtempSync(join(tmpdir(), 'rxjs-chat-stream-batch-'));
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const file = (name: string, lines: string[]): string => {
    const path = join(dir, name);
    writeFileSync(path, `${lines.join('\n')}\n`);
    return path;
  };
  const env = () => ({ OPENAI_BASE_URL: server.baseURL });

  it('should print one result per request, read chat requests and Batch API lines, and a summary on stderr', async () => {
    const path = file('basic.jsonl', [
      count(3),
      '',
      count(2, { custom_id: 'two' }),
      JSON.stringify({ custom_id: 'batch-line', method: 'POST', url: '/v1/chat/completions', body: { messages: [{ role: 'user', content: 'Count to 4' }] } }),
      count(1, { stream_options: { include_usage: false } }),
    ]);
    const run = memoryIO(env());
    const before = server.stats.requests;
    expect(await main(['batch', path, '--concurrency', '2'], run.io)).toBe(0);
    const results = resultsOf(run.stdout).sort((a, b) => a.index - b.index);
    expect(results.map((r) => [r.index, r.custom_id, r.completion?.choices[0]?.message.content])).toEqual([
      [0, undefined, answer(3)],
      [1, 'two', answer(2)],
      [2, 'batch-line', answer(4)],
      [3, undefined, answer(1)],
    ]);
    expect(results.map((r) => r.usage?.estimated)).toEqual([false, false, false, true]);
    expect(results.every((r) => r.metrics.attempts === 1)).toBe(true);
    expect(server.stats.requests - before).toBe(4);
    expect(run.errorLines).toHaveLength(1);
    expect(run.errorLines[0]).toMatch(/^\[http:\/\/127\.0\.0\.1:\d+\/v1\] · 4 requests: 4 answered, 0 failed · \d+ tokens · \d+\.\d\d s$/);
    expect(run.stderr).not.toContain('\r');
  });

  it('should print the results in file order with --ordered', async () => {
    const path = file('ordered.jsonl', [count(30), count(1), count(10), count(2)]);
    const run = memoryIO(env());
    expect(await main(['batch', path, '--ordered', '--concurrency', '4'], run.io)).toBe(0);
    expect(resultsOf(run.stdout).map((r) => r.index)).toEqual([0, 1, 2, 3]);
  });

  it('should report a failed request in its line, go on with the rest, and exit 1', async () => {
    const path = file('failing.jsonl', [count(2), JSON.stringify({ messages: [{ role: 'user', content: 'please fail' }] }), count(3)]);
    const run = memoryIO(env());
    expect(await main(['batch', path, '--retries', '0'], run.io)).toBe(1);
    const results = resultsOf(run.stdout).sort((a, b) => a.index - b.index);
    expect(results.map((r) => r.error?.status ?? 'ok')).toEqual(['ok', 500, 'ok']);
    expect(results[1]!.error).toMatchObject({ name: 'InternalServerError', status: 500 });
    expect(run.errorLines.at(-1)).toMatch(/3 requests: 2 answered, 1 failed/);
  });

  it('should skip with --resume what a results file answered, by custom_id or by index, and rerun the failures', async () => {
    const path = file('resume.jsonl', [
      count(2, { custom_id: 'a' }),
      JSON.stringify({ custom_id: 'b', messages: [{ role: 'user', content: 'fail once' }] }),
      count(3),
      count(4),
    ]);
    const first = memoryIO(env());
    expect(await main(['batch', path, '--retries', '0'], first.io)).toBe(1);
    // The results file, as an interrupted run may leave it: the last line cut short.
    const resultsFile = join(dir, 'resume.results.jsonl');
    const lines = first.stdout.split('\n').filter((l) => l !== '' && !l.includes('"index":3'));
    writeFileSync(resultsFile, `${lines.join('\n')}\n{"index":3,"compl`);

    const sent: string[] = [];
    const again = await startMockServer({ timing: 'instant', reply: (request) => (sent.push(String(request.messages[0]?.content)), 'done') });
    try {
      const second = memoryIO({ OPENAI_BASE_URL: again.baseURL });
      expect(await main(['batch', path, '--resume', resultsFile], second.io)).toBe(0);
      expect(sent.sort()).toEqual(['Count to 4', 'fail once']);
      expect(resultsOf(second.stdout).map((r) => [r.index, r.custom_id]).sort()).toEqual([
        [1, 'b'],
        [3, undefined],
      ]);
      expect(second.errorLines.at(-1)).toMatch(
        /4 requests: 2 answered, 0 failed, 2 skipped \(answered in .*resume\.results\.jsonl\) · \d+ tokens · \d+\.\d\d s · 1 unreadable line in .* ignored$/,
      );
    } finally {
      await again.close();
    }
  });

  it('should treat a missing --resume file as an empty one', async () => {
    const path = file('fresh.jsonl', [count(1)]);
    const run = memoryIO(env());
    expect(await main(['batch', path, '--resume', join(dir, 'none-yet.jsonl')], run.io)).toBe(0);
    expect(resultsOf(run.stdout)).toHaveLength(1);
  });

  it('should draw a progress bar on stderr only when it is a terminal', async () => {
    const path = file('bar.jsonl', [count(1), count(2), count(3)]);
    const run = memoryIO(env());
    let stderr = '';
    run.io.stderr = { write: (text: string) => (stderr += text), isTTY: true } as never;
    expect(await main(['batch', path], run.io)).toBe(0);
    expect(stderr).toContain('\r\x1b[K[');
    expect(stderr).toMatch(/\[█{20}\] 3\/3 · 0 failed · 0 in flight · concurrency 8 · \d+ tokens\n/);
    expect(stderr.trimEnd().split('\n').at(-1)).toMatch(/3 requests: 3 answered/);
  });

  it('should check the whole file before sending anything, naming the bad line', async () => {
    const cases: Array<[string[], RegExp]> = [
      [[count(1), '{"messages": [', count(2)], /bad-0\.jsonl:2: not JSON/],
      [[count(1), '[1, 2]'], /bad-1\.jsonl:2: not a JSON object/],
      [[JSON.stringify({ model: 'gpt-4o-mini' })], /bad-2\.jsonl:1: messages must be a non-empty array/],
      [[count(1, { custom_id: 'x' }), count(2, { custom_id: 'x' })], /bad-3\.jsonl:2: custom_id 'x' was used on line 1 already/],
      [[count(1, { custom_id: 7 })], /bad-4\.jsonl:1: custom_id must be a non-empty string/],
    ];
    const before = server.stats.requests;
    for (const [i, [lines, message]] of cases.entries()) {
      const run = memoryIO(env());
      expect(await main(['batch', file(`bad-${i}.jsonl`, lines)], run.io)).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.errorLines).toEqual([expect.stringMatching(message)]);
    }
    expect(server.stats.requests).toBe(before);
  });

  it('should refuse bad flags and a missing or unreadable file with exit 2', async () => {
    const path = file('flags.jsonl', [count(1)]);
    const cases: Array<[string[], RegExp]> = [
      [['batch'], /batch: missing the requests file/],
      [['batch', path, 'other.jsonl'], /one requests file only/],
      [['batch', path, '--concurrency', '0'], /--concurrency must be a whole number >= 1, got '0'/],
      [['batch', path, '--rpm', 'fast'], /--rpm must be a number > 0, got 'fast'/],
      [['batch', path, '--tpm=0'], /--tpm must be a number > 0, got '0'/],
      [['batch', path, '--retries', '1.5'], /--retries must be a whole number >= 0/],
      [['batch', join(dir, 'missing.jsonl')], /cannot read .*missing\.jsonl/],
    ];
    for (const [argv, message] of cases) {
      const run = memoryIO(env());
      expect(await main(argv, run.io)).toBe(2);
      expect(run.errorLines.join('\n')).toMatch(message);
    }
  });

  it('should print the results so far and exit 130 when interrupted, with a hint to resume', async () => {
    const slow = await startMockServer({ timing: { timeToFirstTokenMs: 5, perTokenMs: 20, jitter: 0 } });
    try {
      const path = file('interrupted.jsonl', [count(1), count(400), count(400)]);
      const controller = new AbortController();
      const run = memoryIO({ OPENAI_BASE_URL: slow.baseURL }, { signal: controller.signal });
      const code = main(['batch', path, '--concurrency', '3'], run.io);
      await new Promise<void>((resolve) => {
        const check = setInterval(() => {
          if (run.stdout.includes('"index":0')) {
            clearInterval(check);
            resolve();
          }
        }, 5);
      });
      controller.abort();
      expect(await code).toBe(130);
      expect(resultsOf(run.stdout).map((r) => r.index)).toEqual([0]);
      expect(run.errorLines.join('\n')).toMatch(/3 requests: 1 answered, 0 failed .* interrupted: rerun with --resume to finish/);
      expect(run.errorLines.at(-1)).toBe('rxjs-chat-stream: interrupted');
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(slow.stats.active).toBe(0);
    } finally {
      await slow.close();
    }
  });

  it('should never print the API key, not even in an error line', async () => {
    const locked = await startMockServer({ timing: 'instant', apiKey: 'sk-the-right-key-123456' });
    try {
      const path = file('auth.jsonl', [count(1)]);
      const run = memoryIO({ OPENAI_BASE_URL: locked.baseURL, OPENAI_API_KEY: 'sk-a-wrong-key-9876543210' });
      expect(await main(['batch', path, '--retries', '0'], run.io)).toBe(1);
      expect(resultsOf(run.stdout)[0]!.error).toMatchObject({ status: 401 });
      expect(run.stdout + run.stderr).not.toMatch(/sk-a-wrong-key|sk-the-right-key/);
    } finally {
      await locked.close();
    }
  });

  it('should fill the model and stream_options of a line, and drop custom_id and stream from what is sent', () => {
    const [request] = parseRequests(count(1, { custom_id: 'x', stream: false, model: undefined }), 'f', 'gpt-4.1-nano');
    expect(request).toEqual({
      index: 0,
      line: 1,
      customId: 'x',
      body: { model: 'gpt-4.1-nano', messages: [{ role: 'user', content: 'Count to 1' }], stream_options: { include_usage: true } },
    });
  });
});
