/**
 * The layers of lib/ (docs/architecture.md): imports point down the list, never up or across.
 * bytes → events (sse) → chunks (protocol) → bodies and responses (http) → answers (accumulation,
 * tokens) → sources → operators → the rest.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const LIB = resolve(__dirname, '..', 'lib');

/** Each folder of lib/ and its rank: a module may import from a lower rank, or from its own folder. */
const RANKS: Record<string, number> = {
  '.': 0, // errors, json, redact, types: what everything shares
  types: 0,
  sse: 1,
  protocol: 2,
  http: 3,
  accumulation: 3,
  tokens: 3,
  structured: 3,
  sources: 4,
  operators: 5,
  relay: 6,
  testing: 6,
  angular: 6,
  cli: 7,
  index: 8, // the public barrel
};

function files(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? files(join(folder, entry.name)) : entry.name.endsWith('.ts') ? [join(folder, entry.name)] : [],
  );
}

/** The folder of lib/ a file is in (`.` for lib/ itself; the barrels `index` for the top). */
function folderOf(file: string): string {
  const parts = relative(LIB, file).split(/[\\/]/);
  if (parts.length === 1) return parts[0] === 'index.ts' ? 'index' : '.';
  return parts[0] as string;
}

describe('the layers of lib/', () => {
  const all = files(LIB);

  it('should rank every folder', () => {
    const folders = [...new Set(all.map(folderOf))];
    expect(folders.filter((folder) => RANKS[folder] === undefined)).toEqual([]);
  });

  it('should import only from its own folder or a lower layer', () => {
    const wrong: string[] = [];
    let imports = 0;
    for (const file of all) {
      const from = folderOf(file);
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(/^(?:import|export)[^'"]*from '(\.[^']+)'/gm)) {
        imports++;
        const target = folderOf(resolve(file, '..', match[1] as string));
        if (target === from) continue;
        const [up, down] = [RANKS[target] ?? Infinity, RANKS[from] ?? -1];
        // Down the layers only; the shared base (rank 0: lib/*.ts and lib/types/) may use itself.
        if (up > down || (up === down && up !== 0)) wrong.push(`${relative(LIB, file)} imports ${match[1]} (${from} → ${target})`);
      }
    }
    expect(imports).toBeGreaterThan(100);
    expect(wrong).toEqual([]);
  });

  it('should keep the published code free of the openai package (an optional peer)', () => {
    // Real imports only (a JSDoc example's `import OpenAI from 'openai'` is a comment line).
    const importing = all.filter((file) => /^(?:import|export)[^'\n]*from 'openai|^[^*\n]*import\('openai/m.test(readFileSync(file, 'utf8')));
    // The CLI loads the SDK at run time (it calls the API with it) and says how to install it when missing.
    expect(importing.map((file) => relative(LIB, file))).toEqual(['cli/endpoint.ts']);
  });
});

describe('the optional Angular peer', () => {
  it('should be imported by lib/angular/ only (the main entry never needs @angular/core)', () => {
    const importing = files(LIB).filter((file) => /^(?:import|export)[^'\n]*from '@angular\//m.test(readFileSync(file, 'utf8')));
    expect(importing.length).toBeGreaterThan(0);
    expect(importing.map((file) => folderOf(file))).toEqual(importing.map(() => 'angular'));
  });
});
