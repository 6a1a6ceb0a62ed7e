/*
 * Snapshots: the state as an immutable `ChatCompletionSnapshot`, rebuilding only the objects on a
 * changed path and reusing the previous snapshot's objects for everything else:
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
 */
import type {
  ChatCompletionSnapshot,
  ChatCompletionSnapshotChoice,
  ChatCompletionSnapshotMessage,
  ChatCompletionSnapshotToolCall,
} from '../types.js';
import { copyFields, type JsonObject } from './fields.js';
import { PersistentVector } from './persistentVector.js';
import { isCustomCall, type ChoiceState, type CompletionState, type FunctionState, type LogprobsState, type ToolCallState } from './state.js';
import { attachList, ListView } from './views.js';

/**
 * What the stream has said so far. Returns the previous snapshot object when nothing it shows
 * changed since (the merge's marks, and `id`, `model`, `created` compared here); otherwise a new
 * one that shares every unchanged part with the previous one.
 */
export function buildSnapshot(state: CompletionState): ChatCompletionSnapshot {
  const previous = state.snapshot;
  if (
    !state.changed &&
    previous !== undefined &&
    state.snapshotId === state.id &&
    state.snapshotModel === state.model &&
    Object.is(state.snapshotCreated, state.created)
  ) {
    return previous;
  }
  state.changed = false;
  state.snapshotId = state.id;
  state.snapshotModel = state.model;
  state.snapshotCreated = state.created;

  const list = state.choices;
  if (state.dirtyChoices.length > 0 || list.reordered) {
    let vector = state.choiceVector;
    if (list.reordered) {
      for (const choice of state.dirtyChoices) buildChoice(choice);
      vector = PersistentVector.of(list.items.map((choice) => choice.snap as ChatCompletionSnapshotChoice));
      list.reordered = false;
    } else {
      for (const choice of state.dirtyChoices) vector = vector.set(choice.pos, buildChoice(choice));
    }
    state.dirtyChoices = [];
    state.choiceVector = vector;
    state.choicesView = new ListView(vector.size, () => vector.toArray());
  }

  const snapshot = { id: state.id, object: 'chat.completion', created: state.created, model: state.model } as ChatCompletionSnapshot;
  if (state.fields !== undefined) copyFields(snapshot, state.fields);
  attachList(snapshot, 'choices', state.choicesView);
  if (state.usage !== undefined) snapshot.usage = state.usage;
  state.snapshot = snapshot;
  return snapshot;
}

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
  if (choice.functionCall !== undefined) message.function_call = buildFunction(choice.functionCall);
  if (choice.audio !== undefined) {
    const audio = {};
    copyFields(audio, choice.audio);
    message['audio'] = audio;
  }
  const calls = choice.toolCalls;
  // The list is made before its first delta is checked: a refused first delta leaves it empty,
  // and `tool_calls` appears only once a call came (as in finalise.ts).
  if (calls !== undefined && calls.items.length > 0) {
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

/**
 * A tool call so far, with its stream `index`: a function call has `function` (with `name` once it
 * came, and the `arguments` so far), a custom call has `custom` (`name` once it came, the `input`
 * so far); `id` and `type` once they came.
 */
function buildToolCall(call: ToolCallState): ChatCompletionSnapshotToolCall {
  const snap = { index: call.index } as ChatCompletionSnapshotToolCall;
  if (call.id !== undefined) snap.id = call.id;
  if (call.type !== undefined) snap.type = call.type;
  if (isCustomCall(call)) {
    const custom: JsonObject = { input: call.custom?.input ?? '' };
    if (call.custom?.name !== undefined) custom['name'] = call.custom.name;
    if (call.custom?.fields !== undefined) copyFields(custom, call.custom.fields);
    (snap as JsonObject)['custom'] = custom;
  } else {
    (snap as JsonObject)['function'] = call.function === undefined ? { arguments: '' } : buildFunction(call.function);
  }
  if (call.fields !== undefined) copyFields(snap, call.fields);
  return snap;
}

/** `{ name?, arguments, …unknown }`: a tool call's function so far, or the legacy `function_call`. */
export function buildFunction(fn: FunctionState): { name?: string; arguments: string } {
  const out: { name?: string; arguments: string } = { arguments: fn.arguments };
  if (fn.name !== undefined) out.name = fn.name;
  if (fn.fields !== undefined) copyFields(out, fn.fields);
  return out;
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
