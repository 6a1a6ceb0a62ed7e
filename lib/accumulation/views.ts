/**
 * How a snapshot shows a list that can grow long (a choice's logprobs, its tool calls, the choices)
 * without the accumulator copying the whole list after every chunk.
 *
 * A {@link ListView} is one version of a list: its length is fixed when it is made, and it knows how
 * to produce that version as a plain array (a `slice(0, length)` of an append-only backing array, or
 * the `toArray()` of a persistent vector). {@link attachList} puts it on a snapshot object:
 * - up to {@link EAGER_LIMIT} entries, as a plain array made at once (a bounded copy, O(1) per
 *   chunk);
 * - beyond that, as an enumerable getter that makes the array on first read and keeps it. Making a
 *   snapshot then costs O(1) for the list; the O(n) copy is paid only by a reader who looks at that
 *   list in that snapshot, once. `JSON.stringify`, spreading, `structuredClone` and Jest's equality
 *   all read getters, so the snapshot behaves as a plain object; `console.log` shows the values too
 *   (the object gets a non-enumerable `util.inspect.custom` that prints a materialised copy).
 *
 * Views of one list share their backing store, which only ever grows (logprobs) or is never mutated
 * (vectors), so a view made earlier keeps showing exactly its own version.
 * @internal
 */

/** Lists up to this length are copied into every new snapshot; longer ones are shown lazily. */
export const EAGER_LIMIT = 32;

const inspectCustom = Symbol.for('nodejs.util.inspect.custom');

/** One version of a list, turned into a plain array at most once. */
export class ListView<T> {
  #array: T[] | undefined;

  constructor(
    readonly length: number,
    private readonly materialise: () => T[],
  ) {}

  /** This version as a plain array (the same array on every call). */
  get array(): T[] {
    return (this.#array ??= this.materialise());
  }
}

/** Puts `view` on `target[key]`: a plain array when short, a memoised getter when long. */
export function attachList<T>(target: object, key: string, view: ListView<T>): void {
  if (view.length <= EAGER_LIMIT) {
    (target as Record<string, unknown>)[key] = view.array;
    return;
  }
  Object.defineProperty(target, key, {
    enumerable: true,
    configurable: true,
    get: () => view.array,
    set(value: unknown) {
      Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
    },
  });
  if (!Object.prototype.hasOwnProperty.call(target, inspectCustom)) {
    Object.defineProperty(target, inspectCustom, { value: inspectMaterialised, configurable: true, writable: true });
  }
}

function inspectMaterialised(this: object): object {
  return { ...this };
}
