/**
 * Case "bundle": what a browser app pays in bytes. Each job is a one-line app bundled by esbuild
 * for the browser, minified, with its defaults (rxjs included, resolved the way esbuild resolves
 * it), once as one file and once split into chunks (ES modules, `splitting`), raw and gzipped:
 * (a) `fromSSE` + `contentDeltas`, (b) + `toChatCompletion`, (c) + `usage` (counting: the tokenizer
 * and its rank files), beside the same job done with the openai SDK (`chat.completions.stream`,
 * its content events and `finalChatCompletion()`) and with the Vercel AI SDK (`streamText` with
 * its openai provider: `textStream`, `text`, `usage`).
 *
 * Ours is bundled from `dist/esm`, what the npm registry ships (built first when it is missing or
 * older than `lib/`). Split mode shows the initial load (the entry and what it imports statically)
 * and the total: a dynamic `import()` (the rank files) becomes a chunk loaded on first use.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';
import { BenchMismatchError } from '../compare.js';
import type { BenchContext, CaseResult } from '../context.js';
import type { ContenderResult, GroupResult } from '../harness.js';
import { ensureBuilt } from '../build.js';

const ROOT = resolve(__dirname, '..', '..');
const DIST = join(ROOT, 'dist', 'esm', 'index.js');

/** One app: the code of its entry file. `ours` marks this package's. */
interface App {
  id: string;
  name: string;
  ours: boolean;
  code: string;
}

const FETCH = `(signal) => fetch('/v1/chat/completions', { method: 'POST', body: JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'Hi' }] }), signal })`;

function apps(ours: string): App[] {
  const from = JSON.stringify(ours);
  return [
    {
      id: 'a',
      name: '(a) fromSSE + contentDeltas (ours)',
      ours: true,
      code: `import { fromSSE, contentDeltas } from ${from};
fromSSE(${FETCH}).pipe(contentDeltas()).subscribe((text) => document.body.append(text));`,
    },
    {
      id: 'b',
      name: '(b) + toChatCompletion (ours)',
      ours: true,
      code: `import { fromSSE, contentDeltas, toChatCompletion } from ${from};
const chunks$ = fromSSE(${FETCH});
chunks$.pipe(contentDeltas()).subscribe((text) => document.body.append(text));
chunks$.pipe(toChatCompletion()).subscribe((completion) => console.log(completion));`,
    },
    {
      id: 'c',
      name: '(c) + usage (ours, counts tokens)',
      ours: true,
      code: `import { fromSSE, contentDeltas, toChatCompletion, usage } from ${from};
const chunks$ = fromSSE(${FETCH});
chunks$.pipe(contentDeltas()).subscribe((text) => document.body.append(text));
chunks$.pipe(toChatCompletion()).subscribe((completion) => console.log(completion));
chunks$.pipe(usage()).subscribe((used) => console.log(used));`,
    },
    {
      id: 'openai',
      name: 'openai SDK: chat.completions.stream (content + finalChatCompletion)',
      ours: false,
      code: `import OpenAI from 'openai';
const client = new OpenAI({ apiKey: 'unused', baseURL: '/v1', dangerouslyAllowBrowser: true });
const stream = client.chat.completions.stream({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] });
stream.on('content', (text) => document.body.append(text));
stream.finalChatCompletion().then((completion) => console.log(completion));`,
    },
    {
      id: 'vercel',
      name: 'Vercel AI SDK: streamText + openai provider (textStream, text, usage)',
      ours: false,
      code: `import { streamText } from 'ai';
import { createOpenAI } from '@ai-sdk/openai';
const openai = createOpenAI({ apiKey: 'unused', baseURL: '/v1' });
const result = streamText({ model: openai.chat('gpt-4o-mini'), prompt: 'Hi' });
(async () => {
  for await (const text of result.textStream) document.body.append(text);
  console.log(await result.text, await result.usage);
})();`,
    },
  ];
}

export interface BundleSizes {
  /** One file: bytes, and gzipped. */
  oneFile: number;
  oneFileGzip: number;
  /**
   * Split: the entry and its static imports (what loads first), and what it may load later (the
   * chunks its code imports dynamically, transitively). Chunks esbuild emits for a dynamic
   * `import()` that tree shaking removed are never loaded, and not counted.
   */
  splitInitial: number;
  splitInitialGzip: number;
  splitLazy: number;
  /** Whether a rank file of js-tiktoken is in the one-file bundle. */
  ranksInOneFile: boolean;
}

const gzipped = (bytes: Uint8Array): number => gzipSync(bytes).length;

/** The output files reachable from `roots` through imports of the given kinds, transitively. */
function reachable(metafile: Metafile, roots: Iterable<string>, kinds: ReadonlySet<string>): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const imported of metafile.outputs[file]?.imports ?? []) {
      if (kinds.has(imported.kind) && !imported.external) visit(imported.path);
    }
  };
  for (const root of roots) visit(root);
  return seen;
}

const STATIC = new Set(['import-statement']);
const ANY = new Set(['import-statement', 'dynamic-import']);

