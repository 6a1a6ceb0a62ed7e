import { InvalidInputError, PartialJsonError } from '../errors.js';
import { isObject } from '../json.js';
import { redactAndCut, redactSecrets } from '../redact.js';
import { arrayView, defineEntry, NONE, objectView, type Maybe } from './jsonViews.js';

/** Options of {@link PartialJsonParser} and of the `partialJson()` operator. */
export interface PartialJsonOptions {
  /**
   * Strip one Markdown code fence around the value: before it, white space, then a line of
   * three backticks, optionally `json` (any case), optionally spaces, then a line break; after
   * it, optional white space, three backticks and white space. Once an opening fence was read,
   * the closing one must come (else the input is incomplete). Text without a fence is read as
   * plain JSON. Default `false`.
   */
  fence?: boolean;
  /**
   * Accept input that ends before the value is complete (`{"a": [1, "x`): the value so far is
   * the result, a number at the very end counts (the end completes it), and what has not
   * appeared (a key without its value, `tru`, `1.`, half an escape) is left out. Default `false`:
   * such input errors with a `PartialJsonError` whose `reason` is `'incomplete'`.
   */
  allowIncomplete?: boolean;
  /**
   * How deeply arrays and objects may nest; one more level errors with a `PartialJsonError`
   * whose `reason` is `'too-deep'`. Each new value shares everything but its open path, and that
   * path (one new container per level) is the cost of an emission, so this bounds it. Default 128
   * (`Infinity` for no limit).
   */
  maxDepth?: number;
}

/**
 * Checks a `maxDepth` option where an operator is called: a whole number >= 1, or `Infinity`
 * (undefined: the default). The parser itself falls back to 128 on anything else.
 * @internal
 */
export function checkMaxDepth(value: unknown, path: string): asserts value is number | undefined {
  if (value !== undefined && !(typeof value === 'number' && (Number.isSafeInteger(value) || value === Infinity) && value >= 1)) {
    throw new InvalidInputError(path, value, 'a whole number >= 1 (or Infinity)');
  }
}

/**
 * Checks {@link PartialJsonOptions} where an operator is called (`caller`: `'partialJson()'`): an
 * object (or undefined), `fence` and `allowIncomplete` booleans, `maxDepth` as {@link checkMaxDepth}.
 * @internal
 */
export function checkPartialJsonOptions(options: unknown, caller: string): void {
  if (options === undefined) return;
  if (!isObject(options)) throw new InvalidInputError(`${caller} options`, options, 'an object');
  for (const name of ['fence', 'allowIncomplete'] as const) {
    const value = (options as PartialJsonOptions)[name];
    if (value !== undefined && typeof value !== 'boolean') throw new InvalidInputError(`${caller} options.${name}`, value, 'a boolean');
  }
  checkMaxDepth((options as PartialJsonOptions).maxDepth, `${caller} options.maxDepth`);
}

// Scanner modes: what the next character may be.
/** A value (the top level, after ':', after ',' in an array). */
const VALUE = 0;
/** After '[': a value or ']'. */
const FIRST_ITEM = 1;
/** After '{': a key or '}'. */
const FIRST_KEY = 2;
/** After ',' in an object: a key. */
const KEY = 3;
/** After a key: ':'. */
const COLON = 4;
/** After a value in a container: ',' or the closing bracket. */
const AFTER = 5;
/** Inside a string (a value or a key). */
const STRING = 6;
/** Inside a number. */
const NUMBER = 7;
/** Inside `true`, `false` or `null`. */
const LITERAL = 8;
/** The top-level value is complete: white space, or the closing fence. */
const END = 9;
/** `fence` only, before anything: white space, a backtick (a fence), or the value. */
const FENCE_START = 10;
/** Inside the opening three backticks. */
const FENCE_OPEN = 11;
/** After the opening backticks: `json`, spaces, a line break. */
const FENCE_INFO = 12;
/** Inside the closing three backticks. */
const FENCE_CLOSE = 13;
/** After the closing fence: white space. */
const FENCE_DONE = 14;

// Number states (the JSON grammar, one character at a time). Complete: ZERO, INT, FRAC, EXP_DIGITS.
const N_MINUS = 0;
const N_ZERO = 1;
const N_INT = 2;
const N_DOT = 3;
const N_FRAC = 4;
const N_EXP = 5;
const N_EXP_SIGN = 6;
const N_EXP_DIGITS = 7;

