/*
 * The relay's store of streams: what a `ChunkLog` does, and the parts every implementation shares
 * (the events that end a stream, the producer-lost event, checks of ids and sequence numbers).
 */
import type { Observable } from 'rxjs';
import { ChunkLogError, InvalidInputError } from '../errors.js';
import { STREAM_ID_PATTERN } from '../protocol/writer.js';

/** What an event of a logged stream is: a chunk, the `[DONE]` that ends it, or the error event that ends it. */
export type LogEventKind = 'chunk' | 'done' | 'error';

/** One event of a logged stream. */
export interface LogEvent {
  /** Its place in the stream: 0, 1, 2, … with no gap. The `id:` line is `<streamId>:<sequence>`. */
  readonly sequence: number;
  /** `'chunk'`, or `'done'`/`'error'` for the one event that ends the stream. */
  readonly kind: LogEventKind;
  /** The `data:` text: a chunk's JSON, `[DONE]`, or `{"error":{…}}` (one line). */
  readonly data: string;
}

/** What a log knows of a stream. */
export interface LogStreamInfo {
  /** The sequence number the next event gets (the number of events written). */
  readonly nextSequence: number;
  /** Whether its `done` or `error` event was written. */
  readonly finished: boolean;
}

/** Options of {@link ChunkLog.read}. */
export interface ReadLogOptions {
  /**
   * While the stream is not finished, end it with an error event (`code: 'producer_lost'`, written
   * to the log for every reader) once its producer has not sent a heartbeat for this many ms.
   * Default 5000.
   */
  heartbeatTimeoutMs?: number;
}

/**
 * Where the relay keeps its streams, so that a client can resume one, on any relay process that
 * shares the log, while it runs and after it ended (until its TTL).
 *
 * One producer writes a stream: `create`, then `append` (batches of events numbered 0, 1, 2, …),
 * `heartbeat` every so often while it runs, and last a `done` or `error` event. Any number of
 * readers `read` it from a sequence number and follow it live until that last event. Every method
 * fails with a {@link ChunkLogError}: `'not-found'` for an unknown or expired stream, `'conflict'`
 * for a write that would repeat an event (so nothing is written twice, even when a write is
 * retried), `'unavailable'` when the store cannot be reached.
 */
export interface ChunkLog {
  /** Starts a stream that expires `ttlMs` after its last write. A `'conflict'` when the id is taken. */
  create(streamId: string, ttlMs: number): Promise<void>;
  /**
   * Appends events, in order, numbered from the stream's next sequence number. A `'conflict'` (and
   * nothing written) when a sequence number is already taken or the stream has ended. An append
   * is also a heartbeat: a producer busy writing is alive, even when its heartbeat timer runs late.
   */
  append(streamId: string, events: readonly LogEvent[]): Promise<void>;
  /** The producer is alive. Resolves `true` when a reader asked to cancel the stream (`cancel`). */
  heartbeat(streamId: string): Promise<boolean>;
  /** Asks the stream's producer to stop (it learns at its next heartbeat). `false` for an unknown stream. */
  cancel(streamId: string): Promise<boolean>;
  /** What the log knows of a stream; undefined when it has none (or it expired). */
  info(streamId: string): Promise<LogStreamInfo | undefined>;
  /**
   * The events from sequence number `from` on: those written, then the new ones as they come; it
   * completes after the `done` or `error` event. Errors with a `ChunkLogError`.
   */
  read(streamId: string, from: number, options?: ReadLogOptions): Observable<LogEvent>;
  /** Lets go of the log's resources (timers, connections). */
  close(): Promise<void>;
}

/** The default heartbeat timeout of readers, in ms. */
export const DEFAULT_HEARTBEAT_TIMEOUT_MS = 5000;

/** The data of the event that ends a stream whose producer stopped sending heartbeats. */
export function producerLostData(timeoutMs: number): string {
  return JSON.stringify({
    error: {
      message: `The stream's producer stopped: no heartbeat for ${timeoutMs} ms`,
      type: 'server_error',
      code: 'producer_lost',
    },
  });
}

/** Whether an event ends its stream. */
export function isTerminal(event: LogEvent): boolean {
  return event.kind !== 'chunk';
}

/** Checks a stream id (an `InvalidInputError` otherwise). @internal */
export function checkStreamId(streamId: unknown, what = 'streamId'): asserts streamId is string {
  if (typeof streamId !== 'string' || !STREAM_ID_PATTERN.test(streamId)) {
    throw new InvalidInputError(what, streamId, '1 to 128 letters, digits, _ or -');
  }
}

/** Checks a TTL or a timeout in ms. @internal */
export function checkMs(value: unknown, what: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidInputError(what, value, 'a finite number of ms > 0', { detail: String(value) });
  }
}

/**
 * Checks that a batch is numbered from `next` with no gap and nothing after its end: a
 * `'conflict'` otherwise. @internal
 */
export function checkBatch(streamId: string, events: readonly LogEvent[], next: number): void {
  events.forEach((event, i) => {
    if (event.sequence !== next + i) {
      throw new ChunkLogError(
        'conflict',
        streamId,
        `Stream ${streamId}: event ${event.sequence} is not the next one (${next + i}); nothing was written`,
      );
    }
    if (isTerminal(event) && i !== events.length - 1) {
      throw new ChunkLogError('conflict', streamId, `Stream ${streamId}: events after its end; nothing was written`);
    }
  });
}

/** The `'not-found'` error. @internal */
export function notFound(streamId: string): ChunkLogError {
  return new ChunkLogError('not-found', streamId, `No stream ${streamId} (never started, or expired)`);
}
