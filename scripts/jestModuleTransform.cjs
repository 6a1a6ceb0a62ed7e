// Jest transform for ES-module-only packages (Angular ships only `.mjs`): esbuild turns each file
// into CommonJS, which jest's module system loads. Used for node_modules/@angular only (jest.config.ts).
const { transformSync } = require('esbuild');

module.exports = {
  process(source, path) {
    const { code, map } = transformSync(source, {
      format: 'cjs',
      loader: 'js',
      target: 'es2022',
      sourcemap: 'external',
      sourcefile: path,
      logLevel: 'silent',
    });
    return { code, map };
  },
};