/** A container opened in a delta with at least this many characters left tries the native parse. */
const NATIVE_MIN = 64;
/** Characters of context an error's snippet shows, before and from the bad character. */
const SNIPPET_BEFORE = 24;
const SNIPPET_AFTER = 16;
/**
 * Characters read on either side before the snippet is cut, so that a key is redacted whole
 * before it is cut (a project key is ~164 characters), and pieces kept for it (a power of two).
 */
const CONTEXT = 256;
const RECENT = 256;

/** An open array or object: its complete entries (the views of its versions share them). */
class Frame {
  /** The complete entries' values, in order: only ever appended to. */
  readonly values: unknown[] = [];
  /** Objects: the complete entries' keys, parallel to `values` (a repeated key appears twice). */
  readonly keys: string[];
  /** Objects: the key of the entry being read, once its key is complete. */
  key = '';

  constructor(readonly isArray: boolean) {
    this.keys = isArray ? (undefined as unknown as string[]) : [];
  }
}

function isWhiteSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66);
}

/** `a ']'`, `a line break`, `the end`: a character for a message. */
function describeChar(text: string, i: number): string {
  const c = text.charCodeAt(i);
  if (Number.isNaN(c)) return 'the end of the text';
  return c < 0x20 ? `U+${c.toString(16).padStart(4, '0').toUpperCase()}` : JSON.stringify(text[i]);
}

/** Freezes a value `JSON.parse` made, and everything in it (iteratively: no recursion limit). */
function deepFreeze(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  const stack: object[] = [value];
  let count = 0;
  while (stack.length > 0) {
    const node = stack.pop()!;
    Object.freeze(node);
    count++;
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const item: unknown = node[i];
        if (item !== null && typeof item === 'object') stack.push(item);
      }
    } else {
      for (const key in node) {
        const item: unknown = (node as Record<string, unknown>)[key];
        if (item !== null && typeof item === 'object') stack.push(item);
      }
    }
  }
  return count;
}

/** A closed object's final value: its entries in order (a repeated key keeps its first place), frozen. */
function objectOf(frame: Frame): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  const { keys, values } = frame;
  for (let k = 0; k < values.length; k++) defineEntry(object, keys[k]!, values[k]);
  return Object.freeze(object);
}

/**
 * An incremental JSON parser that gives, after each piece of text, the value parsed so far: it
 * keeps its state between pieces and never reads a character twice, and each new value costs
 * O(1) per open container, so the total work is linear in the length of the text (times the
 * nesting depth, which `maxDepth` bounds).
 *
 * Contract:
 * - `push(text)` reads the next piece (any split is fine: inside a string, an escape, a surrogate
 *   pair, a number, a literal, the code fence) and returns whether {@link value} changed. It
 *   throws a `PartialJsonError` at the first character no JSON text can have there (`reason`
 *   `'invalid-json'`, `position` counted over the whole input), on nesting deeper than `maxDepth`
 *   (`'too-deep'`), and when `text` is not a string (`'not-a-string'`). After an error, every
 *   call throws that error again.
 * - `end()` says the input is over: a number at the end is complete now (`123`), and it returns
 *   whether that changed the value. If the value is not complete it throws a `PartialJsonError`
 *   (`'incomplete'`), unless `allowIncomplete` is set. After `end()`, {@link value} is the final
 *   value, deep-equal to `JSON.parse` of the whole text, as frozen plain data; pushing more text
 *   is an error.
 * - {@link value} is `undefined` until the value first appears, then the value so far.
 *
 * Stability (what a UI can rely on, from one value to the next):
 * - A string only grows at its end. It appears, as `''`, at its opening quote; a lone high
 *   surrogate at the end of the text read so far (`\ud83d` or the raw half of a pair) is held back
 *   until the next character shows whether it has a pair.
 * - An array or an object only gains entries; an entry keeps its type, and every entry but the
 *   last one read is complete and never changes again. A key appears together with its value:
 *   at the value's first character for a string, an array or an object (`{"a": [` is `{ a: [] }`),
 *   and once it is complete for a number or a literal. A key being read, or whose value has not
 *   begun (`{"a":`), does not show (`{}`). The one exception is a repeated key, which JSON.parse
 *   accepts: its later value replaces the earlier one, at the earlier position.
 * - A number, `true`, `false` or `null` appears once complete: a literal at its last letter, a
 *   number when a character after it comes (`[1` is `[]`, `[1,` is `[1]`) or at `end()`.
 * - Values are immutable and share what they can: every array and object is frozen (or is a
 *   frozen view, below), and everything complete is shared, by identity, with the previous
 *   value; only the open path (the containers around the point where the text ends) is new. A
 *   container that is still open is a view: O(1) to make whatever its size, it becomes a frozen
 *   plain array or object when first read (see `jsonViews.ts`; `structuredClone` cannot copy a
 *   view). Once complete, a container is frozen plain data; after `end()` the whole value is.
 *
 * How: a scanner reads each character once, tracking nesting, and validates the grammar as it
 * goes. Complete scalars are made natively: a string without escapes is a slice of the text, one
 * with escapes goes through `JSON.parse` (an open string's new text is decoded at the end of each
 * piece, an escape cut by the end of a piece is held until it is whole), a number through
 * `Number`. A container that opens and closes within one piece of at least 64 characters (a
 * whole object of arguments pushed at once) is parsed by `JSON.parse` and frozen. Only the open
 * path is handled by hand: a closed container's entries become its final value once (an array
 * its own store, frozen), and each value shows the open ones as views.
 * @internal
 */
