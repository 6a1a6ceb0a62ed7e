import type { Injector, ResourceRef } from '@angular/core';
import { rxResource } from '@angular/core/rxjs-interop';
import {
  connect,
  defer,
  endWith,
  EMPTY,
  map,
  merge,
  scan,
  type Observable,
  type OperatorFunction,
  type SchedulerLike,
} from 'rxjs';
import { InvalidInputError } from '../errors.js';
import { accumulate } from '../operators/accumulate.js';
import { renderRate } from '../operators/renderRate.js';
import type { StreamMetrics } from '../operators/streamMetrics.js';
import type { ChatCompletionChunk, ChatCompletionSnapshot, CompletionUsage } from '../types.js';

/** The value of a {@link chatResource}: the answer so far, replaced as it grows. */
export interface ChatAnswer<U extends CompletionUsage = CompletionUsage, M = StreamMetrics> {
  /** The text of the first choice so far (its `content`; `''` before the first words). */
  text: string;
  /** Everything the stream has said so far, merged (see `accumulate()`); null before the first chunk. */
  snapshot: ChatCompletionSnapshot | null;
  /**
   * The usage: from the `usage` option's operator when given (e.g. `usage(request)`, which counts
   * when the server sent none), else the server's own `usage` once a chunk brought it; null until then.
   */
  usage: U | null;
  /** The latest value of the `metrics` option's operator (e.g. `streamMetrics({ live: true })`); null without it or before its first value. */
  metrics: M | null;
  /** `true` in the last value, once the stream has completed. */
  done: boolean;
}

/** What the `stream` option of {@link chatResource} is given: the params of this prompt and the request's abort signal. */
export interface ChatResourceRequest<P> {
  params: P;
  /** Aborted when a new prompt comes or the resource is destroyed (the returned Observable is unsubscribed too). */
  abortSignal: AbortSignal;
}

/** Options of {@link chatResource}. */
export interface ChatResourceOptions<P, U extends CompletionUsage = CompletionUsage, M = StreamMetrics> {
  /**
   * The prompt: a reactive function (read signals in it). `undefined` means no prompt yet (the
   * resource stays idle). Each new value starts a new request and aborts the one in flight; to ask
   * the same question twice, return a new object each time (a signal set to an equal string does
   * not change, a new object does).
   */
  params: () => P | undefined;
  /** The chunks of one answer: a cold Observable (e.g. `fromSSE((signal) => fetch(...))`); unsubscribing must abort it. */
  stream: (request: ChatResourceRequest<P>) => Observable<ChatCompletionChunk>;
  /**
   * The usage of one answer, as an operator over its chunks (e.g. `(params) => usage(params.request)`).
   * Optional so that an app that does not count tokens carries no tokenizer: without it, `usage`
   * is the server's own (`stream_options: { include_usage: true }`).
   */
  usage?: (params: P) => OperatorFunction<ChatCompletionChunk, U>;
  /**
   * Metrics of one answer, as an operator over its chunks: e.g. `() => streamMetrics({ live: true })`
   * (which counts tokens), or your own over `elapsed()` (which does not).
   */
  metrics?: (params: P) => OperatorFunction<ChatCompletionChunk, M>;
  /**
   * When values reach the resource: at most one per this scheduler's tick (see `renderRate()`).
   * Default: once per animation frame where `requestAnimationFrame` exists, else every 16 ms.
   */
  renderScheduler?: SchedulerLike;
  /** The injector whose destruction destroys the resource (and aborts its request); default: the current injection context. */
  injector?: Injector;
}

/** One update of the answer: a snapshot, a usage, metrics, or the end. */
type Update<U, M> =
  | { kind: 'snapshot'; snapshot: ChatCompletionSnapshot }
  | { kind: 'usage'; usage: U }
  | { kind: 'metrics'; metrics: M }
  | { kind: 'done' };

const DONE: Update<never, never> = { kind: 'done' };

