/*
 * Loaded by the mutation runs only (stryker.config.mjs, `setupFilesAfterEnv`), to keep a mutant's
 * run short without changing what the specs check:
 *
 * - A mutant that makes a stream error where the spec subscribed without an error callback has
 *   rxjs rethrow the error on a fresh call stack. Under plain jest that fails the running test; in
 *   Stryker's test process it can come after the test and crash the process (a restart and two
 *   retries per mutant, then an "error" result that is not counted). Here rxjs reports it to
 *   `config.onUnhandledError` instead, and the test that caused it fails with it, a macrotask later.
 * - A property that fails stops at its first counterexample instead of shrinking it (the shrinking
 *   of a broken parser's 300-run property outlasts Stryker's timeout): the test fails all the same.
 */
import * as fc from 'fast-check';
import { config } from 'rxjs';

fc.configureGlobal({ ...fc.readConfigureGlobal(), endOnFailure: true });

const unhandled: unknown[] = [];

beforeEach(() => {
  unhandled.length = 0;
  config.onUnhandledError = (error: unknown) => {
    unhandled.push(error);
  };
});

afterEach(async () => {
  // rxjs reports on a timeout: let a report of the test's last step come in.
  await new Promise((resolve) => setTimeout(resolve, 0));
  config.onUnhandledError = null;
  if (unhandled.length > 0) throw unhandled[0];
});