export class PartialJsonParser {
  readonly #fence: boolean;
  readonly #allowIncomplete: boolean;
  readonly #maxDepth: number;

  #mode: number;
  readonly #frames: Frame[] = [];
  /** The top-level value once complete. */
  #root: Maybe<unknown> = NONE;
  /** The value so far (see {@link value}). */
  #value: unknown = undefined;
  #changed = false;
  #ended = false;
  #error: PartialJsonError | undefined;
  /** Characters read before the current piece. */
  #offset = 0;
  /** The last pieces read (a ring of references: nothing is copied per piece), for an error's snippet. */
  readonly #recent: string[] = new Array<string>(RECENT).fill('');
  #pieces = 0;
  /** Units of work done: characters scanned, views made, entries put into final values, nodes frozen. */
  #work = 0;

  // The open string: a value or a key.
  #isKey = false;
  /** Decoded text so far (for a value: what is shown), without the held surrogate. */
  #decoded = '';
  /** A high surrogate held back until the next character (decoded). */
  #high = '';
  /** The raw text of an escape cut by the end of a piece (`\`, `\u00`). */
  #held = '';
  /** 0: no escape; 1: after a backslash; 2–5: after `\u` and 0–3 hex digits. */
  #escape = 0;
  /** Where the current escape began in this piece (-1: in an earlier one, it is in #held). */
  #escapeAt = -1;
  /** An escape was completed in the text not yet decoded. */
  #escaped = false;
  /** Where the string's text not yet decoded (or the number's text) begins in this piece. */
  #start = 0;

  // The open number, literal, fence.
  #number = N_INT;
  /** The number's text from earlier pieces. */
  #numberText = '';
  #literal = '';
  #literalIndex = 0;
  /** An opening fence was read. */
  #fenced = false;
  /** Backticks read (of 3), or `json` letters read in the info. */
  #count = 0;
  /** In the fence's info: spaces came after the word (so no more letters). */
  #infoSpaced = false;

  // The native parse of containers within one piece: maximal closed intervals [start, end, depth].
  #intervals: number[] = [];
  #intervalIndex = 0;
  /** The piece's pre-pass ran (once per piece). */
  #prepassed = false;

  constructor(options: PartialJsonOptions = {}) {
    this.#fence = options.fence === true;
    this.#allowIncomplete = options.allowIncomplete === true;
    const maxDepth = options.maxDepth ?? 128;
    this.#maxDepth = typeof maxDepth === 'number' && maxDepth >= 1 ? maxDepth : 128;
    this.#mode = this.#fence ? FENCE_START : VALUE;
  }

  /** The value parsed so far: `undefined` until it first appears (see the class's stability rules). */
  get value(): unknown {
    return this.#value;
  }

  /** Characters read so far. */
  get position(): number {
    return this.#offset;
  }

