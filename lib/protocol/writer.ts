import { Observable, type SchedulerAction, type SchedulerLike } from 'rxjs';
import { InvalidChunkError, InvalidInputError, type APIErrorBody } from '../errors.js';
import { serverErrorOf } from './serverError.js';
import type { ChatCompletionChunk } from '../types.js';
import { redactSecrets } from '../redact.js';
import { isObject } from '../json.js';

/**
 * The wire format of an OpenAI chat-completion stream, written out: shared by `toSSE`, `pipeSSE`
 * and the testing entry's `toSSEText`, so there is one writer in the project.
 * @internal
 */

/** The event that ends a stream. */
export const DONE_EVENT = 'data: [DONE]\n\n';

/** A comment line: ignored by every SSE parser, it keeps proxies from closing an idle connection. */
export const PING_EVENT = ': ping\n\n';

/** Options shared by {@link toSSE} and {@link pipeSSE}. */
export interface ToSSEOptions {
  /**
   * Send a `: ping` comment every this many milliseconds while the stream is open (on the
   * scheduler given to `toSSE`/`pipeSSE`). Off when absent or `0`.
   */
  keepAliveMs?: number;
  /**
   * Turns an upstream error into the `error` object of the final event. The default keeps the
   * error's `message` (with anything that looks like an API key or a bearer token redacted), its
   * `type` when it has a string one (else `'server_error'`), its `code` (else `null`) and its
   * `param` when it has one, and nothing else: never a stack, a cause or a header. What this
   * function returns is written as it is, so redact there too.
   */
  formatError?: (error: unknown) => APIErrorBody;
}

/** The default {@link ToSSEOptions.formatError}: message, type, code (and param), redacted. */
export function defaultErrorBody(error: unknown): APIErrorBody {
  const source = (error !== null && typeof error === 'object' ? error : {}) as Record<string, unknown>;
  const rawMessage =
    typeof source['message'] === 'string' && source['message'] !== ''
      ? source['message']
      : typeof error === 'string' && error !== ''
        ? error
        : 'The stream failed';
  const type = typeof source['type'] === 'string' && source['type'] !== '' ? source['type'] : 'server_error';
  const rawCode = source['code'];
  const code = typeof rawCode === 'string' || typeof rawCode === 'number' ? rawCode : null;
  const body: APIErrorBody = { message: redactSecrets(rawMessage), type: redactSecrets(type), code };
  if (typeof code === 'string') body.code = redactSecrets(code);
  if (typeof source['param'] === 'string') body.param = redactSecrets(source['param']);
  return body;
}

/**
 * One chunk as a `data:` event. Throws an `InvalidChunkError` when the value is not a JSON object,
 * and the server's `StreamAPIError` when it is the server's error rather than a chunk (`{ error: … }`,
 * vLLM's `{ object: 'error', … }`): a relay writes that as a redacted error event, never as a chunk.
 */
export function chunkEvent(chunk: ChatCompletionChunk): string {
  if (!isObject(chunk)) throw new InvalidChunkError('chunk', chunk, 'an object');
  const serverError = serverErrorOf(chunk);
  if (serverError !== undefined) throw serverError;
  // JSON.stringify escapes CR and LF inside strings, so one event is always one `data:` line.
  return `data: ${JSON.stringify(chunk)}\n\n`;
}

/** The final event of a failed stream: `data: {"error": {...}}`. */
export function errorEvent(error: unknown, formatError: (error: unknown) => APIErrorBody = defaultErrorBody): string {
  let body: APIErrorBody;
  try {
    body = formatError(error);
  } catch {
    body = defaultErrorBody(error);
  }
  return `data: ${JSON.stringify({ error: body })}\n\n`;
}

/**
 * The events of a chunk stream as strings: one `data:` event per chunk, `data: [DONE]` on
 * completion, a final error event instead of an error notification, and `: ping` comments every
 * `keepAliveMs` while it runs. It never errors. Unsubscribing unsubscribes the source.
 */
export function sseText(
  source: Observable<ChatCompletionChunk>,
  options: ToSSEOptions,
  scheduler: SchedulerLike,
): Observable<string> {
  const keepAliveMs = options.keepAliveMs ?? 0;
  if (!(keepAliveMs >= 0) || !Number.isFinite(keepAliveMs)) {
    throw new InvalidInputError('options.keepAliveMs', options.keepAliveMs, 'a finite number of ms >= 0', {
      detail: String(options.keepAliveMs),
    });
  }
  return new Observable<string>((subscriber) => {
    const fail = (error: unknown): void => {
      subscriber.next(errorEvent(error, options.formatError));
      subscriber.complete();
    };
    if (keepAliveMs > 0) {
      subscriber.add(
        scheduler.schedule(function (this: SchedulerAction<undefined>) {
          subscriber.next(PING_EVENT);
          this.schedule(undefined, keepAliveMs);
        }, keepAliveMs),
      );
    }
    subscriber.add(
      source.subscribe({
        next(chunk) {
          let text: string;
          try {
            text = chunkEvent(chunk);
          } catch (error) {
            fail(error);
            return;
          }
          subscriber.next(text);
        },
        error: fail,
        complete() {
          subscriber.next(DONE_EVENT);
          subscriber.complete();
        },
      }),
    );
  });
}
