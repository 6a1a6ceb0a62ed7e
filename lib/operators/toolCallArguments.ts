import type { OperatorFunction } from 'rxjs';
import { watchMerge } from '../accumulation/collect.js';
import type { ChoiceState, ToolCallState } from '../accumulation/state.js';
import { InvalidInputError, ToolCallArgumentsError } from '../errors.js';
import { isObject } from '../json.js';
import { checkMaxDepth, PartialJsonParser } from '../structured/partialJsonParser.js';
import type { ChatCompletionChunk } from '../types.js';

/** A function call's arguments so far, parsed: what {@link toolCallArguments} emits. */
export interface FunctionToolCallProgress {
  /** The `index` of the choice the call belongs to. */
  choiceIndex: number;
  /** The call's `index` in that choice's message. */
  index: number;
  /** The call's `id` (`''` until it came). */
  id: string;
  type: 'function';
  /** The function's name (`''` until it came). */
  name: string;
  /**
   * The JSON value of the arguments so far, by `partialJson()`'s rules: strings only grow, objects
   * and arrays only gain entries, numbers appear once complete; immutable, sharing what is complete
   * with the previous value.
   */
  partial: unknown;
}

/** A custom tool call's input so far (free-form text, not JSON). */
export interface CustomToolCallProgress {
  choiceIndex: number;
  index: number;
  id: string;
  type: 'custom';
  name: string;
  /** The input so far. */
  input: string;
}

/** What {@link toolCallArguments} emits: a call as its arguments (or input) stream. */
export type ToolCallProgress = FunctionToolCallProgress | CustomToolCallProgress;

/** Options of {@link toolCallArguments}. */
export interface ToolCallArgumentsOptions {
  /** The deepest nesting of the arguments' JSON (default 128, as `partialJson()`). */
  maxDepth?: number;
}

/**
 * Emits each tool call's arguments as they stream, parsed so far: a form can fill in as the model
 * writes it.
 *
 * <span class="informal">`partialJson()` for every tool call at once, fed by the one merge.</span>
 *
 * ```
 * source:   --a--------b----------c-----------f--|   a: call 0 get_weather '{"ci'   b: 'ty": "Pa'
 * toolCallArguments()                                c: 'ris", "days": 3}'            f: finish_reason
 * result:   --A--------B----------C--------------|   A: { index: 0, name: 'get_weather', partial: {} }
 *                                                    B: { …, partial: { city: 'Pa' } }
 *                                                    C: { …, partial: { city: 'Paris', days: 3 } }
 * ```
 *
 * Chunks go through the one merge (the same as `toChatCompletion()`: which call a delta continues,
 * by `index`, or by `id` where a server reuses an index or omits it), and each piece the merge
 * appends to a function call's `arguments` is fed to that call's own incremental JSON parser (the
 * one under `partialJson()`): nothing is read twice, so the whole stream costs time linear in its
 * size. After each piece that changes a call's value, it emits `{ choiceIndex, index, id, type:
 * 'function', name, partial }`, `partial` following `partialJson()`'s rules (a key appears with its
 * value, numbers once complete, immutable values that share what is complete). A custom tool
 * call's `input` is free-form text: it emits `{ …, type: 'custom', input }` with the input so far
 * after each piece. When the source completes, a call whose last value was not final (a number at
 * the very end, containers still shown as views) gets one last emission.
 *
 * Arguments that are not JSON error at their first bad character with a `ToolCallArgumentsError`
 * (the call, its text so far redacted and cut; the parser's `PartialJsonError` as `cause`), and
 * when the source completes with a call's arguments unfinished, the same (`reason: 'incomplete'`
 * in the cause). Errors carry `partial` (the snapshot of what came). For the finished calls, once
 * each, use `toolCalls()`.
 *
 * ## Example
 * ```ts
 * import { fromChatCompletion, toolCallArguments } from 'rxjs-chat-stream';
 * import OpenAI from 'openai';
 *
 * const tools = [{ type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
 * fromChatCompletion(new OpenAI(), { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Weather in Paris?' }], tools })
 *   .pipe(toolCallArguments())
 *   .subscribe((call) => console.log(call.name, JSON.stringify(call.type === 'function' ? call.partial : call.input)));
 * // Logs:
 * // get_weather {}
 * // get_weather {"city":"Par"}
 * // get_weather {"city":"Paris"}
 * ```
 *
 * @see {@link toolCalls}
 * @see {@link partialJson}
 *
 * @param options `maxDepth`, the deepest nesting of the arguments (default 128).
 * @return A function that returns an Observable that emits each tool call's arguments as they stream.
 */
export function toolCallArguments(options: ToolCallArgumentsOptions = {}): OperatorFunction<ChatCompletionChunk, ToolCallProgress> {
  if (!isObject(options)) throw new InvalidInputError('toolCallArguments() options', options, 'an object');
  const maxDepth = options.maxDepth;
  checkMaxDepth(maxDepth, 'toolCallArguments() options.maxDepth');
  return watchMerge<ToolCallProgress>((accumulator, subscriber) => {
    /** Each function call's parser, and what it last emitted. */
    const parsers = new Map<ToolCallState, { parser: PartialJsonParser; choice: ChoiceState; emitted: unknown }>();
    // Called by the merge with each piece it appends (an error thrown here errors the result).
    accumulator.onToolCallPiece((choice, call, piece) => {
      if (subscriber.closed) return; // a taker left after an earlier piece of the same chunk
      if (call.custom !== undefined || call.type === 'custom') {
        subscriber.next({ ...identify(choice, call), type: 'custom', input: call.custom?.input ?? '' });
        return;
      }
      let entry = parsers.get(call);
      if (entry === undefined) {
        entry = { parser: new PartialJsonParser(maxDepth === undefined ? {} : { maxDepth }), choice, emitted: NOTHING };
        parsers.set(call, entry);
      }
      if (parsed(choice, call, () => entry.parser.push(piece))) {
        subscriber.next({ ...identify(choice, call), type: 'function', partial: (entry.emitted = entry.parser.value) });
      }
    });
    return {
      completed() {
        for (const [call, entry] of parsers) {
          if (subscriber.closed) return;
          const changed = parsed(entry.choice, call, () => entry.parser.end());
          // The finished value, when the last one emitted was not it (a number at the very end,
          // containers still shown as views): plain data all through.
          if (changed || entry.parser.value !== entry.emitted) {
            subscriber.next({ ...identify(entry.choice, call), type: 'function', partial: entry.parser.value });
          }
        }
      },
    };
  });
}

/** What the parser step returns, its error as the call's `ToolCallArgumentsError`. */
function parsed(choice: ChoiceState, call: ToolCallState, step: () => boolean): boolean {
  try {
    return step();
  } catch (cause) {
    throw new ToolCallArgumentsError(describe(choice, call), { cause });
  }
}

/** Before the first emission of a call. */
const NOTHING = Symbol('nothing');

function identify(choice: ChoiceState, call: ToolCallState): { choiceIndex: number; index: number; id: string; name: string } {
  return {
    choiceIndex: choice.index,
    index: call.index,
    id: call.id ?? '',
    name: (call.custom !== undefined ? call.custom.name : call.function?.name) ?? '',
  };
}

/** The call of a `ToolCallArgumentsError`, with its arguments so far. */
function describe(choice: ChoiceState, call: ToolCallState): { choiceIndex: number; index: number; id: string; name: string; arguments: string } {
  return { ...identify(choice, call), arguments: call.function?.arguments ?? '' };
}
