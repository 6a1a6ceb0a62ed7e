// Builds dist/cjs (CommonJS) and dist/esm (ES modules), each with its .d.ts files.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const dist = join(root, 'dist');

rmSync(dist, { recursive: true, force: true });
for (const [format, module, type] of [
  ['cjs', 'commonjs', 'commonjs'],
  ['esm', 'esnext', 'module'],
]) {
  const outDir = join(dist, format);
  execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--module', module, '--outDir', outDir], {
    stdio: 'inherit',
  });
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'package.json'), `${JSON.stringify({ type }, null, 2)}\n`);
}

// The ES module build's synchronous `require`, for loading token rank files on first use (see
// lib/tokens/nodeRequire.ts): Node's `module.createRequire`, reached through
// `process.getBuiltinModule` (Node >= 20.16) so that no static `node:` import stops browsers and
// bundlers from loading the package; elsewhere it is undefined and `loadEncoding()` is needed.
writeFileSync(
  join(dist, 'esm', 'tokens', 'nodeRequire.js'),
  `// Written by scripts/build.mjs: the ES module twin of lib/tokens/nodeRequire.ts.
export const nodeRequire = globalThis.process?.getBuiltinModule?.('node:module')?.createRequire?.(import.meta.url);
`,
);
rmSync(join(dist, 'esm', 'tokens', 'nodeRequire.js.map'), { force: true });
