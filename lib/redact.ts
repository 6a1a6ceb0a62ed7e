/** A credential: stops at whitespace, quotes, a backslash (escaped JSON), `&`, `,`, `;` and `<`, `>` (markup). */
const TOKEN = String.raw`[^\s"'\\&,;<>]+`;
/** Between `Bearer` and its token: white space, or `%20` and `+` in a URL. */
const GAP = String.raw`(?:\s+|%20|\+)`;
/** Between another scheme and its credential: the same, on one line. */
const SCHEME_GAP = String.raw`(?:[ \t]+|%20|\+)`;
/** Between a name and its value: `: `, `=`, `": "` (also escaped, `\": \"`), `%3A`, `%3D`. */
const SEPARATOR = String.raw`(\\?["']?\s*(?:[:=]|%3[ad])(?:\s|%20)*\\?["']?)`;
/** A `Bearer …` value is left to its own pattern, so it reads `Authorization: Bearer ***`. */
const NOT_BEARER = String.raw`(?!Bearer${GAP})`;

/**
 * Patterns that look like credentials: OpenAI-style keys, bearer tokens, `Authorization` values
 * (any scheme: `Basic dXNl…` goes whole), `api_key=`, `x-api-key:`, `api-key:`, `"apiKey": "…"`,
 * `access_token=`, plain or URL-encoded. Each is linear-time: a literal start, then runs of
 * disjoint character classes (no nested quantifiers), so no input makes them backtrack badly.
 */
const SECRET_PATTERNS: ReadonlyArray<[RegExp, string | ((match: string, ...groups: string[]) => string)]> = [
  [/\bsk-[A-Za-z0-9_-]{4,}/g, 'sk-***'],
  [new RegExp(String.raw`\bBearer(${GAP})${TOKEN}`, 'gi'), (_match, gap) => `Bearer${/^\s/.test(gap ?? '') ? ' ' : gap}***`],
  // The whole value: an optional scheme word (`Basic`, `Digest`, anything) and the credential.
  [
    new RegExp(String.raw`\b((?:proxy-)?authorization)${SEPARATOR}${NOT_BEARER}(?:[A-Za-z][A-Za-z0-9-]*${SCHEME_GAP}(?=[^\s"'\\&,;<>]))?${TOKEN}`, 'gi'),
    '$1$2***',
  ],
  // No word boundary before the name, so `openaiApiKey` and `x-api-key` match too.
  [new RegExp(String.raw`(api[_-]?key|access[_-]?token)${SEPARATOR}${NOT_BEARER}${TOKEN}`, 'gi'), '$1$2***'],
];

/**
 * Replaces anything that looks like a key or a token with `***`: used on every text that comes
 * from a server or an upstream error before it reaches a message, a log or the wire.
 * @internal
 */
export function redactSecrets(text: string): string {
  let result = text;
  for (const [pattern, replacement] of SECRET_PATTERNS) {
    result = typeof replacement === 'string' ? result.replace(pattern, replacement) : result.replace(pattern, replacement);
  }
  return result;
}

/** Object keys whose whole value is a credential (`{ "Authorization": "Basic dXNl…" }`). */
const SECRET_KEY = /(?:authorization|api[_-]?key|access[_-]?token)$/i;

/** Limits of {@link redactValue}: how deep, how many values, how long a string, how much text in all. */
const MAX_DEPTH = 8;
const MAX_VALUES = 1000;
const MAX_STRING = 10_000;
const MAX_TEXT = 64 * 1024;
/** Marks what {@link redactValue} left out. */
const TRUNCATED = '[Truncated]';

/**
 * A copy of a value with every string in it redacted (see {@link redactSecrets}): plain objects
 * and arrays are copied (an object as its own enumerable properties, its keys redacted like
 * strings, the value of a key such as
 * `authorization` or `apiKey` replaced by `***` whole), other values are kept. Bounded: 8 levels,
 * 1,000 values (the rest replaced by `'[Truncated]'`), 10,000 characters a string and 64 KiB of
 * text in all (redacted, then cut); a cycle becomes `'[Circular]'` (only a true cycle: an
 * object reached twice through different branches is copied twice), a property that throws when
 * read is left out. Never throws. Used on the server's error bodies before an error keeps them, so
 * a body of megabytes costs no more than 64 KiB.
 * @internal
 */
export function redactValue(value: unknown): unknown {
  return copyRedacted(value, 0, new Set<object>(), { values: 0, text: MAX_TEXT });
}

