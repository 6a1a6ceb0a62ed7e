/*
 * A plain reference of the merge rules of docs/accumulation.md, to check the library's merge
 * against: written from the document, not from lib/accumulation (no sharing, no dirty marks, no
 * fast path, no views). Every call merges the chunks from scratch, so it is slow on purpose; it
 * takes well-formed chunks only (a malformed one is the library's `InvalidChunkError`, not a rule).
 *
 * `referenceSnapshot(chunks)` is what `accumulate()` must emit after those chunks (and what an
 * error's `partial` must hold); `referenceCompletion(chunks)` what `toChatCompletion()` must give.
 * Compare through `canonicalJson`, which ignores key order (the order of keys is not a rule).
 */

type Json = Record<string, unknown>;

/** The rule of fields the merge does not interpret: the last non-empty write wins; null and "" only record the key. */
function writeUnknown(target: Map<string, unknown>, key: string, value: unknown): void {
  if (value === undefined) return;
  if (value === null || value === '') {
    if (!target.has(key)) target.set(key, value);
    return;
  }
  target.set(key, value);
}

interface Fn {
  name: string | undefined;
  text: string;
  fields: Map<string, unknown>;
}

interface Call {
  index: number;
  id: string | undefined;
  type: string | undefined;
  fn: Fn | undefined;
  custom: Fn | undefined;
  fields: Map<string, unknown>;
}

interface Choice {
  index: number;
  role: string | undefined;
  content: string | null;
  refusal: string | null;
  finish: string | null;
  logprobs: { content: unknown[] | null; refusal: unknown[] | null; fields: Map<string, unknown> } | null;
  fields: Map<string, unknown>;
  messageFields: Map<string, unknown>;
  functionCall: Fn | undefined;
  audio: Map<string, unknown> | undefined;
  calls: Call[] | undefined;
  /** Stream index → the call it names now (after a reused index started a new call). */
  renamed: Map<number, Call>;
}

interface State {
  id: string;
  created: number;
  model: string;
  fields: Map<string, unknown>;
  usage: unknown;
  choices: Choice[];
}

/** `name` (non-empty) set, the text part (`arguments`, `input`) concatenated, the rest unknown fields. */
function mergeFn(fn: Fn, delta: Json, textKey: string): void {
  for (const [key, value] of Object.entries(delta)) {
    if (key === 'name') {
      if (typeof value === 'string' && value !== '') fn.name = value;
    } else if (key === textKey) {
      if (typeof value === 'string') fn.text += value;
    } else {
      writeUnknown(fn.fields, key, value);
    }
  }
}

const newFn = (): Fn => ({ name: undefined, text: '', fields: new Map() });

function callFor(choice: Choice, delta: Json): Call {
  const calls = (choice.calls ??= []);
  const add = (index: number): Call => {
    const call: Call = { index, id: undefined, type: undefined, fn: undefined, custom: undefined, fields: new Map() };
    calls.push(call);
    return call;
  };
  const id = typeof delta['id'] === 'string' && delta['id'] !== '' ? delta['id'] : undefined;
  const highest = (): number => Math.max(...calls.map((c) => c.index));
  if (typeof delta['index'] === 'number') {
    const index = delta['index'];
    const call = choice.renamed.get(index) ?? calls.find((c) => c.index === index);
    if (call === undefined) return add(index);
    if (id === undefined || call.id === undefined || call.id === id) return call;
    // A new id at a known index (Ollama's reused index 0): a new call after the last one.
    const next = add(highest() + 1);
    choice.renamed.set(index, next);
    return next;
  }
  // No index: a known id (or no id) continues, a new id starts the next call.
  const known = id === undefined ? calls.reduce<Call | undefined>((last, c) => (last === undefined || c.index > last.index ? c : last), undefined) : calls.find((c) => c.id === id);
  return known ?? add(calls.length === 0 ? 0 : highest() + 1);
}

