/**
 * The build the bench measures: `dist/`, made by `npm run build` (scripts/build.mjs), rebuilt
 * first when it is missing or older than any file of `lib/`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '..');
const MARKER = join(ROOT, 'dist', 'cjs', 'index.js');

/** The newest modification time of the files under a folder. */
function newest(folder: string): number {
  let latest = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

/** Builds dist/ unless it is there and newer than every file of lib/. */
export function ensureBuilt(log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): void {
  for (const format of ['cjs', 'esm']) {
    const index = join(ROOT, 'dist', format, 'index.js');
    if (!existsSync(index) || statSync(index).mtimeMs < newest(join(ROOT, 'lib'))) {
      log('bench: building dist/ (npm run build), which is what it measures…');
      execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
      return;
    }
  }
  void MARKER;
}
