/**
 * Case 5's server, alone in a child process so that its work does not share the event loop with
 * the clients being measured: `startMockServer({ timing: 'instant' })` on 127.0.0.1, a fixed reply
 * of `replyBytes` bytes of prose, until stdin ends (the parent exits or closes it).
 */
import { englishProse } from '../inputs.js';
import { testing } from '../pkg.js';

const { startMockServer } = testing;

/**
 * Node's HTTP server closes an idle keep-alive socket after 5 s by default; the client's pool
 * (undici) drops it after 4 s, on a timer that runs late when the client's event loop is as busy
 * as it is here (1,000 streams per round on 2 shared cores), and then reuses a socket the server
 * has just closed ("other side closed"). A long server keep-alive removes that race for both
 * contenders: `startMockServer`'s `keepAliveTimeout` (65 s by default), set longer still here.
 */
const KEEP_ALIVE_TIMEOUT_MS = 120_000;

export async function serveUntilStdinEnds(replyBytes: number): Promise<void> {
  const reply = englishProse(replyBytes, 7);
  const server = await startMockServer({
    timing: 'instant',
    host: '127.0.0.1',
    port: 0,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    reply: () => reply,
  });
  process.stdout.write(`${JSON.stringify({ baseURL: server.baseURL, reply })}\n`);
  await new Promise<void>((resolve) => {
    process.stdin.on('end', resolve);
    process.stdin.on('close', resolve);
    process.stdin.resume();
  });
  await server.close();
}
