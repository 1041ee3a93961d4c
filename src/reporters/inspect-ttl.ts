/** `inspect ttl` as text: per-node totals, the TTL histogram, expiry cliffs, sample keys without TTL. */
import type { ChalkInstance } from 'chalk';
import type { KeyRow, TtlReport } from '../core/inspect/ttl.js';
import { formatDuration } from '../config/duration.js';
import type { Writable } from '../io.js';
import { relative, renderProblems, statusText, ttlText } from './inspect-common.js';
import { formatTable } from './style.js';

export function renderTtl(report: TtlReport, style: ChalkInstance): string {
  const out: string[] = [];
  const what = report.source === 'scan' ? `SCAN MATCH ${report.match}` : 'keys by name';
  out.push(style.bold(`TTLs (${what}, ${report.nodes.length} node${report.nodes.length === 1 ? '' : 's'}, ${formatDuration(report.durationMs)})`));
  const t = report.totals;
  const rows = report.nodes.map((n) => [n.name, statusText(n.problem) + (n.status === 'interrupted' ? ' (interrupted)' : ''), n.keys, n.withTtl, n.noTtl, n.vanished]);
  if (report.nodes.length > 1) rows.push(['total', '', t.keys, t.withTtl, t.noTtl, t.vanished]);
  out.push(formatTable(['node', 'status', 'keys', 'with TTL', 'no TTL', 'vanished'], rows));
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
    ),
  );
  out.push('');
  out.push(style.bold('Expiry cliffs (busiest one-second windows, absolute expiry times, per node)'));
  if (report.cliffs.length === 0) out.push('none: no one-second window in which several keys expire');
  else
    out.push(
      formatTable(
        ['node', 'window (UTC)', 'when', 'keys'],
        report.cliffs.map((c) => [c.node, new Date(c.startMs).toISOString().replace('.000Z', 'Z'), relative(c.inMs), c.keys]),
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

/** Per-key rows, streamed: widths from the first rows, then fixed. */
export class KeyRowWriter {
  private buffered: KeyRow[] = [];
  private widths: number[] | undefined;

  constructor(
    private readonly stream: Writable,
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
    this.widths = HEADER.map((_, i) => Math.max(...all.map((r) => (r[i] as string).length)));
    for (const r of all) this.line(r);
    this.buffered = [];
  }

  private line(r: string[]): void {
    this.stream.write(r.map((c, i) => c.padEnd(this.widths?.[i] ?? 0)).join('  ').trimEnd() + '\n');
  }
}

const HEADER = ['key', 'node', 'type', 'TTL', 'stale copy'];

function cells(row: KeyRow): string[] {
  const stale = row.stale === null ? 'n/a' : row.stale.exists ? ttlText(row.stale.ttlMs) : '-';
  if (row.problem) return [row.key, row.node, '?', row.problem, stale];
  if (row.missing) return [row.key, row.node, '-', 'missing', stale];
  return [row.key, row.node, row.type ?? '?', ttlText(row.ttlMs), stale];
}
