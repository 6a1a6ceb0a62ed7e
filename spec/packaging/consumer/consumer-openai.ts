/**
 * A user's file with the `openai` SDK installed: its client goes to `fromChatCompletion` as it is
 * (under `exactOptionalPropertyTypes` too), SDK-typed requests and messages go to the toolkit, and
 * the chunks that come out are the toolkit's own type. Type-checked by `spec/packaging.spec.ts`
 * only where `openai` is installed. Never run.
 */
import OpenAI from 'openai';
import type {
  ChatCompletionChunk as SDKChatCompletionChunk,
  ChatCompletionCreateParamsStreaming,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions';
import type { Observable } from 'rxjs';
import { countPromptTokens, fromChatCompletion, usage, type ChatCompletion, type ChatCompletionChunk } from 'rxjs-chat-stream';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
declare function is<T>(): <U>(value: U, ...exact: Equal<T, U> extends true ? [] : [never]) => U;

const client = new OpenAI({ apiKey: 'sk-test', baseURL: 'http://127.0.0.1:8787/v1' });
const request: ChatCompletionCreateParamsStreaming = {
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'Count to 3.' }],
  stream: true,
  stream_options: { include_usage: true },
};
const chunks$ = fromChatCompletion(client, request, { requestOptions: { headers: { 'x-trace': '1' }, maxRetries: 0 } });
is<Observable<ChatCompletionChunk>>()(chunks$);
chunks$.pipe(usage(request)).subscribe();
is<number>()(countPromptTokens(request.messages, request.model));

declare const sdkChunk: SDKChatCompletionChunk;
const ours: ChatCompletionChunk = sdkChunk;
// The toolkit's completion goes back into an SDK-typed conversation.
declare const completion: ChatCompletion;
const messages: ChatCompletionMessageParam[] = [...request.messages, completion.choices[0]!.message];

export { ours, messages };
