/*
 * THE merge of chat-completion chunks (DESIGN.md: "there is no second merge anywhere"), one
 * function per level: chunk, choice, delta, logprobs, audio here; tool calls, functions (a tool
 * call's, and the legacy `function_call`) and custom inputs in `mergeToolCalls.ts`. Each rule of
 * docs/accumulation.md is written once, under the name of its field.
 *
 * The chunk, the choice and the delta (the levels every chunk has) read their known fields by
 * name, check each (`null` is "no news"; another type throws an `InvalidChunkError` naming it) and
 * merge it by its rule; then they count the keys, and only when there are more keys than known
 * fields present does one loop visit the others, merging each by the rule of unknown fields
 * (`writeField`, or the text rule of a `delta`). Reading by name is what makes the usual chunk
 * cheap (one choice, a `delta` of `content` alone: a few property reads and one string appended);
 * it also means a known field is read even when it is not enumerable, which only an exotic object,
 * never parsed JSON, can do. The rarer levels (tool calls, functions, logprobs, audio) are one loop
 * over their keys. A chunk costs O(its size).
 *
 * What the merge changes it marks (`touch`), so that a snapshot rebuilds only that.
 */
import { isObject } from '../json.js';
import { choicePath, entryIndex, REASONING_FIELDS } from '../protocol/chunkShape.js';
import { serverErrorOf } from '../protocol/serverError.js';
import type { CompletionUsage } from '../types.js';
import { fail, keyCount } from './check.js';
import { newFields, writeField, type Fields, type JsonObject } from './fields.js';
import { mergeFunction, mergeToolCalls } from './mergeToolCalls.js';
import { newChoice, newFunction, touch, type ChoiceState, type CompletionState, type LogprobsState, type ToolCallPieceListener } from './state.js';

// ---------------------------------------------------------------------------------------------
// The chunk

/** The fields of a chunk read by name. */
const CHUNK_KEYS: ReadonlySet<string> = new Set([
  'id',
  'object',
  'created',
  'model',
  'choices',
  'usage',
  'service_tier',
  'system_fingerprint',
  'obfuscation',
]);

/**
 * Merges one chunk into the state. Throws an `InvalidChunkError` naming the field when the chunk
 * is not shaped like a chat-completion chunk, and the server's `StreamAPIError` when it is the
 * server's error (`{ error: … }`, vLLM's `{ object: 'error', … }`), before anything of it is merged.
 */
export function mergeChunk(state: CompletionState, chunk: unknown): void {
  if (!isObject(chunk)) fail('chunk', chunk, 'an object');
  const serverError = serverErrorOf(chunk);
  if (serverError !== undefined) throw serverError;
  const id = chunk['id'];
  const created = chunk['created'];
  const model = chunk['model'];
  const choices = chunk['choices'];
  const usage = chunk['usage'];
  const tier = chunk['service_tier'];
  const fingerprint = chunk['system_fingerprint'];
  if (choices != null && !Array.isArray(choices)) fail('chunk.choices', choices, 'an array');
  // Azure's content-filter chunks (`id: ""`, `created: 0`, `model: ""`) never overwrite metadata.
  const filterChunk = id === '';

  let known = 0;
  if (id !== undefined) known++;
  if (created !== undefined) known++;
  if (model !== undefined) known++;
  if (choices !== undefined) known++;
  if (usage !== undefined) known++;
  if (tier !== undefined) known++;
  if (fingerprint !== undefined) known++;
  if (chunk['object'] !== undefined) known++; // always 'chat.completion' in the result
  if (chunk['obfuscation'] !== undefined) known++; // padding against side channels, never kept
  if (keyCount(chunk) === known && (tier === undefined || tier === state.lastTier) && (fingerprint == null || fingerprint === state.lastFingerprint)) {
    // Known fields only, none of them new to `fields`: each by its rule (they are independent).
    mergeId(state, id);
    mergeModel(state, model, filterChunk);
    mergeCreated(state, created, filterChunk);
    mergeUsage(state, usage);
  } else {
    // Unknown fields, or a service tier or fingerprint to keep: key by key, so that the fields
    // kept in `fields` keep the order they first came in.
    for (const key in chunk) {
      const value = chunk[key];
      switch (key) {
        case 'id':
          mergeId(state, value);
          break;
        case 'model':
          mergeModel(state, value, filterChunk);
          break;
        case 'created':
          mergeCreated(state, value, filterChunk);
          break;
        case 'usage':
          mergeUsage(state, value);
          break;
        case 'service_tier':
          mergeServiceTier(state, value, filterChunk);
          break;
        case 'system_fingerprint':
          mergeFingerprint(state, value, filterChunk);
          break;
        default:
          if (!CHUNK_KEYS.has(key) && writeField((state.fields ??= newFields()), key, value)) state.changed = true;
      }
    }
  }
  // Counted once its top level is merged: an error in a choice below carries `partial`.
  state.chunkCount++;
  if (choices != null) {
    const list = choices as unknown[];
    for (let position = 0; position < list.length; position++) mergeChoice(state, list[position], position);
  }
}

