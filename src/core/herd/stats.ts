/**
 * Per-strategy statistics of a drill. Latencies go into an HDR histogram (microseconds,
 * 3 significant digits) so percentiles stay exact enough at any count without keeping samples.
 */
import type { Outcome, StrategyName } from './types.js';
import type { ReadSample } from './round.js';
import type { OutageReport } from './outage.js';
import type { RaceReport } from './race.js';
import {
  latencyDistribution,
  latencyIntervals,
  newLatencyHistogram,
  recordLatency,
  type DistributionPoint,
  type LatencyHistogram,
  type LatencyInterval,
} from './latency-log.js';
import { originTimeline, type OriginTimeline } from './origin-timeline.js';

export interface LatencySummary {
  count: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
}

/** Where the origin count came from: what PostgreSQL itself counted, or only the tool. */
export type OriginCountSource = 'pg_stat_statements' | 'sequence' | 'tool-only' | 'simulated';

export interface StrategyReport {
  strategy: StrategyName;
  rounds: number;
  /** Expiries the herd hit: rounds x keys (herd), or natural expiries (open loop). */
  expiries: number;
  requests: number;
  originQueries: number;
  /** Counted by the tool (fetches it sent); compared with `originQueries`. */
  originQueriesTool: number;
  originSource: OriginCountSource;
  /** Origin queries per expiry; ideal 1. */
  amplification: number;
  /** Worst per-expiry origin count (herd mode). */
  maxPerExpiry: number;
  latency: LatencySummary;
  /** The latency percentile spectrum, from the same histogram as `latency`. */
  latencyDistribution: DistributionPoint[];
  /** Live drills: when origin queries started after the release (the tool's count, all rounds added up). */
  originTimeline?: OriginTimeline;
  /** Live drills: the latency histograms per round and second, for --hdr-out (left out of --json: they are large). */
  latencyLog?: LatencyInterval[];
  outcomes: Record<Outcome, number>;
  stale: { served: number; maxAgeMs: number; meanAgeMs: number };
  errors: number;
  /** The errors by where they happened: no pool connection came free in time, the database failed the query, or anything else (the cache). */
  errorsBy: { poolWait: number; database: number; other: number };
  /** Per origin query: time waiting for a connection of the process's pool, and time in the database (ms). */
  originTime: { poolWait: LatencySummary; query: LatencySummary };
  timeouts: number;
  lockWaits: number;
  peakStampede: number;
  /** Max over rounds of (last start - first start) at the release. */
  releaseSkewMs: number;
  /** Requests not sent because the drill was stopped. */
  skipped: number;
  /** Most origin queries in flight at once (from the clients' fetch times; 0 when not measured). */
  peakOriginConcurrency: number;
  /** The commonest failure messages, most frequent first. */
  errorMessages: { message: string; count: number }[];
  warnings: string[];
  /** --trigger outage: what the outage did to the database, and the breaker's states. */
  outage?: OutageReport;
  /** --writes: the invalidation race, round by round. */
  race?: RaceReport;
  /** --l1: where the reads were served from. */
  l1?: L1Report;
}

export interface L1Report {
  size: number;
  ttlMs: number;
  /** Reads served from a process's L1, from Redis (L2), and the origin queries. */
  l1Hits: number;
  l2Hits: number;
  originQueries: number;
  /** With --writes: reads L1 answered with a version older than one already committed, and the longest lag (ms). */
  staleFromL1: number;
  maxStaleFromL1Ms: number;
}

export function newOutcomeCounts(): Record<Outcome, number> {
  return { hit: 0, 'miss-recomputed': 0, 'early-recomputed': 0, waited: 0, stale: 0, coalesced: 0, fallback: 0, error: 0, timeout: 0 };
}

export function summarizeLatency(latenciesMs: readonly number[]): LatencySummary {
  return summaryOf(latencyHistogramOf(latenciesMs));
}

function latencyHistogramOf(latenciesMs: readonly number[]): LatencyHistogram {
  const histogram = newLatencyHistogram();
  for (const ms of latenciesMs) recordLatency(histogram, ms);
  return histogram;
}

function summaryOf(histogram: LatencyHistogram): LatencySummary {
  if (histogram.totalCount === 0) return { count: 0, p50Ms: 0, p95Ms: 0, p99Ms: 0, maxMs: 0, meanMs: 0 };
  const at = (p: number) => histogram.getValueAtPercentile(p) / 1000;
  return { count: histogram.totalCount, p50Ms: at(50), p95Ms: at(95), p99Ms: at(99), maxMs: histogram.maxValue / 1000, meanMs: histogram.mean / 1000 };
}

