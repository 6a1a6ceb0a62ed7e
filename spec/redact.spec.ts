import { redactAndCut, redactSecrets, redactValue } from '../lib/redact.js';

describe('redactSecrets', () => {
  it('should keep redacting the forms it always did', () => {
    expect(redactSecrets('key sk-proj-abcdef123456 here')).toBe('key sk-*** here');
    expect(redactSecrets('Header was Bearer sk-live-123456 and api_key=hunter2')).toBe('Header was Bearer *** and api_key=***');
    expect(redactSecrets('{"authorization": "Bearer abc.def-ghi"}')).toBe('{"authorization": "Bearer ***"}');
    expect(redactSecrets('Authorization: Bearer abc.def-ghi, then')).toBe('Authorization: Bearer ***, then');
    expect(redactSecrets('access_token=abc123&x=1')).toBe('access_token=***&x=1');
    expect(redactSecrets('the api key is invalid')).toBe('the api key is invalid');
  });

  it('should redact an Authorization value of any scheme whole, scheme and credential', () => {
    expect(redactSecrets('Authorization: Basic dXNlcjpzM2NyZXQ=')).toBe('Authorization: ***');
    expect(redactSecrets('{"authorization":"Basic dXNlcjpzM2NyZXQ="}')).toBe('{"authorization":"***"}');
    expect(redactSecrets('Proxy-Authorization: Digest-ish abc123\nHost: x')).toBe('Proxy-Authorization: ***\nHost: x');
    expect(redactSecrets('authorization=Token abc123; next')).toBe('authorization=***; next');
    expect(redactSecrets('Authorization: sk_live_opaque_credential')).toBe('Authorization: ***');
    expect(redactSecrets('<td>Authorization: Basic dXNl</td>')).toBe('<td>Authorization: ***</td>');
    expect(redactSecrets('{\\"authorization\\": \\"Basic dXNl\\"}')).toBe('{\\"authorization\\": \\"***\\"}');
  });

  it('should redact URL-encoded forms', () => {
    expect(redactSecrets('?authorization=Bearer%20abcdef0123456789&model=x')).toBe('?authorization=Bearer%20***&model=x');
    expect(redactSecrets('?authorization=Basic%20dXNlcjpzM2NyZXQ%3D&x=1')).toBe('?authorization=***&x=1');
    expect(redactSecrets('?auth=Bearer+abcdef0123456789')).toBe('?auth=Bearer+***');
    expect(redactSecrets('headers=Authorization%3A%20Basic%20dXNl')).toBe('headers=Authorization%3A%20***');
    expect(redactSecrets('?api_key=abc%2Fdef&x=1')).toBe('?api_key=***&x=1');
  });

  it('should redact x-api-key, api-key and apiKey forms', () => {
    expect(redactSecrets('x-api-key: 0123abcd')).toBe('x-api-key: ***');
    expect(redactSecrets('api-key: 0123abcd')).toBe('api-key: ***');
    expect(redactSecrets('{"apiKey":"0123abcd","model":"m"}')).toBe('{"apiKey":"***","model":"m"}');
    expect(redactSecrets("{ openaiApiKey: '0123abcd' }")).toBe("{ openaiApiKey: '***' }");
  });

  it('should run in linear time on adversarial input', () => {
    const inputs = [
      'authorization:'.repeat(80_000),
      `authorization${' '.repeat(1_000_000)}`,
      `authorization: ${' '.repeat(1_000_000)}`,
      'authorization: a '.repeat(60_000),
      'Authorization: Basic%20'.repeat(45_000),
      'api_key'.repeat(150_000),
      `api_key=${'%20'.repeat(330_000)}`,
      `Bearer${' '.repeat(1_000_000)}`,
      'Bearer%20'.repeat(110_000),
      'sk-'.repeat(330_000),
      `"apiKey":${'\\"'.repeat(500_000)}`,
      'a'.repeat(1_000_000),
    ];
    for (const input of inputs) {
      const started = performance.now();
      redactSecrets(input);
      expect(performance.now() - started).toBeLessThan(1000);
    }
  });
});

describe('redactAndCut', () => {
  it('should redact before cutting, so a key at the cut is not half-shown', () => {
    const text = `${'x'.repeat(990)} sk-proj-abcdefghijklmnop`;
    const cut = redactAndCut(text, 1000);
    expect(cut).toBe(`${'x'.repeat(990)} sk-***`);
    expect(redactAndCut('y'.repeat(20), 10)).toBe(`${'y'.repeat(10)}…`);
  });
});

describe('redactValue', () => {
  it('should copy plain objects and arrays with every string redacted, keeping other values', () => {
    const body = {
      message: 'bad key sk-proj-abcdef123456',
      code: 401,
      ok: false,
      nothing: null,
      nested: { headers: ['Authorization: Basic dXNlcjpzM2NyZXQ='], deeper: { note: 'Bearer tok-123456' } },
    };
    const copy = redactValue(body);
    expect(copy).toEqual({
      message: 'bad key sk-***',
      code: 401,
      ok: false,
      nothing: null,
      nested: { headers: ['Authorization: ***'], deeper: { note: 'Bearer ***' } },
    });
    expect(copy).not.toBe(body);
    expect(body.message).toBe('bad key sk-proj-abcdef123456'); // the input is not changed
  });

  it('should mask the whole value of a credential key', () => {
    const copy = redactValue({ headers: { Authorization: 'Basic dXNl', 'x-api-key': 'opaque', apiKey: { v: 1 }, api_key: null } });
    expect(copy).toEqual({ headers: { Authorization: '***', 'x-api-key': '***', apiKey: '***', api_key: null } });
  });

  it('should survive cycles, depth, size, throwing getters and __proto__ keys', () => {
    const cyclic: Record<string, unknown> = { message: 'sk-proj-abcdef123456' };
    cyclic['self'] = cyclic;
    expect(redactValue(cyclic)).toEqual({ message: 'sk-***', self: '[Circular]' });

    let deep: unknown = 'Bearer abcdef';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(JSON.stringify(redactValue(deep))).toBe(`${'['.repeat(8)}"[Truncated]"${']'.repeat(8)}`);

    const wide = redactValue(Array.from({ length: 100_000 }, () => 'sk-abcdef')) as unknown[];
    expect(wide.length).toBe(1001);
    expect(wide[0]).toBe('sk-***');
    expect(wide[1000]).toBe('[Truncated]');

    const long = redactValue(`sk-abcdefgh ${'z'.repeat(50_000)}`) as string;
    expect(long.startsWith('sk-*** zzz')).toBe(true);
    expect(long.length).toBe(10_001);

    const throwing = Object.defineProperty({ ok: 1 }, 'bad', {
      enumerable: true,
      get() {
        throw new Error('no');
      },
    });
    expect(redactValue(throwing)).toEqual({ ok: 1 });

    const revocable = Proxy.revocable({}, {});
    revocable.revoke();
    expect(redactValue({ p: revocable.proxy })).toEqual({ p: '[Unreadable]' });

    const parsed = redactValue(JSON.parse('{"__proto__": {"polluted": "sk-abcdefgh"}}')) as Record<string, unknown>;
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(parsed, '__proto__')?.value).toEqual({ polluted: 'sk-***' });
  });
});
