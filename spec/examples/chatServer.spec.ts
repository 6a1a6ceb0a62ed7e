/**
 * examples/chat-server over real HTTP against the local server: the relay streams, passes aborts
 * upstream, refuses bad requests, sends no CORS header, and serves only files inside its pages.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastValueFrom } from 'rxjs';
import { startChatServer, type ChatServer } from '../../examples/chat-server/server.js';
import { StreamAPIError } from '../../lib/errors.js';
import { toChatCompletion } from '../../lib/operators/toChatCompletion.js';
import { fromSSE } from '../../lib/sources/fromSSE.js';
import { startMockServer, type MockServer } from '../../lib/testing/startMockServer.js';
import { errorOf, until } from '../helpers/notebook.js';

describe('examples/chat-server', () => {
  let mock: MockServer;
  let server: ChatServer;
  let pages: string;

  beforeAll(async () => {
    mock = await startMockServer({
      timing: { timeToFirstTokenMs: 5, perTokenMs: 10, jitter: 0 },
      faults: (request) => (JSON.stringify(request.messages).includes('please fail') ? 'server-error' : undefined),
    });
    pages = mkdtempSync(join(tmpdir(), 'chat-server-pages-'));
    writeFileSync(join(pages, 'index.html'), '<!doctype html><title>page</title>');
    writeFileSync(join(pages, 'main.js'), 'console.log(1)');
    server = await startChatServer({ upstream: { baseURL: mock.baseURL, apiKey: 'sk-secret-upstream' }, pages: { '/': pages } });
  });

  afterAll(async () => {
    await server.close();
    await mock.close();
  });

  const chat = (content: string, signal?: AbortSignal) =>
    fetch(`${server.url}/api/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'http://evil.example' },
      body: JSON.stringify({ messages: [{ role: 'user', content }] }),
      ...(signal ? { signal } : {}),
    });

  it('should listen on 127.0.0.1 only', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('should relay the stream, with the usage, and no CORS header', async () => {
    const response = await chat('Count to 5');
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    const completion = await lastValueFrom(fromSSE(response).pipe(toChatCompletion()));
    expect(completion.choices[0]?.message.content).toBe('1, 2, 3, 4, 5.');
    expect(completion.usage?.completion_tokens).toBeGreaterThan(0);
  });

  it('should abort the upstream request when the page goes away', async () => {
    await until(() => mock.stats.active === 0, 'no open stream');
    const before = mock.stats.aborted;
    const controller = new AbortController();
    const response = await chat('Count to 200', controller.signal);
    const reader = response.body!.getReader();
    await reader.read();
    controller.abort();
    await until(() => mock.stats.aborted === before + 1, 'the upstream abort');
  });

  it('should send an upstream HTTP 500 as an error event, without the key', async () => {
    const response = await chat('Say hi, please fail');
    const text = await response.clone().text();
    expect(text).not.toContain('sk-secret-upstream');
    const error = await errorOf(lastValueFrom(fromSSE(response)));
    expect(error).toEqual(expect.any(StreamAPIError));
    expect(error.message).toContain('500');
  });

  it.each([
    ['not JSON', '{'],
    ['no messages', '{}'],
    ['an empty list', '{"messages":[]}'],
    ['a message without text', '{"messages":[{"role":"user","content":7}]}'],
    ['an unknown role', '{"messages":[{"role":"tool","content":"x"}]}'],
  ])('should answer 400 to a body with %s', async (_, body) => {
    const response = await fetch(`${server.url}/api/chat`, { method: 'POST', body });
    expect(response.status).toBe(400);
  });

  it('should answer 405 to a GET of /api/chat, and 413 to a huge body', async () => {
    expect((await fetch(`${server.url}/api/chat`)).status).toBe(405);
    const huge = await fetch(`${server.url}/api/chat`, { method: 'POST', body: 'x'.repeat(400 * 1024) }).then(
      (response) => response.status,
      () => 413, // the server may cut the upload short
    );
    expect(huge).toBe(413);
  });

  it('should serve the pages, index.html for unknown paths, and nothing outside them', async () => {
    const page = await fetch(`${server.url}/`);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toContain('<title>page</title>');
    expect((await fetch(`${server.url}/main.js`)).headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(await (await fetch(`${server.url}/some/route`)).text()).toContain('<title>page</title>');
    const escape = await fetch(`${server.url}/..%2f..%2fpackage.json`);
    expect(await escape.text()).not.toContain('"name"');
  });
});
