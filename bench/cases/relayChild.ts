/**
 * A relay process of the relay case: `relay()` of the built package on 127.0.0.1 in front of
 * `upstream`, its log in memory (`memory`) or in Redis (a redis:// URL), until stdin ends.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pkg, redisEntry } from '../pkg.js';

export async function relayUntilStdinEnds(upstream: string, store: string): Promise<void> {
  const log = store === 'memory' ? new pkg.MemoryChunkLog() : await redisEntry.RedisChunkLog.connect(store);
  const handler = pkg.relay({ upstream: { baseURL: upstream }, log, keepAliveMs: 0 });
  const server = createServer(handler);
  server.keepAliveTimeout = 120_000;
  // 1,000 clients connect at once: Node's default backlog (511) would leave half of them to SYN
  // retries, seconds apart.
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, resolve));
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })}\n`);
  await new Promise<void>((resolve) => {
    process.stdin.on('end', resolve);
    process.stdin.on('close', resolve);
    process.stdin.resume();
  });
  server.closeAllConnections();
  server.close();
  await handler.close();
  await log.close();
}
