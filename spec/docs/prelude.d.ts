/**
 * The names the docs' examples use without defining them, by convention: a client, a shared
 * stream of chunks, a request, and the app's own functions. A block that defines one of them
 * itself shadows this declaration. (The package's own exports need no import in a short snippet
 * either: spec/docs/examples.spec.ts adds the import a block leaves out.)
 */
import type OpenAI from 'openai';
import type { Observable } from 'rxjs';
import type { ChatCompletionChunk } from '../../lib/index.js';

/** The request types an app that uses the SDK has: the SDK's own (ours accept them). */
type ChatCompletionCreateParamsStreaming = OpenAI.ChatCompletionCreateParamsStreaming;
type ChatCompletionMessageParam = OpenAI.ChatCompletionMessageParam;
type ChatCompletionTool = OpenAI.ChatCompletionTool;

declare global {
  /** `new OpenAI()`: reads OPENAI_API_KEY and OPENAI_BASE_URL. */
  const client: OpenAI;
  /** A shared stream of chunks: `fromChatCompletion(client, params).pipe(share())`. */
  const chunks$: Observable<ChatCompletionChunk>;
  /** The request a stream was made from. */
  const request: ChatCompletionCreateParamsStreaming;
  const params: ChatCompletionCreateParamsStreaming;
  const messages: ChatCompletionMessageParam[];
  const model: string;
  const tools: ChatCompletionTool[];
  const apiKey: string;
  /** One chunk. */
  const chunk: ChatCompletionChunk;
  /** The app's own functions. */
  function render(value: unknown): void;
  function save(value: unknown): void;
  function saveDraft(value: unknown): void;
  function showProgress(...values: unknown[]): void;
  const progress: { set(value: number): void };
  function showThinking(text: string): void;
  function showAnswer(text: string): void;
  function runTool(name: string, args: unknown): Promise<unknown>;
  function runCustom(name: string, input: string): Promise<unknown>;
  function appendTo(column: unknown, text: string): void;
  const columns: unknown[];
  function saveFirst(value: unknown): void;
  function saveSecond(value: unknown): void;
  /** An element the text goes into. */
  const output: HTMLElement;
}
