/**
 * Argument parsing for every command: `node:util` `parseArgs` in strict mode, with its errors
 * turned into one-line {@link UsageError}s, and the value checks the commands share.
 * @internal
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { MockTiming } from '../testing/index.js';
import { UsageError } from './failures.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Whether `-h`/`--help` appears before a `--`. */
export function wantsHelp(args: readonly string[]): boolean {
  for (const arg of args) {
    if (arg === '--') return false;
    if (arg === '-h' || arg === '--help') return true;
  }
  return false;
}

/** `parseArgs` in strict mode; a bad flag, a missing value or a stray argument becomes a {@link UsageError}. */
export function parse<const O extends Options>(
  args: readonly string[],
  options: O,
  allowPositionals: boolean,
): ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: boolean; strict: true }>> {
  try {
    return parseArgs({ args: [...args], options, allowPositionals, strict: true });
  } catch (error) {
    // Some runtimes (Jest's) put `TypeError [ERR_PARSE_ARGS_…]: ` in front of the message.
    const message = (error instanceof Error ? error.message : String(error)).replace(/^\w*Error \[[A-Z_]+\]: /, '');
    // Node's messages go on with advice about `--`; the first sentence says what is wrong.
    const first = message.split(/\.\s/)[0]!.replace(/\.$/, '');
    throw new UsageError(first.charAt(0).toLowerCase() + first.slice(1));
  }
}

/** A TCP port, 0 (any free one) to 65535. */
export function parsePort(value: string, flag = '--port'): number {
  if (!/^\d+$/.test(value) || Number(value) > 65535) {
    throw new UsageError(`${flag} must be a port number from 0 to 65535, got '${value}'`);
  }
  return Number(value);
}

/**
 * `--timing`: `realistic` (300 ms to the first token, 25 ms per token), `instant`, or your numbers in
 * ms, `TTFT,PER_TOKEN[,JITTER]` (`50,2` is 50 ms to the first token, then 2 ms per token).
 */
export function parseTiming(value: string): 'realistic' | 'instant' | MockTiming {
  if (value === 'realistic' || value === 'instant') return value;
  const match = /^(\d+(?:\.\d+)?),(\d+(?:\.\d+)?)(?:,(\d+(?:\.\d+)?))?$/.exec(value.replace(/\s+/g, ''));
  const jitter = match?.[3] === undefined ? undefined : Number(match[3]);
  if (!match || (jitter !== undefined && jitter > 1)) {
    throw new UsageError(
      `--timing must be 'realistic', 'instant' or 'TTFT,PER_TOKEN[,JITTER]' in ms (jitter 0 to 1), e.g. '50,2'; got '${value}'`,
    );
  }
  return {
    timeToFirstTokenMs: Number(match[1]),
    perTokenMs: Number(match[2]),
    ...(jitter === undefined ? {} : { jitter }),
  };
}

/** How a timing reads in a sentence. */
export function describeTiming(timing: 'realistic' | 'instant' | MockTiming): string {
  if (timing === 'instant') return 'instant timing';
  const t = timing === 'realistic' ? { timeToFirstTokenMs: 300, perTokenMs: 25 } : timing;
  const label = timing === 'realistic' ? 'realistic timing: ' : '';
  return `${label}${t.timeToFirstTokenMs ?? 300} ms to the first token, ${t.perTokenMs ?? 25} ms per token`;
}

/** An http(s) base URL. */
export function parseBaseURL(value: string, source: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    // The value itself is not echoed: a mistyped URL may hold a key (`https://user:key@…`, `?api-key=…`).
    throw new UsageError(`${source} is not a URL (expected something like https://api.example.com/v1)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`${source} must be an http:// or https:// URL, got '${url.protocol}'`);
  }
  return url;
}

/** A URL as it may be shown: no user name, password, query or fragment. */
export function displayURL(url: URL): string {
  const shown = new URL(url.href);
  shown.username = '';
  shown.password = '';
  shown.search = '';
  shown.hash = '';
  return shown.href.replace(/\/$/, '');
}

/** A non-empty string flag. */
export function nonEmpty(value: string | undefined, flag: string): string | undefined {
  if (value === undefined) return undefined;
  if (value.trim() === '') throw new UsageError(`${flag} must not be empty`);
  return value;
}

/** A whole number >= `min` (`--concurrency 50`, `--retries 0`). */
export function parseWhole(value: string, flag: string, min: number): number {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value)) || Number(value) < min) {
    throw new UsageError(`${flag} must be a whole number >= ${min}, got '${value}'`);
  }
  return Number(value);
}

/** A rate > 0 (`--rpm 500`, `--tpm 200000`, `--rpm 0.5`). */
export function parseRate(value: string, flag: string): number {
  const rate = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !(rate > 0)) throw new UsageError(`${flag} must be a number > 0, got '${value}'`);
  return rate;
}
