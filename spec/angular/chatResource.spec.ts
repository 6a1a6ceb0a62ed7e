/**
 * @jest-environment ./scripts/jestBrowserEnvironment.cjs
 *
 * chatResource in a real Angular component, zoneless, through TestBed: over real HTTP against the
 * local server (fetch + fromSSE, as a browser app does), with the server's stats showing aborts.
 */
import '@angular/compiler';
import { Component, provideZonelessChangeDetection, signal } from '@angular/core';
import { TestBed, type ComponentFixture } from '@angular/core/testing';
import { BrowserTestingModule, platformBrowserTesting } from '@angular/platform-browser/testing';
import { asyncScheduler, scan, scheduled, Subject, VirtualTimeScheduler, type Observable } from 'rxjs';
import { chatResource, type ChatAnswer } from '../../lib/angular/index.js';
import { HTTPStatusError, InvalidInputError } from '../../lib/errors.js';
import { streamMetrics } from '../../lib/operators/streamMetrics.js';
import { usage } from '../../lib/operators/usage.js';
import { fromSSE } from '../../lib/sources/fromSSE.js';
import { buildChunks } from '../../lib/testing/buildChunks.js';
import { startMockServer, type MockServer } from '../../lib/testing/startMockServer.js';
import type { ChatCompletionChunk } from '../../lib/types.js';
import { until } from '../helpers/notebook.js';

TestBed.initTestEnvironment(BrowserTestingModule, platformBrowserTesting());

/** One prompt: a new object per question, so asking the same text again is a new request. */
interface Prompt {
  text: string;
  fault?: string;
}

let server: MockServer;
/** The abort signals the resource handed to `stream`, in order. */
const signals: AbortSignal[] = [];

@Component({
  selector: 'app-chat',
  template: `<p dir="auto">{{ answer.value()?.text }}</p>`,
})
class ChatComponent {
  readonly prompt = signal<Prompt | undefined>(undefined);
  readonly answer = chatResource({
    params: () => this.prompt(),
    stream: ({ params, abortSignal }) => {
      signals.push(abortSignal);
      return fromSSE((signal) =>
        fetch(server.url, {
          method: 'POST',
          signal,
          headers: { 'content-type': 'application/json', ...(params.fault ? { 'x-mock-fault': params.fault } : {}) },
          body: JSON.stringify({
            model: 'gpt-4o-mini',
            stream: true,
            stream_options: { include_usage: true },
            messages: [{ role: 'user', content: params.text }],
          }),
        }),
      );
    },
  });

  ask(text: string, fault?: string): void {
    this.prompt.set(fault === undefined ? { text } : { text, fault });
  }
}

