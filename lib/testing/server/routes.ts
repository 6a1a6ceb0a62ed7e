/*
 * The local server's routes: CORS (preflights and headers), auth, `POST /v1/chat/completions`,
 * `GET /v1/models` and `GET /v1/models/{id}`, and a 404 in the API's shape for anything else.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SchedulerLike } from 'rxjs';
import { authCheck } from './auth.js';
import { chatHandler } from './chat.js';
import { apiError, RequestError } from './apiErrors.js';
import { sendError, sendJSON } from './http.js';
import type { ResolvedOptions } from './options.js';
import type { MockServerStats } from './stats.js';

/** The request handler of one server: never rejects (a failure is answered in the API's shape). @internal */
export function router(options: ResolvedOptions, stats: MockServerStats, scheduler: SchedulerLike): (req: IncomingMessage, res: ServerResponse) => void {
  const denied = authCheck(options.apiKey);
  const chat = chatHandler(options, stats, scheduler);
  const model = (id: string) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'rxjs-chat-stream' });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    stats.requests++;
    if (options.cors) {
      res.setHeader('access-control-allow-origin', '*');
      res.setHeader('access-control-expose-headers', 'x-request-id, retry-after');
    }
    const path = (req.url ?? '/').split('?')[0]!.replace(/\/+$/, '') || '/';
    if (options.cors && req.method === 'OPTIONS') {
      res.writeHead(204, {
        'access-control-allow-methods': 'GET, POST, OPTIONS',
        'access-control-allow-headers': String(req.headers['access-control-request-headers'] ?? 'authorization, content-type'),
        'access-control-max-age': '86400',
      });
      res.end();
      return;
    }
    const refusal = denied(req);
    if (refusal) return sendError(res, stats, refusal);

    if (req.method === 'POST' && path === '/v1/chat/completions') return chat(req, res);
    if (req.method === 'GET' && path === '/v1/models') {
      return sendJSON(res, stats, 200, { object: 'list', data: options.models.map(model) });
    }
    const named = req.method === 'GET' ? /^\/v1\/models\/([^/]+)$/.exec(path) : null;
    if (named) {
      const id = decodeURIComponent(named[1]!);
      if (options.models.includes(id)) return sendJSON(res, stats, 200, model(id));
      return sendError(
        res,
        stats,
        new RequestError(404, apiError(`The model '${id}' does not exist or you do not have access to it.`, 'invalid_request_error', 'model_not_found')),
      );
    }
    return sendError(res, stats, new RequestError(404, apiError(`Invalid URL (${req.method ?? 'GET'} ${path})`, 'invalid_request_error')));
  };

  return (req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent || res.destroyed) {
        res.destroy();
        return;
      }
      if (error instanceof RequestError) return sendError(res, stats, error);
      sendError(res, stats, new RequestError(500, apiError('The server had an error while processing your request.', 'server_error')));
    });
  };
}
