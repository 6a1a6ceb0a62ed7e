import { defer, from, Observable, switchMap, type OperatorFunction } from 'rxjs';
import { InvalidInputError } from '../errors.js';
import { countTokens } from '../tokens/countTokens.js';
import { encodingForModel, type EncodingName, type EncodingOptions } from '../tokens/encodingForModel.js';
import { encoderFor, encodingReady, loadEncoding } from '../tokens/loadEncoding.js';
import { tokenPieces } from '../tokens/tokenPieces.js';
import { TokenTally } from '../tokens/TokenTally.js';
import type { ChatCompletionChunk } from '../types.js';
import { modelOf, readChunk, type ChunkVisitor } from './chunkText.js';
import { encodingOption, functionOption, integerOption, optionsOf } from './operatorOptions.js';

/** Options of {@link stopWhen}. At least one of `maxTokens`, `stopSequences`, `predicate` makes it stop. */
export interface StopWhenOptions extends EncodingOptions {
  /** Stop when the text goes past this many tokens (a whole number >= 1), keeping the first `maxTokens` tokens. */
  maxTokens?: number;
  /** Stop at the first of these (non-empty) strings, which is dropped with everything after it. */
  stopSequences?: string | readonly string[];
  /** Stop when this returns true for the text so far; the delta that made it true is dropped. */
  predicate?: (text: string) => boolean;
  /** The model whose tokenizer counts `maxTokens` (default: the stream's own `model`). */
  model?: string;
  /** The choice whose `content` is watched; default 0. */
  choiceIndex?: number;
}

/** Why the stream was cut: `'length'` for `maxTokens`, `'stop'` for a stop sequence or the predicate. */
type Reason = 'stop' | 'length';

/** A stop sequence and how much of it the text ends with (Knuth–Morris–Pratt). */
interface Matcher {
  sequence: string;
  /** For each end `i`, the longest proper prefix of `sequence[0..i]` that also ends it (the failure function). */
  prefix: Int32Array;
  matched: number;
}

