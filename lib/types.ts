/**
 * The types the toolkit speaks in, all its own: the wire types of the API (`types/completion.ts`
 * and `types/chunk.ts`: what a request returns; `types/request.ts`: what it sends), written from
 * the API reference and structurally compatible with the `openai` SDK's of versions 5 to 7 without
 * importing it (so the published declarations need no SDK); the snapshot and the event.
 */
import type { ChatCompletion, CompletionUsage } from './types/completion.js';

export type {
  ChatCompletion,
  ChatCompletionAudio,
  ChatCompletionMessage,
  ChatCompletionMessageCustomToolCall,
  ChatCompletionMessageFunctionToolCall,
  ChatCompletionMessageToolCall,
  ChatCompletionTokenLogprob,
  CompletionUsage,
} from './types/completion.js';
export type { ChatCompletionChunk } from './types/chunk.js';
export type {
  ChatCompletionAssistantMessageParam,
  ChatCompletionContentPart,
  ChatCompletionContentPartFile,
  ChatCompletionContentPartImage,
  ChatCompletionContentPartInputAudio,
  ChatCompletionContentPartRefusal,
  ChatCompletionContentPartText,
  ChatCompletionCreateParamsBase,
  ChatCompletionCreateParamsStreaming,
  ChatCompletionCustomTool,
  ChatCompletionDeveloperMessageParam,
  ChatCompletionFunctionMessageParam,
  ChatCompletionFunctionTool,
  ChatCompletionMessageParam,
  ChatCompletionPromptCacheBreakpoint,
  ChatCompletionStreamOptions,
  ChatCompletionSystemMessageParam,
  ChatCompletionTool,
  ChatCompletionToolChoiceOption,
  ChatCompletionToolMessageParam,
  ChatCompletionUserMessageParam,
} from './types/request.js';

/** One server-sent event, as the WHATWG EventSource rules dispatch it. */
export interface ServerSentEvent {
  /** The event type: the last `event:` field, or `'message'` when none was given. */
  event: string;
  /** The `data:` lines of the event joined with `\n`. */
  data: string;
  /** The last event ID seen so far in the stream (`''` when none). */
  id: string;
  /** The reconnection time in ms, when this event's block carried a valid `retry:` field. */
  retry?: number;
}

/**
 * A tool call being rebuilt from its deltas: a function call (with `function`) or a custom call
 * (with `custom`). Tell them apart with `call.custom !== undefined` (or `call.function`).
 */
export type ChatCompletionSnapshotToolCall = ChatCompletionSnapshotFunctionToolCall | ChatCompletionSnapshotCustomToolCall;

/** A function call being rebuilt: `function.name` once it came, the `arguments` so far. */
export interface ChatCompletionSnapshotFunctionToolCall {
  /** The call's stream `index`. */
  index: number;
  id?: string;
  type?: 'function' | (string & {});
  function: { name?: string; arguments: string; [key: string]: unknown };
  custom?: never;
  [key: string]: unknown;
}

/** A custom tool call being rebuilt (`type: 'custom'`): `custom.name` once it came, the `input` so far. */
export interface ChatCompletionSnapshotCustomToolCall {
  /** The call's stream `index`. */
  index: number;
  id?: string;
  type?: 'custom';
  custom: { name?: string; input: string; [key: string]: unknown };
  function?: never;
  [key: string]: unknown;
}

/** The message of one choice so far. */
export interface ChatCompletionSnapshotMessage {
  role?: 'assistant' | 'developer' | 'system' | 'user' | 'tool' | (string & {});
  /** A string as soon as any string piece came (even `""`), `null` while none did. */
  content: string | null;
  /** From non-empty pieces only. */
  refusal: string | null;
  tool_calls?: ChatCompletionSnapshotToolCall[];
  function_call?: { name?: string; arguments: string };
  /** Unknown string fields of `delta` (`reasoning_content`, …), concatenated. */
  [key: string]: unknown;
}

/** One choice so far. */
export interface ChatCompletionSnapshotChoice {
  index: number;
  message: ChatCompletionSnapshotMessage;
  finish_reason: ChatCompletion.Choice['finish_reason'] | null;
  logprobs: ChatCompletion.Choice['logprobs'] | null;
  [key: string]: unknown;
}

/**
 * What the stream has said so far, in the shape of a `ChatCompletion` whose fields may still be
 * incomplete. Every snapshot is frozen in spirit: the toolkit never mutates one it has emitted.
 */
export interface ChatCompletionSnapshot {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: ChatCompletionSnapshotChoice[];
  usage?: CompletionUsage;
  system_fingerprint?: string;
  service_tier?: string | null;
  [key: string]: unknown;
}
