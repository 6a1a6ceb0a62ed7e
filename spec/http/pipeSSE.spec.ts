import { EventEmitter } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { finalize, interval, map, NEVER, Observable, of, take } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { StreamAPIError } from '../../lib/errors.js';
import { pipeSSE } from '../../lib/http/pipeSSE.js';
import { buildChunks } from '../../lib/testing/buildChunks.js';
import { toSSEText } from '../../lib/testing/toSSEText.js';
import type { ChatCompletionChunk } from '../../lib/types.js';
import { chunk, hiValues, SSE_DONE as DONE, SSE_PING as PING, sseEvent as event } from '../helpers/chunk.js';

const values = hiValues();
const { a, b, c } = values;

/** A `ServerResponse` stand-in that logs what happens to it, at the scheduler's time. */
class FakeResponse extends EventEmitter {
  headersSent = false;
  writableEnded = false;
  destroyed = false;
  readonly headers: Record<string, string> = {};
  readonly log: Array<[number, string]> = [];

  constructor(private readonly now: () => number) {
    super();
  }

  setHeader(name: string, value: string): this {
    if (this.headersSent) throw new Error('headers already sent');
    this.headers[name.toLowerCase()] = value;
    return this;
  }

  hasHeader(name: string): boolean {
    return name.toLowerCase() in this.headers;
  }

  flushHeaders(): void {
    this.headersSent = true;
    this.log.push([this.now(), 'headers']);
  }

  write(text: string): boolean {
    if (this.writableEnded) throw new Error('write after end');
    this.log.push([this.now(), text]);
    return true;
  }

  end(): this {
    this.writableEnded = true;
    this.log.push([this.now(), 'end']);
    return this;
  }
}

