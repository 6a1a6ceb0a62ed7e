import { InvalidInputError } from '../errors.js';
import { toBinary, type BytePairEncoder } from './bpe.js';
import { blankTokens, isBlank, pushBlank, startBlank, type BlankTail } from './blankTail.js';
import { allIn } from './charClasses.js';
import type { EncodingName } from './encodingForModel.js';
import { growPiece, resumePiece, type GrowingPiece } from './growingPiece.js';
import { pieceList, preSplitModel, runKindAt, splitByPattern, type PieceList, type PreSplitModel, type RunKind } from './preSplit.js';
import { LAST_DIGITS, LAST_LOWER, LAST_SPACES, NOT_WORDS, splitWords, wordCuts, type WordCuts } from './splitWords.js';

/** Pieces shorter than this (in characters) are simply counted again after each delta; longer ones are resumed. */
const LONG_PIECE = 64;

/**
 * What the tally knows of its tail, the text after the committed pieces: one case at a time.
 * `pending` holds the counts of the short pieces not final yet, `[start, length, tokens]` per
 * piece, `start` in the tail: the next split reuses a count where it finds the same piece again
 * (same start, same length: the same text, since the tail only grows).
 */
type TailState =
  /** Pieces none of which is final yet: the short ones' counts, and the last one when it is long. */
  | { readonly kind: 'pieces'; readonly pending: number[]; readonly last: GrowingPiece | undefined }
  /**
   * One short piece of a run kind (`pending` is its one triple): deltas of that kind keep it one
   * piece. The commonest case (the last word), so a split that leaves another one updates it in place.
   */
  | { readonly kind: 'shortRun'; run: RunKind; pending: number[] }
  /** One long piece of a run kind: deltas of that kind grow it, resumed, without a split. */
  | { readonly kind: 'longRun'; readonly run: RunKind; readonly piece: GrowingPiece }
  /** Long white space with a line break: two pieces whose cut only moves (see `blankTail.ts`). */
  | { readonly kind: 'blank'; readonly blank: BlankTail };

/**
 * Counts the tokens of a growing text, one appended piece at a time, always equal to a fresh
 * count of the whole text so far, without re-encoding it.
 *
 * After each delta the tail (the text after the final pieces) is split again, by the word scan
 * (`splitWords`) when it is plain ASCII words, else by the pattern (`splitByPattern`). The pieces
 * that are final whatever is appended (`reach`, see `preSplit.ts`) are committed: their tokens
 * added once, their text dropped. The others stay in the tail: usually the last word. A long last
 * piece is not encoded again but resumed (`growingPiece.ts`). Three shapes of tail skip the split:
 * one piece of a run kind, short or long, while deltas of its kind arrive (a 64K-letter run
 * streamed in small deltas costs O(delta) each, not a re-scan of the run), and long white space
 * with a line break (`blankTail.ts`).
 *
 * Specifications (fast-check) check the count after every delta against a fresh count.
 * @internal
 */
export class TokenTally {
  /** Tokens of the committed (final) pieces. */
  private committed = 0;
  /**
   * The text after the committed pieces. Deltas are appended with `+`, which V8 makes O(delta)
   * (a rope, flattened once when the text is read again), so a long run that only grows costs no copy.
   */
  private tail = '';
  /** The current total. */
  private total = 0;
  private state: TailState = { kind: 'pieces', pending: [], last: undefined };
  /** Characters handed to a split so far (see `scanned`). */
  private splitLength = 0;

  private readonly model: PreSplitModel;
  /** Where `splitWords` writes its cuts (it looks at tails shorter than `longPiece` only). */
  private readonly words: WordCuts;
  /** Where `splitByPattern` writes its pieces. */
  private readonly pieces: PieceList = pieceList();

