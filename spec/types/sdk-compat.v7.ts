/**
 * Our wire types against the `openai` SDK 7's (the dev dependency `openai7`, an alias of `openai@^7`), structurally.
 * A type test: compiled, never run (`sdk-compat.spec.ts` compiles it with `exactOptionalPropertyTypes`,
 * and the project's type-check compiles it too); a line that stops compiling, or an `@ts-expect-error`
 * that stops erring, fails `npm test`.
 *
 * SDK → ours: every type holds (the SDK's values flow into the toolkit).
 * Ours → SDK 7: every type holds too: ours are the API as openai 7 types it, plus optional fields of
 * compatible servers (`reasoning_content`, Azure's filter results), which the SDK's types allow.
 */
import OpenAI, { AzureOpenAI } from 'openai7';
import type * as SDK from 'openai7/resources/chat/completions';
import type { CompletionUsage as SDKCompletionUsage } from 'openai7/resources/completions';
import type { Observable } from 'rxjs';
import { countPromptTokens, fromChatCompletion, usage, withUsage } from '../../lib/index.js';
import type * as Ours from '../../lib/index.js';
import type { Equal } from './equal.js';

declare const sdk: {
  chunk: SDK.ChatCompletionChunk;
  completion: SDK.ChatCompletion;
  message: SDK.ChatCompletionMessage;
  toolCall: SDK.ChatCompletionMessageToolCall;
  logprob: SDK.ChatCompletionTokenLogprob;
  usage: SDKCompletionUsage;
  messages: SDK.ChatCompletionMessageParam[];
  tools: SDK.ChatCompletionTool[];
  request: SDK.ChatCompletionCreateParamsStreaming;
  base: SDK.ChatCompletionCreateParamsBase;
};
declare const ours: {
  chunk: Ours.ChatCompletionChunk;
  completion: Ours.ChatCompletion;
  message: Ours.ChatCompletionMessage;
  toolCall: Ours.ChatCompletionMessageToolCall;
  logprob: Ours.ChatCompletionTokenLogprob;
  usage: Ours.CompletionUsage;
  messages: Ours.ChatCompletionMessageParam[];
  tools: Ours.ChatCompletionTool[];
  request: Ours.ChatCompletionCreateParamsStreaming;
};

// SDK → ours: all of them.
export const sdkToOurs: unknown[] = [
  ((x: Ours.ChatCompletionChunk) => x)(sdk.chunk),
  ((x: Ours.ChatCompletionChunk.Choice.Delta) => x)(sdk.chunk.choices[0]!.delta),
  ((x: Ours.ChatCompletion) => x)(sdk.completion),
  ((x: Ours.ChatCompletionMessage) => x)(sdk.message),
  ((x: Ours.ChatCompletionMessageToolCall) => x)(sdk.toolCall),
  ((x: Ours.ChatCompletionTokenLogprob) => x)(sdk.logprob),
  ((x: Ours.CompletionUsage) => x)(sdk.usage),
  ((x: Ours.ChatCompletionMessageParam[]) => x)(sdk.messages),
  ((x: Ours.ChatCompletionTool[]) => x)(sdk.tools),
  ((x: Ours.ChatCompletionCreateParamsStreaming) => x)(sdk.request),
  ((x: Ours.ChatCompletionCreateParamsBase) => x)(sdk.base),
  // What users hand the toolkit: SDK-typed requests and messages.
  usage(sdk.request),
  withUsage(sdk.request),
  countPromptTokens(sdk.messages, 'gpt-4o-mini', sdk.tools),
];

// Ours → SDK 7: all of them.
export const oursToSDK: unknown[] = [
  ((x: SDK.ChatCompletionMessage) => x)(ours.message),
  // The answer goes back into the conversation as it is.
  ((x: SDK.ChatCompletionMessageParam) => x)(ours.message),
  ((x: SDK.ChatCompletionMessageToolCall) => x)(ours.toolCall),
  ((x: SDK.ChatCompletionTokenLogprob) => x)(ours.logprob),
  ((x: SDKCompletionUsage) => x)(ours.usage),
  ((x: SDK.ChatCompletionTool[]) => x)(ours.tools),
  ((x: SDK.ChatCompletion) => x)(ours.completion),
  ((x: SDK.ChatCompletionChunk) => x)(ours.chunk),
  ((x: SDK.ChatCompletionMessageParam[]) => x)(ours.messages),
  ((x: SDK.ChatCompletionCreateParamsStreaming) => x)(ours.request),
];

// fromChatCompletion takes the SDK's clients as they are, and emits our chunks.
const client = new OpenAI({ apiKey: 'sk-test' });
const request = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'Hi' }] };
const chunks$ = fromChatCompletion(client, request);
// A request typed with our own types goes to the SDK's client too (ours may name newer values).
export const fromOurs$: Observable<Ours.ChatCompletionChunk> = fromChatCompletion(client, ours.request);
const azure$ = fromChatCompletion(new AzureOpenAI({ apiKey: 'k', endpoint: 'http://127.0.0.1:9', apiVersion: '2024-10-21' }), sdk.request, {
  requestOptions: { headers: { 'x-trace': '1' }, timeout: 1000 },
});
export const inferred: [Equal<typeof chunks$, Observable<Ours.ChatCompletionChunk>>, Equal<typeof azure$, Observable<Ours.ChatCompletionChunk>>] = [
  true,
  true,
];

// The chunks are typed, not `any`.
chunks$.subscribe((chunk) => {
  const text: string | null | undefined = chunk.choices[0]?.delta.content;
  // @ts-expect-error delta.content is string | null | undefined, not a number
  const n: number = chunk.choices[0]!.delta.content;
  // @ts-expect-error finish_reason is the API's union
  const reason: 'eos' | null = chunk.choices[0]!.finish_reason;
  return [text, n, reason];
});
