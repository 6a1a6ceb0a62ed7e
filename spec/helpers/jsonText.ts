/**
 * JSON texts for the partial-JSON specs: generators that write every form the grammar allows
 * (numbers as `-0`, `1e-7`, `1E+20`, `0.50`; strings with raw and escaped characters, `\/`,
 * `\u00e9`, surrogate pairs escaped and raw, lone halves; white space anywhere), and a reference
 * for where a text stops being JSON, written independently of the parser under test.
 */
import fc from 'fast-check';

// ---------------------------------------------------------------------------------------------
// Writing

const WHITE_SPACE = ['', '', '', '', ' ', '\n', '\t', '\r\n', '  '];
const ws = fc.constantFrom(...WHITE_SPACE);

const digits = (minLength: number, maxLength: number): fc.Arbitrary<string> =>
  fc.string({ unit: fc.constantFrom(...'0123456789'), minLength, maxLength });

/** Every form of number the grammar has, as text. */
export const numberText: fc.Arbitrary<string> = fc.oneof(
  {
    arbitrary: fc
      .tuple(
        fc.boolean(),
        fc.oneof(fc.constant('0'), fc.tuple(fc.constantFrom(...'123456789'), digits(0, 20)).map(([a, b]) => a + b)),
        fc.option(digits(1, 12), { nil: undefined }),
        fc.option(fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), digits(1, 3)), { nil: undefined }),
      )
      .map(([minus, int, frac, exp]) => `${minus ? '-' : ''}${int}${frac === undefined ? '' : `.${frac}`}${exp === undefined ? '' : exp.join('')}`),
    weight: 4,
  },
  {
    arbitrary: fc.constantFrom('-0', '0', '-0.0', '0e0', '1e-7', '1E+20', '0.5', '-12.340', '1.5e308', '1e400', '-1e-400', '123456789012345678901234567890'),
    weight: 1,
  },
);

/** One UTF-16 unit or pair: plain ASCII mostly, and everything a string may hold. */
const stringUnit: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom(...'abcdefghij XYZ019'), weight: 12 },
  { arbitrary: fc.constantFrom('"', '\\', '/', '\b', '\f', '\n', '\r', '\t', '\u0000', '\u001f', '\u007f'), weight: 3 },
  { arbitrary: fc.constantFrom('é', 'ش', '中', '\u2028', '\ufeff'), weight: 2 },
  { arbitrary: fc.constantFrom('😀', '🔥', '\u{10ffff}'), weight: 2 },
  { arbitrary: fc.constantFrom('\ud83d', '\ude00', '\udbff'), weight: 1 },
);

/** A small deterministic generator from a seed (so one arbitrary value is one text). */
function lcg(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const SHORT_ESCAPES: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** `value` as a JSON string literal, each unit written raw or escaped at random (as the grammar allows). */
export function encodeString(value: string, seed: number): string {
  const random = lcg(seed);
  let out = '"';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    const code = ch.charCodeAt(0);
    const hex = (): string => {
      const digits4 = code.toString(16).padStart(4, '0');
      return `\\u${random() < 0.5 ? digits4 : digits4.toUpperCase()}`;
    };
    const mustEscape = ch === '"' || ch === '\\' || code < 0x20;
    const roll = random();
    if (mustEscape) out += SHORT_ESCAPES[ch] !== undefined && roll < 0.7 ? SHORT_ESCAPES[ch] : hex();
    else if (ch === '/' && roll < 0.5) out += '\\/';
    else if (roll < 0.25) out += hex();
    else out += ch;
  }
  return `${out}"`;
}

export interface JsonTextOptions {
  /** How deep containers nest (fast-check's `maxDepth` of the recursion). */
  maxDepth?: number;
  /** Entries per container. */
  maxEntries?: number;
  /** Units per string. */
  maxStringLength?: number;
  size?: fc.SizeForArbitrary;
}

/** A string value and its text. */
export function stringArbitrary(maxLength: number, size: fc.SizeForArbitrary = 'small'): fc.Arbitrary<{ value: string; text: string }> {
  return fc
    .tuple(fc.string({ unit: stringUnit, maxLength, size }), fc.integer())
    .map(([value, seed]) => ({ value, text: encodeString(value, seed) }));
}

/** A JSON text (no duplicate keys), with white space between tokens at random. */
export function jsonText(options: JsonTextOptions = {}): fc.Arbitrary<string> {
  const { maxDepth = 4, maxEntries = 6, maxStringLength = 12, size = 'small' } = options;
  const string = stringArbitrary(maxStringLength, size);
  const scalar = fc.oneof(numberText, string.map((s) => s.text), fc.constantFrom('true', 'false', 'null'));
  const tree = fc.letrec<{ value: string; array: string; object: string }>((tie) => ({
    value: fc.oneof({ maxDepth, depthSize: 'small', withCrossShrink: true }, scalar, tie('array'), tie('object')),
    array: fc
      .tuple(fc.array(fc.tuple(ws, tie('value'), ws), { maxLength: maxEntries, size }), ws)
      .map(([items, inside]) => (items.length === 0 ? `[${inside}]` : `[${items.map(([a, v, b]) => a + v + b).join(',')}]`)),
    object: fc
      .tuple(
        fc.uniqueArray(fc.tuple(string, tie('value'), ws, ws, ws), { selector: ([key]) => key.value, maxLength: maxEntries, size }),
        ws,
      )
      .map(([entries, inside]) =>
        entries.length === 0 ? `{${inside}}` : `{${entries.map(([key, v, a, b, c]) => `${a}${key.text}${b}:${c}${v}${a}`).join(',')}}`,
      ),
  }));
  return fc.tuple(ws, tree.value, ws).map(([a, v, b]) => a + v + b);
}

