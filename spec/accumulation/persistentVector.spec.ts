import fc from 'fast-check';
import { PersistentVector } from '../../lib/accumulation/persistentVector.js';

describe('PersistentVector', () => {
  it('should start empty', () => {
    const empty = PersistentVector.empty<number>();
    expect(empty.size).toBe(0);
    expect(empty.toArray()).toEqual([]);
    expect(empty.get(0)).toBeUndefined();
  });

  it('should append and replace without changing the vector it came from', () => {
    const a = PersistentVector.of(['x', 'y']);
    const b = a.set(2, 'z');
    const c = b.set(0, 'X');
    expect(a.toArray()).toEqual(['x', 'y']);
    expect(b.toArray()).toEqual(['x', 'y', 'z']);
    expect(c.toArray()).toEqual(['X', 'y', 'z']);
    expect([c.get(0), c.get(2), c.get(3), c.get(-1)]).toEqual(['X', 'z', undefined, undefined]);
  });

  it('should throw a RangeError for an index past the end or not an integer', () => {
    const a = PersistentVector.of([1]);
    expect(() => a.set(2, 0)).toThrow(RangeError);
    expect(() => a.set(-1, 0)).toThrow(RangeError);
    expect(() => a.set(0.5, 0)).toThrow(RangeError);
    expect(() => a.set(2, 0)).toThrow('PersistentVector.set: index 2 outside 0..1');
  });

  it('should answer undefined outside 0 .. size - 1, also where the node has a slot there', () => {
    // A full leaf of 32: index 32 and -1 fall on its slots 0 and 31 (the index masked to 5 bits).
    const full = PersistentVector.of(Array.from({ length: 32 }, (_, i) => `v${i}`));
    expect([full.get(31), full.get(32), full.get(-1), full.get(-32)]).toEqual(['v31', undefined, undefined, undefined]);
    const taller = full.set(32, 'v32');
    expect([taller.get(32), taller.get(33), taller.get(64), taller.get(-1)]).toEqual(['v32', undefined, undefined, undefined]);
  });

  it('should keep its depth when replacing: 100,000 replacements of one value cost one level each', () => {
    // A vector that grew a level on every set (not only when full) would recurse 100,000 deep here.
    let vector = PersistentVector.of([0, 1]);
    for (let i = 0; i < 100_000; i++) vector = vector.set(i % 2, i);
    expect(vector.toArray()).toEqual([99_998, 99_999]);
    expect(vector.get(1)).toBe(99_999);
  });

  it('should behave as a copied array for any sequence of appends and replacements, keeping every version', () => {
    // Three appends in four ops: a uniform pick of 0 ..= size would append ever more rarely, and the
    // vector would stay within one node.
    const op = fc.record({ append: fc.nat(3).map((n) => n > 0), at: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), value: fc.integer() });
    // The vector must grow past one 32-wide node, and past two levels (32 × 32), in some runs.
    let sizes: number[] = [];
    fc.assert(
      fc.property(fc.array(op, { maxLength: 2000, size: 'xlarge' }), (ops) => {
        let vector = PersistentVector.empty<number>();
        let model: number[] = [];
        const versions: [PersistentVector<number>, number[]][] = [];
        for (const { append, at, value } of ops) {
          const index = append ? model.length : Math.floor(at * model.length); // append, or replace (append when empty)
          vector = vector.set(index, value);
          model = model.slice();
          model[index] = value;
          versions.push([vector, model]);
        }
        sizes.push(model.length);
        for (const [v, m] of versions.filter((_, i) => i % 97 === 0 || i === versions.length - 1)) {
          expect(v.size).toBe(m.length);
          expect(v.toArray()).toEqual(m);
          if (m.length > 0) expect(v.get(m.length - 1)).toBe(m[m.length - 1]);
        }
      }),
      { numRuns: 40 },
    );
    expect(sizes.filter((size) => size > 32).length).toBeGreaterThan(10);
    expect(sizes.some((size) => size > 32 * 32)).toBe(true);
    sizes = [];
  });

  it('should grow past one and two levels of nodes', () => {
    const values = Array.from({ length: 32 * 32 + 5 }, (_, i) => i);
    const vector = PersistentVector.of(values);
    expect(vector.toArray()).toEqual(values);
    expect(vector.get(32 * 32 + 4)).toBe(32 * 32 + 4);
    const changed = vector.set(33, -1);
    expect(changed.get(33)).toBe(-1);
    expect(vector.get(33)).toBe(33);
  });
});