/**
 * Cuts a stream client-side at a token budget, a stop sequence or a condition, and finishes it cleanly.
 *
 * <span class="informal">`max_tokens` and `stop`, on your side of the wire: the request is aborted, the answer stays whole.</span>
 *
 * ```
 * source:   --r--a--b--c--d--f--u--|     a: 'Hello'  b: ' wor'  c: 'ld. EN'  d: 'D now'
 * stopWhen({ stopSequences: ['END'] })
 * result:   --r--a--b--C--(DF|)          C: 'ld. ' ('EN' is held back: it may start 'END')
 *                                        D: d without its text ('END' and what follows are dropped)
 *                                        F: finish_reason 'stop'; the source is unsubscribed
 *
 * source:   --r--a--b--c-----|           a: 'One'  b: ' two'  c: ' three four'
 * stopWhen({ maxTokens: 3 })
 * result:   --r--a--b--(CF|)             C: ' three' (cut at the third token), F: finish_reason 'length'
 * ```
 *
 * Chunks in, chunks out: it watches the `content` of one choice (`choiceIndex`, default 0; read
 * by the merge's rules) and passes every chunk on, until one of its conditions holds:
 * - `maxTokens`: a delta takes the text past that many tokens, counted exactly as it grows (the
 *   running count of {@link runningTokens}, so text that merges into the last token across
 *   deltas is still kept). That delta is cut at the token boundary: the text kept is the first
 *   `maxTokens` tokens, as {@link tokenPieces} cuts the text (`countTokens(kept) <= maxTokens`,
 *   equal unless tokens split a character). Text already sent is never taken back: where the
 *   text so far counted fewer tokens than it does with what came after (trailing spaces, which
 *   a following word splits), the kept text may be that much longer, never more tokens. With
 *   one token per chunk, as OpenAI streams, the chunk of token `maxTokens + 1` is the one
 *   emptied. A text that ends at the limit is not cut; but deltas that split a token can make it
 *   stop early, as a prefix can count more tokens than the whole (' دنی' is 2, ' دنیا' 1).
 *   Finish reason `'length'`.
 * - `stopSequences`: the first one the text contains, even split across deltas and chunks: the
 *   text before it is kept, the sequence and all after it dropped (as the API's `stop` does).
 *   To do so, the end of the text that could be the start of a stop sequence (at most the
 *   longest one's length − 1 characters) is held back, and sent with the next chunk once it
 *   turns out not to be one (or with the chunk that finishes the choice, or at the end). So a
 *   chunk may carry less content than it came with, or more. Finish reason `'stop'`.
 * - `predicate(text)`: called with all the text so far after each content delta; when it
 *   returns true, that delta is dropped (a moderation check that fails shows nothing of the
 *   failing text) and the text before it kept. Finish reason `'stop'`. It should be cheap:
 *   the text grows with each call.
 *
 * Then it emits the cut chunk (its watched content shortened), a final chunk that finishes the
 * watched choice and every other unfinished one with that `finish_reason` (an empty `delta`), and
 * completes, unsubscribing from the source at once, which aborts the request. So
 * {@link toChatCompletion} after it gives a finished, clean completion (no `usage`: the server's
 * last chunk never came). `logprobs` pass as they came.
 *
 * Errors: a chunk it cannot read is an `InvalidChunkError`; a throw from `predicate` errors the
 * result; bad options are an `InvalidInputError` (at the call). On any error, and on completion,
 * text held back for a possible stop sequence is sent first, in a chunk of its own.
 *
 * `maxTokens` needs the encoding: with `model` or `encoding` given where it loads asynchronously
 * (browsers), the source is subscribed once it is loaded; else the stream's own `model` picks it
 * at the first content, and in a browser it must have been loaded (`loadEncoding`).
 *
 * ## Example
 * ```ts
 * import { fromChatCompletion, stopWhen, contentDeltas } from 'rxjs-chat-stream';
 * import OpenAI from 'openai';
 *
 * fromChatCompletion(new OpenAI(), { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Count to 100' }] })
 *   .pipe(stopWhen({ stopSequences: [', 6'], maxTokens: 100 }), contentDeltas())
 *   .subscribe({ next: (text) => process.stdout.write(text), complete: () => console.log('\n(stopped, request aborted)') });
 * // Logs:
 * // 1, 2, 3, 4, 5
 * // (stopped, request aborted)
 * ```
 *
 * @see {@link runningTokens}
 * @see {@link toChatCompletion}
 *
 * @param options `maxTokens`, `stopSequences`, `predicate`; `model` / `encoding` (the tokenizer); `choiceIndex` (0).
 * @return A function that returns an Observable that emits the chunks of the source, cut and finished once a condition holds.
 */
