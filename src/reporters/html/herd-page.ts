/**
 * The report page of a herd drill: per strategy, what reached the database and how slow the
 * readers were, as a table and three charts (origin queries, the latency percentile spectrum,
 * origin queries over time since the release). Built from the result --json prints.
 */
import type { DrillResult } from '../../core/herd/drill-types.js';
import type { StrategyReport } from '../../core/herd/stats.js';
import { formatDuration, formatDurationFlag } from '../../config/duration.js';
import { drillData } from '../herd.js';
import { esc as escText } from './escape.js';
import { htmlPage, legend, section, table, formatNumber } from './page.js';
import { PALETTE, columnChart, lineChart, niceTicks, type LineSeries } from './svg.js';

const msCell = (v: number) => ({ text: `${formatNumber(v)} ms`, value: v });

/** Percentiles on HdrHistogram's usual axis: log10(1 / (1 - p)), so 90, 99, 99.9 are evenly spaced; the max last. */
const MAX_AT = 5;
export function percentileX(p: number): number {
  return p >= 100 ? MAX_AT : Math.min(MAX_AT - 1, Math.log10(100 / (100 - p)));
}

export function herdPage(result: DrillResult, generatedAt = new Date()): string {
  const reports = result.reports;
  const color = (i: number) => PALETTE[i % PALETTE.length] as string;
  const what = result.keyCount > 1 ? `${result.keyCount} keys (${result.key}, ...)` : result.key;
  const shape = result.openLoop
    ? `open loop ${result.openLoop.ratePerSec}/s for ${formatDuration(result.openLoop.durationMs)}`
    : `${result.rounds} round${result.rounds === 1 ? '' : 's'}, trigger ${result.trigger}`;
  const subtitle =
    `${result.topology}: ${result.clients} clients${result.processes > 1 ? ` in ${result.processes} processes` : ''}, ${shape}, ` +
    `db delay ${formatDurationFlag(result.dbDelayMs)}, seed ${result.seed}; origin queries counted by ${result.originSource}${result.interrupted ? '; STOPPED EARLY: partial results' : ''}`;

  const rows = reports.map((r) => [
    r.strategy,
    r.originQueries,
    { text: formatNumber(Number(r.amplification.toFixed(2))), value: r.amplification },
    r.maxPerExpiry,
    r.peakOriginConcurrency,
    msCell(r.latency.p50Ms),
    msCell(r.latency.p95Ms),
    msCell(r.latency.p99Ms),
    msCell(r.latency.maxMs),
    r.requests,
    r.errors,
    r.timeouts,
    r.stale.served,
  ]);
  const sections = [
    section(
      'Per strategy',
      result.openLoop
        ? 'per expiry = origin queries per refresh episode (overlapping fetches of one key)'
        : 'per expiry = origin queries per expiry of the key; ideal 1',
      table(
        ['strategy', 'origin queries', 'per expiry', 'worst', 'peak db', 'p50', 'p95', 'p99', 'max', 'reads', 'errors', 'timeouts', 'stale'],
        rows,
        'strategies',
      ),
    ),
    section(
      'Origin queries per strategy',
      `what reached PostgreSQL over all ${result.openLoop ? 'the run' : 'rounds'} (${result.originSource})`,
      columnChart({
        name: 'origin-queries',
        title: 'origin queries per strategy',
        yLabel: 'origin queries',
        values: reports.map((r) => r.originQueries),
        labels: reports.map((r) => r.strategy),
        colors: reports.map((_, i) => color(i)),
      }),
    ),
    section(
      'Latency distribution',
      'every read, from its intended send time (no coordinated omission); percentile axis as HdrHistogram plots it',
      latencyChart(reports, color),
    ),
  ];
  if (reports.some((r) => r.originTimeline && r.originTimeline.counts.length > 0)) {
    sections.push(
      section(
        'Origin queries over time',
        `cumulative origin queries sent by the clients, by when they started after the release${result.rounds > 1 && !result.openLoop ? ` (all ${result.rounds} rounds added up)` : ''}`,
        timelineChart(reports, color),
      ),
    );
  }
  const warnings = [...result.warnings, ...reports.flatMap((r) => r.warnings.map((w) => `${r.strategy}: ${w}`))];
  if (warnings.length > 0) sections.push(section('Warnings', undefined, `<ul>${warnings.map((w) => `<li>${escText(w)}</li>`).join('')}</ul>`));
  return htmlPage({ title: `cachectl herd: ${what}`, subtitle, sections, data: { kind: 'herd', result: drillData(result) }, generatedAt });
}

function latencyChart(reports: readonly StrategyReport[], color: (i: number) => string): string {
  const series: LineSeries[] = reports.map((r, i) => ({
    name: r.strategy,
    color: color(i),
    points: r.latencyDistribution.map((d) => [percentileX(d.percentile), d.ms] as const),
  }));
  const ticks = [0, 90, 99, 99.9, 99.99, 100].map((p) => ({ at: percentileX(p), label: p === 100 ? 'max' : `${p}%` }));
  return (
    legend(series) +
    lineChart({
      name: 'latency',
      title: 'latency by percentile, per strategy',
      yLabel: 'latency (ms)',
      xLabel: 'percentile',
      series,
      xMin: 0,
      xMax: MAX_AT,
      xTicks: ticks,
    })
  );
}

function timelineChart(reports: readonly StrategyReport[], color: (i: number) => string): string {
  const series: LineSeries[] = reports.map((r, i) => {
    const t = r.originTimeline ?? { bucketMs: 1, counts: [] };
    let sum = 0;
    const points: [number, number][] = [[0, 0]];
    t.counts.forEach((n, j) => {
      sum += n;
      points.push([(j + 1) * t.bucketMs, sum]);
    });
    return { name: r.strategy, color: color(i), points };
  });
  const xMax = Math.max(1, ...series.flatMap((s) => s.points.map((p) => p[0])));
  const ticks = niceTicks(xMax).map((at) => ({ at, label: at === 0 ? 'release' : `+${at < 10 ? `${Number(at.toFixed(1))}ms` : formatDuration(at)}` }));
  return (
    legend(series) +
    lineChart({
      name: 'origin-timeline',
      title: 'cumulative origin queries since the release, per strategy',
      yLabel: 'origin queries',
      xLabel: 'time since the release',
      series,
      xMin: 0,
      xMax: ticks[ticks.length - 1]?.at ?? xMax,
      xTicks: ticks,
      step: true,
    })
  );
}
