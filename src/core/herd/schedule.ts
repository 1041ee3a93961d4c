/**
 * When each request is meant to be sent, relative to the release (herd) or the start (open loop).
 * The same seed gives the same schedule to every strategy.
 */
import { exponentialGapMs, seededRandom } from './random.js';

/** Herd: every client at the release instant (offset 0), or spread uniformly over `spreadMs`. */
export function herdOffsets(clients: number, spreadMs: number, seed: number): number[] {
  if (spreadMs <= 0) return new Array<number>(clients).fill(0);
  const random = seededRandom(seed);
  return Array.from({ length: clients }, () => random() * spreadMs).sort((a, b) => a - b);
}

/** Open loop: Poisson arrivals at `ratePerSec` over `durationMs`, bounded by `maxRequests`. */
export function poissonArrivals(ratePerSec: number, durationMs: number, seed: number, maxRequests: number): number[] {
  const random = seededRandom(seed);
  const out: number[] = [];
  let t = exponentialGapMs(random, ratePerSec);
  while (t < durationMs && out.length < maxRequests) {
    out.push(t);
    t += exponentialGapMs(random, ratePerSec);
  }
  return out;
}

/**
 * --writes: the span a round's writes fall in after the release, the span the herd reads and
 * recomputes in (the spread plus two recompute times, at least 100ms).
 */
export function writeSpanMs(spreadMs: number, recomputeMs: number): number {
  return Math.max(100, spreadMs + 2 * recomputeMs);
}

/**
 * --writes: when a round's writes happen after the release, Poisson at `ratePerSec` over
 * writeSpanMs. Seeded per round, so every strategy (and the simulator) meets the same writes at
 * the same moments.
 */
export function writeOffsets(ratePerSec: number, spreadMs: number, recomputeMs: number, seed: number, round: number): number[] {
  return poissonArrivals(ratePerSec, writeSpanMs(spreadMs, recomputeMs), seed + 3 + round * 7919, 10_000);
}
