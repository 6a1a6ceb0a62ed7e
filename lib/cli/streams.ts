/**
 * Small Observable helpers the commands share.
 * @internal
 */
import { Observable, type MonoTypeOperatorFunction } from 'rxjs';
import type { ChatCompletionChunk, CompletionUsage } from '../types.js';
import { InterruptedError } from './failures.js';

/** A cold Observable of one request's answer: sent on subscription, aborted on unsubscription. */
export function fromRequest<T>(send: (signal: AbortSignal) => PromiseLike<T>): Observable<T> {
  return new Observable<T>((subscriber) => {
    const controller = new AbortController();
    Promise.resolve()
      .then(() => send(controller.signal))
      .then(
        (value) => {
          subscriber.next(value);
          subscriber.complete();
        },
        (error: unknown) => subscriber.error(error),
      );
    return () => controller.abort();
  });
}

/** Errors with {@link InterruptedError} when `signal` aborts (unsubscribing upstream, so the request is aborted). */
export function untilAborted<T>(signal: AbortSignal | undefined): MonoTypeOperatorFunction<T> {
  return (source) =>
    signal === undefined
      ? source
      : new Observable<T>((subscriber) => {
          const onAbort = (): void => subscriber.error(new InterruptedError());
          if (signal.aborted) {
            onAbort();
            return;
          }
          signal.addEventListener('abort', onAbort, { once: true });
          const subscription = source.subscribe(subscriber);
          return () => {
            signal.removeEventListener('abort', onAbort);
            subscription.unsubscribe();
          };
        });
}

/** Whether a chunk carries part of the answer (text, a refusal or a tool call) for any choice. */
export function carriesOutput(chunk: ChatCompletionChunk): boolean {
  return (chunk.choices ?? []).some((choice) => {
    const delta = choice.delta as { content?: unknown; refusal?: unknown; tool_calls?: unknown } | undefined;
    return (
      (typeof delta?.content === 'string' && delta.content !== '') ||
      (typeof delta?.refusal === 'string' && delta.refusal !== '') ||
      (Array.isArray(delta?.tool_calls) && delta.tool_calls.length > 0)
    );
  });
}

/** Seconds with two decimals, as the notebook prints them. */
export function seconds(ms: number): string {
  return (ms / 1000).toFixed(2);
}

/** The usage numbers the CLI reports. */
export interface UsageNumbers {
  prompt: number;
  completion: number;
  total: number;
  /** Counted locally with js-tiktoken (the server sent none). */
  estimated: boolean;
}

/** The numbers of a `CompletionUsage` (`estimated` as given). */
export function usageNumbers(usage: CompletionUsage, estimated: boolean): UsageNumbers {
  return {
    prompt: usage.prompt_tokens,
    completion: usage.completion_tokens,
    total: usage.total_tokens,
    estimated,
  };
}

/** `36 prompt + 299 completion = 335 tokens (from the server)`. */
export function formatUsage(usage: UsageNumbers, how?: string): string {
  const source = how ?? (usage.estimated ? 'counted locally with usage(): the server sent none' : 'from the server');
  return `${usage.prompt} prompt + ${usage.completion} completion = ${usage.total} tokens (${source})`;
}
