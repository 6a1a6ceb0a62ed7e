import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChatCompletionChunk } from '../../lib/types.js';

/** What the pausing server saw of one request. */
export interface SeenRequest {
  body: Record<string, unknown>;
  headers: IncomingMessage['headers'];
  /** `performance.now()` when the server finished writing the chunks it sends before pausing. */
  pausedAt?: number;
  /** `performance.now()` when the connection closed. */
  closedAt?: number;
  closed: Promise<void>;
}

/**
 * A `node:http` server on 127.0.0.1 that answers every POST with `chunks` as SSE and then pauses
 * (never ends), so a test can unsubscribe in the pause and see when the server notices.
 * With `end: true` it sends `[DONE]` and ends instead; with `body` it answers that JSON body (and `status`).
 */
export async function startPausingServer(
  chunks: ChatCompletionChunk[],
  options: { end?: boolean; status?: number; body?: string } = {},
): Promise<{ url: string; requests: SeenRequest[]; paused: () => Promise<SeenRequest>; close: () => Promise<void> }> {
  const requests: SeenRequest[] = [];
  const waiters: Array<(request: SeenRequest) => void> = [];
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (piece: string) => (raw += piece));
    req.on('end', () => {
      let resolveClosed!: () => void;
      const seen: SeenRequest = {
        body: raw ? (JSON.parse(raw) as Record<string, unknown>) : {},
        headers: req.headers,
        closed: new Promise<void>((resolve) => (resolveClosed = resolve)),
      };
      requests.push(seen);
      res.on('close', () => {
        seen.closedAt = performance.now();
        resolveClosed();
      });
      if (options.body !== undefined) {
        res.writeHead(options.status ?? 200, { 'content-type': 'application/json' });
        res.end(options.body);
        return;
      }
      res.writeHead(options.status ?? 200, { 'content-type': 'text/event-stream' });
      for (const chunk of chunks) res.write(`data: ${JSON.stringify(chunk)}\n\n`);
      if (options.end) {
        res.end('data: [DONE]\n\n');
        return;
      }
      // Flush, then pause: the socket stays open until the client goes away.
      res.write(': pause\n\n', () => {
        seen.pausedAt = performance.now();
        waiters.shift()?.(seen);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    paused: () => new Promise<SeenRequest>((resolve) => waiters.push(resolve)),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
