import { inspect } from 'node:util';
import fc from 'fast-check';
import { ChatStreamError, PartialJsonError } from '../../lib/errors.js';
import { PartialJsonParser, type PartialJsonOptions } from '../../lib/structured/partialJsonParser.js';
import { encodeString, jsonText, nestedText, numberText, stringArbitrary, verdict } from '../helpers/jsonText.js';

// ---------------------------------------------------------------------------------------------
// Running the parser and checking what it emitted

interface Emission {
  value: unknown;
  /**
   * `JSON.stringify` of the value when it was emitted, to see that it never changes later: kept
   * for the first 64 emissions and every 16th after (stringifying all is quadratic on long texts).
   */
  json?: string;
}

interface Run {
  emissions: Emission[];
  /** The parser's value after `end()`. */
  final: unknown;
  error?: unknown;
  parser: PartialJsonParser;
}

/** `text` cut before each index of `cuts` (sorted, deduplicated, inside the text). */
function piecesOf(text: string, cuts: readonly number[]): string[] {
  const at = [...new Set(cuts.filter((c) => c > 0 && c < text.length))].sort((a, b) => a - b);
  const pieces: string[] = [];
  let start = 0;
  for (const cut of at) {
    pieces.push(text.slice(start, cut));
    start = cut;
  }
  pieces.push(text.slice(start));
  return pieces;
}

const ones = (text: string): string[] => Array.from({ length: text.length }, (_, i) => text.slice(i, i + 1));

function emission(value: unknown, index: number): Emission {
  return index < 64 || index % 16 === 0 ? { value, json: JSON.stringify(value) } : { value };
}

/** Pushes each piece, keeps each emission (and checks that a piece without emission changed nothing), ends. */
function run(pieces: readonly string[], options?: PartialJsonOptions): Run {
  const parser = new PartialJsonParser(options);
  const emissions: Emission[] = [];
  try {
    for (const piece of pieces) {
      const before = parser.value;
      if (parser.push(piece)) emissions.push(emission(parser.value, emissions.length));
      else if (parser.value !== before) throw new Error(`a piece without emission changed the value: ${JSON.stringify(piece)}`);
    }
    if (parser.end()) emissions.push(emission(parser.value, emissions.length));
  } catch (error) {
    return { emissions, final: undefined, error, parser };
  }
  return { emissions, final: parser.value, parser };
}

