/**
 * The classic streaming notebook's prompt and reply, and small helpers the server and e2e specs
 * share.
 */
import type { ChatCompletionSnapshot } from '../../lib/types.js';

export const NOTEBOOK_PROMPT = 'Count to 100, with a comma between each number and no newlines. E.g., 1, 2, 3, ...';
export const ONE_TO_HUNDRED = `${Array.from({ length: 100 }, (_, i) => i + 1).join(', ')}.`;

/** One user message. */
export const user = (content: string) => [{ role: 'user' as const, content }];

/** Waits, a bounded number of turns, until `condition` holds. */
export async function until(condition: () => boolean, what: string, timeoutMs = 2000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/** The error a promise rejects with (an Observable run with lastValueFrom), or a failure if it resolves. */
export async function errorOf(source: Promise<unknown>): Promise<Error & { partial?: ChatCompletionSnapshot }> {
  const error = await source.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (error === undefined) throw new Error('expected an error');
  return error as Error & { partial?: ChatCompletionSnapshot };
}