function mergeChoice(state: State, raw: Json, position: number): void {
  const index = typeof raw['index'] === 'number' ? raw['index'] : position;
  let choice = state.choices.find((c) => c.index === index);
  if (choice === undefined) {
    choice = {
      index,
      role: undefined,
      content: null,
      refusal: null,
      finish: null,
      logprobs: null,
      fields: new Map(),
      messageFields: new Map(),
      functionCall: undefined,
      audio: undefined,
      calls: undefined,
      renamed: new Map(),
    };
    state.choices.push(choice);
  }
  for (const [key, value] of Object.entries(raw)) {
    if (key === 'index' || key === 'obfuscation') continue;
    if (key === 'delta') {
      if (value !== null && value !== undefined) mergeDelta(choice, value as Json);
    } else if (key === 'finish_reason') {
      // Sticky: a later null (or "", which is no finish) does not clear it.
      if (typeof value === 'string' && value !== '') choice.finish = value;
    } else if (key === 'logprobs') {
      if (value === null || value === undefined) continue;
      const logprobs = (choice.logprobs ??= { content: null, refusal: null, fields: new Map() });
      for (const [part, list] of Object.entries(value as Json)) {
        if (part === 'content' || part === 'refusal') {
          if (Array.isArray(list)) logprobs[part] = [...(logprobs[part] ?? []), ...list];
        } else {
          writeUnknown(logprobs.fields, part, list);
        }
      }
    } else {
      writeUnknown(choice.fields, key, value);
    }
  }
}

function mergeDelta(choice: Choice, delta: Json): void {
  for (const [key, value] of Object.entries(delta)) {
    switch (key) {
      case 'obfuscation':
        break;
      case 'role':
        if (typeof value === 'string' && value !== '') choice.role = value;
        break;
      case 'content':
        if (typeof value === 'string') choice.content = (choice.content ?? '') + value;
        break;
      case 'refusal':
        if (typeof value === 'string' && value !== '') choice.refusal = (choice.refusal ?? '') + value;
        break;
      case 'function_call':
        if (value !== null && value !== undefined) mergeFn((choice.functionCall ??= newFn()), value as Json, 'arguments');
        break;
      case 'audio':
        if (value === null || value === undefined) break;
        choice.audio ??= new Map();
        for (const [part, piece] of Object.entries(value as Json)) {
          const current = choice.audio.get(part);
          if ((part === 'data' || part === 'transcript') && typeof piece === 'string') choice.audio.set(part, (typeof current === 'string' ? current : '') + piece);
          else writeUnknown(choice.audio, part, piece);
        }
        break;
      case 'tool_calls':
        for (const raw of (value ?? []) as Json[]) {
          const call = callFor(choice, raw);
          for (const [part, piece] of Object.entries(raw)) {
            if (part === 'index') continue;
            if (part === 'id' || part === 'type') {
              if (typeof piece === 'string' && piece !== '') call[part] = piece;
            } else if (part === 'function') {
              if (piece !== null && piece !== undefined) mergeFn((call.fn ??= newFn()), piece as Json, 'arguments');
            } else if (part === 'custom') {
              if (piece !== null && piece !== undefined) mergeFn((call.custom ??= newFn()), piece as Json, 'input');
            } else {
              writeUnknown(call.fields, part, piece);
            }
          }
        }
        break;
      default: {
        // Unknown delta fields: strings concatenated (a null never clears them), others the last non-null write.
        const current = choice.messageFields.get(key);
        if (typeof value === 'string') choice.messageFields.set(key, (typeof current === 'string' ? current : '') + value);
        else writeUnknown(choice.messageFields, key, value);
      }
    }
  }
}

function mergeAll(chunks: readonly unknown[]): State {
  const state: State = { id: '', created: 0, model: '', fields: new Map(), usage: undefined, choices: [] };
  for (const chunk of chunks as Json[]) {
    // Azure's content-filter chunk (`id: ""`) never overwrites metadata, but adds its own fields.
    const filter = chunk['id'] === '';
    for (const [key, value] of Object.entries(chunk)) {
      switch (key) {
        case 'object':
        case 'obfuscation':
        case 'choices':
          break;
        case 'id':
          if (typeof value === 'string' && value !== '') state.id = value;
          break;
        case 'model':
          if (typeof value === 'string' && value !== '' && !(filter && state.model !== '')) state.model = value;
          break;
        case 'created':
          if (typeof value === 'number' && !(filter && state.created !== 0)) state.created = value;
          break;
        case 'usage':
          if (value !== null && value !== undefined) state.usage = value;
          break;
        case 'system_fingerprint':
          // The last non-empty one; a null or "" one never shows.
          if (value === null || value === '' || value === undefined) break;
          if (!(filter && state.fields.has(key))) state.fields.set(key, value);
          break;
        case 'service_tier':
          if (!(filter && state.fields.has(key))) writeUnknown(state.fields, key, value);
          break;
        default:
          writeUnknown(state.fields, key, value);
      }
    }
    ((chunk['choices'] ?? []) as Json[]).forEach((choice, position) => mergeChoice(state, choice, position));
  }
  return state;
}

