/*
 * The text a chunk arrived as. `fromSSE` and `chatChunks()` parse each event's data with
 * `JSON.parse`; with `keepText`, the reader notes the last chunk it parsed and that data text just
 * before it emits the chunk, and a writer (`toSSE`, `pipeSSE`, the relay) that receives that same
 * object sends the text again instead of `JSON.stringify`-ing it: a relay does not pay for the JSON
 * twice.
 *
 * One slot, not a map: a writer downstream of the reader gets the chunk in the same synchronous
 * call (`next` runs through the operators between them), so the slot still holds it; a chunk that
 * reaches the writer after the reader parsed another (held by a buffer) finds that one in the slot
 * and is stringified, as is a chunk an operator derived (a new object). Two assignments per chunk:
 * a WeakMap entry per chunk cost about a third of the parse's time, measured. A chunk changed in
 * place between the reader and the writer still has its old text: change a copy, or turn
 * `reuseText` off in the writer's options.
 */

let lastChunk: object | undefined;
let lastText = '';

/**
 * Notes the JSON text the chunk about to be emitted was parsed from.
 * @internal
 */
export function keepRawText(chunk: object, text: string): void {
  lastChunk = chunk;
  lastText = text;
}

/**
 * The JSON text `chunk` was parsed from, when it is the chunk a reader of this package emitted
 * last; undefined otherwise. It may hold line feeds (data of several `data:` lines): the writer
 * checks.
 * @internal
 */
export function rawTextOf(chunk: object): string | undefined {
  return chunk === lastChunk ? lastText : undefined;
}
