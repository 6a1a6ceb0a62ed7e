// Adds to package-lock.json the entries of optional native bindings that the npm registry this
// workplace reaches does not serve, so that `npm ci` accepts the lock on every machine.
//
// Why: jest 30 depends on unrs-resolver, whose optionalDependencies list one binding package per
// platform. Where the registry answers 404 for the bindings of other platforms, `npm install`
// leaves them out of the lock, and `npm ci` then refuses the lock ("Missing: … from lock file").
// Each entry written here carries the binding's os/cpu/libc, so `npm ci` skips it on other
// platforms without fetching anything. Run after any change of dependencies:
//   npm install && node scripts/lock-optional-bindings.mjs
import { readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const packages = lock.packages;

/** `linux-arm-musleabihf` → { os: 'linux', cpu: 'arm', libc: 'musl' }. */
function platformOf(suffix) {
  const [os, cpu, abi] = suffix.split('-');
  const libc = abi?.startsWith('musl') ? 'musl' : abi?.startsWith('gnu') ? 'glibc' : undefined;
  return { os, cpu, libc };
}

let added = 0;
for (const [key, entry] of Object.entries(packages)) {
  if (!key.endsWith('node_modules/unrs-resolver')) continue;
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const target = `node_modules/${name}`;
    const prefix = '@unrs/resolver-binding-';
    if (packages[target] || !name.startsWith(prefix) || name.endsWith('wasm32-wasi')) continue;
    const { os, cpu, libc } = platformOf(name.slice(prefix.length));
    packages[target] = {
      version,
      cpu: [cpu],
      dev: true,
      license: 'MIT',
      ...(libc ? { libc: [libc] } : {}),
      optional: true,
      os: [os],
    };
    added++;
  }
}

const sorted = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : 1)));
lock.packages = sorted;
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`lock-optional-bindings: ${added} entr${added === 1 ? 'y' : 'ies'} added`);
