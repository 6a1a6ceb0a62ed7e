/**
 * One rule for every source, the merge, contentDeltas and the writers: a data object with a
 * non-null `error`, or vLLM's and TGI's `{ "object": "error", … }`, is the server's error, a
 * `StreamAPIError`, never a chunk; a relay writes it as a redacted error event with no `[DONE]`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { from, lastValueFrom, of, toArray, type Observable } from 'rxjs';
import { ChatStreamError, StreamAPIError } from '../../lib/errors.js';
import { accumulate } from '../../lib/operators/accumulate.js';
import { contentDeltas } from '../../lib/operators/contentDeltas.js';
import { toChatCompletion } from '../../lib/operators/toChatCompletion.js';
import { errorEventBody, isServerError, serverErrorOf, toErrorBody } from '../../lib/protocol/serverError.js';
import { fromChatCompletion } from '../../lib/sources/fromChatCompletion.js';
import { fromChunks } from '../../lib/sources/fromChunks.js';
import { fromSSE } from '../../lib/sources/fromSSE.js';
import { toSSE } from '../../lib/http/toSSE.js';
import { toSSEText } from '../../lib/testing/toSSEText.js';
import type { ChatCompletionChunk } from '../../lib/types.js';
import { chunk, SSE_DONE, sseEvent } from '../helpers/chunk.js';
import { errorOf } from '../helpers/notebook.js';

const KEY = 'sk-proj-echoed0123456789abcdef';
/** vLLM's (and TGI's) error object, sent as a `data:` event in place of a chunk. */
const VLLM = { object: 'error', message: `The model crashed (request had Bearer ${KEY})`, type: 'InternalServerError', code: 500, param: null };
/** OpenAI's shape of an error inside a stream. */
const OPENAI = { error: { message: `Overloaded, key ${KEY}`, type: 'server_error', code: 'overloaded', param: null } };
const a = chunk({ role: 'assistant', content: 'Hel' });
const asChunk = (value: unknown): ChatCompletionChunk => value as ChatCompletionChunk;

async function readAll(stream: ReadableStream<Uint8Array>): Promise<string> {
  return new Response(stream).text();
}

function expectServerError(error: unknown, message: RegExp): void {
  expect(error).toBeInstanceOf(StreamAPIError);
  expect((error as Error).message).toMatch(message);
  expect(JSON.stringify(error)).not.toContain(KEY);
  expect((error as Error).message).not.toContain(KEY);
}