export function stopWhen(options: StopWhenOptions): OperatorFunction<ChatCompletionChunk, ChatCompletionChunk> {
  const given = optionsOf<StopWhenOptions>(options, 'stopWhen()');
  const maxTokens = integerOption(given.maxTokens, 'stopWhen() options.maxTokens', 1);
  const stops = stopSequencesOf(given.stopSequences);
  const predicate = functionOption<(text: string) => boolean>(given.predicate, 'stopWhen() options.predicate');
  const choiceIndex = integerOption(given.choiceIndex, 'stopWhen() options.choiceIndex', 0) ?? 0;
  const chosen = encodingOption(given, 'stopWhen()');
  const keepText = maxTokens !== undefined || predicate !== undefined;

  return (source) => {
    const cut = (): Observable<ChatCompletionChunk> =>
      new Observable<ChatCompletionChunk>((subscriber) => {
        const matchers = stops.map(matcherOf);
        /** All the watched text so far (a rope: read by the predicate and once for a token cut). */
        let text = '';
        let length = 0;
        /** The end of the text held back: it may be the start of a stop sequence. */
        let held = '';
        let encoding = chosen;
        let tally: TokenTally | undefined;
        /** The last chunk, for the ids of the chunks made here. */
        let last: Record<string, unknown> | undefined;
        const seen = new Set<number>();
        const finished = new Set<number>();
        // Per chunk: the watched content deltas (entry position, text) and whether the choice finished.
        const watched: Array<[number, string]> = [];
        let finishing = false;

        const visitor: ChunkVisitor = {
          choice(index) {
            seen.add(index);
          },
          text(index, field, delta, position) {
            if (index === choiceIndex && field === 'content') watched.push([position, delta]);
          },
          finish(index) {
            finished.add(index);
            if (index === choiceIndex) finishing = true;
          },
        };

        const countedTokens = (delta: string): number => {
          if (tally === undefined) {
            const name = (encoding ??= encodingForModel(''));
            tally = new TokenTally(encoderFor(name), name);
          }
          return tally.push(delta);
        };

        /** Where the first `maxTokens` tokens of the text end (not before `floor`). */
        const tokenCut = (floor: number): number => {
          const name = encoding as EncodingName;
          const pieces = tokenPieces(text, '', { encoding: name });
          let k = Math.min(maxTokens as number, pieces.length);
          let at = 0;
          for (let i = 0; i < k; i++) at += (pieces[i] as string).length;
          while (k > 0 && countTokens(text.slice(0, at), '', { encoding: name }) > (maxTokens as number)) {
            k--;
            at -= (pieces[k] as string).length;
          }
          return Math.max(at, floor);
        };

        /** Takes one content delta: the text to send on for it, and why to stop, if it is time. */
        const take = (delta: string): { send: string; reason?: Reason } => {
          const before = length;
          let at = -1;
          let reason: Reason | undefined;
          // Stop sequences: the earliest end, and there the longest sequence.
          for (let i = 0; i < delta.length && reason === undefined; i++) {
            const c = delta.charCodeAt(i);
            for (const matcher of matchers) {
              if (advance(matcher, c) && (reason === undefined || before + i + 1 - matcher.sequence.length < at)) {
                at = before + i + 1 - matcher.sequence.length;
                reason = 'stop';
              }
            }
          }
          length += delta.length;
          if (keepText) text += delta;
          const sent = before - held.length;
          if (maxTokens !== undefined) {
            const count = countedTokens(delta);
            if (count > maxTokens) {
              const limit = tokenCut(sent);
              if (reason === undefined || limit < at) {
                at = limit;
                reason = 'length';
              }
            }
          }
          if (reason === undefined && predicate !== undefined && predicate(text) === true) {
            at = before;
            reason = 'stop';
          }
          if (reason !== undefined) {
            const all = held + delta;
            held = '';
            return { send: all.slice(0, Math.max(0, at - sent)), reason };
          }
          let hold = 0;
          for (const matcher of matchers) if (matcher.matched > hold) hold = matcher.matched;
          const all = held + delta;
          held = all.slice(all.length - hold);
          return { send: all.slice(0, all.length - hold) };
        };

        /** A chunk made here, with the ids of the last one. */
        const made = (choices: unknown[]): ChatCompletionChunk => {
          const chunk: Record<string, unknown> = {
            id: last?.['id'] ?? '',
            object: 'chat.completion.chunk',
            created: last?.['created'] ?? 0,
            model: last?.['model'] ?? '',
          };
          if (last?.['system_fingerprint'] != null) chunk['system_fingerprint'] = last['system_fingerprint'];
          chunk['choices'] = choices;
          return chunk as unknown as ChatCompletionChunk;
        };

        /** The held-back text, in a chunk of its own, before an end. */
        const release = (): void => {
          if (held === '') return;
          const content = held;
          held = '';
          subscriber.next(made([{ index: choiceIndex, delta: { content }, finish_reason: null, logprobs: null }]));
        };

        const upstream = source.subscribe({
          next(chunk: unknown) {
            let record: Record<string, unknown>;
            let out: ChatCompletionChunk;
            let reason: Reason | undefined;
            watched.length = 0;
            finishing = false;
            try {
              record = readChunk(chunk, visitor);
              last = record;
              if (encoding === undefined) {
                const named = modelOf(record);
                if (named !== undefined) encoding = encodingForModel(named);
              }
              if (watched.length === 0 && !(finishing && held !== '')) {
                subscriber.next(chunk as ChatCompletionChunk);
                return;
              }
              // The new content of each watched entry.
              const contents = new Map<number, string>();
              for (const [position, delta] of watched) {
                if (reason !== undefined) {
                  contents.set(position, '');
                  continue;
                }
                const taken = take(delta);
                if (taken.send !== delta) contents.set(position, taken.send);
                reason = taken.reason;
              }
              if (reason === undefined && finishing && held !== '') {
                // The choice ends here: what was held back cannot start a stop sequence any more.
                const lastWatched = watched[watched.length - 1];
                const position = lastWatched?.[0] ?? finishingPosition(record, choiceIndex);
                contents.set(position, (contents.get(position) ?? lastWatched?.[1] ?? '') + held);
                held = '';
              }
              out = withContents(record, contents);
            } catch (error) {
              release();
              subscriber.error(error);
              return;
            }
            subscriber.next(out);
            if (reason === undefined || subscriber.closed) return;
            const open = [...new Set([...seen].filter((index) => !finished.has(index)).concat(choiceIndex))].sort((a, b) => a - b);
            subscriber.next(made(open.map((index) => ({ index, delta: {}, finish_reason: reason, logprobs: null }))));
            subscriber.complete();
          },
          error(error: unknown) {
            release();
            subscriber.error(error);
          },
          complete() {
            release();
            subscriber.complete();
          },
        });
        return () => upstream.unsubscribe();
      });

    return defer(() =>
      maxTokens !== undefined && chosen !== undefined && !encodingReady(chosen)
        ? from(loadEncoding(chosen)).pipe(switchMap(cut))
        : cut(),
    );
  };
}

