/**
 * A relay in its own process, for the cross-process specs: `RELAY_UPSTREAM` (a base URL),
 * `RELAY_REDIS` (a redis:// URL), `RELAY_HEARTBEAT_MS`, `RELAY_TIMEOUT_MS`. Prints `READY <url>`
 * once it listens on 127.0.0.1.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { relay } from '../../lib/relay/relay.js';
import { RedisChunkLog } from '../../lib/relay/redis/index.js';

async function main(): Promise<void> {
  const log = await RedisChunkLog.connect(process.env['RELAY_REDIS'] as string, { blockMs: 100 });
  const handler = relay({
    upstream: { baseURL: process.env['RELAY_UPSTREAM'] as string },
    log,
    heartbeatMs: Number(process.env['RELAY_HEARTBEAT_MS'] ?? 100),
    heartbeatTimeoutMs: Number(process.env['RELAY_TIMEOUT_MS'] ?? 600),
  });
  const server = createServer(handler);
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`READY http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
  });
  process.on('SIGTERM', () => {
    server.closeAllConnections();
    server.close();
    void handler.close().then(() => log.close()).then(() => process.exit(0));
  });
}

void main();
