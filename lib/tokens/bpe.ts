/**
 * The byte-pair encoder behind every count: js-tiktoken's rank files and pre-split regex, and the
 * same merge rule (repeatedly merge the adjacent pair whose bytes have the lowest rank, the
 * leftmost on ties), run with a heap over a linked list so a long piece costs O(n log n) instead
 * of js-tiktoken's O(n²). Special-token strings are ordinary text, as with `encode(text, [], [])`.
 *
 * Byte strings are "binary strings": one UTF-16 unit per byte (0–255), so `Map` lookups and
 * `slice` work on them directly. ASCII text is its own binary string.
 * @internal
 */

/** The shape of a js-tiktoken rank module (`js-tiktoken/ranks/<name>`). */
export interface RankFile {
  pat_str: string;
  special_tokens: Record<string, number>;
  bpe_ranks: string;
}

/** Pieces up to this many bytes are merged with a plain scan (fewer allocations than the heap). */
const SMALL_PIECE = 24;
/** Pieces up to this many bytes have their merge remembered (words repeat)... */
const MEMO_BYTES = 256;
/** ...in a memo of at most this many entries (cleared when full). */
const MEMO_ENTRIES = 65536;
/** Pieces up to this many UTF-16 units have their count remembered by `countPiece`... */
const COUNT_MEMO_LENGTH = 32;
/** ...in a memo of at most this many entries (cleared when full; small, to stay in cache). */
const COUNT_MEMO_ENTRIES = 16384;
/** The token starts of a piece that is one token. */
const SINGLE: readonly number[] = Object.freeze([0]);
/** 2^32: heap keys are `rank * 2^32 + start`, so lower rank first, then the leftmost pair. */
const SHIFT = 4294967296;

export class BytePairEncoder {
  /** Token bytes (as a binary string) → rank. */
  readonly ranks: Map<string, number>;
  /** Merges of recent multi-token pieces. */
  private readonly memo = new Map<string, readonly number[]>();
  /** Token counts of recent short pieces, by their text (see `countPiece`). */
  private readonly counts = new Map<string, number>();
  /** Token counts of two-byte ASCII pieces, by `first << 7 | second` (0: not seen yet). */
  private readonly pairs = new Uint8Array(16384);
  /** The longest token, in bytes: longer pairs need no lookup. */
  readonly maxTokenBytes: number;
  /** js-tiktoken's pre-split pattern for this encoding, flags `gu`. */
  readonly pattern: RegExp;
  /** The same pattern, flags `uy`: it matches only at `lastIndex` (`test` then gives a piece's end without building a match). */
  readonly sticky: RegExp;

  constructor(file: RankFile) {
    // `atob` (browsers, Node >= 16) decodes base64 straight into a binary string.
    const ranks = new Map<string, number>();
    let maxTokenBytes = 1;
    for (const line of file.bpe_ranks.split('\n')) {
      if (line === '') continue;
      const fields = line.split(' ');
      const offset = Number.parseInt(fields[1] ?? '', 10);
      for (let i = 2; i < fields.length; i++) {
        const bytes = atob(fields[i] as string);
        ranks.set(bytes, offset + i - 2);
        if (bytes.length > maxTokenBytes) maxTokenBytes = bytes.length;
      }
    }
    this.ranks = ranks;
    this.maxTokenBytes = maxTokenBytes;
    this.pattern = new RegExp(withoutCaptures(file.pat_str), 'gu');
    this.sticky = new RegExp(this.pattern.source, 'uy');
  }

  /** Where the piece `nextPiece` found last starts. */
  pieceStart = 0;

  /**
   * The pre-split piece at `at` in `text`, or the next one where the pattern would skip text:
   * returns its end and sets `pieceStart`, or returns -1 when there is none. The sticky copy's
   * `test` finds it without building a match (o200k and cl100k skip nothing); `exec` covers the
   * rest. An empty match comes back as it is (`pieceStart` equal to the end): the caller moves on
   * by one code point (`advance`), as `matchAll` does.
   */
  nextPiece(text: string, at: number): number {
    const sticky = this.sticky;
    sticky.lastIndex = at;
    if (sticky.test(text)) {
      this.pieceStart = at;
      return sticky.lastIndex;
    }
    const pattern = this.pattern;
    pattern.lastIndex = at;
    const match = pattern.exec(text);
    if (match === null) return -1;
    this.pieceStart = match.index;
    return match.index + match[0].length;
  }

