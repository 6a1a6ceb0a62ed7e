/**
 * Runs `bench/child.ts` in a fresh Node process (`--expose-gc`, TypeScript through tsx), for what
 * must be measured cold (first use of an encoding) or alone (heap growth over a long stream).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');
const CHILD = resolve(__dirname, 'child.ts');

/** Starts the child; its stdin is a pipe, so it ends when this process does. */
export function spawnChild(args: readonly string[]): ChildProcess {
  return spawn(process.execPath, ['--expose-gc', '--import', 'tsx', CHILD, ...args], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
}

/** Runs the child to its end and returns the JSON of its last stdout line. */
export function runChild<T>(args: readonly string[], timeoutMs = 240_000): Promise<T> {
  return new Promise<T>((resolvePromise, reject) => {
    const child = spawnChild(args);
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`bench child ${args.join(' ')} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const line = stdout.trim().split('\n').pop() ?? '';
      if (code !== 0) {
        reject(new Error(`bench child ${args.join(' ')} exited with ${code}: ${stderr.trim().slice(-2000)}`));
        return;
      }
      try {
        resolvePromise(JSON.parse(line) as T);
      } catch {
        reject(new Error(`bench child ${args.join(' ')} printed no JSON: ${stdout.slice(-500)} ${stderr.slice(-500)}`));
      }
    });
    child.stdin!.end();
  });
}

/**
 * Starts a child that serves until told to stop: resolves with the JSON of its first stdout line
 * (where it says how to reach it) and a `stop()` that closes its stdin, waits for its exit, and
 * sends SIGTERM after 5 s.
 */
export async function startLongChild<T>(args: readonly string[], what: string): Promise<{ first: T; stop(): Promise<void> }> {
  const child = spawnChild(args);
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const first = await new Promise<string>((resolvePromise, reject) => {
    let stdout = '';
    const onData = (text: string): void => {
      stdout += text;
      const newline = stdout.indexOf('\n');
      if (newline >= 0) {
        child.stdout!.off('data', onData);
        resolvePromise(stdout.slice(0, newline));
      }
    };
    child.stdout!.setEncoding('utf8').on('data', onData);
    child.on('exit', (code) => reject(new Error(`${what} exited (${code}) before it started: ${stderr.slice(-1000)}`)));
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolvePromise) => child.once('exit', () => resolvePromise()));
    child.stdin!.end();
    const timer = setTimeout(() => child.kill('SIGTERM'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  return { first: JSON.parse(first) as T, stop };
}