  /**
   * @param encoder The encoding's encoder.
   * @param encoding Its name (it picks the model of its pattern).
   * @param longPiece Pieces of at least this many characters are resumed rather than counted again
   *   (a parameter so that specifications can send every piece through that path).
   */
  constructor(
    private readonly encoder: BytePairEncoder,
    encoding: EncodingName,
    private readonly longPiece = LONG_PIECE,
  ) {
    this.model = preSplitModel(encoding);
    this.words = wordCuts(Math.max(1, longPiece));
  }

  /** The number of tokens of all text pushed so far. */
  get count(): number {
    return this.total;
  }

  /**
   * The characters handed to a split (the word scan or the pattern) so far: the work that is not
   * O(delta) by construction. Docs/usage.md bounds it on long runs; a spec checks the bound.
   */
  get scanned(): number {
    return this.splitLength;
  }

  /** Appends `delta` and returns the number of tokens of all text so far. */
  push(delta: string): number {
    if (typeof delta !== 'string') throw new InvalidInputError('runningTokens() delta', delta, 'a string');
    if (delta.length === 0) return this.total;
    const tail = (this.tail += delta);
    const state = this.state;
    switch (state.kind) {
      case 'blank':
        if (isBlank(delta)) {
          this.total = this.committed + pushBlank(this.encoder, state.blank, delta, tail, this.longPiece);
          return this.total;
        }
        break;
      case 'longRun': {
        const piece = state.piece;
        if (allIn(state.run.rest, delta, 0)) {
          growPiece(this.encoder, piece, toBinary(delta), piece.length + delta.length, tail, piece.start);
          this.total = this.committed + piece.starts.length;
          return this.total;
        }
        break;
      }
      case 'shortRun':
        if (tail.length < this.longPiece && allIn(state.run.rest, delta, 0)) {
          // The tail stays one short piece of its kind: count it, no split.
          const tokens = this.encoder.countPiece(tail);
          state.pending[1] = tail.length;
          state.pending[2] = tokens;
          this.total = this.committed + tokens;
          return this.total;
        }
        break;
    }
    this.split(tail, state);
    return this.total;
  }

  /** Splits the tail again, commits its final pieces and counts the others. */
  private split(tail: string, previous: TailState): void {
    const counts = previous.kind === 'pieces' || previous.kind === 'shortRun' ? previous.pending : [];
    if (tail.length < this.longPiece) {
      this.splitLength += tail.length; // read by the word scan
      if (splitWords(tail, this.words) !== NOT_WORDS) {
        this.countWords(tail, this.words, counts);
        return;
      }
    }
    this.countPieces(tail, counts, previous);
    // A long tail of white space with a line break is counted without the pattern from now on.
    if (this.tail.length >= this.longPiece) {
      const blank = startBlank(this.encoder, this.tail, this.longPiece);
      if (blank !== undefined) {
        this.state = { kind: 'blank', blank };
        this.total = this.committed + blankTokens(blank);
      }
    }
  }

  /** Commits the pieces before the last of `splitWords`' cuts; the last one is the new tail. */
  private countWords(tail: string, words: WordCuts, counts: number[]): void {
    const bounds = words.cuts;
    const cuts = words.count;
    let committed = 0;
    let start = 0;
    for (let k = 0; k < cuts; k++) {
      const end = bounds[k] as number;
      committed += this.pieceTokens(tail, start, end, counts);
      start = end;
    }
    // The last piece is the new tail: one slice serves as both.
    const rest = start === 0 ? tail : tail.slice(start);
    const open = this.pieceTokens(tail, start, tail.length, counts, rest);
    this.committed += committed;
    this.tail = rest;
    // Its one triple, in place when the last split left one (no allocation per delta).
    let pending = counts;
    if (pending.length === 3) {
      pending[0] = 0;
      pending[1] = rest.length;
      pending[2] = open;
    } else {
      pending = [0, rest.length, open];
    }
    // The scan saw the last piece: its run kind is known but for a capital after a space (" The").
    const last = words.last;
    const run =
      last === LAST_LOWER
        ? this.model.letters
        : last === LAST_SPACES
          ? this.model.spaces
          : last === LAST_DIGITS
            ? undefined
            : runKindAt(this.model, tail, start);
    this.shortRunOrPieces(run, pending);
    this.total = this.committed + open;
  }

