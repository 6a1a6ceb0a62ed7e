/* What the local server has seen, and how a chat completion's response is counted. */
import type { ServerResponse } from 'node:http';

/** What the server has seen. */
export interface MockServerStats {
  /** Every HTTP request received. */
  requests: number;
  /** Chat completions answered to the end (the whole body written, whatever it said). */
  completed: number;
  /** Chat completions whose connection closed before the end (the client went away, or a `drop` fault). */
  aborted: number;
  /** Chat completions in progress. */
  active: number;
  /** Requests answered with an HTTP error status (401, 400, 404, 429, 500, …). */
  errors: number;
}

/** Fresh counters. @internal */
export function newStats(): MockServerStats {
  return { requests: 0, completed: 0, aborted: 0, active: 0, errors: 0 };
}

/** Counts a chat completion's response: active until it closes, then completed or aborted. @internal */
export function track(stats: MockServerStats, res: ServerResponse): void {
  // The client may have left while the request was read or the reply prepared: its 'close' has
  // fired already, so count it now (a listener added later would never run).
  if (res.destroyed || res.closed || !res.socket || res.socket.destroyed) {
    stats.aborted++;
    return;
  }
  stats.active++;
  res.on('close', () => {
    stats.active--;
    if (res.writableFinished) stats.completed++;
    else stats.aborted++;
  });
}
