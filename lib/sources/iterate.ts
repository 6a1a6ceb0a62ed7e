/**
 * What {@link subscribeToIterable} pushes into: a `Subscriber`, or a view of one that reads the
 * values on their way (see `chunkSink.ts`).
 * @internal
 */
export interface ValueSink<T> {
  readonly closed: boolean;
  next(value: T): void;
  error(error: unknown): void;
  complete(): void;
}

/**
 * Pushes the values of an async or sync iterable into a subscriber, stopping as soon as the
 * subscriber closes. Returns the teardown: it calls the iterator's `return()` (and ignores what
 * that settles to, since a generator suspended in an `await` only finishes later), then, when the
 * iterable has a `destroy()` method (a Node `Readable`, an `http.IncomingMessage`), calls it, and
 * tells whether the iteration was still going (false after completion or an error).
 *
 * `destroy()` is what makes the stop immediate for a Node stream: its iterator's `return()` waits
 * for the pending `next()`, that is for the next piece the peer sends, while `destroy()` closes
 * the stream (and the socket under an `IncomingMessage`) now. A plain async iterable has no such
 * handle: it stops at its next value at best.
 * @internal
 */
export function subscribeToIterable<T>(
  iterable: AsyncIterable<T> | Iterable<T>,
  subscriber: ValueSink<T>,
): () => boolean {
  let iterator: AsyncIterator<T> | Iterator<T> | undefined;
  let done = false;

  const stop = (): boolean => {
    if (done) return false;
    done = true;
    const it = iterator;
    if (it?.return) {
      try {
        const result = it.return() as Promise<unknown> | IteratorResult<T>;
        if (result && typeof (result as Promise<unknown>).then === 'function') {
          (result as Promise<unknown>).then(undefined, () => undefined);
        }
      } catch {
        // The iterator failed while closing: nobody is listening any more.
      }
    }
    destroyQuietly(iterable);
    return true;
  };

  const fail = (error: unknown): void => {
    done = true;
    subscriber.error(error);
  };

  if (Symbol.asyncIterator in iterable) {
    const asyncIterator = (iterator = (iterable as AsyncIterable<T>)[Symbol.asyncIterator]());
    const pump = (): void => {
      asyncIterator.next().then((result) => {
        if (done || subscriber.closed) return;
        if (result.done) {
          done = true;
          subscriber.complete();
          return;
        }
        subscriber.next(result.value);
        if (!subscriber.closed) pump();
      }, (error: unknown) => {
        if (!done && !subscriber.closed) fail(error);
      });
    };
    try {
      pump();
    } catch (error) {
      fail(error);
    }
    return stop;
  }

  try {
    const syncIterator = (iterator = (iterable as Iterable<T>)[Symbol.iterator]());
    for (let result = syncIterator.next(); !subscriber.closed; result = syncIterator.next()) {
      if (result.done) {
        done = true;
        subscriber.complete();
        break;
      }
      subscriber.next(result.value);
    }
  } catch (error) {
    if (!subscriber.closed) fail(error);
  }
  return stop;
}

/**
 * Calls `destroy()` on a value that has one (a Node stream) and ignores what it throws: the
 * release of an input nobody reads any more.
 * @internal
 */
export function destroyQuietly(value: unknown): void {
  const destroy = (value as { destroy?: unknown } | null)?.destroy;
  if (typeof destroy !== 'function') return;
  try {
    destroy.call(value);
  } catch {
    // Already destroyed, or a destroy() that fails: nobody is listening any more.
  }
}
