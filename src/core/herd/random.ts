/**
 * Seeded randomness, so `--strategy all` runs every strategy on the same schedule and the
 * same draws, and a simulation is reproducible from its seed.
 */
import type { Random } from './types.js';

/** mulberry32: tiny, fast, good enough for schedules (not for anything secret). */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An independent stream per client derived from one seed, so client i draws the same in every strategy. */
export function clientRandom(seed: number, client: number): Random {
  return seededRandom((seed ^ Math.imul(client + 1, 0x9e3779b1)) >>> 0);
}

/** Exponential inter-arrival gap (ms) for a Poisson process of `ratePerSec`. */
export function exponentialGapMs(random: Random, ratePerSec: number): number {
  return (-Math.log(1 - random()) / ratePerSec) * 1000;
}
