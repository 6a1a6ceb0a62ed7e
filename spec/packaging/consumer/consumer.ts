/**
 * A user's file: every export of `rxjs-chat-stream`, `rxjs-chat-stream/testing` and `rxjs-chat-stream/redis`, values and
 * types, used the way an app uses them. `spec/packaging.spec.ts` type-checks it in a project that
 * installed the packed package (with `strict`, `exactOptionalPropertyTypes`,
 * `noUncheckedIndexedAccess`, `noUnusedLocals`, `skipLibCheck: false`), under Node's and bundlers'
 * module resolution, with and without `openai`. Never run.
 *
 * `is<T>()(value)` compiles only when `value` is exactly a `T`, so a type that turns into `any`
 * (what re-exporting the SDK's types did without the SDK installed) fails here.
 */
import { mergeMap, Observable, of, type GroupedObservable, type MonoTypeOperatorFunction, type OperatorFunction } from 'rxjs';
import {
  // Sources
  fromChatCompletion,
  fromChunks,
  fromSSE,
  type ChatCompletionsClient,
  type ChatCompletionStreamLike,
  type ChatRequestOptions,
  type FromChatCompletionOptions,
  type StreamingParams,
  type ChunkIterable,
  type FromSSEOptions,
  type SSEInput,
  // Server-sent events
  sseEvents,
  chatChunks,
  toSSE,
  pipeSSE,
  type ChatChunksOptions,
  type ToSSEOptions,
  type EventIds,
  type PipeSSEOptions,
  type SSEResponse,
  // Relaying
  relay,
  MemoryChunkLog,
  ChunkLogError,
  type ChunkLogErrorReason,
  type ChunkLog,
  type LogEvent,
  type LogEventKind,
  type LogStreamInfo,
  type ReadLogOptions,
  type RelayHandler,
  type RelayOptions,
  type RelayRequest,
  type RelayResponse,
  type RelayUpstream,
  // Operators
  contentDeltas,
  elapsed,
  accumulate,
  toChatCompletion,
  withUsage,
  usage,
  runningTokens,
  partialJson,
  type PartialJsonOptions,
  streamMetrics,
  textChunks,
  smooth,
  renderRate,
  stopWhen,
  type ChunkGaps,
  type StreamEnding,
  type StreamMetrics,
  type StreamMetricsOptions,
  type TextChunksOptions,
  type TextUnit,
  type SmoothOptions,
  type RenderRateMode,
  type RenderRateOptions,
  type StopWhenOptions,
  streamTimeout,
  retryStream,
  meter,
  streamMany,
  type StreamTimeoutOptions,
  type RetryStreamOptions,
  type MeteredUsage,
  type MeterEnding,
  type StreamManyFailure,
  type StreamManyInput,
  type StreamManyMetrics,
  type StreamManyOptions,
  type StreamManyProgress,
  type StreamManyRequest,
  type StreamManyResult,
  type StreamManySuccess,

  reasoningDeltas,
  toolCalls,
  toolCallArguments,
  type ToolCallProgress,
  type FunctionToolCallProgress,
  type CustomToolCallProgress,
  type ToolCallArgumentsOptions,
  choices,
  choice,
  type ContentDeltasOptions,
  type ReasoningDeltasOptions,
  type ToolCallsOptions,
  type CompletedToolCall,
  type CompletedFunctionToolCall,
  type CompletedCustomToolCall,
  type Elapsed,
  type ToChatCompletionOptions,
  type LenientChatCompletion,
  type EstimatedUsage,
  // Tokens
  countTokens,
  countPromptTokens,
  encodingForModel,
  loadEncoding,
  tokenPieces,
  type EncodingName,
  type EncodingOptions,
  type UsageRequest,
  // Errors
  ChatStreamError,
  SSEParseError,
  StreamAPIError,
  HTTPStatusError,
  IncompleteStreamError,
  InvalidChunkError,
  InvalidInputError,
  PartialJsonError,
  type PartialJsonErrorReason,
  StreamTimeoutError,
  type StreamTimeoutPhase,

  ToolCallArgumentsError,
  type ToolCallArgumentsErrorCall,
  type APIErrorBody,
  type ChatStreamErrorOptions,
  type IncompleteStreamReason,
  type SSEParseErrorReason,
  // Types
  type ChatCompletion,
  type ChatCompletionChunk,
  type ChatCompletionMessageParam,
  type ChatCompletionTool,
  type ChatCompletionAssistantMessageParam,
  type ChatCompletionAudio,
  type ChatCompletionContentPart,
  type ChatCompletionContentPartFile,
  type ChatCompletionContentPartImage,
  type ChatCompletionContentPartInputAudio,
  type ChatCompletionContentPartRefusal,
  type ChatCompletionContentPartText,
  type ChatCompletionCreateParamsBase,
  type ChatCompletionCreateParamsStreaming,
  type ChatCompletionCustomTool,
  type ChatCompletionDeveloperMessageParam,
  type ChatCompletionFunctionMessageParam,
  type ChatCompletionFunctionTool,
  type ChatCompletionMessage,
  type ChatCompletionMessageCustomToolCall,
  type ChatCompletionMessageFunctionToolCall,
  type ChatCompletionMessageToolCall,
  type ChatCompletionPromptCacheBreakpoint,
  type ChatCompletionStreamOptions,
  type ChatCompletionSystemMessageParam,
  type ChatCompletionTokenLogprob,
  type ChatCompletionToolChoiceOption,
  type ChatCompletionToolMessageParam,
  type ChatCompletionUserMessageParam,
  type ChatCompletionSnapshot,
  type ChatCompletionSnapshotChoice,
  type ChatCompletionSnapshotMessage,
  type ChatCompletionSnapshotToolCall,
  type ChatCompletionSnapshotFunctionToolCall,
  type ChatCompletionSnapshotCustomToolCall,
  type CompletionUsage,
  type ServerSentEvent,
} from 'rxjs-chat-stream';
import {
  startMockServer,
  buildChunks,
  toSSEText,
  type MockChatRequest,
  type MockFault,
  type MockQuirk,
  type MockReply,
  type MockReplyObject,
  type MockServer,
  type MockServerOptions,
  type MockServerStats,
  type MockTiming,
  type BuildChunksOptions,
  type ChunkFormat,
  type FinishReason,
  type MockToolCall,
} from 'rxjs-chat-stream/testing';
import { RedisChunkLog, type RedisChunkLogOptions, type RedisClientLike } from 'rxjs-chat-stream/redis';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** Returns `value`; compiles only when its type is exactly `T` (never when it is `any`). */
declare function is<T>(): <U>(value: U, ...exact: Equal<T, U> extends true ? [] : [never]) => U;

