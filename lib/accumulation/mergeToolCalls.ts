/*
 * The merge of tool calls: which call a delta continues (by `index`, or by `id` where a server
 * omits it), and the parts of a call: `id`, `type`, a function's `name` and `arguments` (the same
 * rules as the legacy `function_call`, merged by the same function), a custom call's `name` and
 * `input`. A call is a function call or a custom call, never both.
 */
import { isObject } from '../json.js';
import { entryIndex } from '../protocol/chunkShape.js';
import { fail, toolCallPath } from './check.js';
import { newFields, writeField, type JsonObject } from './fields.js';
import {
  IndexedList,
  newCustom,
  newFunction,
  newToolCall,
  touchToolCall,
  type ChoiceState,
  type CustomState,
  type FunctionState,
  type ToolCallPieceListener,
  type ToolCallState,
} from './state.js';

export function mergeToolCalls(choice: ChoiceState, deltas: unknown[], position: number, onPiece: ToolCallPieceListener | undefined): void {
  const calls = (choice.toolCalls ??= new IndexedList<ToolCallState>());
  for (let i = 0; i < deltas.length; i++) {
    const raw = deltas[i];
    if (!isObject(raw)) fail(toolCallPath(position, i), raw, 'an object');
    const call = toolCallFor(choice, calls, raw, position, i);
    // Marked before its fields are merged: a malformed field throws below, and the call, already
    // in the list, must still reach the next snapshot.
    touchToolCall(choice, call);
    const piece = mergeToolCall(call, raw, position, i);
    if (piece !== undefined && onPiece !== undefined) onPiece(choice, call, piece);
  }
}

/**
 * The call a delta continues, or a new one: by `index`, and by `id` where the index cannot tell.
 * - With an `index`: the call that index names. But a delta whose non-empty `id` differs from the
 *   `id` of that call starts a new call (Ollama sends every call with `index: 0`, a new call told
 *   by a new id), at the next free index after the last call; from then on the stream's index
 *   names the new call, so later deltas with that index (and no id, or the same) continue it. The
 *   OpenAI API never sends a second id for an index: for it nothing changes.
 * - Without an `index` (some compatible servers omit it): the same `id` (or no id) continues a
 *   call, and a new id starts the next one.
 */
function toolCallFor(choice: ChoiceState, calls: IndexedList<ToolCallState>, delta: JsonObject, position: number, i: number): ToolCallState {
  const rawIndex = delta['index'];
  const rawId = delta['id'];
  const id = typeof rawId === 'string' && rawId !== '' ? rawId : undefined;
  const last = calls.last();
  let call: ToolCallState | undefined;
  if (rawIndex != null) {
    const index = entryIndex(rawIndex, i);
    if (index < 0) fail(`${toolCallPath(position, i)}.index`, rawIndex, 'a non-negative safe integer');
    call = choice.reusedToolCallIndexes?.get(index) ?? calls.find(index);
    if (call === undefined) return insertToolCall(calls, index);
    if (id === undefined || call.id === undefined || call.id === id) return call;
    const next = insertToolCall(calls, (last as ToolCallState).index + 1);
    (choice.reusedToolCallIndexes ??= new Map()).set(index, next);
    return next;
  }
  call = id !== undefined ? calls.items.find((c) => c.id === id) : last;
  return call ?? insertToolCall(calls, last === undefined ? 0 : last.index + 1);
}

function insertToolCall(calls: IndexedList<ToolCallState>, index: number): ToolCallState {
  const call = newToolCall(index);
  calls.insert(call);
  return call;
}

/**
 * One tool-call delta: `id` and `type` set when present (non-empty); `function` (name, arguments)
 * or `custom` (name, input) merged; other fields by the rule of unknown fields. A call is a
 * function call or a custom call (`type: 'custom'`, a `custom` part), never both.
 */
function mergeToolCall(call: ToolCallState, delta: JsonObject, position: number, i: number): string | undefined {
  let piece: string | undefined;
  for (const key in delta) {
    const value = delta[key];
    switch (key) {
      case 'index':
        break;
      case 'id':
      case 'type':
        if (value == null || value === '') break;
        if (typeof value !== 'string') fail(`${toolCallPath(position, i)}.${key}`, value, 'a string');
        call[key] = value;
        if (key === 'type') checkKind(call, position, i);
        break;
      case 'function':
        if (value == null) break;
        if (!isObject(value)) fail(`${toolCallPath(position, i)}.function`, value, 'an object');
        piece = mergeFunction((call.function ??= newFunction()), value, `${toolCallPath(position, i)}.function`);
        checkKind(call, position, i);
        break;
      case 'custom':
        if (value == null) break;
        if (!isObject(value)) fail(`${toolCallPath(position, i)}.custom`, value, 'an object');
        piece = mergeCustom((call.custom ??= newCustom()), value, `${toolCallPath(position, i)}.custom`);
        checkKind(call, position, i);
        break;
      default:
        writeField((call.fields ??= newFields()), key, value);
    }
  }
  return piece;
}

/** A call with a `function` part is not a custom call, and one with a `custom` part has no other type. */
function checkKind(call: ToolCallState, position: number, i: number): void {
  const custom = call.custom !== undefined;
  if ((call.function !== undefined && (custom || call.type === 'custom')) || (custom && call.type !== undefined && call.type !== 'custom')) {
    fail(toolCallPath(position, i), call.type, 'a function call or a custom call, not both');
  }
}

/**
 * A function's deltas (a tool call's `function`, the legacy `function_call`): the last non-empty
 * `name`, `arguments` concatenated. Returns the arguments piece appended, if any.
 */
export function mergeFunction(fn: FunctionState, delta: JsonObject, path: string): string | undefined {
  let piece: string | undefined;
  for (const key in delta) {
    const value = delta[key];
    if (key === 'name') {
      if (typeof value === 'string') {
        if (value !== '') fn.name = value;
      } else if (value != null) fail(`${path}.name`, value, 'a string');
    } else if (key === 'arguments') {
      if (typeof value === 'string') fn.arguments += piece = value;
      else if (value != null) fail(`${path}.arguments`, value, 'a string');
    } else {
      writeField((fn.fields ??= newFields()), key, value);
    }
  }
  return piece;
}

/** A custom tool call's deltas: the last non-empty `name`, `input` concatenated. Returns the input piece appended, if any. */
function mergeCustom(custom: CustomState, delta: JsonObject, path: string): string | undefined {
  let piece: string | undefined;
  for (const key in delta) {
    const value = delta[key];
    if (key === 'name') {
      if (typeof value === 'string') {
        if (value !== '') custom.name = value;
      } else if (value != null) fail(`${path}.name`, value, 'a string');
    } else if (key === 'input') {
      if (typeof value === 'string') custom.input += piece = value;
      else if (value != null) fail(`${path}.input`, value, 'a string');
    } else {
      writeField((custom.fields ??= newFields()), key, value);
    }
  }
  return piece;
}