  /** The top-level value is complete (its last character was read; a top-level number: at `end()`). */
  get complete(): boolean {
    return this.#root !== NONE;
  }

  /**
   * Units of work done so far (characters scanned, pre-scanned and parsed natively, views made,
   * entries put into closed objects, nodes frozen): a count the specs bound by a multiple of the
   * input's length.
   * @internal
   */
  get work(): number {
    return this.#work;
  }

  /**
   * Reads the next piece of text.
   * @return Whether {@link value} changed.
   * @throws PartialJsonError at the first invalid character, or when `text` is not a string.
   */
  push(text: string): boolean {
    if (this.#error !== undefined) throw this.#error;
    if (typeof text !== 'string') throw this.#failWith(PartialJsonError.notAString(text, this.#offset, this.#value));
    const n = text.length;
    if (n === 0) return false;
    if (this.#ended) throw this.#fail(text, 0, 'invalid-json', 'text after end()');
    this.#changed = false;
    this.#start = 0;
    this.#escapeAt = -1;
    this.#escaped = false;
    this.#prepassed = false;
    this.#work += n;
    let i = 0;
    while (i < n) {
      switch (this.#mode) {
        case STRING:
          i = this.#scanString(text, i, n);
          break;
        case NUMBER:
          i = this.#scanNumber(text, i, n);
          break;
        case AFTER:
          i = this.#afterValue(text, i, n);
          break;
        case VALUE:
        case FIRST_ITEM: {
          const c = text.charCodeAt(i);
          if (isWhiteSpace(c)) i++;
          else if (c === 0x5d && this.#mode === FIRST_ITEM) {
            this.#close();
            i++;
          } else i = this.#startValue(text, i, c, n);
          break;
        }
        case FIRST_KEY:
        case KEY: {
          const c = text.charCodeAt(i);
          if (isWhiteSpace(c)) i++;
          else if (c === 0x22) i = this.#startString(i, true);
          else if (c === 0x7d && this.#mode === FIRST_KEY) {
            this.#close();
            i++;
          } else throw this.#fail(text, i, 'invalid-json', this.#mode === KEY ? 'expected a key (a string)' : "expected a key (a string) or '}'");
          break;
        }
        case COLON: {
          const c = text.charCodeAt(i);
          if (isWhiteSpace(c)) i++;
          else if (c === 0x3a) {
            this.#mode = VALUE;
            i++;
          } else throw this.#fail(text, i, 'invalid-json', "expected ':' after the key");
          break;
        }
        case LITERAL:
          i = this.#scanLiteral(text, i, n);
          break;
        default:
          i = this.#scanOutside(text, i);
      }
    }
    if (this.#mode === STRING) this.#flushString(text, n);
    else if (this.#mode === NUMBER) this.#numberText += text.slice(this.#start, n);
    this.#offset += n;
    // A long piece is kept as a copy of its tail: a slice would keep the whole piece alive.
    this.#recent[this.#pieces++ & (RECENT - 1)] = n > 4 * CONTEXT ? text.slice(-CONTEXT).split('').join('') : text;
    if (this.#changed) this.#build();
    return this.#changed;
  }

  /**
   * Says the input is over.
   * @return Whether {@link value} changed (a number at the end is complete now).
   * @throws PartialJsonError when the value is incomplete and `allowIncomplete` is not set.
   */
  end(): boolean {
    if (this.#error !== undefined) throw this.#error;
    if (this.#ended) return false;
    this.#changed = false;
    if (this.#mode === NUMBER && this.#numberComplete()) this.#completeNumber(this.#numberText);
    const done = this.#root !== NONE && (this.#fenced ? this.#mode === FENCE_DONE : this.#mode === END);
    if (!done) {
      if (!this.#allowIncomplete) throw this.#fail('', 0, 'incomplete', this.#whereIncomplete());
      this.#finishIncomplete();
    }
    this.#ended = true;
    if (this.#root !== NONE) {
      if (this.#value !== this.#root) this.#value = this.#root;
    }
    return this.#changed;
  }

  // ------------------------------------------------------------------------------------------
  // Values

  /** What the character `c` at `i` begins: a string, a container, a number or a literal. */
  #startValue(text: string, i: number, c: number, n: number): number {
    switch (c) {
      case 0x22:
        this.#changed = true; // the string appears as ''
        return this.#startString(i, false);
      case 0x5b:
      case 0x7b:
        return this.#open(text, i, c === 0x5b, n);
      case 0x74:
        return this.#startLiteral('true', i);
      case 0x66:
        return this.#startLiteral('false', i);
      case 0x6e:
        return this.#startLiteral('null', i);
      default:
        if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
          this.#mode = NUMBER;
          this.#number = c === 0x2d ? N_MINUS : c === 0x30 ? N_ZERO : N_INT;
          this.#numberText = '';
          this.#start = i;
          return i + 1;
        }
        throw this.#fail(text, i, 'invalid-json', this.#mode === FIRST_ITEM ? "expected a value or ']'" : 'expected a value');
    }
  }

  /** A value is complete: it goes into the innermost container, or it is the top-level value. */
  #complete(value: unknown): void {
    const frame = this.#frames[this.#frames.length - 1];
    if (frame === undefined) {
      this.#root = value;
      this.#mode = END;
      return;
    }
    frame.values.push(value);
    if (!frame.isArray) frame.keys.push(frame.key);
    this.#mode = AFTER;
  }

  /** `[` or `{` at `i`: natively parsed when it closes within this piece, else a new open container. */
  #open(text: string, i: number, isArray: boolean, n: number): number {
    const depth = this.#frames.length;
    if (depth >= this.#maxDepth) throw this.#fail(text, i, 'too-deep', `nested deeper than maxDepth (${this.#maxDepth})`);
    if (n - i >= NATIVE_MIN) {
      const end = this.#nativeEnd(text, i, n, depth);
      if (end >= 0) {
        let value: unknown = NONE;
        try {
          value = JSON.parse(text.slice(i, end + 1));
        } catch {
          // Invalid inside: read it by hand, which stops at the first bad character.
        }
        if (value !== NONE) {
          this.#work += deepFreeze(value);
          this.#changed = true;
          this.#complete(value);
          return end + 1;
        }
      }
    }
    this.#frames.push(new Frame(isArray));
    this.#mode = isArray ? FIRST_ITEM : FIRST_KEY;
    this.#changed = true; // the empty container appears
    return i + 1;
  }

  /** `]` or `}` (already checked against the container): its entries become its final value. */
  #close(): void {
    const frame = this.#frames.pop()!;
    let value: unknown;
    if (frame.isArray) value = Object.freeze(frame.values);
    else {
      this.#work += frame.values.length;
      value = objectOf(frame);
    }
    this.#complete(value); // no change: the entries are already shown
  }

  /** After a value in a container: ',' or the closing bracket. */
  #afterValue(text: string, i: number, n: number): number {
    const frame = this.#frames[this.#frames.length - 1]!;
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      if (isWhiteSpace(c)) continue;
      if (c === 0x2c) {
        this.#mode = frame.isArray ? VALUE : KEY;
        return i + 1;
      }
      if (c === (frame.isArray ? 0x5d : 0x7d)) {
        this.#close();
        return i + 1;
      }
      throw this.#fail(text, i, 'invalid-json', frame.isArray ? "expected ',' or ']'" : "expected ',' or '}'");
    }
    return i;
  }

  // ------------------------------------------------------------------------------------------
  // Strings

  #startString(i: number, isKey: boolean): number {
    this.#mode = STRING;
    this.#isKey = isKey;
    this.#decoded = '';
    this.#high = '';
    this.#held = '';
    this.#escape = 0;
    this.#escaped = false;
    this.#start = i + 1;
    return i + 1;
  }

  #scanString(text: string, i: number, n: number): number {
    let escape = this.#escape;
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      if (escape === 0) {
        if (c === 0x22) {
          this.#escape = 0;
          this.#closeString(text, i);
          return i + 1;
        }
        if (c === 0x5c) {
          escape = 1;
          this.#escapeAt = i;
        } else if (c < 0x20) {
          throw this.#fail(text, i, 'invalid-json', 'a control character in a string (it must be escaped)');
        }
      } else if (escape === 1) {
        if (c === 0x75) escape = 2;
        else if (c === 0x22 || c === 0x5c || c === 0x2f || c === 0x62 || c === 0x66 || c === 0x6e || c === 0x72 || c === 0x74) {
          escape = 0;
          this.#escaped = true;
        } else throw this.#fail(text, i, 'invalid-json', 'an invalid escape in a string');
      } else {
        if (!isHex(c)) throw this.#fail(text, i, 'invalid-json', 'an invalid \\u escape in a string (4 hex digits)');
        if (escape === 5) {
          escape = 0;
          this.#escaped = true;
        } else escape++;
      }
    }
    this.#escape = escape;
    return i;
  }

  /** Decodes raw string text whose escapes are all complete. */
  #decode(raw: string): string {
    return this.#escaped ? (JSON.parse(`"${raw}"`) as string) : raw;
  }