  /** Sets the state after a split that left short pieces only: `shortRun` (updated in place when it was one already) or `pieces`. */
  private shortRunOrPieces(run: RunKind | undefined, pending: number[]): void {
    const state = this.state;
    if (run === undefined) this.state = { kind: 'pieces', pending, last: undefined };
    else if (state.kind === 'shortRun') {
      state.run = run;
      state.pending = pending;
    } else this.state = { kind: 'shortRun', run, pending };
  }

  /**
   * The tokens of the short piece `[start, end)` of `tail` (`piece`, when it is sliced already): the
   * last split's count when it saw the same piece, else counted.
   */
  private pieceTokens(tail: string, start: number, end: number, counts: readonly number[], piece?: string): number {
    if (end - start === 1) return 1; // one ASCII unit (all `splitWords` takes): one byte, and every byte is a token
    for (let k = 0; k < counts.length; k += 3) {
      if (counts[k] === start) {
        if (counts[k + 1] === end - start) return counts[k + 2] as number;
        break;
      }
    }
    return this.encoder.countPiece(piece ?? tail.slice(start, end));
  }

  /** Splits `tail` with the pattern: commits its final pieces, counts the others (resuming the long piece `state` kept). */
  private countPieces(tail: string, counts: readonly number[], state: TailState): void {
    this.splitLength += tail.length; // read by the pattern
    const previous = state.kind === 'pieces' ? state.last : state.kind === 'longRun' ? state.piece : undefined;
    const encoder = this.encoder;
    const longPiece = this.longPiece;
    const pieces = this.pieces;
    const final = splitByPattern(encoder, this.model, tail, pieces);
    const bounds = pieces.bounds;
    const length = tail.length;
    const pending: number[] = [];
    let last: GrowingPiece | undefined;
    let cursor = 0;
    let keepFrom = 0;
    let open = 0;
    for (let k = 0; k < pieces.count; k++) {
      const start = bounds[2 * k] as number;
      const end = bounds[2 * k + 1] as number;
      const pieceLength = end - start;
      let tokens: number;
      if (pieceLength < longPiece) {
        // The count of a short piece the last split saw too (same start, same length: same text).
        while (cursor < counts.length && (counts[cursor] as number) < start) cursor += 3;
        if (counts[cursor] === start && counts[cursor + 1] === pieceLength) tokens = counts[cursor + 2] as number;
        else tokens = encoder.countPiece(tail.slice(start, end));
        if (k >= final) pending.push(start - keepFrom, pieceLength, tokens);
      } else {
        const piece = resumePiece(encoder, previous, start, tail.slice(start, end));
        tokens = piece.starts.length;
        if (k >= final && end === length) last = piece;
      }
      if (k < final) {
        this.committed += tokens;
        keepFrom = end;
      } else {
        open += tokens;
      }
    }
    this.tail = keepFrom === 0 ? tail : keepFrom < length ? tail.slice(keepFrom) : '';
    const rest = length - keepFrom;
    let run: RunKind | undefined;
    if (last !== undefined) {
      last.start -= keepFrom;
      if (last.start === 0 && last.length === rest) run = runKindAt(this.model, tail, keepFrom);
      this.state = run !== undefined ? { kind: 'longRun', run, piece: last } : { kind: 'pieces', pending, last };
    } else {
      // One short piece that is the whole tail (the pending ones are all short).
      if (pending.length === 3 && pending[0] === 0 && pending[1] === rest) run = runKindAt(this.model, tail, keepFrom);
      this.shortRunOrPieces(run, pending);
    }
    this.total = this.committed + open;
  }
}
