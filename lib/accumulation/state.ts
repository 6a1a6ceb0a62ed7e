/*
 * The state the merge builds: plain mutable records, strings grown by `+=` (V8 keeps them as
 * ropes), logprobs appended to arrays, entries kept sorted by `index`. The merge (`merge.ts`)
 * writes it and marks what it changed; the snapshots (`snapshot.ts`) and the finished completion
 * (`finalise.ts`) read it. Nothing here knows a rule of the API.
 */
import type {
  ChatCompletionSnapshot,
  ChatCompletionSnapshotChoice,
  ChatCompletionSnapshotMessage,
  ChatCompletionSnapshotToolCall,
  CompletionUsage,
} from '../types.js';
import type { Fields } from './fields.js';
import { PersistentVector } from './persistentVector.js';
import { ListView } from './views.js';

/** An entry of a list the API indexes (a choice, a tool call). */
export interface Indexed {
  /** The `index` the API gave the entry. */
  index: number;
  /** Its position in the list sorted by `index`. */
  pos: number;
}

/** A function's name and arguments: a tool call's `function`, and the legacy `function_call`. */
export interface FunctionState {
  name: string | undefined;
  arguments: string;
  /** Unknown fields. */
  fields: Fields | undefined;
}

/** A custom tool call's `custom`: its name and its free-form `input`. */
export interface CustomState {
  name: string | undefined;
  input: string;
  /** Unknown fields. */
  fields: Fields | undefined;
}

/** One tool call being rebuilt. It is a function call unless a `custom` part (or `type: 'custom'`) came. */
export interface ToolCallState extends Indexed {
  id: string | undefined;
  type: string | undefined;
  function: FunctionState | undefined;
  custom: CustomState | undefined;
  /** Unknown fields of the tool call. */
  fields: Fields | undefined;
  /** Changed since the last snapshot. */
  dirty: boolean;
}

/** A choice's logprobs: the `content` and `refusal` lists are append-only. */
export interface LogprobsState {
  content: unknown[] | null;
  refusal: unknown[] | null;
  fields: Fields | undefined;
}

/** One choice being rebuilt, and what its last snapshot showed. */
export interface ChoiceState extends Indexed {
  finishReason: string | null;
  logprobs: LogprobsState | null;
  /** Unknown choice-level fields (`content_filter_results`, …). */
  fields: Fields | undefined;
  role: string | undefined;
  content: string | null;
  refusal: string | null;
  /** Unknown `delta` fields (`reasoning_content`, `annotations`, …). */
  messageFields: Fields | undefined;
  functionCall: FunctionState | undefined;
  audio: Fields | undefined;
  toolCalls: IndexedList<ToolCallState> | undefined;
  /**
   * Stream indexes that a server reused for a new call (Ollama: every call with `index: 0`), and
   * the call each now names (`mergeToolCalls.ts`, `toolCallFor`). Absent until that happens.
   */
  reusedToolCallIndexes: Map<number, ToolCallState> | undefined;

  // What changed since the last snapshot (set by the merge, cleared by the snapshot).
  dirty: boolean;
  messageDirty: boolean;
  logprobsDirty: boolean;
  dirtyToolCalls: ToolCallState[];
  // What the last snapshot showed (owned by `snapshot.ts`).
  snap: ChatCompletionSnapshotChoice | undefined;
  messageSnap: ChatCompletionSnapshotMessage | undefined;
  logprobsSnap: ChatCompletionSnapshotChoice['logprobs'];
  toolCallVector: PersistentVector<ChatCompletionSnapshotToolCall>;
  toolCallView: ListView<ChatCompletionSnapshotToolCall> | undefined;
}

/** The whole completion being rebuilt. */
/**
 * Told of each piece the merge appends to a tool call: a function's `arguments`, a custom call's
 * `input` (for operators that follow a call as it streams, `toolCallArguments()`).
 */
export type ToolCallPieceListener = (choice: ChoiceState, call: ToolCallState, piece: string) => void;

export interface CompletionState {
  chunkCount: number;
  /** Told of each piece appended to a tool call (undefined: nobody listens). */
  onToolCallPiece: ToolCallPieceListener | undefined;
  id: string;
  created: number;
  model: string;
  /** Other top-level fields (`system_fingerprint`, `service_tier`, `moderation`, …). */
  fields: Fields | undefined;
  usage: CompletionUsage | undefined;
  /**
   * The `service_tier` and `system_fingerprint` last merged: both repeat on every chunk of today's
   * streams, and an equal value is known to change nothing.
   */
  lastTier: unknown;
  lastFingerprint: unknown;
  readonly choices: IndexedList<ChoiceState>;

  /** Something a snapshot shows changed since the last one (but `id`, `model`, `created`: compared then). */
  changed: boolean;
  dirtyChoices: ChoiceState[];
  // What the last snapshot showed (owned by `snapshot.ts`).
  snapshot: ChatCompletionSnapshot | undefined;
  snapshotId: string;
  snapshotModel: string;
  snapshotCreated: number;
  choiceVector: PersistentVector<ChatCompletionSnapshotChoice>;
  choicesView: ListView<ChatCompletionSnapshotChoice>;
}

/** Entries kept sorted by `index`, found fast in the shapes real streams have. */
export class IndexedList<S extends Indexed> {
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

  /** The entry with the highest index, if any. */
  last(): S | undefined {
    return this.items[this.items.length - 1];
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

export function newCompletionState(): CompletionState {
  return {
    chunkCount: 0,
    onToolCallPiece: undefined,
    id: '',
    created: 0,
    model: '',
    fields: undefined,
    usage: undefined,
    lastTier: undefined,
    lastFingerprint: undefined,
    choices: new IndexedList<ChoiceState>(),
    changed: true,
    dirtyChoices: [],
    snapshot: undefined,
    snapshotId: '',
    snapshotModel: '',
    snapshotCreated: 0,
    choiceVector: PersistentVector.empty<ChatCompletionSnapshotChoice>(),
    choicesView: new ListView<ChatCompletionSnapshotChoice>(0, () => []),
  };
}

export function newChoice(index: number): ChoiceState {
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
    reusedToolCallIndexes: undefined,
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

export function newToolCall(index: number): ToolCallState {
  return { index, pos: 0, id: undefined, type: undefined, function: undefined, custom: undefined, fields: undefined, dirty: false };
}

export function newFunction(): FunctionState {
  return { name: undefined, arguments: '', fields: undefined };
}

export function newCustom(): CustomState {
  return { name: undefined, input: '', fields: undefined };
}

/** Whether a tool call is a custom one (`type: 'custom'`, or a `custom` part came). */
export function isCustomCall(call: ToolCallState): boolean {
  return call.custom !== undefined || call.type === 'custom';
}

/** Marks a choice changed: the next snapshot rebuilds it. */
export function touch(state: CompletionState, choice: ChoiceState): void {
  state.changed = true;
  if (!choice.dirty) {
    choice.dirty = true;
    state.dirtyChoices.push(choice);
  }
}

/** Marks a tool call changed (before its fields are merged: a malformed field may throw after). */
export function touchToolCall(choice: ChoiceState, call: ToolCallState): void {
  if (!call.dirty) {
    call.dirty = true;
    choice.dirtyToolCalls.push(call);
  }
}
