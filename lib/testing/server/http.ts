/*
 * HTTP for the local server: reading the body, parsing and checking a chat request, writing JSON
 * answers and errors (in the API's shape: `apiErrors.ts`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { MockChatRequest } from '../responder.js';
import { apiError, badRequest, RequestError } from './apiErrors.js';

const MAX_BODY_BYTES = 16 * 1024 * 1024;

/** Writes a JSON answer (counting an error status in `stats.errors`). @internal */
export function sendJSON(res: ServerResponse, stats: { errors: number }, status: number, body: unknown, headers: Record<string, string> = {}): void {
  sendText(res, stats, status, JSON.stringify(body), headers);
}

/** Writes a body declared as JSON, whatever the text (a truncated one for the `malformed` fault). @internal */
export function sendText(res: ServerResponse, stats: { errors: number }, status: number, text: string, headers: Record<string, string> = {}): void {
  if (status >= 400) stats.errors++;
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

/** Writes a `RequestError` as the API does: `{ error: { message, type, param, code } }`. @internal */
export function sendError(res: ServerResponse, stats: { errors: number }, error: RequestError, headers: Record<string, string> = {}): void {
  sendJSON(res, stats, error.status, { error: error.body }, { ...error.headers, ...headers });
}

/** Cuts a connection (the `drop` fault): flushes what was written, then destroys the socket. @internal */
export function dropConnection(socket: Socket | null): void {
  if (socket === null || socket.destroyed) return;
  socket.end(() => socket.destroy());
}

/** The request body as text; a 413 `RequestError` beyond 16 MB. @internal */
export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (part: Buffer) => {
      if (size > MAX_BODY_BYTES) return;
      size += part.length;
      if (size > MAX_BODY_BYTES) {
        reject(new RequestError(413, apiError('The request body is too large.', 'invalid_request_error')));
        return;
      }
      parts.push(part);
    });
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

/** A chat request from its JSON text, checked as the API checks it (400s in its words). @internal */
export function parseRequest(text: string): MockChatRequest {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw badRequest(
      "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload.)",
    );
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw badRequest('The request body must be a JSON object.');
  const request = body as Record<string, unknown>;
  if (typeof request['model'] !== 'string' || request['model'] === '') {
    throw badRequest('you must provide a model parameter', 'model');
  }
  const messages = request['messages'];
  if (!Array.isArray(messages)) throw badRequest("Missing required parameter: 'messages'.", 'messages', 'missing_required_parameter');
  if (messages.length === 0) throw badRequest("Invalid 'messages': empty array. Expected an array with minimum length 1.", 'messages', 'empty_array');
  messages.forEach((message: unknown, index) => {
    if (message === null || typeof message !== 'object' || typeof (message as { role?: unknown }).role !== 'string') {
      throw badRequest(`Invalid 'messages[${index}]': expected an object with a string 'role'.`, `messages[${index}]`);
    }
  });
  const n = request['n'];
  if (n !== undefined && n !== null && (!Number.isInteger(n) || (n as number) < 1 || (n as number) > 128)) {
    throw badRequest(`Invalid 'n': expected an integer from 1 to 128, got ${JSON.stringify(n)}.`, 'n');
  }
  for (const key of ['max_tokens', 'max_completion_tokens']) {
    const value = request[key];
    if (value !== undefined && value !== null && (!Number.isInteger(value) || (value as number) < 1)) {
      throw badRequest(`Invalid '${key}': expected an integer >= 1, got ${JSON.stringify(value)}.`, key);
    }
  }
  if (request['stream'] !== undefined && request['stream'] !== null && typeof request['stream'] !== 'boolean') {
    throw badRequest(`Invalid 'stream': expected a boolean, got ${JSON.stringify(request['stream'])}.`, 'stream');
  }
  if (request['tools'] !== undefined && request['tools'] !== null && !Array.isArray(request['tools'])) {
    throw badRequest("Invalid 'tools': expected an array.", 'tools');
  }
  return request as MockChatRequest;
}

/** The value of a request header (the first, when repeated), trimmed; `undefined` when absent. @internal */
export function headerValue(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers[name];
  if (header === undefined) return undefined;
  return (Array.isArray(header) ? header[0] : header)?.trim();
}
