/**
 * `rxjs-chat-stream/testing`: a local OpenAI-compatible server and realistic chunks, for demos
 * and for testing apps built on the toolkit.
 */
export { startMockServer } from './startMockServer.js';
export type {
  MockChatRequest,
  MockFault,
  MockQuirk,
  MockReply,
  MockReplyObject,
  MockServer,
  MockServerOptions,
  MockServerStats,
  MockTiming,
} from './startMockServer.js';
export { buildChunks } from './buildChunks.js';
export type { BuildChunksOptions, ChunkFormat, FinishReason, MockToolCall } from './buildChunks.js';
export { toSSEText } from './toSSEText.js';