// id, model, created: the last non-empty one (a filter chunk's never overwrites one merged). Not
// marked as a change: `snapshot()` compares them with what the last snapshot showed.

function mergeId(state: CompletionState, value: unknown): void {
  if (value == null || value === '') return;
  if (typeof value !== 'string') fail('chunk.id', value, 'a string');
  state.id = value;
}

function mergeModel(state: CompletionState, value: unknown, filterChunk: boolean): void {
  if (value == null || value === '') return;
  if (typeof value !== 'string') fail('chunk.model', value, 'a string');
  if (!(filterChunk && state.model !== '')) state.model = value;
}

function mergeCreated(state: CompletionState, value: unknown, filterChunk: boolean): void {
  if (value == null) return;
  if (typeof value !== 'number') fail('chunk.created', value, 'a number');
  if (value !== state.created && !(filterChunk && state.created !== 0)) state.created = value;
}

/** The token counts of a usage the API reports (its `*_details` are kept as they come). */
const USAGE_COUNTS = ['prompt_tokens', 'completion_tokens', 'total_tokens'] as const;

/**
 * usage: the last non-null one (a later `usage: null`, as after a moderation chunk, never wipes
 * it), an object whose token counts, where present, are whole numbers of tokens.
 */
function mergeUsage(state: CompletionState, value: unknown): void {
  if (value == null || value === state.usage) return;
  if (!isObject(value)) fail('chunk.usage', value, 'an object');
  for (const key of USAGE_COUNTS) {
    const count = value[key];
    if (count !== undefined && !(typeof count === 'number' && Number.isInteger(count) && count >= 0)) {
      fail(`chunk.usage.${key}`, count, 'a whole number of tokens');
    }
  }
  state.usage = value as unknown as CompletionUsage;
  state.changed = true;
}

/**
 * service_tier: by the rule of unknown fields (the last write wins, null only records the key),
 * but not from a filter chunk. It repeats on every chunk: the same value again changes nothing.
 */
function mergeServiceTier(state: CompletionState, value: unknown, filterChunk: boolean): void {
  if (value === undefined || value === state.lastTier) return;
  if (filterChunk && state.fields?.has('service_tier') === true) return;
  if (writeField((state.fields ??= newFields()), 'service_tier', value)) state.changed = true;
  state.lastTier = value;
}

/** system_fingerprint: the last non-empty one, not from a filter chunk; a null or "" one is dropped. */
function mergeFingerprint(state: CompletionState, value: unknown, filterChunk: boolean): void {
  if (value == null || value === '' || value === state.lastFingerprint) return;
  if (filterChunk && state.fields?.has('system_fingerprint') === true) return;
  if (writeField((state.fields ??= newFields()), 'system_fingerprint', value)) state.changed = true;
  state.lastFingerprint = value;
}