describe('the server error rule', () => {
  it('should tell an error object from a chunk', () => {
    expect(isServerError(VLLM)).toBe(true);
    expect(isServerError(OPENAI)).toBe(true);
    expect(isServerError({ error: '' })).toBe(true);
    expect(isServerError({ error: false })).toBe(true);
    expect(isServerError({ error: null, ...a })).toBe(false);
    expect(isServerError(a as unknown as Record<string, unknown>)).toBe(false);
    expect(serverErrorOf(a as unknown as Record<string, unknown>)).toBeUndefined();
    const fromVLLM = serverErrorOf(VLLM);
    expect(fromVLLM).toBeInstanceOf(StreamAPIError);
    expect(fromVLLM).toMatchObject({ type: 'InternalServerError', code: 500 });
  });

  it('should bound the message of an error value of any size or depth', () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 5000; i++) deep = [deep];
    const nested = toErrorBody(deep);
    expect(typeof nested === 'object' && nested.message).toMatch(/^The server reported an error: \[\[\[/);
    expect(JSON.stringify(nested).length).toBeLessThan(400);
    expect(new StreamAPIError(nested).message.length).toBeLessThan(400);

    const huge = toErrorBody(['x'.repeat(5_000_000)]);
    expect(JSON.stringify(huge).length).toBeLessThan(400);
    // An error object with a 5 MB message: what the error keeps is a bounded copy.
    const big = new StreamAPIError({ message: 'y'.repeat(5_000_000), detail: ['z'.repeat(5_000_000), 'w'.repeat(5_000_000)] });
    expect(big.message.length).toBeLessThanOrEqual(10_001);
    expect(JSON.stringify(big.error).length).toBeLessThan(70 * 1024);
  });

  it('should read an error event as its JSON object, the error inside it, or else its text', () => {
    expect(errorEventBody('')).toBe('The server sent an error event');
    expect(errorEventBody('Overloaded')).toBe('Overloaded');
    // JSON that is not an object: the data as it came, quotes and all.
    expect(errorEventBody('"oops"')).toBe('"oops"');
    expect(errorEventBody('42')).toBe('42');
    expect(errorEventBody('null')).toBe('null');
    expect(errorEventBody('[1]')).toBe('[1]');
    expect(errorEventBody('{"message":"m","type":"t"}')).toEqual({ message: 'm', type: 't' });
    expect(errorEventBody('{"error":{"message":"inner"},"message":"outer"}')).toEqual({ message: 'inner' });
    expect(errorEventBody('{"error":null,"message":"m"}')).toEqual({ error: null, message: 'm' });
    expect(errorEventBody('{"error":7}')).toEqual({ message: 'The server reported an error: 7' });
  });

  it('should cut a shown error value only past 300 characters, marking the cut', () => {
    const prefix = 'The server reported an error: ';
    // A blank string is shown as JSON: 298 spaces in quotes are exactly 300 characters.
    expect(toErrorBody(' '.repeat(298))).toEqual({ message: `${prefix}"${' '.repeat(298)}"` });
    expect(toErrorBody(' '.repeat(299))).toEqual({ message: `${prefix}"${' '.repeat(299)}…` });
    expect(toErrorBody(false)).toEqual({ message: `${prefix}false` });
    // A value JSON cannot show (a BigInt a client put in a chunk object): its type.
    expect(toErrorBody(10n)).toEqual({ message: `${prefix}bigint` });
  });

  it('should read an error event from deep or huge data without a stack overflow', () => {
    const deep = `{"error":${'['.repeat(5000)}1${']'.repeat(5000)}}`;
    const body = errorEventBody(deep);
    expect(JSON.stringify(body).length).toBeLessThan(400);
    const error = lastValueFrom(fromSSE(new Response(`data: ${deep}\n\n`)));
    return expect(error).rejects.toBeInstanceOf(StreamAPIError);
  });

  describe('in every source', () => {
    it('fromSSE: an error object in a data event', async () => {
      for (const value of [VLLM, OPENAI]) {
        const body = `${sseEvent(a)}${sseEvent(value)}${SSE_DONE}`;
        const error = await errorOf(lastValueFrom(fromSSE(new Response(body)).pipe(toChatCompletion())));
        expectServerError(error, /The model crashed|Overloaded/);
        expect(error.partial?.choices[0]?.message.content).toBe('Hel');
      }
    });

    it('fromChunks: an error object among the chunks', async () => {
      for (const value of [VLLM, OPENAI]) {
        const seen: ChatCompletionChunk[] = [];
        const error = await errorOf(
          new Promise((resolve, reject) => fromChunks([a, asChunk(value), a]).subscribe({ next: (c) => seen.push(c), error: reject, complete: () => resolve(seen) })),
        );
        expectServerError(error, /The model crashed|Overloaded/);
        expect(seen).toEqual([a]);
      }
    });

    it('fromChatCompletion: an error object a client yields as a chunk', async () => {
      const client = {
        chat: {
          completions: {
            create: async () => ({
              async *[Symbol.asyncIterator]() {
                yield a;
                yield asChunk(VLLM);
              },
            }),
          },
        },
      };
      const error = await errorOf(lastValueFrom(fromChatCompletion(client, { model: 'm', messages: [] }).pipe(toChatCompletion())));
      expectServerError(error, /The model crashed/);
      expect(error.partial?.choices[0]?.message.content).toBe('Hel');
    });

    describe('over HTTP, from a vLLM-like server', () => {
      let server: Server;
      let baseURL: string;
      beforeAll(async () => {
        server = createServer((req, res) => {
          req.resume();
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.end(`${sseEvent(a)}${sseEvent(VLLM)}${SSE_DONE}`);
        });
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
      });
      afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

      it('should be a StreamAPIError through the real openai SDK, never merged', async () => {
        const client = new OpenAI({ baseURL, apiKey: KEY, maxRetries: 0 });
        const error = await errorOf(lastValueFrom(fromChatCompletion(client, { model: 'm', messages: [] }).pipe(toChatCompletion())));
        expectServerError(error, /The model crashed/);
        expect(error.partial?.choices[0]?.message.content).toBe('Hel');
      });

      it('should be a StreamAPIError through fetch and fromSSE', async () => {
        const error = await errorOf(lastValueFrom(fromSSE((signal) => fetch(`${baseURL}/chat/completions`, { method: 'POST', signal }))));
        expectServerError(error, /The model crashed/);
      });
    });
  });

  describe('in the merge and contentDeltas', () => {
    it('should never merge an error object: toChatCompletion and accumulate raise it with partial', async () => {
      for (const value of [VLLM, OPENAI, { error: 'rate limited' }, { object: 'error' }]) {
        const error = await errorOf(lastValueFrom(from([a, asChunk(value)]).pipe(toChatCompletion())));
        expect(error).toBeInstanceOf(StreamAPIError);
        expect(error.partial?.choices[0]?.message.content).toBe('Hel');
        const snapshots = lastValueFrom(from([a, asChunk(value), a]).pipe(accumulate(), toArray()));
        await expect(snapshots).rejects.toBeInstanceOf(StreamAPIError);
      }
    });

    it('should carry no partial when the error came first', async () => {
      const error = await errorOf(lastValueFrom(from([asChunk(VLLM)]).pipe(toChatCompletion())));
      expect(error).toBeInstanceOf(StreamAPIError);
      expect(error.partial).toBeUndefined();
    });

    it('should make contentDeltas error, not skip it', async () => {
      const values: string[] = [];
      const error = await errorOf(
        new Promise((resolve, reject) =>
          from([a, asChunk(VLLM), a]).pipe(contentDeltas()).subscribe({ next: (v) => values.push(v), error: reject, complete: () => resolve(values) }),
        ),
      );
      expectServerError(error, /The model crashed/);
      expect(values).toEqual(['Hel']);
    });
  });

  describe('in the writers', () => {
    const redactedEvent = (message: string): string =>
      `data: ${JSON.stringify({ error: { message, type: 'InternalServerError', code: 500 } })}\n\n`;

    it('toSSE: a relayed error object is a redacted error event, with no [DONE] after it', async () => {
      const body = await readAll(toSSE(of(a, asChunk(VLLM), a) as Observable<ChatCompletionChunk>));
      expect(body).toBe(`${sseEvent(a)}${redactedEvent('The model crashed (request had Bearer ***')}`);
      expect(body).not.toContain(KEY);
      expect(body).not.toContain('[DONE]');
    });

    it('toSSEText: writes it the same way, so a test can script a failing server', () => {
      expect(toSSEText([a, asChunk(VLLM), a])).toBe(`${sseEvent(a)}${redactedEvent('The model crashed (request had Bearer ***')}`);
    });

    it('should read back what a relay wrote as the same StreamAPIError', async () => {
      const body = await readAll(toSSE(of(a, asChunk(OPENAI))));
      const error = await errorOf(lastValueFrom(fromSSE(new Response(body))));
      expect(error).toBeInstanceOf(ChatStreamError);
      expect(error).toMatchObject({ message: 'Overloaded, key sk-***', type: 'server_error', code: 'overloaded' });
    });
  });
});