/** Characters that end a credential (see `TOKEN`): what is not one of these may be part of a key. */
const TOKEN_END = /[\s"'\\&,;<>]/;
/** How much of a cut text's last run of credential characters is dropped: more than any key's tail. */
const CUT_TAIL = 512;

/** `text` without the run of credential characters (at most {@link CUT_TAIL}) it ends with. */
function dropCutTail(text: string): string {
  let end = text.length;
  const stop = Math.max(0, end - CUT_TAIL);
  while (end > stop && !TOKEN_END.test(text.charAt(end - 1))) end--;
  return text.slice(0, end);
}

/**
 * Redacts, then cuts to `limit` characters, so a key split by the cut is not half-shown. A long
 * text is first cut well beyond `limit` (and the run of credential characters at that first cut
 * dropped, since it may be part of a key), so the redaction reads a bounded text whatever its size.
 */
export function redactAndCut(text: string, limit: number): string {
  const bound = 2 * limit + 4096;
  const bounded = text.length > bound ? dropCutTail(text.slice(0, bound)) : text;
  const redacted = redactSecrets(bounded);
  return redacted.length > limit || bounded !== text ? `${redacted.slice(0, limit)}…` : redacted;
}

function copyRedacted(value: unknown, depth: number, ancestors: Set<object>, budget: { values: number; text: number }): unknown {
  if (typeof value === 'string') {
    if (budget.text <= 0) return TRUNCATED;
    const copy = redactAndCut(value, Math.min(MAX_STRING, budget.text));
    budget.text -= copy.length;
    return copy;
  }
  if (value === null || typeof value !== 'object') return value;
  if (ancestors.has(value)) return '[Circular]';
  if (depth >= MAX_DEPTH) return TRUNCATED;
  ancestors.add(value);
  try {
    if (Array.isArray(value)) {
      const copy: unknown[] = [];
      const length = value.length;
      for (let index = 0; index < length; index++) {
        if (++budget.values > MAX_VALUES) {
          copy.push(TRUNCATED);
          break;
        }
        copy.push(copyRedacted(value[index], depth + 1, ancestors, budget));
      }
      return copy;
    }
    const copy: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      if (++budget.values > MAX_VALUES) {
        define(copy, '…', TRUNCATED);
        break;
      }
      let item: unknown;
      try {
        item = (value as Record<string, unknown>)[key];
      } catch {
        continue;
      }
      const secret = SECRET_KEY.test(key) && item !== null && item !== undefined;
      define(copy, copyKey(copy, key), secret ? '***' : copyRedacted(item, depth + 1, ancestors, budget));
    }
    return copy;
  } catch {
    // A proxy whose traps throw, a revoked proxy.
    return '[Unreadable]';
  } finally {
    ancestors.delete(value);
  }
}

/**
 * The name a key gets in the copy: redacted like a value (a key may be a credential, as in
 * `{ "sk-proj-…": … }`). Two keys that redact to the same name both stay: the later one gets a
 * number (`sk-*** (2)`), so no value is lost to another's name.
 */
function copyKey(copy: Record<string, unknown>, key: string): string {
  const name = redactSecrets(key);
  if (!Object.prototype.hasOwnProperty.call(copy, name)) return name;
  let n = 2;
  while (Object.prototype.hasOwnProperty.call(copy, `${name} (${n})`)) n++;
  return `${name} (${n})`;
}

/** Sets an own enumerable property, even one named `__proto__` (as `JSON.parse` makes them). */
function define(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Redacts, in place, the text an error of another library keeps (the `openai` SDK's `APIError`
 * quotes the server's body and headers, which an echoing proxy may fill with the caller's key):
 * its `message`, `stack` and every other own string field go through {@link redactSecrets}; its
 * `error` (the API's body) is replaced by a {@link redactValue} copy; its `headers` (a `Headers`)
 * by a copy with redacted values. The error keeps its class and every other field; what cannot be
 * written (a frozen error) is left as it is. Returns the error.
 * @internal
 */
export function redactErrorInPlace<E>(error: E): E {
  if (error === null || typeof error !== 'object') return error;
  const target = error as Record<string, unknown>;
  let keys: string[];
  try {
    keys = [...new Set(['message', 'stack', ...Object.keys(target)])];
  } catch {
    return error;
  }
  for (const key of keys) {
    try {
      const value = target[key];
      let redacted: unknown = value;
      if (typeof value === 'string') redacted = redactSecrets(value);
      else if (key === 'error' && value != null) redacted = redactValue(value);
      else if (key === 'headers') redacted = redactHeaders(value);
      if (redacted !== value) target[key] = redacted;
    } catch {
      // A read-only or throwing property: left as it is.
    }
  }
  return error;
}

/** A `Headers` with redacted values (the same object when nothing needed it), or the value as it is. */
function redactHeaders(value: unknown): unknown {
  const HeadersClass = (globalThis as { Headers?: new (init: Array<[string, string]>) => unknown }).Headers;
  if (HeadersClass === undefined || !(value instanceof HeadersClass)) return value;
  const entries: Array<[string, string]> = [];
  let changed = false;
  (value as { forEach(each: (v: string, k: string) => void): void }).forEach((text, name) => {
    const redacted = redactSecrets(text);
    if (redacted !== text) changed = true;
    entries.push([name, redacted]);
  });
  return changed ? new HeadersClass(entries) : value;
}
