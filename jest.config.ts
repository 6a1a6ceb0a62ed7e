import type { Config } from 'jest';

const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/spec'],
  testMatch: ['**/*.spec.ts'],
  // The Chromium suites: `npm run test:browser` (jest.browser.config.ts).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/spec/browser/'],
  transform: {
    // The Angular specs declare components with decorators (spec/angular/tsconfig.json).
    '/spec/angular/.+\\.ts$': ['ts-jest', { tsconfig: 'spec/angular/tsconfig.json', diagnostics: false }],
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: false }],
    // Angular ships ES modules only (`.mjs`): made CommonJS for jest.
    '^.+\\.mjs$': '<rootDir>/scripts/jestModuleTransform.cjs',
  },
  transformIgnorePatterns: ['/node_modules/(?!@angular/)'],
  // Sources import with `.js` endings (what Node's ES module loader needs in dist/esm).
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testTimeout: 20_000,
  reporters: ['default', '<rootDir>/scripts/countsReporter.cjs'],
};

export default config;
