import {
  asyncScheduler,
  concatMap,
  defer,
  from,
  map,
  Observable,
  of,
  Subscription,
  tap,
  type ObservableInput,
  type Observer,
  type SchedulerLike,
} from 'rxjs';
import { InvalidInputError } from '../errors.js';
import { isObject } from '../json.js';
import { fromChatCompletion, type ChatCompletionsClient } from '../sources/fromChatCompletion.js';
import { countPromptTokens } from '../tokens/countPromptTokens.js';
import { encodingForModel } from '../tokens/encodingForModel.js';
import { estimateUsageWhenReady } from '../tokens/estimateUsage.js';
import { encodingReady, loadEncoding } from '../tokens/loadEncoding.js';
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionMessageParam, ChatCompletionSnapshot, ChatCompletionTool } from '../types.js';
import { Budget } from './budget.js';
import { fractionOption, functionOption, integerOption, numberOption, optionsOf, positiveOption, schedulerOption } from './operatorOptions.js';
import { reportUnhandledError } from './reportUnhandledError.js';
import { httpStatusOf, isRetryableError, retryWait, type Backoff } from './retryRules.js';
import type { RetryStreamOptions } from './retryStream.js';
import { streamTimeout, type StreamTimeoutOptions } from './streamTimeout.js';
import { toChatCompletion } from './toChatCompletion.js';
import type { EstimatedUsage } from './usage.js';

/**
 * A chat request as {@link streamMany} reads it: the body of a chat completion (`stream: true` is
 * set when it is sent through `client`; every other field is sent as it is). The fields named
 * here are the ones it reads, to count the tokens a budget is charged.
 */
export interface StreamManyRequest {
  model?: string;
  messages?: readonly ChatCompletionMessageParam[];
  tools?: readonly ChatCompletionTool[] | null;
  max_completion_tokens?: number | null;
  max_tokens?: number | null;
}

/** What {@link streamMany} measured of a request (the attempt that ended it), in ms of its scheduler. */
export interface StreamManyMetrics {
  /** From the start of the attempt to its first chunk (undefined when none came). */
  timeToFirstChunk: number | undefined;
  /** From the start of the attempt to its end. */
  duration: number;
  /** How many requests were made for it (1 when the first went through). */
  attempts: number;
}

/** A request that was answered: its completion, usage and timing. */
export interface StreamManySuccess<R> {
  /** Its position in the input, from 0. */
  index: number;
  request: R;
  /** The rebuilt answer, as `toChatCompletion()` gives it. */
  completion: ChatCompletion;
  /** The server's usage (`estimated: false`) or, when it sent none, counted (`estimated: true`). */
  usage: EstimatedUsage;
  metrics: StreamManyMetrics;
}

/** A request that failed (after its retries): the error, and the usage of what came, if anything did. */
export interface StreamManyFailure<R> {
  index: number;
  request: R;
  /** The last error, as the source raised it (with `partial` when output had begun). */
  error: unknown;
  /** When output had begun: the usage counted from `error.partial` and the request. */
  usage?: EstimatedUsage;
  metrics: StreamManyMetrics;
}

/** One result of {@link streamMany}: tell them apart with `'error' in result`. */
export type StreamManyResult<R> = StreamManySuccess<R> | StreamManyFailure<R>;

/** Where a {@link streamMany} run stands: sent after each start and each end of a request. */
export interface StreamManyProgress {
  /** Requests finished: answered or failed. */
  done: number;
  /** Of those, failed. */
  failed: number;
  /** Requests in flight now. */
  inFlight: number;
  /** Requests waiting: read from the input but not started, or waiting to be retried. */
  waiting: number;
  /** Tokens used so far: the sum of `usage.total_tokens` of every result that has one. */
  tokens: number;
  /** The concurrency in force now (lowered after a 429, raised again as requests succeed). */
  concurrency: number;
  /** How many requests the input holds, when it is an array. */
  total?: number;
}

