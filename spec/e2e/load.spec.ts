/**
 * Load and leaks, bounded and on 127.0.0.1 only: many subscribe/unsubscribe cycles at random
 * (seeded) points through both sources, and 200 concurrent streams through a pipeSSE relay with
 * some clients killed mid-stream. Figures are printed (console.log) for the record.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { Observable, type Subscription } from 'rxjs';
import { collectGarbage } from '../../bench/harness.js';
import { fromChatCompletion } from '../../lib/sources/fromChatCompletion.js';
import { fromSSE } from '../../lib/sources/fromSSE.js';
import { pipeSSE } from '../../lib/http/pipeSSE.js';
import { randomInt, seededRandom, type Random } from '../../lib/testing/random.js';
import { startMockServer, type MockServer } from '../../lib/testing/startMockServer.js';
import { loadEncoding } from '../../lib/tokens/loadEncoding.js';
import type { ChatCompletionChunk } from '../../lib/types.js';
import { until, user } from '../helpers/notebook.js';

/** The kinds of handles open now, counted (timers, sockets, …). */
function resources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

/** Waits until no more sockets, servers or timers are open than before the test. */
async function settled(baseline: Record<string, number>): Promise<void> {
  const kinds = ['TCPSocketWrap', 'TCPServerWrap', 'Timeout', 'Immediate'];
  const extra = (): string[] => kinds.filter((kind) => (resources()[kind] ?? 0) > (baseline[kind] ?? 0));
  try {
    await until(() => extra().length === 0, 'the handles of before', 5000);
  } catch {
    throw new Error(`handles left open: before ${JSON.stringify(baseline)}, now ${JSON.stringify(resources())}`);
  }
}

const heapMB = (): number => {
  collectGarbage();
  return process.memoryUsage().heapUsed / 1048576;
};

/** Where a cycle unsubscribes. */
type Point = 'sync' | 'microtask' | 'macrotask' | 'chunks' | 'end';

interface Cycle {
  point: Point;
  /** For `chunks`: unsubscribe after this many chunks. */
  k: number;
}

function plan(random: Random): Cycle {
  const r = random();
  // Most cycles end before the request is sent (cheap: ~0.5 ms); one in ten reads chunks over
  // HTTP (~5 ms of CPU for client and server together, on 2 shared cores).
  const point: Point = r < 0.5 ? 'sync' : r < 0.8 ? 'microtask' : r < 0.9 ? 'macrotask' : r < 0.97 ? 'chunks' : 'end';
  return { point, k: randomInt(random, 1, 20) };
}

/** What a cycle got to before it stopped. */
type Reached = 'none' | 'chunks' | 'complete' | 'error';

/** Subscribes, unsubscribes at the cycle's point, and resolves with how far it got. */
function cycle(source: Observable<ChatCompletionChunk>, { point, k }: Cycle): Promise<{ reached: Reached; chunks: number }> {
  return new Promise((resolve) => {
    let chunks = 0;
    let subscription: Subscription | undefined;
    let settled = false;
    const done = (reached: Reached): void => {
      if (settled) return;
      settled = true;
      subscription?.unsubscribe();
      resolve({ reached, chunks });
    };
    subscription = source.subscribe({
      next: () => {
        chunks++;
        if (point === 'chunks' && chunks >= k) done('chunks');
      },
      complete: () => done('complete'),
      error: () => done('error'),
    });
    if (settled) return;
    if (point === 'sync') done(chunks > 0 ? 'chunks' : 'none');
    else if (point === 'microtask') queueMicrotask(() => done(chunks > 0 ? 'chunks' : 'none'));
    else if (point === 'macrotask') setImmediate(() => done(chunks > 0 ? 'chunks' : 'none'));
  });
}

