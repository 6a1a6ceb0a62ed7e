/**
 * A user's Angular file: every export of `rxjs-chat-stream/angular`, used the way a component uses
 * it. `spec/packaging.spec.ts` type-checks it only in a consumer that installed `@angular/core`
 * (an optional peer: the other consumers have no Angular, and never import this entry), with the
 * same strict options as `consumer.ts`. Never run.
 */
import { Injector, signal, type ResourceRef, type ResourceStatus } from '@angular/core';
import {
  elapsed,
  fromSSE,
  streamMetrics,
  usage,
  type ChatCompletionChunk,
  type CompletionUsage,
  type Elapsed,
  type EstimatedUsage,
  type StreamMetrics,
} from 'rxjs-chat-stream';
import { chatResource, type ChatAnswer, type ChatResourceOptions, type ChatResourceRequest } from 'rxjs-chat-stream/angular';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** Returns `value`; compiles only when its type is exactly `T` (never when it is `any`). */
declare function is<T>(): <U>(value: U, ...exact: Equal<T, U> extends true ? [] : [never]) => U;

interface Prompt {
  text: string;
}

const prompt = signal<Prompt | undefined>(undefined);
const injector = Injector.create({ providers: [] });

const options: ChatResourceOptions<Prompt> = {
  params: () => prompt(),
  stream: (request: ChatResourceRequest<Prompt>) =>
    fromSSE((signal) =>
      fetch('/api/chat', {
        method: 'POST',
        signal,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ messages: [{ role: 'user', content: request.params.text }], aborted: request.abortSignal.aborted }),
      }),
    ),
  injector,
};
const plain: ResourceRef<ChatAnswer | undefined> = chatResource(options);
const answer: ChatAnswer | undefined = plain.value();
is<string | undefined>()(answer?.text);
is<CompletionUsage | null | undefined>()(answer?.usage);
is<StreamMetrics | null | undefined>()(answer?.metrics);
is<boolean | undefined>()(answer?.done);
is<string | undefined>()(answer?.snapshot?.model);
is<ResourceStatus>()(plain.status());
is<Error | undefined>()(plain.error());
is<boolean>()(plain.isLoading());

// Counting: the usage operator's own type (with `estimated`) is the value's usage type.
const counted = chatResource({
  ...options,
  usage: (params: Prompt) => usage({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: params.text }] }),
  metrics: () => streamMetrics({ live: true }),
});
is<EstimatedUsage | null | undefined>()(counted.value()?.usage);

// Any metrics operator: the value's metrics take its type.
const timed = chatResource({ ...options, metrics: () => elapsed<ChatCompletionChunk>() });
is<Elapsed<ChatCompletionChunk> | null | undefined>()(timed.value()?.metrics);
prompt.set({ text: 'Hello' });
counted.destroy();