function stopSequencesOf(value: unknown): string[] {
  if (value === undefined) return [];
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || !list.every((s) => typeof s === 'string' && s.length > 0)) {
    throw new InvalidInputError('stopWhen() options.stopSequences', value, 'a non-empty string or a list of them');
  }
  return list as string[];
}

function matcherOf(sequence: string): Matcher {
  // prefix[i]: the length of the longest proper prefix of sequence[0..i] that also ends it.
  const prefix = new Int32Array(sequence.length);
  for (let i = 1, k = 0; i < sequence.length; i++) {
    while (k > 0 && sequence.charCodeAt(i) !== sequence.charCodeAt(k)) k = prefix[k - 1] as number;
    if (sequence.charCodeAt(i) === sequence.charCodeAt(k)) k++;
    prefix[i] = k;
  }
  return { sequence, prefix, matched: 0 };
}

/** Feeds one character; true when the whole sequence is matched. */
function advance(matcher: Matcher, c: number): boolean {
  const { sequence, prefix } = matcher;
  let k = matcher.matched;
  while (k > 0 && sequence.charCodeAt(k) !== c) k = prefix[k - 1] as number;
  if (sequence.charCodeAt(k) === c) k++;
  if (k === sequence.length) {
    matcher.matched = prefix[k - 1] as number;
    return true;
  }
  matcher.matched = k;
  return false;
}

/** The position of the entry that finishes the choice (for the held-back text to ride on). */
function finishingPosition(record: Record<string, unknown>, choiceIndex: number): number {
  const choices = record['choices'] as Array<Record<string, unknown>>;
  for (let position = choices.length - 1; position >= 0; position--) {
    const choice = choices[position] as Record<string, unknown>;
    const index = typeof choice['index'] === 'number' ? choice['index'] : position;
    if (index === choiceIndex && typeof choice['finish_reason'] === 'string') return position;
  }
  return choices.length - 1;
}

/** A copy of the chunk whose entries at the given positions have the given `delta.content`. */
function withContents(record: Record<string, unknown>, contents: ReadonlyMap<number, string>): ChatCompletionChunk {
  if (contents.size === 0) return record as unknown as ChatCompletionChunk;
  const choices = (record['choices'] as Array<Record<string, unknown>>).map((choice, position) => {
    const content = contents.get(position);
    if (content === undefined) return choice;
    const delta = (choice['delta'] as Record<string, unknown> | null | undefined) ?? {};
    return { ...choice, delta: { ...delta, content } };
  });
  return { ...record, choices } as unknown as ChatCompletionChunk;
}
