/**
 * `--assert 'amplification<=1.5,p99<250ms,errors==0'` (or k6's `p(99)<250`): thresholds checked against every
 * strategy's report. An unknown metric or a malformed clause is a usage error (exit 2) before
 * anything runs; a breach is reported per strategy (exit 1).
 */
import { UsageError } from '../../errors.js';
import { clip, MAX_TIMER_MS, parseDuration } from '../../config/duration.js';
import type { StrategyReport } from './stats.js';

type Operator = '<' | '<=' | '>' | '>=' | '==' | '!=';

interface MetricDef {
  describe: string;
  duration: boolean;
  read(r: StrategyReport): number;
}

export const ASSERT_METRICS: Record<string, MetricDef> = {
  amplification: { describe: 'origin queries per expiry', duration: false, read: (r) => r.amplification },
  origin_queries: { describe: 'origin queries in total', duration: false, read: (r) => r.originQueries },
  max_per_expiry: { describe: 'worst origin queries for one expiry', duration: false, read: (r) => r.maxPerExpiry },
  p50: { describe: 'median latency', duration: true, read: (r) => r.latency.p50Ms },
  p95: { describe: '95th percentile latency', duration: true, read: (r) => r.latency.p95Ms },
  p99: { describe: '99th percentile latency', duration: true, read: (r) => r.latency.p99Ms },
  max: { describe: 'worst latency', duration: true, read: (r) => r.latency.maxMs },
  errors: { describe: 'failed reads', duration: false, read: (r) => r.errors },
  timeouts: { describe: 'lock waits that timed out', duration: false, read: (r) => r.timeouts },
  stale: { describe: 'stale responses served', duration: false, read: (r) => r.stale.served },
  stale_age: { describe: 'oldest stale response', duration: true, read: (r) => r.stale.maxAgeMs },
  lock_waits: { describe: 'lock polls', duration: false, read: (r) => r.lockWaits },
  peak_stampede: { describe: 'peak stampede counter', duration: false, read: (r) => r.peakStampede },
  skew: { describe: 'release skew', duration: true, read: (r) => r.releaseSkewMs },
  fallbacks: { describe: 'reads served from the database because the cache failed or a breaker was open', duration: false, read: (r) => r.outcomes.fallback },
  origin_during: { describe: 'origin queries during the outage', duration: false, read: (r) => r.outage?.originDuring ?? 0 },
  recovery: { describe: "from the cache's return to the last origin query", duration: true, read: (r) => r.outage?.recoveryMs ?? 0 },
  peak_db: { describe: 'most origin queries in flight at the database at once', duration: false, read: (r) => r.peakOriginConcurrency },
  stale_rounds: { describe: 'rounds that ended with the cache older than the database (--writes)', duration: false, read: (r) => r.race?.staleRounds ?? 0 },
  stale_rate: { describe: 'share of rounds that ended stale (--writes)', duration: false, read: (r) => r.race?.staleRate ?? 0 },
  stale_reads: { describe: 'reads answered with a version older than one committed (--writes)', duration: false, read: (r) => r.race?.staleReads ?? 0 },
  stale_read_lag: { describe: 'longest of those, from the newer commit (--writes)', duration: true, read: (r) => r.race?.maxStaleReadMs ?? 0 },
  l1_stale: { describe: 'reads L1 answered after a newer version committed (--l1 with --writes)', duration: false, read: (r) => r.l1?.staleFromL1 ?? 0 },
};

export interface Threshold {
  text: string;
  metric: string;
  operator: Operator;
  /** Milliseconds for duration metrics. */
  value: number;
}

export interface Breach {
  strategy: string;
  threshold: string;
  actual: number;
}

const CLAUSE = /^\s*([a-z_][a-z0-9_]*|p\(\d+(?:\.\d+)?\))\s*(<=|>=|==|!=|<|>)\s*([^\s]+)\s*$/i;
/** k6's percentile spelling, `p(99)`. */
const K6_PERCENTILE = /^p\((\d+(?:\.\d+)?)\)$/;

