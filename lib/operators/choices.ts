import { Observable, Subject, type GroupedObservable, type OperatorFunction, type Subscription } from 'rxjs';
import type { ChatCompletionChunk } from '../types.js';
import { chunkOfChoice, entriesByIndex, finishes, type ChoiceEntry } from './choiceChunks.js';

/**
 * Splits an `n > 1` stream into one Observable per choice, each completing at its own `finish_reason`.
 *
 * <span class="informal">`groupBy` for choices: a stream per answer, as it starts, to render the
 * answers side by side.</span>
 *
 * ```
 * source:   --a--b--c--d--f--g--u--|     a, c: choice 0 'Hel', 'lo'   b, d: choice 1 'Hi', '!'
 * choices()                              f: choice 1 finishes   g: choice 0 finishes   u: usage chunk
 * result:   --0--1-----------------|     0, 1: GroupedObservable, key 0 and key 1
 *   0:      --a-----c--------(g|)
 *   1:         --b-----d--(f|)
 * ```
 *
 * Emits a `GroupedObservable<number, ChatCompletionChunk>` (its `key` the choice `index`, as
 * rxjs's `groupBy` gives) when a choice first appears, then routes to it that choice's chunks:
 * each chunk with only that choice's entries, `index` kept (an entry without `index`, which is the
 * choice at its position, gets it), every other field as it came (`usage` included); a chunk that
 * holds that choice alone is passed as it is. An inner completes right after the chunk that brings
 * its `finish_reason`; inners still open complete when the source completes (a stream without
 * `finish_reason`); an error (the source's, or what it cannot read) goes to every open inner and
 * to the outer. Chunks without choices (the usage chunk, `choices: []`) go to every inner still
 * open, which is usually none: the usage chunk comes after the last `finish_reason`.
 *
 * - Chunks of a choice after its `finish_reason` (a repeated finish chunk, Azure's filter
 *   results) are dropped: its inner has completed, and no new inner is made for that index.
 * - Nothing is buffered. An inner is hot, like `groupBy`'s: a chunk that comes while nobody is
 *   subscribed to its choice is dropped, not queued. Subscribe when the inner is emitted (in
 *   `mergeMap`, which does so at once) to see every chunk; a later subscriber misses what came
 *   before (and one after the inner completed gets just its completion). A choice that first
 *   appears after the outer was unsubscribed is dropped whole.
 * - The source stays subscribed while the outer or any inner is (`choices().pipe(take(2), …)`
 *   keeps the inners running), and is unsubscribed, aborting a request, once neither is.
 *
 * What it cannot read is an `InvalidChunkError` naming the field: a chunk that is not an object,
 * `choices` that is not an array, an entry that is not an object, an invalid `index`, a
 * `finish_reason` that is not a string. The server's error sent as a chunk is its
 * `StreamAPIError`.
 *
 * ## Example
 * ```ts
 * import OpenAI from 'openai';
 * import { mergeMap, map } from 'rxjs';
 * import { fromChatCompletion, choices, toChatCompletion } from 'rxjs-chat-stream';
 *
 * fromChatCompletion(new OpenAI(), { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Name a colour.' }], n: 2 })
 *   .pipe(
 *     choices(),
 *     mergeMap((answer$) => answer$.pipe(toChatCompletion(), map((c) => `${answer$.key}: ${c.choices[0]?.message.content}`))),
 *   )
 *   .subscribe((line) => console.log(line));
 * // Logs:
 * // 1: Teal.
 * // 0: Blue.
 * ```
 *
 * @see {@link choice}
 * @see {@link toChatCompletion}
 *
 * @return A function that returns an Observable that emits one `GroupedObservable` per choice of the source, keyed by its `index`.
 */
export function choices(): OperatorFunction<ChatCompletionChunk, GroupedObservable<number, ChatCompletionChunk>> {
  return (source) =>
    new Observable<GroupedObservable<number, ChatCompletionChunk>>((outer) => {
      const open = new Map<number, Subject<ChatCompletionChunk>>();
      const finished = new Set<number>();
      /** Subscriptions to inners. */
      let active = 0;
      let outerLeft = false;
      let upstream: Subscription | undefined;
      let stopped = false;
      const stop = (): void => {
        stopped = true;
        upstream?.unsubscribe();
      };
      const release = (): void => {
        if (outerLeft && active === 0) stop();
      };

      /** A new inner for choice `index`: a hot `Subject` behind a `GroupedObservable` that counts its subscribers. */
      const inner = (index: number): { grouped: GroupedObservable<number, ChatCompletionChunk>; subject: Subject<ChatCompletionChunk> } => {
        const subject = new Subject<ChatCompletionChunk>();
        const grouped = new Observable<ChatCompletionChunk>((subscriber) => {
          active++;
          const subscription = subject.subscribe(subscriber);
          return () => {
            subscription.unsubscribe();
            active--;
            release();
          };
        });
        return { grouped: Object.assign(grouped, { key: index }), subject };
      };

      /** Sends one choice's chunk to its inner, making the inner first. */
      const route = (chunk: ChatCompletionChunk, index: number, entries: readonly ChoiceEntry[]): void => {
        if (finished.has(index)) return;
        let subject = open.get(index);
        if (subject === undefined) {
          if (outer.closed) return; // nobody can ever subscribe to it
          const made = inner(index);
          subject = made.subject;
          open.set(index, subject);
          outer.next(made.grouped);
        }
        subject.next(chunkOfChoice(chunk, index, entries));
        if (finishes(entries)) {
          finished.add(index);
          open.delete(index);
          subject.complete();
        }
      };

      const fail = (error: unknown): void => {
        const inners = [...open.values()];
        open.clear();
        for (const subject of inners) subject.error(error);
        outer.error(error);
      };

      upstream = source.subscribe({
        next(chunk) {
          if (stopped) return;
          const entries = entriesByIndex(chunk);
          if (entries instanceof Error) {
            fail(entries);
            stop();
          } else if (entries === undefined) {
            for (const subject of [...open.values()]) subject.next(chunk);
          } else {
            for (const [index, list] of entries) route(chunk, index, list);
          }
        },
        error: fail,
        complete() {
          const inners = [...open.values()];
          open.clear();
          for (const subject of inners) subject.complete();
          outer.complete();
        },
      });
      if (stopped) upstream.unsubscribe();

      return () => {
        outerLeft = true;
        release();
      };
    });
}