describe('pipeSSE', () => {
  it('should write the headers, flush them, write each event as it comes, then [DONE] and end', () => {
    const testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    testScheduler.run(({ cold, expectSubscriptions }) => {
      const e1 = cold(' --a--b--c|', values);
      const e1subs = '  ^--------!';
      const res = new FakeResponse(() => testScheduler.now());
      pipeSSE(e1, res);
      testScheduler.flush();
      expect(res.headers).toEqual({
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      expect(res.log).toEqual([
        [0, 'headers'],
        [2, event(a)],
        [5, event(b)],
        [8, event(c)],
        [9, DONE],
        [9, 'end'],
      ]);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should write [DONE] and end for an empty source', () => {
    const testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    testScheduler.run(({ cold, expectSubscriptions }) => {
      const e1 = cold<ChatCompletionChunk>(' |');
      const e1subs = '  (^!)';
      const res = new FakeResponse(() => testScheduler.now());
      pipeSSE(e1, res);
      testScheduler.flush();
      expect(res.log).toEqual([
        [0, 'headers'],
        [0, DONE],
        [0, 'end'],
      ]);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should unsubscribe at once when the client goes away', () => {
    const testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    testScheduler.run(({ cold, expectSubscriptions }) => {
      const e1 = cold(' -a--b-----c|', values);
      const e1subs = '  ^------!';
      const res = new FakeResponse(() => testScheduler.now());
      pipeSSE(e1, res);
      testScheduler.schedule(() => res.emit('close'), 7);
      testScheduler.flush();
      expect(res.log).toEqual([
        [0, 'headers'],
        [1, event(a)],
        [4, event(b)],
      ]);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should unsubscribe at once from a source that never emits when the client goes away', () => {
    const testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    testScheduler.run(({ cold, expectSubscriptions }) => {
      const e1 = cold<ChatCompletionChunk>(' -');
      const e1subs = '  ^---!';
      const res = new FakeResponse(() => testScheduler.now());
      pipeSSE(e1, res);
      testScheduler.schedule(() => res.emit('close'), 4);
      testScheduler.flush();
      expect(res.log).toEqual([[0, 'headers']]);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should write an error event and end when the source errors', () => {
    const testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    testScheduler.run(({ cold, expectSubscriptions }) => {
      const error = new StreamAPIError({ message: 'Overloaded', type: 'server_error', code: null });
      const e1 = cold(' -a--#', values, error);
      const e1subs = '  ^---!';
      const res = new FakeResponse(() => testScheduler.now());
      pipeSSE(e1, res);
      testScheduler.flush();
      expect(res.log).toEqual([
        [0, 'headers'],
        [1, event(a)],
        [4, event({ error: { message: 'Overloaded', type: 'server_error', code: null } })],
        [4, 'end'],
      ]);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should send pings every keepAliveMs on the given scheduler', () => {
    const testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    testScheduler.run(({ cold, expectSubscriptions }) => {
      const e1 = cold(' ---a----------b|', values);
      const e1subs = '  ^--------------!';
      // res:           H--AP---P---P-(BD)E
      const res = new FakeResponse(() => testScheduler.now());
      pipeSSE(e1, res, { keepAliveMs: 4 }, testScheduler);
      testScheduler.flush();
      expect(res.log).toEqual([
        [0, 'headers'],
        [3, event(a)],
        [4, PING],
        [8, PING],
        [12, PING],
        [14, event(b)],
        [15, DONE],
        [15, 'end'],
      ]);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
      expect(testScheduler.actions).toEqual([]);
    });
  });

  it('should keep headers already set and add options.headers', () => {
    const testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    testScheduler.run(({ cold }) => {
      const res = new FakeResponse(() => testScheduler.now());
      res.setHeader('Content-Type', 'text/event-stream');
      pipeSSE(cold<ChatCompletionChunk>('|'), res, { headers: { 'access-control-allow-origin': '*' } });
      expect(res.headers['content-type']).toBe('text/event-stream');
      expect(res.headers['access-control-allow-origin']).toBe('*');
      expect(res.headers['cache-control']).toBe('no-cache');
    });
  });

  it('should leave the headers alone when they were already sent', () => {
    const testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    testScheduler.run(({ cold }) => {
      const res = new FakeResponse(() => testScheduler.now());
      res.headersSent = true;
      pipeSSE(cold('a|', values), res);
      testScheduler.flush();
      expect(res.headers).toEqual({});
      expect(res.log).toEqual([
        [0, event(a)],
        [1, DONE],
        [1, 'end'],
      ]);
    });
  });

  it('should not subscribe to a response that is already closed', () => {
    const testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    testScheduler.run(({ cold, expectSubscriptions }) => {
      const e1 = cold(' a|', values);
      const e1subs: string[] = [];
      const res = new FakeResponse(() => testScheduler.now());
      res.destroyed = true;
      const subscription = pipeSSE(e1, res);
      expect(subscription.closed).toBe(true);
      expect(res.log).toEqual([]);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should stop writing, without ending the response, when its subscription is unsubscribed', () => {
    const testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    testScheduler.run(({ cold, expectSubscriptions }) => {
      const e1 = cold(' -a---b|', values);
      const e1subs = '  ^--!';
      const res = new FakeResponse(() => testScheduler.now());
      const subscription = pipeSSE(e1, res);
      testScheduler.schedule(() => subscription.unsubscribe(), 3);
      testScheduler.flush();
      expect(res.log).toEqual([
        [0, 'headers'],
        [1, event(a)],
      ]);
      expect(res.writableEnded).toBe(false);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should stop, without throwing, when someone else ends the response', () => {
    const testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    testScheduler.run(({ cold, expectSubscriptions }) => {
      const e1 = cold(' -a---b---c|', values);
      const e1subs = '  ^----!';
      const res = new FakeResponse(() => testScheduler.now());
      pipeSSE(e1, res);
      testScheduler.schedule(() => res.end(), 3);
      testScheduler.flush();
      expect(res.log).toEqual([
        [0, 'headers'],
        [1, event(a)],
        [3, 'end'],
      ]);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  describe('over node:http', () => {
    let server: Server;
    let url: string;
    let source: Observable<ChatCompletionChunk> = NEVER;

    beforeAll(async () => {
      server = createServer((_req, res) => {
        pipeSSE(source, res);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    });

    afterAll(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });

    it('should send exactly the wire text, with the event-stream headers', async () => {
      const chunks = buildChunks('Hello there, general Kenobi.', { includeUsage: true, promptTokens: 12 });
      source = of(...chunks);
      const response = await fetch(url);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      expect(response.headers.get('cache-control')).toBe('no-cache');
      expect(response.headers.get('x-accel-buffering')).toBe('no');
      await expect(response.text()).resolves.toBe(toSSEText(chunks));
    });

    it('should unsubscribe upstream when the client aborts', async () => {
      let emitted = 0;
      let released!: () => void;
      const unsubscribed = new Promise<void>((resolve) => (released = resolve));
      source = interval(5).pipe(
        take(10_000),
        map((i) => {
          emitted = i + 1;
          return chunk({ content: String(i) });
        }),
        finalize(() => released()),
      );
      const controller = new AbortController();
      const response = await fetch(url, { signal: controller.signal });
      const reader = response.body!.getReader();
      await reader.read();
      controller.abort();
      await unsubscribed;
      const atUnsubscribe = emitted;
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(emitted).toBe(atUnsubscribe);
      expect(emitted).toBeLessThan(10_000);
    });
  });
});
