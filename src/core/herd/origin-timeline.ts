/**
 * When the origin queries of a strategy started, relative to their round's release, all rounds
 * added up: the shape of the herd at the database (a spike at once, one query, a slow trickle).
 * Fixed-width buckets, at most MAX_BUCKETS of them, so the report stays small at any load.
 */
import { roundOf } from './latency-log.js';

export interface OriginTimeline {
  bucketMs: number;
  /** Origin queries (the tool's count: fetches sent) started in [i x bucketMs, (i + 1) x bucketMs) after the release. */
  counts: number[];
}

export const MAX_BUCKETS = 100;

const NICE_MS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 30_000, 60_000];

/** The smallest round bucket width that covers `spanMs` in at most MAX_BUCKETS buckets. */
export function bucketFor(spanMs: number): number {
  for (const ms of NICE_MS) if (spanMs / ms < MAX_BUCKETS) return ms;
  return Math.ceil(spanMs / MAX_BUCKETS / 60_000) * 60_000;
}

export function originTimeline(roundStarts: readonly number[], fetchStarts: readonly number[]): OriginTimeline {
  const starts = [...roundStarts].sort((a, b) => a - b);
  const offsets = fetchStarts.map((at) => Math.max(0, at - (starts[roundOf(starts, at)] ?? at)));
  const span = offsets.reduce((a, b) => Math.max(a, b), 0);
  const bucketMs = bucketFor(span);
  const counts = new Array<number>(offsets.length > 0 ? Math.floor(span / bucketMs) + 1 : 0).fill(0);
  for (const o of offsets) {
    const i = Math.floor(o / bucketMs);
    counts[i] = (counts[i] as number) + 1;
  }
  return { bucketMs, counts };
}
