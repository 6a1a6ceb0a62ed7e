/**
 * The README is where a user looks a name up: every name an entry point exports (functions,
 * classes, types) is written out in it, in full, so a new export cannot go unmentioned and an
 * abbreviation (`…Choice`) cannot stand for a name nobody can search for.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ts from 'typescript';

const ROOT = resolve(__dirname, '..', '..');

/** The entry points' barrels: the sources of what package.json's `exports` map to (`./dist/cjs/x/index.js` → `lib/x/index.ts`). */
const BARRELS = Object.values(
  (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, { require?: { default: string } }> }).exports,
)
  .flatMap((target) => (typeof target === 'object' && target.require !== undefined ? [target.require.default] : []))
  .map((file) => file.replace(/^\.\/dist\/cjs\//, 'lib/').replace(/\.js$/, '.ts'));

/** The names a barrel exports (`export { a, type B } from …` and `export type { C } from …`). */
function exportedNames(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(join(ROOT, file), 'utf8'), ts.ScriptTarget.Latest, true);
  const names: string[] = [];
  source.forEachChild((node) => {
    if (ts.isExportDeclaration(node) && node.exportClause && ts.isNamedExports(node.exportClause)) {
      for (const element of node.exportClause.elements) names.push(element.name.text);
    }
  });
  return names;
}

describe('README.md names every export', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const written = new Set(readme.match(/[A-Za-z_$][\w$]*/g));

  it('should read the main entry and every subpath', () => {
    expect(BARRELS).toEqual(expect.arrayContaining(['lib/index.ts', 'lib/testing/index.ts', 'lib/angular/index.ts', 'lib/relay/redis/index.ts']));
    expect(exportedNames('lib/index.ts').length).toBeGreaterThan(100);
  });

  it.each(BARRELS)('should write out every name %s exports', (file) => {
    const missing = exportedNames(file).filter((name) => !written.has(name));
    expect(missing).toEqual([]);
  });
});