  /** The closing quote at `i`: the string is a key now, or a complete value. */
  #closeString(text: string, i: number): void {
    const tail = this.#decode(this.#held + text.slice(this.#start, i));
    const decoded = this.#decoded;
    const value = decoded + this.#high + tail;
    if (this.#isKey) {
      this.#frames[this.#frames.length - 1]!.key = value;
      this.#mode = COLON;
      return;
    }
    if (value.length > decoded.length) this.#changed = true;
    this.#complete(value);
  }

  /** The end of a piece inside a string: decode its new text, hold a cut escape and a lone high surrogate. */
  #flushString(text: string, n: number): void {
    let complete: string;
    if (this.#escape === 0) {
      complete = this.#held + text.slice(this.#start, n);
      this.#held = '';
    } else if (this.#escapeAt >= 0) {
      complete = this.#held + text.slice(this.#start, this.#escapeAt);
      this.#held = text.slice(this.#escapeAt, n);
    } else {
      complete = '';
      this.#held += text.slice(this.#start, n);
    }
    let decoded = this.#high + this.#decode(complete);
    const last = decoded.charCodeAt(decoded.length - 1);
    if (last >= 0xd800 && last <= 0xdbff) {
      this.#high = decoded.slice(-1);
      decoded = decoded.slice(0, -1);
    } else this.#high = '';
    if (decoded.length > 0) {
      this.#decoded += decoded;
      if (!this.#isKey) this.#changed = true;
    }
  }

  // ------------------------------------------------------------------------------------------
  // Numbers and literals

  #scanNumber(text: string, i: number, n: number): number {
    let state = this.#number;
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      const digit = c >= 0x30 && c <= 0x39;
      switch (state) {
        case N_MINUS:
          if (digit) {
            state = c === 0x30 ? N_ZERO : N_INT;
            continue;
          }
          throw this.#fail(text, i, 'invalid-json', "expected a digit after '-'");
        case N_ZERO:
          if (c === 0x2e) state = N_DOT;
          else if (c === 0x65 || c === 0x45) state = N_EXP;
          else if (digit) throw this.#fail(text, i, 'invalid-json', 'a number with a leading zero');
          else break;
          continue;
        case N_INT:
          if (digit) continue;
          if (c === 0x2e) state = N_DOT;
          else if (c === 0x65 || c === 0x45) state = N_EXP;
          else break;
          continue;
        case N_DOT:
          if (digit) {
            state = N_FRAC;
            continue;
          }
          throw this.#fail(text, i, 'invalid-json', "expected a digit after '.'");
        case N_FRAC:
          if (digit) continue;
          if (c === 0x65 || c === 0x45) {
            state = N_EXP;
            continue;
          }
          break;
        case N_EXP:
          if (c === 0x2b || c === 0x2d) state = N_EXP_SIGN;
          else if (digit) state = N_EXP_DIGITS;
          else throw this.#fail(text, i, 'invalid-json', 'expected a digit in the exponent');
          continue;
        case N_EXP_SIGN:
          if (digit) {
            state = N_EXP_DIGITS;
            continue;
          }
          throw this.#fail(text, i, 'invalid-json', 'expected a digit in the exponent');
        default: // N_EXP_DIGITS
          if (digit) continue;
      }
      // A character after a complete number: the number is done, the character is read again.
      this.#number = state;
      this.#completeNumber(this.#numberText + text.slice(this.#start, i));
      return i;
    }
    this.#number = state;
    return i;
  }

  #numberComplete(): boolean {
    const state = this.#number;
    return state === N_ZERO || state === N_INT || state === N_FRAC || state === N_EXP_DIGITS;
  }

  #completeNumber(raw: string): void {
    this.#numberText = '';
    this.#changed = true;
    this.#complete(Number(raw));
  }

  #startLiteral(word: string, i: number): number {
    this.#mode = LITERAL;
    this.#literal = word;
    this.#literalIndex = 1;
    return i + 1;
  }

  #scanLiteral(text: string, i: number, n: number): number {
    const word = this.#literal;
    let k = this.#literalIndex;
    for (; i < n && k < word.length; i++, k++) {
      if (text.charCodeAt(i) !== word.charCodeAt(k)) throw this.#fail(text, i, 'invalid-json', `expected ${JSON.stringify(word)}`);
    }
    if (k === word.length) {
      this.#changed = true;
      this.#complete(word === 'true' ? true : word === 'false' ? false : null);
    } else this.#literalIndex = k;
    return i;
  }

  // ------------------------------------------------------------------------------------------
  // Outside the value: the fence, white space after the value

  #scanOutside(text: string, i: number): number {
    const c = text.charCodeAt(i);
    switch (this.#mode) {
      case FENCE_START:
        if (isWhiteSpace(c)) return i + 1;
        if (c === 0x60) {
          this.#mode = FENCE_OPEN;
          this.#count = 1;
          return i + 1;
        }
        this.#mode = VALUE; // no fence: the value itself
        return i;
      case FENCE_OPEN:
        if (c !== 0x60) throw this.#fail(text, i, 'invalid-json', 'expected a code fence (```)');
        if (++this.#count === 3) {
          this.#mode = FENCE_INFO;
          this.#count = 0;
          this.#infoSpaced = false;
        }
        return i + 1;
      case FENCE_INFO:
        if (c === 0x0a && (this.#count === 0 || this.#count === 4)) {
          this.#fenced = true;
          this.#mode = VALUE;
        } else if ((c === 0x20 || c === 0x09 || c === 0x0d) && (this.#count === 0 || this.#count === 4)) {
          if (this.#count === 4) this.#infoSpaced = true; // spaces may come before the word, not inside it

        } else if (!this.#infoSpaced && this.#count < 4 && (c | 0x20) === 'json'.charCodeAt(this.#count)) {
          this.#count++;
        } else throw this.#fail(text, i, 'invalid-json', "expected 'json' or a line break after the opening fence");
        return i + 1;
      case END:
        if (isWhiteSpace(c)) return i + 1;
        if (c === 0x60 && this.#fenced) {
          this.#mode = FENCE_CLOSE;
          this.#count = 1;
          return i + 1;
        }
        throw this.#fail(text, i, 'invalid-json', 'unexpected text after the JSON value');
      case FENCE_CLOSE:
        if (c !== 0x60) throw this.#fail(text, i, 'invalid-json', 'expected the closing code fence (```)');
        if (++this.#count === 3) this.#mode = FENCE_DONE;
        return i + 1;
      default: // FENCE_DONE
        if (isWhiteSpace(c)) return i + 1;
        throw this.#fail(text, i, 'invalid-json', 'unexpected text after the closing code fence');
    }
  }

  // ------------------------------------------------------------------------------------------
  // The native parse of containers closed within one piece

  /**
   * The index of the bracket that closes the one at `i` in this piece, when the container is a
   * maximal one closed within the piece and not too deep; else -1. The first call in a piece
   * runs one pre-pass over the rest of it (tracking strings and nesting) that finds every such
   * container, so a piece is pre-scanned at most once.
   */
  #nativeEnd(text: string, i: number, n: number, depth: number): number {
    if (!this.#prepassed) {
      this.#prepassed = true;
      this.#work += n - i;
      this.#intervals = prepass(text, i, n);
      this.#intervalIndex = 0;
    }
    const intervals = this.#intervals;
    let k = this.#intervalIndex;
    while (k < intervals.length && intervals[k]! < i) k += 3;
    this.#intervalIndex = k;
    if (k >= intervals.length || intervals[k] !== i) return -1;
    return depth + intervals[k + 2]! > this.#maxDepth ? -1 : intervals[k + 1]!;
  }

  // ------------------------------------------------------------------------------------------
  // The value after a piece, the end, errors

  /**
   * The new value: one new view per open container, from the innermost out (O(1) each, whatever
   * its size), each holding the next one as its open entry; everything complete is shared.
   */
  #build(): void {
    let open: Maybe<unknown> = this.#mode === STRING && !this.#isKey ? this.#decoded : NONE;
    const frames = this.#frames;
    if (frames.length === 0) {
      const value = open !== NONE ? open : this.#root;
      if (value !== NONE) this.#value = value;
      return;
    }
    for (let d = frames.length - 1; d >= 0; d--) {
      const frame = frames[d]!;
      const values = frame.values;
      open = frame.isArray ? arrayView(values, values.length, open) : objectView(frame.keys, values, values.length, frame.key, open);
    }
    this.#work += frames.length;
    this.#value = open;
  }

  /** `allowIncomplete` at the end: keep what has appeared, close every open container. */
  #finishIncomplete(): void {
    if (this.#mode === STRING && !this.#isKey) {
      if (this.#high !== '') this.#changed = true;
      this.#complete(this.#decoded + this.#high);
    }
    while (this.#frames.length > 0) this.#close();
    if (this.#changed) this.#value = this.#root;
  }

  #whereIncomplete(): string {
    if (this.#root !== NONE) return this.#fenced ? 'before the closing code fence' : 'after the value';
    switch (this.#mode) {
      case STRING:
        return this.#isKey ? 'inside a key' : 'inside a string';
      case NUMBER:
        return 'inside a number';
      case LITERAL:
        return `inside ${JSON.stringify(this.#literal)}`;
      case FENCE_OPEN:
      case FENCE_INFO:
        return 'inside the opening code fence';
      default: {
        const frame = this.#frames[this.#frames.length - 1];
        return frame === undefined ? 'before a value' : frame.isArray ? 'inside an array' : 'inside an object';
      }
    }
  }

  /** Makes, records and returns the error for the character at `i` of `text` (or the end). */
  #fail(text: string, i: number, reason: 'invalid-json' | 'incomplete' | 'too-deep', what: string): PartialJsonError {
    const position = this.#offset + i;
    let before = text.slice(Math.max(0, i - CONTEXT), i);
    for (let k = 1; k <= RECENT && before.length < CONTEXT; k++) before = this.#recent[(this.#pieces - k) & (RECENT - 1)]! + before;
    // Redacted, then cut: a key that began before the cut is masked whole, not shown in part.
    const snippet = redactSecrets(before.slice(-CONTEXT)).slice(-SNIPPET_BEFORE) + redactAndCut(text.slice(i, i + CONTEXT), SNIPPET_AFTER);
    const message =
      reason === 'incomplete'
        ? `Incomplete JSON: the input ended ${what} (position ${position})`
        : `Invalid JSON at position ${position}: ${what}, got ${describeChar(text, i)} near ${JSON.stringify(snippet)}`;
    return this.#failWith(new PartialJsonError(message, { reason, position, snippet, value: this.#value }));
  }

  #failWith(error: PartialJsonError): PartialJsonError {
    this.#error = error;
    return error;
  }
}

