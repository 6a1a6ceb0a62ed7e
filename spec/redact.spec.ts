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

describe('redactValue: keys, shared objects and bounds', () => {
  it('should redact an object key that looks like a key, keeping both values when two keys redact alike', () => {
    const copy = redactValue({ 'sk-proj-abcdefGHIJ1234': { note: 'x' }, nested: { 'Bearer abcdef123': 2 } });
    expect(copy).toStrictEqual({ 'sk-***': { note: 'x' }, nested: { 'Bearer ***': 2 } });
    expect(JSON.stringify(copy)).not.toContain('sk-proj');

    const twins = redactValue({ 'sk-proj-aaaaaaaa': 1, 'sk-proj-bbbbbbbb': 2, 'sk-***': 3, 'sk-proj-cccccccc': 4 });
    expect(twins).toStrictEqual({ 'sk-***': 1, 'sk-*** (2)': 2, 'sk-*** (3)': 3, 'sk-*** (4)': 4 });
  });

  it('should copy a shared sub-object wherever it appears, and mark only a true cycle', () => {
    const shared = { note: 'Bearer abcdef123', list: [1, 2] };
    const body = { a: shared, b: { again: shared }, c: [shared, [shared]] };
    const copy = redactValue(body) as { a: unknown; b: { again: unknown }; c: [unknown, [unknown]] };
    const expected = { note: 'Bearer ***', list: [1, 2] };
    expect(copy).toStrictEqual({ a: expected, b: { again: expected }, c: [expected, [expected]] });
    expect(JSON.stringify(copy)).not.toContain('[Circular]');

    const node: Record<string, unknown> = { name: 'n' };
    node['children'] = [{ parent: node }, shared];
    expect(redactValue(node)).toStrictEqual({ name: 'n', children: [{ parent: '[Circular]' }, expected] });
  });

  it('should make writable, configurable, enumerable plain copies, leaving out what throws', () => {
    const copy = redactValue({ a: 'x', apiKey: undefined }) as Record<string, unknown>;
    expect(Object.getOwnPropertyDescriptor(copy, 'a')).toEqual({ value: 'x', writable: true, enumerable: true, configurable: true });
    expect('apiKey' in copy && copy['apiKey'] === undefined).toBe(true); // an absent credential is not shown as one
    const throwing = Object.defineProperty({ ok: 1 }, 'bad', {
      enumerable: true,
      get() {
        throw new Error('no');
      },
    });
    expect(Object.keys(redactValue(throwing) as object)).toEqual(['ok']);
  });

  it('should cut at the limits exactly: 1,000 values, 8 levels of objects, 64 KiB of text', () => {
    const thousand = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, i]));
    expect(Object.keys(redactValue(thousand) as object)).toHaveLength(1000);
    const more = redactValue({ ...thousand, last: 1 }) as Record<string, unknown>;
    expect(Object.keys(more)).toHaveLength(1001);
    expect(more['…']).toBe('[Truncated]');
    expect(more['last']).toBeUndefined();

    let deep: unknown = 'end';
    for (let i = 0; i < 10; i++) deep = { d: deep };
    expect(JSON.stringify(redactValue(deep))).toBe(`${'{"d":'.repeat(8)}"[Truncated]"${'}'.repeat(8)}`);
    let eight: unknown = 'end';
    for (let i = 0; i < 8; i++) eight = { d: eight };
    expect(JSON.stringify(redactValue(eight))).toBe(`${'{"d":'.repeat(8)}"end"${'}'.repeat(8)}`);

    // Exactly 64 KiB of text: the budget is spent, the next string is truncated, an empty one too.
    const exact = redactValue(['w'.repeat(10_000), 'w'.repeat(10_000), 'w'.repeat(10_000), 'w'.repeat(10_000), 'w'.repeat(10_000), 'w'.repeat(10_000), 'w'.repeat(64 * 1024 - 60_000), '', 'x']) as string[];
    expect(exact.slice(0, 7).every((text) => !text.endsWith('…'))).toBe(true);
    expect(exact.slice(7)).toEqual(['[Truncated]', '[Truncated]']);
  });
});

