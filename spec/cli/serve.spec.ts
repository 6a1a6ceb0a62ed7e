import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { main } from '../../lib/cli/cli.js';
import { startMockServer } from '../../lib/testing/index.js';
import { memoryIO, waitFor } from './helpers.js';

const ROOT = join(__dirname, '..', '..');
const LISTENING = /^Local OpenAI-compatible server listening on (http:\/\/127\.0\.0\.1:(\d+)\/v1)$/m;

describe('serve', () => {
  it('should print the real base URL for --port 0, answer, and stop cleanly when aborted', async () => {
    const controller = new AbortController();
    const run = memoryIO({}, { signal: controller.signal });
    const exit = main(['serve', '--port', '0', '--timing', 'instant'], run.io);
    const [, baseURL, port] = await waitFor(() => LISTENING.exec(run.stdout) ?? undefined);
    expect(Number(port)).toBeGreaterThan(0);
    expect(run.stdout).toContain('Press Ctrl-C to stop.');

    const models = await fetch(`${baseURL}/models`);
    expect(models.status).toBe(200);
    expect(await models.json()).toMatchObject({ object: 'list', data: expect.arrayContaining([expect.objectContaining({ id: 'gpt-4o-mini' })]) });
    const answer = await fetch(`${baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Count to 3' }] }),
    });
    expect(((await answer.json()) as { choices: Array<{ message: { content: string } }> }).choices[0]!.message.content).toBe('1, 2, 3.');

    controller.abort();
    expect(await exit).toBe(0);
    expect(run.stdout).toMatch(/Stopped\. Served 2 requests: 1 chat completion finished, 0 cut short, 0 answered with an HTTP error\.\n$/);
    expect(run.stderr).toBe('');
    await expect(fetch(`${baseURL}/models`)).rejects.toThrow();
  });

  it('should require the --api-key without ever printing it', async () => {
    const controller = new AbortController();
    const run = memoryIO({}, { signal: controller.signal });
    const exit = main(['serve', '--port', '0', '--api-key', 'serve-secret-42'], run.io);
    const [, baseURL] = await waitFor(() => LISTENING.exec(run.stdout) ?? undefined);
    expect((await fetch(`${baseURL}/models`)).status).toBe(401);
    expect((await fetch(`${baseURL}/models`, { headers: { authorization: 'Bearer serve-secret-42' } })).status).toBe(200);
    controller.abort();
    expect(await exit).toBe(0);
    expect(run.stdout).toContain('auth: requests need the API key given with --api-key ·');
    expect(run.stdout + run.stderr).not.toContain('serve-secret-42');
  });

  it('should take the key from the variable --api-key-env names, without printing it', async () => {
    const controller = new AbortController();
    const run = memoryIO({ MOCK_KEY: 'env-secret-43' }, { signal: controller.signal });
    const exit = main(['serve', '--port', '0', '--api-key-env', 'MOCK_KEY'], run.io);
    const [, baseURL] = await waitFor(() => LISTENING.exec(run.stdout) ?? undefined);
    expect((await fetch(`${baseURL}/models`, { headers: { authorization: 'Bearer MOCK_KEY' } })).status).toBe(401);
    expect((await fetch(`${baseURL}/models`, { headers: { authorization: 'Bearer env-secret-43' } })).status).toBe(200);
    controller.abort();
    expect(await exit).toBe(0);
    expect(run.stdout).toContain('auth: requests need the API key given with --api-key-env MOCK_KEY');
    expect(run.stdout + run.stderr).not.toContain('env-secret-43');
  });

  it.each([
    [['--api-key-env', 'MISSING'], 'serve: --api-key-env: the environment variable MISSING is not set or empty'],
    [['--api-key-env', 'BLANK'], 'serve: --api-key-env: the environment variable BLANK is not set or empty'],
    [['--api-key-env', 'MOCK_KEY', '--api-key', 'k'], 'serve: give --api-key or --api-key-env, not both'],
  ])('should exit 2 with one line for serve %j', async (flags, message) => {
    const run = memoryIO({ MOCK_KEY: 'env-secret-43', BLANK: ' ' });
    expect(await main(['serve', '--port', '0', ...flags], run.io)).toBe(2);
    expect(run.errorLines).toEqual([`rxjs-chat-stream: ${message} (see rxjs-chat-stream serve --help)`]);
    expect(run.stdout + run.stderr).not.toContain('env-secret-43');
  });

  it('should exit 2 with one line when the port is in use', async () => {
    const taken = await startMockServer({ timing: 'instant' });
    try {
      const run = memoryIO();
      expect(await main(['serve', '--port', String(taken.port)], run.io)).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.errorLines).toEqual([
        `rxjs-chat-stream: cannot listen on 127.0.0.1:${taken.port}: the port is already in use (try --port 0 for any free one)`,
      ]);
    } finally {
      await taken.close();
    }
  });

  describe('as a process (the bin)', () => {
    let child: ChildProcess | undefined;
    afterEach(() => {
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });

    it('should start, answer GET /v1/models, and exit 0 on SIGTERM', async () => {
      child = spawn(process.execPath, ['--import', 'tsx', join('lib', 'cli', 'main.ts'), 'serve', '--port', '0', '--timing', 'instant'], {
        cwd: ROOT,
        env: { ...process.env, OPENAI_API_KEY: '', OPENAI_BASE_URL: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout!.setEncoding('utf8').on('data', (text: string) => (stdout += text));
      child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
      const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));

      const [, baseURL, port] = await waitFor(() => LISTENING.exec(stdout) ?? undefined, 15_000);
      expect(Number(port)).toBeGreaterThan(0);
      const models = await fetch(`${baseURL}/models`);
      expect(models.status).toBe(200);
      expect(((await models.json()) as { object: string }).object).toBe('list');

      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(stdout).toMatch(/Stopped\. Served 1 request: 0 chat completions finished/);
      expect(stderr).toBe('');
      await expect(fetch(`${baseURL}/models`)).rejects.toThrow();
    }, 30_000);
  });
});
