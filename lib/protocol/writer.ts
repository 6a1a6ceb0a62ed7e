import { Observable, type SchedulerAction, type SchedulerLike } from 'rxjs';
import { InvalidChunkError, InvalidInputError, type APIErrorBody } from '../errors.js';
import { serverErrorOf } from './serverError.js';
import type { ChatCompletionChunk } from '../types.js';
import { redactSecrets } from '../redact.js';
import { isObject } from '../json.js';
import { rawTextOf } from './rawText.js';

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
  /**
   * Write an `id:` line before each event (chunks, `[DONE]`, the error event; not the `: ping`
   * comments): `id: <streamId>:<sequence>`, the sequence counting from `start` (default 0). A
   * browser's `EventSource` sends the last one back as `Last-Event-ID` when it reconnects, which
   * is how the `relay` resumes a stream. `streamId` must be 1 to 128 letters, digits, `_` or `-`.
   */
  eventIds?: EventIds;
  /**
   * Write a chunk that `fromSSE` or `chatChunks()` parsed with `keepText: true`, and that reaches
   * the writer as the same object, from the text it arrived as instead of `JSON.stringify`-ing it
   * again (default `true`; a chunk whose source kept no text is stringified).
   * A chunk an operator derived (a new object) is always stringified. Turn this off if you change
   * chunks in place (`tap((c) => { c.model = 'x'; })`): such a chunk still has its old text.
   */
  reuseText?: boolean;
}

/** The stream id and first sequence number of {@link ToSSEOptions.eventIds}. */
export interface EventIds {
  /** The stream's id: 1 to 128 letters, digits, `_` or `-`. */
  streamId: string;
  /** The sequence number of the first event written (default 0). */
  start?: number;
}

/** What a stream id may be: safe in an `id:` line, a URL path, a Redis key and a header. */
export const STREAM_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

/** An event's id: the stream's id and the event's sequence number. */
export function eventId(streamId: string, sequence: number): string {
  return `${streamId}:${sequence}`;
}

/**
 * An event id read back (`Last-Event-ID`): the stream id and sequence number, or undefined when
 * the text is not one `eventId` writes.
 */
export function parseEventId(text: string): { streamId: string; sequence: number } | undefined {
  const colon = text.lastIndexOf(':');
  if (colon < 0) return undefined;
  const streamId = text.slice(0, colon);
  const digits = text.slice(colon + 1);
  if (!STREAM_ID_PATTERN.test(streamId) || !/^(0|[1-9]\d{0,14})$/.test(digits)) return undefined;
  return { streamId, sequence: Number(digits) };
}

/** Checks `options.eventIds` and returns the first sequence number (undefined when off). */
function checkEventIds(eventIds: EventIds | undefined): number | undefined {
  if (eventIds === undefined) return undefined;
  if (!isObject(eventIds) || typeof eventIds.streamId !== 'string' || !STREAM_ID_PATTERN.test(eventIds.streamId)) {
    throw new InvalidInputError('options.eventIds.streamId', (eventIds as { streamId?: unknown } | undefined)?.streamId, '1 to 128 letters, digits, _ or -');
  }
  const start = eventIds.start ?? 0;
  if (!Number.isSafeInteger(start) || start < 0) {
    throw new InvalidInputError('options.eventIds.start', start, 'a whole number >= 0');
  }
  return start;
}

/** One event with its data (which holds no line feed) and an optional id line. */
export function eventText(data: string, id?: string): string {
  return id === undefined ? `data: ${data}\n\n` : `id: ${id}\ndata: ${data}\n\n`;
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
  return `data: ${chunkData(chunk, false)}\n\n`;
}

/**
 * A chunk's data text: the text it arrived as when `reuseText` and a reader kept it (on one line),
 * else `JSON.stringify`. Throws as {@link chunkEvent} does.
 */
export function chunkData(chunk: ChatCompletionChunk, reuseText: boolean): string {
  if (!isObject(chunk)) throw new InvalidChunkError('chunk', chunk, 'an object');
  const serverError = serverErrorOf(chunk);
  if (serverError !== undefined) throw serverError;
  if (reuseText) {
    const raw = rawTextOf(chunk);
    // Data of several `data:` lines holds a line feed: it cannot be written back as one line.
    if (raw !== undefined && raw.indexOf('\n') === -1) return raw;
  }
  // JSON.stringify escapes CR and LF inside strings, so one event is always one `data:` line.
  return JSON.stringify(chunk);
}

/** The final event of a failed stream: `data: {"error": {...}}`. */
export function errorEvent(error: unknown, formatError: (error: unknown) => APIErrorBody = defaultErrorBody): string {
  return `data: ${errorData(error, formatError)}\n\n`;
}

/** The data of the final event of a failed stream: `{"error": {...}}`. */
export function errorData(error: unknown, formatError: (error: unknown) => APIErrorBody = defaultErrorBody): string {
  let body: APIErrorBody;
  try {
    body = formatError(error);
  } catch {
    body = defaultErrorBody(error);
  }
  return JSON.stringify({ error: body });
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
  const start = checkEventIds(options.eventIds);
  const streamId = options.eventIds?.streamId;
  const reuseText = options.reuseText ?? true;
  return new Observable<string>((subscriber) => {
    let sequence = start ?? 0;
    const write = (data: string): void => {
      subscriber.next(start === undefined ? `data: ${data}\n\n` : `id: ${streamId}:${sequence++}\ndata: ${data}\n\n`);
    };
    const fail = (error: unknown): void => {
      write(errorData(error, options.formatError));
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
          let data: string;
          try {
            data = chunkData(chunk, reuseText);
          } catch (error) {
            fail(error);
            return;
          }
          write(data);
        },
        error: fail,
        complete() {
          write('[DONE]');
          subscriber.complete();
        },
      }),
    );
  });
}
