import { IncompleteStreamError, InvalidChunkError } from '../errors.js';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionSnapshot,
  ChatCompletionSnapshotChoice,
  ChatCompletionSnapshotMessage,
  ChatCompletionSnapshotToolCall,
  CompletionUsage,
} from '../types.js';
import * as json from '../json.js';
import * as chunkShape from './chunkShape.js';
import { copyFields, newFields, writeField, type Fields, type JsonObject } from './fields.js';
import { flatten } from './flatten.js';
import { serverErrorOf } from '../protocol/serverError.js';
import { PersistentVector } from './persistentVector.js';
import { attachList, ListView } from './views.js';

// Bound once: called per chunk, so not read from the module object per call (a CommonJS
// transpile such as tsx's reads every import through a getter, ~15 ns a call on this path).
const { choicePath, entryIndex, REASONING_FIELDS } = chunkShape;
const { isObject } = json;

/*
 * The one merge of chat-completion chunks (DESIGN.md: "there is no second merge anywhere").
 *
 * Design: `push` merges a chunk into MUTABLE state (plain records, strings grown by `+=`, which V8
 * keeps as ropes, logprobs appended to arrays), touching only what the chunk names: O(chunk).
 * It marks what it changed (a dirty flag per choice, per message, per logprobs, per tool call).
 * The fields today's chunks repeat on every chunk are read by name (`#mergeKnownTopLevel`,
 * `#mergeKnownChoice`), and the chunk nearly every reply is made of (one known choice, a delta of
 * `content` alone) takes a shorter path still (`#mergeContentOnly`); a chunk or choice with anything
 * else is merged key by key, by the same rules.
 * `toChatCompletion()` reads that state once, at the end: no snapshot is ever built on the hot path;
 * it flattens the long strings grown by `+=` (`flatten.ts`).
 *
 * `snapshot()` turns the state into an immutable `ChatCompletionSnapshot` by rebuilding only the
 * objects on a changed path and reusing the previous snapshot's objects for everything else:
 * - a choice that did not change keeps its snapshot object (and its message, logprobs, tool calls);
 * - a message whose tool calls did not change keeps the same `tool_calls` list;
 * - strings are shared as they are (immutable);
 * - the lists that can grow long are never copied whole per chunk:
 *   - logprobs `content` / `refusal` are append-only arrays in the state; a snapshot holds a view
 *     "the first `length` entries" of the shared array, which later appends do not change;
 *   - the choices and each choice's tool calls live in a `PersistentVector` of snapshot objects:
 *     replacing the changed entry copies one 32-wide node per level and shares the rest, so every
 *     earlier snapshot keeps its own version;
 *   - `views.ts` shows such a list as a plain array when it is short (≤ 32, a bounded copy) and as a
 *     getter that materialises it on first read when it is long, so the O(n) copy is paid only by a
 *     reader who reads that list, in that snapshot, once.
 * No object handed out in a snapshot is mutated afterwards, so earlier snapshots never change.
 *
 * The merge rules are those of the API (`docs/accumulation.md`, `../shared/fixtures/README.md`).
 */

interface Indexed {
  /** The `index` the API gave the entry. */
  index: number;
  /** Its position in the list sorted by `index`. */
  pos: number;
}

interface ToolCallState extends Indexed {
  id: string | undefined;
  type: string | undefined;
  name: string | undefined;
  arguments: string;
  /** Unknown fields of `function`. */
  functionFields: Fields | undefined;
  /** Unknown fields of the tool call. */
  fields: Fields | undefined;
  dirty: boolean;
}

interface LogprobsState {
  content: unknown[] | null;
  refusal: unknown[] | null;
  fields: Fields | undefined;
}

interface FunctionCallState {
  name: string | undefined;
  arguments: string;
  fields: Fields | undefined;
}

interface ChoiceState extends Indexed {
  finishReason: string | null;
  logprobs: LogprobsState | null;
  /** Unknown choice-level fields (`content_filter_results`, …). */
  fields: Fields | undefined;
  role: string | undefined;
  content: string | null;
  refusal: string | null;
  /** Unknown `delta` fields (`reasoning_content`, `annotations`, …). */
  messageFields: Fields | undefined;
  functionCall: FunctionCallState | undefined;
  audio: Fields | undefined;
  toolCalls: IndexedList<ToolCallState> | undefined;

  // What changed since the last snapshot, and what that snapshot showed.
  dirty: boolean;
  messageDirty: boolean;
  logprobsDirty: boolean;
  dirtyToolCalls: ToolCallState[];
  snap: ChatCompletionSnapshotChoice | undefined;
  messageSnap: ChatCompletionSnapshotMessage | undefined;
  logprobsSnap: ChatCompletionSnapshotChoice['logprobs'];
  toolCallVector: PersistentVector<ChatCompletionSnapshotToolCall>;
  toolCallView: ListView<ChatCompletionSnapshotToolCall> | undefined;
}

