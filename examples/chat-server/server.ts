/**
 * The example pages' server: serves the built pages (examples/browser/dist at `/`,
 * examples/angular/dist/browser at `/angular/`) and relays `POST /api/chat` to an upstream
 * chat-completions API with `fromChatCompletion` → `pipeSSE`. The API key stays here: the page
 * never sees it. Bound to 127.0.0.1; no CORS headers at all (the pages are served from the same
 * origin, so nobody else's page may spend the key).
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import OpenAI from 'openai';
import { fromChatCompletion, pipeSSE, type ChatCompletionMessageParam } from '../../lib/index.js';

/** Where the answers come from: an OpenAI-compatible API. */
export interface Upstream {
  /** `https://api.openai.com/v1`, or the local server's `baseURL`. */
  baseURL: string;
  apiKey: string;
  /** The model asked for when the page names none (default `gpt-4o-mini`). */
  model?: string;
}

export interface ChatServerOptions {
  upstream: Upstream;
  /** Default 0: any free port. */
  port?: number;
  /** URL prefix → folder of built files. Default: the two example pages' build folders. */
  pages?: Record<string, string>;
}

export interface ChatServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  close(): Promise<void>;
}

const EXAMPLES = resolve(__dirname, '..');
/** The pages this server serves by default, longest prefix first. */
export const DEFAULT_PAGES: Record<string, string> = {
  '/angular/': join(EXAMPLES, 'angular', 'dist', 'browser'),
  '/': join(EXAMPLES, 'browser', 'dist'),
};

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

/** The largest request body read (a chat history is small). */
const MAX_BODY = 256 * 1024;

/** Starts the server on 127.0.0.1. */
export function startChatServer(options: ChatServerOptions): Promise<ChatServer> {
  const { upstream } = options;
  const pages = Object.entries(options.pages ?? DEFAULT_PAGES).sort(([a], [b]) => b.length - a.length);
  // No retries: a failed upstream request is shown to the user at once (the page may ask again).
  const client = new OpenAI({ baseURL: upstream.baseURL, apiKey: upstream.apiKey, maxRetries: 0, logLevel: 'off' });
  const model = upstream.model ?? 'gpt-4o-mini';

  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    if (path === '/api/chat') {
      if (req.method !== 'POST') return plain(res, 405, 'POST only');
      chat(req, res);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return plain(res, 405, 'GET only');
    servePage(pages, path, res);
  });

  function chat(req: IncomingMessage, res: ServerResponse): void {
    readBody(req).then(
      (body) => {
        const messages = messagesOf(body);
        if (messages === undefined) return plain(res, 400, 'Expected a JSON body { "messages": [{ "role": "user", "content": "…" }] }');
        const request = { model, messages, stream_options: { include_usage: true } };
        // Unsubscribed when the page goes away (the 'close' of res): the upstream request is aborted.
        pipeSSE(fromChatCompletion(client, request), res, { keepAliveMs: 15_000 });
      },
      () => plain(res, 413, 'The request body is too large'),
    );
  }

  return new Promise((done, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      done({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((closed) => {
            server.close(() => closed());
            server.closeAllConnections();
          }),
      });
    });
  });
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(text);
}

function readBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((done, fail) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (piece: string) => {
      text += piece;
      if (text.length > MAX_BODY) {
        req.destroy();
        fail(new Error('too large'));
      }
    });
    req.on('end', () => {
      try {
        done(JSON.parse(text) as unknown);
      } catch {
        done(undefined);
      }
    });
    req.on('error', fail);
  });
}

/** The messages of a body, when each is a user or assistant message with text content. */
function messagesOf(body: unknown): ChatCompletionMessageParam[] | undefined {
  const messages = (body as { messages?: unknown } | null)?.messages;
  if (!Array.isArray(messages) || messages.length === 0 || messages.length > 100) return undefined;
  const valid = messages.every(
    (message: unknown) =>
      typeof message === 'object' &&
      message !== null &&
      ['user', 'assistant', 'system'].includes((message as { role?: unknown }).role as string) &&
      typeof (message as { content?: unknown }).content === 'string',
  );
  return valid ? (messages as ChatCompletionMessageParam[]) : undefined;
}

/** Serves a built file; `/prefix/` and unknown paths under an app give its index.html (client-side routes). */
function servePage(pages: Array<[string, string]>, path: string, res: ServerResponse): void {
  const page = pages.find(([prefix]) => path.startsWith(prefix) || `${path}/` === prefix);
  if (page === undefined) return plain(res, 404, 'Not found');
  const [prefix, folder] = page;
  if (`${path}/` === prefix) {
    res.writeHead(301, { location: prefix }).end();
    return;
  }
  let relative: string;
  try {
    relative = decodeURIComponent(path.slice(prefix.length));
  } catch {
    return plain(res, 400, 'Bad path');
  }
  const root = resolve(folder);
  let file = normalize(join(root, relative));
  if (file !== root && !file.startsWith(root + sep)) return plain(res, 404, 'Not found');
  if (!existsSync(file) || statSync(file).isDirectory()) file = join(root, 'index.html');
  if (!existsSync(file)) return plain(res, 404, `Not built: ${prefix} (npm run examples:build; see docs/browser.md)`);
  res.writeHead(200, {
    'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
  });
  createReadStream(file).pipe(res);
}
