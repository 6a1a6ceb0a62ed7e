import { filter, map, take, type OperatorFunction } from 'rxjs';
import { elapsed, type ChatCompletionChunk } from 'rxjs-chat-stream';

/** When the first words came: ms after the request. */
export interface FirstWords {
  timeToFirstToken: number;
}

/**
 * The time to the first token, without counting tokens (so no tokenizer in the bundle):
 * `streamMetrics()` gives it too, along with counts that need the tokenizer.
 */
export function firstWords(): OperatorFunction<ChatCompletionChunk, FirstWords> {
  return (chunks) =>
    chunks.pipe(
      elapsed(),
      filter(({ value }) => value.choices.some((choice) => (choice.delta.content ?? '') !== '')),
      take(1),
      map(({ elapsed: ms }) => ({ timeToFirstToken: ms })),
    );
}