// The wire types: what a chunk and a completion hold.
declare const chunk: ChatCompletionChunk;
const firstChoice = chunk.choices[0];
is<ChatCompletionChunk.Choice | undefined>()(firstChoice);
is<string | null | undefined>()(firstChoice?.delta.content);
is<string | null | undefined>()(firstChoice?.delta.reasoning_content);
is<'stop' | 'length' | 'tool_calls' | 'content_filter' | 'function_call' | null | undefined>()(firstChoice?.finish_reason);
is<ChatCompletionChunk.Choice.Delta.ToolCall[] | undefined>()(firstChoice?.delta.tool_calls);
is<string | undefined>()(firstChoice?.delta.tool_calls?.[0]?.function?.arguments);
is<CompletionUsage | null | undefined>()(chunk.usage);
is<number | undefined>()(chunk.usage?.completion_tokens_details?.reasoning_tokens);
is<ChatCompletionTokenLogprob[] | null | undefined>()(firstChoice?.logprobs?.content);

declare const completion: ChatCompletion;
const message: ChatCompletionMessage = completion.choices[0]!.message;
is<string | null>()(message.content);
is<ChatCompletionMessageToolCall[] | undefined>()(message.tool_calls);
is<ChatCompletionAudio | null | undefined>()(message.audio);
is<ChatCompletion.Choice['finish_reason']>()(completion.choices[0]!.finish_reason);
declare const toolCall: ChatCompletionMessageToolCall;
const called: string =
  toolCall.type === 'function'
    ? is<ChatCompletionMessageFunctionToolCall>()(toolCall).function.arguments
    : is<ChatCompletionMessageCustomToolCall>()(toolCall).custom.input;

