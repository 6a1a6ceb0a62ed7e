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

/** The traps every view shares: fill the target once, then forward to it. */
abstract class ViewHandler<T extends object> implements ProxyHandler<T> {
  #filled = false;

  /** Puts the version's entries into `target` (empty until now), then freezes it. */
  protected abstract fillTarget(target: T): void;

  private fill(target: T): void {
    if (this.#filled) return;
    this.#filled = true;
    this.fillTarget(target);
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

class ArrayViewHandler extends ViewHandler<unknown[]> {
  constructor(
    private readonly store: readonly unknown[],
    private readonly count: number,
    private readonly open: Maybe<unknown>,
  ) {
    super();
  }

  protected fillTarget(target: unknown[]): void {
    Object.setPrototypeOf(target, Array.prototype);
    const { store, count } = this;
    for (let i = 0; i < count; i++) target.push(store[i]);
    if (this.open !== NONE) target.push(this.open);
  }
}

class ObjectViewHandler extends ViewHandler<Record<string, unknown>> {
  constructor(
    private readonly keys: readonly string[],
    private readonly values: readonly unknown[],
    private readonly count: number,
    private readonly openKey: string,
    private readonly open: Maybe<unknown>,
  ) {
    super();
  }

  protected fillTarget(target: Record<string, unknown>): void {
    Object.setPrototypeOf(target, Object.prototype);
    const { keys, values, count } = this;
    for (let i = 0; i < count; i++) defineEntry(target, keys[i]!, values[i]);
    if (this.open !== NONE) defineEntry(target, this.openKey, this.open);
  }
}

/**
 * One version of a long array: the first `count` entries of `store` (complete, so never changed
 * again: the store only grows), then `open` unless it is {@link NONE}. O(1).
 */
export function arrayView(store: readonly unknown[], count: number, open: Maybe<unknown>): unknown[] {
  return new Proxy<unknown[]>(new ViewArrayTarget(), new ArrayViewHandler(store, count, open));
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
  return new Proxy(target, new ObjectViewHandler(keys, values, count, openKey, open));
}
