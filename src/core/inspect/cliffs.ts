/**
 * Expiry cliffs: the one-second windows in which the most keys expire together, from absolute
 * expiry times (PEXPIRETIME, or reply time + PTTL), so a scan that takes minutes does not smear them.
 *
 * Memory is bounded: one counter per distinct second, at most `capacity` of them. When a keyspace
 * spreads its expiries over more seconds than that, the quietest seconds are dropped (lossy
 * counting); a busy second can then be under-counted by at most `maxUndercount`, which is reported.
 * Cliffs are what matters here, and a cliff is by definition far above the pruning floor.
 */
import { TopN } from './top-n.js';

export interface ExpiryWindow {
  /** Start of the one-second window, ms since the epoch on the node's clock. */
  startMs: number;
  keys: number;
}

export const DEFAULT_CLIFF_CAPACITY = 100_000;

export class ExpiryCliffs {
  private readonly perSecond = new Map<number, number>();
  private floor = 0;
  /** Largest number of expiries a reported window may be missing (0: exact). */
  maxUndercount = 0;
  /** Keys with an expiry seen, including those in pruned windows. */
  total = 0;

  constructor(readonly capacity = DEFAULT_CLIFF_CAPACITY) {}

  add(expireAtMs: number): void {
    const second = Math.floor(expireAtMs / 1000);
    this.perSecond.set(second, (this.perSecond.get(second) ?? 0) + 1);
    this.total++;
    if (this.perSecond.size > this.capacity) this.prune();
  }

  merge(other: ExpiryCliffs): void {
    for (const [second, n] of other.perSecond) this.perSecond.set(second, (this.perSecond.get(second) ?? 0) + n);
    this.total += other.total;
    this.maxUndercount += other.maxUndercount;
    if (this.perSecond.size > this.capacity) this.prune();
  }

  /** The `n` busiest windows, busiest first (ties: earliest first). */
  top(n: number): ExpiryWindow[] {
    // A heap, not a sort of every second: a day of TTLs is 86,400 windows per node.
    const best = new TopN<number>(n);
    for (const [second, keys] of this.perSecond) best.offer(keys - second / 1e12, second); // ties: earliest first
    return best.sorted().map((second) => ({ startMs: second * 1000, keys: this.perSecond.get(second) as number }));
  }

  /** Keys counted in the one-second window starting at `startMs`. */
  count(startMs: number): number {
    return this.perSecond.get(Math.floor(startMs / 1000)) ?? 0;
  }

  /** Keys counted in [fromMs, toMs), whole seconds. */
  sum(fromMs: number, toMs: number): number {
    const from = Math.floor(fromMs / 1000);
    const to = Math.floor(toMs / 1000);
    let n = 0;
    for (const [second, keys] of this.perSecond) if (second >= from && second < to) n += keys;
    return n;
  }

  /**
   * The busiest span of `spanMs` (whole seconds): a sliding window, so a cliff that straddles a
   * boundary is not cut in two. The best span always starts at a second that has expiries.
   */
  busiestSpan(spanMs: number): ExpiryWindow | undefined {
    const width = Math.max(1, Math.round(spanMs / 1000));
    const seconds = [...this.perSecond.keys()].sort((a, b) => a - b);
    let best: ExpiryWindow | undefined;
    let sum = 0;
    let end = 0;
    for (let start = 0; start < seconds.length; start++) {
      const first = seconds[start] as number;
      while (end < seconds.length && (seconds[end] as number) < first + width) sum += this.perSecond.get(seconds[end++] as number) as number;
      if (!best || sum > best.keys) best = { startMs: first * 1000, keys: sum };
      sum -= this.perSecond.get(first) as number;
    }
    return best;
  }

  /** Keys per bucket of `bucketMs` (whole seconds) from `fromMs`, `buckets` of them. */
  series(fromMs: number, bucketMs: number, buckets: number): number[] {
    const out = new Array<number>(buckets).fill(0);
    const from = Math.floor(fromMs / 1000);
    const width = Math.max(1, Math.round(bucketMs / 1000));
    for (const [second, keys] of this.perSecond) {
      const i = Math.floor((second - from) / width);
      if (i >= 0 && i < buckets) out[i] = (out[i] as number) + keys;
    }
    return out;
  }

  /** The last second with expiries counted (ms), undefined when there is none. */
  lastMs(): number | undefined {
    let last: number | undefined;
    for (const second of this.perSecond.keys()) if (last === undefined || second > last) last = second;
    return last === undefined ? undefined : last * 1000;
  }

  busiest(): number {
    let max = 0;
    for (const n of this.perSecond.values()) if (n > max) max = n;
    return max;
  }

  get exact(): boolean {
    return this.maxUndercount === 0;
  }

  private prune(): void {
    // Raise the floor until at most half the capacity is left, so pruning stays rare.
    // A window dropped now loses at most `floor` expiries; dropped again later, at most the later floor.
    while (this.perSecond.size > this.capacity / 2) {
      this.floor++;
      for (const [second, n] of this.perSecond) if (n <= this.floor) this.perSecond.delete(second);
    }
    this.maxUndercount += this.floor;
  }
}
