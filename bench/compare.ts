/**
 * Equality of the contenders' results, checked before anything is timed: a benchmark of two
 * programs that do not compute the same thing measures nothing.
 */

/** Thrown when a contender's result differs from the reference contender's. */
export class BenchMismatchError extends Error {
  override readonly name = 'BenchMismatchError';
  constructor(
    message: string,
    readonly group: string,
    readonly contender: string,
    readonly path: string,
  ) {
    super(message);
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return value.length > 60 ? `${JSON.stringify(value.slice(0, 60))}… (${value.length} chars)` : JSON.stringify(value);
  if (value === undefined) return 'undefined';
  if (typeof value === 'bigint') return `${value}n`;
  try {
    const text = JSON.stringify(value);
    return text === undefined ? String(value) : text.length > 80 ? `${text.slice(0, 80)}…` : text;
  } catch {
    return String(value);
  }
}

function stringDifference(a: string, b: string, path: string): string {
  let i = 0;
  const end = Math.min(a.length, b.length);
  while (i < end && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  const around = (s: string): string => JSON.stringify(s.slice(Math.max(0, i - 10), i + 20));
  return `${path}: strings differ at index ${i} (lengths ${a.length} and ${b.length}): ${around(a)} vs ${around(b)}`;
}

/**
 * The first place where `a` and `b` differ (a description with its path), or `undefined` when
 * they are deeply equal. Plain data only: objects by own enumerable keys (a key whose value is
 * `undefined` counts as absent), arrays by index, numbers with `Object.is` except that `0` and
 * `-0` are equal.
 */
export function firstDifference(a: unknown, b: unknown, path = '$'): string | undefined {
  if (a === b) return undefined;
  if (typeof a === 'number' && typeof b === 'number') {
    return Number.isNaN(a) && Number.isNaN(b) ? undefined : `${path}: ${a} vs ${b}`;
  }
  if (typeof a === 'string' && typeof b === 'string') return stringDifference(a, b, path);
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    return `${path}: ${describe(a)} vs ${describe(b)}`;
  }
  if (Array.isArray(a) !== Array.isArray(b)) return `${path}: ${Array.isArray(a) ? 'an array' : 'an object'} vs ${Array.isArray(b) ? 'an array' : 'an object'}`;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return `${path}: arrays of length ${a.length} vs ${b.length}`;
    for (let i = 0; i < a.length; i++) {
      const difference = firstDifference(a[i], b[i], `${path}[${i}]`);
      if (difference !== undefined) return difference;
    }
    return undefined;
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(left), ...Object.keys(right)]);
  for (const key of [...keys].sort()) {
    const difference = firstDifference(left[key], right[key], `${path}.${key}`);
    if (difference !== undefined) return difference;
  }
  return undefined;
}

/**
 * Throws a {@link BenchMismatchError} unless every result equals the first one (the reference).
 * @param group The group's name, for the message.
 * @param results The contenders' results, the reference first.
 */
export function assertSameResults(group: string, results: ReadonlyArray<{ name: string; value: unknown }>): void {
  const [reference, ...others] = results;
  if (reference === undefined) return;
  for (const other of others) {
    const difference = firstDifference(reference.value, other.value);
    if (difference !== undefined) {
      throw new BenchMismatchError(
        `${group}: "${other.name}" does not compute what "${reference.name}" computes (${difference})`,
        group,
        other.name,
        difference,
      );
    }
  }
}
