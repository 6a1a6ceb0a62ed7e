/**
 * The package as users get it: built, packed with `npm pack`, installed from the tarball into a
 * temp folder, then loaded with `require` and with `import`, and its declarations type-checked as
 * a user's project compiles them. Offline: the dependencies are packed from this project's own
 * node_modules and installed with it. Slow (one build, two installs, four type-checks), so it
 * runs once.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const root = resolve(__dirname, '..');
const consumerFiles = join(__dirname, 'packaging', 'consumer');

/** Every runtime name of the main entry (types are checked by the consumer's type-check below). */
const mainNames = [
  'fromChatCompletion',
  'fromChunks',
  'fromSSE',
  'sseEvents',
  'chatChunks',
  'toSSE',
  'pipeSSE',
  'contentDeltas',
  'elapsed',
  'accumulate',
  'toChatCompletion',
  'withUsage',
  'usage',
  'runningTokens',
  'partialJson',
  'streamMetrics',
  'textChunks',
  'smooth',
  'renderRate',
  'stopWhen',
  'streamTimeout',
  'retryStream',
  'meter',
  'streamMany',
  'reasoningDeltas',
  'toolCalls',
  'toolCallArguments',
  'choices',
  'choice',
  'countTokens',
  'countPromptTokens',
  'encodingForModel',
  'loadEncoding',
  'tokenPieces',
  'ChatStreamError',
  'SSEParseError',
  'StreamAPIError',
  'HTTPStatusError',
  'IncompleteStreamError',
  'InvalidChunkError',
  'InvalidInputError',
  'PartialJsonError',
  'StreamTimeoutError',
  'ToolCallArgumentsError',
  'ChunkLogError',
  'relay',
  'MemoryChunkLog',
].sort();
const testingNames = ['startMockServer', 'buildChunks', 'toSSEText'].sort();
const angularNames = ['chatResource'];
const redisNames = ['RedisChunkLog'];

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * The installed folders of `names` and of everything they depend on (`dependencies`, not peers),
 * found the way Node finds them from `from`.
 */
function dependencyFolders(names: readonly string[], from: string): string[] {
  const found = new Set<string>();
  const visit = (name: string, dir: string): void => {
    for (let at = dir; ; at = dirname(at)) {
      const folder = join(at, 'node_modules', name);
      if (existsSync(join(folder, 'package.json'))) {
        if (found.has(folder)) return;
        found.add(folder);
        const manifest = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as { dependencies?: object };
        for (const dependency of Object.keys(manifest.dependencies ?? {})) visit(dependency, folder);
        return;
      }
      if (dirname(at) === at) throw new Error(`${name} is not installed (looked from ${dir})`);
    }
  };
  for (const name of names) visit(name, from);
  return [...found];
}

/** Packs the installed folders into `destination`; the tarballs' paths. */
function packFolders(folders: readonly string[], destination: string): string[] {
  const packed = JSON.parse(
    run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', destination, ...folders], root),
  ) as Array<{ filename: string }>;
  return packed.map((entry) => join(destination, entry.filename));
}

/** A consumer project in `dir` with the given tarballs installed, offline (nothing to fetch: every dependency is among them). */
function installConsumer(dir: string, tarballs: readonly string[]): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
  run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', ...tarballs], dir);
}

/** The `// error TSnnnn` markers of a file: `line:code`, 1-based lines. */
function expectedErrors(path: string): string[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .flatMap((line, index) => [...line.matchAll(/\/\/ error TS(\d+)/g)].map((match) => `${index + 1}:TS${match[1]}`));
}

interface TypeCheck {
  /** Every diagnostic, as `file(line): TSnnnn message`, paths relative to the consumer. */
  diagnostics: string[];
  /** Per root file, its diagnostics as `line:TSnnnn`. */
  byFile: Map<string, string[]>;
  /** Per root file and module it imports: the names the module exports, and the names the file imports. */
  imports: Map<string, Map<string, { exported: string[]; imported: string[] }>>;
  /** Every file in the program, relative to the consumer. */
  files: string[];
}