// ---------------------------------------------------------------------------------------------
// A choice

const CHOICE_KEYS: ReadonlySet<string> = new Set(['index', 'delta', 'finish_reason', 'logprobs', 'obfuscation']);

function mergeChoice(state: CompletionState, raw: unknown, position: number): void {
  if (!isObject(raw)) fail(choicePath(position), raw, 'an object');
  const rawIndex = raw['index'];
  const index = entryIndex(rawIndex, position);
  if (index < 0) fail(`${choicePath(position)}.index`, rawIndex, 'a non-negative safe integer');
  const list = state.choices;
  let choice = list.find(index);
  if (choice === undefined) {
    choice = newChoice(index);
    list.insert(choice);
    choice.messageDirty = true;
    touch(state, choice);
  }
  const delta = raw['delta'];
  const finishReason = raw['finish_reason'];
  const logprobs = raw['logprobs'];
  // delta: Azure's filter-only choices have none.
  if (delta != null) {
    if (!isObject(delta)) fail(`${choicePath(position)}.delta`, delta, 'an object');
    if (mergeDelta(choice, delta, position, state.onToolCallPiece)) {
      choice.messageDirty = true;
      touch(state, choice);
    }
  }
  // finish_reason is sticky: a later null (or "") does not clear it.
  if (finishReason != null && finishReason !== '') {
    if (typeof finishReason !== 'string') fail(`${choicePath(position)}.finish_reason`, finishReason, 'a string');
    if (finishReason !== choice.finishReason) {
      choice.finishReason = finishReason;
      touch(state, choice);
    }
  }
  if (logprobs != null) {
    if (!isObject(logprobs)) fail(`${choicePath(position)}.logprobs`, logprobs, 'an object');
    mergeLogprobs(choice, logprobs, position);
    choice.logprobsDirty = true;
    touch(state, choice);
  }
  let known = 0;
  if (rawIndex !== undefined) known++;
  if (delta !== undefined) known++;
  if (finishReason !== undefined) known++;
  if (logprobs !== undefined) known++;
  if (raw['obfuscation'] !== undefined) known++;
  if (keyCount(raw) > known) {
    // Unknown choice-level fields (`content_filter_results`, …), by the rule of unknown fields.
    for (const key in raw) {
      if (!CHOICE_KEYS.has(key) && writeField((choice.fields ??= newFields()), key, raw[key])) touch(state, choice);
    }
  }
}