/**
 * One pass over `text` from `from` (where a value begins) to `n`: the containers that close within
 * it and are not inside another one that does, as flat triples [start, end, depth] sorted by
 * start. Strings are skipped by their quotes and backslashes; nothing is validated (the native
 * parse of each interval does that).
 */
function prepass(text: string, from: number, n: number): number[] {
  const intervals: number[] = [];
  const opens: number[] = [];
  const depths: number[] = [];
  for (let k = from; k < n; k++) {
    const c = text.charCodeAt(k);
    if (c === 0x22) {
      for (k++; k < n; k++) {
        const s = text.charCodeAt(k);
        if (s === 0x5c) k++;
        else if (s === 0x22) break;
      }
    } else if (c === 0x5b || c === 0x7b) {
      opens.push(k);
      depths.push(0);
    } else if (c === 0x5d || c === 0x7d) {
      const open = opens.pop();
      if (open === undefined) continue; // closes a container opened before `from`
      const depth = depths.pop()! + 1;
      // The intervals inside this one are not maximal any more.
      while (intervals.length > 0 && intervals[intervals.length - 3]! > open) intervals.length -= 3;
      intervals.push(open, k, depth);
      if (depths.length > 0) depths[depths.length - 1] = Math.max(depths[depths.length - 1]!, depth);
    }
  }
  return intervals;
}