// The request types: a conversation with every kind of message and part, and the tools.
const cacheBreakpoint: ChatCompletionPromptCacheBreakpoint = { mode: 'explicit' };
const text: ChatCompletionContentPartText = { type: 'text', text: 'Describe these.', prompt_cache_breakpoint: cacheBreakpoint };
const image: ChatCompletionContentPartImage = { type: 'image_url', image_url: { url: 'https://example.com/a.png', detail: 'low' } };
const audio: ChatCompletionContentPartInputAudio = { type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } };
const file: ChatCompletionContentPartFile = { type: 'file', file: { file_id: 'file-1' } };
const parts: ChatCompletionContentPart[] = [text, image, audio, file];
const refusal: ChatCompletionContentPartRefusal = { type: 'refusal', refusal: 'No.' };
const developer: ChatCompletionDeveloperMessageParam = { role: 'developer', content: 'Be brief.' };
const system: ChatCompletionSystemMessageParam = { role: 'system', content: [text] };
const user: ChatCompletionUserMessageParam = { role: 'user', content: parts, name: 'ada' };
const assistant: ChatCompletionAssistantMessageParam = { role: 'assistant', content: [refusal], tool_calls: [toolCall] };
const tool: ChatCompletionToolMessageParam = { role: 'tool', tool_call_id: 'call_1', content: called };
const legacy: ChatCompletionFunctionMessageParam = { role: 'function', name: 'f', content: null };
const messages: ChatCompletionMessageParam[] = [developer, system, user, assistant, tool, legacy, message];
const weather: ChatCompletionFunctionTool = {
  type: 'function',
  function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: true },
};
const grep: ChatCompletionCustomTool = { type: 'custom', custom: { name: 'grep', format: { type: 'text' } } };
const tools: ChatCompletionTool[] = [weather, grep];
const toolChoice: ChatCompletionToolChoiceOption = { type: 'function', function: { name: 'get_weather' } };
const streamOptions: ChatCompletionStreamOptions = { include_usage: true };
const base: ChatCompletionCreateParamsBase = { model: 'gpt-4o-mini', messages, tools, tool_choice: toolChoice };
const request: ChatCompletionCreateParamsStreaming = { ...base, stream: true, stream_options: streamOptions };

// Sources.
const requestOptions: ChatRequestOptions = { headers: { 'x-trace': '1' }, timeout: 10_000, signal: undefined };
declare const stream: ChatCompletionStreamLike;
const client: ChatCompletionsClient = { chat: { completions: { create: () => Promise.resolve(stream) } } };
const params: StreamingParams<ChatCompletionCreateParamsStreaming> = { model: 'gpt-4o-mini', messages };
const sourceOptions: FromChatCompletionOptions = { signal: new AbortController().signal, requestOptions };
is<Observable<ChatCompletionChunk>>()(fromChatCompletion(client, params, sourceOptions));
is<Observable<ChatCompletionChunk>>()(fromChatCompletion(client, request));
const iterable: ChunkIterable = [chunk];
is<Observable<ChatCompletionChunk>>()(fromChunks(iterable));
const sseOptions: FromSSEOptions = { requireDone: false };
const input: SSEInput = (signal) => fetch('http://127.0.0.1:8787/v1/chat/completions', { method: 'POST', signal });
const chunks$ = fromSSE(input, sseOptions);
is<Observable<ChatCompletionChunk>>()(chunks$);

