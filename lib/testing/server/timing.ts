/*
 * The local server's timing: how long the model "thinks" and "types", each wait jittered by a
 * seeded factor, and the Observable that sends planned chunks at those times.
 */
import { Observable, type SchedulerAction, type SchedulerLike } from 'rxjs';
import { InvalidInputError } from '../../errors.js';
import type { ChatCompletionChunk } from '../../types.js';
import type { Random } from '../random.js';

/** How fast the model "thinks" and "types". */
export interface MockTiming {
  /** Time to the first chunk, in ms. Default 300. */
  timeToFirstTokenMs?: number;
  /** Time between tokens, in ms. Default 25. */
  perTokenMs?: number;
  /** Each wait is scaled by a seeded random factor in `[1 - jitter, 1 + jitter]`. Default 0.2. */
  jitter?: number;
}

const REALISTIC: Required<MockTiming> = { timeToFirstTokenMs: 300, perTokenMs: 25, jitter: 0.2 };
const INSTANT: Required<MockTiming> = { timeToFirstTokenMs: 0, perTokenMs: 0, jitter: 0 };

/** `options.timing` with every number filled in and checked. @internal */
export function resolveTiming(timing: 'realistic' | 'instant' | MockTiming | undefined): Required<MockTiming> {
  if (timing === undefined || timing === 'realistic') return REALISTIC;
  if (timing === 'instant') return INSTANT;
  if (timing === null || typeof timing !== 'object') {
    throw new InvalidInputError('startMockServer() options.timing', timing, "'realistic', 'instant' or an object", { detail: String(timing) });
  }
  const resolved = { ...REALISTIC, ...timing };
  for (const [key, value] of Object.entries(resolved)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new InvalidInputError(`startMockServer() options.timing.${key}`, value, 'a finite number >= 0', { detail: String(value) });
    }
  }
  if (resolved.jitter > 1) throw new InvalidInputError('startMockServer() options.timing.jitter', resolved.jitter, 'at most 1', { detail: String(resolved.jitter) });
  return resolved;
}

/**
 * The wait before each chunk: the first after the time to first token, then one token time
 * apart; the other choices of one round, and the usage chunk, come with the chunk before (0).
 * @internal
 */
export function delaysFor(chunks: readonly ChatCompletionChunk[], timing: Required<MockTiming>, random: Random): number[] {
  const jittered = (ms: number): number => Math.round(ms * (1 + timing.jitter * (2 * random() - 1)));
  return chunks.map((chunk, index) => {
    if (index === 0) return jittered(timing.timeToFirstTokenMs);
    const choice = chunk.choices[0];
    if (choice === undefined || choice.index > 0) return 0;
    return jittered(timing.perTokenMs);
  });
}

/**
 * Chunks `from` to `to` (exclusive), each after its delay (the first after `firstDelay` when
 * given), timed by `scheduler`; one timer at a time, cleared on unsubscription.
 * @internal
 */
export function timedChunks(
  chunks: readonly ChatCompletionChunk[],
  delays: readonly number[],
  scheduler: SchedulerLike,
  from: number,
  to: number,
  firstDelay?: number,
): Observable<ChatCompletionChunk> {
  return new Observable<ChatCompletionChunk>((subscriber) => {
    let i = from;
    /** Sends the chunk that is due and any that follow without a wait; returns the next wait, if any. */
    const sendDue = (): number | undefined => {
      do subscriber.next(chunks[i++]!);
      while (i < to && delays[i] === 0 && !subscriber.closed);
      if (subscriber.closed) return undefined;
      if (i < to) return delays[i]!;
      subscriber.complete();
      return undefined;
    };
    const first = firstDelay ?? delays[from] ?? 0;
    if (from >= to) return subscriber.complete();
    if (first === 0 && sendDue() === undefined) return;
    const wait = first === 0 ? delays[i]! : first;
    subscriber.add(
      scheduler.schedule(function (this: SchedulerAction<undefined>) {
        const next = sendDue();
        if (next !== undefined) this.schedule(undefined, next);
      }, wait),
    );
  });
}