  /** The number of tokens of `text`: js-tiktoken's `encode(text, [], []).length`. */
  count(text: string): number {
    let total = 0;
    const length = text.length;
    let at = 0;
    while (at < length) {
      const end = this.nextPiece(text, at);
      if (end < 0) break;
      const start = this.pieceStart;
      if (end === start) {
        at = advance(text, start);
        continue;
      }
      at = end;
      total += this.countPiece(text.slice(start, end));
    }
    return total;
  }

  /**
   * The number of tokens of one pre-split piece (UTF-16 text). Short pieces are remembered in a
   * small memo keyed by their text, so a repeated word costs one lookup in a table that stays in
   * the processor's cache, not a UTF-8 conversion and a lookup among the encoding's ranks.
   */
  countPiece(piece: string): number {
    if (piece.length === 2) {
      const first = piece.charCodeAt(0);
      const second = piece.charCodeAt(1);
      if ((first | second) < 128) {
        const pair = (first << 7) | second;
        // Two ASCII bytes: one token when they are one, else two (every byte is a token).
        let tokens = this.pairs[pair] as number;
        if (tokens === 0) this.pairs[pair] = tokens = this.ranks.has(piece) ? 1 : 2;
        return tokens;
      }
    }
    if (piece.length > COUNT_MEMO_LENGTH) return this.tokenStarts(toBinary(piece)).length;
    const counts = this.counts;
    let tokens = counts.get(piece);
    if (tokens === undefined) {
      tokens = this.tokenStarts(toBinary(piece)).length;
      if (counts.size >= COUNT_MEMO_ENTRIES) counts.clear();
      counts.set(detached(piece), tokens);
    }
    return tokens;
  }

  /**
   * The byte offset where each token of one pre-split piece (a binary string) starts. The array
   * may be shared (memoised): do not modify it.
   */
  tokenStarts(bytes: string): readonly number[] {
    const length = bytes.length;
    if (length <= 1) return SINGLE;
    if (length <= this.maxTokenBytes && this.ranks.has(bytes)) return SINGLE;
    if (length > MEMO_BYTES) return mergeLarge(bytes, this);
    let starts = this.memo.get(bytes);
    if (starts === undefined) {
      starts = length <= SMALL_PIECE ? mergeSmall(bytes, this) : mergeLarge(bytes, this);
      if (this.memo.size >= MEMO_ENTRIES) this.memo.clear();
      this.memo.set(detached(bytes), starts);
    }
    return starts;
  }

  /** The rank of the bytes `[start, end)` of `bytes`, or -1 when they are no token. */
  rankOf(bytes: string, start: number, end: number): number {
    if (end - start > this.maxTokenBytes) return -1;
    return this.ranks.get(bytes.slice(start, end)) ?? -1;
  }
}

/**
 * A copy of `key` that holds no reference to a longer string. V8 makes a slice of 13 or more
 * characters a view into its parent: kept as a memo key, it would keep the whole counted text
 * alive. Prepending a character and slicing it off again copies the characters (used on a memo
 * miss only).
 */
function detached(key: string): string {
  return (' ' + key).slice(1);
}

/**
 * The pattern with its capturing groups made non-capturing (`(` → `(?:`): the same matches,
 * without capture bookkeeping (nothing reads the groups). Escapes and character classes are
 * skipped over.
 */
export function withoutCaptures(pattern: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '\\') {
      out += c + (pattern[i + 1] ?? '');
      i++;
    } else if (inClass) {
      if (c === ']') inClass = false;
      out += c;
    } else if (c === '[') {
      inClass = true;
      out += c;
    } else if (c === '(' && pattern[i + 1] !== '?') {
      out += '(?:';
    } else {
      out += c;
    }
  }
  return out;
}

/** The index after the code point at `index` (for an empty match, as `matchAll` advances). */
export function advance(text: string, index: number): number {
  const unit = text.charCodeAt(index);
  if (unit >= 0xd800 && unit <= 0xdbff && index + 1 < text.length) {
    const next = text.charCodeAt(index + 1);
    if (next >= 0xdc00 && next <= 0xdfff) return index + 2;
  }
  return index + 1;
}

/**
 * The UTF-8 bytes of `text` as a binary string, exactly as `TextEncoder` encodes it (a lone
 * surrogate becomes U+FFFD, `EF BF BD`). ASCII text is returned as is.
 */
