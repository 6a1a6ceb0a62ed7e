/**
 * The relay across processes on a real redis-server: two relay processes share the log, the local
 * server (in this process, so its stats show aborts) is the upstream.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { startMockServer, type MockServer } from '../../lib/testing/startMockServer.js';
import { hasRedis, startRedis, type RunningRedis } from './redisServer.js';
import { answerText, chatRequest, readEvents, waitFor, type WireEvent } from './relayHelpers.js';

const COUNT_TO_40 = 'Count to 40, with a comma between each number and no newlines. E.g., 1, 2, 3, ...';
const FULL_40 = Array.from({ length: 40 }, (_, i) => i + 1).join(', ') + '.';
const HEARTBEAT_MS = 100;
const TIMEOUT_MS = 600;

if (!hasRedis) {
  // eslint-disable-next-line no-console
  console.log('relay cross-process specs skipped: /usr/bin/redis-server is not installed (apt-get install -y redis-server)');
}
const describeRedis = hasRedis ? describe : describe.skip;

interface RelayProcess {
  readonly url: string;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts spec/relay/relayProcess.ts in a child process (through tsx) and waits for its URL. */
async function startRelayProcess(upstream: string, redis: string): Promise<RelayProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'relayProcess.ts')], {
    env: { ...process.env, RELAY_UPSTREAM: upstream, RELAY_REDIS: redis, RELAY_HEARTBEAT_MS: String(HEARTBEAT_MS), RELAY_TIMEOUT_MS: String(TIMEOUT_MS) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`relay process did not start: ${output}`)), 30_000);
    const onData = (piece: Buffer): void => {
      output += piece.toString();
      const match = /READY (\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1] as string);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (piece: Buffer) => (output += piece.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`relay process exited (${code}): ${output}`));
    });
  });
  return {
    url,
    child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Ids 0, 1, 2, … of one stream, each once. */
function expectSequential(events: readonly WireEvent[], streamId: string): void {
  expect(events.map((event) => event.id)).toEqual(events.map((_, i) => `${streamId}:${i}`));
}

describeRedis('relay across processes (RedisChunkLog, a real redis-server)', () => {
  let redis: RunningRedis;
  let upstream: MockServer;
  let a: RelayProcess;
  let b: RelayProcess;

  beforeAll(async () => {
    redis = await startRedis();
    upstream = await startMockServer({ timing: { timeToFirstTokenMs: 5, perTokenMs: 10, jitter: 0 } });
    [a, b] = await Promise.all([startRelayProcess(upstream.baseURL, redis.url), startRelayProcess(upstream.baseURL, redis.url)]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await upstream?.close();
    await redis?.stop();
  });

  it('should resume through a second relay process with nothing missing or repeated, then replay it finished', async () => {
    const before = upstream.stats;
    const first = await readEvents(`${a.url}/v1/chat/completions`, chatRequest(COUNT_TO_40), 25);
    const streamId = first.streamId as string;
    expect(first.events).toHaveLength(25);
    const rest = await readEvents(`${b.url}/v1/streams/${streamId}`, { headers: { 'last-event-id': first.events.at(-1)?.id as string } });
    const all = [...first.events, ...rest.events];
    expectSequential(all, streamId);
    expect(answerText(all)).toBe(FULL_40);
    expect(all.at(-1)?.data).toBe('[DONE]');
    // After the end, from either process: the same events.
    const replayA = await readEvents(`${a.url}/v1/streams/${streamId}`);
    const replayB = await readEvents(`${b.url}/v1/streams/${streamId}`, { headers: { 'last-event-id': `${streamId}:9` } });
    expect(replayA.events).toEqual(all);
    expect(replayB.events).toEqual(all.slice(10));
    // One upstream request, finished, not aborted: the disconnect was not a cancel.
    await waitFor(() => upstream.stats.completed === before.completed + 1, 3000, 'the upstream to complete');
    expect(upstream.stats.aborted).toBe(before.aborted);
    expect(upstream.stats.requests).toBe(before.requests + 1);
  });

  it('should cancel the upstream from either relay process', async () => {
    for (const [producer, canceller] of [
      [a, b],
      [a, a],
    ] as const) {
      const before = upstream.stats;
      const first = await readEvents(`${producer.url}/v1/chat/completions`, chatRequest(COUNT_TO_40), 5);
      const streamId = first.streamId as string;
      const follower = readEvents(`${b.url}/v1/streams/${streamId}`);
      const deleted = await fetch(`${canceller.url}/v1/streams/${streamId}`, { method: 'DELETE' });
      expect(deleted.status).toBe(204);
      await waitFor(() => upstream.stats.aborted === before.aborted + 1, 3000, 'the upstream to see the abort');
      const followed = await follower;
      expectSequential(followed.events, streamId);
      expect(JSON.parse(followed.events.at(-1)?.data as string)).toEqual({ error: expect.objectContaining({ code: 'cancelled' }) });
    }
    expect((await fetch(`${b.url}/v1/streams/unknownstream`, { method: 'DELETE' })).status).toBe(404);
    expect((await fetch(`${b.url}/v1/streams/unknownstream`)).status).toBe(404);
  });

  it('should end every reader with a producer_lost error event within the timeout when the producer is killed', async () => {
    const c = await startRelayProcess(upstream.baseURL, redis.url);
    try {
      const first = await readEvents(`${c.url}/v1/chat/completions`, chatRequest(COUNT_TO_40), 5);
      const streamId = first.streamId as string;
      const readers = [
        readEvents(`${a.url}/v1/streams/${streamId}`),
        readEvents(`${b.url}/v1/streams/${streamId}`, { headers: { 'last-event-id': `${streamId}:2` } }),
      ] as const;
      await new Promise((resolve) => setTimeout(resolve, 50));
      c.child.kill('SIGKILL');
      const killed = Date.now();
      const [fromA, fromB] = await Promise.all(readers);
      expect(Date.now() - killed).toBeLessThan(TIMEOUT_MS + 1000);
      for (const reader of [fromA, fromB]) {
        expect(JSON.parse(reader.events.at(-1)?.data as string)).toEqual({ error: expect.objectContaining({ code: 'producer_lost' }) });
      }
      expectSequential(fromA.events, streamId);
      // One producer-lost event in the log, the same for both.
      expect(fromB.events).toEqual(fromA.events.slice(3));
    } finally {
      await c.stop();
    }
  });

  it('should end readers with a chunk_log_unavailable error event, and stop the upstream, when Redis stops', async () => {
    const before = upstream.stats;
    const first = readEvents(`${a.url}/v1/chat/completions`, chatRequest(COUNT_TO_40));
    await waitFor(() => upstream.stats.active > 0, 3000, 'the upstream to start');
    await new Promise((resolve) => setTimeout(resolve, 100));
    await redis.stop();
    const ended = await first;
    const last = JSON.parse(ended.events.at(-1)?.data as string) as { error: { code: string } };
    expect(last.error.code).toBe('chunk_log_unavailable');
    // Nothing twice: the ids that came are 0, 1, 2, … each once.
    expectSequential(ended.events.slice(0, -1), ended.streamId as string);
    await waitFor(() => upstream.stats.aborted === before.aborted + 1, 3000, 'the upstream to be stopped');
    // Back again (empty: no persistence): new streams work.
    await redis.start();
    let status = 0;
    for (let tries = 0; tries < 50 && status !== 200; tries++) {
      const response = await fetch(`${b.url}/v1/chat/completions`, chatRequest('Count to 3'));
      status = response.status;
      await response.text();
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(status).toBe(200);
  });
});
