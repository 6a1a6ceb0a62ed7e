/**
 * What a command talks to: its output streams, its environment, the interrupt signal and the
 * clock. `main.ts` passes the process's own; tests pass in-memory ones.
 * @internal
 */
import type { TimestampProvider } from 'rxjs';

/** Anything with `write(text)`: `process.stdout`, or a test's buffer. */
export interface Writable {
  write(text: string): unknown;
}

/** The world a command runs in. */
export interface CliIO {
  stdout: Writable;
  stderr: Writable;
  /** Where `OPENAI_BASE_URL` and `OPENAI_API_KEY` are read from (never `process.env` directly). */
  env: Readonly<Record<string, string | undefined>>;
  /** Aborted on Ctrl-C / SIGTERM: `serve` stops cleanly, a running request is cancelled. */
  signal?: AbortSignal;
  /** The clock of every measured time (`elapsed()`'s); default `asyncScheduler`. */
  scheduler?: TimestampProvider;
  /** Loads the `openai` SDK; default `import('openai')`. Tests replace it to play a missing SDK. */
  loadOpenAI?: () => Promise<unknown>;
}

/** Exit codes: the same for every command. */
export const EXIT = {
  ok: 0,
  /** The command ran but failed (a stream error, an unexpected error). */
  failed: 1,
  /** Bad usage (flag, argument), an unreachable endpoint, an HTTP error, a missing SDK. */
  usage: 2,
  /** Stopped by Ctrl-C while a request was running. */
  interrupted: 130,
} as const;

/** Writes one line. */
export function line(out: Writable, text = ''): void {
  out.write(`${text}\n`);
}
