// Builds the browser example into examples/browser/dist: src/main.ts bundled by esbuild (one
// file, minified, for browsers), with index.html and style.css beside it.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, 'dist');
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
const result = await build({
  entryPoints: [join(here, 'src', 'main.ts')],
  outfile: join(dist, 'main.js'),
  bundle: true,
  minify: true,
  sourcemap: true,
  format: 'iife',
  platform: 'browser',
  target: 'es2022',
  metafile: true,
  logLevel: 'warning',
});
for (const file of ['index.html', 'style.css']) copyFileSync(join(here, file), join(dist, file));
const bytes = result.metafile.outputs[Object.keys(result.metafile.outputs).find((name) => name.endsWith('main.js'))].bytes;
console.log(`examples/browser/dist/main.js: ${(bytes / 1024).toFixed(1)} KB minified`);
