/** `inspect ttl` as text: per-node totals, the TTL histogram, expiry cliffs, sample keys without TTL. */
import type { ChalkInstance } from 'chalk';
import type { ClusterCliffs, ClusterWindow } from '../core/inspect/cluster-cliffs.js';
import type { KeyRow, TtlReport } from '../core/inspect/ttl.js';
import { formatDuration } from '../config/duration.js';
import type { Output } from './output.js';
import { relative, renderProblems, statusText, ttlText } from './inspect-common.js';
import { fitCell, fitWidths, formatTable } from './style.js';

export function renderTtl(report: TtlReport, style: ChalkInstance, width?: number): string {
  const out: string[] = [];
  const what = report.source === 'scan' ? `SCAN MATCH ${report.match}` : 'keys by name';
  out.push(style.bold(`TTLs (${what}, ${report.nodes.length} node${report.nodes.length === 1 ? '' : 's'}, ${formatDuration(report.durationMs)})`));
  const t = report.totals;
  const rows = report.nodes.map((n) => [
    n.name,
    statusText(n.problem) + (n.status === 'interrupted' ? ' (interrupted)' : ''),
    n.keys,
    n.withTtl,
    n.noTtl,
    n.vanished,
  ]);
  if (report.nodes.length > 1) rows.push(['total', '', t.keys, t.withTtl, t.noTtl, t.vanished]);
  out.push(formatTable(['node', 'status', 'keys', 'with TTL', 'no TTL', 'vanished'], rows, width));
  if (report.source === 'keys') out.push(`missing: ${t.missing}${t.unanswered > 0 ? `, unanswered (node down or refused): ${t.unanswered}` : ''}`);
  const types = Object.entries(t.types).sort((a, b) => b[1] - a[1]);
  if (types.length > 0) out.push(`types: ${types.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  out.push('');
  out.push(style.bold('TTL histogram (log scale)'));
  const withTtl = t.withTtl || 1;
  out.push(
    formatTable(
      ['TTL', 'keys', 'share', ''],
      report.histogram.map((b) => [b.bucket, b.keys, `${((b.keys / withTtl) * 100).toFixed(1)}%`, '#'.repeat(Math.round((b.keys / withTtl) * 40))]),
      width,
    ),
  );
  out.push('');
  out.push(renderClusterCliffs(report.clusterCliffs, report.nodes.length, style, width));
  out.push('');
  out.push(style.bold('Expiry cliffs per node (busiest one-second windows, absolute expiry times, each node on its own clock)'));
  if (report.cliffs.length === 0) out.push('none: no one-second window in which several keys expire');
  else
    out.push(
      formatTable(
        ['node', 'window (UTC)', 'when', 'keys'],
        report.cliffs.map((c) => [c.node, utc(c.startMs), relative(c.inMs), c.keys]),
        width,
      ),
    );
  const inexact = report.nodes.filter((n) => !n.cliffsExact).map((n) => n.name);
  if (inexact.length > 0) out.push(`(cliff counts are lower bounds on ${inexact.join(', ')}: expiries spread over too many seconds to count each one)`);
  if (report.noTtlSample.length > 0) {
    out.push('');
    out.push(style.bold(`Keys without TTL (${t.noTtl}; first ${report.noTtlSample.length})`));
    out.push(report.noTtlSample.join('\n'));
  }
  const problems = renderProblems(report.nodes, style);
  if (problems) out.push('', problems.trimEnd());
  return out.join('\n') + '\n';
}

const utc = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

/** What the database sees: every node's expiries added up per second, then per 10 s and 60 s. */
export function renderClusterCliffs(c: ClusterCliffs, nodes: number, style: ChalkInstance, width?: number): string {
  const out = [style.bold(`Expiry cliffs, all ${nodes} node${nodes === 1 ? '' : 's'} together (busiest one-second windows, clocks corrected)`)];
  const split = (w: ClusterWindow) => w.nodes.map((n) => `${n.node} ${n.keys}`).join(', ');
  if (c.windows.length === 0) out.push('none: no one-second window in which several keys expire');
  else
    out.push(
      formatTable(
        ['window (UTC)', 'when', 'keys', 'per node'],
        c.windows.map((w) => [utc(w.startMs), relative(w.inMs), w.keys, split(w)]),
        width,
      ),
    );
  for (const w of [c.busiest10s, c.busiest60s]) {
    if (w) out.push(`busiest ${w.spanMs / 1000}s: ${w.keys} keys from ${utc(w.startMs)} (${relative(w.inMs)}); ${split(w)}`);
  }
  const clocks = c.clock.map(
    (k) => `${k.node} ${k.offsetMs === null ? '?' : `${signedMs(k.offsetMs)} ±${k.uncertaintyMs}ms${k.appliedMs !== 0 ? ' (corrected)' : ''}`}`,
  );
  if (clocks.length > 0)
    out.push(
      `clock offsets (node TIME - local clock): ${clocks.join(', ')}${c.clock.every((k) => k.appliedMs === 0) ? '; all within measurement error, none applied' : ''}`,
    );
  if (!c.exact) out.push('(cluster-wide counts are lower bounds: expiries spread over too many seconds to count each one)');
  return out.join('\n');
}

const signedMs = (n: number) => `${n >= 0 ? '+' : ''}${n}ms`;

/** Per-key rows, streamed: widths from the first rows, then fixed. */
export class KeyRowWriter {
  private buffered: KeyRow[] = [];
  private widths: number[] | undefined;

  constructor(
    private readonly out: Output,
    private readonly bufferRows = 200,
  ) {}

  write(row: KeyRow): void {
    if (this.widths) return this.line(cells(row));
    this.buffered.push(row);
    if (this.buffered.length >= this.bufferRows) this.flush();
  }

  flush(): void {
    if (this.widths) return;
    const all = [HEADER, ...this.buffered.map(cells)];
    // On a terminal the key and the other text columns are cut to fit its width; rows that come
    // later and are longer than the first ones are cut to the same widths (a pipe gets them whole).
    this.widths = fitWidths(
      HEADER,
      HEADER.map((_, i) => Math.max(...all.map((r) => (r[i] as string).length))),
      this.out.width,
    );
    for (const r of all) this.line(r);
    this.buffered = [];
  }

  /** The rows end with a blank line, before the report. */
  end(): void {
    this.flush();
    this.out.result('\n');
  }

  private line(r: string[]): void {
    const fit = this.out.width !== undefined;
    this.out.result(
      r
        .map((c, i) => (fit ? fitCell(c, this.widths?.[i] ?? 0) : c).padEnd(this.widths?.[i] ?? 0))
        .join('  ')
        .trimEnd() + '\n',
    );
  }
}

const HEADER = ['key', 'node', 'type', 'TTL', 'stale copy'];

function cells(row: KeyRow): string[] {
  const stale = row.stale === null ? 'n/a' : row.stale.exists ? ttlText(row.stale.ttlMs) : '-';
  if (row.problem) return [row.key, row.node, '?', row.problem, stale];
  if (row.missing) return [row.key, row.node, '-', 'missing', stale];
  return [row.key, row.node, row.type ?? '?', ttlText(row.ttlMs), stale];
}
