/**
 * rxjs-chat-stream: OpenAI-compatible chat-completion streams as RxJS Observables.
 * Bytes → events → chunks → answers; every step is a source or an operator.
 */

// Sources
export { fromChatCompletion } from './sources/fromChatCompletion.js';
export type {
  ChatCompletionsClient,
  ChatCompletionStreamLike,
  ChatRequestOptions,
  FromChatCompletionOptions,
  StreamingParams,
} from './sources/fromChatCompletion.js';
export { fromChunks } from './sources/fromChunks.js';
export type { ChunkIterable } from './sources/fromChunks.js';
export { fromSSE } from './sources/fromSSE.js';
export type { FromSSEOptions, SSEInput } from './sources/fromSSE.js';

// Server-sent events: reading and writing the wire format
export { sseEvents } from './sse/sseEvents.js';
export { chatChunks } from './protocol/chatChunks.js';
export type { ChatChunksOptions } from './protocol/chatChunks.js';
export { toSSE } from './http/toSSE.js';
export type { ToSSEOptions, EventIds } from './http/toSSE.js';
export { pipeSSE } from './http/pipeSSE.js';
export type { PipeSSEOptions, SSEResponse } from './http/pipeSSE.js';

// Relaying (resumable, on a ChunkLog)
export { relay } from './relay/relay.js';
export type { RelayHandler, RelayOptions, RelayRequest, RelayResponse, RelayUpstream } from './relay/relay.js';
export { MemoryChunkLog } from './relay/MemoryChunkLog.js';
export type { ChunkLog, LogEvent, LogEventKind, LogStreamInfo, ReadLogOptions } from './relay/chunkLog.js';

// Operators
export { contentDeltas } from './operators/contentDeltas.js';
export type { ContentDeltasOptions } from './operators/contentDeltas.js';
export { reasoningDeltas } from './operators/reasoningDeltas.js';
export type { ReasoningDeltasOptions } from './operators/reasoningDeltas.js';
export { elapsed } from './operators/elapsed.js';
export type { Elapsed } from './operators/elapsed.js';
export { accumulate } from './operators/accumulate.js';
export { toChatCompletion } from './operators/toChatCompletion.js';
export type { LenientChatCompletion, ToChatCompletionOptions } from './operators/toChatCompletion.js';
export { withUsage } from './operators/withUsage.js';
export { usage } from './operators/usage.js';
export type { EstimatedUsage } from './operators/usage.js';
export { runningTokens } from './operators/runningTokens.js';
export { partialJson } from './operators/partialJson.js';
export type { PartialJsonOptions } from './operators/partialJson.js';
export { streamMetrics } from './operators/streamMetrics.js';
export type { ChunkGaps, StreamEnding, StreamMetrics, StreamMetricsOptions } from './operators/streamMetrics.js';
export { textChunks } from './operators/textChunks.js';
export type { TextChunksOptions } from './operators/textChunks.js';
export type { TextUnit } from './operators/textCutter.js';
export { smooth } from './operators/smooth.js';
export type { SmoothOptions } from './operators/smooth.js';
export { renderRate } from './operators/renderRate.js';
export type { RenderRateMode, RenderRateOptions } from './operators/renderRate.js';
export { stopWhen } from './operators/stopWhen.js';
export type { StopWhenOptions } from './operators/stopWhen.js';

// Pipelines: time limits, retries, metering, many requests
export { streamTimeout } from './operators/streamTimeout.js';
export type { StreamTimeoutOptions } from './operators/streamTimeout.js';
export { retryStream } from './operators/retryStream.js';
export type { RetryStreamOptions } from './operators/retryStream.js';
export { meter } from './operators/meter.js';
export type { MeteredUsage, MeterEnding } from './operators/meter.js';
export { streamMany } from './operators/streamMany.js';
export type {
  StreamManyFailure,
  StreamManyInput,
  StreamManyMetrics,
  StreamManyOptions,
  StreamManyProgress,
  StreamManyRequest,
  StreamManyResult,
  StreamManySuccess,
} from './operators/streamMany.js';
export { toolCalls } from './operators/toolCalls.js';
export type { CompletedCustomToolCall, CompletedFunctionToolCall, CompletedToolCall, ToolCallsOptions } from './operators/toolCalls.js';
export { toolCallArguments } from './operators/toolCallArguments.js';
export type {
  CustomToolCallProgress,
  FunctionToolCallProgress,
  ToolCallArgumentsOptions,
  ToolCallProgress,
} from './operators/toolCallArguments.js';
export { choices } from './operators/choices.js';
export { choice } from './operators/choice.js';

// Tokens
export { countTokens, countPromptTokens, encodingForModel, loadEncoding, tokenPieces } from './tokens/index.js';
export type { EncodingName, EncodingOptions, UsageRequest } from './tokens/index.js';

// Errors
export {
  ChatStreamError,
  SSEParseError,
  StreamAPIError,
  HTTPStatusError,
  IncompleteStreamError,
  InvalidChunkError,
  InvalidInputError,
  PartialJsonError,
  StreamTimeoutError,
  ToolCallArgumentsError,
  ChunkLogError,
} from './errors.js';
export type {
  APIErrorBody,
  ChatStreamErrorOptions,
  IncompleteStreamReason,
  PartialJsonErrorReason,
  SSEParseErrorReason,
  StreamTimeoutPhase,
  ToolCallArgumentsErrorCall,
  ChunkLogErrorReason,
} from './errors.js';

// Types
export type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionMessageParam,
  ChatCompletionTool,
  ChatCompletionAssistantMessageParam,
  ChatCompletionAudio,
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
  ChatCompletionMessage,
  ChatCompletionMessageCustomToolCall,
  ChatCompletionMessageFunctionToolCall,
  ChatCompletionMessageToolCall,
  ChatCompletionPromptCacheBreakpoint,
  ChatCompletionStreamOptions,
  ChatCompletionSystemMessageParam,
  ChatCompletionTokenLogprob,
  ChatCompletionToolChoiceOption,
  ChatCompletionToolMessageParam,
  ChatCompletionUserMessageParam,
  ChatCompletionSnapshot,
  ChatCompletionSnapshotChoice,
  ChatCompletionSnapshotMessage,
  ChatCompletionSnapshotToolCall,
  ChatCompletionSnapshotFunctionToolCall,
  ChatCompletionSnapshotCustomToolCall,
  CompletionUsage,
  ServerSentEvent,
} from './types.js';
