/**
 * Runs the type tests `sdk-compat.v5.ts`, `.v6.ts` and `.v7.ts` (our wire types against the
 * `openai` SDK 5, 6 and 7) the way a user's project sees the toolkit: against the declarations the
 * build emits, with `strict`, `noUncheckedIndexedAccess` and `exactOptionalPropertyTypes`. (The
 * project's own type-check compiles the same files against `lib/`, without
 * `exactOptionalPropertyTypes`.) They fail to compile when a compatibility breaks, or when a type
 * the `@ts-expect-error` lines rely on turns into `any`.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const root = resolve(__dirname, '../..');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

/** Runs tsc; its output, and whether it succeeded. */
function compile(args: string[]): { ok: boolean; output: string } {
  try {
    return { ok: true, output: execFileSync(process.execPath, [tsc, ...args], { cwd: root, encoding: 'utf8' }) };
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    return { ok: false, output: `${stdout ?? ''}${stderr ?? ''}` };
  }
}

describe('the wire types against the openai SDK 5, 6 and 7', () => {
  let dir: string;

  beforeAll(() => {
    // Inside the project, so that `openai`, `openai5`, `openai7` and `rxjs` resolve from its node_modules.
    const cache = join(root, 'node_modules', '.cache');
    mkdirSync(cache, { recursive: true });
    dir = mkdtempSync(join(cache, 'sdk-compat-'));
    // The declarations where the type tests' `../../lib/index.js` finds them, the tests beside them.
    const emitted = compile(['-p', join(root, 'tsconfig.build.json'), '--emitDeclarationOnly', '--outDir', join(dir, 'lib')]);
    if (!emitted.ok) throw new Error(`emitting the declarations failed:\n${emitted.output}`);
    mkdirSync(join(dir, 'spec', 'types'), { recursive: true });
    for (const name of readdirSync(__dirname).filter((n) => n.endsWith('.ts') && !n.endsWith('.spec.ts'))) {
      copyFileSync(join(__dirname, name), join(dir, 'spec', 'types', name));
    }
  }, 120_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('should compile every type test with exactOptionalPropertyTypes, against the published declarations', () => {
    const files = ['sdk-compat.v5.ts', 'sdk-compat.v6.ts', 'sdk-compat.v7.ts'].map((name) => join(dir, 'spec', 'types', name));
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          lib: ['ES2022', 'DOM', 'DOM.Iterable'],
          module: 'preserve',
          moduleResolution: 'bundler',
          strict: true,
          noUncheckedIndexedAccess: true,
          exactOptionalPropertyTypes: true,
          // The SDKs' own declarations are theirs to check; what we use of them is checked.
          skipLibCheck: true,
          noEmit: true,
          types: [],
        },
        files,
      }),
    );
    const { ok, output } = compile(['-p', join(dir, 'tsconfig.json')]);
    // Errors point at the copies: show them at the originals.
    expect(output.split(`${relative(root, dir)}/`).join('')).toBe('');
    expect(ok).toBe(true);
  }, 120_000);
});
