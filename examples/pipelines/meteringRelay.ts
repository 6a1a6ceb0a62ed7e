/**
 * Recipe (docs/pipelines.md): a metering relay. A gateway streams each answer to its client with
 * pipeSSE and bills every request once, however it ends: a client that disconnects mid-answer is
 * billed for what it was sent, not for nothing (nor for the whole answer it never got).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { config } from 'rxjs';
import { fromChatCompletion, meter, pipeSSE, streamTimeout, type ChatCompletionsClient, type MeteredUsage } from '../../lib/index.js';

/** What the gateway writes to its ledger, once per request. */
export interface LedgerEntry {
  user: string;
  usage: MeteredUsage;
}

async function readJSON(req: IncomingMessage): Promise<unknown> {
  let text = '';
  for await (const piece of req) text += String(piece);
  return JSON.parse(text) as unknown;
}

export function startMeteringRelay(client: ChatCompletionsClient, ledger: (entry: LedgerEntry) => void): Server {
  // A ledger that throws must not break a stream: its errors end up here.
  config.onUnhandledError = (error) => console.error('metering failed:', error);

  return createServer((req, res) => {
    const user = String(req.headers['x-user'] ?? 'anonymous');
    readJSON(req).then(
      (body) => {
        const { messages } = body as { messages: Array<{ role: 'user'; content: string }> };
        const request = { model: 'gpt-4o-mini', messages };
        pipeSSE(
          fromChatCompletion(client, request).pipe(
            streamTimeout({ first: 30_000, idle: 15_000 }), // a silent upstream must not hold the client forever
            meter(request, (usage) => ledger({ user, usage })), // once: complete, error or client gone
          ),
          res,
        );
      },
      () => {
        res.writeHead(400).end('expected a JSON body with messages');
      },
    );
  });
}
