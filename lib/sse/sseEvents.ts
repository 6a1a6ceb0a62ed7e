import { Observable, type OperatorFunction } from 'rxjs';
import type { ServerSentEvent } from '../types.js';
// SSEParseError is imported for the {@link} of the documentation.
import type { SSEParseError } from '../errors.js';
import { SSEByteParser } from './byteParser.js';

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
 * other piece errors with an `InvalidInputError`. Each piece is scanned once: the work per piece is
 * O(piece), however long the event it belongs to.
 *
 * At the end of the stream an event that lacks its closing blank line is discarded, as the
 * standard says, with one exception: a final event whose data is exactly `[DONE]` is dispatched,
 * since chat-completion streams end with it and some servers leave out the last blank line.
 * Anything thrown while a piece is read errors the output with what was thrown and unsubscribes
 * from the source. Errors of the source pass through unchanged.
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
      const reader = new SSEByteParser(subscriber, (event, data, id, retry) => {
        const value: ServerSentEvent = { event, data, id };
        if (retry !== undefined) value.retry = retry;
        subscriber.next(value);
      });
      return source.subscribe({
        next(piece) {
          reader.next(piece);
        },
        error(error: unknown) {
          subscriber.error(error);
        },
        complete() {
          if (reader.end()) subscriber.complete();
        },
      });
    });
}
