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
