import { config } from 'rxjs';

/**
 * Reports an error thrown by a user's callback that must not break the stream it observes
 * (`meter`'s `onUsage`, `streamMany`'s `progress`), the way rxjs reports an error thrown in a
 * subscriber's callback: to `config.onUnhandledError` when it is set (called at once), else
 * rethrown on a fresh call stack (`setTimeout`), where the host reports it (Node: an uncaught
 * exception; browsers: the console).
 * @internal
 */
export function reportUnhandledError(error: unknown): void {
  const handler = config.onUnhandledError;
  if (handler == null) {
    rethrowLater(error);
    return;
  }
  try {
    handler(error);
  } catch (failure) {
    rethrowLater(failure);
  }
}

function rethrowLater(error: unknown): void {
  setTimeout(() => {
    throw error;
  });
}
