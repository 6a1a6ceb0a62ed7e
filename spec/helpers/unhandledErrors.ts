import { config } from 'rxjs';

/**
 * Runs `body` with the errors rxjs reports as unhandled collected instead of thrown, waits for
 * rxjs to report them (it does on a timeout), and returns them.
 */
export async function unhandledErrorsOf(body: () => void): Promise<unknown[]> {
  const unhandled: unknown[] = [];
  const previous = config.onUnhandledError;
  config.onUnhandledError = (error: unknown) => unhandled.push(error);
  try {
    body();
    await new Promise((resolve) => setTimeout(resolve, 0));
  } finally {
    config.onUnhandledError = previous;
  }
  return unhandled;
}
