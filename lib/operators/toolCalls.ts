import type { OperatorFunction } from 'rxjs';
import type { ChatCompletionAccumulator } from '../accumulation/ChatCompletionAccumulator.js';
import { watchMerge } from '../accumulation/collect.js';
import { finalToolCall } from '../accumulation/finalise.js';
import type { ChoiceState, ToolCallState } from '../accumulation/state.js';
import { InvalidInputError, ToolCallArgumentsError } from '../errors.js';
import { isObject } from '../json.js';
import { entryIndex } from '../protocol/chunkShape.js';
import type { ChatCompletionChunk } from '../types.js';

/** A finished function call, as {@link toolCalls} emits it. */
export interface CompletedFunctionToolCall {
  /** The `index` of the choice whose message holds the call (0 unless `n > 1`). */
  choiceIndex: number;
  /** The call's `index` in the stream (its place in the message; see `docs/accumulation.md` for a reused index). */
  index: number;
  /** The call's `id` (`''` when none came), to answer it with a `tool` message. */
  id: string;
  type: 'function';
  /** The function's name (`''` when none came). */
  name: string;
  /** The arguments, the whole JSON text as the model wrote it. */
  arguments: string;
  /**
   * `JSON.parse(arguments)`, parsed once (`{}` for empty arguments). Absent with
   * `{ parse: false }`.
   */
  parsed?: unknown;
}

/** A finished custom tool call (`type: 'custom'`: free-form input, no JSON), as {@link toolCalls} emits it. */
export interface CompletedCustomToolCall {
  /** The `index` of the choice whose message holds the call. */
  choiceIndex: number;
  /** The call's `index` in the stream. */
  index: number;
  /** The call's `id` (`''` when none came). */
  id: string;
  type: 'custom';
  /** The custom tool's name (`''` when none came). */
  name: string;
  /** The input, whole, as the model wrote it (never parsed). */
  input: string;
}

/** What {@link toolCalls} emits: each tool call once, complete. */
export type CompletedToolCall = CompletedFunctionToolCall | CompletedCustomToolCall;

/** Options of {@link toolCalls}. */
export interface ToolCallsOptions {
  /**
   * Parse each function call's `arguments` with `JSON.parse` into `parsed` (default `true`);
   * arguments that are not valid JSON then error with a `ToolCallArgumentsError`. `false`: emit
   * the raw text only, never erroring on it.
   */
  parse?: boolean;
}

/**
 * Emits each tool call once, as soon as it is complete, with its arguments parsed.
 *
 * <span class="informal">The calls to run, one by one, while the model may still be writing the
 * next: no re-parsing of half-written arguments on every delta.</span>
 *
 * ```
 * source:   --r---a---x---y---b---z---f--u--|   r: role   a: call 0 starts (get_weather)
 * toolCalls()                                   x, y: call 0's arguments '{"city":' '"Paris"}'
 *                                               b: call 1 starts (get_time)   z: its arguments '{}'
 *                                               f: finish_reason 'tool_calls'   u: usage chunk
 * result:   ------------------A-------B-----|   A: { choiceIndex: 0, index: 0, id, type: 'function',
 *                                                    name: 'get_weather', arguments: '{"city":"Paris"}',
 *                                                    parsed: { city: 'Paris' } }
 *                                               B: { …, index: 1, name: 'get_time', parsed: {} }
 *
 * source:   --a---x---|                         (no finish_reason: the stream completes)
 * result:   ----------(A|)                      the open call is complete when the source is
 * ```
 *
 * The chunks are merged by the same merge as {@link toChatCompletion} (the accumulator: ids, names
 * and arguments by its rules, a call reused at an index as Ollama sends it split off as a new
 * call), and a call is emitted, once, when it is known to be complete:
 * - when another call of the same choice starts after it (the API streams calls one after the
 *   other; of the calls a chunk starts, the one with the highest index stays open);
 * - when its choice gets its `finish_reason` (a call that starts after that, which no known
 *   provider does, is emitted with the chunk that brought it);
 * - when the source completes (a stream without `finish_reason`, as llama.cpp sends), choices in
 *   index order.
 * Each call is emitted at most once: chunks after `finish_reason` (a repeated finish chunk, an
 * empty delta, as vLLM and Azure send) never repeat one, and a delta for a call already emitted
 * is merged but not emitted again. Emitted calls, joined, are the completion's `tool_calls`: the
 * same ids, names and arguments `toChatCompletion()` gives, with `choiceIndex` and `index` added
 * and the function's fields flattened.
 *
 * A function call's `arguments` are parsed once, when it is emitted, into `parsed` (empty
 * arguments, as some servers send for a function without parameters, parse as `{}`); arguments
 * that are not valid JSON error with a `ToolCallArgumentsError` (the call, its raw text redacted
 * and cut, the parser's error as `cause`) unless `{ parse: false }`, which leaves `parsed` out. A
 * custom tool call (`type: 'custom'`) is emitted with its `input` text, never parsed.
 *
 * Per chunk O(size of the chunk): the accumulator merges the chunk, and only the choices it names
 * are looked at; no snapshot is built. Errors, the source's or its own (`InvalidChunkError` for a
 * malformed chunk, `ToolCallArgumentsError`), carry `partial`, the snapshot of what was merged.
 * An option that is not what it must be throws an `InvalidInputError` when the operator is made.
 *
 * ## Example
 * ```ts
 * import OpenAI from 'openai';
 * import { concatMap } from 'rxjs';
 * import { fromChatCompletion, toolCalls } from 'rxjs-chat-stream';
 *
 * const tools = [{ type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
 * fromChatCompletion(new OpenAI(), { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Weather in Paris and Oslo?' }], tools })
 *   .pipe(
 *     toolCalls(),
 *     concatMap(async (call) => (call.type === 'function' ? `${call.name}(${JSON.stringify(call.parsed)})` : call.input)),
 *   )
 *   .subscribe((line) => console.log(line));
 * // Logs:
 * // get_weather({"city":"Paris"})
 * // get_weather({"city":"Oslo"})
 * ```
 *
 * @see {@link toChatCompletion}
 * @see {@link accumulate}
 *
 * @param options `parse`: parse function arguments into `parsed` (default `true`).
 * @return A function that returns an Observable that emits each tool call of the source's choices once, when it is complete.
 */
