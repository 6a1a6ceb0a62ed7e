/**
 * Case relay: what the relay costs.
 * - relay/per-chunk: the relay's path in one process, wire bytes in, wire text out, over the same
 *   bytes: `fromSSE` → `pipeSSE` writing each chunk from the text it arrived as (ours), the same
 *   re-stringifying every chunk (`reuseText: false`), `fromSSE` alone (the parse-only floor: what
 *   any relay that looks at the chunks pays), and a raw byte pipe (no parsing at all).
 * - relay/concurrent: 1,000 concurrent streams through two relay processes on one redis-server
 *   (clients alternate between them) against one relay process with the in-memory log: time to
 *   the first chunk (p50, p99), Redis memory per finished stream (INFO memory), every stream checked
 *   complete (ids 0…n in order, the whole reply, `[DONE]`). Skipped with a note without
 *   /usr/bin/redis-server. The `resumable-stream` package is not measured (it needs its own
 *   Redis pub/sub set-up and a Next.js-style handler; not trivial here).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { CHAT_URL } from '../contenders.js';
import { startLongChild } from '../child-process.js';
import type { BenchContext, CaseResult } from '../context.js';
import { percentile, timeGroup, type Contender, type Group, type GroupResult } from '../harness.js';
import { fakeFetch, realisticChunks, wirePieces } from '../inputs.js';
import { pkg } from '../pkg.js';
import { startServerChild } from './manyStreams.js';

const { fromSSE, pipeSSE } = pkg;
const REDIS_SERVER = '/usr/bin/redis-server';

/**
 * A response that counts what is written, as a socket would take it, without keeping the strings
 * (keeping 30,000 of them would measure the garbage collector): writes (one event each, as
 * `pipeSSE` writes) and characters.
 */
class SinkResponse {
  headersSent = false;
  writableEnded = false;
  events = 0;
  length = 0;
  constructor(private readonly done: (sink: SinkResponse) => void) {}
  setHeader(): void {}
  flushHeaders(): void {
    this.headersSent = true;
  }
  write(text: string): boolean {
    this.events++;
    this.length += text.length;
    return true;
  }
  end(): void {
    this.writableEnded = true;
    this.done(this);
  }
  on(): void {}
}

/**
 * Counts the events (blank lines) and characters of a wire text as it comes in pieces, keeping
 * nothing: what every contender must agree on, without a 10 MB result whose check would leave its
 * garbage to the next contender's run.
 */
class EventCounter {
  events = 0;
  length = 0;
  /** The last piece ended with a line feed that is not the second of a pair counted. */
  private carry = false;
  add(text: string): void {
    if (text.length === 0) return;
    this.length += text.length;
    let end = 0;
    if (this.carry && text.charCodeAt(0) === 10) {
      this.events++;
      end = 1;
    }
    for (let at = text.indexOf('\n\n', end); at >= 0; at = text.indexOf('\n\n', end)) {
      this.events++;
      end = at + 2;
    }
    this.carry = text.length > end && text.charCodeAt(text.length - 1) === 10;
  }
}

function perChunkContenders(fetchFn: typeof fetch, pieces: readonly Uint8Array[], wireLength: number): Array<Contender<unknown>> {
  const through = (reuseText: boolean) => (): Promise<SinkResponse> =>
    new Promise<SinkResponse>((resolve) => {
      pipeSSE(fromSSE((signal) => fetchFn(CHAT_URL, { signal }), { keepText: reuseText }), new SinkResponse(resolve), { reuseText, keepAliveMs: 0 });
    });
  const written = (sink: SinkResponse): unknown => ({ events: sink.events, length: sink.length });
  return [
    { name: 'fromSSE → pipeSSE, text passed through (ours)', ours: true, run: through(true), check: written },
    { name: 'fromSSE → pipeSSE, re-stringified', run: through(false), check: written },
    {
      name: 'fromSSE alone (parse-only floor)',
      run: () =>
        new Promise<number>((resolve, reject) => {
          let chunks = 0;
          fromSSE((signal) => fetchFn(CHAT_URL, { signal })).subscribe({ next: () => chunks++, error: reject, complete: () => resolve(chunks) });
        }),
      // Every chunk an event, plus `[DONE]`; the text is the wire text unchanged.
      check: (chunks) => ({ events: (chunks as number) + 1, length: wireLength }),
    },
    {
      name: 'raw byte pipe (no parsing)',
      run: async () => {
        const decoder = new TextDecoder();
        const counter = new EventCounter();
        const response = await fetchFn(CHAT_URL);
        const reader = response.body!.getReader();
        for (let read = await reader.read(); !read.done; read = await reader.read()) counter.add(decoder.decode(read.value, { stream: true }));
        return counter;
      },
      check: (counter) => ({ events: (counter as EventCounter).events, length: (counter as EventCounter).length }),
    },
  ];
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function startRedisServer(): Promise<{ url: string; port: number; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (piece: Buffer) => {
      out += piece.toString();
      if (out.includes('Ready to accept connections')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`redis-server exited (${code}): ${out}`)));
  });
  child.stdout!.resume();
  return { url: `redis://127.0.0.1:${port}`, port, child };
}