const isCustom = (call: Call): boolean => call.custom !== undefined || call.type === 'custom';
const byIndex = <T extends { index: number }>(list: T[]): T[] => [...list].sort((a, b) => a.index - b.index);

function fnObject(fn: Fn, textKey: string, nameWhenNone: string | undefined): Json {
  const out: Json = Object.fromEntries(fn.fields);
  out[textKey] = fn.text;
  if (fn.name !== undefined) out['name'] = fn.name;
  else if (nameWhenNone !== undefined) out['name'] = nameWhenNone;
  return out;
}

/** What `accumulate()` emits after these chunks: the state so far, with what is not known yet left open. */
export function referenceSnapshot(chunks: readonly unknown[]): Json {
  const state = mergeAll(chunks);
  const choices = byIndex(state.choices).map((choice) => {
    const message: Json = { content: choice.content, refusal: choice.refusal, ...Object.fromEntries(choice.messageFields) };
    if (choice.role !== undefined) message['role'] = choice.role;
    if (choice.functionCall !== undefined) message['function_call'] = fnObject(choice.functionCall, 'arguments', undefined);
    if (choice.audio !== undefined) message['audio'] = Object.fromEntries(choice.audio);
    if (choice.calls !== undefined) {
      message['tool_calls'] = byIndex(choice.calls).map((call) => {
        const out: Json = { ...Object.fromEntries(call.fields), index: call.index };
        if (call.id !== undefined) out['id'] = call.id;
        if (call.type !== undefined) out['type'] = call.type;
        if (isCustom(call)) out['custom'] = fnObject(call.custom ?? newFn(), 'input', undefined);
        else out['function'] = fnObject(call.fn ?? newFn(), 'arguments', undefined);
        return out;
      });
    }
    return {
      ...Object.fromEntries(choice.fields),
      index: choice.index,
      message,
      finish_reason: choice.finish,
      logprobs: logprobsObject(choice),
    };
  });
  const snapshot: Json = { ...Object.fromEntries(state.fields), id: state.id, object: 'chat.completion', created: state.created, model: state.model, choices };
  if (state.usage !== undefined) snapshot['usage'] = state.usage;
  return snapshot;
}

function logprobsObject(choice: Choice): Json | null {
  if (choice.logprobs === null) return null;
  return { ...Object.fromEntries(choice.logprobs.fields), content: choice.logprobs.content, refusal: choice.logprobs.refusal };
}

/**
 * What `toChatCompletion()` gives after these chunks (every choice finished): the non-streamed
 * shape, role `'assistant'` when none came, tool calls without `index` and with `''` / `'function'`
 * / `''` for what never came, a custom call as `{ id, type: 'custom', custom: { name, input } }`.
 */
export function referenceCompletion(chunks: readonly unknown[]): Json {
  const state = mergeAll(chunks);
  const choices = byIndex(state.choices).map((choice) => {
    const message: Json = { ...Object.fromEntries(choice.messageFields), role: choice.role ?? 'assistant', content: choice.content, refusal: choice.refusal };
    if (choice.functionCall !== undefined) message['function_call'] = fnObject(choice.functionCall, 'arguments', '');
    if (choice.audio !== undefined) message['audio'] = Object.fromEntries(choice.audio);
    if (choice.calls !== undefined && choice.calls.length > 0) {
      message['tool_calls'] = byIndex(choice.calls).map((call) => {
        const out: Json = { ...Object.fromEntries(call.fields), id: call.id ?? '' };
        if (isCustom(call)) {
          out['type'] = 'custom';
          out['custom'] = fnObject(call.custom ?? newFn(), 'input', '');
        } else {
          out['type'] = call.type ?? 'function';
          out['function'] = fnObject(call.fn ?? newFn(), 'arguments', '');
        }
        return out;
      });
    }
    return { ...Object.fromEntries(choice.fields), index: choice.index, message, finish_reason: choice.finish, logprobs: logprobsObject(choice) };
  });
  const completion: Json = { ...Object.fromEntries(state.fields), id: state.id, object: 'chat.completion', created: state.created, model: state.model, choices };
  if (state.usage !== undefined) completion['usage'] = state.usage;
  return completion;
}

/** A JSON text of `value` with every object's keys sorted: two values compare whatever their key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(JSON.parse(JSON.stringify(value)) as unknown));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const out: Json = {};
  for (const key of Object.keys(value).sort()) {
    Object.defineProperty(out, key, { value: sortKeys((value as Json)[key]), enumerable: true, writable: true, configurable: true });
  }
  return out;
}
