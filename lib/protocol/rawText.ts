/*
 * The text a chunk arrived as. `fromSSE` and `chatChunks()` parse each event's data with
 * `JSON.parse`; the reader keeps that data text beside the parsed object (a WeakMap, so it goes
 * when the chunk goes), and the writer (`toSSE`, `pipeSSE`, the relay) sends that text again
 * instead of `JSON.stringify`-ing the object: a relay does not pay for the JSON twice.
 *
 * The key is the object itself: an operator that derives a new chunk (`map((c) => ({ ...c }))`)
 * makes an object with no text, which is stringified as usual. A chunk changed in place keeps its
 * old text: change a copy, or turn `reuseText` off in the writer's options.
 */

const rawTexts = new WeakMap<object, string>();

/**
 * Remembers the JSON text a chunk was parsed from.
 * @internal
 */
export function keepRawText(chunk: object, text: string): void {
  rawTexts.set(chunk, text);
}

/**
 * The JSON text `chunk` was parsed from, when a reader of this package parsed it; undefined
 * otherwise. It may hold line feeds (data of several `data:` lines): the writer checks.
 * @internal
 */
export function rawTextOf(chunk: object): string | undefined {
  return rawTexts.get(chunk);
}