describe('load and leaks (127.0.0.1)', () => {
  beforeAll(() => loadEncoding('o200k_base'));

  it('should leave no handle, no active stream and a flat heap after 10,000 subscribe/unsubscribe cycles at random points', async () => {
    const baseline = resources();
    // 1 ms per token: a stream lasts ~25 ms, so an unsubscription after k chunks aborts it mid-way.
    const server = await startMockServer({ timing: { timeToFirstTokenMs: 0, perTokenMs: 1, jitter: 0 } });
    const client = new OpenAI({ baseURL: server.baseURL, apiKey: 'test-key', maxRetries: 0 });
    const body = { model: 'gpt-4o-mini', messages: user('Count to 10') };
    const sources = {
      fetch: fromSSE((signal) =>
        fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...body, stream: true }), signal }),
      ),
      sdk: fromChatCompletion(client, body),
    };
    const random = seededRandom(20_240_601);
    const CYCLES = 10_000;
    const PARALLEL = 50;
    const tally: Record<string, Record<string, number>> = {};
    let heapAfterWarmUp = 0;
    const started = performance.now();
    try {
      let next = 0;
      const worker = async (): Promise<void> => {
        for (let i = next++; i < CYCLES; i = next++) {
          const which = i % 2 === 0 ? 'fetch' : 'sdk';
          const planned = plan(random);
          const { reached } = await cycle(sources[which], planned);
          const key = `${which} ${planned.point}`;
          const row = (tally[key] ??= {});
          row[reached] = (row[reached] ?? 0) + 1;
          if (i === 1000) heapAfterWarmUp = heapMB();
        }
      };
      await Promise.all(Array.from({ length: PARALLEL }, worker));
      await until(() => server.stats.active === 0, 'no active stream on the server', 5000);
      const heapAtEnd = heapMB();
      const cyclesAt = (point: Point): number =>
        Object.entries(tally)
          .filter(([key]) => key.endsWith(` ${point}`))
          .reduce((sum, [, row]) => sum + Object.values(row).reduce((a, b) => a + b, 0), 0);
      const seconds = (performance.now() - started) / 1000;
      const stats = server.stats;
      console.log(
        `10,000 cycles in ${seconds.toFixed(1)} s; server: ${stats.requests} requests, ${stats.completed} completed, ${stats.aborted} aborted ` +
          `(of which ${stats.requests - cyclesAt('chunks') - cyclesAt('end')} by cycles that had ended before their first chunk); ` +
          `heap after GC ${heapAfterWarmUp.toFixed(1)} MB at cycle 1,000 → ${heapAtEnd.toFixed(1)} MB at the end\n` +
          Object.entries(tally)
            .sort()
            .map(([key, row]) => `  ${key.padEnd(16)} ${JSON.stringify(row)}`)
            .join('\n'),
      );
      expect(stats.active).toBe(0);
      expect(stats.requests).toBe(stats.completed + stats.aborted + stats.errors);
      // An unsubscription after k chunks (k ≤ 20 of ~25) aborts the stream on the server, mid-way.
      expect(stats.aborted).toBeGreaterThanOrEqual(cyclesAt('chunks') * 0.95);
      expect(stats.completed).toBeLessThanOrEqual(cyclesAt('end') + cyclesAt('chunks') * 0.05);
      // Every point was reached by some cycles: the test unsubscribed before, during and after the requests.
      const reached = (which: string, point: Point, what: Reached): number => tally[`${which} ${point}`]?.[what] ?? 0;
      for (const which of ['fetch', 'sdk']) {
        expect(reached(which, 'chunks', 'chunks')).toBeGreaterThan(250);
        expect(reached(which, 'end', 'complete')).toBeGreaterThan(100);
        expect(Object.values(tally[`${which} end`] ?? {}).reduce((a, b) => a + b, 0)).toBe(reached(which, 'end', 'complete'));
      }
      expect(heapAtEnd - heapAfterWarmUp).toBeLessThan(4);
    } finally {
      await server.close();
    }
    // Keep-alive sockets of the clients close with the server; then no socket, server or timer is left.
    await settled(baseline);
    // ~10 s on an idle machine, ~20 s alone on 2 shared cores, ~55 s inside a loaded full run.
  }, 120_000);

  it('should relay 200 concurrent streams byte for byte, and abort upstream every one whose client was killed', async () => {
    const baseline = resources();
    const upstream = await startMockServer({ timing: { timeToFirstTokenMs: 20, perTokenMs: 4, jitter: 0.2 } });
    /** What the upstream server sent for each relayed request: a direct request's bytes. */
    const direct = new Map<string, Promise<string>>();
    const client = new OpenAI({
      baseURL: upstream.baseURL,
      apiKey: 'test-key',
      maxRetries: 0,
      fetch: async (url: string | URL | Request, init?: RequestInit) => {
        const response = await fetch(url, init);
        const id = new Headers(init?.headers).get('x-relay-id');
        if (id === null || response.body === null) return response;
        const [forSDK, forTest] = response.body.tee();
        direct.set(id, new Response(forTest).text().catch(() => 'aborted'));
        return new Response(forSDK, { status: response.status, headers: response.headers });
      },
    });
    const relay: Server = createServer((req, res) => {
      const id = new URL(req.url ?? '/', 'http://relay').searchParams.get('id') ?? '';
      pipeSSE(
        fromChatCompletion(
          client,
          { model: 'gpt-4o-mini', messages: user('Count to 60'), stream_options: { include_usage: true } },
          { requestOptions: { headers: { 'x-relay-id': id } } },
        ),
        res,
      );
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    const relayURL = `http://127.0.0.1:${(relay.address() as AddressInfo).port}/`;
    const random = seededRandom(7);
    const N = 200;
    try {
      const clients = Array.from({ length: N }, async (_, i) => {
        const kill = random() < 0.3;
        const afterEvents = randomInt(random, 1, 5);
        const controller = new AbortController();
        const response = await fetch(`${relayURL}?id=${i}`, { signal: controller.signal });
        const reader = response.body!.getReader();
        const decoder = new TextDecoder();
        let text = '';
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          text += decoder.decode(value, { stream: true });
          if (kill && (text.match(/\n\n/g) ?? []).length >= afterEvents) {
            controller.abort();
            return { id: String(i), killed: true, text };
          }
        }
        return { id: String(i), killed: false, text };
      });
      const results = await Promise.all(clients);
      const killed = results.filter((r) => r.killed).length;
      await until(() => upstream.stats.active === 0, 'every upstream stream closed', 5000);
      const completed = results.filter((r) => !r.killed);
      let identical = 0;
      for (const result of completed) {
        const sent = await direct.get(result.id);
        expect(result.text).toBe(sent);
        expect(result.text.endsWith('data: [DONE]\n\n')).toBe(true);
        identical++;
      }
      console.log(
        `relay: ${N} streams, ${killed} clients killed mid-stream (${((killed / N) * 100).toFixed(0)} %), ` +
          `${identical} completed replies byte-identical to the upstream's; upstream stats ${JSON.stringify(upstream.stats)}`,
      );
      expect(killed).toBeGreaterThan(40);
      expect(upstream.stats).toMatchObject({ requests: N, completed: N - killed, aborted: killed, active: 0 });
    } finally {
      relay.closeAllConnections();
      await new Promise((resolve) => relay.close(resolve));
      await upstream.close();
    }
    await settled(baseline);
  }, 60_000);
});
