/** The resumable relay over real HTTP, with the local server as its upstream and the in-memory log. */
import OpenAI from 'openai';
import { lastValueFrom, toArray } from 'rxjs';
import { InvalidInputError, StreamAPIError } from '../../lib/errors.js';
import { contentDeltas } from '../../lib/operators/contentDeltas.js';
import { MemoryChunkLog } from '../../lib/relay/MemoryChunkLog.js';
import { relay } from '../../lib/relay/relay.js';
import { fromChatCompletion } from '../../lib/sources/fromChatCompletion.js';
import { fromSSE } from '../../lib/sources/fromSSE.js';
import { startMockServer, type MockServer } from '../../lib/testing/startMockServer.js';
import { answerText, chatRequest, readEvents, serveRelay, waitFor, type RunningRelay } from './relayHelpers.js';

const KEY = 'sk-relay-upstream-secret-0123456789';
const COUNT_TO_40 = 'Count to 40, with a comma between each number and no newlines. E.g., 1, 2, 3, ...';
const FULL_40 = Array.from({ length: 40 }, (_, i) => i + 1).join(', ') + '.';

describe('relay (in-memory log)', () => {
  let upstream: MockServer;
  let relayServer: RunningRelay;
  let log: MemoryChunkLog;

  beforeAll(async () => {
    upstream = await startMockServer({ apiKey: KEY, timing: { timeToFirstTokenMs: 5, perTokenMs: 8, jitter: 0 } });
  });
  afterAll(() => upstream.close());

  beforeEach(async () => {
    log = new MemoryChunkLog();
    relayServer = await serveRelay(
      relay({ upstream: { baseURL: upstream.baseURL, apiKey: KEY }, log, heartbeatMs: 50, heartbeatTimeoutMs: 400 }),
    );
  });
  afterEach(() => relayServer.close());

  it('should stream the upstream answer with an id per event and the stream id in x-stream-id', async () => {
    const { status, streamId, events, text } = await readEvents(`${relayServer.url}/v1/chat/completions`, chatRequest(COUNT_TO_40));
    expect(status).toBe(200);
    expect(streamId).toMatch(/^[0-9a-f]{32}$/);
    expect(events.map((event) => event.id)).toEqual(events.map((_, i) => `${streamId}:${i}`));
    expect(events.at(-1)?.data).toBe('[DONE]');
    expect(answerText(events)).toBe(FULL_40);
    expect(text).not.toContain(KEY);
  });

  it('should work for the openai SDK pointed at it (ids are ignored by its parser)', async () => {
    const client = new OpenAI({ baseURL: `${relayServer.url}/v1`, apiKey: 'not-the-upstream-key', maxRetries: 0 });
    const texts = await lastValueFrom(
      fromChatCompletion(client, { model: 'gpt-4o-mini', messages: [{ role: 'user', content: COUNT_TO_40 }] }).pipe(
        contentDeltas(),
        toArray(),
      ),
    );
    expect(texts.join('')).toBe(FULL_40);
  });

  it('should resume after a disconnect from Last-Event-ID with nothing missing or repeated, and not cancel the upstream', async () => {
    const before = upstream.stats;
    const first = await readEvents(`${relayServer.url}/v1/chat/completions`, chatRequest(COUNT_TO_40), 20);
    expect(first.events).toHaveLength(20);
    const last = first.events.at(-1)?.id as string;
    const rest = await readEvents(`${relayServer.url}/v1/streams/${first.streamId}`, { headers: { 'last-event-id': last } });
    expect(rest.status).toBe(200);
    expect(rest.events[0]?.id).toBe(`${first.streamId}:20`);
    const all = [...first.events, ...rest.events];
    expect(all.map((event) => event.id)).toEqual(all.map((_, i) => `${first.streamId}:${i}`));
    expect(answerText(all)).toBe(FULL_40);
    expect(all.at(-1)?.data).toBe('[DONE]');
    await waitFor(() => upstream.stats.completed === before.completed + 1, 2000, 'the upstream to complete');
    expect(upstream.stats.aborted).toBe(before.aborted);
    expect(upstream.stats.requests).toBe(before.requests + 1);
  });

  it('should replay a finished stream in full, and from the query lastEventId, until the TTL', async () => {
    const original = await readEvents(`${relayServer.url}/v1/chat/completions`, chatRequest('Count to 5'));
    const replay = await readEvents(`${relayServer.url}/v1/streams/${original.streamId}`);
    expect(replay.events).toEqual(original.events);
    const tail = await readEvents(`${relayServer.url}/v1/streams/${original.streamId}?lastEventId=${original.streamId}:2`);
    expect(tail.events).toEqual(original.events.slice(3));
    // A client that already had the last event gets it again, and the answer ends.
    const lastId = original.events.at(-1)?.id as string;
    const again = await readEvents(`${relayServer.url}/v1/streams/${original.streamId}`, { headers: { 'last-event-id': lastId } });
    expect(again.events).toEqual(original.events.slice(-1));
  });

  it('should answer 404 for an unknown stream and 400 for a malformed or foreign Last-Event-ID', async () => {
    const unknown = await fetch(`${relayServer.url}/v1/streams/nosuchstream`);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('not_found');
    const original = await readEvents(`${relayServer.url}/v1/chat/completions`, chatRequest('Count to 3'));
    for (const bad of ['garbage', `${original.streamId}:x`, `${original.streamId}:-1`, 'other:1', `${original.streamId}:999`]) {
      const response = await fetch(`${relayServer.url}/v1/streams/${original.streamId}`, { headers: { 'last-event-id': bad } });
      expect([bad, response.status]).toEqual([bad, 400]);
      await response.text();
    }
    expect((await fetch(`${relayServer.url}/v1/streams/nosuchstream`, { method: 'DELETE' })).status).toBe(404);
    expect((await fetch(`${relayServer.url}/v1/nothing`)).status).toBe(404);
    expect((await fetch(`${relayServer.url}/v1/chat/completions`, { method: 'POST', body: 'not json' })).status).toBe(400);
    expect((await fetch(`${relayServer.url}/v1/chat/completions`, { method: 'POST', body: '[1]' })).status).toBe(400);
  });

  it('should cancel the upstream on DELETE, ending every reader with the cancelled error event', async () => {
    const before = upstream.stats;
    const first = await readEvents(`${relayServer.url}/v1/chat/completions`, chatRequest(COUNT_TO_40), 5);
    const follower = readEvents(`${relayServer.url}/v1/streams/${first.streamId}`);
    const deleted = await fetch(`${relayServer.url}/v1/streams/${first.streamId}`, { method: 'DELETE' });
    expect(deleted.status).toBe(204);
    const followed = await follower;
    const end = JSON.parse(followed.events.at(-1)?.data as string) as { error: { code: string } };
    expect(end.error.code).toBe('cancelled');
    expect(answerText(followed.events).length).toBeLessThan(FULL_40.length);
    await waitFor(() => upstream.stats.aborted === before.aborted + 1, 2000, 'the upstream to see the abort');
    // The same last event on a later resume.
    const replay = await readEvents(`${relayServer.url}/v1/streams/${first.streamId}`);
    expect(replay.events).toEqual(followed.events);
  });

  it('should answer an upstream HTTP error before any chunk with its status, and keep the key out', async () => {
    const handler = relay({ upstream: { baseURL: upstream.baseURL, apiKey: 'sk-wrong-key-abcdefghijklmnop' } });
    const other = await serveRelay(handler);
    try {
      const response = await fetch(`${other.url}/v1/chat/completions`, chatRequest('Hi'));
      expect(response.status).toBe(401);
      const text = await response.text();
      expect(text).not.toContain('sk-wrong-key-abcdefghijklmnop');
      expect(text).not.toContain(KEY);
      expect(JSON.parse(text)).toEqual({ error: expect.objectContaining({ message: expect.any(String) }) });
    } finally {
      await other.close();
    }
  });

  it('should end with the upstream error event, and the same on a resume', async () => {
    const faulty = await startMockServer({ timing: 'instant', faults: ['error-mid-stream'] });
    const other = await serveRelay(relay({ upstream: { baseURL: faulty.baseURL } }));
    try {
      const first = await readEvents(`${other.url}/v1/chat/completions`, chatRequest('Count to 10'));
      expect(first.status).toBe(200);
      await expect(lastValueFrom(fromSSE(toAsync(first.text)))).rejects.toBeInstanceOf(StreamAPIError);
      const replay = await readEvents(`${other.url}/v1/streams/${first.streamId}`);
      expect(replay.events).toEqual(first.events);
    } finally {
      await other.close();
      await faulty.close();
    }
  });

  it('should end readers of a stream whose producer stopped heartbeating with a producer_lost error event', async () => {
    // A producer that wrote two events and died (no heartbeat after `create`).
    await log.create('orphan', 60_000);
    await log.append('orphan', [
      { sequence: 0, kind: 'chunk', data: '{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[]}' },
      { sequence: 1, kind: 'chunk', data: '{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[]}' },
    ]);
    const started = Date.now();
    const [a, b] = await Promise.all([
      readEvents(`${relayServer.url}/v1/streams/orphan`),
      readEvents(`${relayServer.url}/v1/streams/orphan`, { headers: { 'last-event-id': 'orphan:0' } }),
    ]);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(a.events.map((event) => event.id)).toEqual(['orphan:0', 'orphan:1', 'orphan:2']);
    expect(JSON.parse(a.events[2]?.data as string)).toEqual({ error: expect.objectContaining({ code: 'producer_lost' }) });
    // Written once, to the log: every reader gets the same event.
    expect(b.events).toEqual(a.events.slice(1));
  });

  it('should check its options', () => {
    expect(() => relay({ upstream: { baseURL: 'ftp://x' } })).toThrow(InvalidInputError);
    expect(() => relay({ upstream: { baseURL: 'http://x' }, heartbeatMs: 0 })).toThrow(InvalidInputError);
    expect(() => relay({ upstream: { baseURL: 'http://x' }, keepAliveMs: -1 })).toThrow(InvalidInputError);
  });
});

async function* toAsync(text: string): AsyncIterable<string> {
  yield text;
}