export function parseAssertions(text: string): Threshold[] {
  const clauses = text.split(',').filter((c) => c.trim() !== '');
  if (clauses.length === 0) throw new UsageError("--assert: give at least one threshold, e.g. 'amplification<=1.5,p99<250ms'");
  return clauses.map((clause) => {
    const m = CLAUSE.exec(clause);
    if (!m) throw new UsageError(`--assert: '${clip(clause.trim())}' is not <metric><op><value> (ops: < <= > >= == !=), e.g. p99<250ms`);
    const written = (m[1] as string).toLowerCase();
    const k6 = K6_PERCENTILE.exec(written);
    const metric = k6 ? `p${k6[1]}` : written;
    const def = ASSERT_METRICS[metric];
    if (!def)
      throw new UsageError(`--assert: unknown metric '${clip(written)}'; known: ${Object.keys(ASSERT_METRICS).join(', ')} (k6's p(50), p(95), p(99) too)`);
    const raw = m[3] as string;
    let value: number;
    if (def.duration) {
      // A duration needs a unit everywhere, except in k6's own spelling, read as k6 reads it: p(99)<250 is 250 ms.
      const bare = /^\d+(\.\d+)?$/.test(raw);
      if (bare && !k6 && Number(raw) !== 0)
        throw new UsageError(
          `--assert: '${clause.trim()}' needs a unit: ${metric}${m[2]}${raw}ms (or k6's p(${metric.slice(1)})${m[2]}${raw}, which means milliseconds)`,
        );
      value = parseDuration(bare ? `${raw}ms` : raw, `--assert ${metric}`, { minMs: 0, maxMs: MAX_TIMER_MS });
    } else {
      value = Number(raw);
      if (!/^-?\d+(\.\d+)?$/.test(raw)) throw new UsageError(`--assert: '${clip(raw)}' in '${clip(clause.trim())}' is not a number`);
    }
    return { text: clause.trim(), metric, operator: m[2] as Operator, value };
  });
}

function holds(actual: number, op: Operator, value: number): boolean {
  switch (op) {
    case '<':
      return actual < value;
    case '<=':
      return actual <= value;
    case '>':
      return actual > value;
    case '>=':
      return actual >= value;
    case '==':
      return actual === value;
    case '!=':
      return actual !== value;
  }
}

/** Every threshold that does not hold, for every strategy. */
export function checkAssertions(thresholds: readonly Threshold[], reports: readonly StrategyReport[]): Breach[] {
  const breaches: Breach[] = [];
  for (const report of reports) {
    for (const t of thresholds) {
      const actual = (ASSERT_METRICS[t.metric] as MetricDef).read(report);
      if (!holds(actual, t.operator, t.value)) breaches.push({ strategy: report.strategy, threshold: t.text, actual });
    }
  }
  return breaches;
}

/** Metrics an HTTP drill measures (it has no origin count of its own). */
export const HTTP_ASSERT_METRICS = ['p50', 'p95', 'p99', 'max', 'errors', 'timeouts', 'skew'] as const;

export function requireHttpMetrics(thresholds: readonly Threshold[]): void {
  for (const t of thresholds) {
    if (!(HTTP_ASSERT_METRICS as readonly string[]).includes(t.metric)) {
      throw new UsageError(`--assert: '${t.metric}' is not measured by an HTTP drill (--url); use ${HTTP_ASSERT_METRICS.join(', ')}`);
    }
  }
}

/** Checks thresholds against plain metric values (HTTP drill); durations in ms. */
export function checkValues(thresholds: readonly Threshold[], subject: string, values: Record<string, number>): Breach[] {
  const out: Breach[] = [];
  for (const t of thresholds) {
    const actual = values[t.metric];
    if (actual === undefined || !holds(actual, t.operator, t.value)) out.push({ strategy: subject, threshold: t.text, actual: actual ?? Number.NaN });
  }
  return out;
}