// Server-sent events, both ways.
const chunksOptions: ChatChunksOptions = { requireDone: true };
const events$ = of('data: {}\n\n').pipe(sseEvents());
is<Observable<ServerSentEvent>>()(events$);
is<Observable<ChatCompletionChunk>>()(events$.pipe(chatChunks(chunksOptions)));
const writeOptions: ToSSEOptions = { keepAliveMs: 15_000, formatError: (error): APIErrorBody => ({ message: String(error) }) };
is<ReadableStream<Uint8Array>>()(toSSE(chunks$, writeOptions));
is<(source: Observable<ChatCompletionChunk>) => ReadableStream<Uint8Array>>()(toSSE(writeOptions));
declare const response: SSEResponse;
const eventIds: EventIds = { streamId: 'stream-1', start: 0 };
const pipeOptions: PipeSSEOptions = { headers: { 'x-accel-buffering': 'no' }, eventIds, reuseText: true };
pipeSSE(chunks$, response, pipeOptions).unsubscribe();

// Operators.
is<Observable<string>>()(chunks$.pipe(contentDeltas()));
const timed$: Observable<Elapsed<string>> = chunks$.pipe(contentDeltas(), elapsed());
timed$.subscribe(({ value, elapsed: ms }) => is<[string, number]>()([value, ms] as [string, number]));
const snapshot$ = chunks$.pipe(accumulate());
is<Observable<ChatCompletionSnapshot>>()(snapshot$);
snapshot$.subscribe((snapshot) => {
  const snapshotChoice: ChatCompletionSnapshotChoice | undefined = snapshot.choices[0];
  const snapshotMessage: ChatCompletionSnapshotMessage | undefined = snapshotChoice?.message;
  const snapshotCall: ChatCompletionSnapshotToolCall | undefined = snapshotMessage?.tool_calls?.[0];
  is<string | null | undefined>()(snapshotMessage?.content);
  if (snapshotCall?.custom !== undefined) {
    const customCall: ChatCompletionSnapshotCustomToolCall = snapshotCall;
    is<string>()(customCall.custom.input);
  } else if (snapshotCall !== undefined) {
    const functionCall: ChatCompletionSnapshotFunctionToolCall = snapshotCall;
    is<string>()(functionCall.function.arguments);
  }
  is<CompletionUsage | undefined>()(snapshot.usage);
});
// Options whose `lenient` is not known as a literal give either shape; `{}` gives the strict one.
const toCompletionOptions: ToChatCompletionOptions = {};
const either$: Observable<ChatCompletion | LenientChatCompletion> = chunks$.pipe(toChatCompletion(toCompletionOptions));
is<Observable<ChatCompletion>>()(chunks$.pipe(toChatCompletion({}), withUsage(request)));
const lenient$: Observable<LenientChatCompletion> = chunks$.pipe(toChatCompletion({ lenient: true }));
lenient$.subscribe((finished) => is<ChatCompletion.Choice['finish_reason'] | null | undefined>()(finished.choices[0]?.finish_reason));
const usageRequest: UsageRequest = { model: 'gpt-4o-mini', messages, tools, encoding: 'o200k_base' };
const usage$: Observable<EstimatedUsage> = chunks$.pipe(usage(usageRequest));
usage$.subscribe((counted) => is<boolean>()(counted.estimated && counted.promptCounted));
const running: OperatorFunction<string, number> = runningTokens('gpt-4o-mini');
const partialOptions: PartialJsonOptions = { fence: true, allowIncomplete: false, maxDepth: 64 };
const plan$: Observable<{ title?: string }> = chunks$.pipe(contentDeltas(), partialJson<{ title?: string }>(partialOptions));
const metricsOptions: StreamMetricsOptions = { live: false, onEnd: (_metrics: StreamMetrics, ending: StreamEnding) => is<StreamEnding>()(ending) };
chunks$.pipe(streamMetrics(metricsOptions)).subscribe((metrics) => {
  is<number | null>()(metrics.timeToFirstContent);
  const gaps: ChunkGaps | null = metrics.gaps;
  is<number | undefined>()(gaps?.p99);
});
const unit: TextUnit = 'word';
const textOptions: TextChunksOptions = { by: unit, locale: 'fa' };
const smoothOptions: SmoothOptions = { delayMs: 10, maxLagMs: 200 };
const rateMode: RenderRateMode = 'concat';
const rateOptions: RenderRateOptions = { mode: rateMode, intervalMs: 16 };
is<Observable<string>>()(chunks$.pipe(contentDeltas(), textChunks(textOptions), smooth(smoothOptions), renderRate<string>(rateOptions)));
const stopOptions: StopWhenOptions = { maxTokens: 100, stopSequences: ['END'] };
is<Observable<ChatCompletionChunk>>()(chunks$.pipe(stopWhen(stopOptions)));
const argumentsOptions: ToolCallArgumentsOptions = { maxDepth: 32 };
chunks$.pipe(toolCallArguments(argumentsOptions)).subscribe((progress: ToolCallProgress) => {
  if (progress.type === 'function') is<unknown>()((progress satisfies FunctionToolCallProgress).partial);
  else is<string>()((progress satisfies CustomToolCallProgress).input);
});
const timeoutOptions: StreamTimeoutOptions = { first: 10_000, idle: 5_000 };
const retryOptions: RetryStreamOptions = { count: 2, delay: 500 };
const onMetered = (metered: MeteredUsage): void => {
  const ending: MeterEnding = metered.ending;
  is<MeterEnding>()(ending);
};
is<Observable<ChatCompletionChunk>>()(
  chunks$.pipe(streamTimeout<ChatCompletionChunk>(timeoutOptions), retryStream<ChatCompletionChunk>(retryOptions), meter(usageRequest, onMetered)),
);
const manyRequests: StreamManyInput<StreamManyRequest> = [{ model: 'gpt-4o-mini', messages }];
const manyOptions: StreamManyOptions<StreamManyRequest> = {
  client,
  concurrency: 4,
  progress: (progress: StreamManyProgress) => is<number>()(progress.done),
};
streamMany(manyRequests, manyOptions).subscribe((result: StreamManyResult<StreamManyRequest>) => {
  if ('completion' in result) {
    const success: StreamManySuccess<StreamManyRequest> = result;
    const metrics: StreamManyMetrics = success.metrics;
    is<number>()(metrics.duration);
  } else {
    const failure: StreamManyFailure<StreamManyRequest> = result;
    is<unknown>()(failure.error);
  }
});

