/** RedisChunkLog against a real redis-server, started on a free port by this spec and stopped after. */
import Redis from 'ioredis';
import { firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';
import { ChunkLogError, InvalidInputError } from '../../lib/errors.js';
import type { LogEvent } from '../../lib/relay/chunkLog.js';
import { RedisChunkLog } from '../../lib/relay/redis/index.js';
import { hasRedis, startRedis, type RunningRedis } from './redisServer.js';

const chunkEvent = (sequence: number): LogEvent => ({ sequence, kind: 'chunk', data: `{"n":${sequence}}` });
const done = (sequence: number): LogEvent => ({ sequence, kind: 'done', data: '[DONE]' });

if (!hasRedis) {
  // eslint-disable-next-line no-console
  console.log('RedisChunkLog specs skipped: /usr/bin/redis-server is not installed (apt-get install -y redis-server)');
}
const describeRedis = hasRedis ? describe : describe.skip;

describeRedis('RedisChunkLog (a real redis-server)', () => {
  let redis: RunningRedis;
  let log: RedisChunkLog;
  let id = 0;
  const newId = (): string => `s${++id}`;

  beforeAll(async () => {
    redis = await startRedis();
    log = await RedisChunkLog.connect(redis.url, { blockMs: 50 });
  });
  afterAll(async () => {
    await log?.close();
    await redis?.stop();
  });

  it('should replay what was written, then follow live to the last event', async () => {
    const s = newId();
    await log.create(s, 10_000);
    await log.append(s, [chunkEvent(0), chunkEvent(1)]);
    const all = lastValueFrom(log.read(s, 0).pipe(toArray()));
    const fromTwo = lastValueFrom(log.read(s, 2).pipe(toArray()));
    await new Promise((resolve) => setTimeout(resolve, 30));
    await log.append(s, [chunkEvent(2)]);
    await log.append(s, [chunkEvent(3), done(4)]);
    await expect(all).resolves.toEqual([chunkEvent(0), chunkEvent(1), chunkEvent(2), chunkEvent(3), done(4)]);
    await expect(fromTwo).resolves.toEqual([chunkEvent(2), chunkEvent(3), done(4)]);
    expect(await log.info(s)).toEqual({ nextSequence: 5, finished: true });
    // Past the end of a finished stream: the last event again.
    await expect(lastValueFrom(log.read(s, 9).pipe(toArray()))).resolves.toEqual([done(4)]);
  });

  it('should follow many streams at once on one connection', async () => {
    const ids = Array.from({ length: 50 }, newId);
    await Promise.all(ids.map((s) => log.create(s, 10_000)));
    const reads = ids.map((s) => lastValueFrom(log.read(s, 0).pipe(toArray())));
    await Promise.all(ids.map((s, i) => log.append(s, [chunkEvent(0), { sequence: 1, kind: 'chunk', data: `"${i}"` }])));
    await Promise.all(ids.map((s) => log.append(s, [done(2)])));
    const results = await Promise.all(reads);
    results.forEach((events, i) => expect(events.map((event) => event.data)).toEqual(['{"n":0}', `"${i}"`, '[DONE]']));
  });

  it('should write nothing twice: a taken sequence, a gap, or a write after the end is a conflict', async () => {
    const s = newId();
    await log.create(s, 10_000);
    await log.append(s, [chunkEvent(0), chunkEvent(1)]);
    await expect(log.append(s, [chunkEvent(1), chunkEvent(2)])).rejects.toMatchObject({ name: 'ChunkLogError', reason: 'conflict' });
    await expect(log.append(s, [chunkEvent(3)])).rejects.toMatchObject({ reason: 'conflict' });
    await expect(log.append(s, [done(2), chunkEvent(3)])).rejects.toMatchObject({ reason: 'conflict' });
    await log.append(s, [done(2)]);
    await expect(log.append(s, [chunkEvent(3)])).rejects.toMatchObject({ reason: 'conflict' });
    await expect(log.create(s, 1000)).rejects.toMatchObject({ reason: 'conflict' });
    await expect(log.append('nope', [chunkEvent(0)])).rejects.toMatchObject({ reason: 'not-found' });
    await expect(lastValueFrom(log.read(s, 0).pipe(toArray()))).resolves.toEqual([chunkEvent(0), chunkEvent(1), done(2)]);
  });

  it('should expire a stream ttlMs after its last write, and bound its length', async () => {
    const s = newId();
    await log.create(s, 300);
    await log.append(s, [chunkEvent(0), done(1)]);
    const client = new Redis(redis.url);
    try {
      const ttl = Number(await client.pttl(`rcs:{${s}}`));
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(300);
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(await log.info(s)).toBeUndefined();
      expect(await client.exists(`rcs:{${s}}`, `rcs:{${s}}:state`)).toBe(0);
      await expect(firstValueFrom(log.read(s, 0))).rejects.toMatchObject({ reason: 'not-found' });
    } finally {
      client.disconnect();
    }
  });

  it('should tell the producer of a cancel at its next heartbeat', async () => {
    const s = newId();
    await log.create(s, 10_000);
    expect(await log.heartbeat(s)).toBe(false);
    expect(await log.cancel(s)).toBe(true);
    expect(await log.heartbeat(s)).toBe(true);
    expect(await log.cancel('unknown')).toBe(false);
    await expect(log.heartbeat('unknown')).rejects.toMatchObject({ reason: 'not-found' });
  });

  it('should end readers with one producer_lost event when the heartbeat stops', async () => {
    const s = newId();
    await log.create(s, 10_000);
    await log.append(s, [chunkEvent(0)]);
    const started = Date.now();
    const [a, b] = await Promise.all([
      lastValueFrom(log.read(s, 0, { heartbeatTimeoutMs: 200 }).pipe(toArray())),
      lastValueFrom(log.read(s, 1, { heartbeatTimeoutMs: 200 }).pipe(toArray())),
    ]);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(a).toEqual([chunkEvent(0), { sequence: 1, kind: 'error', data: expect.stringContaining('producer_lost') }]);
    expect(b).toEqual(a.slice(1));
    expect(await log.info(s)).toEqual({ nextSequence: 2, finished: true });
  });

  it('should take an append as a heartbeat: a producer busy writing is not lost', async () => {
    const s = newId();
    await log.create(s, 10_000);
    const events: LogEvent[] = [];
    const reading = lastValueFrom(log.read(s, 0, { heartbeatTimeoutMs: 300 }).pipe(toArray()));
    // Appends every 100 ms for 900 ms, three times the timeout, and no heartbeat.
    for (let sequence = 0; sequence < 9; sequence++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const event = chunkEvent(sequence);
      events.push(event);
      await log.append(s, [event]);
    }
    await log.append(s, [done(9)]);
    expect(await reading).toEqual([...events, done(9)]);
  });

  it('should fail with ChunkLogError unavailable when Redis is unreachable, and check its input', async () => {
    await expect(RedisChunkLog.connect('redis://127.0.0.1:1')).rejects.toMatchObject({ name: 'ChunkLogError', reason: 'unavailable' });
    await expect(RedisChunkLog.connect('http://x')).rejects.toBeInstanceOf(InvalidInputError);
    expect(() => new RedisChunkLog({} as never)).toThrow(InvalidInputError);
    await expect(log.create('bad id', 1000)).rejects.toBeInstanceOf(InvalidInputError);
  });

  it('should end followers and fail writes with ChunkLogError unavailable when Redis stops, and work again after a restart', async () => {
    const s = newId();
    await log.create(s, 10_000);
    await log.append(s, [chunkEvent(0)]);
    const reading = lastValueFrom(log.read(s, 0).pipe(toArray()));
    const first = firstValueFrom(log.read(s, 0).pipe(take(1)));
    await expect(first).resolves.toEqual(chunkEvent(0));
    await redis.stop();
    await expect(reading).rejects.toBeInstanceOf(ChunkLogError);
    await expect(reading).rejects.toMatchObject({ reason: 'unavailable' });
    await expect(log.append(s, [chunkEvent(1)])).rejects.toMatchObject({ reason: 'unavailable' });
    await redis.start();
    // ioredis reconnects on its own; the data is gone (no persistence), new streams work.
    const again = newId();
    for (let tries = 0; ; tries++) {
      try {
        await log.create(again, 10_000);
        break;
      } catch (error) {
        if (tries > 50) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    await log.append(again, [chunkEvent(0), done(1)]);
    await expect(lastValueFrom(log.read(again, 0).pipe(toArray()))).resolves.toEqual([chunkEvent(0), done(1)]);
  });
});
