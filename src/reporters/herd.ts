/** Renders herd drills and simulations: a side-by-side table on stdout, or the full result as JSON. */
import { redact } from '../errors.js';
import type { ChalkInstance } from 'chalk';
import type { Output } from './output.js';
import type { DrillEvent, DrillResult } from '../core/herd/drill-types.js';
import type { HttpDrillResult } from '../core/herd/http-result.js';
import type { Breach } from '../core/herd/assert.js';
import type { StrategyReport } from '../core/herd/stats.js';
import type { SimulatedStrategy } from '../core/herd/sim/simulate.js';
import type { Measured } from '../core/herd/measured.js';
import { formatDuration } from '../config/duration.js';
import { TextBuffer, formatTable } from './style.js';

function ms(value: number): string {
  if (value === 0) return '0';
  return value < 10 ? `${value.toFixed(1)}ms` : formatDuration(value);
}

export function strategyTable(reports: readonly StrategyReport[], width?: number, per: 'per expiry' | 'per episode' = 'per expiry'): string {
  const header = [
    'strategy',
    'origin q',
    per,
    'worst',
    'peak db',
    'p50',
    'p95',
    'p99',
    'max',
    'stale (max age)',
    'errors',
    'timeouts',
    'lock waits',
    'peak stampede',
    'skew',
  ];
  const rows = reports.map((r) => [
    r.strategy,
    r.originQueries,
    Number(r.amplification.toFixed(2)),
    r.maxPerExpiry,
    r.peakOriginConcurrency,
    ms(r.latency.p50Ms),
    ms(r.latency.p95Ms),
    ms(r.latency.p99Ms),
    ms(r.latency.maxMs),
    r.stale.served > 0 ? `${r.stale.served} (${ms(r.stale.maxAgeMs)})` : '0',
    errorsCell(r),
    r.timeouts,
    r.lockWaits,
    r.peakStampede,
    ms(r.releaseSkewMs),
  ]);
  return formatTable(header, rows, width);
}

/** "288 (288 pool wait)": reads that never reached the database are not the database's errors. */
function errorsCell(r: StrategyReport): number | string {
  const poolWait = r.errorsBy.poolWait;
  return poolWait > 0 ? `${r.errors} (${poolWait} pool wait)` : r.errors;
}

/** Per strategy: how long origin queries waited for a pool connection, apart from their time in the database. */
export function originTimeTable(reports: readonly StrategyReport[], width?: number): string {
  const header = ['strategy', 'pool wait p50', 'p99', 'max', 'in database p50', 'p99', 'max', 'pool-wait errors', 'database errors'];
  const rows = reports.map((r) => {
    const w = r.originTime.poolWait;
    const q = r.originTime.query;
    return [r.strategy, ms(w.p50Ms), ms(w.p99Ms), ms(w.maxMs), ms(q.p50Ms), ms(q.p99Ms), ms(q.maxMs), r.errorsBy.poolWait, r.errorsBy.database];
  });
  return formatTable(header, rows, width);
}

/** Worth a table when the pool made readers wait, or the database serves one query at a time. */
function poolMatters(result: DrillResult): boolean {
  return result.database?.oneQueryAtATime === true || result.reports.some((r) => r.errorsBy.poolWait > 0 || r.originTime.poolWait.p99Ms >= 1);
}

/** The outage's effect per strategy: what reached the database when, and the breaker's states. */
export function outageTable(reports: readonly StrategyReport[], width?: number): string {
  const header = [
    'strategy',
    'origin before',
    'during',
    'after',
    'peak db',
    'fallbacks',
    'failed',
    'recovery',
    'open',
    'half-open',
    'transitions',
    'opened after',
    'closed after',
  ];
  const opt = (v: number | null | undefined) => (v === null || v === undefined ? '-' : ms(v));
  const rows = reports.map((r) => {
    const o = r.outage;
    const b = o?.breaker;
    return [
      r.strategy,
      o?.originBefore ?? '-',
      o?.originDuring ?? '-',
      o?.originAfter ?? '-',
      r.peakOriginConcurrency,
      r.outcomes.fallback,
      r.errors,
      o ? ms(o.recoveryMs) : '-',
      b ? ms(b.openMs) : '-',
      b ? ms(b.halfOpenMs) : '-',
      b ? b.transitions : '-',
      opt(b?.openedAfterMs),
      opt(b?.closedAfterMs),
    ];
  });
  return formatTable(header, rows, width);
}

