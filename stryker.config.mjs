// Mutation testing (on demand, not in CI): `npm run mutation` mutates the merge, the chat-protocol
// code and the redaction, and runs only the specs that guard them. One folder at a time:
// `MUTATION_TARGET=accumulation npm run mutation` (or `protocol`, `sse`, `redact`). See docs/testing.md.

/** What each target mutates, and the specs that guard it (the only ones the runs load). */
const targets = {
  accumulation: {
    mutate: ['lib/accumulation/**/*.ts'],
    // The rules, the reference merge, the recorded streams and the operators on top. Left out for
    // speed: properties.spec.ts and flatten.spec.ts (seconds each, per mutant).
    specs: [
      'spec/accumulation/ChatCompletionAccumulator.spec.ts',
      'spec/accumulation/reference.spec.ts',
      'spec/accumulation/fixtures.spec.ts',
      'spec/accumulation/persistentVector.spec.ts',
      'spec/accumulation/collect.spec.ts',
      'spec/operators/accumulate.spec.ts',
      'spec/operators/toChatCompletion.spec.ts',
      'spec/operators/toolCalls.spec.ts',
    ],
  },
  protocol: {
    mutate: ['lib/sse/**/*.ts', 'lib/protocol/**/*.ts'],
    specs: [
      'spec/sse/**/*.spec.ts',
      'spec/protocol/**/*.spec.ts',
      'spec/sources/fromSSE*.spec.ts',
      'spec/sources/fromChunks.spec.ts',
      // The writer's specs (lib/protocol/writer.ts): toSSE, pipeSSE, event ids, toSSEText.
      'spec/http/*.spec.ts',
      'spec/testing/toSSEText.spec.ts',
    ],
  },
  // The SSE layer alone (lib/sse), with the specs that assert how it parses. The protocol target
  // also loads the writer's specs, whose round-trip properties run every parser mutant through
  // about 20 s of relaying (the parser is only the checking end there): this target leaves them
  // out, so a parser mutant costs a few seconds.
  sse: {
    mutate: ['lib/sse/**/*.ts'],
    specs: ['spec/sse/**/*.spec.ts', 'spec/sources/fromSSE*.spec.ts', 'spec/protocol/chatChunks.spec.ts'],
  },
  redact: {
    mutate: ['lib/redact.ts'],
    specs: ['spec/redact.spec.ts', 'spec/errors.spec.ts', 'spec/protocol/serverError.spec.ts'],
  },
};

const name = process.env.MUTATION_TARGET ?? 'all';
// `all` is the three targets; `sse` is a part of `protocol`, run alone.
const chosen = name === 'all' ? [targets.accumulation, targets.protocol, targets.redact] : [targets[name]];
if (chosen.some((target) => target === undefined)) {
  throw new Error(`MUTATION_TARGET must be one of ${Object.keys(targets).join(', ')} or all, not ${name}`);
}

// The property tests against the reference merge run fewer cases per mutant (the runs inherit this),
// from a fixed seed: the same cases for every mutant, and with it the long cases the spec asserts
// came all come in 10 runs (with a random seed they sometimes did not, and the initial run failed).
process.env.REFERENCE_RUNS ??= '10';
process.env.REFERENCE_SEED ??= '1';
// The writer's relay-and-parse-back property (spec/http/eventIds.spec.ts) runs 40 long answers,
// about 15 s for every writer mutant it covers: 10 in mutation runs.
process.env.WRITER_RUNS ??= '10';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'jest',
  checkers: process.env.MUTATION_TYPECHECK === '1' ? ['typescript'] : [],
  tsconfigFile: 'tsconfig.json',
  mutate: chosen.flatMap((target) => target.mutate),
  // Each mutant runs only the tests that covered it (per-test coverage), on one process: the
  // machine is shared.
  coverageAnalysis: 'perTest',
  concurrency: 1,
  timeoutMS: 10_000,
  jest: {
    projectType: 'custom',
    config: {
      testEnvironment: 'node',
      roots: ['<rootDir>/spec'],
      testMatch: chosen.flatMap((target) => target.specs).map((glob) => `<rootDir>/${glob}`),
      transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: false }] },
      moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
      // Shorter mutant runs, the same checks: an error no subscriber handles fails its test instead of
      // crashing the test process; a failing property does not shrink (spec/helpers/mutationSetup.ts).
      setupFilesAfterEnv: ['<rootDir>/spec/helpers/mutationSetup.ts'],
      testTimeout: 20_000,
    },
    enableFindRelatedTests: false,
  },
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: `reports/mutation/${name}.html` },
  jsonReporter: { fileName: `reports/mutation/${name}.json` },
  tempDirName: '.stryker-tmp',
  ignorePatterns: ['dist', 'reports', '.doc-tests', '.bench-tmp', '.scratch'],
  thresholds: { high: 90, low: 85, break: null },
};