/** Options of {@link streamMany}: `client` or `source`, and the limits. */
export interface StreamManyOptions<R> {
  /** An `openai`-shaped client: each request is sent with `fromChatCompletion(client, request)`. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  client?: ChatCompletionsClient<any>;
  /** Instead of `client`: the chunks of one request (`fromSSE`, a fake in tests). Cold: subscribed once per attempt. */
  source?: (request: R, index: number) => ObservableInput<ChatCompletionChunk>;
  /** The most requests in flight; default 8. Lowered after a 429, never raised above this. */
  concurrency?: number;
  /** A budget of requests per minute (each attempt is charged 1). */
  requestsPerMinute?: number;
  /**
   * A budget of tokens per minute: each attempt is charged its counted prompt tokens plus its
   * `max_completion_tokens` (else `max_tokens`); a request with neither is charged its prompt
   * when it starts and its completion tokens when it ends.
   */
  tokensPerMinute?: number;
  /** Emit the results in input order (default false: as they end). */
  ordered?: boolean;
  /** Retries before output (the rule of `retryStream`); default `{ count: 2 }`; `false` for none. */
  retry?: Omit<RetryStreamOptions, 'scheduler'> | false;
  /** Time limits per attempt (`streamTimeout`'s `first`, `idle`, `total`). */
  timeout?: Omit<StreamTimeoutOptions, 'scheduler'>;
  /** Called (or `next`-ed) with the progress after each start and each end. */
  progress?: ((progress: StreamManyProgress) => void) | Pick<Observer<StreamManyProgress>, 'next'>;
  /** The clock of the budgets, waits, timeouts and metrics; default `asyncScheduler`. */
  scheduler?: SchedulerLike;
}

/** What streamMany accepts as its requests. */
export type StreamManyInput<R> = Iterable<R> | AsyncIterable<R> | Observable<R>;

const WHERE = 'streamMany';

interface Job<R> {
  index: number;
  request: R;
  attempts: number;
  /** Tokens charged per attempt, once counted (undefined: not yet; null: not countable, or no token budget). */
  cost?: number | null;
  /** The completion tokens reserved per attempt (`max_completion_tokens`/`max_tokens`); 0 when neither is set. */
  reserved: number;
  /** The scheduler time of its latest start. */
  startedAt: number;
}

/** The usage counted from a request and what came (a whole completion, or a partial snapshot). */
function countUsage(completion: ChatCompletion | ChatCompletionSnapshot, request: unknown): Observable<EstimatedUsage> {
  const usageRequest = isObject(request) ? (request as StreamManyRequest) : undefined;
  const promptCounted = usageRequest?.messages != null;
  return estimateUsageWhenReady(completion, usageRequest).pipe(map((counted) => ({ ...counted, estimated: true, promptCounted })));
}

function reservedTokens(request: StreamManyRequest): number {
  const max = request.max_completion_tokens ?? request.max_tokens;
  return typeof max === 'number' && Number.isFinite(max) && max > 0 ? max : 0;
}

