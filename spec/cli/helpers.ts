import { createServer } from 'node:net';
import type { CliIO } from '../../lib/cli/cli.js';

/** An in-memory `CliIO`: what the command wrote, and the environment it sees (empty by default). */
export function memoryIO(env: Record<string, string | undefined> = {}, extra: Partial<CliIO> = {}) {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env,
    ...extra,
  };
  return {
    io,
    get stdout(): string {
      return stdout;
    },
    get stderr(): string {
      return stderr;
    },
    /** The non-empty lines of stderr. */
    get errorLines(): string[] {
      return stderr.split('\n').filter((l) => l !== '');
    },
  };
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
export function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Waits until `check` returns a value, polling every 10 ms, for at most `ms`. */
export async function waitFor<T>(check: () => T | undefined, ms = 10_000): Promise<T> {
  const start = performance.now();
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (performance.now() - start > ms) throw new Error('waitFor: timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** "1, 2, 3, …, 100." */
export const COUNT_TO_100 = `${Array.from({ length: 100 }, (_, i) => i + 1).join(', ')}.`;
