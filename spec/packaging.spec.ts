/**
 * The package as users get it: built, packed with `npm pack`, installed from the tarball into a
 * temp folder, then loaded with `require` and with `import`. Slow (two tsc builds), so it runs once.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '..');

/** Every runtime name of the main entry (types are checked by the type-check of this repo). */
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
  'usage',
  'runningTokens',
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
].sort();
const testingNames = ['startMockServer', 'buildChunks', 'toSSEText'].sort();

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('the packed package', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'rxjs-chat-stream-pack-'));
    // `prepack` builds dist/ (CommonJS and ES modules).
    run('npm', ['pack', '--pack-destination', dir], root);
    const tarball = readdirSync(dir).find((name) => name.endsWith('.tgz'));
    if (!tarball) throw new Error('npm pack made no tarball');
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
    // Offline: rxjs and js-tiktoken come from the npm cache the project's own install filled.
    run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', `./${tarball}`, 'rxjs@^7.8'], dir);
  }, 180_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const script = (code: string): string => run(process.execPath, ['--input-type=module', '-e', code], dir).trim();
  const cjs = (code: string): string => run(process.execPath, ['-e', code], dir).trim();

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
      'dist/esm/package.json',
    ]) {
      expect(paths).toContain(path);
    }
  });
});
