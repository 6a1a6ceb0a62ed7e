import { HTTPStatusError, StreamAPIError, ChatStreamError, IncompleteStreamError, SSEParseError, attachPartial } from '../lib/errors.js';
import type { ChatCompletionSnapshot } from '../lib/types.js';

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
    expect(error.data.length).toBeLessThanOrEqual(1001);
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