const answerOnly: ContentDeltasOptions = { thinkTags: true };
is<Observable<string>>()(chunks$.pipe(contentDeltas(0, answerOnly)));
const reasoningOptions: ReasoningDeltasOptions = { thinkTags: true };
is<Observable<string>>()(chunks$.pipe(reasoningDeltas(0, reasoningOptions)));
is<Observable<string>>()(chunks$.pipe(reasoningDeltas()));
const callOptions: ToolCallsOptions = { parse: true };
const calls$: Observable<CompletedToolCall> = chunks$.pipe(toolCalls(callOptions));
calls$.subscribe((completed) => {
  if (completed.type === 'function') {
    const fn: CompletedFunctionToolCall = completed;
    is<unknown>()(fn.parsed);
    is<string>()(fn.arguments);
  } else {
    const custom: CompletedCustomToolCall = completed;
    is<string>()(custom.input);
  }
  is<[number, number, string, string]>()([completed.choiceIndex, completed.index, completed.id, completed.name] as [number, number, string, string]);
});
const perChoice$ = chunks$.pipe(choices());
is<Observable<GroupedObservable<number, ChatCompletionChunk>>>()(perChoice$);
perChoice$.pipe(mergeMap((answer$) => answer$.pipe(toChatCompletion()))).subscribe((finished) => is<ChatCompletion>()(finished));
const second: MonoTypeOperatorFunction<ChatCompletionChunk> = choice(1);
is<Observable<ChatCompletionChunk>>()(chunks$.pipe(second));

// Tokens.
const encoding: EncodingName = encodingForModel('gpt-4o-mini');
const encodingOptions: EncodingOptions = { encoding };
is<Promise<void>>()(loadEncoding(encoding));
is<number>()(countTokens('Hello world', 'gpt-4o-mini', encodingOptions));
is<number>()(countPromptTokens(messages, 'gpt-4o-mini', tools));
is<string[]>()(tokenPieces('Hello world', 'gpt-4o-mini'));

