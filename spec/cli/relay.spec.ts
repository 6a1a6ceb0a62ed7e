import { main } from '../../lib/cli/cli.js';
import { startMockServer, type MockServer } from '../../lib/testing/index.js';
import { hasRedis, startRedis } from '../relay/redisServer.js';
import { answerText, chatRequest, readEvents } from '../relay/relayHelpers.js';
import { memoryIO, waitFor } from './helpers.js';

const LISTENING = /^Relay listening on (http:\/\/127\.0\.0\.1:(\d+))\/v1 → /m;
const KEY = 'sk-cli-relay-secret-0123456789';

describe('relay (the command)', () => {
  let upstream: MockServer;
  beforeAll(async () => {
    upstream = await startMockServer({ timing: 'instant', apiKey: KEY });
  });
  afterAll(() => upstream.close());

  it('should relay with the key from --api-key-env, resume, never print the key, and stop cleanly', async () => {
    const controller = new AbortController();
    const run = memoryIO({ UPSTREAM_KEY: KEY }, { signal: controller.signal });
    const exit = main(['relay', '--port', '0', '--upstream', upstream.baseURL, '--api-key-env', 'UPSTREAM_KEY'], run.io);
    const [, url] = await waitFor(() => LISTENING.exec(run.stdout) ?? undefined);
    expect(run.stdout).toContain('log: in memory (this process only) · upstream key from --api-key-env UPSTREAM_KEY');
    const first = await readEvents(`${url}/v1/chat/completions`, chatRequest('Count to 5'));
    expect(first.status).toBe(200);
    expect(answerText(first.events)).toBe('1, 2, 3, 4, 5.');
    const replay = await readEvents(`${url}/v1/streams/${first.streamId}`);
    expect(replay.events).toEqual(first.events);
    controller.abort();
    expect(await exit).toBe(0);
    expect(run.stdout).toMatch(/Stopped\.\n$/);
    expect(run.stdout + run.stderr + first.text).not.toContain(KEY);
  });

  (hasRedis ? it : it.skip)('should keep its streams in Redis with --redis', async () => {
    const redis = await startRedis();
    const controller = new AbortController();
    const run = memoryIO({ UPSTREAM_KEY: KEY }, { signal: controller.signal });
    try {
      const exit = main(['relay', '--port', '0', '--upstream', upstream.baseURL, '--api-key-env', 'UPSTREAM_KEY', '--redis', redis.url], run.io);
      const [, url] = await waitFor(() => LISTENING.exec(run.stdout) ?? undefined);
      expect(run.stdout).toContain(`log: Redis at ${redis.url}`);
      const first = await readEvents(`${url}/v1/chat/completions`, chatRequest('Count to 3'));
      expect(answerText(first.events)).toBe('1, 2, 3.');
      controller.abort();
      expect(await exit).toBe(0);
    } finally {
      await redis.stop();
    }
  });

  it.each([
    [[], 'relay: missing --upstream URL (the API base URL, e.g. https://api.openai.com/v1)'],
    [['--upstream', 'http://127.0.0.1:1/v1', '--redis', 'localhost:6379'], "relay: --redis must be a redis:// URL, got 'localhost:6379'"],
    [['--upstream', 'http://127.0.0.1:1/v1', '--api-key-env', 'MISSING'], 'relay: --api-key-env: the environment variable MISSING is not set or empty'],
  ])('should exit 2 with one line for relay %j', async (flags, message) => {
    const run = memoryIO({});
    expect(await main(['relay', '--port', '0', ...flags], run.io)).toBe(2);
    expect(run.errorLines).toEqual([`rxjs-chat-stream: ${message} (see rxjs-chat-stream relay --help)`]);
  });

  it('should exit 2 with one line when Redis cannot be reached', async () => {
    const run = memoryIO({});
    expect(await main(['relay', '--port', '0', '--upstream', 'http://127.0.0.1:1/v1', '--redis', 'redis://127.0.0.1:1'], run.io)).toBe(2);
    expect(run.errorLines[0]).toMatch(/^rxjs-chat-stream: cannot use Redis at redis:\/\/127\.0\.0\.1:1: Redis is unavailable/);
  });

  it('should print its help', async () => {
    const run = memoryIO({});
    expect(await main(['relay', '--help'], run.io)).toBe(0);
    expect(run.stdout).toContain('Usage: rxjs-chat-stream relay --upstream <url> [options]');
    expect(run.stdout).toContain('--redis <url>');
  });
});