/** Bundles one app both ways and measures it. */
export async function measureApp(app: App, folder: string): Promise<BundleSizes> {
  const entry = join(folder, `${app.id}.mjs`);
  writeFileSync(entry, app.code);
  const common = {
    entryPoints: [entry],
    bundle: true,
    minify: true,
    platform: 'browser' as const,
    format: 'esm' as const,
    // Resolve packages from the project, as an app beside it would.
    nodePaths: [join(ROOT, 'node_modules')],
    logLevel: 'silent' as const,
    write: false,
    metafile: true,
  };
  const one = await build({ ...common, outfile: join(folder, `${app.id}.one.js`) });
  const oneBytes = one.outputFiles![0]!.contents;
  const oneOutput = Object.values(one.metafile!.outputs)[0]!;
  const ranksInOneFile = Object.entries(oneOutput.inputs).some(
    ([input, { bytesInOutput }]) => bytesInOutput > 0 && /js-tiktoken[\\/](?:dist[\\/])?ranks/.test(input),
  );
  const split = await build({ ...common, splitting: true, outdir: join(folder, `${app.id}-split`) });
  const metafile = split.metafile!;
  const byPath = new Map(split.outputFiles!.map((file) => [file.path, file.contents]));
  const entryOutput = Object.entries(metafile.outputs).find(([, output]) => output.entryPoint !== undefined)?.[0];
  if (entryOutput === undefined) throw new Error(`bundle: no entry output for ${app.id}`);
  const initial = reachable(metafile, [entryOutput], STATIC);
  const later = reachable(metafile, initial, ANY);
  const contentsOf = (output: string): Uint8Array => {
    const found = [...byPath].find(([path]) => path === resolve(process.cwd(), output) || path.endsWith(output.replace(/^.*?\.bench-tmp/, '.bench-tmp')));
    if (found === undefined) throw new Error(`bundle: no output file for ${output}`);
    return found[1];
  };
  let splitInitial = 0;
  let splitInitialGzip = 0;
  let splitLazy = 0;
  for (const output of later) {
    const contents = contentsOf(output);
    if (initial.has(output)) {
      splitInitial += contents.length;
      splitInitialGzip += gzipped(contents);
    } else {
      splitLazy += contents.length;
    }
  }
  return { oneFile: oneBytes.length, oneFileGzip: gzipped(oneBytes), splitInitial, splitInitialGzip, splitLazy, ranksInOneFile };
}

const kb = (bytes: number): number => Math.round((bytes / 1024) * 10) / 10;

export async function runBundle(context: BenchContext): Promise<CaseResult> {
  ensureBuilt(context.log);
  const scratch = join(ROOT, '.bench-tmp');
  mkdirSync(scratch, { recursive: true });
  const folder = mkdtempSync(join(scratch, 'bundle-'));
  const contenders: ContenderResult[] = [];
  try {
    for (const app of apps(DIST)) {
      context.log(`  bundle: ${app.name}…`);
      const started = performance.now();
      const sizes = await measureApp(app, folder);
      const ms = performance.now() - started;
      // What is checked before anything is reported: code that does not count carries no rank file.
      if (app.ours && sizes.ranksInOneFile !== (app.id === 'c')) {
        throw new BenchMismatchError(
          `bundle: ${app.name} ${sizes.ranksInOneFile ? 'carries' : 'lacks'} a js-tiktoken rank file in its one-file bundle`,
          'bundle/browser',
          app.name,
          '$.ranksInOneFile',
        );
      }
      contenders.push({
        name: app.name,
        ours: app.ours,
        samples: [ms],
        medianMs: ms,
        minMs: ms,
        maxMs: ms,
        wallMedianMs: ms,
        ratio: 1,
        metrics: {
          oneFileKB: kb(sizes.oneFile),
          oneFileGzipKB: kb(sizes.oneFileGzip),
          splitInitialKB: kb(sizes.splitInitial),
          splitInitialGzipKB: kb(sizes.splitInitialGzip),
          splitLazyKB: kb(sizes.splitLazy),
          ranksInOneFile: sizes.ranksInOneFile ? 1 : 0,
        },
      });
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
  // Ratios of the one-file size to (b)'s: bytes, not time, for this case.
  const reference = contenders.find((c) => c.name.startsWith('(b)'))!;
  for (const contender of contenders) contender.ratio = contender.metrics['oneFileKB']! / reference.metrics['oneFileKB']!;
  const group: GroupResult = {
    id: 'bundle/browser',
    case: 'bundle',
    title: 'esbuild, --platform=browser, minified, defaults (KB = 1,024 bytes; the time is the bundling, not the app)',
    reference: reference.name,
    rounds: 1,
    clock: 'wall',
    // Checked above: our bundles carry a rank file exactly when they count tokens.
    checked: true,
    note:
      'oneFile: one minified file; split: ES modules with `splitting`, initial = the entry and its static imports, ' +
      'lazy = the chunks its code may import later (a rank file, loaded on the first count). The ratio column is ' +
      "the one-file size over (b)'s. ranksInOneFile 1 = a js-tiktoken rank file (megabytes) is inside the one file.",
    contenders,
  };
  return {
    case: 'bundle',
    title: 'Browser bundle size',
    facts: { bundler: `esbuild ${(await import('esbuild')).version}`, ours: 'dist/esm (what the package ships)' },
    groups: [group],
  };
}