/** Entries kept sorted by `index`, found fast in the shapes real streams have. */
class IndexedList<S extends Indexed> {
  readonly items: S[] = [];
  /** An entry was inserted before others since the flag was last cleared (their `pos` moved). */
  reordered = false;

  find(index: number): S | undefined {
    const items = this.items;
    const direct = items[index]; // indexes 0, 1, 2, … (the usual case)
    if (direct !== undefined && direct.index === index) return direct;
    let low = 0;
    let high = items.length - 1;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      const entry = items[mid] as S;
      if (entry.index === index) return entry;
      if (entry.index < index) low = mid + 1;
      else high = mid - 1;
    }
    return undefined;
  }

  insert(entry: S): void {
    const items = this.items;
    const last = items[items.length - 1];
    if (last === undefined || last.index < entry.index) {
      entry.pos = items.length;
      items.push(entry);
      return;
    }
    let at = 0;
    while (at < items.length && (items[at] as S).index < entry.index) at++;
    items.splice(at, 0, entry);
    for (let i = at; i < items.length; i++) (items[i] as S).pos = i;
    this.reordered = true;
  }
}

const EMPTY_TOOL_CALLS = PersistentVector.empty<ChatCompletionSnapshotToolCall>();

/**
 * Merges the chunks of one chat-completion stream: `push` each chunk, read `snapshot()` at any time,
 * `toChatCompletion()` at the end. Used by `accumulate`, `toChatCompletion`, `usage` and the local
 * server; not part of the public API.
 * @internal
 */
export class ChatCompletionAccumulator {
  #chunkCount = 0;
  #id = '';
  #created = 0;
  #model = '';
  /** Other top-level fields (`system_fingerprint`, `service_tier`, `moderation`, …). */
  #fields: Fields | undefined;
  #usage: CompletionUsage | undefined;
  /**
   * A `service_tier` / `system_fingerprint` value whose merge is known to change nothing (the last
   * one merged). Both repeat on every chunk of today's streams: an equal value is skipped before
   * any `Map` access.
   */
  #sameTier: unknown = undefined;
  #sameFingerprint: unknown = undefined;
  readonly #choices = new IndexedList<ChoiceState>();

  // Snapshot bookkeeping.
  #changed = true;
  #dirtyChoices: ChoiceState[] = [];
  #snapshot: ChatCompletionSnapshot | undefined;
  /** The `id`, `model` and `created` that snapshot shows (kept here: a caller may mutate the snapshot it got). */
  #snapshotId = '';
  #snapshotModel = '';
  #snapshotCreated = 0;
  #choiceVector = PersistentVector.empty<ChatCompletionSnapshotChoice>();
  #choicesView = new ListView<ChatCompletionSnapshotChoice>(0, () => []);

  /** How many chunks were merged. */
  get chunkCount(): number {
    return this.#chunkCount;
  }

  /** The last non-null `usage` seen, if any. */
  get usage(): CompletionUsage | undefined {
    return this.#usage;
  }

  /** Whether any chunk was merged. */
  hasOutput(): boolean {
    return this.#chunkCount > 0;
  }

