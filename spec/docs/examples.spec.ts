/**
 * Every TypeScript example of README.md and docs/ (```ts blocks), type-checked against the
 * sources as a user's strict project would see the package, so that no example rots; and the ones
 * marked to run, run against the local server.
 *
 * A block may leave out what a reader already has: the package's own exports (the import is added
 * for the names it uses and does not import), and the conventional names of `prelude.d.ts`
 * (`client`, `chunks$`, `request`, the app's `render`…). Directives, in HTML comments (invisible
 * on the rendered page), apply to what follows them:
 * - `<!-- doc-test prelude … -->`: declarations every later block of the page may use, written
 *   as `declare …` with `import('…')` types.
 * - `<!-- doc-test run -->`: the next block also runs (Node, tsx), with `OPENAI_BASE_URL` pointing
 *   at a local server and `OPENAI_API_KEY` set; it must exit 0 within 30 s, and print what its
 *   `// Logs:` comment says when it has one.
 * - `<!-- doc-test skip: why -->`: the next block is not checked (the reason is required).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { startMockServer, type MockServer } from '../../lib/testing/index.js';

const ROOT = resolve(__dirname, '..', '..');

interface Example {
  /** `docs/usage.md:57`. */
  where: string;
  code: string;
  prelude: string;
  run: boolean;
}

function markdownFiles(): string[] {
  const docs = (readdirSync(join(ROOT, 'docs'), { recursive: true }) as string[]).filter((file) => file.endsWith('.md'));
  return ['README.md', ...docs.map((file) => join('docs', file))].sort();
}

const DIRECTIVE = /<!--\s*doc-test\s+(prelude|run|skip)\b([\s\S]*?)-->/g;

/** The ```ts blocks of one page, with the directives that apply to each. */
export function examplesOf(file: string, text: string): { examples: Example[]; skipped: string[] } {
  const examples: Example[] = [];
  const skipped: string[] = [];
  const preludes: string[] = [];
  let run = false;
  let skip: string | undefined;
  // Directives and blocks, in the order they appear.
  // A directive starts its line (one quoted in prose, inside backticks, is not one).
  const tokens = [...text.matchAll(/^<!--\s*doc-test[\s\S]*?-->|^```(ts|typescript)\n([\s\S]*?)^```$/gm)];
  for (const token of tokens) {
    const line = text.slice(0, token.index).split('\n').length;
    if (token[0].startsWith('<!--')) {
      for (const directive of token[0].matchAll(DIRECTIVE)) {
        const [, kind, body = ''] = directive;
        if (kind === 'prelude') preludes.push(body.trim());
        else if (kind === 'run') run = true;
        else {
          const why = body.replace(/^\s*:/, '').trim();
          if (why === '') throw new Error(`${file}:${line}: doc-test skip needs a reason`);
          skip = why;
        }
      }
      continue;
    }
    const where = `${file}:${line}`;
    if (skip !== undefined) skipped.push(`${where} (${skip})`);
    else examples.push({ where, code: token[2] ?? '', prelude: preludes.join('\n'), run });
    run = false;
    skip = undefined;
  }
  return { examples, skipped };
}

const pages = markdownFiles().map((file) => ({ file, ...examplesOf(file, readFileSync(join(ROOT, file), 'utf8')) }));
const all = pages.flatMap((page) => page.examples);

/** A file name for an example: its page and line. */
const fileName = (example: Example): string => join(ROOT, '.doc-tests', `${example.where.replace(/[/:.]/g, '_')}.ts`);

/** The runtime names each entry exports (a block may use them without importing them). */
function exportedNames(entry: string): string[] {
  const text = readFileSync(join(ROOT, 'lib', entry), 'utf8');
  return [...text.matchAll(/^export \{([^}]*)\} from/gm)].flatMap((match) =>
    (match[1] ?? '')
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name !== '' && !name.startsWith('type ')),
  );
}
const ENTRIES = [
  { specifier: 'rxjs-chat-stream', names: exportedNames('index.ts') },
  { specifier: 'rxjs-chat-stream/testing', names: exportedNames('testing/index.ts') },
];

/** The imports a block leaves out: the package's names it uses but neither imports nor defines. */
function missingImports(code: string): string {
  const lines: string[] = [];
  for (const { specifier, names } of ENTRIES) {
    const used = names.filter(
      (name) =>
        new RegExp(`(?<![.\\w$])${name}\\b`).test(code) &&
        !new RegExp(`import[^;]*\\b${name}\\b[^;]*from`).test(code) &&
        !new RegExp(`(?:const|let|function|class)\\s+${name}\\b`).test(code),
    );
    if (used.length > 0) lines.push(`import { ${used.join(', ')} } from '${specifier}';`);
  }
  return lines.join(' ');
}