describe('redactAndCut and redactSecrets: edges', () => {
  it('should keep the gap after Bearer as it came (one space for white space)', () => {
    expect(redactSecrets('Bearer\tabcdef')).toBe('Bearer ***');
    expect(redactSecrets('Bearer \n abcdef')).toBe('Bearer ***');
    expect(redactSecrets('Bearer%20abcdef')).toBe('Bearer%20***');
    expect(redactSecrets('Bearer+abcdef')).toBe('Bearer+***');
  });

  it('should mask the whole value of exactly the credential keys', () => {
    expect(redactValue({ authorizationHint: 'visible', 'x-access-token': 't', access_token: 't', accessXtoken: 'visible', 'api-key': 'k', accessToken: 'opaque', apikey: 'opaque' })).toStrictEqual({
      authorizationHint: 'visible',
      'x-access-token': '***',
      access_token: '***',
      accessXtoken: 'visible',
      'api-key': '***',
      accessToken: '***',
      apikey: '***',
    });
  });

  it('should add no ellipsis to a text of exactly the limit, and cut one over it', () => {
    expect(redactAndCut('a'.repeat(10), 10)).toBe('a'.repeat(10));
    expect(redactAndCut('a'.repeat(11), 10)).toBe(`${'a'.repeat(10)}…`);
    // The first cut is at 2 × limit + 4096: a text of exactly that length is read whole.
    const bound = 2 * 10 + 4096;
    expect(redactAndCut(`${' '.repeat(bound - 1)}x`, 10)).toBe(`${' '.repeat(10)}…`);
    const whole = `${' '.repeat(bound - 20)}sk-proj-abcdefghijklmn`.slice(0, bound);
    expect(redactSecrets(whole).endsWith('sk-***')).toBe(true);
  });

  it('should drop the run of key characters a first cut ends in, and only that run', () => {
    // limit 20: the first cut is at 2 × 20 + 4096 = 4136 characters. The text before it shrinks
    // when redacted, so what the first cut kept comes within the limit: a key split there must
    // not show its first characters ('sk-pr'), and the space before it stays.
    const bound = 2 * 20 + 4096;
    const before = `sk-${'a'.repeat(bound - 3 - 6)}`;
    const text = `${before} sk-proj-abcdefghijklmnop and more`;
    expect(text.slice(0, bound).endsWith(' sk-pr')).toBe(true);
    expect(redactAndCut(text, 20)).toBe('sk-*** …');
  });

  it('should read a text of exactly the first cut whole: not cut, no ellipsis', () => {
    const bound = 2 * 20 + 4096;
    expect(redactAndCut(`sk-${'a'.repeat(bound - 3)}`, 20)).toBe('sk-***');
    expect(redactAndCut(`sk-${'a'.repeat(bound - 2)}`, 20)).toBe('sk-***…');
  });
});

describe('redactErrorInPlace: every field', () => {
  it('should redact the message even when it is not an own enumerable field, and leave other values', () => {
    const error = new Error('key sk-proj-abcdef123456');
    Object.defineProperty(error, 'stack', { value: 'no key here', writable: true, enumerable: false, configurable: true });
    redactErrorInPlace(error);
    expect(error.message).toBe('key sk-***');
    expect(error.stack).toBe('no key here');

    const body = { note: 'sk-proj-abcdef123456' };
    const other = Object.assign(new Error('x'), { count: 3, list: ['sk-proj-abcdef123456'], error: body, headers: { plain: 'sk-proj-abcdef123456' } });
    redactErrorInPlace(other);
    expect(other.count).toBe(3);
    expect(other.list).toEqual(['sk-proj-abcdef123456']); // only `error`, `headers` and strings are read
    expect(other.error).toEqual({ note: 'sk-***' });
    expect(other.error).not.toBe(body);
    expect(other.headers).toEqual({ plain: 'sk-proj-abcdef123456' }); // not a Headers: left as it is
  });

  it('should redact a stack that was already read (V8 formats it once, with the message of then)', () => {
    const error = new Error('key sk-proj-abcdef123456');
    expect(error.stack).toContain('sk-proj'); // formatted now, before the redaction
    redactErrorInPlace(error);
    expect(error.stack).not.toContain('sk-proj');
    expect(error.stack).toContain('key sk-***');
  });

  it('should keep the same Headers object when nothing in it needed redacting', () => {
    const headers = new Headers({ 'content-type': 'application/json' });
    const error = Object.assign(new Error('x'), { headers, error: null });
    redactErrorInPlace(error);
    expect(error.headers).toBe(headers);
    expect(error.error).toBeNull();
  });
});