/** Type-checks `rootNames` (in `dir`) as a strict user project: `skipLibCheck: false`, declarations of every package checked. */
function typeCheck(dir: string, rootNames: string[], moduleOptions: ts.CompilerOptions): TypeCheck {
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts'],
    types: [],
    strict: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    noUnusedLocals: true,
    noUnusedParameters: true,
    skipLibCheck: false,
    // TypeScript's own lib.*.d.ts only: every package's declarations are still checked.
    skipDefaultLibCheck: true,
    noEmit: true,
    ...moduleOptions,
  };
  const program = ts.createProgram({ rootNames: rootNames.map((name) => join(dir, name)), options });
  const checker = program.getTypeChecker();
  const where = (file: ts.SourceFile | undefined, start: number | undefined): string =>
    file ? `${relative(dir, file.fileName)}(${file.getLineAndCharacterOfPosition(start ?? 0).line + 1})` : '';
  const all = ts.getPreEmitDiagnostics(program);
  const byFile = new Map<string, string[]>(rootNames.map((name) => [name, []]));
  for (const diagnostic of all) {
    const name = diagnostic.file && relative(dir, diagnostic.file.fileName);
    const line = diagnostic.file ? diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0).line + 1 : 0;
    if (name !== undefined && byFile.has(name)) byFile.get(name)!.push(`${line}:TS${diagnostic.code}`);
  }
  const imports = new Map<string, Map<string, { exported: string[]; imported: string[] }>>();
  for (const name of rootNames) {
    const byModule = new Map<string, { exported: string[]; imported: string[] }>();
    for (const statement of program.getSourceFile(join(dir, name))!.statements) {
      if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) continue;
      const symbol = checker.getSymbolAtLocation(statement.moduleSpecifier);
      const bindings = statement.importClause?.namedBindings;
      byModule.set(statement.moduleSpecifier.text, {
        exported: symbol ? checker.getExportsOfModule(symbol).map((s) => s.name) : [],
        imported: bindings && ts.isNamedImports(bindings) ? bindings.elements.map((element) => element.name.text) : [],
      });
    }
    imports.set(name, byModule);
  }
  return {
    diagnostics: all.map(
      (d) => `${where(d.file, d.start)}: TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, '\n').split('\n')[0]}`,
    ),
    byFile,
    imports,
    files: program.getSourceFiles().map((file) => relative(dir, file.fileName)),
  };
}

/** How a consumer resolves modules: Node's rules (a `.cts` and a `.mts` file: both conditions), or a bundler's. */
const resolutions: Array<{ name: string; options: ts.CompilerOptions; extensions: string[] }> = [
  { name: 'node16', options: { module: ts.ModuleKind.Node16, moduleResolution: ts.ModuleResolutionKind.Node16 }, extensions: ['.cts', '.mts'] },
  { name: 'bundler', options: { module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler }, extensions: ['.ts'] },
];

/** Copies the consumer files (`consumer.ts` as each of `extensions`) into `dir`; the root names. */
function copyConsumer(dir: string, names: readonly string[], extensions: readonly string[]): string[] {
  const roots: string[] = [];
  for (const name of names) {
    // The error file once (its markers name its lines); the others under each extension.
    for (const extension of name === 'consumer-errors' ? extensions.slice(-1) : extensions) {
      copyFileSync(join(consumerFiles, `${name}.ts`), join(dir, `${name}${extension}`));
      roots.push(`${name}${extension}`);
    }
  }
  return roots;
}