// Errors.
declare const error: unknown;
const errorOptions: ChatStreamErrorOptions = { cause: error };
const reasons: [SSEParseErrorReason, IncompleteStreamReason] = ['invalid-json', 'no-done'];
if (error instanceof ChatStreamError) is<ChatCompletionSnapshot | undefined>()(error.partial);
if (error instanceof SSEParseError) is<SSEParseErrorReason>()(error.reason);
if (error instanceof StreamAPIError) is<APIErrorBody | string>()(error.error);
if (error instanceof HTTPStatusError) is<number | undefined>()(error.retryAfterMs);
if (error instanceof IncompleteStreamError) is<IncompleteStreamReason>()(error.reason);
if (error instanceof InvalidChunkError) is<string>()(error.path);
if (error instanceof InvalidInputError) is<string>()(error.expected);
if (error instanceof StreamTimeoutError) is<StreamTimeoutPhase>()(error.phase);
if (error instanceof PartialJsonError) is<[PartialJsonErrorReason, number]>()([error.reason, error.position] as [PartialJsonErrorReason, number]);

if (error instanceof ToolCallArgumentsError) {
  const failed: ToolCallArgumentsErrorCall = error.call;
  is<string>()(failed.arguments);
}
const thrown = new IncompleteStreamError('no [DONE]', { ...errorOptions, reason: reasons[1] });

// The relay.
const relayUpstream: RelayUpstream = { baseURL: 'http://127.0.0.1:8080/v1', apiKey: 'from-env' };
const chunkLog: ChunkLog = new MemoryChunkLog();
const relayOptions: RelayOptions = { upstream: relayUpstream, log: chunkLog, ttlMs: 60_000, heartbeatMs: 1000, heartbeatTimeoutMs: 5000 };
const relayHandler: RelayHandler = relay(relayOptions);
declare const relayRequest: RelayRequest;
declare const relayResponse: RelayResponse;
relayHandler(relayRequest, relayResponse);
void relayHandler.close();
const kind: LogEventKind = 'done';
const logged: LogEvent = { sequence: 0, kind, data: '[DONE]' };
const readOptions: ReadLogOptions = { heartbeatTimeoutMs: 5000 };
is<Observable<LogEvent>>()(chunkLog.read('stream-1', logged.sequence, readOptions));
void chunkLog.info('stream-1').then((info: LogStreamInfo | undefined) => info?.finished);
if (error instanceof ChunkLogError) is<ChunkLogErrorReason>()(error.reason);
declare const redisClient: RedisClientLike;
const redisOptions: RedisChunkLogOptions = { keyPrefix: 'app:', maxEvents: 10_000, blockMs: 250 };
const redisLog: ChunkLog = new RedisChunkLog(redisClient, redisOptions);
is<Promise<RedisChunkLog>>()(RedisChunkLog.connect('redis://127.0.0.1:6379', redisOptions));
void redisLog.close();

// rxjs-chat-stream/testing.
const timing: MockTiming = { timeToFirstTokenMs: 0, perTokenMs: 0 };
const faults: MockFault[] = ['rate-limit', 'drop'];
const mockCall: MockToolCall = { name: 'get_weather', arguments: { city: 'Paris' } };
const replyObject: MockReplyObject = { content: 'Sunny.', finishReason: 'stop' };
const reply = (mockRequest: MockChatRequest): MockReply => (mockRequest.messages.length > 1 ? replyObject : 'Hi');
const quirks: MockQuirk[] = ['ollama-tool-index', 'think-tags'];
const serverOptions: MockServerOptions = { timing, faults, quirks, reply, toolCall: mockCall };
const server: Promise<MockServer> = startMockServer(serverOptions);
server.then((started) => is<MockServerStats>()(started.stats));
const format: ChunkFormat = 'today';
const finishReason: FinishReason = 'length';
const buildOptions: BuildChunksOptions = { format, finishReason, includeUsage: true };
const built = buildChunks('Hello', buildOptions);
is<ChatCompletionChunk[]>()(built);
is<string>()(toSSEText(built));

export { either$, running, thrown, plan$ };
