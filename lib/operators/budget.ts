/**
 * A per-minute budget (requests or tokens per minute) as a token bucket that holds at most a
 * tenth of a second's worth (`limit / 600`) and refills at `(limit − that) / 60 s`, so that no
 * window of 60 s is charged more than `limit` while every charge fits the bucket; a charge larger
 * than the bucket (a request of many tokens) waits for a full bucket and leaves it in debt, so a
 * window may then see the limit plus that excess, and the long-run rate stays under the limit.
 * Time is the caller's (a scheduler's clock), in ms.
 * @internal
 */
export class Budget {
  /** The most the bucket holds: a tenth of a second's worth. */
  readonly burst: number;
  /** Refill per ms. */
  readonly rate: number;
  #level: number;
  #at: number;

  constructor(
    readonly limitPerMinute: number,
    now: number,
  ) {
    this.burst = limitPerMinute / 600;
    this.rate = (limitPerMinute - this.burst) / 60_000;
    this.#level = this.burst;
    this.#at = now;
  }

  #refill(now: number): void {
    if (now > this.#at) {
      this.#level = Math.min(this.burst, this.#level + (now - this.#at) * this.rate);
      this.#at = now;
    }
  }

  /** Whole ms to wait before `cost` may be charged (0: now): until the bucket holds `min(cost, burst)`. */
  wait(cost: number, now: number): number {
    this.#refill(now);
    const need = Math.min(cost, this.burst);
    return this.#level + 1e-9 >= need ? 0 : Math.max(1, Math.ceil((need - this.#level) / this.rate));
  }

  /** Charges `cost` now (the level may go below 0: a debt later charges wait for). */
  charge(cost: number, now: number): void {
    this.#refill(now);
    this.#level -= cost;
  }
}
