/**
 * The report pages of `inspect ttl` and the overview: the TTL histogram and the cluster-wide
 * expiry timeline with its cliffs marked, next to the tables the terminal shows. Built from the
 * report --json prints.
 */
import type { OverviewReport } from '../../core/inspect/overview.js';
import type { TtlReport } from '../../core/inspect/ttl.js';
import type { ClusterWindow } from '../../core/inspect/cluster-cliffs.js';
import { formatDuration } from '../../config/duration.js';
import { esc } from './escape.js';
import { htmlPage, section, table, formatNumber } from './page.js';
import { columnChart } from './svg.js';

const utc = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
/** Bucket labels on the UTC clock: to the minute for buckets of a minute or more, else to the second. */
const clock = (ms: number, bucketMs: number) => new Date(ms).toISOString().slice(11, bucketMs >= 60_000 ? 16 : 19);
const when = (ms: number) => (Math.abs(ms) < 500 ? 'now' : ms > 0 ? `+${formatDuration(ms)}` : `-${formatDuration(-ms)}`);
const split = (w: ClusterWindow) => w.nodes.map((n) => `${n.node} ${n.keys}`).join(', ');

/** The TTL report as the page's data: what --json has, without per-key rows (those can be many). */
function ttlData(report: TtlReport): Omit<TtlReport, 'rows'> {
  const { rows: _rows, ...rest } = report;
  return rest;
}

export function ttlSections(report: TtlReport): string[] {
  const t = report.totals;
  const nodeRows = report.nodes.map((n) => [n.name, n.status, n.keys, n.withTtl, n.noTtl]);
  if (report.nodes.length > 1) nodeRows.push(['total', '', t.keys, t.withTtl, t.noTtl]);
  const out = [
    section(
      'Keys per node',
      report.source === 'scan' ? `SCAN MATCH ${report.match ?? '*'}` : 'keys by name',
      table(['node', 'status', 'keys', 'with TTL', 'no TTL'], nodeRows, 'nodes'),
    ),
    section(
      'TTL histogram',
      `keys with a TTL (${formatNumber(t.withTtl)}) by time left, log scale`,
      columnChart({
        name: 'ttl-histogram',
        title: 'keys by remaining TTL',
        yLabel: 'keys',
        xLabel: 'TTL left',
        values: report.histogram.map((b) => b.keys),
        labels: report.histogram.map((b) => b.bucket),
      }),
    ),
  ];
  const c = report.clusterCliffs;
  const tl = c.timeline;
  if (tl) {
    const markers = c.windows
      .map((w) => ({ index: Math.floor((w.startMs - tl.startMs) / tl.bucketMs), label: `${utc(w.startMs)} (${split(w)})`, value: w.keys }))
      .filter((m) => m.index >= 0 && m.index < tl.keys.length);
    out.push(
      section(
        'Expiry cliffs, all nodes together',
        `keys expiring per ${formatDuration(tl.bucketMs)} from ${utc(tl.startMs)}, every node's expiries on the local clock; red marks: the busiest one-second windows${tl.later > 0 ? `; ${formatNumber(tl.later)} keys expire after the chart's end` : ''}`,
        columnChart({
          name: 'cliff-timeline',
          title: 'cluster-wide expiries over time',
          yLabel: 'keys expiring',
          xLabel: `time (UTC${tl.bucketMs >= 86_400_000 ? ', from ' + utc(tl.startMs).slice(0, 10) : ''}); now is ${clock(tl.nowMs, 1000)}`,
          values: tl.keys,
          labels: tl.keys.map((_, i) =>
            tl.bucketMs >= 86_400_000 ? `+${i * Math.round(tl.bucketMs / 86_400_000)}d` : clock(tl.startMs + i * tl.bucketMs, tl.bucketMs),
          ),
          colors: ['#5b7db8'],
          markers,
        }),
      ),
    );
  }
  const spans = [c.busiest10s, c.busiest60s].filter((w): w is ClusterWindow => w !== null);
  out.push(
    section(
      'Busiest windows',
      c.exact ? undefined : 'counts are lower bounds: expiries spread over too many seconds to count each one',
      c.windows.length === 0 && spans.length === 0
        ? '<p>none: no one-second window in which several keys expire</p>'
        : table(
            ['window (UTC)', 'length', 'when', 'keys', 'per node'],
            [...c.windows, ...spans].map((w) => [utc(w.startMs), formatDuration(w.spanMs), when(w.inMs), w.keys, split(w)]),
            'cliffs',
          ),
    ),
  );
  if (report.noTtlSample.length > 0) {
    out.push(
      section(
        `Keys without TTL (${formatNumber(t.noTtl)}; first ${report.noTtlSample.length})`,
        undefined,
        `<ul class="keys">${report.noTtlSample.map((k) => `<li><code>${esc(k)}</code></li>`).join('')}</ul>`,
      ),
    );
  }
  return out;
}

export function ttlPage(report: TtlReport, generatedAt = new Date()): string {
  return htmlPage({
    title: 'cachectl inspect ttl',
    subtitle: `${report.topology}, ${report.nodes.length} node${report.nodes.length === 1 ? '' : 's'}, ${formatNumber(report.totals.keys)} keys, scanned in ${formatDuration(report.durationMs)}`,
    sections: ttlSections(report),
    data: { kind: 'ttl', report: ttlData(report) },
    generatedAt,
  });
}

export function overviewPage(report: OverviewReport, generatedAt = new Date()): string {
  const verdicts =
    report.verdicts.length === 0
      ? '<p>nothing to report</p>'
      : `<ul class="verdicts">${report.verdicts.map((v) => `<li class="sev-${esc(v.severity)}" data-kind="${esc(v.kind)}" data-value="${esc(v.value)}">${esc(v.severity.toUpperCase())}: ${esc(v.text)}</li>`).join('')}</ul>`;
  const nodes = table(
    ['node', 'status', 'role', 'keys', 'memory used', 'maxmemory', 'hit ratio', 'evicted'],
    report.nodes.nodes.map((n) => [
      n.name,
      n.status,
      n.role ?? '-',
      n.keyspace?.keys ?? 0,
      n.usedMemory === null ? '-' : { text: `${formatNumber(Math.round(n.usedMemory / 1024 / 1024))} MiB`, value: n.usedMemory },
      n.maxMemory === null || n.maxMemory === 0 ? '-' : { text: `${formatNumber(Math.round(n.maxMemory / 1024 / 1024))} MiB`, value: n.maxMemory },
      n.hitRatio === null ? '-' : { text: `${(n.hitRatio * 100).toFixed(1)}%`, value: n.hitRatio },
      n.evictedKeys ?? '-',
    ]),
    'health',
  );
  return htmlPage({
    title: 'cachectl inspect',
    subtitle: `${report.topology}, ${report.nodes.nodes.length} node${report.nodes.nodes.length === 1 ? '' : 's'}, one scan pass in ${formatDuration(report.durationMs)}`,
    sections: [section('Verdicts', 'most severe first', verdicts), section('Nodes', undefined, nodes), ...ttlSections(report.ttl)],
    data: { kind: 'overview', report: { ...report, ttl: ttlData(report.ttl) } },
    generatedAt,
  });
}
