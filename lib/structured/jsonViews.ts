/**
 * How a partial JSON value shows an open array or object of more than {@link VIEW_LIMIT}
 * entries without copying it after every delta.
 *
 * The parser emits a new immutable value after each delta, sharing every complete part with the
 * previous one; only the open path (the containers around the point where the text ends) is new.
 * A new plain array of `m` entries costs O(m), so a long list copied after every delta would make
 * the whole parse quadratic (an array of 5,000 records: 5,000 copies per delta). Up to
 * `VIEW_LIMIT` entries a container is copied (a bounded cost, O(1) per delta); beyond it the
 * version is a view: a `Proxy` of a fresh, empty array (or object) that records the version
 * (the shared, append-only store of complete entries, how many of them belong to this version,
 * and the value of the open entry). On the first operation that looks at it (reading a property,
 * `Object.keys`, `Array.isArray` excepted, `JSON.stringify`, `Object.isFrozen`, …) the view fills
 * its target with the version's entries, O(m) once, and freezes it; every later operation is
 * forwarded to that frozen plain target. So a view behaves as a frozen plain array or object:
 * `Array.isArray`, `instanceof Array`, `JSON.stringify`, spreading, iteration, Jest's `toEqual`,
 * `Object.isFrozen` (true), writes throw in strict mode. What a view cannot do is what no `Proxy`
 * can: `structuredClone` and `postMessage` refuse it (copy it with `JSON.parse(JSON.stringify(v))`
 * or read the final value, which has no views once the input is complete).
 *
 * Until it is filled, the target's prototype carries Node's `util.inspect.custom`, so
 * `console.log` (which inspects a proxy's target without calling its traps) shows the entries;
 * filling the target sets its prototype back to `Array.prototype` / `Object.prototype`.
 * @internal
 */

/** Containers up to this many entries are copied into each new version; longer ones are views. */
export const VIEW_LIMIT = 32;

/** No value: an entry whose value has not appeared yet (a number not yet complete, a key without value). */
export const NONE: unique symbol = Symbol('none');
export type Maybe<T> = T | typeof NONE;

const inspectCustom = Symbol.for('nodejs.util.inspect.custom');

/**
 * Arrays made as view targets: their prototype shows the view's entries to `util.inspect`. An
 * anonymous class on purpose: transpilers that keep names (esbuild's `keepNames`, which tsx uses)
 * redefine a named class's `name`, and that takes V8 off its fast path for constructing a
 * subclass of `Array` (measured: 20 ns became 260 ns a view).
 */
const ViewArrayTarget: new () => unknown[] = (() =>
  class extends Array<unknown> {
    [inspectCustom](this: unknown[]): unknown[] {
      return Array.from(this); // `this` is the proxy: reading it fills the target
    }
  })();

const viewObjectPrototype: object = Object.create(Object.prototype, {
  [inspectCustom]: {
    value: function inspectView(this: object): object {
      return { ...this };
    },
  },
});

/** Sets `target[key] = value` as an own data property, even for `__proto__` (as `JSON.parse` does). */
export function defineEntry(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

/**
 * The traps of every view: fill the target once, then forward to it. One class for arrays and
 * objects (`keys` is undefined for an array), with no base class: a view is made per delta, and
 * a derived constructor costs more.
 */
class ViewHandler<T extends object> implements ProxyHandler<T> {
  #filled = false;

  constructor(
    /** Objects: the complete entries' keys; arrays: undefined. */
    private readonly keys: readonly string[] | undefined,
    /** The complete entries' values (shared by every version: only ever appended to). */
    private readonly values: readonly unknown[],
    /** How many of them this version has. */
    private readonly count: number,
    /** Objects: the open entry's key. */
    private readonly openKey: string,
    /** The open entry's value, or NONE. */
    private readonly open: Maybe<unknown>,
  ) {}

  /** Puts the version's entries into `target` (empty until now), then freezes it. */
  private fill(target: T): void {
    if (this.#filled) return;
    this.#filled = true;
    const { keys, values, count, open } = this;
    if (keys === undefined) {
      const array = target as unknown as unknown[];
      Object.setPrototypeOf(array, Array.prototype);
      for (let i = 0; i < count; i++) array.push(values[i]);
      if (open !== NONE) array.push(open);
    } else {
      const object = target as Record<string, unknown>;
      Object.setPrototypeOf(object, Object.prototype);
      for (let i = 0; i < count; i++) defineEntry(object, keys[i]!, values[i]);
      if (open !== NONE) defineEntry(object, this.openKey, open);
    }
    Object.freeze(target);
  }

  get(target: T, key: string | symbol, receiver: unknown): unknown {
    this.fill(target);
    return Reflect.get(target, key, receiver);
  }
  has(target: T, key: string | symbol): boolean {
    this.fill(target);
    return Reflect.has(target, key);
  }
  ownKeys(target: T): ArrayLike<string | symbol> {
    this.fill(target);
    return Reflect.ownKeys(target);
  }
  getOwnPropertyDescriptor(target: T, key: string | symbol): PropertyDescriptor | undefined {
    this.fill(target);
    return Reflect.getOwnPropertyDescriptor(target, key);
  }
  getPrototypeOf(target: T): object | null {
    this.fill(target);
    return Reflect.getPrototypeOf(target);
  }
  isExtensible(target: T): boolean {
    this.fill(target);
    return Reflect.isExtensible(target);
  }
  // Writes: on the frozen target they fail (a TypeError in strict mode), as on any frozen value.
  set(target: T, key: string | symbol, value: unknown, receiver: unknown): boolean {
    this.fill(target);
    return Reflect.set(target, key, value, receiver);
  }
  defineProperty(target: T, key: string | symbol, descriptor: PropertyDescriptor): boolean {
    this.fill(target);
    return Reflect.defineProperty(target, key, descriptor);
  }
  deleteProperty(target: T, key: string | symbol): boolean {
    this.fill(target);
    return Reflect.deleteProperty(target, key);
  }
  setPrototypeOf(target: T, prototype: object | null): boolean {
    this.fill(target);
    return Reflect.setPrototypeOf(target, prototype);
  }
  preventExtensions(target: T): boolean {
    this.fill(target);
    return Reflect.preventExtensions(target);
  }
}

/**
 * One version of a long array: the first `count` entries of `store` (complete, so never changed
 * again: the store only grows), then `open` unless it is {@link NONE}. O(1).
 */
export function arrayView(store: readonly unknown[], count: number, open: Maybe<unknown>): unknown[] {
  return new Proxy<unknown[]>(new ViewArrayTarget(), new ViewHandler<unknown[]>(undefined, store, count, '', open));
}

/**
 * One version of a long object: the first `count` entries of `keys`/`values` (complete; both only
 * grow), then `openKey: open` unless `open` is {@link NONE}. A repeated key takes the later value
 * at the earlier position, as with `JSON.parse`. O(1).
 */
export function objectView(
  keys: readonly string[],
  values: readonly unknown[],
  count: number,
  openKey: string,
  open: Maybe<unknown>,
): Record<string, unknown> {
  const target = Object.create(viewObjectPrototype) as Record<string, unknown>;
  return new Proxy(target, new ViewHandler<Record<string, unknown>>(keys, values, count, openKey, open));
}
