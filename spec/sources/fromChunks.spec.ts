import { Readable } from 'node:stream';
import { firstValueFrom, take, toArray, lastValueFrom } from 'rxjs';
import { fromChunks } from '../../lib/sources/fromChunks.js';
import { chunk } from '../helpers/chunk.js';
import type { ChatCompletionChunk } from '../../lib/types.js';

const a = chunk({ role: 'assistant', content: '' });
const b = chunk({ content: 'Hi' });
const c = chunk({}, { finish_reason: 'stop' });

/** A stream shaped like the SDK's `Stream`: an async iterable with a controller, iterable once. */
function sdkLikeStream(chunks: ChatCompletionChunk[], pauseAfter = Infinity) {
  const controller = new AbortController();
  let iterated = false;
  const log: string[] = [];
  return {
    controller,
    log,
    async *[Symbol.asyncIterator]() {
      if (iterated) throw new Error('Cannot iterate over a consumed stream');
      iterated = true;
      try {
        for (let i = 0; i < chunks.length; i++) {
          if (i === pauseAfter) {
            await new Promise<void>((_, reject) =>
              controller.signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }),
            );
          }
          yield chunks[i]!;
        }
      } finally {
        log.push('finally');
      }
    },
  };
}

describe('fromChunks', () => {
  it('should emit the chunks of an async iterable and complete', async () => {
    const stream = sdkLikeStream([a, b, c]);
    await expect(lastValueFrom(fromChunks(stream).pipe(toArray()))).resolves.toEqual([a, b, c]);
    expect(stream.controller.signal.aborted).toBe(false);
  });

  it('should emit the chunks of a sync iterable synchronously', () => {
    const seen: ChatCompletionChunk[] = [];
    let completed = false;
    fromChunks([a, b, c]).subscribe({ next: (x) => seen.push(x), complete: () => (completed = true) });
    expect(seen).toEqual([a, b, c]);
    expect(completed).toBe(true);
  });

  it('should be lazy: nothing is read before subscription', () => {
    let reads = 0;
    const iterable = {
      *[Symbol.iterator]() {
        reads++;
        yield a;
      },
    };
    const chunks$ = fromChunks(iterable);
    expect(reads).toBe(0);
    chunks$.subscribe();
    expect(reads).toBe(1);
  });

  it('should abort the controller at once when unsubscribed during a pause', async () => {
    const stream = sdkLikeStream([a, b, c], 2);
    const seen: ChatCompletionChunk[] = [];
    const subscription = fromChunks(stream).subscribe((x) => seen.push(x));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(seen).toEqual([a, b]);
    expect(stream.controller.signal.aborted).toBe(false);
    subscription.unsubscribe();
    expect(stream.controller.signal.aborted).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(stream.log).toEqual(['finally']);
  });

  it('should destroy a Node stream at once when unsubscribed during a pause', async () => {
    const readable = new Readable({ objectMode: true, read() {} });
    readable.push(a);
    readable.push(b);
    const seen: ChatCompletionChunk[] = [];
    const subscription = fromChunks<ChatCompletionChunk>(readable).subscribe((x) => seen.push(x));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(seen).toEqual([a, b]);
    expect(readable.destroyed).toBe(false);
    subscription.unsubscribe(); // a read is pending: return() alone would wait for the next chunk
    expect(readable.destroyed).toBe(true);
  });

  it('should call destroy() and abort the controller on unsubscribe, but neither after the end', async () => {
    const paused = Object.assign(sdkLikeStream([a, b, c], 1), { destroy: jest.fn() });
    const subscription = fromChunks(paused).subscribe();
    await new Promise((resolve) => setTimeout(resolve, 10));
    subscription.unsubscribe();
    expect(paused.destroy).toHaveBeenCalledTimes(1);
    expect(paused.controller.signal.aborted).toBe(true);
    const ended = Object.assign(sdkLikeStream([a, b, c]), { destroy: jest.fn() });
    await expect(lastValueFrom(fromChunks(ended).pipe(toArray()))).resolves.toEqual([a, b, c]);
    expect(ended.destroy).not.toHaveBeenCalled();
    expect(ended.controller.signal.aborted).toBe(false);
  });

  it('should stop and close the iterator when a downstream operator has enough', async () => {
    const stream = sdkLikeStream([a, b, c]);
    await expect(firstValueFrom(fromChunks(stream).pipe(take(1)))).resolves.toBe(a);
    expect(stream.controller.signal.aborted).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(stream.log).toEqual(['finally']);
  });

  it('should close a sync iterator when a downstream operator has enough', () => {
    const log: string[] = [];
    function* gen() {
      try {
        yield a;
        yield b;
        yield c;
      } finally {
        log.push('finally');
      }
    }
    const seen: ChatCompletionChunk[] = [];
    fromChunks(gen()).pipe(take(2)).subscribe((x) => seen.push(x));
    expect(seen).toEqual([a, b]);
    expect(log).toEqual(['finally']);
  });

  it('should pass the iterator error through unchanged', async () => {
    class APIError extends Error {}
    const failure = new APIError('500 server error');
    const iterable = {
      async *[Symbol.asyncIterator]() {
        yield a;
        throw failure;
      },
    };
    const seen: ChatCompletionChunk[] = [];
    await expect(lastValueFrom(fromChunks(iterable).pipe())).rejects.toBe(failure);
    fromChunks(iterable).subscribe({ next: (x) => seen.push(x), error: () => undefined });
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(seen).toEqual([a]);
  });

  it('should error with the SDK stream error when the same stream is subscribed twice', async () => {
    const stream = sdkLikeStream([a, b, c]);
    await lastValueFrom(fromChunks(stream));
    await expect(lastValueFrom(fromChunks(stream))).rejects.toThrow('Cannot iterate over a consumed stream');
  });

  it('should error when a sync iterator throws', () => {
    const iterable = {
      *[Symbol.iterator](): Iterator<ChatCompletionChunk> {
        yield a;
        throw new TypeError('bad');
      },
    };
    const seen: unknown[] = [];
    fromChunks(iterable).subscribe({ next: (x) => seen.push(x), error: (e: unknown) => seen.push(e) });
    expect(seen).toEqual([a, expect.any(TypeError)]);
  });

  it('should not emit after unsubscribe even if the pending read resolves later', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const iterable = {
      async *[Symbol.asyncIterator]() {
        yield a;
        await gate;
        yield b;
      },
    };
    const seen: ChatCompletionChunk[] = [];
    const subscription = fromChunks(iterable).subscribe((x) => seen.push(x));
    await new Promise((resolve) => setTimeout(resolve, 0));
    subscription.unsubscribe();
    release();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(seen).toEqual([a]);
  });
});
