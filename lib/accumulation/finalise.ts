/*
 * The finished completion: plain objects and arrays, built once from the state, in the exact shape
 * a non-streamed request returns. The strings that were grown piece by piece (content, refusal,
 * arguments, custom inputs, concatenated unknown delta fields, audio) are flattened here, once
 * (`flatten.ts`): a long rope costs several times the text in heap.
 */
import { IncompleteStreamError } from '../errors.js';
import type { ChatCompletion } from '../types.js';
import { copyFields, type Fields, type JsonObject } from './fields.js';
import { flatten } from './flatten.js';
import { buildSnapshot, buildFunction } from './snapshot.js';
import { isCustomCall, type ChoiceState, type CompletionState, type ToolCallState } from './state.js';

type Message = ChatCompletion.Choice['message'];
type ToolCall = NonNullable<Message['tool_calls']>[number];

/**
 * What a lenient finish adds to a completion some choice of which never got its `finish_reason`
 * (the stream ended with `[DONE]` but without one, as llama.cpp and some vLLM versions do).
 */
export interface IncompleteMarker {
  reason: 'unfinished-choice';
  /** The indexes of the choices whose `finish_reason` is `null`: none came. */
  choices: number[];
}

/**
 * The finished `ChatCompletion`. Does not change the state (more chunks may be merged and this
 * called again). `lenient`: a choice without `finish_reason` finishes anyway, with
 * `finish_reason: null` (none came: no guess) and the completion says so in `incomplete`.
 * @throws IncompleteStreamError `no-chunks` when no chunk was merged; `unfinished-choice`, with
 * `partial`, when a choice has no `finish_reason` (unless `lenient`).
 */
export function finalise(state: CompletionState, lenient = false): ChatCompletion & { incomplete?: IncompleteMarker } {
  if (state.chunkCount === 0) {
    throw new IncompleteStreamError('The stream completed without a single chunk', { reason: 'no-chunks' });
  }
  const choices = state.choices.items;
  const unfinished = choices.filter((choice) => choice.finishReason === null).map((choice) => choice.index);
  if (unfinished.length > 0 && !lenient) {
    throw new IncompleteStreamError(
      `The stream completed, but ${unfinished.length === 1 ? 'choice' : 'choices'} ${unfinished.join(', ')} never got a finish_reason`,
      { reason: 'unfinished-choice', partial: buildSnapshot(state) },
    );
  }
  const completion = { id: state.id, object: 'chat.completion', created: state.created, model: state.model } as ChatCompletion & {
    incomplete?: IncompleteMarker;
  };
  if (state.fields !== undefined) copyFields(completion, state.fields);
  completion.choices = choices.map(finalChoice);
  if (state.usage !== undefined) completion.usage = state.usage;
  if (unfinished.length > 0) completion.incomplete = { reason: 'unfinished-choice', choices: unfinished };
  return completion;
}

function finalChoice(choice: ChoiceState): ChatCompletion.Choice {
  const message = { role: choice.role ?? 'assistant', content: flatten(choice.content), refusal: flatten(choice.refusal) } as Message;
  if (choice.messageFields !== undefined) {
    flattenFields(choice.messageFields);
    copyFields(message, choice.messageFields);
  }
  if (choice.functionCall !== undefined) {
    flatten(choice.functionCall.arguments);
    const fn = buildFunction(choice.functionCall);
    fn.name ??= '';
    message.function_call = fn as NonNullable<Message['function_call']>;
  }
  if (choice.audio !== undefined) {
    const audio = {};
    flattenFields(choice.audio);
    copyFields(audio, choice.audio);
    message.audio = audio as Message['audio'];
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

/**
 * A tool call as the API returns it: no `index`; `id` and `type` filled when none came. A function
 * call has `function: { name, arguments }` (`name` `''` when none came); a custom call has
 * `type: 'custom'` and `custom: { name, input }`, and no `function`. Also what `toolCalls()` emits
 * each call from (the one place of these rules).
 */
export function finalToolCall(call: ToolCallState): ToolCall {
  const result = {} as JsonObject;
  if (call.fields !== undefined) copyFields(result, call.fields);
  result['id'] = call.id ?? '';
  if (isCustomCall(call)) {
    const custom = {} as JsonObject;
    if (call.custom?.fields !== undefined) copyFields(custom, call.custom.fields);
    custom['name'] = call.custom?.name ?? '';
    custom['input'] = flatten(call.custom?.input ?? '');
    result['type'] = 'custom';
    result['custom'] = custom;
  } else {
    const fn = {} as JsonObject;
    if (call.function?.fields !== undefined) copyFields(fn, call.function.fields);
    fn['name'] = call.function?.name ?? '';
    fn['arguments'] = flatten(call.function?.arguments ?? '');
    result['type'] = call.type ?? 'function';
    result['function'] = fn;
  }
  return result as unknown as ToolCall;
}

/** Flattens the long strings of a field store (unknown delta fields and `audio` are concatenated). */
function flattenFields(fields: Fields): void {
  for (const value of fields.values()) flatten(value);
}
