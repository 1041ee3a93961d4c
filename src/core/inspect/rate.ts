/**
 * A token bucket for `--rate` (keys per second per node). Pure: the caller passes the time and
 * sleeps for the returned delay. Batches are charged after the fact (a SCAN returns "about COUNT"
 * keys), so the bucket may go into debt and the next batch waits it off.
 */
export class TokenBucket {
  private tokens: number;
  private last: number | undefined;

  /** `burst` defaults to one second's worth. */
  constructor(
    readonly ratePerSecond: number,
    readonly burst = ratePerSecond,
  ) {
    this.tokens = burst;
  }

  /** Charges `n` tokens at `nowMs`; returns how many ms to wait before the next batch. */
  take(n: number, nowMs: number): number {
    if (this.ratePerSecond <= 0) return 0;
    this.refill(nowMs);
    this.tokens -= n;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.ratePerSecond) * 1000);
  }

  private refill(nowMs: number): void {
    if (this.last !== undefined) {
      this.tokens = Math.min(this.burst, this.tokens + ((nowMs - this.last) / 1000) * this.ratePerSecond);
    }
    this.last = nowMs;
  }
}

/** SCAN COUNT under a rate: no single batch may ask for more than a second's worth. */
export function scanCountFor(count: number, ratePerSecond: number | undefined): number {
  if (!ratePerSecond || ratePerSecond <= 0) return count;
  return Math.max(1, Math.min(count, Math.floor(ratePerSecond)));
}
