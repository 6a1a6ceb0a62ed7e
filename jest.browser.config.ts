import type { Config } from 'jest';

/**
 * `npm run test:browser`: the example pages in headless Chromium (Debian's /usr/bin/chromium via
 * playwright-core), over examples/chat-server and the local server. Build the pages first
 * (`npm run examples:build`). Not part of `npm test`: it needs Chromium; `.ci/run` runs it.
 */
const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/spec/browser'],
  testMatch: ['**/*.spec.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: false }],
  },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testTimeout: 60_000,
  // One browser at a time on a small machine.
  maxWorkers: 1,
  reporters: ['default', '<rootDir>/scripts/countsReporter.cjs'],
};

export default config;
