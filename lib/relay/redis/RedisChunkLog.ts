import { createHash } from 'node:crypto';
import { Observable, type Subscriber } from 'rxjs';
import { ChunkLogError, InvalidInputError } from '../../errors.js';
import {
  checkBatch,
  checkMs,
  checkStreamId,
  DEFAULT_HEARTBEAT_TIMEOUT_MS,
  isTerminal,
  notFound,
  producerLostData,
  type ChunkLog,
  type LogEvent,
  type LogEventKind,
  type LogStreamInfo,
  type ReadLogOptions,
} from '../chunkLog.js';
import { APPEND, CANCEL, CREATE, EXPIRE_PRODUCER, HEARTBEAT } from './scripts.js';

/**
 * What `RedisChunkLog` needs of a Redis client: `call` and `duplicate`, as `ioredis` has them.
 * Another library fits through a small adapter.
 */
export interface RedisClientLike {
  /** Sends one command; resolves with its reply. */
  call(command: string, ...args: Array<string | number>): Promise<unknown>;
  /** A new connection with the same options (readers block on their own connection). */
  duplicate(): RedisClientLike;
  /** Closes the connection. */
  quit(): Promise<unknown>;
  /** Closes the connection at once, and stops reconnecting. */
  disconnect?(): void;
  on?(event: 'error', listener: (error: unknown) => void): unknown;
}

/** Options of {@link RedisChunkLog}. */
export interface RedisChunkLogOptions {
  /** Prefix of every key; default `'rcs:'`. A stream's keys are `<prefix>{<streamId>}` and `<prefix>{<streamId>}:state` (one Redis Cluster slot per stream). */
  keyPrefix?: string;
  /** At most this many events are kept per stream (`XADD … MAXLEN ~`); default 100 000. */
  maxEvents?: number;
  /** How long a follower's `XREAD BLOCK` waits, in ms, before it looks at the producers' heartbeats; default 250. */
  blockMs?: number;
}

/** The scripts, by name, with their SHA1 for EVALSHA. */
const SCRIPTS = { CREATE, APPEND, HEARTBEAT, CANCEL, EXPIRE_PRODUCER };
type ScriptName = keyof typeof SCRIPTS;
const SHAS = Object.fromEntries(
  Object.entries(SCRIPTS).map(([name, text]) => [name, createHash('sha1').update(text).digest('hex')]),
) as Record<ScriptName, string>;

/** A reader waiting for new events of a stream. */
interface Follower {
  next: number;
  readonly timeoutMs: number;
  readonly subscriber: Subscriber<LogEvent>;
}

/**
 * A {@link ChunkLog} on Redis Streams, shared by every relay process that uses the same Redis: one
 * stream key per relayed stream (`XADD` with the ids `0-1`, `0-2`, …, so a write is never repeated;
 * `MAXLEN`-bounded, expiring `ttlMs` after its last write), readers following with one
 * `XREAD BLOCK` connection per process for all the streams it follows.
 *
 * Pass a client (`ioredis`: `new RedisChunkLog(new Redis(url))`), or use
 * `await RedisChunkLog.connect('redis://127.0.0.1:6379')`, which loads `ioredis` (an optional peer
 * dependency) when called. Every failure of Redis (unreachable, restarting, a connection lost) is
 * a `ChunkLogError` with `reason: 'unavailable'`; a write is not retried, so nothing is written twice.
 */
export class RedisChunkLog implements ChunkLog {
  private readonly prefix: string;
  private readonly maxEvents: number;
  private readonly blockMs: number;
  /** Stream id → the readers following it in this process. */
  private readonly following = new Map<string, Set<Follower>>();
  private blocking: RedisClientLike | undefined;
  private blockingId: number | undefined;
  private loopRunning = false;
  private wakePending = false;
  private closed = false;
  private lastCheck = 0;