/** Logprobs: the `content` and `refusal` lists are appended, other fields set. */
function mergeLogprobs(choice: ChoiceState, raw: JsonObject, position: number): void {
  const logprobs: LogprobsState = (choice.logprobs ??= { content: null, refusal: null, fields: undefined });
  for (const key in raw) {
    const value = raw[key];
    if (key === 'content' || key === 'refusal') {
      if (Array.isArray(value)) {
        const target = (logprobs[key] ??= []);
        for (let i = 0; i < value.length; i++) target.push(value[i]);
      } else if (value != null) fail(`${choicePath(position)}.logprobs.${key}`, value, 'an array');
    } else {
      writeField((logprobs.fields ??= newFields()), key, value);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// A delta: the message of a choice

const REASONING: ReadonlySet<string> = new Set(REASONING_FIELDS);

const DELTA_KEYS: ReadonlySet<string> = new Set(['content', 'refusal', 'role', 'tool_calls', 'function_call', 'audio', 'obfuscation']);

/** Merges a `delta` into its choice's message; returns whether anything changed. */
function mergeDelta(choice: ChoiceState, delta: JsonObject, position: number, onPiece: ToolCallPieceListener | undefined): boolean {
  const content = delta['content'];
  const refusal = delta['refusal'];
  const role = delta['role'];
  const toolCalls = delta['tool_calls'];
  const functionCall = delta['function_call'];
  const audio = delta['audio'];
  let changed = false;
  let known = 0;
  if (content !== undefined) {
    known++;
    // A string as soon as any string came, even "".
    if (content !== null) {
      if (typeof content !== 'string') fail(`${choicePath(position)}.delta.content`, content, 'a string');
      if (choice.content === null) {
        choice.content = content;
        changed = true;
      } else if (content.length !== 0) {
        choice.content += content;
        changed = true;
      }
    }
  }
  if (refusal !== undefined) {
    known++;
    // From non-empty pieces only: the "" of a first chunk leaves it null.
    if (refusal !== null && refusal !== '') {
      if (typeof refusal !== 'string') fail(`${choicePath(position)}.delta.refusal`, refusal, 'a string');
      choice.refusal = choice.refusal === null ? refusal : choice.refusal + refusal;
      changed = true;
    }
  }
  if (role !== undefined) {
    known++;
    // The last non-empty one.
    if (role !== null && role !== '') {
      if (typeof role !== 'string') fail(`${choicePath(position)}.delta.role`, role, 'a string');
      if (role !== choice.role) {
        choice.role = role;
        changed = true;
      }
    }
  }
  if (toolCalls !== undefined) {
    known++;
    // `tool_calls` appears only once some came: an empty list adds nothing.
    if (toolCalls !== null) {
      if (!Array.isArray(toolCalls)) fail(`${choicePath(position)}.delta.tool_calls`, toolCalls, 'an array');
      if (toolCalls.length > 0) {
        mergeToolCalls(choice, toolCalls, position, onPiece);
        changed = true;
      }
    }
  }
  if (functionCall !== undefined) {
    known++;
    if (functionCall !== null) {
      if (!isObject(functionCall)) fail(`${choicePath(position)}.delta.function_call`, functionCall, 'an object');
      mergeFunction((choice.functionCall ??= newFunction()), functionCall, `${choicePath(position)}.delta.function_call`);
      changed = true;
    }
  }
  if (audio !== undefined) {
    known++;
    if (audio !== null) {
      if (!isObject(audio)) fail(`${choicePath(position)}.delta.audio`, audio, 'an object');
      mergeAudio((choice.audio ??= newFields()), audio);
      changed = true;
    }
  }
  if (delta['obfuscation'] !== undefined) known++;
  if (keyCount(delta) > known) {
    // Unknown delta fields (`reasoning_content`, `annotations`, …).
    for (const key in delta) {
      if (!DELTA_KEYS.has(key) && mergeMessageField((choice.messageFields ??= newFields()), key, delta[key], position)) changed = true;
    }
  }
  return changed;
}

/**
 * An unknown `delta` field (`reasoning_content`, `annotations`, …): strings are concatenated, a
 * later null does not clear them; anything else: the last non-null write wins. The reasoning text
 * is counted as output (`usage()`): it must be text, or it would be overwritten and go uncounted.
 */
function mergeMessageField(fields: Fields, key: string, value: unknown, position: number): boolean {
  if (typeof value === 'string') {
    const current = fields.get(key);
    if (typeof current !== 'string') {
      fields.set(key, value);
      return true;
    }
    if (value === '') return false;
    fields.set(key, current + value);
    return true;
  }
  if (value != null && REASONING.has(key)) fail(`${choicePath(position)}.delta.${key}`, value, 'a string');
  return writeField(fields, key, value);
}

/** `audio`: `data` and `transcript` are concatenated, the rest (`id`, `expires_at`) set. */
function mergeAudio(fields: Fields, audio: JsonObject): void {
  for (const key in audio) {
    const value = audio[key];
    if ((key === 'data' || key === 'transcript') && typeof value === 'string') {
      const current = fields.get(key);
      fields.set(key, typeof current === 'string' ? current + value : value);
    } else {
      writeField(fields, key, value);
    }
  }
}
