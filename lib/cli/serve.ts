/**
 * `rxjs-chat-stream serve`: the local OpenAI-compatible server in the foreground, until Ctrl-C.
 * @internal
 */
import { startMockServer, type MockServer, type MockTiming } from '../testing/index.js';
import { loadEncoding } from '../tokens/loadEncoding.js';
import { describeTiming } from './args.js';
import { SetupError } from './failures.js';
import { line, type CliIO } from './io.js';

/** Options of `serve`. */
export interface ServeOptions {
  port: number;
  host: string;
  apiKey?: string;
  /** Where the key came from, to say so (never the key): `--api-key`, or `--api-key-env NAME`. */
  apiKeySource?: string;
  timing: 'realistic' | 'instant' | MockTiming;
}

async function start(options: ServeOptions): Promise<MockServer> {
  try {
    return await startMockServer({
      port: options.port,
      host: options.host,
      timing: options.timing,
      ...(options.apiKey === undefined ? {} : { apiKey: options.apiKey }),
    });
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    const where = `${options.host}:${options.port}`;
    if (code === 'EADDRINUSE') {
      throw new SetupError(`cannot listen on ${where}: the port is already in use (try --port 0 for any free one)`);
    }
    if (code === 'EACCES') throw new SetupError(`cannot listen on ${where}: permission denied (try a port above 1023)`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
      throw new SetupError(`cannot listen on ${where}: no such address on this machine`);
    }
    throw error;
  }
}

/**
 * Starts the server, prints its base URL (the real port when `--port 0`), and waits for
 * `io.signal` (Ctrl-C, SIGTERM); then closes it and resolves.
 */
export async function runServe(options: ServeOptions, io: CliIO): Promise<void> {
  // The server counts tokens; load the usual encoding now rather than in the first request's time.
  await loadEncoding('o200k_base');
  const server = await start(options);
  line(io.stdout, `Local OpenAI-compatible server listening on ${server.baseURL}`);
  line(
    io.stdout,
    `  ${describeTiming(options.timing)} · ${
      options.apiKey === undefined
        ? 'no auth (any API key works)'
        : `auth: requests need the API key given with ${options.apiKeySource ?? '--api-key'}`
    } · POST /v1/chat/completions, GET /v1/models`,
  );
  const key = options.apiKey === undefined ? 'anything' : '<your key>';
  line(io.stdout, `  try: OPENAI_BASE_URL=${server.baseURL} OPENAI_API_KEY=${key} npx rxjs-chat-stream chat "Count to 10"`);
  line(io.stdout, 'Press Ctrl-C to stop.');

  await new Promise<void>((resolve) => {
    if (io.signal === undefined) return; // runs until the process ends
    if (io.signal.aborted) return resolve();
    io.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  const stats = server.stats;
  await server.close();
  line(
    io.stdout,
    `Stopped. Served ${stats.requests} request${stats.requests === 1 ? '' : 's'}: ` +
      `${stats.completed} chat completion${stats.completed === 1 ? '' : 's'} finished, ${stats.aborted} cut short, ` +
      `${stats.errors} answered with an HTTP error.`,
  );
}