  /**
   * @param client A connected Redis client (an `ioredis` instance, or anything {@link RedisClientLike}).
   * @param options Key prefix, the most events per stream, the block time of followers.
   * @param ownsClient Whether `close()` also quits `client` (as `connect` does); default `false`.
   */
  constructor(
    private readonly client: RedisClientLike,
    options: RedisChunkLogOptions = {},
    private readonly ownsClient = false,
  ) {
    if (client === null || typeof client !== 'object' || typeof client.call !== 'function' || typeof client.duplicate !== 'function') {
      throw new InvalidInputError('RedisChunkLog client', client, 'a Redis client with call() and duplicate() (ioredis)');
    }
    this.prefix = options.keyPrefix ?? 'rcs:';
    this.maxEvents = options.maxEvents ?? 100_000;
    this.blockMs = options.blockMs ?? 250;
    checkMs(this.maxEvents, 'RedisChunkLog options.maxEvents');
    checkMs(this.blockMs, 'RedisChunkLog options.blockMs');
  }

  /**
   * Connects to Redis at `url` with `ioredis` (loaded now: install it beside this package) and
   * returns a log that quits that connection on `close()`. Commands fail at once while Redis is
   * unreachable, instead of waiting in a queue.
   */
  static async connect(url: string, options: RedisChunkLogOptions = {}): Promise<RedisChunkLog> {
    if (typeof url !== 'string' || !/^rediss?:\/\//.test(url)) {
      throw new InvalidInputError('RedisChunkLog.connect() url', url, 'a redis:// or rediss:// URL');
    }
    let Redis: new (url: string, options: Record<string, unknown>) => RedisClientLike;
    try {
      const loaded = (await import('ioredis')) as unknown as { default: typeof Redis };
      Redis = loaded.default;
    } catch (error) {
      throw new ChunkLogError('unavailable', '', 'RedisChunkLog.connect() needs the ioredis package: npm install ioredis', { cause: error });
    }
    const client = new Redis(url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      lazyConnect: true,
      retryStrategy: (times: number) => Math.min(times * 100, 1000),
    });
    client.on?.('error', () => undefined);
    try {
      await (client as unknown as { connect(): Promise<void> }).connect();
    } catch (error) {
      // `quit` would wait for a connection that never comes: stop reconnecting at once.
      client.disconnect?.();
      throw unavailable('', error);
    }
    return new RedisChunkLog(client, options, true);
  }

  /** Starts a stream. See {@link ChunkLog.create}. */
  async create(streamId: string, ttlMs: number): Promise<void> {
    checkStreamId(streamId);
    checkMs(ttlMs, 'ttlMs');
    const created = await this.run('CREATE', streamId, [Math.ceil(ttlMs)]);
    if (created !== 1) throw new ChunkLogError('conflict', streamId, `Stream ${streamId} already exists`);
  }

  /** Appends events. See {@link ChunkLog.append}. */
  async append(streamId: string, events: readonly LogEvent[]): Promise<void> {
    checkStreamId(streamId);
    if (events.length === 0) return;
    const first = events[0] as LogEvent;
    checkBatch(streamId, events, first.sequence);
    const args: Array<string | number> = [this.maxEvents, first.sequence];
    for (const event of events) args.push(event.kind, event.data);
    const result = Number(await this.run('APPEND', streamId, args));
    if (result === -1) throw notFound(streamId);
    if (result === -2) throw new ChunkLogError('conflict', streamId, `Stream ${streamId} has ended; nothing was written`);
    if (result === -3) {
      throw new ChunkLogError('conflict', streamId, `Stream ${streamId}: event ${first.sequence} is not the next one; nothing was written`);
    }
  }

  /** The producer is alive. See {@link ChunkLog.heartbeat}. */
  async heartbeat(streamId: string): Promise<boolean> {
    checkStreamId(streamId);
    const result = Number(await this.run('HEARTBEAT', streamId, []));
    if (result === -1) throw notFound(streamId);
    return result === 1;
  }

  /** Asks the producer to stop. See {@link ChunkLog.cancel}. */
  async cancel(streamId: string): Promise<boolean> {
    checkStreamId(streamId);
    return Number(await this.run('CANCEL', streamId, [])) === 1;
  }

  /** See {@link ChunkLog.info}. */
  async info(streamId: string): Promise<LogStreamInfo | undefined> {
    checkStreamId(streamId);
    const state = (await this.command(streamId, 'HMGET', this.stateKey(streamId), 'next', 'end')) as Array<string | null>;
    if (state[0] === null || state[0] === undefined) return undefined;
    return { nextSequence: Number(state[0]), finished: state[1] !== null && state[1] !== undefined };
  }

  /** The events from `from` on, then live. See {@link ChunkLog.read}. */
  read(streamId: string, from: number, options: ReadLogOptions = {}): Observable<LogEvent> {
    checkStreamId(streamId);
    const timeoutMs = options.heartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS;
    checkMs(timeoutMs, 'options.heartbeatTimeoutMs');
    return new Observable<LogEvent>((subscriber) => {
      let follower: Follower | undefined;
      this.info(streamId).then(
        (info) => {
          if (subscriber.closed) return;
          if (info === undefined) return subscriber.error(notFound(streamId));
          let next = Math.max(0, from);
          // Past the end of a finished stream: its last event again.
          if (info.finished) next = Math.min(next, info.nextSequence - 1);
          follower = { next, timeoutMs, subscriber };
          this.follow(streamId, follower);
        },
        (error: unknown) => subscriber.error(error),
      );
      return () => {
        if (follower !== undefined) this.unfollow(streamId, follower);
      };
    });
  }

  /** Fails every reader, closes the follower's connection, and quits the client when it owns it. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const [streamId, followers] of this.following) {
      for (const follower of followers) follower.subscriber.error(unavailable(streamId, new Error('The log was closed')));
    }
    this.following.clear();
    const blocking = this.blocking;
    this.blocking = undefined;
    if (blocking !== undefined) {
      // A connection blocked in XREAD answers QUIT only after the block: disconnect at once.
      if (typeof blocking.disconnect === 'function') blocking.disconnect();
      else await blocking.quit().catch(() => undefined);
    }
    if (this.ownsClient) {
      await this.client.quit().catch(() => undefined);
      this.client.disconnect?.();
    }
  }

  private streamKey(streamId: string): string {
    return `${this.prefix}{${streamId}}`;
  }

  private stateKey(streamId: string): string {
    return `${this.prefix}{${streamId}}:state`;
  }

  /** One command on the main connection, its failure a ChunkLogError `unavailable`. */
  private async command(streamId: string, ...args: Array<string | number>): Promise<unknown> {
    if (this.closed) throw unavailable(streamId, new Error('The log was closed'));
    try {
      return await this.client.call(...(args as [string, ...Array<string | number>]));
    } catch (error) {
      throw unavailable(streamId, error);
    }
  }

  /** Runs a script (EVALSHA, loading it on NOSCRIPT) on the stream's two keys. */
  private async run(name: ScriptName, streamId: string, args: Array<string | number>): Promise<unknown> {
    const keys = [this.streamKey(streamId), this.stateKey(streamId)];
    if (this.closed) throw unavailable(streamId, new Error('The log was closed'));
    try {
      return await this.client.call('EVALSHA', SHAS[name], 2, ...keys, ...args);
    } catch (error) {
      if (!String((error as Error)?.message).startsWith('NOSCRIPT')) throw unavailable(streamId, error);
    }
    return this.command(streamId, 'EVAL', SCRIPTS[name], 2, ...keys, ...args);
  }

  private follow(streamId: string, follower: Follower): void {
    let followers = this.following.get(streamId);
    if (followers === undefined) this.following.set(streamId, (followers = new Set()));
    followers.add(follower);
    if (!this.loopRunning) void this.loop();
    else this.wake();
  }

  private unfollow(streamId: string, follower: Follower): void {
    const followers = this.following.get(streamId);
    if (followers === undefined) return;
    followers.delete(follower);
    if (followers.size === 0) this.following.delete(streamId);
  }

  /** Ends the follower's current XREAD BLOCK, so that the next one includes new streams. */
  private wake(): void {
    if (this.wakePending || this.blockingId === undefined) return;
    this.wakePending = true;
    this.client.call('CLIENT', 'UNBLOCK', this.blockingId).then(
      () => undefined,
      () => undefined,
    );
  }

  /** The follower: one XREAD BLOCK over every stream followed here, until none is left. */
  private async loop(): Promise<void> {
    this.loopRunning = true;
    try {
      while (!this.closed && this.following.size > 0) {
        if (this.blocking === undefined) {
          const blocking = this.client.duplicate();
          blocking.on?.('error', () => undefined);
          this.blocking = blocking;
          // ioredis with `lazyConnect` (as `connect()` makes it) connects on `connect()`.
          const lazy = blocking as { status?: string; connect?: () => Promise<void> };
          if (lazy.status === 'wait' && typeof lazy.connect === 'function') await lazy.connect();
          this.blockingId = Number(await blocking.call('CLIENT', 'ID'));
        }
        this.wakePending = false;
        const ids = [...this.following.keys()];
        const args: Array<string | number> = ['COUNT', 1000, 'BLOCK', this.blockMs, 'STREAMS'];
        for (const id of ids) args.push(this.streamKey(id));
        for (const id of ids) args.push(`0-${this.lowestNext(id)}`);
        const reply = (await this.blocking.call('XREAD', ...args)) as Array<[string, Array<[string, string[]]>]> | null;
        if (reply !== null) for (const [key, entries] of reply) this.deliver(key, entries);
        await this.checkProducers();
      }
    } catch (error) {
      // Redis went away under the follower: every reader here ends with the error.
      for (const [streamId, followers] of this.following) {
        for (const follower of followers) follower.subscriber.error(unavailable(streamId, error));
      }
      this.following.clear();
      const blocking = this.blocking;
      this.blocking = undefined;
      this.blockingId = undefined;
      blocking?.disconnect?.();
    } finally {
      this.loopRunning = false;
      if (!this.closed && this.following.size > 0) void this.loop();
    }
  }

  /** The smallest next sequence among a stream's readers: XREAD reads past `0-<next>`. */
  private lowestNext(streamId: string): number {
    let lowest = Infinity;
    for (const follower of this.following.get(streamId) ?? []) lowest = Math.min(lowest, follower.next);
    return lowest === Infinity ? 0 : lowest;
  }

  private deliver(key: string, entries: Array<[string, string[]]>): void {
    const streamId = key.slice(this.prefix.length + 1, -1);
    const followers = this.following.get(streamId);
    if (followers === undefined) return;
    for (const [id, fields] of entries) {
      const sequence = Number(id.slice(id.indexOf('-') + 1)) - 1;
      let kind: LogEventKind = 'chunk';
      let data = '';
      for (let i = 0; i < fields.length; i += 2) {
        if (fields[i] === 'k') kind = fields[i + 1] as LogEventKind;
        else if (fields[i] === 'd') data = fields[i + 1] as string;
      }
      const event: LogEvent = { sequence, kind, data };
      for (const follower of [...followers]) {
        if (follower.subscriber.closed || sequence < follower.next) continue;
        follower.next = sequence + 1;
        follower.subscriber.next(event);
        if (isTerminal(event)) {
          followers.delete(follower);
          follower.subscriber.complete();
        }
      }
    }
    if (followers.size === 0) this.following.delete(streamId);
  }

  /** A few times per timeout: streams whose producer stopped get their producer-lost event (once, by the script). */
  private async checkProducers(): Promise<void> {
    const now = Date.now();
    let every = Infinity;
    for (const followers of this.following.values()) for (const follower of followers) every = Math.min(every, follower.timeoutMs / 4);
    if (now - this.lastCheck < every) return;
    // A check that comes late means this process was blocked: judge at the next one.
    const late = this.lastCheck !== 0 && now - this.lastCheck > 2 * every + this.blockMs;
    this.lastCheck = now;
    if (late) return;
    const checks: Array<Promise<unknown>> = [];
    for (const [streamId, followers] of this.following) {
      const first = followers.values().next().value as Follower | undefined;
      if (first === undefined) continue;
      checks.push(this.run('EXPIRE_PRODUCER', streamId, [first.timeoutMs, producerLostData(first.timeoutMs)]));
    }
    await Promise.all(checks);
  }
}

function unavailable(streamId: string, error: unknown): ChunkLogError {
  if (error instanceof ChunkLogError) return error;
  const detail = error instanceof Error && error.message !== '' ? `: ${error.message}` : '';
  return new ChunkLogError('unavailable', streamId, `Redis is unavailable${detail}`, { cause: error });
}