/** Containers nested `depth` deep (arrays and objects mixed, with siblings), a scalar inside. */
export function nestedText(minDepth: number, maxDepth: number): fc.Arbitrary<string> {
  return fc
    .tuple(fc.integer({ min: minDepth, max: maxDepth }), fc.integer(), numberText)
    .map(([depth, seed, inner]) => {
      const random = lcg(seed);
      let open = '';
      let close = '';
      for (let d = 0; d < depth; d++) {
        const sibling = random() < 0.3 ? `${Math.floor(random() * 100)},` : '';
        if (random() < 0.5) {
          open += `[${sibling}`;
          close = `]${close}`;
        } else {
          open += `{${sibling ? `"s${d}":${sibling}` : ''}"k${d}":`;
          close = `}${close}`;
        }
      }
      return open + inner + close;
    });
}

// ---------------------------------------------------------------------------------------------
// The reference: where a text stops being a prefix of any JSON text

export type Verdict = { kind: 'valid' } | { kind: 'incomplete' } | { kind: 'invalid'; position: number };

class Bad {
  constructor(readonly position: number) {}
}
class Incomplete {}

/**
 * What the JSON grammar says of `text`: a complete JSON text, a prefix of one (incomplete), or
 * invalid from `position` on (the text up to `position` is a prefix of some JSON text, the text
 * up to `position + 1` is not). A plain recursive descent over the whole text: no state kept
 * between pieces, nothing shared with the parser under test.
 */
export function verdict(text: string): Verdict {
  let p = 0;
  const peek = (): number => {
    if (p >= text.length) throw new Incomplete();
    return text.charCodeAt(p);
  };
  const skip = (): void => {
    while (p < text.length && ' \t\n\r'.includes(text[p]!)) p++;
  };
  const expect = (word: string): void => {
    for (const ch of word) {
      if (peek() !== ch.charCodeAt(0)) throw new Bad(p);
      p++;
    }
  };
  const isDigit = (c: number): boolean => c >= 48 && c <= 57;
  const digitsRun = (): void => {
    if (!isDigit(peek())) throw new Bad(p);
    while (p < text.length && isDigit(text.charCodeAt(p))) p++;
  };
  const number = (): void => {
    if (peek() === 45) p++;
    const first = peek();
    if (first === 48) p++;
    else if (isDigit(first)) digitsRun();
    else throw new Bad(p);
    if (p < text.length && text[p] === '.') {
      p++;
      digitsRun();
    }
    if (p < text.length && (text[p] === 'e' || text[p] === 'E')) {
      p++;
      if (peek() === 43 || peek() === 45) p++;
      digitsRun();
    }
  };
  const string = (): void => {
    expect('"');
    for (;;) {
      const c = peek();
      if (c === 34) {
        p++;
        return;
      }
      if (c < 0x20) throw new Bad(p);
      p++;
      if (c === 92) {
        const e = peek();
        if ('"\\/bfnrt'.includes(String.fromCharCode(e))) p++;
        else if (e === 117) {
          p++;
          for (let k = 0; k < 4; k++) {
            if (!/[0-9a-fA-F]/.test(String.fromCharCode(peek()))) throw new Bad(p);
            p++;
          }
        } else throw new Bad(p);
      }
    }
  };
  const value = (): void => {
    skip();
    const c = peek();
    if (c === 123) {
      p++;
      skip();
      if (peek() === 125) {
        p++;
        return;
      }
      for (;;) {
        skip();
        if (peek() !== 34) throw new Bad(p);
        string();
        skip();
        expect(':');
        value();
        skip();
        if (peek() === 44) {
          p++;
          continue;
        }
        expect('}');
        return;
      }
    }
    if (c === 91) {
      p++;
      skip();
      if (peek() === 93) {
        p++;
        return;
      }
      for (;;) {
        value();
        skip();
        if (peek() === 44) {
          p++;
          continue;
        }
        expect(']');
        return;
      }
    }
    if (c === 34) return string();
    if (c === 116) return expect('true');
    if (c === 102) return expect('false');
    if (c === 110) return expect('null');
    return number();
  };
  try {
    value();
    skip();
    if (p < text.length) return { kind: 'invalid', position: p };
    return { kind: 'valid' };
  } catch (error) {
    if (error instanceof Bad) return { kind: 'invalid', position: error.position };
    if (error instanceof Incomplete) return { kind: 'incomplete' };
    throw error;
  }
}
