import { redactAndCut, redactErrorInPlace, redactSecrets, redactValue } from '../lib/redact.js';

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

  it('should read a bounded text whatever the size, never showing a key cut at the bound', () => {
    const limit = 1000;
    const bound = 2 * limit + 4096;
    // Keys shrink when redacted, pulling later text forward: a key that the first cut splits must
    // not show in part, whatever comes before it.
    for (const before of [0, 10, 26]) {
      // Each key shrinks by ~200 characters: 26 of them pull the first cut into the first 1,000.
      const keys = ` sk-${'k'.repeat(200)}`.repeat(before);
      const pad = 'x'.repeat(bound - keys.length - 6);
      const text = `${keys} ${pad} sk-proj-SECRETSECRETSECRET ${'tail '.repeat(1_000_000)}`;
      // Whole, it is a key like any other.
      expect(redactSecrets(text.slice(0, bound + 30))).toContain(' sk-*** tail');
      // The first cut leaves `sk-p`, which no pattern takes for a key.
      expect(text.slice(bound - 4, bound)).toBe('sk-p');
      const cut = redactAndCut(text, limit);
      expect(cut).not.toMatch(/sk-p|SECRET|kkk/);
      expect(cut.length).toBeLessThanOrEqual(limit + 1);
    }
    // Megabytes are cut before the redaction reads them.
    const huge = redactAndCut(`Bearer ${'a'.repeat(5_000_000)}`, 100);
    expect(huge).toBe('Bearer ***…');
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

    // 64 KiB of text in all: a body of megabytes keeps at most that much.
    const many = redactValue(Array.from({ length: 500 }, () => 'w'.repeat(10_000))) as string[];
    const kept = many.filter((text) => text !== '[Truncated]').reduce((total, text) => total + text.length, 0);
    expect(kept).toBeLessThanOrEqual(64 * 1024 + 10);
    expect(kept).toBeGreaterThan(60 * 1024);
    expect(many.length).toBe(500);
    expect(many[499]).toBe('[Truncated]');

    // A sub-object shared by two branches is copied twice, not taken for a cycle; keys that look
    // like credentials are redacted like values.
    const shared = { note: 'Bearer abcdef123' };
    expect(redactValue({ x: shared, y: [shared, shared] })).toEqual({
      x: { note: 'Bearer ***' },
      y: [{ note: 'Bearer ***' }, { note: 'Bearer ***' }],
    });
    expect(redactValue({ 'sk-proj-abcdefgh1234': 1, 'Bearer abcdefgh': 2 })).toEqual({ 'sk-***': 1, 'Bearer ***': 2 });

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

describe('redactErrorInPlace', () => {
  class APIError extends Error {
    constructor(
      readonly status: number,
      readonly error: unknown,
      message: string,
    ) {
      super(message);
    }
  }

  it("should redact another library's error in place, keeping its class and other fields", () => {
    const body = { message: 'Incorrect API key provided: sk-proj-abcdef123456', echo: { authorization: 'Bearer sk-proj-abcdef123456' } };
    const error = new APIError(401, body, '401 Incorrect API key provided: sk-proj-abcdef123456');
    const same = redactErrorInPlace(error);
    expect(same).toBe(error);
    expect(error).toBeInstanceOf(APIError);
    expect(error.status).toBe(401);
    expect(error.message).toBe('401 Incorrect API key provided: sk-***');
    expect(error.stack).not.toContain('sk-proj');
    expect(error.error).toEqual({ message: 'Incorrect API key provided: sk-***', echo: { authorization: '***' } });
    expect(JSON.stringify(error)).not.toContain('sk-proj');
  });

  it('should redact every own string field and the response headers, keeping Headers a Headers', () => {
    const error = Object.assign(new Error('401'), {
      requestID: 'req Bearer sk-proj-abcdef123456',
      code: 'sk-proj-abcdef123456',
      headers: new Headers({ 'x-echo': 'Bearer sk-proj-abcdef123456', 'content-type': 'application/json' }),
      status: 401,
    });
    redactErrorInPlace(error);
    expect(error.requestID).toBe('req Bearer ***');
    expect(error.code).toBe('sk-***');
    expect(error.headers).toBeInstanceOf(Headers);
    expect(error.headers.get('x-echo')).toBe('Bearer ***');
    expect(error.headers.get('content-type')).toBe('application/json');
    expect(error.status).toBe(401);
  });

  it('should leave what it cannot write, and values that are not objects', () => {
    const frozen = Object.freeze(new Error('sk-proj-abcdef123456'));
    expect(redactErrorInPlace(frozen).message).toBe('sk-proj-abcdef123456');
    expect(redactErrorInPlace('sk-proj-abcdef123456')).toBe('sk-proj-abcdef123456');
    expect(redactErrorInPlace(null)).toBe(null);
  });
});
