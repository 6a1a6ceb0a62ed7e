/**
 * The timing harness: every contender of a group on the same input, results checked equal first,
 * then warm-up and rounds in which the contenders take turns (the order rotates each round, and
 * runs backwards every other round), and medians with the ratio of each median to the reference's.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { assertSameResults } from './compare.js';

/** One way of doing the group's work. */
export interface Contender<R = unknown> {
  name: string;
  /** Ours (this package), as opposed to a peer or a hand-written baseline. */
  ours?: boolean;
  /** One whole run; resolves to what the run computed. */
  run(): Promise<R> | R;
  /** What is compared between contenders (default: the whole result). */
  check?(result: R): unknown;
  /** Numbers to report per run besides the time (medians over the rounds are reported). */
  metrics?(result: R): Record<string, number>;
}

/**
 * Which clock the ratios use. `cpu`: the process's CPU time (user + system, all threads) over
 * the run, which another program competing for the cores barely changes; right for work that
 * never waits (every input here is in memory). `wall`: elapsed time, for work that waits on I/O
 * (the many-streams case). Both are reported.
 */
export type Clock = 'cpu' | 'wall';

/** Contenders that do the same work on the same input. */
export interface Group {
  /** Unique id, `case/what`. */
  id: string;
  /** The case it belongs to (`--only <case>`). */
  case: string;
  title: string;
  /** The contender the ratios are to (default: the first one marked `ours`). */
  reference?: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  contenders: Array<Contender<any>>;
  /** What one run processes, for a throughput column: `{ amount: 30000, unit: 'chunks' }`. */
  work?: { amount: number; unit: string };
  /** The clock of the ratios (default `cpu`). */
  clock?: Clock;
  /** Override the run's rounds / warm-up for this group. */
  rounds?: number;
  warmup?: number;
  /** Free text shown under the group in the docs. */
  note?: string;
}

export interface ContenderResult {
  name: string;
  ours: boolean;
  /** Milliseconds per run on the group's clock, in the order measured. */
  samples: number[];
  /** Median on the group's clock. */
  medianMs: number;
  minMs: number;
  maxMs: number;
  /** Medians of each clock (wall is all there is for measurements made in a child process). */
  wallMedianMs: number;
  cpuMedianMs?: number;
  /** Median / the reference's median. */
  ratio: number;
  /** Medians of the per-run metrics. */
  metrics: Record<string, number>;
  /** Megabytes (heap or rss growth), where the group measures memory. */
  mb?: number;
  /** Throughput, `amount / median`, in `work.unit` per second. */
  perSecond?: number;
  /** A series worth showing (the heap samples of the memory case), MB. */
  series?: number[];
  note?: string;
}

export interface GroupResult {
  id: string;
  case: string;
  title: string;
  reference: string;
  rounds: number;
  clock: Clock;
  work?: { amount: number; unit: string };
  /**
   * Every contender's result was compared equal to the reference's, before anything was timed and
   * again for the last timed run (a mismatch throws a `BenchMismatchError`: no result is made).
   */
  checked: boolean;
  contenders: ContenderResult[];
  note?: string;
}

export interface TimingOptions {
  rounds: number;
  warmup: number;
  /** Progress lines go here (stderr by default). */
  log?: (line: string) => void;
  /**
   * A full GC before each timed run (default false). Off by default: a forced full GC shrinks
   * V8's young generation, and the next run then pays for many more scavenges (measured: +50 %
   * on the decode case), which no real server does before each request. The rotating order
   * spreads the cost of collecting the previous run's garbage over all contenders instead.
   */
  gc?: boolean;
}

let gcFunction: (() => void) | undefined;

