/*
 * The inter-chunk gaps of `streamMetrics()`: exact count, min, max and mean; percentiles exact for
 * the first `EXACT` gaps (kept sorted), then from a fixed log-scale histogram, so each gap costs
 * O(1) and a stream of any length ~13 KB. Not exported from the package.
 */

/** The gaps between consecutive chunks, in ms. */
export interface ChunkGaps {
  /** How many gaps (chunks − 1). */
  count: number;
  min: number;
  p10: number;
  p50: number;
  mean: number;
  p90: number;
  p99: number;
  max: number;
}

/** Buckets per power of two: each spans a factor 2^(1/32) ≈ 1.022. */
const SUB = 32;
/** The smallest bucket starts at 2^-10 ms (about 1 µs); gaps below it share one bucket. */
const MIN_EXP = -10;
/** The largest ends at 2^31 ms (about 25 days); gaps above it share the top one. */
const MAX_EXP = 31;
const OCTAVES = MAX_EXP - MIN_EXP;
const SMALLEST = 2 ** MIN_EXP;
/** Up to this many gaps, percentiles are exact (the gaps are kept, sorted). @internal */
export const EXACT = 1024;

/**
 * The relative error of a percentile, at most: a bucket's geometric middle is within this factor
 * of anything in the bucket (2^(1/64) − 1 ≈ 1.09 %). Gaps under `SMALLEST` ms are off by less
 * than `SMALLEST` ms instead.
 * @internal
 */
export const PERCENTILE_ERROR = 2 ** (1 / (2 * SUB)) - 1;
/** @internal */
export const PERCENTILE_FLOOR_MS = SMALLEST;

/**
 * Gaps, added one at a time in O(1); percentiles by nearest rank, read in O(octaves + SUB).
 * @internal
 */
export class GapHistogram {
  count = 0;
  private sum = 0;
  private min = Infinity;
  private max = -Infinity;
  /** Gaps under `SMALLEST` (zero: chunks of one read). */
  private small = 0;
  /** Allocated with the first gap of `SMALLEST` or more. */
  private buckets: Uint32Array | undefined;
  /** Per power of two, the sum of its buckets (so a percentile skips whole octaves). */
  private octaves: Uint32Array | undefined;
  /** The first `EXACT` gaps, sorted (dropped past them). */
  private sorted: Float64Array | undefined = new Float64Array(16);

  add(gap: number): void {
    this.keep(gap);
    this.count++;
    this.sum += gap;
    if (gap < this.min) this.min = gap;
    if (gap > this.max) this.max = gap;
    if (!(gap >= SMALLEST)) {
      this.small++;
      return;
    }
    const buckets = (this.buckets ??= new Uint32Array(OCTAVES * SUB));
    const octaves = (this.octaves ??= new Uint32Array(OCTAVES));
    const at = Math.min(OCTAVES * SUB - 1, Math.floor((Math.log2(gap) - MIN_EXP) * SUB));
    buckets[at] = (buckets[at] as number) + 1;
    const octave = (at / SUB) | 0;
    octaves[octave] = (octaves[octave] as number) + 1;
  }

  /** Inserts a gap into the sorted ones while there are at most `EXACT`. */
  private keep(gap: number): void {
    let sorted = this.sorted;
    if (sorted === undefined) return;
    const n = this.count;
    if (n === EXACT) {
      this.sorted = undefined;
      return;
    }
    if (n === sorted.length) {
      const grown = new Float64Array(Math.min(EXACT, n * 2));
      grown.set(sorted);
      this.sorted = sorted = grown;
    }
    let low = 0;
    let high = n;
    while (low < high) {
      const mid = (low + high) >> 1;
      if ((sorted[mid] as number) <= gap) low = mid + 1;
      else high = mid;
    }
    sorted.copyWithin(low + 1, low, n);
    sorted[low] = gap;
  }

  /** The `p`-th percentile (0–100) by nearest rank: exact up to `EXACT` gaps, then within `PERCENTILE_ERROR`; NaN when empty. */
  percentile(p: number): number {
    if (this.count === 0) return Number.NaN;
    const rank = Math.min(this.count, Math.max(1, Math.ceil((p / 100) * this.count)));
    if (this.sorted !== undefined) return this.sorted[rank - 1] as number;
    if (rank === this.count) return this.max;
    if (rank === 1) return this.min;
    if (rank <= this.small) return this.clamp(0);
    let left = rank - this.small;
    const octaves = this.octaves as Uint32Array;
    const buckets = this.buckets as Uint32Array;
    for (let octave = 0; octave < OCTAVES; octave++) {
      const inOctave = octaves[octave] as number;
      if (left > inOctave) {
        left -= inOctave;
        continue;
      }
      for (let at = octave * SUB; ; at++) {
        const inBucket = buckets[at] as number;
        if (left <= inBucket) return this.clamp(2 ** (MIN_EXP + (at + 0.5) / SUB));
        left -= inBucket;
      }
    }
    return this.max;
  }

  /** The figures, or null before the first gap. */
  stats(): ChunkGaps | null {
    if (this.count === 0) return null;
    return {
      count: this.count,
      min: this.min,
      p10: this.percentile(10),
      p50: this.percentile(50),
      mean: this.sum / this.count,
      p90: this.percentile(90),
      p99: this.percentile(99),
      max: this.max,
    };
  }

  /** Exact min and max bound every estimate. */
  private clamp(value: number): number {
    return value < this.min ? this.min : value > this.max ? this.max : value;
  }
}