/** One Redis command over a raw socket (RESP), for INFO: the bench needs no client library of its own. */
async function redisInfoMemory(port: number): Promise<number> {
  const { connect } = await import('node:net');
  return new Promise<number>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write('*2\r\n$4\r\nINFO\r\n$6\r\nmemory\r\n'));
    let text = '';
    socket.on('data', (piece) => {
      text += piece.toString();
      const match = /used_memory:(\d+)/.exec(text);
      if (match) {
        socket.destroy();
        resolve(Number(match[1]));
      }
    });
    socket.on('error', reject);
  });
}

async function startRelayChild(upstream: string, store: string): Promise<{ url: string; stop(): Promise<void> }> {
  const { first, stop } = await startLongChild<{ url: string }>(['relay', upstream, store], 'the relay child');
  return { url: first.url, stop };
}

interface ConcurrentResult {
  firstChunkMs: number[];
  /** Streams that came back whole (ids in order, the whole reply, [DONE]). */
  whole: number;
  streams: number;
  redisBytes?: number;
}

/** What a failed request was: its message and, for `fetch failed`, the network error under it. */
function failureOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause as { code?: string; message?: string } | undefined;
  return cause === undefined ? error.message : `${error.message} (${cause.code ?? cause.message ?? 'no cause'})`;
}

