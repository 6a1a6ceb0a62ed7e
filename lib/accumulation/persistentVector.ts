/**
 * An immutable vector with cheap updates: `set` copies only the path from the root to the changed
 * slot (one 32-wide node per level) and shares every other node with the vector it came from.
 *
 * The accumulator keeps the snapshot objects of the choices and of each choice's tool calls in
 * one of these. A snapshot captures the vector as it was; a later chunk that changes tool call 7
 * makes a new vector that shares all nodes but the 32 slots around tool call 7, so the earlier
 * snapshot still sees its own version, and the update costs O(32 · log32 n) instead of the O(n) of
 * copying a plain array. For up to 32 entries the vector is a single node, which is exactly a
 * copy-on-write array.
 *
 * Indexes are dense: `set(i, v)` accepts `0 <= i <= size` (`i === size` appends).
 * @internal
 */
export class PersistentVector<T> {
  private static readonly EMPTY = new PersistentVector<never>([], 0, 0);

  /** The empty vector. */
  static empty<T>(): PersistentVector<T> {
    return PersistentVector.EMPTY;
  }

  /** A vector holding `values` in order (built in O(n)). */
  static of<T>(values: readonly T[]): PersistentVector<T> {
    let vector = PersistentVector.empty<T>();
    for (let i = 0; i < values.length; i++) vector = vector.set(i, values[i] as T);
    return vector;
  }

  private constructor(
    /** Inner nodes hold child nodes; nodes at `shift === 0` (leaves) hold the values. */
    private readonly root: unknown[],
    /** How far to shift an index right to get the root's slot: 0 for one leaf, then 5, 10, … */
    private readonly shift: number,
    /** The number of values. */
    readonly size: number,
  ) {}

  /** The value at `index`, or `undefined` outside `0 .. size - 1`. */
  get(index: number): T | undefined {
    if (index < 0 || index >= this.size) return undefined;
    let node = this.root;
    for (let shift = this.shift; shift > 0; shift -= BITS) node = node[(index >>> shift) & MASK] as unknown[];
    return node[index & MASK] as T;
  }

  /** A new vector with `value` at `index` (`index === size` appends); this one is unchanged. */
  set(index: number, value: T): PersistentVector<T> {
    if (!Number.isInteger(index) || index < 0 || index > this.size) {
      throw new RangeError(`PersistentVector.set: index ${index} outside 0..${this.size}`);
    }
    let root = this.root;
    let shift = this.shift;
    if (index === this.size && index === 1 << (shift + BITS)) {
      // Full at this depth: the old root becomes the first child of a new, taller root.
      root = [root];
      shift += BITS;
    }
    return new PersistentVector<T>(setIn(root, shift, index, value), shift, index === this.size ? this.size + 1 : this.size);
  }

  /** The values as a new plain array, in O(n). */
  toArray(): T[] {
    const out: T[] = new Array<T>(this.size);
    let filled = 0;
    const walk = (node: unknown[], shift: number): void => {
      if (shift === 0) {
        for (let i = 0; i < node.length && filled < this.size; i++) out[filled++] = node[i] as T;
        return;
      }
      for (let i = 0; i < node.length && filled < this.size; i++) walk(node[i] as unknown[], shift - BITS);
    };
    walk(this.root, this.shift);
    return out;
  }
}

const BITS = 5;
const MASK = (1 << BITS) - 1;

function setIn(node: unknown[] | undefined, shift: number, index: number, value: unknown): unknown[] {
  const copy = node === undefined ? [] : node.slice();
  if (shift === 0) {
    copy[index & MASK] = value;
  } else {
    const slot = (index >>> shift) & MASK;
    copy[slot] = setIn(copy[slot] as unknown[] | undefined, shift - BITS, index, value);
  }
  return copy;
}