/** The invalidation race per strategy: rounds that ended with the cache older than the database, and stale reads. */
export function raceTable(reports: readonly StrategyReport[], width?: number): string {
  const header = ['strategy', 'writes', 'stale after drill', 'stale rate', 'stale reads', 'longest stale read', 'rounds (x = stale)'];
  const rows = reports.map((r) => {
    const x = r.race;
    if (!x) return [r.strategy, '-', '-', '-', '-', '-', '-'];
    return [
      r.strategy,
      x.writes,
      `${x.staleRounds} of ${x.rounds}`,
      `${Math.round(x.staleRate * 100)}%`,
      x.staleReads,
      ms(x.maxStaleReadMs),
      x.stalePerRound.map((s) => (s ? 'x' : '.')).join(''),
    ];
  });
  return formatTable(header, rows, width);
}

/** --l1: where reads were served from, and what L1 served after the row changed. */
export function l1Table(reports: readonly StrategyReport[], width?: number): string {
  const header = ['strategy', 'L1 hits', 'L2 hits', 'origin q', 'stale from L1', 'longest stale from L1'];
  const rows = reports.map((r) =>
    r.l1 ? [r.strategy, r.l1.l1Hits, r.l1.l2Hits, r.l1.originQueries, r.l1.staleFromL1, ms(r.l1.maxStaleFromL1Ms)] : [r.strategy, '-', '-', '-', '-', '-'],
  );
  return formatTable(header, rows, width);
}

/** "148 of 1000" when the drill was stopped before its last round. */
function roundsRun(result: DrillResult): string {
  const ran = result.reports.reduce((a, r) => a + r.rounds, 0);
  const planned = result.rounds * Math.max(1, result.reports.length);
  return result.interrupted && ran < planned ? `${ran} of ${planned}` : String(result.rounds);
}

export function renderDrillText(result: DrillResult, style: ChalkInstance, width?: number): string {
  const out = new TextBuffer();
  const source = result.originSource === 'tool-only' ? 'counted by the tool only' : `counted at PostgreSQL (${result.originSource})`;
  const what = result.keyCount > 1 ? `${result.keyCount} keys (${result.key}, ...)` : result.key;
  const shape = result.outage
    ? `${roundsRun(result)} round${result.rounds === 1 ? '' : 's'}, outage of ${result.outage.node} for ${formatDuration(result.outage.durationMs)} (${result.outage.mode}), ${result.outage.ratePerSec} reads/s for ${formatDuration(result.outage.windowMs)}`
    : result.openLoop
      ? `open loop ${result.openLoop.ratePerSec}/s for ${formatDuration(result.openLoop.durationMs)} (${result.openLoop.requests} requests), natural expiries`
      : `${roundsRun(result)} round${result.rounds === 1 ? '' : 's'}, trigger ${result.trigger}`;
  out.write(
    `${style.bold('herd')} ${what} on ${result.topology}: ${result.clients} clients${result.processes > 1 ? ` in ${result.processes} processes` : ''}, ` +
      `${shape}${result.ttlJitter > 0 ? `, ttl jitter ${Math.round(result.ttlJitter * 100)}%` : ''}, db delay ${ms(result.dbDelayMs)}, seed ${result.seed}; origin queries ${source}\n`,
  );
  if (result.database?.caveat) out.write(style.yellow(`database: ${result.database.caveat}`) + '\n');
  if (result.openLoop) {
    // Per episode alone ranks a strategy that refreshes early in many small episodes too well.
    out.write(
      'ranked by origin queries for the run (what the database paid), fewest first; per episode = origin queries per refresh episode (overlapping fetches of one key); peak db = most origin queries in flight at once\n',
    );
    const byRank = new Map(result.ranking.map((r) => [r.strategy, r.rank]));
    const ranked = [...result.reports].sort((a, b) => (byRank.get(a.strategy) ?? 0) - (byRank.get(b.strategy) ?? 0));
    out.write(strategyTable(ranked, width, 'per episode') + '\n');
  } else {
    out.write(strategyTable(result.reports, width) + '\n');
  }
  if (poolMatters(result)) {
    out.write(
      `origin time: waiting for one of the --pg-pool connections, apart from the time in the database; a pool-wait error gave up waiting and never reached the database\n`,
    );
    out.write(originTimeTable(result.reports, width) + '\n');
  }
  if (result.outage) {
    out.write(
      `outage: origin queries by when they started (before / during / after the outage); recovery = from the cache's return to the last origin query; breaker times per process\n`,
    );
    out.write(outageTable(result.reports, width) + '\n');
  }
  const l1 = result.reports.find((r) => r.l1)?.l1;
  if (l1) {
    out.write(
      `L1: ${l1.size} entries per process, each living ${formatDuration(l1.ttlMs)}; stale from L1 = reads L1 answered after a newer version had committed (--writes)\n`,
    );
    out.write(l1Table(result.reports, width) + '\n');
  }
  const race = result.reports.find((r) => r.race)?.race;
  if (race) {
    out.write(`invalidation race (${race.invalidate} on write): stale after drill = the cache ended older than PostgreSQL's latest committed version\n`);
    out.write(raceTable(result.reports, width) + '\n');
  }
  if (result.interrupted) out.write(style.yellow('stopped early: partial results') + '\n');
  return out.text;
}

