/**
 * `rxjs-chat-stream relay`: the resumable relay in the foreground, until Ctrl-C.
 * @internal
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChunkLog } from '../relay/chunkLog.js';
import { MemoryChunkLog } from '../relay/MemoryChunkLog.js';
import { RedisChunkLog } from '../relay/redis/index.js';
import { relay } from '../relay/relay.js';
import { SetupError } from './failures.js';
import { line, type CliIO } from './io.js';

/** Options of `relay`. */
export interface RelayCommandOptions {
  port: number;
  host: string;
  upstream: string;
  redis?: string;
  apiKey?: string;
  /** Where the key came from, to say so (never the key). */
  apiKeySource?: string;
}

async function listen(server: Server, port: number, host: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const where = `${host}:${port}`;
      if (error.code === 'EADDRINUSE') reject(new SetupError(`cannot listen on ${where}: the port is already in use (try --port 0 for any free one)`));
      else if (error.code === 'EACCES') reject(new SetupError(`cannot listen on ${where}: permission denied (try a port above 1023)`));
      else if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND') reject(new SetupError(`cannot listen on ${where}: no such address on this machine`));
      else reject(error);
    });
    server.listen(port, host, resolve);
  });
}

/**
 * Starts the relay (on Redis when `--redis`, else in memory), prints its URL, and waits for
 * `io.signal`; then stops the streams it produces, closes the log and resolves.
 */
export async function runRelay(options: RelayCommandOptions, io: CliIO): Promise<void> {
  let log: ChunkLog;
  if (options.redis !== undefined) {
    try {
      log = await RedisChunkLog.connect(options.redis);
    } catch (error) {
      throw new SetupError(`cannot use Redis at ${options.redis}: ${(error as Error).message}`);
    }
  } else {
    log = new MemoryChunkLog();
  }
  const handler = relay({
    upstream: { baseURL: options.upstream, ...(options.apiKey === undefined ? {} : { apiKey: options.apiKey }) },
    log,
  });
  const server = createServer(handler);
  try {
    await listen(server, options.port, options.host);
  } catch (error) {
    await log.close();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  const url = `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`;
  line(io.stdout, `Relay listening on ${url}/v1 → ${options.upstream}`);
  line(
    io.stdout,
    `  log: ${options.redis === undefined ? 'in memory (this process only)' : `Redis at ${options.redis}`} · ${
      options.apiKey === undefined ? 'no upstream key' : `upstream key from ${options.apiKeySource ?? 'the environment'}`
    } · POST /v1/chat/completions, GET and DELETE /v1/streams/:id`,
  );
  line(io.stdout, 'Press Ctrl-C to stop.');
  await new Promise<void>((resolve) => {
    if (io.signal === undefined) return;
    if (io.signal.aborted) return resolve();
    io.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await handler.close();
  await log.close();
  line(io.stdout, 'Stopped.');
}