export function toolCalls(options: ToolCallsOptions = {}): OperatorFunction<ChatCompletionChunk, CompletedToolCall> {
  if (!isObject(options)) throw new InvalidInputError('toolCalls() options', options, 'an object');
  const parse = options.parse;
  if (parse !== undefined && typeof parse !== 'boolean') throw new InvalidInputError('toolCalls() options.parse', parse, 'a boolean');
  return watchMerge<CompletedToolCall>((accumulator, subscriber) => {
    const watcher = new CallWatcher(accumulator, parse !== false, (call) => {
      subscriber.next(call);
      return !subscriber.closed;
    });
    return { merged: (chunk) => watcher.chunkMerged(chunk), completed: () => watcher.flushAll() };
  });
}

/** One choice's calls as the watcher knows them. */
interface ChoiceWatch {
  readonly choice: Readonly<ChoiceState>;
  /** The calls seen so far (each emitted or open). */
  readonly known: Set<ToolCallState>;
  /** Started, not emitted yet, in the order they started. */
  open: ToolCallState[];
}

/**
 * Watches the accumulator's tool-call states after each chunk and emits each call once it is
 * complete. Emission stops (returns) as soon as `emit` says the subscriber is gone.
 */
class CallWatcher {
  readonly #choices = new Map<number, ChoiceWatch>();

  constructor(
    private readonly accumulator: ChatCompletionAccumulator,
    private readonly parse: boolean,
    /** Emits a call; `false` when the subscriber closed. */
    private readonly emit: (call: CompletedToolCall) => boolean,
  ) {}

  /** After `chunk` was merged (so it is shaped like a chunk): the choices it names. */
  chunkMerged(chunk: ChatCompletionChunk): void {
    const choices = (chunk as { choices?: unknown }).choices;
    if (!Array.isArray(choices)) return;
    for (let position = 0; position < choices.length; position++) {
      const index = entryIndex((choices[position] as { index?: unknown }).index, position);
      if (!this.#check(index)) return;
    }
  }

  /** Emits every open call, choices in index order (the source completed). */
  flushAll(): void {
    const indexes = [...this.#choices.keys()].sort((a, b) => a - b);
    for (const index of indexes) {
      const watch = this.#choices.get(index) as ChoiceWatch;
      if (!this.#emitAll(watch, watch.open)) return;
      watch.open = [];
    }
  }

  /** Emits what choice `index` completed; `false` when emission must stop. */
  #check(index: number): boolean {
    let watch = this.#choices.get(index);
    if (watch === undefined) {
      const choice = this.accumulator.choiceState(index);
      if (choice === undefined) return true;
      watch = { choice, known: new Set(), open: [] };
      this.#choices.set(index, watch);
    }
    const calls = watch.choice.toolCalls?.items;
    if (calls !== undefined && calls.length > watch.known.size) {
      // The calls this chunk started: usually appended at the end of the list (sorted by index).
      const started: ToolCallState[] = [];
      for (let i = calls.length - 1, missing = calls.length - watch.known.size; i >= 0 && missing > 0; i--) {
        const call = calls[i] as ToolCallState;
        if (!watch.known.has(call)) {
          started.push(call);
          missing--;
        }
      }
      started.reverse();
      for (const call of started) watch.known.add(call);
      // Every call that started before the last one to start is complete.
      const complete = watch.open;
      for (let i = 0; i < started.length - 1; i++) complete.push(started[i] as ToolCallState);
      watch.open = [started[started.length - 1] as ToolCallState];
      if (!this.#emitAll(watch, complete)) return false;
    }
    if (watch.choice.finishReason !== null && watch.open.length > 0) {
      const complete = watch.open;
      watch.open = [];
      return this.#emitAll(watch, complete);
    }
    return true;
  }

  #emitAll(watch: ChoiceWatch, calls: readonly ToolCallState[]): boolean {
    for (const call of calls) {
      if (!this.emit(this.#completed(watch.choice.index, call))) return false;
    }
    return true;
  }

  /** The call as it is emitted, from the finished shape `toChatCompletion()` gives it. */
  #completed(choiceIndex: number, state: ToolCallState): CompletedToolCall {
    const call = finalToolCall(state) as unknown as {
      id: string;
      type: string;
      function?: { name: string; arguments: string };
      custom?: { name: string; input: string };
    };
    if (call.custom !== undefined) {
      return { choiceIndex, index: state.index, id: call.id, type: 'custom', name: call.custom.name, input: call.custom.input };
    }
    const fn = call.function as { name: string; arguments: string };
    const completed: CompletedFunctionToolCall = {
      choiceIndex,
      index: state.index,
      id: call.id,
      type: call.type as 'function',
      name: fn.name,
      arguments: fn.arguments,
    };
    if (this.parse) completed.parsed = parseArguments(completed);
    return completed;
  }
}

const BLANK = /^\s*$/;

/** `JSON.parse` of a call's arguments (`{}` when blank), or a `ToolCallArgumentsError`. */
function parseArguments(call: CompletedFunctionToolCall): unknown {
  if (BLANK.test(call.arguments)) return {};
  try {
    return JSON.parse(call.arguments) as unknown;
  } catch (cause) {
    throw new ToolCallArgumentsError(call, { cause });
  }
}