export function drillJson(result: DrillResult, breaches: readonly Breach[]): Record<string, unknown> {
  return { ...drillData(result), assertions: breaches.length === 0 ? 'pass' : { breaches } };
}

/** The drill result as --json (and the report page) has it: the per-second latency histograms are for --hdr-out, and a long drill would make them most of the JSON. */
export function drillData(result: DrillResult): DrillResult {
  return { ...result, reports: result.reports.map(({ latencyLog: _log, ...r }) => r) };
}

/** Progress and warnings, one plain line each, on stderr. */
export function drillProgress(out: Output): (event: DrillEvent) => void {
  return (event) => {
    if (event.type === 'warning') out.diagnostic(`warning: ${event.message}\n`);
    else if (event.type === 'connected')
      out.diagnostic(`connected ${event.clients} clients in ${event.processes} process(es); origin count: ${event.originSource}\n`);
    else
      out.diagnostic(
        `${event.strategy} round ${event.round}: ${event.originQueries} origin quer${event.originQueries === 1 ? 'y' : 'ies'}, release skew ${ms(event.skewMs)}\n`,
      );
  };
}

export function renderWarnings(reports: readonly StrategyReport[]): string {
  const err = new TextBuffer();
  for (const r of reports) {
    for (const w of r.warnings) err.write(`warning: ${r.strategy}: ${w}\n`);
    for (const e of r.errorMessages) err.write(`${r.strategy}: ${e.count} read${e.count === 1 ? '' : 's'} failed: ${e.message}\n`);
  }
  return err.text;
}

export function renderBreaches(breaches: readonly Breach[]): string {
  const err = new TextBuffer();
  for (const b of breaches) err.write(`assert failed: ${b.strategy}: ${b.threshold} (actual ${Number.isInteger(b.actual) ? b.actual : b.actual.toFixed(2)})\n`);
  return err.text;
}

function fixed(v: number | undefined, digits = 2): number | string {
  return v === undefined ? '-' : Number(v.toFixed(digits));
}

