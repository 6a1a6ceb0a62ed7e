import { asyncScheduler, lastValueFrom, toArray, type SchedulerLike } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { ChunkLogError, InvalidInputError } from '../../lib/errors.js';
import { producerLostData, type LogEvent } from '../../lib/relay/chunkLog.js';
import { MemoryChunkLog } from '../../lib/relay/MemoryChunkLog.js';

const chunkEvent = (sequence: number): LogEvent => ({ sequence, kind: 'chunk', data: `{"n":${sequence}}` });
const done = (sequence: number): LogEvent => ({ sequence, kind: 'done', data: '[DONE]' });

describe('MemoryChunkLog', () => {
  it('should replay what was written, then follow live to the last event', () => {
    const testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    testScheduler.run(({ expectObservable }) => {
      const log = new MemoryChunkLog(testScheduler);
      void log.create('s', 1000);
      void log.append('s', [chunkEvent(0), chunkEvent(1)]);
      testScheduler.schedule(() => {
        void log.heartbeat('s');
        void log.append('s', [chunkEvent(2)]);
      }, 5);
      testScheduler.schedule(() => void log.append('s', [chunkEvent(3), done(4)]), 8);
      const expected = '(ab)-c--(de|)';
      expectObservable(log.read('s', 0)).toBe(expected, {
        a: chunkEvent(0),
        b: chunkEvent(1),
        c: chunkEvent(2),
        d: chunkEvent(3),
        e: done(4),
      });
      expectObservable(log.read('s', 3)).toBe('--------(de|)', { d: chunkEvent(3), e: done(4) });
    });
  });

  it('should give the last event again to a read past the end of a finished stream', () => {
    const testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    testScheduler.run(({ expectObservable }) => {
      const log = new MemoryChunkLog(testScheduler);
      void log.create('s', 1000);
      void log.append('s', [chunkEvent(0), done(1)]);
      expectObservable(log.read('s', 7)).toBe('(e|)', { e: done(1) });
    });
  });

  it('should end readers with one producer_lost event when the heartbeat stops', () => {
    const testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    testScheduler.run(({ expectObservable }) => {
      const log = new MemoryChunkLog(testScheduler);
      void log.create('s', 10_000);
      void log.append('s', [chunkEvent(0)]);
      testScheduler.schedule(() => void log.heartbeat('s'), 100);
      const lost: LogEvent = { sequence: 1, kind: 'error', data: producerLostData(200) };
      // The last heartbeat at 100: more than 200 ms later, seen at the check of 350 (every 50 ms).
      expectObservable(log.read('s', 0, { heartbeatTimeoutMs: 200 })).toBe('a 349ms (e|)', { a: chunkEvent(0), e: lost });
      expectObservable(log.read('s', 1, { heartbeatTimeoutMs: 200 })).toBe('350ms (e|)', { e: lost });
    });
  });

  it('should take an append as a heartbeat: a producer busy writing is not lost', () => {
    const testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    testScheduler.run(({ expectObservable }) => {
      const log = new MemoryChunkLog(testScheduler);
      void log.create('s', 10_000);
      // No heartbeat at all: appends at 150 and 300, then nothing.
      testScheduler.schedule(() => void log.append('s', [chunkEvent(0)]), 150);
      testScheduler.schedule(() => void log.append('s', [chunkEvent(1)]), 300);
      const lost: LogEvent = { sequence: 2, kind: 'error', data: producerLostData(200) };
      // Lost only 200 ms after the last append (300), at the check of 550 (every 50 ms).
      expectObservable(log.read('s', 0, { heartbeatTimeoutMs: 200 })).toBe('150ms a 149ms b 249ms (e|)', {
        a: chunkEvent(0),
        b: chunkEvent(1),
        e: lost,
      });
    });
  });

  it('should expire a stream ttlMs after its last write', async () => {
    let now = 0;
    const clock = { now: () => now, schedule: asyncScheduler.schedule.bind(asyncScheduler) } as SchedulerLike;
    const log = new MemoryChunkLog(clock);
    await log.create('s', 100);
    now = 50;
    await log.append('s', [chunkEvent(0), done(1)]);
    now = 149;
    expect(await log.info('s')).toEqual({ nextSequence: 2, finished: true });
    await expect(lastValueFrom(log.read('s', 0).pipe(toArray()))).resolves.toEqual([chunkEvent(0), done(1)]);
    now = 150;
    expect(await log.info('s')).toBeUndefined();
    await expect(lastValueFrom(log.read('s', 0))).rejects.toMatchObject({ name: 'ChunkLogError', reason: 'not-found' });
    // An expired stream nobody asks for again goes at the next create.
    await log.create('t', 100);
    now = 2000;
    await log.create('u', 100);
    expect(log.size).toBe(1);
  });

  it('should write nothing twice: a taken sequence, a gap, or a write after the end is a conflict', async () => {
    const log = new MemoryChunkLog();
    await log.create('s', 1000);
    await log.append('s', [chunkEvent(0), chunkEvent(1)]);
    await expect(log.append('s', [chunkEvent(1), chunkEvent(2)])).rejects.toMatchObject({ name: 'ChunkLogError', reason: 'conflict' });
    await expect(log.append('s', [chunkEvent(3)])).rejects.toMatchObject({ reason: 'conflict' });
    await expect(log.append('s', [done(2), chunkEvent(3)])).rejects.toMatchObject({ reason: 'conflict' });
    expect(await log.info('s')).toEqual({ nextSequence: 2, finished: false });
    await log.append('s', [done(2)]);
    await expect(log.append('s', [chunkEvent(3)])).rejects.toMatchObject({ reason: 'conflict' });
    await expect(log.create('s', 1000)).rejects.toMatchObject({ reason: 'conflict' });
    await expect(log.append('nope', [chunkEvent(0)])).rejects.toMatchObject({ reason: 'not-found' });
    await expect(log.heartbeat('nope')).rejects.toBeInstanceOf(ChunkLogError);
  });

  it('should tell the producer of a cancel at its next heartbeat', async () => {
    const log = new MemoryChunkLog();
    await log.create('s', 1000);
    expect(await log.heartbeat('s')).toBe(false);
    expect(await log.cancel('s')).toBe(true);
    expect(await log.heartbeat('s')).toBe(true);
    expect(await log.cancel('unknown')).toBe(false);
  });

  it('should check ids and times', async () => {
    const log = new MemoryChunkLog();
    await expect(log.create('a b', 1000)).rejects.toBeInstanceOf(InvalidInputError);
    await expect(log.create('s', 0)).rejects.toBeInstanceOf(InvalidInputError);
    expect(() => log.read('s', 0, { heartbeatTimeoutMs: -1 })).toThrow(InvalidInputError);
  });
});