describe('chatResource', () => {
  let fixture: ComponentFixture<ChatComponent>;
  let chat: ChatComponent;

  beforeAll(async () => {
    server = await startMockServer({ timing: { timeToFirstTokenMs: 20, perTokenMs: 15, jitter: 0 } });
  });

  afterAll(() => server.close());

  beforeEach(() => {
    signals.length = 0;
    TestBed.configureTestingModule({ providers: [provideZonelessChangeDetection()] });
    fixture = TestBed.createComponent(ChatComponent);
    chat = fixture.componentInstance;
  });

  afterEach(() => TestBed.resetTestingModule());

  /** Waits until the server has no stream open, and returns its stats. */
  const settled = async () => {
    await until(() => server.stats.active === 0, 'the server to finish its streams');
    return { ...server.stats };
  };

  it('should stream one answer per prompt, its value growing until done', async () => {
    const before = await settled();
    chat.ask('Count to 20');
    expect(chat.answer.status()).toBe('loading');
    const texts: string[] = [];
    await until(
      () => {
        const value = chat.answer.hasValue() ? chat.answer.value() : undefined;
        if (value !== undefined && texts.at(-1) !== value.text) texts.push(value.text);
        return value?.done === true;
      },
      'the answer',
      5000,
    );
    const expected = `${Array.from({ length: 20 }, (_, i) => i + 1).join(', ')}.`;
    expect(texts.length).toBeGreaterThan(2);
    expect(texts.at(-1)).toBe(expected);
    for (const text of texts) expect(expected.startsWith(text)).toBe(true);
    const answer = chat.answer.value() as ChatAnswer;
    expect(answer.snapshot?.choices[0]?.finish_reason).toBe('stop');
    // No usage operator: the server's own usage (include_usage), as it reported it.
    expect(answer.usage).toEqual(answer.snapshot?.usage);
    expect(answer.usage?.completion_tokens).toBeGreaterThan(20);
    expect(answer.metrics).toBeNull();
    expect(chat.answer.status()).toBe('resolved');
    expect(chat.answer.isLoading()).toBe(false);
    expect(chat.answer.error()).toBeUndefined();
    // The component renders it.
    await fixture.whenStable();
    expect((fixture.nativeElement as HTMLElement).querySelector('p')?.textContent).toBe(expected);
    const after = await settled();
    expect(after.completed - before.completed).toBe(1);
    expect(after.aborted - before.aborted).toBe(0);
  });

  it('should abort the request in flight when a new prompt comes, even the same text again', async () => {
    const before = await settled();
    chat.ask('Count to 60');
    await until(() => chat.answer.hasValue() && (chat.answer.value()?.text.length ?? 0) > 0, 'the first words');
    expect(chat.answer.value()?.done).toBe(false);
    chat.ask('Count to 60');
    await until(() => server.stats.aborted - before.aborted === 1, 'the first request to be aborted');
    expect(signals).toHaveLength(2);
    expect(signals[0]?.aborted).toBe(true);
    expect(signals[1]?.aborted).toBe(false);
    // The second answer starts afresh and completes.
    await until(() => chat.answer.hasValue() && chat.answer.value()?.done === true, 'the second answer', 5000);
    expect(chat.answer.value()?.text).toBe(`${Array.from({ length: 60 }, (_, i) => i + 1).join(', ')}.`);
    const after = await settled();
    expect(after.requests - before.requests).toBe(2);
    expect(after.completed - before.completed).toBe(1);
    expect(after.aborted - before.aborted).toBe(1);
  });

  it('should abort the request in flight when the component is destroyed', async () => {
    const before = await settled();
    chat.ask('Count to 60');
    await until(() => chat.answer.hasValue() && (chat.answer.value()?.text.length ?? 0) > 0, 'the first words');
    fixture.destroy();
    await until(() => server.stats.aborted - before.aborted === 1, 'the request to be aborted');
    expect(signals[0]?.aborted).toBe(true);
    expect(chat.answer.status()).toBe('idle');
    const after = await settled();
    expect(after.completed - before.completed).toBe(0);
  });

  it('should abort the request in flight when the testing module is torn down', async () => {
    const before = await settled();
    chat.ask('Count to 60');
    await until(() => chat.answer.hasValue(), 'the first words');
    TestBed.resetTestingModule();
    await until(() => server.stats.aborted - before.aborted === 1, 'the request to be aborted');
    expect(signals[0]?.aborted).toBe(true);
  });

  it('should show an HTTP 500 in error(), then answer the next prompt', async () => {
    chat.ask('Say hi', 'server-error');
    await until(() => chat.answer.status() === 'error', 'the error');
    const error = chat.answer.error();
    expect(error).toEqual(expect.any(HTTPStatusError));
    expect((error as HTTPStatusError).status).toBe(500);
    expect(chat.answer.hasValue()).toBe(false);
    expect(chat.answer.isLoading()).toBe(false);

    chat.ask('Say hi');
    expect(chat.answer.status()).toBe('loading');
    await until(() => chat.answer.hasValue() && chat.answer.value()?.done === true, 'the next answer', 5000);
    expect(chat.answer.value()?.text).toBe('You said: "Say hi"');
    expect(chat.answer.error()).toBeUndefined();
    expect(chat.answer.status()).toBe('resolved');
  });

  it('should stay idle until the first prompt, sending nothing', async () => {
    const before = await settled();
    await fixture.whenStable();
    expect(chat.answer.status()).toBe('idle');
    expect(chat.answer.value()).toBeUndefined();
    expect(server.stats.requests).toBe(before.requests);
  });
});