export function renderSimulationText(
  result: readonly SimulatedStrategy[],
  measured: Map<string, Measured> | undefined,
  mode: 'herd' | 'open',
  width?: number,
): string {
  const out = new TextBuffer();
  const outage = result.some((s) => s.predictedDuring !== undefined);
  const race = result.some((s) => s.predictedStaleRate !== undefined);
  const header = [
    'strategy',
    'predicted',
    'simulated',
    ...(measured ? ['measured'] : []),
    ...(outage ? ['pred. during', 'sim. during', ...(measured ? ['meas. during'] : [])] : []),
    ...(race ? ['pred. stale', 'sim. stale', ...(measured ? ['meas. stale'] : [])] : []),
    'origin q',
    mode === 'open' ? 'episodes' : 'expiries',
    'p50',
    'p99',
    'max',
    'stale',
    'errors',
    'timeouts',
  ];
  const rows = result.map(({ report: r, predicted, predictedDuring, predictedStaleRate }) => [
    r.strategy,
    Number(predicted.toFixed(2)),
    Number(r.amplification.toFixed(2)),
    ...(measured ? [fixed(measured.get(r.strategy)?.amplification)] : []),
    ...(outage ? [fixed(predictedDuring, 0), r.outage?.originDuring ?? '-', ...(measured ? [fixed(measured.get(r.strategy)?.during, 0)] : [])] : []),
    ...(race ? [fixed(predictedStaleRate), fixed(r.race?.staleRate), ...(measured ? [fixed(measured.get(r.strategy)?.staleRate)] : [])] : []),
    r.originQueries,
    r.expiries,
    ms(r.latency.p50Ms),
    ms(r.latency.p99Ms),
    ms(r.latency.maxMs),
    r.stale.served,
    r.errors,
    r.timeouts,
  ]);
  out.write(`simulated (${mode === 'open' ? 'open loop, origin queries per refresh episode' : 'herd, origin queries per expiry'}); predicted is the model's\n`);
  out.write(formatTable(header, rows, width) + '\n');
  return out.text;
}

export function simulationJson(
  result: readonly SimulatedStrategy[],
  measured: Map<string, Measured> | undefined,
  breaches: readonly Breach[],
): Record<string, unknown> {
  return {
    strategies: result.map(({ report, predicted, predictedDuring, predictedStaleRate }) => ({
      predicted,
      ...(predictedDuring !== undefined ? { predictedDuring } : {}),
      ...(predictedStaleRate !== undefined ? { predictedStaleRate } : {}),
      ...(measured?.has(report.strategy) ? { measured: measured.get(report.strategy)?.amplification, measuredDetail: measured.get(report.strategy) } : {}),
      ...report,
    })),
    assertions: breaches.length === 0 ? 'pass' : { breaches },
  };
}

export function renderHttpText(r: HttpDrillResult, width?: number): string {
  const out = new TextBuffer();
  out.write(
    `herd ${redact(r.url)}: invalidated ${r.invalidated}, ${r.clients} simultaneous requests x ${r.rounds} round${r.rounds === 1 ? '' : 's'}, release skew ${ms(r.releaseSkewMs)}\n`,
  );
  out.write(
    formatTable(
      ['status', 'requests'],
      Object.entries(r.statuses).map(([k, v]) => [k, v]),
      width,
    ) + '\n',
  );
  out.write(
    `latency p50 ${ms(r.latency.p50Ms)}, p95 ${ms(r.latency.p95Ms)}, p99 ${ms(r.latency.p99Ms)}, max ${ms(r.latency.maxMs)}; errors ${r.errors}, timeouts ${r.timeouts}\n`,
  );
  if (r.database) {
    const statements =
      r.database.statements === null ? 'statements: not counted (pg_stat_statements is not installed)' : `statements executed: ${r.database.statements}`;
    out.write(`database: peak ${r.database.peakActiveQueries} queries running at once (sampled every 10ms, ${r.database.samples} samples); ${statements}\n`);
  }
  if (r.interrupted) out.write('stopped early: partial results\n');
  return out.text;
}

export function httpJson(r: HttpDrillResult, breaches: readonly Breach[]): Record<string, unknown> {
  return { ...r, url: redact(r.url), assertions: breaches.length === 0 ? 'pass' : { breaches } };
}

export function renderHttpErrors(r: HttpDrillResult): string {
  return r.errorMessages.map((e) => `${e.count} request${e.count === 1 ? '' : 's'} failed: ${e.message}\n`).join('');
}