/**
 * An Angular resource that streams one chat answer per prompt: its value grows as the chunks come.
 *
 * <span class="informal">`rxResource` for chat: a new prompt or the component's end aborts the request.</span>
 *
 * Built on Angular's `rxResource({ params, stream })`. Each prompt (each new value of `params`)
 * subscribes to `stream(...)` once; the value is a {@link ChatAnswer} (`text`, `snapshot`, `usage`,
 * `metrics`, `done`) replaced as chunks arrive, at most once per animation frame (`renderRate()`),
 * so a fast stream does not re-render the page for every chunk. `isLoading()` is true until the
 * first chunk of an answer (Angular's resources count a streamed value as loaded), `status()` is
 * `'loading'`, `'resolved'`, `'error'` or `'idle'`, and `value().done` tells when the answer is
 * complete.
 *
 * A new prompt, `reload()`, `destroy()` or the destruction of the injector (the component) unsubscribes
 * from the stream in flight, which aborts its HTTP request. An error (an HTTP 500, a dropped
 * connection) shows in `error()`; the toolkit's errors carry what had arrived as `partial`. The
 * next prompt starts afresh.
 *
 * ## Example
 * ```ts
 * import { Component, signal } from '@angular/core';
 * import { fromSSE } from 'rxjs-chat-stream';
 * import { chatResource } from 'rxjs-chat-stream/angular';
 *
 * @Component({
 *   selector: 'app-chat',
 *   template: `<input #box (keydown.enter)="ask(box.value)" /><p dir="auto">{{ answer.value()?.text }}</p>`,
 * })
 * export class ChatComponent {
 *   private readonly prompt = signal<{ text: string } | undefined>(undefined);
 *   readonly answer = chatResource({
 *     params: () => this.prompt(),
 *     stream: ({ params }) =>
 *       fromSSE((signal) =>
 *         fetch('/api/chat', {
 *           method: 'POST',
 *           signal,
 *           headers: { 'content-type': 'application/json' },
 *           body: JSON.stringify({ messages: [{ role: 'user', content: params.text }] }),
 *         }),
 *       ),
 *   });
 *   ask(text: string): void {
 *     this.prompt.set({ text }); // a new object: the same question again is a new request
 *   }
 * }
 * ```
 *
 * @see {@link ChatAnswer}
 * @param options The prompt (`params`), the chunks of one answer (`stream`), and optional `usage`,
 * `metrics`, `renderScheduler`, `injector`.
 * @return A `ResourceRef` whose value is the answer so far (`undefined` before the first prompt).
 */
export function chatResource<P, U extends CompletionUsage = CompletionUsage, M = StreamMetrics>(
  options: ChatResourceOptions<P, U, M>,
): ResourceRef<ChatAnswer<U, M> | undefined> {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidInputError('chatResource() options', options, 'an object with params and stream');
  }
  for (const name of ['params', 'stream'] as const) {
    if (typeof options[name] !== 'function') {
      throw new InvalidInputError(`chatResource() options.${name}`, options[name], 'a function');
    }
  }
  for (const name of ['usage', 'metrics'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') {
      throw new InvalidInputError(`chatResource() options.${name}`, options[name], 'a function or undefined');
    }
  }
  const { params, stream, usage, metrics, renderScheduler, injector } = options;
  return rxResource<ChatAnswer<U, M>, P | undefined>({
    params,
    ...(injector === undefined ? {} : { injector }),
    stream: ({ params: request, abortSignal }) =>
      defer(() => stream({ params: request as P, abortSignal })).pipe(
        connect((chunks) =>
          merge(
            chunks.pipe(
              accumulate(),
              map((snapshot): Update<U, M> => ({ kind: 'snapshot', snapshot })),
            ),
            usage === undefined ? EMPTY : chunks.pipe(usage(request as P), map((value): Update<U, M> => ({ kind: 'usage', usage: value }))),
            metrics === undefined
              ? EMPTY
              : chunks.pipe(metrics(request as P), map((value): Update<U, M> => ({ kind: 'metrics', metrics: value }))),
          ),
        ),
        endWith(DONE),
        scan(nextAnswer<U, M>(usage !== undefined), EMPTY_ANSWER as ChatAnswer<U, M>),
        renderRate<ChatAnswer<U, M>>(renderScheduler === undefined ? undefined : { mode: 'latest', scheduler: renderScheduler }),
      ),
  });
}

const EMPTY_ANSWER: ChatAnswer<never, never> = { text: '', snapshot: null, usage: null, metrics: null, done: false };

/** The next answer after one update: a new object, the unchanged fields shared. */
function nextAnswer<U extends CompletionUsage, M>(counted: boolean): (answer: ChatAnswer<U, M>, update: Update<U, M>) => ChatAnswer<U, M> {
  return (answer, update) => {
    switch (update.kind) {
      case 'snapshot': {
        const { snapshot } = update;
        const text = snapshot.choices[0]?.message.content ?? '';
        // Without a usage operator, the server's own usage (the usage chunk) is the usage.
        const reported = !counted && snapshot.usage !== undefined ? (snapshot.usage as U) : answer.usage;
        return { ...answer, text: typeof text === 'string' ? text : answer.text, snapshot, usage: reported };
      }
      case 'usage':
        return { ...answer, usage: update.usage };
      case 'metrics':
        return { ...answer, metrics: update.metrics };
      case 'done':
        return { ...answer, done: true };
    }
  };
}