describe('chatResource options', () => {
  beforeEach(() => TestBed.configureTestingModule({ providers: [provideZonelessChangeDetection()] }));
  afterEach(() => TestBed.resetTestingModule());

  const chunksOf = (text: string): ChatCompletionChunk[] => buildChunks(text, { model: 'gpt-4o-mini' });

  it('should coalesce the chunks of one frame into one value (renderRate)', async () => {
    const scheduler = new VirtualTimeScheduler();
    const chunks = new Subject<ChatCompletionChunk>();
    const prompt = signal<object | undefined>(undefined);
    const answer = TestBed.runInInjectionContext(() =>
      chatResource({ params: () => prompt(), stream: () => chunks, renderScheduler: scheduler }),
    );
    prompt.set({});
    TestBed.tick();
    const all = chunksOf('one two three four');
    const textOf = (count: number): string =>
      all
        .slice(0, count)
        .map((chunk) => chunk.choices[0]?.delta.content ?? '')
        .join('');
    chunks.next(all[0]!);
    chunks.next(all[1]!);
    scheduler.flush();
    await until(() => answer.hasValue(), 'the first value');
    expect(answer.value()?.text).toBe(textOf(2));
    // Three more chunks, no frame yet: the resource still shows the last frame's text.
    for (const chunk of all.slice(2, 5)) chunks.next(chunk);
    expect(answer.value()?.text).toBe(textOf(2));
    scheduler.flush();
    expect(answer.value()?.text).toBe(textOf(5));
    for (const chunk of all.slice(5)) chunks.next(chunk);
    chunks.complete();
    // Completion flushes at once: the last value is never held back.
    expect(answer.value()).toMatchObject({ text: 'one two three four', done: true });
  });

  it('should give usage and metrics from the operators it is given', async () => {
    const all = chunksOf('Hello there, how are you?');
    const prompt = signal<{ text: string } | undefined>(undefined);
    const answer = TestBed.runInInjectionContext(() =>
      chatResource({
        params: () => prompt(),
        stream: () => fromChunksOf(all),
        usage: (params) => usage({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: params.text }] }),
        metrics: () => streamMetrics({ live: true }),
      }),
    );
    prompt.set({ text: 'Say hello' });
    TestBed.tick();
    await until(() => answer.hasValue() && answer.value()?.done === true, 'the answer');
    const value = answer.value() as ChatAnswer;
    expect(value.text).toBe('Hello there, how are you?');
    expect(value.usage).toMatchObject({ estimated: true, promptCounted: true });
    expect(value.usage?.completion_tokens).toBe(7);
    expect(value.usage?.prompt_tokens).toBeGreaterThan(0);
    expect(value.metrics?.chunks).toBe(all.length);
    expect(value.metrics?.timeToFirstChunk).not.toBeNull();
  });

  it('should take any metrics operator, typed by what it emits', async () => {
    const all = chunksOf('Hi there');
    const prompt = signal<object | undefined>(undefined);
    const answer = TestBed.runInInjectionContext(() =>
      chatResource({
        params: () => prompt(),
        stream: () => fromChunksOf(all),
        // Counts chunks, no tokens.
        metrics: () => (chunks: Observable<ChatCompletionChunk>) => chunks.pipe(scan((count) => count + 1, 0)),
      }),
    );
    prompt.set({});
    TestBed.tick();
    await until(() => answer.hasValue() && answer.value()?.done === true, 'the answer');
    const metrics: number | null | undefined = answer.value()?.metrics;
    expect(metrics).toBe(all.length);
  });

  it('should end an empty stream with an empty, done answer (not an Angular error)', async () => {
    const prompt = signal<object | undefined>(undefined);
    const answer = TestBed.runInInjectionContext(() => chatResource({ params: () => prompt(), stream: () => fromChunksOf([]) }));
    prompt.set({});
    TestBed.tick();
    await until(() => answer.hasValue(), 'the answer');
    expect(answer.value()).toEqual({ text: '', snapshot: null, usage: null, metrics: null, done: true });
  });

  it('should throw an InvalidInputError for bad options', () => {
    TestBed.runInInjectionContext(() => {
      expect(() => chatResource(undefined as never)).toThrow(InvalidInputError);
      expect(() => chatResource({ params: () => ({}), stream: 'x' as never })).toThrow(/options\.stream/);
      expect(() => chatResource({ params: () => ({}), stream: () => fromChunksOf([]), usage: 1 as never })).toThrow(
        InvalidInputError,
      );
    });
  });
});

/** The chunks, asynchronously (one per macrotask), as a network would bring them. */
function fromChunksOf(chunks: readonly ChatCompletionChunk[]): Observable<ChatCompletionChunk> {
  return scheduled(chunks, asyncScheduler);
}
