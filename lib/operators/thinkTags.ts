/*
 * The think-tag splitter `contentDeltas()` and `reasoningDeltas()` share (`{ thinkTags: true }`):
 * R1-style models served without a reasoning parser write their reasoning inline, at the start of
 * `content`, as `<think>…</think>`, then the answer. Not exported from the package.
 */

const OPEN = '<think>';
const CLOSE = '</think>';

/** Where the splitter is in the content. */
type Phase =
  /** Nothing but whitespace and perhaps the start of `<think>` so far: held back. */
  | 'start'
  /** Inside the think block: reasoning, but for a possible start of `</think>` held back. */
  | 'think'
  /** After `</think>`, or content that does not open with `<think>`: the answer, passed as is. */
  | 'answer';

/** White space, as `trim()` and `\s` know it. */
const SPACE = /\s/;

/**
 * Splits one choice's content deltas into the reasoning of a leading `<think>…</think>` block and
 * the answer, whatever way the tags are split across deltas (one character at a time too).
 *
 * Rules:
 * - a think block is recognised only at the start of the content, after optional whitespace
 *   (which is then dropped); `<think>` anywhere else is answer text;
 * - the text between the tags is reasoning; everything after `</think>` is the answer, exactly
 *   (R1 models put `\n\n` first: nothing is trimmed);
 * - while the start is undecided (whitespace, `<thi`), and inside the block where the text may be
 *   the start of `</think>` (`</th`), those few characters are held back, never emitted twice;
 * - `end()`, when the content is over: an undecided start was not a think block (answer); a block
 *   that never closed (the answer was cut by `max_tokens`, or the server stopped) was all
 *   reasoning, so what was held is reasoning and the answer is empty.
 *
 * O(delta) per delta: each piece is scanned once, with at most 7 held characters before it; the
 * leading whitespace is scanned once however it is split.
 * @internal
 */
export class ThinkTagSplitter {
  /** The reasoning text of the last `push` or `end` (`''` when none). */
  reasoning = '';
  /** The answer text of the last `push` or `end` (`''` when none). */
  content = '';

  #phase: Phase = 'start';
  /** Held back: the undecided start (Start), or a possible start of `</think>` (Think). */
  #held = '';
  /** Characters at the start of `#held` known to be whitespace (Start). */
  #blank = 0;

  /** Splits the next piece of content into `reasoning` and `content`. */
  push(text: string): void {
    this.reasoning = '';
    this.content = '';
    if (this.#phase === 'answer') {
      this.content = text;
      return;
    }
    if (this.#phase === 'think') {
      this.#think(text);
      return;
    }
    const held = (this.#held += text);
    let blank = this.#blank;
    while (blank < held.length && SPACE.test(held.charAt(blank))) blank++;
    this.#blank = blank;
    if (blank === held.length) return; // whitespace only, so far
    const rest = blank === 0 ? held : held.slice(blank);
    if (rest.startsWith(OPEN)) {
      this.#phase = 'think';
      this.#held = '';
      this.#think(rest.slice(OPEN.length));
    } else if (rest.length < OPEN.length && OPEN.startsWith(rest)) {
      // `<`, `<th`, …: wait for more.
    } else {
      this.#phase = 'answer';
      this.#held = '';
      this.content = held;
    }
  }

  /** The content is over: what was held goes out (see the rules). */
  end(): void {
    this.reasoning = '';
    this.content = '';
    if (this.#phase === 'start') this.content = this.#held;
    else if (this.#phase === 'think') this.reasoning = this.#held;
    this.#held = '';
    this.#phase = 'answer';
  }

  /** Inside the block: reasoning up to `</think>`, then the answer. */
  #think(piece: string): void {
    const text = this.#held.length === 0 ? piece : this.#held + piece;
    const close = text.indexOf(CLOSE);
    if (close >= 0) {
      this.reasoning = text.slice(0, close);
      this.content = text.slice(close + CLOSE.length);
      this.#held = '';
      this.#phase = 'answer';
      return;
    }
    // Hold back the longest end of the text that may be the start of `</think>`.
    let keep = Math.min(CLOSE.length - 1, text.length);
    while (keep > 0 && !text.endsWith(CLOSE.slice(0, keep))) keep--;
    this.reasoning = keep === 0 ? text : text.slice(0, text.length - keep);
    this.#held = keep === 0 ? '' : text.slice(text.length - keep);
  }
}