/** The example as a module a user's project compiles (the added imports on its first line, so lines keep their numbers). */
const moduleText = (example: Example): string => `${example.prelude}\n${missingImports(example.code)}${example.code}\nexport {};\n`;

describe('the examples of README.md and docs/', () => {
  it('should find the examples of every page', () => {
    expect(all.length).toBeGreaterThan(25);
    expect(pages.filter((page) => page.examples.length > 0).map((page) => page.file)).toEqual(
      expect.arrayContaining(['README.md', 'docs/operators.md', 'docs/accumulation.md', 'docs/usage.md']),
    );
  });

  it('should type-check every example against the sources, strictly', () => {
    const options: ts.CompilerOptions = {
      strict: true,
      noUncheckedIndexedAccess: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      moduleDetection: ts.ModuleDetectionKind.Force,
      lib: ['lib.es2022.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts'],
      types: ['node', 'jest'],
      skipLibCheck: true,
      noEmit: true,
      esModuleInterop: true,
      allowImportingTsExtensions: false,
      baseUrl: ROOT,
      paths: {
        'rxjs-chat-stream': ['lib/index.ts'],
        'rxjs-chat-stream/testing': ['lib/testing/index.ts'],
        'rxjs-chat-stream/angular': ['lib/angular/index.ts'],
        'rxjs-chat-stream/redis': ['lib/relay/redis/index.ts'],
      },
    };
    const sources = new Map(all.map((example) => [fileName(example), moduleText(example)]));
    const host = ts.createCompilerHost(options);
    const readFile = host.readFile.bind(host);
    host.readFile = (file) => sources.get(resolve(file)) ?? readFile(file);
    const fileExists = host.fileExists.bind(host);
    host.fileExists = (file) => sources.has(resolve(file)) || fileExists(file);
    const program = ts.createProgram([...sources.keys(), join(__dirname, 'prelude.d.ts')], options, host);
    const errors = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file !== undefined && sources.has(resolve(d.file.fileName)))
      .map((d) => {
        const example = all.find((e) => fileName(e) === resolve(d.file!.fileName))!;
        const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0);
        const preludeLines = example.prelude.split('\n').length;
        const inBlock = line - preludeLines + 1;
        const [file, start] = example.where.split(':');
        return `${file}:${Number(start) + inBlock} TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n').split('\n')[0]}`;
      });
    expect(errors).toEqual([]);
  }, 120_000);

  const runnable = all.filter((example) => example.run);
  describe('run against the local server', () => {
    let server: MockServer;
    const folder = join(ROOT, '.doc-tests');
    beforeAll(async () => {
      server = await startMockServer({ timing: 'instant' });
      rmSync(folder, { recursive: true, force: true });
      mkdirSync(folder, { recursive: true });
    });
    afterAll(async () => {
      await server.close();
      rmSync(folder, { recursive: true, force: true });
    });

    it('should have examples that run', () => {
      expect(runnable.length).toBeGreaterThan(3);
    });

    it.each(runnable.map((example) => [example.where, example] as const))('%s should run', async (_, example) => {
      // An ES module, as a user's modern project is: top-level await works.
      const file = fileName(example).replace(/\.ts$/, '.mts');
      const lib = (entry: string): string => `./${relative(folder, join(ROOT, 'lib', entry)).replace(/\\/g, '/')}`;
      const prelude = `./${relative(folder, join(__dirname, 'prelude.runtime.js')).replace(/\\/g, '/')}`;
      const code = `import '${prelude}';\n${moduleText(example)}`
        .replace(/from 'rxjs-chat-stream\/testing'/g, `from '${lib('testing/index.js')}'`)
        .replace(/from 'rxjs-chat-stream\/redis'/g, `from '${lib('relay/redis/index.js')}'`)
        .replace(/from 'rxjs-chat-stream'/g, `from '${lib('index.js')}'`);
      writeFileSync(file, code);
      const { code: exit, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
        const child = execFile(
          process.execPath,
          ['--import', 'tsx', file],
          { cwd: ROOT, timeout: 30_000, env: { ...process.env, OPENAI_BASE_URL: server.baseURL, OPENAI_API_KEY: 'doc-test' } },
          (error, out, err) => done({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout: out, stderr: err }),
        );
        child.stdin?.end();
      });
      expect({ where: example.where, exit, stderr: stderr.slice(0, 2000) }).toEqual({ where: example.where, exit: 0, stderr: '' });
      const logs = /\/\/ Logs:\n((?:\/\/.*\n?)+)/.exec(example.code);
      if (logs) {
        const expected = (logs[1] ?? '').split('\n').filter((l) => l.startsWith('//')).map((l) => l.replace(/^\/\/ ?/, ''));
        expect(stdout.trimEnd().split('\n')).toEqual(expected);
      }
    }, 40_000);
  });
});
