/**
 * The entry `rxjs-chat-stream/redis`: the relay's `ChunkLog` on Redis Streams. A separate entry, so
 * that the main one never needs a Redis client; `RedisChunkLog.connect(url)` loads `ioredis` (an
 * optional peer dependency) only when called.
 */
export { RedisChunkLog } from './RedisChunkLog.js';
export type { RedisChunkLogOptions, RedisClientLike } from './RedisChunkLog.js';