function isContainer(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (!isContainer(a) || !isContainer(b) || Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/**
 * Why `earlier` is not a prefix-consistent version of `later`, or undefined when it is: strings
 * are prefixes; scalars are equal (`Object.is`: `-0` is not `0`); an array has a prefix of the
 * entries, all equal but the last, which is consistent (and a complete container entry is the
 * same object, shared); an object has a subset of the keys, all values equal but at most one,
 * which is consistent.
 */
function inconsistency(earlier: unknown, later: unknown, shared: boolean, path = '$'): string | undefined {
  if (typeof earlier === 'string') {
    return typeof later === 'string' && later.startsWith(earlier) ? undefined : `${path}: ${JSON.stringify(earlier)} is not a prefix of ${JSON.stringify(later)}`;
  }
  if (!isContainer(earlier)) return Object.is(earlier, later) ? undefined : `${path}: ${String(earlier)} became ${JSON.stringify(later)}`;
  if (!isContainer(later) || Array.isArray(earlier) !== Array.isArray(later)) return `${path}: a container changed its type`;
  if (Array.isArray(earlier)) {
    const next = later as unknown[];
    if (earlier.length > next.length) return `${path}: the array lost entries`;
    for (let i = 0; i < earlier.length; i++) {
      if (i < earlier.length - 1) {
        if (!deepEqual(earlier[i], next[i])) return `${path}[${i}]: a complete entry changed`;
        if (shared && isContainer(earlier[i]) && earlier[i] !== next[i]) return `${path}[${i}]: a complete entry is not shared`;
      } else {
        const why = inconsistency(earlier[i], next[i], shared, `${path}[${i}]`);
        if (why !== undefined) return why;
      }
    }
    return undefined;
  }
  const next = later as Record<string, unknown>;
  let open = 0;
  for (const [key, value] of Object.entries(earlier)) {
    if (!Object.prototype.hasOwnProperty.call(next, key)) return `${path}.${key}: the key disappeared`;
    if (deepEqual(value, next[key])) continue;
    if (++open > 1) return `${path}: two entries changed`;
    const why = inconsistency(value, next[key], shared, `${path}.${key}`);
    if (why !== undefined) return why;
  }
  return undefined;
}

/** Every array and object in `value` is frozen (those in `checked` were already seen frozen). */
function isDeepFrozen(value: unknown, checked = new WeakSet<object>()): boolean {
  if (!isContainer(value) || checked.has(value)) return true;
  if (!Object.isFrozen(value)) return false;
  checked.add(value);
  return Object.values(value).every((item) => isDeepFrozen(item, checked));
}

/**
 * Why some array or object in `value` is not frozen, or undefined: open containers are views
 * (frozen once read), complete ones frozen plain data. `checked` holds those already seen (in
 * earlier values too), so a long stream is walked along its open paths, not whole per value.
 */
function unfrozen(value: unknown, checked: WeakSet<object>): string | undefined {
  if (!isContainer(value) || checked.has(value)) return undefined;
  if (!Object.isFrozen(value)) return 'a container is not frozen';
  checked.add(value);
  for (const item of Object.values(value)) {
    const why = unfrozen(item, checked);
    if (why !== undefined) return why;
  }
  return undefined;
}

/**
 * Every rule on the emissions of a valid text; the final value equals `JSON.parse(expected)`.
 * Plain checks in the loop (Jest's `expect` costs ~10 µs a call, and long texts emit thousands of values).
 */
function checkValid(result: Run, expected: unknown): void {
  if (result.error !== undefined) throw result.error;
  expect(result.final).toEqual(expected);
  expect(result.emissions.length).toBeGreaterThan(0);
  expect(result.emissions[result.emissions.length - 1]!.value).toEqual(expected);
  expect(isDeepFrozen(result.final)).toBe(true);
  const fail = (k: number, why: string): never => {
    throw new Error(`emission ${k} (${JSON.stringify(result.emissions[k]!.value).slice(0, 200)}): ${why}`);
  };
  const frozen = new WeakSet<object>();
  const every = Math.max(1, Math.floor(result.emissions.length / 200));
  for (let k = 0; k < result.emissions.length; k++) {
    const { value, json } = result.emissions[k]!;
    // Never changed after it was emitted, and frozen all the way down.
    if (json !== undefined && JSON.stringify(value) !== json) fail(k, `changed after it was emitted, to ${JSON.stringify(value)}`);
    const why = unfrozen(value, frozen);
    if (why !== undefined) fail(k, why);
    // Consistent with the next one (sharing every complete entry), so with the final value; checked
    // against the final value too for 200 of them.
    if (k + 1 < result.emissions.length) {
      const next = result.emissions[k + 1]!.value;
      const why = inconsistency(value, next, true);
      if (why !== undefined) fail(k, `then ${JSON.stringify(next).slice(0, 200)}: ${why}`);
      if (deepEqual(value, next)) fail(k, 'emitted twice');
    }
    if (k % every === 0) {
      const why = inconsistency(value, expected, false);
      if (why !== undefined) fail(k, `not consistent with the final value: ${why}`);
    }
  }
}

const cutsArbitrary = fc.array(fc.nat({ max: 4000 }), { maxLength: 40, size: 'large' });

// ---------------------------------------------------------------------------------------------

describe('PartialJsonParser', () => {
  describe('on any JSON text, cut anywhere', () => {
    it('should end with JSON.parse of the text and keep every rule on the way (fc.json)', () => {
      fc.assert(
        fc.property(fc.json(), cutsArbitrary, (text, cuts) => {
          checkValid(run(piecesOf(text, cuts)), JSON.parse(text));
          checkValid(run(ones(text)), JSON.parse(text));
        }),
        { numRuns: 300 },
      );
    });

    it('should do so for every form of number, string and white space, in 1-character pieces too', () => {
      let escapesCut = 0;
      fc.assert(
        fc.property(jsonText({ maxDepth: 4 }), cutsArbitrary, (text, cuts) => {
          const pieces = piecesOf(text, cuts);
          if (pieces.some((piece) => /\\(u[0-9a-fA-F]{0,3})?$/.test(piece))) escapesCut++;
          checkValid(run(pieces), JSON.parse(text));
          checkValid(run(ones(text)), JSON.parse(text));
        }),
        { numRuns: 400 },
      );
      expect(escapesCut).toBeGreaterThan(20);
    });

    it('should do so for long strings with escapes, surrogate pairs and lone halves', () => {
      let long = 0;
      fc.assert(
        fc.property(stringArbitrary(2000, 'max'), cutsArbitrary, ({ value, text }, cuts) => {
          if (value.length >= 1000) long++;
          expect(JSON.parse(text)).toBe(value);
          checkValid(run(piecesOf(text, cuts)), value);
          checkValid(run(ones(text)), value);
        }),
        { numRuns: 25 },
      );
      expect(long).toBeGreaterThan(5);
    });

    it('should do so for long arrays and objects (hundreds of entries)', () => {
      let long = 0;
      const small = jsonText({ maxDepth: 1, maxEntries: 3, maxStringLength: 4 });
      const entries = fc.uniqueArray(fc.tuple(stringArbitrary(6), small), { selector: ([key]) => key.value, maxLength: 120, size: 'max' });
      const longText = fc.oneof(
        fc.array(small, { maxLength: 120, size: 'max' }).map((items) => `[${items.join(',')}]`),
        entries.map((pairs) => `{${pairs.map(([key, value]) => `${key.text}:${value}`).join(',')}}`),
        entries.map((pairs) => `{"wrapped": [0, {${pairs.map(([key, value]) => `${key.text}:${value}`).join(',')}}]}`),
      );
      fc.assert(
        fc.property(longText, cutsArbitrary, (text, cuts) => {
          const value: unknown = JSON.parse(text);
          if (/(?:[^,]*,){40}/.test(text) && text.length > 200) long++;
          checkValid(run(piecesOf(text, cuts)), value);
          checkValid(run(ones(text)), value);
        }),
        { numRuns: 40 },
      );
      expect(long).toBeGreaterThan(10);
    });

    it('should do so for deep nesting, up to maxDepth', () => {
      fc.assert(
        fc.property(nestedText(1, 128), cutsArbitrary, (text, cuts) => {
          checkValid(run(piecesOf(text, cuts)), JSON.parse(text));
        }),
        { numRuns: 100 },
      );
    });

    it('should read any fc.jsonValue() written by JSON.stringify, indented or not, in one piece', () => {
      fc.assert(
        fc.property(fc.jsonValue(), fc.constantFrom(undefined, 2, '\t'), (value, space) => {
          const text = JSON.stringify(value, null, space);
          checkValid(run([text]), JSON.parse(text));
        }),
        { numRuns: 300 },
      );
    });

    it('should strip a fence cut anywhere', () => {
      const fence = fc.tuple(fc.constantFrom('', ' \n', '\n\n'), fc.constantFrom('```', '```json', '```JSON', '``` json ', '```json\r'), fc.constantFrom('', '\n', ' \n'), fc.constantFrom('', '\n'));
      fc.assert(
        fc.property(jsonText({ maxDepth: 3 }), fence, cutsArbitrary, (text, [before, open, afterValue, end], cuts) => {
          const fenced = `${before}${open}\n${text}${afterValue}\`\`\`${end}`;
          checkValid(run(piecesOf(fenced, cuts), { fence: true }), JSON.parse(text));
        }),
        { numRuns: 200 },
      );
    });
  });

  describe('on invalid text', () => {
    /** A valid text with one character inserted, replaced or deleted. */
    const mutated = fc
      .tuple(jsonText({ maxDepth: 3 }), fc.nat(), fc.constantFrom('insert', 'replace', 'delete'), fc.constantFrom(...'{}[]":,0-.eE+tfnu\\ x\u0001'.split('')))
      .map(([text, at, how, ch]) => {
        const i = at % (text.length + 1);
        if (how === 'insert') return text.slice(0, i) + ch + text.slice(i);
        if (how === 'replace') return text.slice(0, i) + ch + text.slice(i + 1);
        return text.slice(0, i) + text.slice(i + 1);
      });

    it('should error exactly where the grammar first fails, whatever the cuts', () => {
      const seen = { valid: 0, incomplete: 0, invalid: 0 };
      fc.assert(
        fc.property(mutated, cutsArbitrary, (text, cuts) => {
          const expected = verdict(text);
          seen[expected.kind]++;
          let parsed: unknown;
          let parses = true;
          try {
            parsed = JSON.parse(text);
          } catch {
            parses = false;
          }
          // The reference agrees with JSON.parse on what is valid.
          expect(parses).toBe(expected.kind === 'valid');
          for (const pieces of [piecesOf(text, cuts), ones(text), [text]]) {
            const result = run(pieces);
            if (expected.kind === 'valid') {
              checkValid(result, parsed);
              continue;
            }
            expect(result.error).toBeInstanceOf(PartialJsonError);
            const error = result.error as PartialJsonError;
            if (expected.kind === 'invalid') expect({ reason: error.reason, position: error.position }).toEqual({ reason: 'invalid-json', position: expected.position });
            else expect({ reason: error.reason, position: error.position }).toEqual({ reason: 'incomplete', position: text.length });
            // What had been emitted before the error is kept.
            const last = result.emissions[result.emissions.length - 1];
            expect(error.value).toBe(last?.value);
          }
        }),
        { numRuns: 600 },
      );
      expect(seen.invalid).toBeGreaterThan(100);
      expect(seen.incomplete).toBeGreaterThan(10);
    });

    it('should report what has appeared when incomplete input is allowed, consistent with every emission', () => {
      fc.assert(
        fc.property(jsonText({ maxDepth: 3 }), fc.nat(), cutsArbitrary, (text, at, cuts) => {
          const cut = text.slice(0, at % (text.length + 1));
          const result = run(piecesOf(cut, cuts), { allowIncomplete: true });
          if (result.error !== undefined) throw result.error;
          const whole: unknown = JSON.parse(text);
          const last = result.emissions[result.emissions.length - 1];
          // The end may complete a number; nothing else changes at the end.
          if (last !== undefined) expect(result.final).toEqual(last.value);
          if (result.final !== undefined) {
            // A number cut short (`12` of `123`) is complete at the end, so compare to the whole only elsewhere.
            const why = inconsistency(stripNumbers(result.final), stripNumbers(whole), false);
            expect(why).toBeUndefined();
            expect(isDeepFrozen(result.final)).toBe(true);
          }
        }),
        { numRuns: 300 },
      );
    });
  });

  describe('values', () => {
    it('should hold back a lone high surrogate until the next character, escaped or raw', () => {
      const escaped = run(['"a\\ud83d', '\\ude00b"']).emissions.map((e) => e.value);
      expect(escaped).toEqual(['a', 'a😀b']);
      const raw = run(['"a\ud83d', '\ude00b"']).emissions.map((e) => e.value);
      expect(raw).toEqual(['a', 'a😀b']);
      const lone = run(['["\\ud83d', 'x"]']).emissions.map((e) => e.value);
      expect(lone).toEqual([[''], ['\ud83dx']]);
      expect(run(['"\\ud83d', '"']).final).toBe('\ud83d');
      expect(run(['"\\ud83d'], { allowIncomplete: true }).final).toBe('\ud83d');
    });

    it('should decode an escape cut at every point, keys included', () => {
      const text = '{"k\\u00e9y\\n": "a\\u00e9\\"\\\\\\/\\ud83d\\ude00z"}';
      const expected: unknown = JSON.parse(text);
      for (let i = 1; i < text.length; i++) {
        for (let j = i + 1; j < text.length; j += 3) checkValid(run([text.slice(0, i), text.slice(i, j), text.slice(j)]), expected);
      }
    });

    it('should show a key with its value, never the key alone', () => {
      const shown = run(['{"ab', 'c": ', '"', 'x', '", "d"', ': 1', '2', ', "e": nu', 'll}']).emissions.map((e) => e.value);
      expect(shown).toEqual([{}, { abc: '' }, { abc: 'x' }, { abc: 'x', d: 12 }, { abc: 'x', d: 12, e: null }]);
    });

    it('should give numbers in all their forms, -0 included', () => {
      fc.assert(
        fc.property(numberText, fc.constantFrom('', ' ', ']'), (number, after) => {
          const text = after === ']' ? `[${number}]` : number + after;
          checkValid(run(ones(text)), JSON.parse(text));
        }),
      );
      expect(Object.is(run(['-', '0']).final, -0)).toBe(true);
      expect(run(['[1E+2', '0]']).final).toEqual([1e20]);
      expect(run(['1e-7']).final).toBe(1e-7);
    });

    it('should share every complete part with the previous value', () => {
      const result = run(['[{"a": [1, 2]}, {"b"', ': "x', 'y"}, ', '"z']);
      const [first, second, third] = result.emissions.map((e) => e.value as unknown[]);
      expect(second![0]).toBe(first![0]);
      expect(third![0]).toBe(first![0]);
      expect(third![1]).toEqual({ b: 'xy' });
    });

    it('should show an open list as a frozen view that reads as a plain array', () => {
      const items = Array.from({ length: 40 }, (_, i) => i);
      const parser = new PartialJsonParser();
      parser.push(`{"list": [${items.join(',')}, "op`);
      const view = (parser.value as { list: unknown[] }).list;
      expect(Array.isArray(view)).toBe(true);
      expect(view).toBeInstanceOf(Array);
      expect(Object.getPrototypeOf(view)).toBe(Array.prototype);
      expect(view.length).toBe(41);
      expect(view).toEqual([...items, 'op']);
      expect(JSON.stringify(view)).toBe(JSON.stringify([...items, 'op']));
      expect(view.map((x) => x)).toEqual([...items, 'op']);
      expect(Object.isFrozen(view)).toBe(true);
      expect(() => {
        (view as unknown[])[0] = 'changed';
      }).toThrow(TypeError);
      expect(() => (view as unknown[]).push(1)).toThrow(TypeError);
      parser.push('en", 41]}');
      parser.end();
      expect(view).toEqual([...items, 'op']); // the earlier version is unchanged
      expect((parser.value as { list: unknown[] }).list).toEqual([...items, 'open', 41]);
      expect(() => structuredClone(view)).toThrow(); // documented: a Proxy cannot be cloned
      expect(structuredClone(parser.value)).toEqual(parser.value); // the final value has no views
    });

    it('should show an open object as a frozen view that reads as a plain object', () => {
      const parser = new PartialJsonParser();
      parser.push('{"a": 1, "b": {"c": [true], "d": "x');
      const view = parser.value as Record<string, unknown>;
      expect(Object.getPrototypeOf(view)).toBe(Object.prototype);
      expect(Object.keys(view)).toEqual(['a', 'b']);
      expect({ ...view }).toEqual({ a: 1, b: { c: [true], d: 'x' } });
      expect(JSON.stringify(view)).toBe('{"a":1,"b":{"c":[true],"d":"x"}}');
      expect('a' in view && !('z' in view)).toBe(true);
      expect(Object.isFrozen(view) && Object.isFrozen(view['b'])).toBe(true);
      expect(() => {
        view['a'] = 2;
      }).toThrow(TypeError);
      expect(() => delete view['a']).toThrow(TypeError);
      // The complete entry is the same frozen object in the next value.
      const c = (view['b'] as { c: unknown }).c;
      parser.push('y"}}');
      parser.end();
      expect((parser.value as { b: { c: unknown } }).b.c).toBe(c);
      expect(view).toEqual({ a: 1, b: { c: [true], d: 'x' } });
      expect(structuredClone(parser.value)).toEqual({ a: 1, b: { c: [true], d: 'xy' } });
    });

    it('should show an unread view to util.inspect (console.log) with its entries', () => {
      const parser = new PartialJsonParser();
      parser.push(`[${Array.from({ length: 40 }, (_, i) => i).join(',')}, {"a": 1`);
      expect(inspect(parser.value, { breakLength: Infinity, maxArrayLength: 3 })).toBe('[ 0, 1, 2, ... 38 more items ]');
      const objects = new PartialJsonParser();
      objects.push(`{${Array.from({ length: 40 }, (_, i) => `"k${i}": ${i}`).join(',')}, "x": "y`);
      expect(inspect(objects.value, { breakLength: Infinity })).toContain("k39: 39, x: 'y'");
    });

    it('should keep __proto__ as an own key, in short objects and in long ones', () => {
      const short = run(['{"__proto__": {"x": 1}, "a": ', '"b"}']);
      const shortValue = short.final as Record<string, unknown>;
      expect(Object.getPrototypeOf(shortValue)).toBe(Object.prototype);
      expect(Object.keys(shortValue)).toEqual(['__proto__', 'a']);
      for (const { value } of short.emissions) expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
      const many = Array.from({ length: 40 }, (_, i) => `"k${i}": ${i}`).join(',');
      const text = `{"__proto__": [1], ${many}, "z": "x"}`;
      const long = run([text.slice(0, -3), text.slice(-3)]);
      checkValid(long, JSON.parse(text));
      expect(Object.getPrototypeOf(long.emissions[0]!.value)).toBe(Object.prototype);
      expect(Object.keys(long.emissions[0]!.value as object)[0]).toBe('__proto__');
    });

    it('should follow JSON.parse on a repeated key (the later value, at the first position)', () => {
      const text = '{"a": 1, "b": 2, "a": "x"}';
      expect(run(ones(text)).final).toEqual(JSON.parse(text));
      expect(Object.keys(run(ones(text)).final as object)).toEqual(['a', 'b']);
    });

    it('should parse a whole text pushed at once natively, and still find the first bad character', () => {
      const records = JSON.stringify(Array.from({ length: 50 }, (_, i) => ({ id: i, name: `n${i}`, tags: ['a', { b: [i] }] })));
      const whole = run([records]);
      checkValid(whole, JSON.parse(records));
      expect(whole.emissions).toHaveLength(1);
      const bad = records.replace('"n7"', '"n\u0001"');
      const error = run([bad]).error as PartialJsonError;
      expect(error).toMatchObject({ reason: 'invalid-json', position: bad.indexOf('\u0001') });
      expect(run(ones(bad)).error).toMatchObject({ position: bad.indexOf('\u0001') });
      // Half of a container in one piece: the closed ones inside it are parsed natively.
      const half = `{"list": [${'{"a": [1, {"b": "c"}]},'.repeat(10)}`;
      const parser = new PartialJsonParser();
      expect(parser.push(half)).toBe(true);
      const value = parser.value as { list: unknown[] };
      expect(value).toEqual({ list: Array.from({ length: 10 }, () => ({ a: [1, { b: 'c' }] })) });
      for (const item of value.list) expect(isDeepFrozen(item)).toBe(true);
    });
  });

  describe('errors', () => {
    it('should error past maxDepth (128 by default), at the bracket that goes too deep', () => {
      const ok = `${'['.repeat(128)}1${']'.repeat(128)}`;
      expect(run(ones(ok)).final).toEqual(JSON.parse(ok));
      expect(run([ok]).final).toEqual(JSON.parse(ok));
      const deep = `${'['.repeat(129)}1${']'.repeat(129)}`;
      for (const pieces of [ones(deep), [deep]]) {
        expect(run(pieces).error).toMatchObject({ name: 'PartialJsonError', reason: 'too-deep', position: 128 });
      }
      expect(run(['{"a": {"b": [1]}}'], { maxDepth: 2 }).error).toMatchObject({ reason: 'too-deep', position: 12 });
      const veryDeep = `${'[{"a":'.repeat(300)}0${'}]'.repeat(300)}`;
      expect(run([veryDeep], { maxDepth: Infinity }).final).toEqual(JSON.parse(veryDeep));
    });

    it('should throw the same error again after an error, and refuse text after end()', () => {
      const parser = new PartialJsonParser();
      expect(() => parser.push('[1 2')).toThrow(PartialJsonError);
      let first: unknown;
      try {
        parser.push(']');
      } catch (error) {
        first = error;
      }
      expect(() => parser.end()).toThrow(first as Error);
      const done = new PartialJsonParser();
      done.push('[1]');
      done.end();
      expect(done.end()).toBe(false);
      expect(done.push('')).toBe(false);
      expect(() => done.push(' ')).toThrow(expect.objectContaining({ reason: 'invalid-json', position: 3 }));
    });

    it('should raise a PartialJsonError, never a TypeError, for a value that is not a string', () => {
      for (const bad of [42, null, undefined, {}, ['x'], Symbol('s'), 1n]) {
        const parser = new PartialJsonParser();
        parser.push('["a');
        let caught: unknown;
        try {
          parser.push(bad as unknown as string);
        } catch (error) {
          caught = error;
        }
        expect(caught).toBeInstanceOf(PartialJsonError);
        expect(caught).toBeInstanceOf(ChatStreamError);
        expect(caught).toMatchObject({ reason: 'not-a-string', position: 3, value: ['a'] });
      }
    });

    it('should redact a key in the snippet and the message', () => {
      const text = '{"apiKey": "sk-abcdefghijklmnopqrstu" x}';
      const error = run(ones(text)).error as PartialJsonError;
      expect(error.position).toBe(text.indexOf('x}'));
      expect(error.snippet).not.toContain('abcdefgh');
      expect(error.message).not.toContain('abcdefgh');
      // Only the text read so far: in 1-character pieces, nothing after the bad character.
      expect(error.snippet).toBe('{"apiKey": "***" x');
      expect((run([text]).error as PartialJsonError).snippet).toBe('{"apiKey": "***" x}');
      // A project key (~164 characters) that began long before the snippet is masked whole, not shown in part.
      const projectKey = `sk-proj-${'Ab1_'.repeat(39)}`;
      const later = run(ones(`["${projectKey}" x]`)).error as PartialJsonError;
      expect(later.snippet).toBe('["sk-***" x');
    });

    it('should say what was expected and where the input ended', () => {
      const message = (pieces: string[], options?: PartialJsonOptions): string => (run(pieces, options).error as Error).message;
      expect(message(['{"a" 1}'])).toMatch(/^Invalid JSON at position 5: expected ':' after the key, got "1"/);
      expect(message(['[01]'])).toMatch(/^Invalid JSON at position 2: a number with a leading zero/);
      expect(message(['"a\nb"'])).toMatch(/^Invalid JSON at position 2: a control character in a string .*got U\+000A/);
      expect(message(['"\\x"'])).toMatch(/position 2: an invalid escape/);
      expect(message(['tru', 'e!'])).toMatch(/position 4: unexpected text after the JSON value/);
      expect(message(['```js\n1'], { fence: true })).toMatch(/position 5: expected 'json' or a line break/);
      expect(message(['[1, ', '{"a": tr'])).toBe('Incomplete JSON: the input ended inside "true" (position 12)');
      expect(message(['{"a'])).toBe('Incomplete JSON: the input ended inside a key (position 3)');
      expect(message(['```\n[1]\n'], { fence: true })).toBe('Incomplete JSON: the input ended before the closing code fence (position 8)');
      expect(message([' '])).toBe('Incomplete JSON: the input ended before a value (position 1)');
    });
  });

  describe('work', () => {
    /** Records of strings, numbers, nested objects: an array at the top, as in the bench. */
    function records(count: number): string {
      return JSON.stringify(
        Array.from({ length: count }, (_, i) => ({
          id: i,
          name: `Name ${i} "quoted" é`,
          score: i / 7,
          tags: ['x', 'y', i % 2 === 0],
          address: { street: `${i} Main St`, zip: String(10000 + i), geo: { lat: 1.5, lng: -2.25 } },
          notes: 'lorem ipsum dolor sit amet '.repeat(3),
        })),
      );
    }

    it('should do work linear in the length, in 1-character pieces (an array of records, a long string, a long list)', () => {
      const inputs = [records(1500), JSON.stringify({ text: 'a\\"é😀'.repeat(20_000) }), JSON.stringify({ list: Array.from({ length: 20_000 }, (_, i) => i) })];
      for (const text of inputs) {
        const parser = new PartialJsonParser();
        for (let i = 0; i < text.length; i++) parser.push(text[i]!);
        parser.end();
        expect(parser.value).toEqual(JSON.parse(text));
        // Characters scanned (1 each) + one view per open level per value + entries put into
        // closed objects + nodes frozen: ~1.4–2.2 a character here. Copying an open container per
        // value would be thousands.
        expect(parser.work).toBeLessThanOrEqual(4 * text.length);
      }
    });

    it('should do work linear in the length times the depth, for deep nesting', () => {
      const text = `${'[{"k":'.repeat(60)}1${'}]'.repeat(60)}`;
      const parser = new PartialJsonParser();
      for (let i = 0; i < text.length; i++) parser.push(text[i]!);
      parser.end();
      // 120 levels: each value costs one view per open level (16.5 a character on average here).
      expect(parser.work).toBeLessThanOrEqual(20 * text.length);
    });

    it('should pre-scan a big piece once, not once per container opened in it', () => {
      const text = `${'['.repeat(100)}${'{"a": [1, 2, 3]},'.repeat(2000)}`;
      const parser = new PartialJsonParser();
      parser.push(text);
      expect(parser.work).toBeLessThanOrEqual(4 * text.length);
    });
  });
});

/** The value with every number replaced by 0 (a number cut short is complete at the end). */
function stripNumbers(value: unknown): unknown {
  if (typeof value === 'number') return 0;
  if (Array.isArray(value)) return value.map(stripNumbers);
  if (isContainer(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, stripNumbers(v)]));
  return value;
}
