/**
 * The recipes of docs/pipelines.md, compiled from examples/pipelines/ and run against the local
 * server, so that the code the docs show cannot rot.
 */
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { config } from 'rxjs';
import { startMeteringRelay, type LedgerEntry } from '../../examples/pipelines/meteringRelay.js';
import { runBatchJob } from '../../examples/pipelines/batchJob.js';
import { ask } from '../../examples/pipelines/resilientService.js';
import { startMockServer, type MockServer, type MockServerOptions } from '../../lib/testing/index.js';
import { until } from '../helpers/notebook.js';

async function withServer<T>(options: MockServerOptions, body: (server: MockServer, client: OpenAI) => Promise<T>): Promise<T> {
  const server = await startMockServer(options);
  try {
    return await body(server, new OpenAI({ baseURL: server.baseURL, apiKey: 'test-key', maxRetries: 0 }));
  } finally {
    await server.close();
  }
}

describe('docs/pipelines.md recipes', () => {
  afterEach(() => {
    config.onUnhandledError = null;
  });

  it('a metering relay: bills a finished stream and a disconnected one, once each', async () => {
    await withServer({ timing: { timeToFirstTokenMs: 5, perTokenMs: 5, jitter: 0 } }, async (server, client) => {
      const ledger: LedgerEntry[] = [];
      const relay = startMeteringRelay(client, (entry) => ledger.push(entry));
      await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
      const url = `http://127.0.0.1:${(relay.address() as AddressInfo).port}/`;
      try {
        const post = (user: string, content: string, signal?: AbortSignal) =>
          fetch(url, { method: 'POST', headers: { 'x-user': user }, body: JSON.stringify({ messages: [{ role: 'user', content }] }), ...(signal ? { signal } : {}) });

        const whole = await (await post('ada', 'Count to 3')).text();
        expect(whole.endsWith('data: [DONE]\n\n')).toBe(true);

        const controller = new AbortController();
        const reader = (await post('bob', 'Count to 500', controller.signal)).body!.getReader();
        await reader.read();
        await reader.read();
        controller.abort();

        await until(() => ledger.length === 2 && server.stats.active === 0, 'two ledger entries', 2000);
        const byUser = Object.fromEntries(ledger.map((entry) => [entry.user, entry.usage]));
        expect(byUser['ada']).toMatchObject({ ending: 'complete', estimated: true });
        expect(byUser['bob']).toMatchObject({ ending: 'unsubscribe', estimated: true });
        expect(byUser['bob']!.completion_tokens).toBeGreaterThan(0);
        expect(byUser['bob']!.completion_tokens).toBeLessThan(500);
      } finally {
        relay.closeAllConnections();
        await new Promise((resolve) => relay.close(resolve));
      }
    });
  });

  it('a batch job: answers every request within the budgets, retrying a 500 before output', async () => {
    await withServer({ timing: 'instant', faults: ['server-error'] }, async (server, client) => {
      const lines: string[] = [];
      const topics = ['Paris', 'Tehran', 'Lima', 'Oslo', 'Quito', 'Hanoi'];
      const summary = await runBatchJob(client, topics, (line) => lines.push(line));
      expect(summary).toMatchObject({ answered: 6, failed: [] });
      expect(summary.tokens).toBeGreaterThan(0);
      expect(lines.map((line) => (JSON.parse(line) as { index: number }).index).sort()).toEqual([0, 1, 2, 3, 4, 5]);
      expect(server.stats).toMatchObject({ requests: 7, errors: 1, completed: 6 });
    });
  });

  it('a service that must not hang: waits out a 429, and hands over what came when a stream breaks', async () => {
    await withServer({ timing: 'instant', faults: ['rate-limit', null, 'error-mid-stream'] }, async (server, client) => {
      expect(await ask(client, 'Count to 3')).toEqual({ text: '1, 2, 3.', complete: true });
      expect(await ask(client, 'Count to 10')).toEqual({ text: '1,', complete: false });
      expect(server.stats.requests).toBe(3);
    });
  });
});
