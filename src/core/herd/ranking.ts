/**
 * Strategies ranked by what the database paid: the run's origin queries, fewest first. A figure
 * per expiry misleads in open loop, where a strategy that refreshes early makes many small
 * refresh episodes: early-simple's 2.75 per episode over 173 queries costs the database more than
 * xfetch's 3.08 over 40. Ties go to the lower p99, then to the fewer errors.
 */
import type { StrategyReport } from './stats.js';
import type { StrategyName } from './types.js';

export interface RankedStrategy {
  rank: number;
  strategy: StrategyName;
  originQueries: number;
  /** Origin queries per expiry (herd) or per refresh episode (open loop). */
  perExpiry: number;
  expiries: number;
}

export function rankByOriginQueries(reports: readonly StrategyReport[]): RankedStrategy[] {
  return [...reports]
    .sort((a, b) => a.originQueries - b.originQueries || a.latency.p99Ms - b.latency.p99Ms || a.errors - b.errors)
    .map((r, i) => ({ rank: i + 1, strategy: r.strategy, originQueries: r.originQueries, perExpiry: r.amplification, expiries: r.expiries }));
}
