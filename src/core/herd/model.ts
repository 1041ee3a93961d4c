/**
 * What theory predicts for origin queries per expiry, to print next to what the simulator
 * and a live drill measure.
 *
 * Herd (N clients released at once on a missing key): none N, coalesce one per process,
 * lock/lock+xfetch/swr 1; xfetch and early-simple cannot help on a missing key (N).
 *
 * Open loop (Poisson arrivals at rate lambda, recompute time delta, TTL T): with no defence every
 * arrival during the recompute window misses, so about 1 + lambda * delta. An early rule with a
 * per-request probability p(r) at r ms before expiry triggers first at r with hazard lambda * p(r);
 * the arrivals during that recompute trigger again with probability p (or miss outright past
 * expiry). xfetch's p(r) = exp(-r / (beta * delta)) (Vattani et al.); early-simple's
 * p(r) = 1 - (r / T)^beta.
 */
import type { StrategyName } from './types.js';

export interface HerdModelInput {
  clientsPerProcess: number;
  processes: number;
  /** True when a stale copy exists for swr to serve. */
  staleAvailable: boolean;
}

export function predictHerd(strategy: StrategyName, m: HerdModelInput): number {
  const all = m.clientsPerProcess * m.processes;
  switch (strategy) {
    case 'none':
    case 'xfetch':
    case 'early-simple':
    case 'breaker':
      return all;
    case 'coalesce':
    case 'breaker+coalesce':
      return Math.min(all, m.processes);
    case 'lock':
    case 'lock+xfetch':
    case 'versioned':
      return 1;
    case 'swr':
      return m.staleAvailable ? 1 : all;
  }
}

export interface OpenModelInput {
  ratePerSec: number;
  recomputeMs: number;
  ttlMs: number;
  beta: number;
  processes: number;
}

export function predictOpenLoop(strategy: StrategyName, m: OpenModelInput): number {
  const lambda = m.ratePerSec / 1000;
  const windowArrivals = lambda * m.recomputeMs;
  switch (strategy) {
    case 'none':
    case 'breaker':
      return 1 + windowArrivals;
    case 'coalesce':
    case 'breaker+coalesce':
      // The first miss plus, per other process, the chance one of its arrivals lands in the window.
      return 1 + (m.processes - 1) * (1 - Math.exp(-windowArrivals / m.processes));
    case 'lock':
    case 'lock+xfetch':
    case 'versioned':
    case 'swr':
      return 1;
    case 'xfetch':
      return predictEarly((r) => Math.exp(-r / (m.beta * m.recomputeMs)), lambda, m.recomputeMs, m.ttlMs);
    case 'early-simple':
      return predictEarly((r) => 1 - Math.min(1, r / m.ttlMs) ** m.beta, lambda, m.recomputeMs, m.ttlMs);
  }
}

/** xfetch's per-request recompute probability with `ttlLeftMs` to go: exp(-r / (beta * delta)). */
export function xfetchProbability(ttlLeftMs: number, deltaMs: number, beta: number): number {
  return Math.exp(-ttlLeftMs / (beta * deltaMs));
}

/**
 * Expected origin queries per refresh episode for an early rule p(r), integrated numerically
 * from r = T down to 0 (per-ms arrival rate lambda, recompute time delta).
 */
export function predictEarly(p: (r: number) => number, lambda: number, delta: number, ttl: number, steps = 20_000): number {
  const dr = ttl / steps;
  const extras = (r: number) => {
    // Arrivals during [r - delta, r]: re-trigger with p while the old value lives, miss past expiry.
    const live = integrate(p, Math.max(0, r - delta), r, 64);
    return lambda * (live + Math.max(0, delta - r));
  };
  let survival = 1;
  let expected = 0;
  for (let i = steps - 1; i >= 0; i--) {
    const r = (i + 0.5) * dr;
    const hazard = lambda * p(r) * dr;
    const firstHere = survival * (1 - Math.exp(-hazard));
    expected += firstHere * (1 + extras(r));
    survival -= firstHere;
  }
  // Nobody triggered before expiry: a plain miss, and everyone in the window misses too.
  return expected + survival * (1 + lambda * delta);
}

function integrate(f: (x: number) => number, a: number, b: number, n: number): number {
  if (b <= a) return 0;
  const h = (b - a) / n;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += f(a + (i + 0.5) * h);
  return sum * h;
}

export interface OutageModelInput {
  ratePerSec: number;
  outageMs: number;
  redisTimeoutMs: number;
  recomputeMs: number;
  processes: number;
}

/**
 * Origin queries during a paused outage. Without a breaker every read sent while a command
 * would still time out falls back: rate x (outage - timeout); the reads of the last timeout's
 * worth wait for the pause to end and hit. A breaker, once open, sends every read to the origin:
 * the read rate for the whole outage. Coalesced, each process sends one query at a time, a
 * renewal process of rate lambda_p / (1 + lambda_p x recompute) with lambda_p = rate / processes.
 * Strategies without a fallback send nothing (their reads fail).
 */
export function predictOutageDuring(strategy: StrategyName, m: OutageModelInput): number {
  const lambda = m.ratePerSec / 1000;
  switch (strategy) {
    case 'none':
      return lambda * Math.max(0, m.outageMs - m.redisTimeoutMs);
    case 'breaker':
      return lambda * m.outageMs;
    case 'breaker+coalesce': {
      const perProcess = lambda / m.processes;
      return m.processes * (perProcess / (1 + perProcess * m.recomputeMs)) * m.outageMs;
    }
    default:
      return 0;
  }
}

/**
 * Share of rounds that end stale when writes arrive at `writesPerSec` over `spanMs` and each is
 * followed by a delete: stale when a write lands inside the recompute that is about to write
 * back (1 - exp(-w x recompute)) and no later write deletes the stale value again
 * (exp(-w x (span - recompute))). An approximation: it ignores the few round trips around the
 * fetch. versioned never: its compare-and-set refuses the older value.
 */
export function predictStaleRate(strategy: StrategyName, writesPerSec: number, recomputeMs: number, spanMs: number): number {
  if (strategy === 'versioned') return 0;
  const w = writesPerSec / 1000;
  return (1 - Math.exp(-w * recomputeMs)) * Math.exp(-w * Math.max(0, spanMs - recomputeMs));
}
