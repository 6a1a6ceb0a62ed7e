/**
 * CommonJS `require`, when the module system has one: the synchronous way to load a rank file
 * on first use. In the CommonJS build (and under Jest) it is the module's own `require`. The
 * ES module build replaces this file (see `scripts/build.mjs`) with one that asks Node for
 * `module.createRequire(import.meta.url)` through `process.getBuiltinModule`, without a static
 * `node:` import, so browsers and bundlers still load the package; there it is `undefined` and
 * encodings are loaded with `await loadEncoding(name)`.
 * @internal
 */
export const nodeRequire: ((id: string) => unknown) | undefined =
  typeof require === 'function' ? require : undefined;
