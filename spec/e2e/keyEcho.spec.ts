/**
 * A server that echoes the caller's `Authorization` header in every error path it has (HTTP error
 * bodies, a status text, response headers, error events, error objects in data, malformed events):
 * no key may reach stdout, stderr, an error (its message, stack, fields, `JSON.stringify`,
 * `util.inspect`), or a relayed event, whichever way the stream is read.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import OpenAI from 'openai';
import { lastValueFrom } from 'rxjs';
import { main } from '../../lib/cli/cli.js';
import { toChatCompletion } from '../../lib/operators/toChatCompletion.js';
import { fromChatCompletion } from '../../lib/sources/fromChatCompletion.js';
import { fromSSE } from '../../lib/sources/fromSSE.js';
import { pipeSSE } from '../../lib/http/pipeSSE.js';
import { chunk, sseEvent } from '../helpers/chunk.js';
import { memoryIO } from '../cli/helpers.js';

const KEY = 'sk-proj-ECHOtestKEY0123456789abcdef';
/** The part of the key no redaction may let through (its tail is what identifies it). */
const SECRET = 'ECHOtestKEY0123456789';

const first = sseEvent(chunk({ role: 'assistant', content: 'Hel' }));

/** Each error path of the echoing server, answering with what the caller sent as `auth`. */
const CASES: Record<string, (auth: string, res: ServerResponse) => void> = {
  'http-401-json': (auth, res) => {
    res.writeHead(401, { 'content-type': 'application/json', 'x-echo': auth, 'x-request-id': `req ${auth}` });
    res.end(JSON.stringify({ error: { message: `Incorrect API key provided: ${auth}`, type: 'invalid_request_error', code: 'invalid_api_key', param: auth } }));
  },
  'http-500-nested': (auth, res) => {
    res.writeHead(500, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: 'upstream failed', details: { headers: { authorization: auth }, note: `sent ${auth}` } } }));
  },
  'http-502-text': (auth, res) => {
    res.writeHead(502, `Bad Gateway for ${auth}`, { 'content-type': 'text/plain' });
    res.end(`proxy error, request had Authorization: ${auth}`);
  },
  'error-event': (auth, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end(`${first}event: error\ndata: ${JSON.stringify({ error: { message: `failed for ${auth}`, type: 'server_error' } })}\n\n`);
  },
  'error-data': (auth, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end(`${first}data: ${JSON.stringify({ error: { message: `overloaded, key ${auth}`, type: 'server_error', code: auth } })}\n\n`);
  },
  'vllm-error': (auth, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end(`${first}data: ${JSON.stringify({ object: 'error', message: `crashed (${auth})`, type: 'InternalServerError', code: 500 })}\n\n`);
  },
  malformed: (auth, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end(`${first}data: {"choices": [oops ${auth}\n\n`);
  },
};

/** Everything an error shows, the ways a program or a log may look at it. */
function everything(error: unknown): string {
  let json = '';
  try {
    json = JSON.stringify(error) ?? '';
  } catch {
    json = '';
  }
  const e = error as { message?: unknown; stack?: unknown; partial?: unknown } | null;
  return [String(error), json, inspect(error, { depth: 8, showHidden: false }), String(e?.message), String(e?.stack), JSON.stringify(e?.partial)].join('\n');
}

async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected an error');
    },
    (error: unknown) => error,
  );
}

describe('a server that echoes the API key in every error path', () => {
  let server: Server;
  let origin: string;
  const seenAuth: string[] = [];

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      req.resume();
      const auth = req.headers.authorization ?? '';
      seenAuth.push(auth);
      const name = (req.url ?? '').split('/')[1] ?? '';
      const answer = CASES[name];
      if (answer === undefined) {
        res.writeHead(404).end();
        return;
      }
      answer(auth, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const names = Object.keys(CASES);

  it('should have been sent the key (so the echo is real)', async () => {
    await fetch(`${origin}/http-401-json/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${KEY}` } });
    expect(seenAuth.at(-1)).toBe(`Bearer ${KEY}`);
  });

  it.each(names)('fromSSE + toChatCompletion: %s ends in an error that shows no key', async (name) => {
    const error = await errorOf(
      lastValueFrom(
        fromSSE((signal) =>
          fetch(`${origin}/${name}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${KEY}` }, signal }),
        ).pipe(toChatCompletion()),
      ),
    );
    expect(everything(error)).not.toContain(SECRET);
  });

  it.each(names)('the openai SDK through fromChatCompletion: %s ends in an error that shows no key', async (name) => {
    const client = new OpenAI({ baseURL: `${origin}/${name}/v1`, apiKey: KEY, maxRetries: 0, logLevel: 'off' });
    const error = await errorOf(lastValueFrom(fromChatCompletion(client, { model: 'gpt-4o-mini', messages: [] }).pipe(toChatCompletion())));
    expect(error).toBeInstanceOf(Error);
    expect(everything(error)).not.toContain(SECRET);
  });

  it.each(names)('the chat command: %s prints no key on stdout or stderr', async (name) => {
    const run = memoryIO({ OPENAI_BASE_URL: `${origin}/${name}/v1`, OPENAI_API_KEY: KEY });
    const code = await main(['chat', 'Hi'], run.io);
    expect(code).not.toBe(0);
    expect(run.stderr).not.toBe('');
    expect(run.stdout + run.stderr).not.toContain(SECRET);
  });

  it.each(names)('a relay (pipeSSE of the SDK stream): %s writes no key in the relayed events', async (name) => {
    const client = new OpenAI({ baseURL: `${origin}/${name}/v1`, apiKey: KEY, maxRetries: 0, logLevel: 'off' });
    const relay = createServer((req, res) => {
      req.resume();
      pipeSSE(fromChatCompletion(client, { model: 'gpt-4o-mini', messages: [] }), res);
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    try {
      const response = await fetch(`http://127.0.0.1:${(relay.address() as AddressInfo).port}/`);
      const body = await response.text();
      expect(body).toMatch(/data: \{"error":/);
      expect(body).not.toContain('[DONE]');
      expect(body).not.toContain(SECRET);
    } finally {
      await new Promise<void>((resolve) => relay.close(() => resolve()));
    }
  });
});