/** Release skew of one round: how far apart the first and the last client really started. */
export function releaseSkew(samples: readonly ReadSample[]): number {
  const releasedAtOnce = samples.filter((s) => s.intendedAt === samples[0]?.intendedAt);
  if (releasedAtOnce.length < 2) return 0;
  let min = Infinity;
  let max = -Infinity;
  for (const s of releasedAtOnce) {
    min = Math.min(min, s.startedAt);
    max = Math.max(max, s.startedAt);
  }
  return max - min;
}

export interface StrategyTally {
  strategy: StrategyName;
  rounds: number;
  expiries: number;
  samples: ReadSample[];
  originQueries: number;
  originQueriesTool: number;
  originSource: OriginCountSource;
  perExpiry: number[];
  releaseSkewMs: number;
  skipped: number;
  peakOriginConcurrency?: number;
  /** Each fetch's wait for a pool connection and its time in the database (ms), when measured. */
  poolWaitsMs?: number[];
  queryMs?: number[];
  warnings: string[];
  outage?: OutageReport;
  race?: RaceReport;
  l1?: { size: number; ttlMs: number; staleLags: number[] };
  /** Live drills: each round's release and each origin query's start (wall clock ms), for the timeline and the logs. */
  roundStarts?: number[];
  fetchStarts?: number[];
}

export function summarizeStrategy(t: StrategyTally): StrategyReport {
  const outcomes = newOutcomeCounts();
  let lockWaits = 0;
  let peakStampede = 0;
  const staleAges: number[] = [];
  const messages = new Map<string, number>();
  const errorsBy = { poolWait: 0, database: 0, other: 0 };
  for (const s of t.samples) {
    if (s.result.error) messages.set(s.result.error, (messages.get(s.result.error) ?? 0) + 1);
    if (s.result.outcome === 'error') errorsBy[s.result.errorKind === 'pool-wait' ? 'poolWait' : s.result.errorKind === 'database' ? 'database' : 'other']++;
    outcomes[s.result.outcome]++;
    lockWaits += s.result.lockWaits;
    peakStampede = Math.max(peakStampede, s.result.stampedeCount ?? 0);
    if (s.result.outcome === 'stale') staleAges.push(s.result.staleAgeMs ?? 0);
  }
  const warnings = [...t.warnings];
  const histogram = latencyHistogramOf(t.samples.map((s) => s.latencyMs));
  if ((t.originSource === 'sequence' || t.originSource === 'pg_stat_statements') && t.originQueries !== t.originQueriesTool) {
    warnings.push(
      `PostgreSQL counted ${t.originQueries} origin queries but the clients sent ${t.originQueriesTool}: something else ran the fetch, or a client lost track`,
    );
  }
  return {
    strategy: t.strategy,
    rounds: t.rounds,
    expiries: t.expiries,
    requests: t.samples.length,
    originQueries: t.originQueries,
    originQueriesTool: t.originQueriesTool,
    originSource: t.originSource,
    amplification: t.expiries > 0 ? t.originQueries / t.expiries : 0,
    maxPerExpiry: t.perExpiry.length > 0 ? Math.max(...t.perExpiry) : 0,
    latency: summaryOf(histogram),
    latencyDistribution: latencyDistribution(histogram),
    ...(t.roundStarts ? { latencyLog: latencyIntervals(t.samples, t.roundStarts) } : {}),
    ...(t.roundStarts && t.fetchStarts ? { originTimeline: originTimeline(t.roundStarts, t.fetchStarts) } : {}),
    outcomes,
    stale: {
      served: staleAges.length,
      maxAgeMs: staleAges.length > 0 ? Math.max(...staleAges) : 0,
      meanAgeMs: staleAges.length > 0 ? staleAges.reduce((a, b) => a + b, 0) / staleAges.length : 0,
    },
    errors: outcomes.error,
    errorsBy,
    originTime: { poolWait: summarizeLatency(t.poolWaitsMs ?? []), query: summarizeLatency(t.queryMs ?? []) },
    timeouts: outcomes.timeout,
    lockWaits,
    peakStampede,
    releaseSkewMs: t.releaseSkewMs,
    skipped: t.skipped,
    peakOriginConcurrency: t.peakOriginConcurrency ?? 0,
    errorMessages: [...messages.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([message, count]) => ({ message, count })),
    warnings,
    ...(t.outage ? { outage: t.outage } : {}),
    ...(t.race ? { race: t.race } : {}),
    ...(t.l1
      ? {
          l1: {
            size: t.l1.size,
            ttlMs: t.l1.ttlMs,
            l1Hits: t.samples.filter((s) => s.result.tier === 'l1').length,
            l2Hits: t.samples.filter((s) => s.result.outcome === 'hit' && s.result.tier !== 'l1').length,
            originQueries: t.originQueries,
            staleFromL1: t.l1.staleLags.length,
            maxStaleFromL1Ms: t.l1.staleLags.length > 0 ? Math.max(...t.l1.staleLags) : 0,
          },
        }
      : {}),
  };
}