/**
 * Streams many chat requests, a bounded number at a time, within request and token budgets, and
 * emits one result per request: its completion, usage and timing, or its error.
 *
 * <span class="informal">A batch job in one Observable: concurrency, rate limits, retries and
 * 429s handled, every request accounted for.</span>
 *
 * ```
 * requests: [q0, q1, q2, q3], concurrency: 2
 * q0:       ---a--b--|
 * q1:       -a-----#                   an error after output: not retried
 * q2:              -a--b|              starts when q1's slot frees
 * q3:                --a-b|            starts when q0's slot frees
 * result:   -------1-0--2-(3|)         0 = { index: 0, request, completion, usage, metrics }
 *                                      1 = { index: 1, request, error, usage, metrics }
 * ```
 * (results come as requests end; `ordered: true` emits them in input order)
 *
 * Requests come from an array or any iterable (read lazily: one request when a slot frees, so a
 * generator over a huge file is fine), an async iterable or an Observable (read as they come).
 * Each is streamed with `fromChatCompletion(client, request)`, or with `source(request, index)`
 * (e.g. `fromSSE`), and rebuilt with `toChatCompletion()`. For each, one result:
 * - `{ index, request, completion, usage, metrics }`: `usage` is the server's when it sent one
 *   (ask with `stream_options: { include_usage: true }`), else counted (`estimated: true`);
 *   `metrics` is `{ timeToFirstChunk, duration, attempts }` of the attempt that ended it (a minimal
 *   set: for more, pipe your own `source` through a metrics operator);
 * - or `{ index, request, error, usage?, metrics }`: the request failed; the others go on. With
 *   `usage` when output had begun (counted from `error.partial`), since those tokens were billed.
 *
 * Limits:
 * - `concurrency` (default 8): the most requests in flight;
 * - `requestsPerMinute`, `tokensPerMinute`: budgets, each a token bucket refilled continuously
 *   that holds a tenth of a second's worth, so requests go out evenly spaced, and no window of
 *   60 s is charged more than the limit (see below for large token charges). Each attempt,
 *   retries included, is charged one request, and, as the API counts its own limits, its prompt
 *   tokens (counted with `countPromptTokens`) plus `max_completion_tokens` (else `max_tokens`).
 *   A request with neither is charged its prompt when it starts and the completion tokens it
 *   used when it ends (the API cannot know them before either): the budget may then be
 *   overdrawn for a moment, and later requests wait until it is paid back. A charge larger
 *   than a tenth of a second's worth waits for a full bucket and leaves it in debt.
 * - retries (`retry`, default `{ count: 2 }`, the options of `retryStream` and its rule: 408, 409,
 *   429, 5xx, network failures, `server_error` events, first-chunk timeouts), only before a
 *   request's first chunk, so no output is ever duplicated. A retry waits without holding a slot.
 * - on a 429, the server's `retry-after` (else the backoff) pauses every new start, not only
 *   that request's, and the concurrency is halved (once per round of requests started before
 *   the cut); each `concurrency` successes in a row then raise it by one, back up to
 *   `concurrency` (additive increase, multiplicative decrease).
 * - `timeout`: `streamTimeout`'s limits, per attempt.
 *
 * `progress` is called (or `next`-ed, a `Subject` will do) with `{ done, failed, inFlight,
 * waiting, tokens, concurrency, total? }` after each start and each end; one that throws is
 * reported as `meter` reports a throwing `onUsage` (`config.onUnhandledError`), and the run goes
 * on. Time (budgets, waits, timeouts, metrics) comes from `scheduler`, so `TestScheduler.run`
 * makes it virtual.
 *
 * The result completes when every request has its result. Unsubscribing aborts every request in
 * flight and stops reading the input. An error of the input itself is passed on once the
 * requests in flight have ended. A request that is not an object fails on its own (an
 * `InvalidInputError` in its result); bad options throw an `InvalidInputError` when called.
 *
 * ## Example
 * ```ts
 * import OpenAI from 'openai';
 * import { streamMany } from 'rxjs-chat-stream';
 *
 * const client = new OpenAI({ maxRetries: 0 });
 * const requests = ['Paris', 'Tehran', 'Lima'].map((city) => ({
 *   model: 'gpt-4o-mini',
 *   messages: [{ role: 'user' as const, content: `One fact about ${city}.` }],
 *   max_completion_tokens: 100,
 *   stream_options: { include_usage: true },
 * }));
 * streamMany(requests, { client, concurrency: 2, requestsPerMinute: 500, tokensPerMinute: 200_000 }).subscribe((result) =>
 *   console.log(result.index, 'error' in result ? `failed: ${String(result.error)}` : result.usage.total_tokens),
 * );
 * // Logs:
 * // 1 48
 * // 0 51
 * // 2 45
 * ```
 *
 * @see {@link retryStream}
 * @see {@link streamTimeout}
 * @see {@link toChatCompletion}
 *
 * @param requests The chat requests: an array, an iterable, an async iterable or an Observable.
 * @param options `client` or `source`; `concurrency`, `requestsPerMinute`, `tokensPerMinute`,
 * `ordered`, `retry`, `timeout`, `progress`, `scheduler`.
 * @return An Observable that emits one result per request and completes after the last.
 */