describe('the packed package', () => {
  let dir: string;
  let packages: string;
  let bare: string;
  let tarball: string;
  let dependencies: string[];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'rxjs-chat-stream-pack-'));
    packages = join(dir, 'packages');
    mkdirSync(packages);
    // `prepare` builds dist/ (CommonJS and ES modules) before packing.
    run('npm', ['pack', '--pack-destination', packages], root);
    const name = readdirSync(packages).find((file) => file.endsWith('.tgz'));
    if (!name) throw new Error('npm pack made no tarball');
    tarball = join(packages, name);
    // rxjs (the peer) and js-tiktoken, with what they depend on (tslib, base64-js), from our own install:
    // `npm install --offline rxjs@^7.8` needs the registry's package documents, which `npm ci` never caches.
    dependencies = packFolders(dependencyFolders(['rxjs', 'js-tiktoken'], root), packages);
    bare = join(dir, 'bare');
    installConsumer(bare, [tarball, ...dependencies]);
  }, 180_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  let openaiConsumer: string | undefined;
  /** A second consumer, with `openai` (6, packed from our install) too; installed on first use. */
  const withOpenAI = (): string => {
    if (openaiConsumer === undefined) {
      const consumer = join(dir, 'with-openai');
      installConsumer(consumer, [tarball, ...dependencies, ...packFolders(dependencyFolders(['openai'], root), packages)]);
      openaiConsumer = consumer;
    }
    return openaiConsumer;
  };

  let angularConsumer: string | undefined;
  /** A consumer with `@angular/core` (21, packed from our install; an optional peer); installed on first use. */
  const withAngular = (): string => {
    if (angularConsumer === undefined) {
      const consumer = join(dir, 'with-angular');
      installConsumer(consumer, [tarball, ...dependencies, ...packFolders(dependencyFolders(['@angular/core'], root), packages)]);
      angularConsumer = consumer;
    }
    return angularConsumer;
  };

  const script = (code: string): string => run(process.execPath, ['--input-type=module', '-e', code], bare).trim();
  const cjs = (code: string): string => run(process.execPath, ['-e', code], bare).trim();

  it('should give every name with require()', () => {
    const names = JSON.parse(
      cjs(`const m = require('rxjs-chat-stream'); const t = require('rxjs-chat-stream/testing');
        console.log(JSON.stringify([Object.keys(m).filter((k) => m[k] !== undefined).sort(), Object.keys(t).sort()]))`),
    ) as [string[], string[]];
    expect(names[0]).toEqual(expect.arrayContaining(mainNames));
    expect(names[1]).toEqual(expect.arrayContaining(testingNames));
  });

  it('should give every name with import()', () => {
    const names = JSON.parse(
      script(`const m = await import('rxjs-chat-stream'); const t = await import('rxjs-chat-stream/testing');
        console.log(JSON.stringify([Object.keys(m).sort(), Object.keys(t).sort()]))`),
    ) as [string[], string[]];
    expect(names[0]).toEqual(expect.arrayContaining(mainNames));
    expect(names[1]).toEqual(expect.arrayContaining(testingNames));
  });

  it('should run a pipeline from the ES module build without the openai package', () => {
    const out = script(`
      import { fromChunks, contentDeltas, countTokens } from 'rxjs-chat-stream';
      import { toArray, lastValueFrom } from 'rxjs';
      const chunk = (content) => ({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o',
        choices: [{ index: 0, delta: { content }, finish_reason: null }] });
      const parts = await lastValueFrom(fromChunks([chunk('Hel'), chunk('lo')]).pipe(contentDeltas(), toArray()));
      console.log(parts.join('') + ' ' + countTokens('Hello world', 'gpt-4o'));
    `);
    expect(out).toBe('Hello 2');
    expect(() => cjs(`require.resolve('openai')`)).toThrow();
  });

  it('should give the Angular entry with require() and import() where @angular/core is installed', () => {
    const consumer = withAngular();
    const required = run(process.execPath, ['-e', `console.log(JSON.stringify(Object.keys(require('rxjs-chat-stream/angular')).sort()))`], consumer);
    const imported = run(
      process.execPath,
      ['--input-type=module', '-e', `console.log(JSON.stringify(Object.keys(await import('rxjs-chat-stream/angular')).sort()))`],
      consumer,
    );
    expect(JSON.parse(required)).toEqual(angularNames);
    expect(JSON.parse(imported)).toEqual(angularNames);
    // Without Angular, the main entries load; only the Angular entry needs the peer.
    expect(() => cjs(`require('rxjs-chat-stream/angular')`)).toThrow(/@angular\/core/);
  });

  it('should load rxjs-chat-stream/redis without ioredis installed, and say so only when connecting', () => {
    expect(() => cjs(`require.resolve('ioredis')`)).toThrow();
    const names = JSON.parse(
      cjs(`const r = require('rxjs-chat-stream/redis'); console.log(JSON.stringify(Object.keys(r).sort()))`),
    ) as string[];
    expect(names).toEqual(expect.arrayContaining(redisNames));
    const out = script(`
      import { RedisChunkLog } from 'rxjs-chat-stream/redis';
      try { await RedisChunkLog.connect('redis://127.0.0.1:6379'); } catch (error) { console.log(error.name, error.reason, error.message); }
    `);
    expect(out).toBe('ChunkLogError unavailable RedisChunkLog.connect() needs the ioredis package: npm install ioredis');
  });

  it('should count tokens from the CommonJS build', () => {
    expect(cjs(`console.log(require('rxjs-chat-stream').countTokens('Hello world', 'gpt-3.5-turbo'))`)).toBe('2');
  });

  it('should ship the type declarations the exports map names', () => {
    const files = run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], root);
    const paths = (JSON.parse(files) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path);
    for (const path of [
      'dist/cjs/index.d.ts',
      'dist/esm/index.d.ts',
      'dist/cjs/testing/index.d.ts',
      'dist/esm/testing/index.d.ts',
      'dist/cjs/angular/index.d.ts',
      'dist/esm/angular/index.d.ts',
      'dist/cjs/relay/redis/index.d.ts',
      'dist/esm/relay/redis/index.d.ts',
      'dist/esm/package.json',
    ]) {
      expect(paths).toContain(path);
    }
  });

  it('should ship source maps that carry their sources (lib/ is not shipped)', () => {
    const installed = join(bare, 'node_modules', 'rxjs-chat-stream', 'dist');
    const maps = (readdirSync(installed, { recursive: true }) as string[]).filter((file) => file.endsWith('.js.map'));
    expect(maps.length).toBeGreaterThan(20);
    for (const file of maps) {
      const map = JSON.parse(readFileSync(join(installed, file), 'utf8')) as { sources: string[]; sourcesContent?: Array<string | null> };
      expect([file, map.sourcesContent?.length]).toEqual([file, map.sources.length]);
      expect(map.sourcesContent?.every((source) => typeof source === 'string' && source.length > 0)).toBe(true);
    }
  });

  it('should run its CLI from the installed package (a prepare build, no separate step)', () => {
    const bin = join(bare, 'node_modules', '.bin', 'rxjs-chat-stream');
    expect(existsSync(bin)).toBe(true);
    expect(run(bin, ['--help'], bare)).toMatch(/^  rxjs-chat-stream <command> \[options\]$/m);
  });

  it('should bundle for a browser without a rank file unless it counts (esbuild, one file, minified)', async () => {
    const { build } = await import('esbuild');
    const bundle = async (code: string, external: string[] = []): Promise<{ bytes: number; ranks: boolean }> => {
      const entry = join(bare, `entry-${Math.random().toString(36).slice(2)}.mjs`);
      writeFileSync(entry, code);
      const result = await build({ entryPoints: [entry], bundle: true, minify: true, platform: 'browser', format: 'esm', write: false, metafile: true, logLevel: 'silent', external });
      const output = Object.values(result.metafile.outputs)[0]!;
      const ranks = Object.entries(output.inputs).some(([input, { bytesInOutput }]) => bytesInOutput > 0 && /js-tiktoken[\\/](?:dist[\\/])?ranks/.test(input));
      return { bytes: result.outputFiles[0]!.contents.length, ranks };
    };
    const fetchIt = `(signal) => fetch('/v1/chat/completions', { method: 'POST', signal })`;
    const merged = await bundle(`import { fromSSE, contentDeltas, toChatCompletion } from 'rxjs-chat-stream';
      const chunks$ = fromSSE(${fetchIt});
      chunks$.pipe(contentDeltas()).subscribe(console.log);
      chunks$.pipe(toChatCompletion()).subscribe(console.log);`);
    expect(merged.ranks).toBe(false);
    // The target of issue 10: at most 60 KB minified, rxjs included.
    expect(merged.bytes).toBeLessThanOrEqual(60 * 1024);
    const counting = await bundle(`import { fromSSE, usage } from 'rxjs-chat-stream';
      fromSSE(${fetchIt}).pipe(usage()).subscribe(console.log);`);
    expect(counting.ranks).toBe(true);
    // The Angular entry counts only with the operators the app gives it (Angular itself left out here).
    const angular = await bundle(
      `import { fromSSE } from 'rxjs-chat-stream';
      import { chatResource } from 'rxjs-chat-stream/angular';
      chatResource({ params: () => ({}), stream: () => fromSSE(${fetchIt}) });`,
      ['@angular/core', '@angular/core/*'],
    );
    expect(angular.ranks).toBe(false);
    expect(angular.bytes).toBeLessThanOrEqual(70 * 1024);
  });

  it('should import nothing from openai in any declaration it ships', () => {
    const installed = join(bare, 'node_modules', 'rxjs-chat-stream', 'dist');
    const declarations = (readdirSync(installed, { recursive: true }) as string[]).filter((file) => file.endsWith('.d.ts'));
    expect(declarations.length).toBeGreaterThan(20);
    const fromOpenAI = declarations.flatMap((file) => {
      const { importedFiles, typeReferenceDirectives } = ts.preProcessFile(readFileSync(join(installed, file), 'utf8'), true, true);
      return [...importedFiles, ...typeReferenceDirectives]
        .map((reference) => reference.fileName)
        .filter((name) => name === 'openai' || name.startsWith('openai/'))
        .map((name) => `${file}: ${name}`);
    });
    expect(fromOpenAI).toEqual([]);
  });

  describe.each(resolutions)('type-checked by a strict user project ($name resolution)', ({ options, extensions }) => {
    const errorFile = `consumer-errors${extensions.at(-1)!}`;
    const marked = (): string[] => expectedErrors(join(consumerFiles, 'consumer-errors.ts'));
    const outsideErrorFile = (result: TypeCheck): string[] => result.diagnostics.filter((d) => !d.startsWith(`${errorFile}(`));

    describe('without openai installed', () => {
      let result: TypeCheck;

      beforeAll(() => {
        result = typeCheck(bare, copyConsumer(bare, ['consumer', 'consumer-errors'], extensions), options);
      }, 60_000);

      it('should compile a file using every export (no declaration needs openai)', () => {
        expect(result.files.filter((file) => file.includes('node_modules/openai'))).toEqual([]);
        expect(outsideErrorFile(result)).toEqual([]);
      });

      it('should fail a file with three type errors on exactly those three', () => {
        expect(marked()).toHaveLength(3);
        expect(result.byFile.get(errorFile)).toEqual(marked());
      });

      it.each(['rxjs-chat-stream', 'rxjs-chat-stream/testing', 'rxjs-chat-stream/redis'])('should import every export of %s in the first file', (entry) => {
        for (const extension of extensions) {
          const { exported = [], imported = [] } = result.imports.get(`consumer${extension}`)?.get(entry) ?? {};
          expect(exported.length).toBeGreaterThan(entry.endsWith('/redis') ? 2 : 10);
          // And with noUnusedLocals, an import that is not used is an error above.
          expect(exported.filter((name) => !imported.includes(name))).toEqual([]);
        }
      });
    });

    describe('with @angular/core installed', () => {
      let result: TypeCheck;

      beforeAll(() => {
        const consumer = withAngular();
        // Angular ships ES modules only: its users' files are ES modules (`.mts` under Node's rules).
        const roots = [...copyConsumer(consumer, ['consumer'], extensions), ...copyConsumer(consumer, ['consumer-angular'], extensions.slice(-1))];
        result = typeCheck(consumer, roots, options);
      }, 120_000);

      it('should compile the same file, and one using every export of the Angular entry', () => {
        expect(result.files.some((file) => file.includes('node_modules/@angular/core/'))).toBe(true);
        expect(result.diagnostics).toEqual([]);
        for (const extension of extensions.slice(-1)) {
          const { exported = [], imported = [] } = result.imports.get(`consumer-angular${extension}`)?.get('rxjs-chat-stream/angular') ?? {};
          expect(exported.length).toBeGreaterThanOrEqual(4);
          expect(exported.filter((name) => !imported.includes(name))).toEqual([]);
        }
      });
    });

    describe('with openai 6 installed', () => {
      let result: TypeCheck;

      beforeAll(() => {
        const consumer = withOpenAI();
        result = typeCheck(consumer, copyConsumer(consumer, ['consumer', 'consumer-errors', 'consumer-openai'], extensions), options);
      }, 120_000);

      it('should compile the same files, and one passing an OpenAI client and SDK-typed requests', () => {
        expect(result.files.some((file) => file.includes('node_modules/openai/'))).toBe(true);
        expect(outsideErrorFile(result)).toEqual([]);
        expect(result.byFile.get(errorFile)).toEqual(marked());
      });
    });
  });
});