/** A full garbage collection, when it can be had (it is exposed at run time if node was not started with `--expose-gc`). */
export function collectGarbage(): void {
  if (gcFunction === undefined) {
    const exposed = (globalThis as { gc?: () => void }).gc;
    if (typeof exposed === 'function') gcFunction = exposed;
    else {
      setFlagsFromString('--expose-gc');
      gcFunction = runInNewContext('gc') as () => void;
    }
  }
  gcFunction();
  gcFunction();
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The `p`-th percentile (0–100), nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

function referenceOf(group: Group): string {
  const name = group.reference ?? group.contenders.find((c) => c.ours)?.name ?? group.contenders[0]?.name;
  if (name === undefined || !group.contenders.some((c) => c.name === name)) {
    throw new Error(`${group.id}: no reference contender`);
  }
  return name;
}

/**
 * Runs each contender once and throws unless all computed the same (the reference first).
 * @return The checked values, by contender.
 */
export async function checkGroup(group: Group): Promise<Map<string, unknown>> {
  const results = new Map<string, unknown>();
  for (const contender of group.contenders) results.set(contender.name, await contender.run());
  return compareResults(group, results);
}

/**
 * Throws a `BenchMismatchError` unless every contender's result (as its `check` projects it)
 * equals the reference's. @return The compared values, by contender, the reference first.
 */
function compareResults(group: Group, results: ReadonlyMap<string, unknown>): Map<string, unknown> {
  const reference = referenceOf(group);
  const ordered = [...group.contenders].sort((a, b) => (a.name === reference ? -1 : b.name === reference ? 1 : 0));
  const values = ordered.map((contender) => {
    const result = results.get(contender.name);
    return { name: contender.name, value: contender.check ? contender.check(result) : result };
  });
  assertSameResults(group.id, values);
  return new Map(values.map((r) => [r.name, r.value]));
}

/** Checks, warms up and times one group. */
export async function timeGroup(group: Group, options: TimingOptions): Promise<GroupResult> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const rounds = group.rounds ?? options.rounds;
  const warmup = group.warmup ?? options.warmup;
  const reference = referenceOf(group);
  log(`  ${group.id}: checking ${group.contenders.length} contenders compute the same…`);
  const checkedBefore = await checkGroup(group);
  for (let w = 0; w < warmup; w++) {
    for (const contender of group.contenders) await contender.run();
  }
  const clock = group.clock ?? 'cpu';
  const samples = new Map<string, number[]>(group.contenders.map((c) => [c.name, []]));
  const cpuSamples = new Map<string, number[]>(group.contenders.map((c) => [c.name, []]));
  const metrics = new Map<string, Array<Record<string, number>>>(group.contenders.map((c) => [c.name, []]));
  const count = group.contenders.length;
  /**
   * Each contender's result of its last timed run: compared again once the timing is over. Keep
   * results small (and checks cheap): what a run leaves behind is collected during the next
   * contender's run (measured: a raw pipe that kept its 10 MB of strings for its check doubled
   * the time of the contender after it).
   */
  const lastResults = new Map<string, unknown>();
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < count; k++) {
      // The order rotates each round and runs backwards every other round, so no contender always
      // comes right after the same one (and always pays for its garbage).
      const position = round % 2 === 0 ? round + k : round + count - 1 - k;
      const contender = group.contenders[position % count]!;
      if (options.gc === true) collectGarbage();
      const cpuStart = process.cpuUsage();
      const start = performance.now();
      const result = await contender.run();
      const time = performance.now() - start;
      const cpu = process.cpuUsage(cpuStart);
      lastResults.set(contender.name, result);
      samples.get(contender.name)!.push(time);
      cpuSamples.get(contender.name)!.push((cpu.user + cpu.system) / 1000);
      if (contender.metrics) metrics.get(contender.name)!.push(contender.metrics(result));
    }
    log(`  ${group.id}: round ${round + 1}/${rounds}`);
  }
  // The timed runs computed the same too (a contender that only gets it right once would pass the
  // first check); outside the timing.
  const checkedAfter = rounds > 0 ? compareResults(group, lastResults) : checkedBefore;
  const checked = group.contenders.every((contender) => checkedBefore.has(contender.name) && checkedAfter.has(contender.name));
  const chosen = clock === 'cpu' ? cpuSamples : samples;
  const referenceMedian = median(chosen.get(reference)!);
  return {
    id: group.id,
    case: group.case,
    title: group.title,
    reference,
    rounds,
    clock,
    checked,
    ...(group.work ? { work: group.work } : {}),
    ...(group.note ? { note: group.note } : {}),
    contenders: group.contenders.map((contender): ContenderResult => {
      const times = chosen.get(contender.name)!;
      const medianMs = median(times);
      const perRun = metrics.get(contender.name)!;
      const keys = new Set(perRun.flatMap((m) => Object.keys(m)));
      return {
        name: contender.name,
        ours: contender.ours === true,
        samples: times.map((t) => Math.round(t * 1000) / 1000),
        medianMs,
        minMs: Math.min(...times),
        maxMs: Math.max(...times),
        wallMedianMs: median(samples.get(contender.name)!),
        cpuMedianMs: median(cpuSamples.get(contender.name)!),
        ratio: medianMs / referenceMedian,
        metrics: Object.fromEntries([...keys].map((key) => [key, median(perRun.map((m) => m[key] ?? Number.NaN))])),
        ...(group.work ? { perSecond: group.work.amount / (medianMs / 1000) } : {}),
      };
    }),
  };
}
