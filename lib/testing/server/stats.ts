/* What the local server has seen (no Node types here: the public declarations reach this file). */

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