export function streamMany<R extends object = StreamManyRequest>(
  requests: StreamManyInput<R>,
  options: StreamManyOptions<R>,
): Observable<StreamManyResult<R>> {
  const given = optionsOf<StreamManyOptions<R>>(options, `${WHERE}()`);
  if (typeof requests !== 'object' || requests === null) {
    throw new InvalidInputError(`${WHERE}() requests`, requests, 'an array, an iterable, an async iterable or an Observable of requests');
  }
  const isSync = typeof (requests as Partial<Iterable<R>>)[Symbol.iterator] === 'function';
  const isAsync =
    typeof (requests as Partial<AsyncIterable<R>>)[Symbol.asyncIterator] === 'function' ||
    typeof (requests as { subscribe?: unknown }).subscribe === 'function';
  if (!isSync && !isAsync) {
    throw new InvalidInputError(`${WHERE}() requests`, requests, 'an array, an iterable, an async iterable or an Observable of requests');
  }
  const client = given.client;
  if (client !== undefined && typeof (client as { chat?: { completions?: { create?: unknown } } } | null)?.chat?.completions?.create !== 'function') {
    throw new InvalidInputError(`${WHERE}() options.client`, client, 'an openai-shaped client (chat.completions.create)');
  }
  const sourceOption = functionOption<(request: R, index: number) => ObservableInput<ChatCompletionChunk>>(given.source, `${WHERE}() options.source`);
  if ((client === undefined) === (sourceOption === undefined)) {
    throw new InvalidInputError(`${WHERE}() options.client / options.source`, client ?? sourceOption, 'exactly one of client and source');
  }
  const maxConcurrency = (integerOption(given.concurrency, `${WHERE}() options.concurrency`, 1) ?? 8);
  const requestsPerMinute = positiveOption(given.requestsPerMinute, `${WHERE}() options.requestsPerMinute`);
  const tokensPerMinute = positiveOption(given.tokensPerMinute, `${WHERE}() options.tokensPerMinute`);
  const ordered = given.ordered === true;
  const scheduler = schedulerOption(given.scheduler, `${WHERE}() options.scheduler`, asyncScheduler);
  const retryGiven = given.retry === false ? { count: 0 } : optionsOf<Omit<RetryStreamOptions, 'scheduler'>>(given.retry, `${WHERE}() options.retry`);
  const retryCount = (integerOption(retryGiven.count, `${WHERE}() options.retry.count`, 0) ?? 2);
  const backoff: Backoff = {
    delay: numberOption(retryGiven.delay, `${WHERE}() options.retry.delay`, 500, 0, false, 'ms'),
    maxDelay: numberOption(retryGiven.maxDelay, `${WHERE}() options.retry.maxDelay`, 8000, 0, false, 'ms'),
    jitter: fractionOption(retryGiven.jitter, `${WHERE}() options.retry.jitter`, 0.25),
    random: functionOption<() => number>(retryGiven.random, `${WHERE}() options.retry.random`) ?? Math.random,
  };
  const retryOn = functionOption<(error: unknown, attempt: number) => boolean>(retryGiven.retryOn, `${WHERE}() options.retry.retryOn`);
  const timeout = given.timeout === undefined ? undefined : { ...optionsOf<Omit<StreamTimeoutOptions, 'scheduler'>>(given.timeout, `${WHERE}() options.timeout`), scheduler };
  if (timeout !== undefined) streamTimeout(timeout); // checks the limits now, not per request
  const progressOption = given.progress;
  if (progressOption !== undefined && typeof progressOption !== 'function' && typeof (progressOption as { next?: unknown } | null)?.next !== 'function') {
    throw new InvalidInputError(`${WHERE}() options.progress`, progressOption, 'a function or an observer with next()');
  }
  const total = Array.isArray(requests) ? requests.length : undefined;

  const open = (request: R, index: number): Observable<ChatCompletionChunk> =>
    defer(() =>
      sourceOption !== undefined
        ? from(sourceOption(request, index))
        : fromChatCompletion(client as ChatCompletionsClient<{ stream?: boolean | null }>, request as never),
    );

  return new Observable<StreamManyResult<R>>((subscriber) => {
    const teardown = new Subscription();
    const pending: Array<Job<R>> = [];
    let iterator: Iterator<R> | undefined = isSync ? (requests as Iterable<R>)[Symbol.iterator]() : undefined;
    let inputDone = false;
    let inputError: { error: unknown } | undefined;
    let nextIndex = 0;
    let inFlight = 0;
    /** Requests waiting out their retry's backoff (a 429's wait is a pause of every start instead). */
    let sleeping = 0;
    /** Failed requests whose usage is being counted. */
    let settling = 0;
    let limit = maxConcurrency;
    let raiseCredit = 0;
    /** No new start before this time (after a 429). */
    let pausedUntil = -Infinity;
    /** Requests started before this time do not lower the concurrency again (one cut per round). */
    let lastCutAt = -Infinity;
    let wake: Subscription | undefined;
    let loading = false;
    const stats = { done: 0, failed: 0, tokens: 0 };
    const budgets = {
      requests: requestsPerMinute === undefined ? undefined : new Budget(requestsPerMinute, scheduler.now()),
      tokens: tokensPerMinute === undefined ? undefined : new Budget(tokensPerMinute, scheduler.now()),
    };
    /** Ordered mode: results that wait for an earlier one. */
    const held = new Map<number, StreamManyResult<R>>();
    /** The subscription of each request in flight. */
    const running = new Map<Job<R>, Subscription>();
    let nextToEmit = 0;

    const report = (): void => {
      if (progressOption === undefined) return;
      const progress: StreamManyProgress = {
        done: stats.done,
        failed: stats.failed,
        inFlight,
        waiting: pending.length + sleeping,
        tokens: stats.tokens,
        concurrency: limit,
        ...(total === undefined ? {} : { total }),
      };
      try {
        if (typeof progressOption === 'function') progressOption(progress);
        else progressOption.next?.(progress);
      } catch (error) {
        reportUnhandledError(error);
      }
    };

    const finished = (): boolean => inputDone && pending.length === 0 && inFlight === 0 && sleeping === 0 && settling === 0;

    const checkEnd = (): void => {
      if (subscriber.closed || !finished()) return;
      if (inputError !== undefined) subscriber.error(inputError.error);
      else subscriber.complete();
    };

    const emit = (result: StreamManyResult<R>): void => {
      stats.done++;
      if ('error' in result) stats.failed++;
      if (result.usage !== undefined) stats.tokens += result.usage.total_tokens;
      if (!ordered) {
        subscriber.next(result);
        return;
      }
      held.set(result.index, result);
      for (let next = held.get(nextToEmit); next !== undefined && !subscriber.closed; next = held.get(nextToEmit)) {
        held.delete(nextToEmit++);
        subscriber.next(next);
      }
    };

    const newJob = (request: R): Job<R> => ({
      index: nextIndex++,
      request,
      attempts: 0,
      reserved: isObject(request) ? reservedTokens(request as StreamManyRequest) : 0,
      startedAt: 0,
    });

    /** The next job to start, reading the input when needed (lazily, for an iterable). */
    const peek = (): Job<R> | undefined => {
      if (pending.length === 0 && iterator !== undefined) {
        let step: IteratorResult<R>;
        try {
          step = iterator.next();
        } catch (error) {
          iterator = undefined;
          inputDone = true;
          inputError = { error };
          return undefined;
        }
        if (step.done === true) {
          iterator = undefined;
          inputDone = true;
        } else {
          pending.push(newJob(step.value));
        }
      }
      return pending[0];
    };

    /** The tokens an attempt is charged up front, or null when there is no token budget or nothing to count. */
    const costOf = (job: Job<R>): number | null | 'loading' => {
      if (budgets.tokens === undefined) return null;
      if (job.cost !== undefined) return job.cost;
      if (!isObject(job.request)) return (job.cost = job.reserved);
      const request = job.request as StreamManyRequest;
      if (!Array.isArray(request.messages)) return (job.cost = job.reserved);
      const model = typeof request.model === 'string' ? request.model : '';
      const encoding = encodingForModel(model);
      if (!encodingReady(encoding)) {
        if (!loading) {
          loading = true;
          loadEncoding(encoding).then(
            () => ((loading = false), pump()),
            (error: unknown) => ((loading = false), subscriber.error(error)),
          );
        }
        return 'loading';
      }
      let prompt = 0;
      try {
        prompt = countPromptTokens(request.messages, model, request.tools);
      } catch {
        prompt = 0; // messages the counter cannot read: the request's own failure will tell
      }
      return (job.cost = prompt + job.reserved);
    };

    const armWake = (ms: number): void => {
      wake?.unsubscribe();
      wake = scheduler.schedule(() => {
        wake = undefined;
        pump();
      }, ms);
    };

    let pumping = false;
    let pumpAgain = false;
    /**
     * Starts what may start now, or arms the one timer for when the next may. Re-entrant calls
     * (a request that ends synchronously, inside its own start) only ask the running loop to go
     * round again: no recursion, however many requests end at once.
     */
    const pump = (): void => {
      if (pumping) {
        pumpAgain = true;
        return;
      }
      pumping = true;
      try {
        do {
          pumpAgain = false;
          startWhatMay();
        } while (pumpAgain && !subscriber.closed);
      } finally {
        pumping = false;
      }
      checkEnd();
    };

    const startWhatMay = (): void => {
      while (!subscriber.closed && inFlight < limit) {
        const job = peek();
        if (job === undefined) return;
        if (!isObject(job.request)) {
          // Not a request: it fails at once, without a slot's wait or a charge.
          pending.shift();
          start(job, scheduler.now());
          continue;
        }
        const cost = costOf(job);
        if (cost === 'loading') return;
        const now = scheduler.now();
        const wait = Math.max(
          pausedUntil - now,
          budgets.requests?.wait(1, now) ?? 0,
          cost === null ? 0 : (budgets.tokens?.wait(cost, now) ?? 0),
        );
        if (wait > 0) {
          armWake(Math.ceil(wait));
          return;
        }
        pending.shift();
        budgets.requests?.charge(1, now);
        if (cost !== null) budgets.tokens?.charge(cost, now);
        start(job, now);
      }
    };

    const start = (job: Job<R>, now: number): void => {
      inFlight++;
      job.attempts++;
      job.startedAt = now;
      report();
      if (!isObject(job.request)) {
        end(job, undefined, { error: new InvalidInputError(`${WHERE}() requests[${job.index}]`, job.request, 'a chat request object') }, false);
        return;
      }
      let firstAt: number | undefined;
      let chunks = open(job.request, job.index).pipe(
        tap(() => {
          firstAt ??= scheduler.now();
        }),
      );
      if (timeout !== undefined) chunks = chunks.pipe(streamTimeout<ChatCompletionChunk>(timeout));
      const attempt = chunks
        .pipe(
          toChatCompletion(),
          concatMap((completion) =>
            (completion.usage !== undefined
              ? of<EstimatedUsage>({ ...completion.usage, estimated: false, promptCounted: true })
              : countUsage(completion, job.request)
            ).pipe(map((usage) => ({ completion, usage }))),
          ),
        )
        .subscribe({
          next: (answer) => end(job, firstAt, { answer }, true),
          error: (error: unknown) => end(job, firstAt, { error }, firstAt === undefined),
        });
      if (!attempt.closed) {
        teardown.add(attempt);
        running.set(job, attempt);
      }
    };
    const end = (
      job: Job<R>,
      firstAt: number | undefined,
      outcome: { answer: { completion: ChatCompletion; usage: EstimatedUsage } } | { error: unknown },
      beforeOutput: boolean,
    ): void => {
      const attempt = running.get(job);
      if (attempt !== undefined) {
        running.delete(job);
        teardown.remove(attempt);
      }
      inFlight--;
      const now = scheduler.now();
      const metrics: StreamManyMetrics = {
        timeToFirstChunk: firstAt === undefined ? undefined : firstAt - job.startedAt,
        duration: now - job.startedAt,
        attempts: job.attempts,
      };
      if ('answer' in outcome) {
        const { completion, usage } = outcome.answer;
        if (job.reserved === 0 && job.cost != null) budgets.tokens?.charge(usage.completion_tokens, now);
        // Additive increase: by one per `limit` successes of requests started since the last cut.
        if (limit < maxConcurrency && job.startedAt >= lastCutAt && ++raiseCredit >= limit) {
          limit++;
          raiseCredit = 0;
        }
        emit({ index: job.index, request: job.request, completion, usage, metrics });
        report();
        pump();
        return;
      }
      const { error } = outcome;
      const rateLimited = httpStatusOf(error) === 429;
      if (rateLimited) {
        // Multiplicative decrease, once per round: requests started before the last cut may
        // still meet the same limit, and do not cut again.
        if (job.startedAt >= lastCutAt) {
          limit = Math.max(1, Math.floor(limit / 2));
          raiseCredit = 0;
          lastCutAt = now;
        }
        // Every new start waits: the server's retry-after, else the backoff (never over maxDelay).
        const pause = retryWait(error, job.attempts, backoff, scheduler) ?? backoff.maxDelay;
        pausedUntil = Math.max(pausedUntil, now + pause);
      }
      if (beforeOutput && isObject(job.request) && job.attempts <= retryCount && !subscriber.closed) {
        let wait: number | undefined;
        try {
          const retry = retryOn === undefined ? isRetryableError(error) : retryOn(error, job.attempts) === true;
          wait = retry ? retryWait(error, job.attempts, backoff, scheduler) : undefined;
        } catch (failure) {
          finishFailure(job, failure, metrics);
          return;
        }
        if (wait !== undefined) {
          if (rateLimited) {
            // First in line once the pause is over.
            pending.unshift(job);
          } else {
            sleeping++;
            const timer = scheduler.schedule(() => {
              teardown.remove(timer);
              sleeping--;
              pending.unshift(job);
              pump();
            }, wait);
            teardown.add(timer);
          }
          report();
          pump();
          return;
        }
      }
      finishFailure(job, error, metrics);
    };

    const finishFailure = (job: Job<R>, error: unknown, metrics: StreamManyMetrics): void => {
      const partial = (error as { partial?: ChatCompletionSnapshot } | null)?.partial;
      const failure = (usage?: EstimatedUsage): void => {
        if (usage !== undefined && job.reserved === 0 && job.cost != null) budgets.tokens?.charge(usage.completion_tokens, scheduler.now());
        emit({ index: job.index, request: job.request, error, ...(usage === undefined ? {} : { usage }), metrics });
        report();
        pump();
      };
      if (partial === undefined || partial === null || typeof partial !== 'object') {
        failure();
        return;
      }
      // Counting may wait for an encoding to load (browsers): the run does not end before it.
      settling++;
      let counted: EstimatedUsage | undefined;
      teardown.add(
        countUsage(partial, job.request).subscribe({
          next: (usage) => (counted = usage),
          error: () => {
            settling--;
            failure();
          },
          complete: () => {
            settling--;
            failure(counted);
          },
        }),
      );
    };

    if (!isSync) {
      teardown.add(
        from(requests as AsyncIterable<R> | Observable<R>).subscribe({
          next(request) {
            pending.push(newJob(request));
            pump();
          },
          error(error: unknown) {
            inputDone = true;
            inputError = { error };
            pump();
          },
          complete() {
            inputDone = true;
            pump();
          },
        }),
      );
    } else {
      pump();
    }

    return () => {
      teardown.unsubscribe();
      wake?.unsubscribe();
      iterator = undefined;
    };
  });
}
