/**
 * How a partial JSON value shows a container that is still open, without copying it after every
 * delta.
 *
 * The parser gives a new immutable value after each delta that changes it, sharing everything
 * complete with the previous one; only the open path (the containers around the point where the
 * text ends) is new. Copying an open container per delta costs O(its entries): quadratic for a
 * long list (an array of 5,000 records: 5,000 copies per delta), and for short objects still the
 * most of the parse (copies of varied shapes are slow in V8). So a version of an open container is
 * a view: a `Proxy` of a fresh, empty array (or object) that records the version (the shared,
 * append-only store of complete entries, how many of them belong to this version, the value of
 * the open entry), O(1) to make. On the first operation that looks at it (reading a property,
 * `Object.keys`, `JSON.stringify`, `Object.isFrozen`, …; `Array.isArray` needs none) the view fills
 * its target with the version's entries, O(entries) once, and freezes it; every later operation
 * is forwarded to that frozen plain target. A view never read costs nothing more (a UI that
 * renders at most once a frame skips most values). So a view behaves as a frozen plain array or
 * object: `Array.isArray`, `instanceof`, `JSON.stringify`, spreading, iteration, Jest's `toEqual`,
 * `Object.isFrozen` (true); writes throw in strict mode. What it cannot do is what no `Proxy` can:
 * `structuredClone` and `postMessage` refuse it (copy it with `JSON.parse(JSON.stringify(v))`, or
 * use the final value, which has no views once the input is complete).
 *
 * Until it is filled, the target's prototype carries Node's `util.inspect.custom`, so
 * `console.log` (which inspects a proxy's target without calling its traps) shows the entries;
 * filling the target sets its prototype to `Array.prototype` / `Object.prototype`.
 * @internal
 */

/** No value: an entry whose value has not appeared yet (a number not yet complete, a key without value). */
export const NONE: unique symbol = Symbol('none');
export type Maybe<T> = T | typeof NONE;

const inspectCustom = Symbol.for('nodejs.util.inspect.custom');

/** Sets `target[key] = value` as an own data property, even for `__proto__` (as `JSON.parse` does). */
export function defineEntry(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

/**
 * The target of an array view: an empty array that holds its version in private fields (not
 * properties: no reflection sees them) until it is filled. Its prototype shows the entries to
 * `util.inspect` until then. An anonymous class on purpose: transpilers that keep names
 * (esbuild's `keepNames`, which tsx uses) redefine a named class's `name`, and that takes V8 off
 * its fast path for constructing a subclass of `Array` (measured: 20 ns became 260 ns a view).
 */
const ArrayTarget = (() =>
  class extends Array<unknown> {
    #values: readonly unknown[] | undefined;
    #count: number;
    #open: Maybe<unknown>;

    constructor(values: readonly unknown[], count: number, open: Maybe<unknown>) {
      super();
      this.#values = values;
      this.#count = count;
      this.#open = open;
    }

    [inspectCustom](this: unknown[]): unknown[] {
      return Array.from(this); // `this` is the proxy: reading it fills the target
    }

    /** Puts the version's entries into the (empty) target and freezes it; once. */
    static fill(target: object): void {
      const array = target as InstanceType<typeof ArrayTarget>;
      const values = array.#values;
      if (values === undefined) return;
      array.#values = undefined;
      Object.setPrototypeOf(array, Array.prototype);
      const count = array.#count;
      for (let i = 0; i < count; i++) array.push(values[i]);
      if (array.#open !== NONE) array.push(array.#open);
      array.#open = NONE;
      Object.freeze(array);
    }
  })();

/** The target of an object view: as {@link ArrayTarget}, for objects. */
const ObjectTarget = (() =>
  class {
    #keys: readonly string[] | undefined;
    #values: readonly unknown[];
    #count: number;
    #openKey: string;
    #open: Maybe<unknown>;

    constructor(keys: readonly string[], values: readonly unknown[], count: number, openKey: string, open: Maybe<unknown>) {
      this.#keys = keys;
      this.#values = values;
      this.#count = count;
      this.#openKey = openKey;
      this.#open = open;
    }

    [inspectCustom](this: object): object {
      return { ...this };
    }

    static fill(target: object): void {
      const object = target as InstanceType<typeof ObjectTarget>;
      const keys = object.#keys;
      if (keys === undefined) return;
      object.#keys = undefined;
      Object.setPrototypeOf(object, Object.prototype);
      const entries = object as unknown as Record<string, unknown>;
      const values = object.#values;
      const count = object.#count;
      for (let i = 0; i < count; i++) defineEntry(entries, keys[i]!, values[i]);
      if (object.#open !== NONE) defineEntry(entries, object.#openKey, object.#open);
      object.#values = [];
      object.#open = NONE;
      Object.freeze(object);
    }
  })();

/**
 * The traps of a view: fill the target (once), then forward to it. One handler for all array
 * views and one for all object views: the version is in the target, so a view is two objects.
 */
function handlerFor(fill: (target: object) => void): ProxyHandler<object> {
  return {
    get(target, key, receiver) {
      fill(target);
      return Reflect.get(target, key, receiver);
    },
    has(target, key) {
      fill(target);
      return Reflect.has(target, key);
    },
    ownKeys(target) {
      fill(target);
      return Reflect.ownKeys(target);
    },
    getOwnPropertyDescriptor(target, key) {
      fill(target);
      return Reflect.getOwnPropertyDescriptor(target, key);
    },
    getPrototypeOf(target) {
      fill(target);
      return Reflect.getPrototypeOf(target);
    },
    isExtensible(target) {
      fill(target);
      return Reflect.isExtensible(target);
    },
    // Writes: on the frozen target they fail (a TypeError in strict mode), as on any frozen value.
    set(target, key, value, receiver) {
      fill(target);
      return Reflect.set(target, key, value, receiver);
    },
    defineProperty(target, key, descriptor) {
      fill(target);
      return Reflect.defineProperty(target, key, descriptor);
    },
    deleteProperty(target, key) {
      fill(target);
      return Reflect.deleteProperty(target, key);
    },
    setPrototypeOf(target, prototype) {
      fill(target);
      return Reflect.setPrototypeOf(target, prototype);
    },
    preventExtensions(target) {
      fill(target);
      return Reflect.preventExtensions(target);
    },
  };
}

const arrayHandler = handlerFor(ArrayTarget.fill);
const objectHandler = handlerFor(ObjectTarget.fill);

/**
 * One version of an open array: the first `count` entries of `store` (complete, so never changed
 * again: the store only grows), then `open` unless it is {@link NONE}. O(1).
 */
export function arrayView(store: readonly unknown[], count: number, open: Maybe<unknown>): unknown[] {
  return new Proxy(new ArrayTarget(store, count, open), arrayHandler) as unknown[];
}

/**
 * One version of an open object: the first `count` entries of `keys`/`values` (complete; both only
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
  return new Proxy(new ObjectTarget(keys, values, count, openKey, open), objectHandler) as Record<string, unknown>;
}
