import { HTTPStatusError, StreamAPIError, ChatStreamError, IncompleteStreamError, SSEParseError, attachPartial } from '../lib/errors.js';
import { from } from 'rxjs';
import { chatChunks } from '../lib/protocol/chatChunks.js';
import { sseEvents } from '../lib/sse/sseEvents.js';
import type { ChatCompletionSnapshot } from '../lib/types.js';

/** The error a raw SSE text makes `sseEvents()` + `chatChunks()` raise (none: undefined). */
function streamError(text: string): unknown {
  let failure: unknown;
  from([text])
    .pipe(sseEvents(), chatChunks())
    .subscribe({ error: (error: unknown) => (failure = error) });
  return failure;
}

/** Everything an error shows: its JSON, message and stack. */
const shown = (error: Error): string => `${JSON.stringify(error)}\n${error.message}\n${String(error.stack)}`;

const snapshot = { id: 'c', object: 'chat.completion', created: 1, model: 'm', choices: [] } as ChatCompletionSnapshot;

describe('errors', () => {
  it('should give each class its literal name and keep the ChatStreamError base', () => {
    const errors = [
      new SSEParseError('bad', { reason: 'invalid-json', data: '{' }),
      new StreamAPIError({ message: 'boom', type: 'server_error', code: 'x' }),
      new HTTPStatusError({ status: 429, statusText: 'Too Many Requests', retryAfterMs: 1000 }),
      new IncompleteStreamError('cut', { reason: 'no-done' }),
    ];
    expect(errors.map((error) => error.name)).toEqual(['SSEParseError', 'StreamAPIError', 'HTTPStatusError', 'IncompleteStreamError']);
    for (const error of errors) expect(error).toBeInstanceOf(ChatStreamError);
  });

  it('should never carry a key or bearer token the server echoed', () => {
    const echoed = 'Invalid request: headers were {"authorization": "Bearer sk-proj-abcdef123456"} api_key=sk-live-999999';
    const http = new HTTPStatusError({ status: 400, error: { message: echoed } });
    const api = new StreamAPIError({ message: echoed });
    for (const error of [http, api]) {
      expect(error.message).not.toMatch(/sk-proj-abcdef|sk-live-9|Bearer sk/);
      expect(error.message).toContain('***');
    }
  });

  it('should cut the data of an SSEParseError to 1,000 characters', () => {
    const error = new SSEParseError('bad', { reason: 'invalid-json', data: 'x'.repeat(5000) });
    expect(error.data).toBe(`${'x'.repeat(1000)}…`);
    expect(new SSEParseError('bad', { reason: 'invalid-json', data: 'y'.repeat(1000) }).data).toBe('y'.repeat(1000));
  });

  it('should build a StreamAPIError from a body of any shape, never throwing', () => {
    const numeric = new StreamAPIError({ message: 42 } as never);
    expect(numeric.message).toBe('The server reported an error in the stream: {"message":42}');
    const nested = new StreamAPIError({ message: { text: 'x' }, type: 7, code: { a: 1 }, param: ['p'] } as never);
    expect(nested.message).toBe('The server reported an error in the stream: {"message":{"text":"x"},"type":7,"code":{"a":1},"param":["p"]}');
    expect([nested.type, nested.code, nested.param]).toEqual([null, null, null]);
    expect(nested.error).toEqual({ message: { text: 'x' }, type: 7, code: { a: 1 }, param: ['p'] });
    const typed = new StreamAPIError({ message: 'm', type: 't', code: 429, param: 'p' });
    expect([typed.message, typed.type, typed.code, typed.param]).toEqual(['m', 't', 429, 'p']);
    expect(new StreamAPIError({}).message).toBe('The server reported an error in the stream');
    expect(new StreamAPIError('').message).toBe('The server reported an error in the stream');
    expect(new StreamAPIError({ message: '' }).message).toBe('The server reported an error in the stream: {"message":""}');
    expect(new StreamAPIError(42 as never).message).toBe('The server reported an error in the stream: 42');
    expect(new StreamAPIError(null as never).message).toBe('The server reported an error in the stream');
    const long = new StreamAPIError({ message: null, detail: 'd'.repeat(5000) } as never);
    expect(long.message.length).toBeLessThan(400);
  });

  it('should raise a StreamAPIError, not a TypeError, for an error event whose message is not a string', () => {
    for (const text of [
      'data: {"error":{"message":42}}\n\n',
      'event: error\ndata: {"message":{"text":"x"}}\n\n',
      'data: {"error":{"message":null,"type":["t"],"code":true}}\n\n',
    ]) {
      const error = streamError(text) as StreamAPIError;
      expect(error).toBeInstanceOf(StreamAPIError);
      expect(error.message).toMatch(/^The server reported an error in the stream: \{/);
      expect([error.type, error.code, error.param]).toEqual([null, null, null]);
    }
  });

  it('should build an HTTPStatusError from an error object of any shape', () => {
    const odd = new HTTPStatusError({ status: 400, statusText: 'Bad Request', error: { message: { text: 'x' }, type: 3, code: false } as never });
    expect(odd.message).toBe('400 Bad Request: {"message":{"text":"x"},"type":3,"code":false}');
    expect([odd.type, odd.code]).toEqual([null, null]);
    const typed = new HTTPStatusError({ status: 429, error: { message: 'Slow down', type: 'rate', code: 'rate_limit' } });
    expect([typed.message, typed.type, typed.code]).toEqual(['429: Slow down', 'rate', 'rate_limit']);
    expect(new HTTPStatusError({ status: 500, error: {} }).message).toBe('500');
    expect(new HTTPStatusError({ status: 502, statusText: 'Bad Gateway', message: '502 Bad Gateway: <html>' }).message).toBe('502 Bad Gateway: <html>');
  });

  it('should redact every server string an error keeps, not only the message', () => {
    const echo = 'Authorization: Bearer sk-proj-SECRET0123456789, x-api-key: opaque-SECRET-1';
    const body = {
      message: `bad request, headers: ${echo}`,
      type: 'invalid_request_error: api_key=SECRET-2',
      param: 'Authorization: Basic U0VDUkVULTM=',
      code: 'sk-SECRET-4abcdef',
      request: { headers: { Authorization: 'Basic U0VDUkVULTM=', 'api-key': 'SECRET-5' }, lines: [echo] },
    };
    const api = new StreamAPIError(body);
    const http = new HTTPStatusError({ status: 401, statusText: 'Unauthorized sk-SECRET-6abc', error: body, requestId: 'req_1' });
    const parse = new SSEParseError('bad', { reason: 'invalid-json', data: `{"echo": "${echo}"` });
    for (const error of [api, http, parse]) {
      expect(shown(error)).not.toMatch(/SECRET|U0VDUkVULTM/);
      expect(JSON.stringify(error)).toContain('***');
    }
    expect(api.param).toBe('Authorization: ***');
    expect(api.type).toBe('invalid_request_error: api_key=***');
    expect(http.requestId).toBe('req_1');
    expect(body.request.headers.Authorization).toBe('Basic U0VDUkVULTM='); // the caller's object is not changed
    const text = new StreamAPIError(`upstream said ${echo}`);
    expect(shown(text)).not.toMatch(/SECRET/);
    expect(text.error).toBe('upstream said Authorization: Bearer ***, x-api-key: ***');
  });

  it('should redact the data of an SSEParseError before cutting it, and its message', () => {
    const data = `${'x'.repeat(985)} "Bearer sk-proj-SECRET0123456789"`;
    const error = new SSEParseError('bad', { reason: 'invalid-json', data });
    expect(error.data).toBe(`${'x'.repeat(985)} "Bearer ***"`);
    // JSON.parse quotes the start of the text in its message, and SSEParseError's message quotes that.
    const parsed = streamError('data: sk-SECRET0123456789\n\n') as SSEParseError;
    expect(parsed).toBeInstanceOf(SSEParseError);
    expect(parsed.message).toContain('sk-***');
    expect(shown(parsed)).not.toContain('SECRET');
  });

  it('should keep no request header on any error of ours', () => {
    const errors = [
      new HTTPStatusError({ status: 401, headers: { authorization: 'Bearer SECRET' } } as never),
      new StreamAPIError({ message: 'm' }, { headers: { authorization: 'Bearer SECRET' } } as never),
      new SSEParseError('bad', { reason: 'invalid-json', data: '{', headers: { authorization: 'Bearer SECRET' } } as never),
    ];
    for (const error of errors) {
      expect(shown(error)).not.toContain('SECRET');
      expect(Object.keys(error)).not.toContain('headers');
    }
  });

  it('should attach partial to toolkit errors and, non-enumerably, to foreign ones, keeping the first', () => {
    const ours = attachPartial(new IncompleteStreamError('cut', { reason: 'no-done' }), snapshot) as ChatStreamError;
    expect(ours.partial).toBe(snapshot);
    const foreign = attachPartial(new TypeError('terminated'), snapshot) as TypeError & { partial?: unknown };
    expect(foreign).toBeInstanceOf(TypeError);
    expect(foreign.partial).toBe(snapshot);
    expect(Object.keys(foreign)).not.toContain('partial');
    const other = { ...snapshot, id: 'other' };
    expect((attachPartial(ours, other) as ChatStreamError).partial).toBe(snapshot);
    expect(attachPartial('text', snapshot)).toBe('text');
    expect(attachPartial(Object.freeze(new Error('frozen')), snapshot)).toEqual(new Error('frozen'));
  });
});
