/**
 * The types the toolkit speaks in. Chunk, completion and usage types are the `openai` SDK's own
 * (imported as types only, so the runtime never needs the SDK); the snapshot and the event are ours.
 */
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionMessageParam,
  ChatCompletionTool,
  ChatCompletionCreateParamsStreaming,
} from 'openai/resources/chat/completions';
import type { CompletionUsage } from 'openai/resources/completions';

export type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionMessageParam,
  ChatCompletionTool,
  ChatCompletionCreateParamsStreaming,
  CompletionUsage,
};

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

/** A tool call being rebuilt from its deltas. */
export interface ChatCompletionSnapshotToolCall {
  index: number;
  id?: string;
  type?: 'function' | (string & {});
  function: { name?: string; arguments: string; [key: string]: unknown };
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
