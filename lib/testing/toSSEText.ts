import type { ChatCompletionChunk } from '../types.js';
import { StreamAPIError } from '../errors.js';
import { chunkEvent, DONE_EVENT, errorEvent } from '../protocol/writer.js';

/**
 * Writes chunks as the body of a streamed response: the exact text the API sends.
 *
 * <span class="informal">`buildChunks` for the wire: feed it to `fromSSE`, a fake `fetch`, or a
 * fixture file.</span>
 *
 * ```
 * toSSEText([a, b])
 * → 'data: {…a…}\n\ndata: {…b…}\n\ndata: [DONE]\n\n'
 * ```
 *
 * One `data: {json}` event per chunk, each followed by a blank line, then `data: [DONE]`: the
 * same writer as `toSSE`, all at once. A value that is the server's error rather than a chunk
 * (`{ error: { message, type, code } }`, vLLM's `{ object: 'error', … }`) is written as `toSSE`
 * writes it, as a last `data: {"error": …}` event (redacted, no `[DONE]` after it): the way to
 * script a server that fails mid-stream. A value that is not a chunk object throws an
 * `InvalidChunkError`.
 *
 * ## Example
 * ```ts
 * import { fromSSE, contentDeltas } from 'rxjs-chat-stream';
 * import { buildChunks, toSSEText } from 'rxjs-chat-stream/testing';
 *
 * const body = toSSEText(buildChunks('Hello world'));
 * fromSSE(new Response(body)).pipe(contentDeltas()).subscribe((text) => console.log(text));
 * // Logs:
 * // Hello
 * //  world
 * ```
 *
 * @see {@link buildChunks}
 * @see {@link toSSE}
 *
 * @param chunks The chunks, in order.
 * @return The server-sent-events text, ending in `data: [DONE]\n\n`.
 */
export function toSSEText(chunks: Iterable<ChatCompletionChunk>): string {
  const events: string[] = [];
  for (const chunk of chunks) {
    try {
      events.push(chunkEvent(chunk));
    } catch (error) {
      if (!(error instanceof StreamAPIError)) throw error;
      events.push(errorEvent(error));
      return events.join('');
    }
  }
  events.push(DONE_EVENT);
  return events.join('');
}
