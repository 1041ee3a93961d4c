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
