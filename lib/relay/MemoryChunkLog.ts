import { asyncScheduler, Observable, type SchedulerAction, type SchedulerLike } from 'rxjs';
import { ChunkLogError } from '../errors.js';
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
  type LogStreamInfo,
  type ReadLogOptions,
} from './chunkLog.js';

/** One stream held in memory. */
interface MemoryStream {
  readonly events: LogEvent[];
  finished: boolean;
  cancelRequested: boolean;
  ttlMs: number;
  expiresAt: number;
  lastHeartbeat: number;
  /** Each reader's wake-up call, run after every append. */
  readonly readers: Set<() => void>;
}

/**
 * A {@link ChunkLog} in this process's memory: the relay's default, for one process (a resume must
 * reach the same process). Streams expire `ttlMs` after their last write.
 *
 * @param scheduler Its clock, and the heartbeat checks of readers; default `asyncScheduler`.
 */
export class MemoryChunkLog implements ChunkLog {
  private readonly streams = new Map<string, MemoryStream>();
  private lastSweep = 0;

  constructor(private readonly scheduler: SchedulerLike = asyncScheduler) {}

  /** Starts a stream. See {@link ChunkLog.create}. */
  async create(streamId: string, ttlMs: number): Promise<void> {
    checkStreamId(streamId);
    checkMs(ttlMs, 'ttlMs');
    if (this.live(streamId) !== undefined) {
      throw new ChunkLogError('conflict', streamId, `Stream ${streamId} already exists`);
    }
    const now = this.scheduler.now();
    // Expired streams nobody asks for again are dropped here, at most once a second.
    if (now - this.lastSweep >= 1000) this.sweep();
    this.streams.set(streamId, {
      events: [],
      finished: false,
      cancelRequested: false,
      ttlMs,
      expiresAt: now + ttlMs,
      lastHeartbeat: now,
      readers: new Set(),
    });
  }

  /** How many streams it holds (expired ones not swept yet included). */
  get size(): number {
    return this.streams.size;
  }

  /** Appends events. See {@link ChunkLog.append}. */
  async append(streamId: string, events: readonly LogEvent[]): Promise<void> {
    this.appendNow(streamId, events);
  }

  /** The producer is alive. See {@link ChunkLog.heartbeat}. */
  async heartbeat(streamId: string): Promise<boolean> {
    const stream = this.live(streamId);
    if (stream === undefined) throw notFound(streamId);
    stream.lastHeartbeat = this.scheduler.now();
    stream.expiresAt = stream.lastHeartbeat + stream.ttlMs;
    return stream.cancelRequested;
  }

  /** Asks the producer to stop. See {@link ChunkLog.cancel}. */
  async cancel(streamId: string): Promise<boolean> {
    const stream = this.live(streamId);
    if (stream === undefined) return false;
    stream.cancelRequested = true;
    return true;
  }

  /** See {@link ChunkLog.info}. */
  async info(streamId: string): Promise<LogStreamInfo | undefined> {
    const stream = this.live(streamId);
    return stream === undefined ? undefined : { nextSequence: stream.events.length, finished: stream.finished };
  }

  /** The events from `from` on, then live. See {@link ChunkLog.read}. */
  read(streamId: string, from: number, options: ReadLogOptions = {}): Observable<LogEvent> {
    const timeoutMs = options.heartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS;
    checkMs(timeoutMs, 'options.heartbeatTimeoutMs');
    return new Observable<LogEvent>((subscriber) => {
      const stream = this.live(streamId);
      if (stream === undefined) {
        subscriber.error(notFound(streamId));
        return;
      }
      // Past the end of a finished stream: its last event again (the reader had it, or asks for more).
      let next = stream.finished ? Math.min(Math.max(0, from), stream.events.length - 1) : Math.max(0, from);
      const deliver = (): void => {
        while (next < stream.events.length && !subscriber.closed) {
          const event = stream.events[next++] as LogEvent;
          subscriber.next(event);
          if (isTerminal(event)) subscriber.complete();
        }
      };
      deliver();
      if (subscriber.closed) return;
      stream.readers.add(deliver);
      const log = this;
      const every = Math.max(1, timeoutMs / 4);
      let due = this.scheduler.now() + every;
      // The producer's heartbeat, checked a few times per timeout. A check that runs late means
      // this process was blocked (the producer's heartbeat timer was held up just as long): it
      // judges nothing, and the heartbeat gets its turn first.
      const watchdog = this.scheduler.schedule(function (this: SchedulerAction<undefined>) {
        if (stream.finished || subscriber.closed) return;
        const now = log.scheduler.now();
        const late = now - due > every;
        due = now + every;
        if (!late && now - stream.lastHeartbeat > timeoutMs) {
          const event: LogEvent = { sequence: stream.events.length, kind: 'error', data: producerLostData(timeoutMs) };
          log.appendNow(streamId, [event]);
          return;
        }
        this.schedule(undefined, every);
      }, every);
      return () => {
        stream.readers.delete(deliver);
        watchdog.unsubscribe();
      };
    });
  }

  /** Forgets every stream. */
  async close(): Promise<void> {
    this.streams.clear();
  }

  private appendNow(streamId: string, events: readonly LogEvent[]): void {
    const stream = this.live(streamId);
    if (stream === undefined) throw notFound(streamId);
    if (stream.finished) {
      throw new ChunkLogError('conflict', streamId, `Stream ${streamId} has ended; nothing was written`);
    }
    checkBatch(streamId, events, stream.events.length);
    for (const event of events) stream.events.push(event);
    const last = events[events.length - 1];
    if (last !== undefined && isTerminal(last)) stream.finished = true;
    // A write is a heartbeat too (see ChunkLog.append).
    stream.lastHeartbeat = this.scheduler.now();
    stream.expiresAt = stream.lastHeartbeat + stream.ttlMs;
    for (const reader of [...stream.readers]) reader();
  }

  /** The stream, unless it expired (then it is dropped). */
  private live(streamId: string): MemoryStream | undefined {
    const stream = this.streams.get(streamId);
    if (stream === undefined) return undefined;
    if (this.scheduler.now() >= stream.expiresAt) {
      this.streams.delete(streamId);
      // Each expiry sweeps the rest too, so a log nobody reads again does not keep what expired.
      this.sweep();
      return undefined;
    }
    return stream;
  }

  private sweep(): void {
    const now = this.scheduler.now();
    this.lastSweep = now;
    for (const [id, stream] of this.streams) if (now >= stream.expiresAt) this.streams.delete(id);
  }
}
