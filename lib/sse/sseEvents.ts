import { Observable, type OperatorFunction } from 'rxjs';
import { SSEParseError } from '../errors.js';
import type { ServerSentEvent } from '../types.js';
import { SSEEventParser } from './eventParser.js';

/**
 * Parses a stream of bytes (or text) as server-sent events, by the WHATWG EventSource rules.
 *
 * <span class="informal">Turns the pieces of an HTTP body, however they were cut, into
 * `{ event, data, id }` objects.</span>
 *
 * ```
 * source:  --a-------b---c----|     a = 'data: {"x"'   b = ':1}\n\nda'   c = 'ta: [DONE]\n\n'
 *          sseEvents()
 * result:  ----------x---y----|     x = { event: 'message', data: '{"x":1}', id: '' }
 *                                   y = { event: 'message', data: '[DONE]', id: '' }
 * ```
 *
 * Lines end with LF, CR or CRLF (a CR ending one piece and a LF starting the next are one line
 * end); a leading byte order mark is stripped once; lines starting with `:` are comments. The
 * fields are `event` (the type, `'message'` when none is given), `data` (several lines joined
 * with `\n`), `id` (ignored when it contains NUL; the last ID persists across events) and
 * `retry` (ASCII digits only; set on the event its block dispatches). One space after the colon
 * is stripped; a line with no colon is a field with an empty value; unknown fields are ignored.
 * A blank line dispatches the event, unless no `data` line came (a block of only `id`, `retry`
 * or comments dispatches nothing).
 *
 * `Uint8Array` pieces are decoded as one UTF-8 stream, so a character split across pieces
 * survives; bytes that are not UTF-8 error with {@link SSEParseError} (`reason: 'invalid-utf8'`),
 * as does a body that ends inside a character. String pieces are taken as already decoded. Any
 * other piece errors with a `TypeError`. Each piece is scanned once: the work per piece is
 * O(piece), however long the event it belongs to.
 *
 * At the end of the stream an event that lacks its closing blank line is discarded, as the
 * standard says, with one exception: a final event whose data is exactly `[DONE]` is dispatched,
 * since chat-completion streams end with it and some servers leave out the last blank line.
 * Errors of the source pass through unchanged.
 *
 * ## Example
 * ```ts
 * import { sseEvents } from 'rxjs-chat-stream';
 * import { of } from 'rxjs';
 *
 * of('event: greeting\nda', 'ta: hello\ndata: world\n\n')
 *   .pipe(sseEvents())
 *   .subscribe((event) => console.log(event));
 * // Logs:
 * // { event: 'greeting', data: 'hello\nworld', id: '' }
 * ```
 *
 * @see {@link chatChunks}
 * @see {@link fromSSE}
 *
 * @return A function that returns an Observable that emits each event the byte stream dispatches.
 */
export function sseEvents(): OperatorFunction<Uint8Array | string, ServerSentEvent> {
  return (source) =>
    new Observable<ServerSentEvent>((subscriber) => {
      const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
      const parser = new SSEEventParser(
        (event) => subscriber.next(event),
        () => subscriber.closed,
      );
      /** Bytes decoded so far, for the error message. */
      let offset = 0;
      /** Whether the decoder may hold the start of a character. */
      let decoding = false;

      const utf8Error = (cause: unknown, piece: ArrayBufferView | ArrayBuffer | undefined): SSEParseError => {
        const where =
          piece === undefined
            ? 'the stream ended inside a UTF-8 character'
            : `invalid UTF-8 in the bytes ${offset}–${offset + piece.byteLength}`;
        return new SSEParseError(`The event stream is not valid UTF-8: ${where}`, {
          reason: 'invalid-utf8',
          data: piece === undefined ? '' : new TextDecoder().decode(piece),
          cause,
        });
      };

      /** Ends the byte stream in the decoder; false when it errored the subscriber. */
      const flush = (): boolean => {
        if (!decoding) return true;
        decoding = false;
        let rest: string;
        try {
          rest = decoder.decode();
        } catch (error) {
          subscriber.error(utf8Error(error, undefined));
          return false;
        }
        parser.feed(rest);
        return true;
      };

      return source.subscribe({
        next(piece) {
          if (subscriber.closed) return;
          if (typeof piece === 'string') {
            if (flush() && !subscriber.closed) parser.feed(piece);
            return;
          }
          // By shape, not instanceof: typed arrays of another realm (a worker, a VM context) too.
          const bytes: unknown = piece;
          if (!ArrayBuffer.isView(bytes) && !isArrayBuffer(bytes)) {
            subscriber.error(
              new TypeError(
                `sseEvents() reads Uint8Array or string pieces, but got ${describe(piece)}`,
              ),
            );
            return;
          }
          let text: string;
          try {
            text = decoder.decode(bytes, { stream: true });
          } catch (error) {
            subscriber.error(utf8Error(error, bytes));
            return;
          }
          offset += bytes.byteLength;
          decoding = true;
          parser.feed(text);
        },
        error(error: unknown) {
          subscriber.error(error);
        },
        complete() {
          if (subscriber.closed || !flush() || subscriber.closed) return;
          parser.end();
          if (!subscriber.closed) subscriber.complete();
        },
      });
    });
}

function isArrayBuffer(value: unknown): value is ArrayBuffer {
  return Object.prototype.toString.call(value) === '[object ArrayBuffer]';
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') {
    const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof name === 'string' && name !== '' ? `a ${name}` : 'an object';
  }
  return `a ${typeof value}`;
}