/** Runs `n` streams at once, request i to `urls[i % urls.length]`, and checks each. */
async function concurrentStreams(urls: readonly string[], n: number, reply: string): Promise<ConcurrentResult> {
  const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'bench' }] });
  const firstChunkMs: number[] = [];
  const failures: string[] = [];
  const one = async (i: number): Promise<boolean> => {
    const start = performance.now();
    const response = await fetch(`${urls[i % urls.length]}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const streamId = response.headers.get('x-stream-id');
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    let first = true;
    for (let read = await reader.read(); !read.done; read = await reader.read()) {
      if (first) {
        firstChunkMs.push(performance.now() - start);
        first = false;
      }
      text += decoder.decode(read.value, { stream: true });
    }
    // Check: ids 0, 1, 2, … in order, the chunks' content is the whole reply, the end is [DONE].
    let content = '';
    let expected = 0;
    let lastData = '';
    for (const block of text.split('\n\n')) {
      if (block === '') continue;
      const [idLine, dataLine] = block.split('\n');
      if (idLine !== `id: ${streamId}:${expected}` || dataLine === undefined) return false;
      expected++;
      lastData = dataLine.slice(6);
      if (lastData === '[DONE]') continue;
      const chunk = JSON.parse(lastData) as { choices?: Array<{ delta?: { content?: string } }>; error?: { message?: string } };
      if (chunk.error !== undefined) {
        failures.push(chunk.error.message ?? 'error event');
        return false;
      }
      content += chunk.choices?.[0]?.delta?.content ?? '';
    }
    return lastData === '[DONE]' && content === reply;
  };
  // A request that fails outright (a refused or reset connection) is a stream lost, counted with
  // the others rather than ending the whole bench.
  const tried = (i: number): Promise<boolean> =>
    one(i).catch((error: unknown) => {
      failures.push(failureOf(error));
      return false;
    });
  const results = await Promise.all(Array.from({ length: n }, (_, i) => tried(i)));
  const whole = results.filter(Boolean).length;
  if (failures.length > 0) process.stderr.write(`  relay/concurrent: ${failures.length} streams failed, e.g. ${failures[0]}\n`);
  // The lost metric is a median over rounds: a round that lost streams says so here.
  if (n - whole > failures.length) process.stderr.write(`  relay/concurrent: ${n - whole - failures.length} streams came back incomplete or out of order\n`);
  return { firstChunkMs, whole, streams: n };
}

async function concurrentGroup(context: BenchContext): Promise<{ group?: GroupResult; facts: Record<string, string | number> }> {
  if (!existsSync(REDIS_SERVER)) {
    context.log('  relay/concurrent: skipped, /usr/bin/redis-server is not installed');
    return { facts: { 'relay/concurrent': 'skipped (no redis-server)' } };
  }
  const n = context.quick ? 100 : 1000;
  const replyBytes = context.quick ? 400 : 1200;
  const server = await startServerChild(replyBytes);
  const redis = await startRedisServer();
  const relays = await Promise.all([
    startRelayChild(server.baseURL, redis.url),
    startRelayChild(server.baseURL, redis.url),
    startRelayChild(server.baseURL, 'memory'),
  ]);
  const [a, b, memory] = relays as [typeof relays[0], typeof relays[0], typeof relays[0]];
  const metrics = (result: ConcurrentResult): Record<string, number> => ({
    lost: result.streams - result.whole,
    p50FirstChunkMs: percentile(result.firstChunkMs, 50),
    p99FirstChunkMs: percentile(result.firstChunkMs, 99),
    ...(result.redisBytes === undefined ? {} : { redisBytesPerStream: Math.round(result.redisBytes / result.streams) }),
  });
  // Both run the same streams; what each lost is a metric (and a target: none), so that a stream
  // lost under load is reported beside the times instead of ending the run.
  const check = (result: ConcurrentResult): unknown => ({ streams: result.streams });
  try {
    const group: Group = {
      id: 'relay/concurrent',
      case: 'relay',
      title: `${n} concurrent streams through the relay`,
      clock: 'wall',
      rounds: context.quick ? 1 : 3,
      warmup: 0,
      work: { amount: n, unit: 'streams' },
      note: 'Redis: two relay processes on one redis-server, clients alternating; memory: one relay process, MemoryChunkLog. Finished streams stay in Redis until their TTL; redisBytesPerStream is the growth of used_memory per finished stream. lost: streams that did not come back whole (ids 0…n in order, the whole reply, [DONE]), median over the rounds.',
      contenders: [
        {
          name: `Redis log, 2 relay processes ×${n} (ours)`,
          ours: true,
          check,
          metrics,
          run: async () => {
            const before = await redisInfoMemory(redis.port);
            const result = await concurrentStreams([a.url, b.url], n, server.reply);
            return { ...result, redisBytes: (await redisInfoMemory(redis.port)) - before };
          },
        },
        { name: `in-memory log, 1 relay process ×${n}`, check, metrics, run: () => concurrentStreams([memory.url], n, server.reply) },
      ],
    };
    return { group: await timeGroup(group, context.timing), facts: { 'concurrent streams': n, 'reply bytes': replyBytes } };
  } finally {
    await Promise.all(relays.map((relay) => relay.stop()));
    redis.child.kill('SIGTERM');
    await server.stop();
  }
}

export async function runRelay(context: BenchContext): Promise<CaseResult> {
  const tokens = context.quick ? 600 : 30_000;
  const { chunks } = realisticChunks(tokens, 1);
  const { bytes, pieces } = wirePieces(chunks);
  const perChunk: Group = {
    id: 'relay/per-chunk',
    case: 'relay',
    title: 'Relay: wire bytes → parsed chunks → wire text',
    contenders: perChunkContenders(fakeFetch(pieces), pieces, new TextDecoder().decode(Buffer.concat(pieces)).length),
    work: { amount: chunks.length, unit: 'chunks' },
  };
  const groups: GroupResult[] = [await timeGroup(perChunk, context.timing)];
  const concurrent = await concurrentGroup(context);
  if (concurrent.group !== undefined) groups.push(concurrent.group);
  return {
    case: 'relay',
    title: 'Relay',
    facts: { chunks: chunks.length, 'wire MB': +(bytes / 1048576).toFixed(2), ...concurrent.facts },
    groups,
  };
}