export function toBinary(text: string): string {
  const length = text.length;
  let i = 0;
  while (i < length && text.charCodeAt(i) < 0x80) i++;
  if (i === length) return text;
  const codes: number[] = [];
  for (let j = 0; j < i; j++) codes.push(text.charCodeAt(j));
  for (; i < length; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      codes.push(c);
    } else if (c < 0x800) {
      codes.push(0xc0 | (c >> 6), 0x80 | (c & 0x3f));
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < length ? text.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        i++;
        codes.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 0x3f), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
      } else {
        codes.push(0xef, 0xbf, 0xbd);
      }
    } else {
      codes.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
    }
  }
  let out = '';
  for (let start = 0; start < codes.length; start += 8192) {
    out += String.fromCharCode.apply(null, codes.slice(start, start + 8192));
  }
  return out;
}

/**
 * The merge by plain scan, for short pieces: `starts[k]` is where part k starts, `pair[k]` the
 * rank of part k joined with part k+1 (-1: no token). Returns the part starts.
 */
export function mergeSmall(bytes: string, encoder: BytePairEncoder): number[] {
  const n = bytes.length;
  const starts: number[] = [];
  const pair: number[] = [];
  for (let i = 0; i < n; i++) {
    starts.push(i);
    pair.push(i + 2 <= n ? encoder.rankOf(bytes, i, i + 2) : -1);
  }
  for (;;) {
    let best = -1;
    let bestRank = Infinity;
    for (let k = 0; k < pair.length; k++) {
      const rank = pair[k] as number;
      if (rank >= 0 && rank < bestRank) {
        bestRank = rank;
        best = k;
      }
    }
    if (best < 0) return starts;
    starts.splice(best + 1, 1);
    pair.splice(best + 1, 1);
    const parts = starts.length;
    const endOf = (k: number): number => (k + 1 < parts ? (starts[k + 1] as number) : n);
    pair[best] = best + 1 < parts ? encoder.rankOf(bytes, starts[best] as number, endOf(best + 1)) : -1;
    if (best > 0) pair[best - 1] = encoder.rankOf(bytes, starts[best - 1] as number, endOf(best));
  }
}

/**
 * The merge with a binary heap of candidate pairs over a doubly linked list of parts, for long
 * pieces: O(n log n). A part is named by its first byte. A heap entry `rank * 2^32 + start`
 * is stale when the part at `start` is gone or its pair rank changed (ranks are unique per byte
 * string, so an unchanged rank means an unchanged pair). Popping the least key picks the lowest
 * rank and, among equal ranks, the leftmost pair: the same choice as js-tiktoken's scan.
 */
export function mergeLarge(bytes: string, encoder: BytePairEncoder): number[] {
  const n = bytes.length;
  const next = new Int32Array(n);
  const prev = new Int32Array(n);
  const pairRank = new Int32Array(n);
  const alive = new Uint8Array(n);
  const heap = new Float64Array(3 * n);
  let size = 0;

  const push = (key: number): void => {
    let i = size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const up = heap[parent] as number;
      if (up <= key) break;
      heap[i] = up;
      i = parent;
    }
    heap[i] = key;
  };
  const pop = (): number => {
    const top = heap[0] as number;
    const last = heap[--size] as number;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= size) break;
      const right = child + 1;
      if (right < size && (heap[right] as number) < (heap[child] as number)) child = right;
      if ((heap[child] as number) >= last) break;
      heap[i] = heap[child] as number;
      i = child;
    }
    heap[i] = last;
    return top;
  };

  for (let i = 0; i < n; i++) {
    next[i] = i + 1;
    prev[i] = i - 1;
    alive[i] = 1;
    const rank = i + 2 <= n ? encoder.rankOf(bytes, i, i + 2) : -1;
    pairRank[i] = rank;
    if (rank >= 0) push(rank * SHIFT + i);
  }

  while (size > 0) {
    const key = pop();
    const start = key % SHIFT;
    const rank = (key - start) / SHIFT;
    if (alive[start] !== 1 || pairRank[start] !== rank) continue;
    // Merge the part at `start` with the next one.
    const right = next[start] as number;
    const after = next[right] as number;
    alive[right] = 0;
    next[start] = after;
    if (after < n) prev[after] = start;
    const rankHere = after < n ? encoder.rankOf(bytes, start, next[after] as number) : -1;
    pairRank[start] = rankHere;
    if (rankHere >= 0) push(rankHere * SHIFT + start);
    const before = prev[start] as number;
    if (before >= 0) {
      const rankBefore = encoder.rankOf(bytes, before, after);
      pairRank[before] = rankBefore;
      if (rankBefore >= 0) push(rankBefore * SHIFT + before);
    }
  }

  const starts: number[] = [];
  for (let i = 0; i < n; i = next[i] as number) starts.push(i);
  return starts;
}
