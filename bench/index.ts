/**
 * `npm run bench`: every case, every contender on the same input, results checked equal before
 * timing; a table on stdout, `--json` for machines, docs/benchmarks.md regenerated on full runs.
 *
 *   npm run bench                       full run (about 5 minutes), rewrites docs/benchmarks.md
 *   npm run bench -- --quick            small inputs, one round (the smoke test runs this)
 *   npm run bench -- --json             the report as JSON on stdout (progress on stderr)
 *   npm run bench -- --only decode      one case (repeat or comma-separate for more)
 *   npm run bench -- --rounds 15 --warmup 3
 *   npm run bench -- --no-docs          do not touch docs/benchmarks.md
 *
 * Cases: decode, accumulate, pipeline, usage, many-streams, memory, bundle, partial-json, text, batch, relay.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { BenchContext, CaseResult } from './context.js';
import { collectMeta, markdown, textTable, type BenchReport } from './report.js';
import { evaluateTargets } from './targets.js';

export const CASES: Record<string, () => Promise<(context: BenchContext) => Promise<CaseResult>>> = {
  decode: async () => (await import('./cases/decode.js')).runDecode,
  accumulate: async () => (await import('./cases/accumulate.js')).runAccumulate,
  pipeline: async () => (await import('./cases/pipeline.js')).runPipeline,
  usage: async () => (await import('./cases/usage.js')).runUsage,
  'many-streams': async () => (await import('./cases/manyStreams.js')).runManyStreams,
  memory: async () => (await import('./cases/memory.js')).runMemory,
  bundle: async () => (await import('./cases/bundle.js')).runBundle,
  'partial-json': async () => (await import('./cases/partialJson.js')).runPartialJson,
  text: async () => (await import('./cases/text.js')).runText,
  batch: async () => (await import('./cases/batch.js')).runBatch,
  relay: async () => (await import('./cases/relay.js')).runRelay,
};

export interface BenchOptions {
  quick: boolean;
  json: boolean;
  only: string[];
  rounds: number;
  warmup: number;
  docs: 'auto' | 'yes' | 'no';
}

export function parseArgs(argv: readonly string[]): BenchOptions {
  const options: BenchOptions = { quick: false, json: false, only: [], rounds: NaN, warmup: NaN, docs: 'auto' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${arg} needs a value`);
      return next;
    };
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    switch (flag) {
      case '--quick':
        options.quick = true;
        break;
      case '--json':
        options.json = true;
        break;
      case '--only':
        options.only.push(...(inline ?? value()).split(',').map((s) => s.trim()).filter(Boolean));
        break;
      case '--rounds':
        options.rounds = Number(inline ?? value());
        break;
      case '--warmup':
        options.warmup = Number(inline ?? value());
        break;
      case '--docs':
        options.docs = 'yes';
        break;
      case '--no-docs':
        options.docs = 'no';
        break;
      case '--help':
      case '-h':
        throw new Error(
          'usage: npm run bench -- [--quick] [--json] [--only <case>[,<case>]] [--rounds N] [--warmup N] [--docs|--no-docs]\n' +
            `cases: ${Object.keys(CASES).join(', ')}`,
        );
      default:
        throw new Error(`unknown option ${arg} (try --help)`);
    }
  }
  for (const name of options.only) {
    if (!(name in CASES)) throw new Error(`unknown case ${JSON.stringify(name)}: one of ${Object.keys(CASES).join(', ')}`);
  }
  if (Number.isNaN(options.rounds)) options.rounds = options.quick ? 1 : 9;
  if (Number.isNaN(options.warmup)) options.warmup = options.quick ? 0 : 2;
  if (!Number.isSafeInteger(options.rounds) || options.rounds < 1) throw new Error('--rounds must be a whole number ≥ 1');
  if (!Number.isSafeInteger(options.warmup) || options.warmup < 0) throw new Error('--warmup must be a whole number ≥ 0');
  return options;
}

export async function runBench(options: BenchOptions, log: (line: string) => void): Promise<BenchReport> {
  const started = performance.now();
  const meta = collectMeta({ quick: options.quick, rounds: options.rounds, warmup: options.warmup });
  const context: BenchContext = { quick: options.quick, log, timing: { rounds: options.rounds, warmup: options.warmup, log } };
  const names = options.only.length > 0 ? Object.keys(CASES).filter((name) => options.only.includes(name)) : Object.keys(CASES);
  const cases: CaseResult[] = [];
  for (const name of names) {
    log(`${name}…`);
    const run = await CASES[name]!();
    cases.push(await run(context));
  }
  meta.durationS = (performance.now() - started) / 1000;
  return { meta, targets: evaluateTargets(cases), cases };
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const log = (line: string): void => {
    process.stderr.write(`${line}\n`);
  };
  const report = await runBench(options, log);
  if (options.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else process.stdout.write(`${textTable(report)}\n`);
  const writeDocs = options.docs === 'yes' || (options.docs === 'auto' && !options.quick && options.only.length === 0);
  if (writeDocs) {
    const file = resolve(__dirname, '..', 'docs', 'benchmarks.md');
    const existing = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
    writeFileSync(file, markdown(report, existing));
    log(`wrote ${file}`);
  }
}

if (require.main === module) {
  main().then(
    // Sockets of the keep-alive pool and the like must not keep the process alive.
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