  /**
   * Merges one chunk. O(size of the chunk). Throws an `InvalidChunkError` naming the field when the chunk
   * is not shaped like a chat-completion chunk (a known field of the wrong type), and the server's
   * `StreamAPIError` when it is the server's error rather than a chunk (nothing of it merged).
   */
  push(chunk: ChatCompletionChunk): void {
    if (!isObject(chunk)) {
      throw new InvalidChunkError('chunk', chunk, 'an object');
    }
    const record = chunk as unknown as JsonObject;
    const choices = record['choices'];
    if (choices != null && !Array.isArray(choices)) throw new InvalidChunkError('chunk.choices', choices, 'an array');
    if (!this.#mergeKnownTopLevel(record)) this.#mergeTopLevel(record);
    this.#chunkCount++;

    if (choices != null) {
      if (choices.length === 1 && this.#mergeContentOnly(choices[0])) return;
      for (let i = 0; i < choices.length; i++) this.#mergeChoice(choices[i], i);
    }
  }

  /**
   * The fast path of nearly every chunk of a reply: one choice, already known, whose only news is
   * a `delta` holding `content` alone (no `finish_reason`, no `logprobs`, no other key). Merges it
   * exactly as `#mergeChoice` would; returns false, having changed nothing, for any other choice.
   */
  #mergeContentOnly(raw: unknown): boolean {
    if (!isObject(raw)) return false;
    const record = raw;
    const choice = this.#choices.items[0];
    if (choice === undefined) return false;
    const index = record['index'];
    if (index !== choice.index && !(index == null && choice.index === 0)) return false;
    const delta = record['delta'];
    if (!isObject(delta)) return false;
    const content = delta['content'];
    if (typeof content !== 'string') return false;
    const finishReason = record['finish_reason'];
    const logprobs = record['logprobs'];
    if (finishReason != null || logprobs != null) return false;
    if (!hasOnlyChoiceKeys(record, index, delta, finishReason, logprobs)) return false;
    // `content` must be the delta's one key (read by name above, it could be a non-enumerable one).
    let keys = 0;
    for (const key in delta) {
      if (key !== 'content') return false;
      keys++;
    }
    if (keys !== 1) return false;
    if (appendContent(choice, content)) {
      choice.messageDirty = true;
      this.#touch(choice);
    }
    return true;
  }

  /**
   * The per-chunk fast path for the top level: a chunk made only of the known fields, each of the
   * expected type, whose `service_tier` and `system_fingerprint` repeat what is merged (as on
   * every chunk of today's streams). Reads each field by name instead of walking every key through
   * the switch of `#mergeTopLevel`, and changes exactly what that would. Returns false, having
   * changed nothing, for any other chunk (an unknown or a malformed field, a new tier or
   * fingerprint): `#mergeTopLevel` then merges it, in key order, and throws what it throws.
   */
  #mergeKnownTopLevel(record: JsonObject): boolean {
    const tier = record['service_tier'];
    if (tier !== undefined && tier !== this.#sameTier) return false;
    const fingerprint = record['system_fingerprint'];
    // A null or "" fingerprint is dropped: merging it never changes anything.
    if (fingerprint != null && fingerprint !== this.#sameFingerprint && fingerprint !== '') return false;
    const id = record['id'];
    const created = record['created'];
    const model = record['model'];
    const usage = record['usage'];
    // Only known keys, each of the expected type: as many keys as known fields present.
    let known = 0;
    if (id !== undefined) {
      if (id !== null && typeof id !== 'string') return false;
      known++;
    }
    if (created !== undefined) {
      if (created !== null && typeof created !== 'number') return false;
      known++;
    }
    if (model !== undefined) {
      if (model !== null && typeof model !== 'string') return false;
      known++;
    }
    if (usage !== undefined) {
      if (usage !== null && !isUsage(usage)) return false;
      known++;
    }
    if (tier !== undefined) known++;
    if (fingerprint !== undefined) known++;
    const object = record['object'];
    if (object !== undefined) {
      if (object === 'error') return false; // the server's error: `#mergeTopLevel` raises it
      known++;
    }
    if (record['choices'] !== undefined) known++;
    if (record['obfuscation'] !== undefined) known++;
    let keys = 0;
    for (const _ in record) keys++;
    if (keys !== known) return false;

    // The same rules as `#mergeTopLevel`; the fields are independent, so their order is free.
    // `id`, `model` and `created` are stored without comparing them with what is stored (a string
    // comparison per chunk is a call on the hot path): `snapshot()` compares them with the last
    // snapshot's instead. Lengths, not `!== ''`, for the same reason.
    if (typeof id === 'string' && id.length !== 0) {
      this.#id = id;
      if (typeof model === 'string' && model.length !== 0) this.#model = model;
      if (typeof created === 'number' && created !== this.#created) this.#created = created; // a number comparison is cheap
    } else {
      // Azure's content-filter chunks (`id: ""`) never overwrite metadata already merged.
      const filterChunk = id === '';
      if (typeof model === 'string' && model.length !== 0 && !(filterChunk && this.#model.length !== 0)) this.#model = model;
      if (typeof created === 'number' && created !== this.#created && !(filterChunk && this.#created !== 0)) this.#created = created;
    }
    if (usage != null && usage !== this.#usage) {
      this.#usage = usage as CompletionUsage;
      this.#changed = true;
    }
    return true;
  }

  /**
   * Merges the top-level fields of a chunk, key by key. A chunk that is the server's error
   * (`{ error: … }`, vLLM's `{ object: 'error', … }`: only ever here, since its keys are not a
   * chunk's) throws its `StreamAPIError` before anything of it is merged.
   */
  #mergeTopLevel(record: JsonObject): void {
    const serverError = serverErrorOf(record);
    if (serverError !== undefined) throw serverError;
    // Azure's content-filter chunks (`id: ""`, `created: 0`, `model: ""`) never overwrite metadata.
    const filterChunk = record['id'] === '';
    for (const key in record) {
      const value = record[key];
      switch (key) {
        case 'choices':
        case 'object': // always 'chat.completion' in the result
        case 'obfuscation': // padding against side channels, never part of the result
          break;
        case 'usage':
          if (value == null) break; // a later `usage: null` never wipes the usage
          checkUsage(value);
          if (value !== this.#usage) {
            this.#usage = value as CompletionUsage;
            this.#changed = true;
          }
          break;
        case 'id':
          if (value == null || value === '') break;
          if (typeof value !== 'string') throw new InvalidChunkError('chunk.id', value, 'a string');
          if (value !== this.#id) {
            this.#id = value;
            this.#changed = true;
          }
          break;
        case 'model':
          if (value == null || value === '') break;
          if (typeof value !== 'string') throw new InvalidChunkError('chunk.model', value, 'a string');
          if (value !== this.#model && !(filterChunk && this.#model !== '')) {
            this.#model = value;
            this.#changed = true;
          }
          break;
        case 'created':
          if (value == null) break;
          if (typeof value !== 'number') throw new InvalidChunkError('chunk.created', value, 'a number');
          if (value !== this.#created && !(filterChunk && this.#created !== 0)) {
            this.#created = value;
            this.#changed = true;
          }
          break;
        case 'service_tier':
          if (value === undefined || value === this.#sameTier) break; // merging it again changes nothing
          if (filterChunk && this.#fields?.has(key) === true) break;
          if (writeField((this.#fields ??= newFields()), key, value)) this.#changed = true;
          this.#sameTier = value;
          break;
        case 'system_fingerprint':
          if (value === this.#sameFingerprint) break; // merging it again changes nothing
          if (value == null || value === '') break; // a null fingerprint is dropped
          if (filterChunk && this.#fields?.has(key) === true) break;
          if (writeField((this.#fields ??= newFields()), key, value)) this.#changed = true;
          this.#sameFingerprint = value;
          break;
        default:
          if (writeField((this.#fields ??= newFields()), key, value)) this.#changed = true;
      }
    }
  }

  #mergeChoice(raw: unknown, position: number): void {
    if (!isObject(raw)) throw new InvalidChunkError(choicePath(position), raw, 'an object');
    const record = raw;
    const index = entryIndex(record['index'], position);
    if (index < 0) throw new InvalidChunkError(`${choicePath(position)}.index`, record['index'], 'a non-negative safe integer');
    let choice = this.#choices.find(index);
    if (choice === undefined) {
      choice = newChoice(index);
      this.#choices.insert(choice);
      choice.messageDirty = true;
      this.#touch(choice);
    }
    if (!this.#mergeKnownChoice(choice, record, position)) this.#mergeChoiceFields(choice, record, position);
  }

  /**
   * The per-chunk fast path of a choice: only known keys, no `finish_reason` and no `logprobs` (a
   * choice carries those once, or only in logprobs streams), a `delta` that is an object or null.
   * Then only the delta is merged, exactly as `#mergeChoiceFields` would merge it. Returns false,
   * having changed nothing, for any other choice.
   */
  #mergeKnownChoice(choice: ChoiceState, record: JsonObject, position: number): boolean {
    const finishReason = record['finish_reason'];
    if (finishReason != null && finishReason !== '') return false;
    const logprobs = record['logprobs'];
    if (logprobs != null) return false;
    const delta = record['delta'];
    if (delta != null && !isObject(delta)) return false;
    if (!hasOnlyChoiceKeys(record, record['index'], delta, finishReason, logprobs)) return false;
    if (delta != null && this.#mergeDelta(choice, delta as JsonObject, position)) {
      choice.messageDirty = true;
      this.#touch(choice);
    }
    return true;
  }

  /** Merges the fields of a choice, key by key. */
  #mergeChoiceFields(choice: ChoiceState, record: JsonObject, position: number): void {
    for (const key in record) {
      const value = record[key];
      switch (key) {
        case 'index':
        case 'obfuscation':
          break;
        case 'delta':
          if (value == null) break; // Azure's filter-only choices have no delta
          if (!isObject(value)) throw new InvalidChunkError(`${choicePath(position)}.delta`, value, 'an object');
          if (this.#mergeDelta(choice, value, position)) {
            choice.messageDirty = true;
            this.#touch(choice);
          }
          break;
        case 'finish_reason':
          // Sticky: a later null does not clear it.
          if (value == null || value === '') break;
          if (typeof value !== 'string') throw new InvalidChunkError(`${choicePath(position)}.finish_reason`, value, 'a string');
          if (choice.finishReason !== value) {
            choice.finishReason = value;
            this.#touch(choice);
          }
          break;
        case 'logprobs':
          if (value == null) break;
          if (!isObject(value)) throw new InvalidChunkError(`${choicePath(position)}.logprobs`, value, 'an object');
          mergeLogprobs(choice, value, position);
          choice.logprobsDirty = true;
          this.#touch(choice);
          break;
        default:
          if (writeField((choice.fields ??= newFields()), key, value)) this.#touch(choice);
      }
    }
  }

  /** Merges a `delta` into the choice's message; returns whether anything changed. */
  #mergeDelta(choice: ChoiceState, delta: JsonObject, position: number): boolean {
    let changed = false;
    for (const key in delta) {
      const value = delta[key];
      switch (key) {
        case 'content':
          if (typeof value === 'string') {
            if (appendContent(choice, value)) changed = true;
          } else if (value != null) throw new InvalidChunkError(`${choicePath(position)}.delta.content`, value, 'a string');
          break;
        case 'refusal':
          // From non-empty pieces only: the "" of a first chunk leaves it null.
          if (typeof value === 'string') {
            if (value !== '') {
              choice.refusal = choice.refusal === null ? value : choice.refusal + value;
              changed = true;
            }
          } else if (value != null) throw new InvalidChunkError(`${choicePath(position)}.delta.refusal`, value, 'a string');
          break;
        case 'role':
          if (typeof value === 'string') {
            if (value !== '' && value !== choice.role) {
              choice.role = value;
              changed = true;
            }
          } else if (value != null) throw new InvalidChunkError(`${choicePath(position)}.delta.role`, value, 'a string');
          break;
        case 'tool_calls':
          if (Array.isArray(value)) {
            // `tool_calls` appears only once some came: an empty array adds nothing.
            if (value.length > 0) {
              this.#mergeToolCalls(choice, value, position);
              changed = true;
            }
          } else if (value != null) throw new InvalidChunkError(`${choicePath(position)}.delta.tool_calls`, value, 'an array');
          break;
        case 'function_call':
          if (isObject(value)) {
            mergeFunctionCall((choice.functionCall ??= { name: undefined, arguments: '', fields: undefined }), value, position);
            changed = true;
          } else if (value != null) throw new InvalidChunkError(`${choicePath(position)}.delta.function_call`, value, 'an object');
          break;
        case 'audio':
          if (isObject(value)) {
            mergeAudio((choice.audio ??= newFields()), value);
            changed = true;
          } else if (value != null) throw new InvalidChunkError(`${choicePath(position)}.delta.audio`, value, 'an object');
          break;
        case 'obfuscation':
          break;
        default: {
          // Unknown fields: strings are concatenated (`reasoning_content`), a later null does not
          // clear them; anything else: the last non-null write wins. The reasoning text is counted
          // as output (`usage()`): it must be text, or it would be overwritten and go uncounted.
          const fields = (choice.messageFields ??= newFields());
          if (value != null && typeof value !== 'string' && REASONING.has(key)) {
            throw new InvalidChunkError(`${choicePath(position)}.delta.${key}`, value, 'a string');
          }
          if (typeof value === 'string') {
            const current = fields.get(key);
            if (typeof current === 'string') {
              if (value !== '') {
                fields.set(key, current + value);
                changed = true;
              }
            } else {
              fields.set(key, value);
              changed = true;
            }
          } else if (writeField(fields, key, value)) {
            changed = true;
          }
        }
      }
    }
    return changed;
  }

  #mergeToolCalls(choice: ChoiceState, deltas: unknown[], position: number): void {
    const calls = (choice.toolCalls ??= new IndexedList<ToolCallState>());
    for (let i = 0; i < deltas.length; i++) {
      const raw = deltas[i];
      if (!isObject(raw)) throw new InvalidChunkError(toolCallAt(position, i), raw, 'an object');
      const delta = raw;
      const rawIndex = delta['index'];
      let call: ToolCallState | undefined;
      let index: number;
      if (rawIndex != null) {
        index = entryIndex(rawIndex, i);
        if (index < 0) throw new InvalidChunkError(`${toolCallAt(position, i)}.index`, rawIndex, 'a non-negative safe integer');
        call = calls.find(index);
      } else {
        // Some compatible servers omit `index`: the same `id` (or no id) continues a call, a new id
        // starts the next one.
        const id = delta['id'];
        const last = calls.items[calls.items.length - 1];
        if (typeof id === 'string' && id !== '') call = calls.items.find((c) => c.id === id);
        else call = last;
        index = call?.index ?? (last === undefined ? 0 : last.index + 1);
      }
      if (call === undefined) {
        call = newToolCall(index);
        calls.insert(call);
      }
      // Marked before its fields are merged: a malformed field throws below, and the call, already
      // in the list, must still reach the next snapshot's vector.
      if (!call.dirty) {
        call.dirty = true;
        choice.dirtyToolCalls.push(call);
      }
      for (const key in delta) {
        const value = delta[key];
        switch (key) {
          case 'index':
            break;
          case 'id':
          case 'type':
            // Set when present.
            if (typeof value === 'string') {
              if (value !== '') call[key] = value;
            } else if (value != null) throw new InvalidChunkError(`${toolCallAt(position, i)}.${key}`, value, 'a string');
            break;
          case 'function':
            if (isObject(value)) mergeFunction(call, value, position, i);
            else if (value != null) throw new InvalidChunkError(`${toolCallAt(position, i)}.function`, value, 'an object');
            break;
          default:
            writeField((call.fields ??= newFields()), key, value);
        }
      }
    }
  }

  #touch(choice: ChoiceState): void {
    this.#changed = true;
    if (!choice.dirty) {
      choice.dirty = true;
      this.#dirtyChoices.push(choice);
    }
  }

  /**
   * What the stream has said so far, as an immutable snapshot. Returns the previous snapshot
   * object when nothing changed since; otherwise a new one that shares every unchanged part with
   * the previous one. Earlier snapshots never change.
   */
  snapshot(): ChatCompletionSnapshot {
    const previous = this.#snapshot;
    if (
      !this.#changed &&
      previous !== undefined &&
      this.#snapshotId === this.#id &&
      this.#snapshotModel === this.#model &&
      Object.is(this.#snapshotCreated, this.#created)
    ) {
      return previous;
    }
    this.#changed = false;
    this.#snapshotId = this.#id;
    this.#snapshotModel = this.#model;
    this.#snapshotCreated = this.#created;

    const list = this.#choices;
    if (this.#dirtyChoices.length > 0 || list.reordered) {
      let vector = this.#choiceVector;
      if (list.reordered) {
        for (const choice of this.#dirtyChoices) buildChoice(choice);
        vector = PersistentVector.of(list.items.map((choice) => choice.snap as ChatCompletionSnapshotChoice));
        list.reordered = false;
      } else {
        for (const choice of this.#dirtyChoices) vector = vector.set(choice.pos, buildChoice(choice));
      }
      this.#dirtyChoices = [];
      this.#choiceVector = vector;
      this.#choicesView = new ListView(vector.size, () => vector.toArray());
    }

    const snapshot = {
      id: this.#id,
      object: 'chat.completion',
      created: this.#created,
      model: this.#model,
    } as ChatCompletionSnapshot;
    if (this.#fields !== undefined) copyFields(snapshot, this.#fields);
    attachList(snapshot, 'choices', this.#choicesView);
    if (this.#usage !== undefined) snapshot.usage = this.#usage;
    this.#snapshot = snapshot;
    return snapshot;
  }

  /**
   * The finished `ChatCompletion`: the shape a non-streamed request returns. Does not change the
   * state (more chunks may be pushed and this called again).
   * @throws IncompleteStreamError `no-chunks` when no chunk was merged; `unfinished-choice`, with
   * `partial`, when a choice has no `finish_reason`.
   */
  toChatCompletion(): ChatCompletion {
    if (this.#chunkCount === 0) {
      throw new IncompleteStreamError('The stream completed without a single chunk', { reason: 'no-chunks' });
    }
    const choices = this.#choices.items;
    const unfinished = choices.filter((choice) => choice.finishReason === null).map((choice) => choice.index);
    if (unfinished.length > 0) {
      throw new IncompleteStreamError(
        `The stream completed, but ${unfinished.length === 1 ? 'choice' : 'choices'} ${unfinished.join(', ')} never got a finish_reason`,
        { reason: 'unfinished-choice', partial: this.snapshot() },
      );
    }
    const completion = {
      id: this.#id,
      object: 'chat.completion',
      created: this.#created,
      model: this.#model,
    } as ChatCompletion;
    if (this.#fields !== undefined) copyFields(completion, this.#fields);
    completion.choices = choices.map(finalChoice);
    if (this.#usage !== undefined) completion.usage = this.#usage;
    return completion;
  }
}

function newChoice(index: number): ChoiceState {
  return {
    index,
    pos: 0,
    finishReason: null,
    logprobs: null,
    fields: undefined,
    role: undefined,
    content: null,
    refusal: null,
    messageFields: undefined,
    functionCall: undefined,
    audio: undefined,
    toolCalls: undefined,
    dirty: false,
    messageDirty: false,
    logprobsDirty: false,
    dirtyToolCalls: [],
    snap: undefined,
    messageSnap: undefined,
    logprobsSnap: null,
    toolCallVector: EMPTY_TOOL_CALLS,
    toolCallView: undefined,
  };
}

function newToolCall(index: number): ToolCallState {
  return {
    index,
    pos: 0,
    id: undefined,
    type: undefined,
    name: undefined,
    arguments: '',
    functionFields: undefined,
    fields: undefined,
    dirty: false,
  };
}

function mergeFunction(call: ToolCallState, fn: JsonObject, position: number, i: number): void {
  for (const key in fn) {
    const value = fn[key];
    switch (key) {
      case 'name':
        if (typeof value === 'string') {
          if (value !== '') call.name = value;
        } else if (value != null) throw new InvalidChunkError(`${toolCallAt(position, i)}.function.name`, value, 'a string');
        break;
      case 'arguments':
        if (typeof value === 'string') call.arguments += value;
        else if (value != null) throw new InvalidChunkError(`${toolCallAt(position, i)}.function.arguments`, value, 'a string');
        break;
      default:
        writeField((call.functionFields ??= newFields()), key, value);
    }
  }
}

function mergeFunctionCall(state: FunctionCallState, fn: JsonObject, position: number): void {
  for (const key in fn) {
    const value = fn[key];
    switch (key) {
      case 'name':
        if (typeof value === 'string') {
          if (value !== '') state.name = value;
        } else if (value != null) throw new InvalidChunkError(`${choicePath(position)}.delta.function_call.name`, value, 'a string');
        break;
      case 'arguments':
        if (typeof value === 'string') state.arguments += value;
        else if (value != null) throw new InvalidChunkError(`${choicePath(position)}.delta.function_call.arguments`, value, 'a string');
        break;
      default:
        writeField((state.fields ??= newFields()), key, value);
    }
  }
}

/** `audio` deltas: `data` and `transcript` are concatenated, the rest (`id`, `expires_at`) set. */
function mergeAudio(state: Fields, audio: JsonObject): void {
  for (const key in audio) {
    const value = audio[key];
    if ((key === 'data' || key === 'transcript') && typeof value === 'string') {
      const current = state.get(key);
      state.set(key, typeof current === 'string' ? current + value : value);
    } else {
      writeField(state, key, value);
    }
  }
}

/** Logprobs: the `content` and `refusal` arrays are appended, other fields set. */
function mergeLogprobs(choice: ChoiceState, logprobs: JsonObject, position: number): void {
  const state = (choice.logprobs ??= { content: null, refusal: null, fields: undefined });
  for (const key in logprobs) {
    const value = logprobs[key];
    switch (key) {
      case 'content':
      case 'refusal':
        if (Array.isArray(value)) {
          const target = (state[key] ??= []);
          for (let i = 0; i < value.length; i++) target.push(value[i]);
        } else if (value != null) throw new InvalidChunkError(`${choicePath(position)}.logprobs.${key}`, value, 'an array');
        break;
      default:
        writeField((state.fields ??= newFields()), key, value);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Snapshots: rebuild what changed, reuse the rest.

function buildChoice(choice: ChoiceState): ChatCompletionSnapshotChoice {
  if (choice.messageDirty || choice.messageSnap === undefined) {
    choice.messageSnap = buildMessage(choice);
    choice.messageDirty = false;
  }
  if (choice.logprobsDirty) {
    choice.logprobsSnap = choice.logprobs === null ? null : buildLogprobs(choice.logprobs);
    choice.logprobsDirty = false;
  }
  const snap: ChatCompletionSnapshotChoice = {
    index: choice.index,
    message: choice.messageSnap,
    finish_reason: choice.finishReason as ChatCompletionSnapshotChoice['finish_reason'],
    logprobs: choice.logprobsSnap,
  };
  if (choice.fields !== undefined) copyFields(snap, choice.fields);
  choice.snap = snap;
  choice.dirty = false;
  return snap;
}

function buildMessage(choice: ChoiceState): ChatCompletionSnapshotMessage {
  const message: ChatCompletionSnapshotMessage =
    choice.role === undefined
      ? { content: choice.content, refusal: choice.refusal }
      : { role: choice.role, content: choice.content, refusal: choice.refusal };
  if (choice.messageFields !== undefined) copyFields(message, choice.messageFields);
  if (choice.functionCall !== undefined) message.function_call = buildFunctionCall(choice.functionCall);
  if (choice.audio !== undefined) {
    const audio = {};
    copyFields(audio, choice.audio);
    message['audio'] = audio;
  }
  const calls = choice.toolCalls;
  if (calls !== undefined) {
    if (choice.dirtyToolCalls.length > 0 || calls.reordered || choice.toolCallView === undefined) {
      let vector = choice.toolCallVector;
      if (calls.reordered) {
        vector = PersistentVector.of(calls.items.map(buildToolCall));
        for (const call of choice.dirtyToolCalls) call.dirty = false;
        calls.reordered = false;
      } else {
        for (const call of choice.dirtyToolCalls) {
          vector = vector.set(call.pos, buildToolCall(call));
          call.dirty = false;
        }
      }
      choice.dirtyToolCalls = [];
      choice.toolCallVector = vector;
      choice.toolCallView = new ListView(vector.size, () => vector.toArray());
    }
    attachList(message, 'tool_calls', choice.toolCallView);
  }
  return message;
}

function buildToolCall(call: ToolCallState): ChatCompletionSnapshotToolCall {
  const fn: ChatCompletionSnapshotToolCall['function'] = { arguments: call.arguments };
  if (call.name !== undefined) fn.name = call.name;
  if (call.functionFields !== undefined) copyFields(fn, call.functionFields);
  const snap: ChatCompletionSnapshotToolCall = { index: call.index, function: fn };
  if (call.id !== undefined) snap.id = call.id;
  if (call.type !== undefined) snap.type = call.type;
  if (call.fields !== undefined) copyFields(snap, call.fields);
  return snap;
}

function buildFunctionCall(state: FunctionCallState): { name?: string; arguments: string } {
  const fn: { name?: string; arguments: string } = { arguments: state.arguments };
  if (state.name !== undefined) fn.name = state.name;
  if (state.fields !== undefined) copyFields(fn, state.fields);
  return fn;
}

function buildLogprobs(state: LogprobsState): NonNullable<ChatCompletionSnapshotChoice['logprobs']> {
  const logprobs = {} as NonNullable<ChatCompletionSnapshotChoice['logprobs']>;
  if (state.fields !== undefined) copyFields(logprobs, state.fields);
  attachPrefix(logprobs, 'content', state.content);
  attachPrefix(logprobs, 'refusal', state.refusal);
  return logprobs;
}

/** Shows the first `backing.length` entries of an append-only array, as they are now, forever. */
function attachPrefix(target: object, key: string, backing: unknown[] | null): void {
  if (backing === null) {
    (target as JsonObject)[key] = null;
    return;
  }
  const length = backing.length;
  attachList(target, key, new ListView(length, () => backing.slice(0, length)));
}

// ---------------------------------------------------------------------------------------------
// The finished completion: plain objects and arrays, built once from the state. The strings that
// were grown piece by piece (content, refusal, arguments, concatenated unknown delta fields, audio)
// are flattened here, once (`flatten.ts`): a long rope costs several times the text in heap.

function finalChoice(choice: ChoiceState): ChatCompletion.Choice {
  const message = {
    role: choice.role ?? 'assistant',
    content: flatten(choice.content),
    refusal: flatten(choice.refusal),
  } as ChatCompletion.Choice['message'];
  if (choice.messageFields !== undefined) {
    flattenFields(choice.messageFields);
    copyFields(message, choice.messageFields);
  }
  if (choice.functionCall !== undefined) {
    flatten(choice.functionCall.arguments);
    message.function_call = buildFunctionCall(choice.functionCall) as NonNullable<ChatCompletion.Choice['message']['function_call']>;
    message.function_call.name ??= '';
  }
  if (choice.audio !== undefined) {
    const audio = {};
    flattenFields(choice.audio);
    copyFields(audio, choice.audio);
    message.audio = audio as ChatCompletion.Choice['message']['audio'];
  }
  if (choice.toolCalls !== undefined && choice.toolCalls.items.length > 0) {
    message.tool_calls = choice.toolCalls.items.map(finalToolCall);
  }
  let logprobs: ChatCompletion.Choice['logprobs'] = null;
  if (choice.logprobs !== null) {
    const state = choice.logprobs;
    logprobs = {} as NonNullable<ChatCompletion.Choice['logprobs']>;
    if (state.fields !== undefined) copyFields(logprobs, state.fields);
    logprobs.content = (state.content?.slice() ?? null) as typeof logprobs.content;
    logprobs.refusal = (state.refusal?.slice() ?? null) as typeof logprobs.refusal;
  }
  const result = {} as ChatCompletion.Choice;
  if (choice.fields !== undefined) copyFields(result, choice.fields);
  result.index = choice.index;
  result.message = message;
  result.finish_reason = choice.finishReason as ChatCompletion.Choice['finish_reason'];
  result.logprobs = logprobs;
  return result;
}

/** A tool call as the API returns it: no `index`; `id`, `type`, `name` filled when none came. */
function finalToolCall(call: ToolCallState): NonNullable<ChatCompletion.Choice['message']['tool_calls']>[number] {
  const fn = {} as JsonObject;
  if (call.functionFields !== undefined) copyFields(fn, call.functionFields);
  fn['name'] = call.name ?? '';
  fn['arguments'] = flatten(call.arguments);
  const result = {} as JsonObject;
  if (call.fields !== undefined) copyFields(result, call.fields);
  result['id'] = call.id ?? '';
  result['type'] = call.type ?? 'function';
  result['function'] = fn;
  return result as unknown as NonNullable<ChatCompletion.Choice['message']['tool_calls']>[number];
}

/** Flattens the long strings of a field store (unknown delta fields and `audio` are concatenated). */
function flattenFields(fields: Fields): void {
  for (const value of fields.values()) flatten(value);
}

/** Appends a `content` delta: a string as soon as any string came, even ""; returns whether it changed. */
function appendContent(choice: ChoiceState, piece: string): boolean {
  if (choice.content === null) choice.content = piece;
  else if (piece.length !== 0) choice.content += piece;
  else return false;
  return true;
}

/**
 * Whether a choice has no key but the known ones, given the values of those already read: as many
 * keys as known fields present (reading by name, then counting, beats a switch over every key).
 */
function hasOnlyChoiceKeys(record: JsonObject, index: unknown, delta: unknown, finishReason: unknown, logprobs: unknown): boolean {
  let known = 0;
  if (index !== undefined) known++;
  if (delta !== undefined) known++;
  if (finishReason !== undefined) known++;
  if (logprobs !== undefined) known++;
  if (record['obfuscation'] !== undefined) known++;
  let keys = 0;
  for (const _ in record) keys++;
  return keys === known;
}


const REASONING: ReadonlySet<string> = new Set(REASONING_FIELDS);

/** The token counts of a usage the API reports (its `*_details` are kept as they come). */
const USAGE_COUNTS = ['prompt_tokens', 'completion_tokens', 'total_tokens'] as const;

/** Whether `value` is a usage object whose token counts, where present, are numbers of tokens. */
function isUsage(value: unknown): boolean {
  if (!isObject(value)) return false;
  for (const key of USAGE_COUNTS) {
    const count = value[key];
    if (count !== undefined && !isTokenCount(count)) return false;
  }
  return true;
}

function isTokenCount(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

/** Throws an `InvalidChunkError` naming what is wrong with a non-null `usage` that {@link isUsage} rejects. */
function checkUsage(value: unknown): void {
  if (!isObject(value)) throw new InvalidChunkError('chunk.usage', value, 'an object');
  for (const key of USAGE_COUNTS) {
    const count = value[key];
    if (count !== undefined && !isTokenCount(count)) throw new InvalidChunkError(`chunk.usage.${key}`, count, 'a whole number of tokens');
  }
}

function toolCallAt(position: number, i: number): string {
  return `${choicePath(position)}.delta.tool_calls[${i}]`;
}

