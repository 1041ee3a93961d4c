/** Text output of the pattern views: stampede counters, locks, stale copies. */
import type { ChalkInstance } from 'chalk';
import type { LocksReport } from '../core/inspect/locks.js';
import type { StaleReport } from '../core/inspect/stale.js';
import type { StampedeReport } from '../core/inspect/stampede.js';
import { formatDuration } from '../config/duration.js';
import { renderProblems, statusText } from './inspect-common.js';
import { formatTable } from './style.js';

const ttl = (ms: number | null) => (ms === null ? 'no TTL' : formatDuration(ms));
const perNode = (
  nodes: readonly { name: string; problem?: { status: string; command?: string; message: string } }[],
  counts: number[],
  what: string,
  width?: number,
) =>
  formatTable(
    ['node', 'status', what],
    nodes.map((n, i) => [n.name, statusText(n.problem), counts[i] ?? 0]),
    width,
  );

export function renderStampede(r: StampedeReport, style: ChalkInstance, width?: number): string {
  const t = r.totals;
  const out = [
    style.bold(`Stampede counters (${r.prefix}*, threshold ${r.threshold}, window ${formatDuration(r.windowMs)}, ${formatDuration(r.durationMs)})`),
    perNode(
      r.nodes,
      r.nodes.map((n) => n.counters),
      'counters',
      width,
    ),
    `counters: ${t.counters}; above threshold: ${t.hot}; leaked (no TTL): ${t.leaked}; sliding (TTL > window): ${t.sliding}; highest: ${t.maxCount}` +
      (t.notCounters > 0 ? `; not counters: ${t.notCounters} (e.g. ${r.notCountersSample.slice(0, 3).join(', ')})` : ''),
  ];
  const table = (title: string, rows: StampedeReport['top']) => {
    if (rows.length === 0) return;
    out.push(
      '',
      style.bold(title),
      formatTable(
        ['key', 'node', 'count', 'TTL', 'flags'],
        rows.map((c) => [c.key, c.node, c.count, ttl(c.ttlMs), c.flags.join(' ') || '-']),
        width,
      ),
    );
  };
  table('Highest counts', r.top);
  table('Leaked: no TTL, never reset (INCR then crash before EXPIRE)', r.leaked);
  table(`Sliding: TTL longer than the ${formatDuration(r.windowMs)} window (EXPIRE re-armed on every hit)`, r.sliding);
  const problems = renderProblems(r.nodes, style);
  if (problems) out.push('', problems.trimEnd());
  return out.join('\n') + '\n';
}

export function renderLocks(r: LocksReport, style: ChalkInstance, width?: number): string {
  const t = r.totals;
  const out = [
    style.bold(`Locks (${r.prefix}*, max age ${formatDuration(r.maxAgeMs)}, ${formatDuration(r.durationMs)})`),
    perNode(
      r.nodes,
      r.nodes.map((n) => n.locks),
      'locks',
      width,
    ),
    `locks: ${t.locks}; stuck (no TTL): ${t.stuck}; held longer than ${formatDuration(r.maxAgeMs)}: ${t.old}; age unknown: ${t.ageUnknown}`,
  ];
  if (r.top.length > 0) {
    out.push(
      '',
      style.bold('Locks, flagged first, oldest first'),
      formatTable(
        ['key', 'node', 'TTL', 'held for', 'age from', 'flags', 'value'],
        r.top.map((l) => [
          l.key,
          l.node,
          ttl(l.ttlMs),
          l.ageMs === null ? '?' : `${l.ageFrom === 'idle' ? '>= ' : ''}${formatDuration(l.ageMs)}`,
          l.ageFrom,
          l.flags.join(' ') || '-',
          l.value === undefined ? '(not read)' : l.value.slice(0, 40),
        ]),
        width,
      ),
    );
  }
  if (r.nodes.some((n) => !n.valuesRead))
    out.push('(values not read where CLIENT NO-TOUCH is not available, so as not to reset idle times; --lock-values reads them)');
  const problems = renderProblems(r.nodes, style);
  if (problems) out.push('', problems.trimEnd());
  return out.join('\n') + '\n';
}

export function renderStale(r: StaleReport, style: ChalkInstance, width?: number): string {
  const t = r.totals;
  const out = [
    style.bold(`Stale copies (*${r.suffix}, ${formatDuration(r.durationMs)})`),
    perNode(
      r.nodes,
      r.nodes.map((n) => n.copies),
      'copies',
      width,
    ),
    `copies: ${t.copies}; serving now (primary gone): ${t.serving}; standby: ${t.standby}; die before their primary: ${t['dies-first']}; ` +
      `no TTL: ${t['no-ttl']}; primary without TTL: ${t['primary-no-ttl']}` +
      (t.primaryUnknown > 0 ? `; primary unknown (its node did not answer): ${t.primaryUnknown}` : ''),
    '',
    style.bold('Window left (how long each copy still covers for its primary)'),
    formatTable(
      ['window left', 'copies'],
      r.windows.map((b) => [b.bucket, b.keys]),
      width,
    ),
  ];
  const table = (title: string, rows: StaleReport['serving']) => {
    if (rows.length === 0) return;
    out.push(
      '',
      style.bold(title),
      formatTable(
        ['key', 'node', 'state', 'stale TTL', 'primary', 'primary TTL', 'window left'],
        rows.map((s) => [
          s.key,
          s.node,
          s.state,
          ttl(s.staleTtlMs),
          s.primaryNode,
          s.state === 'serving' ? 'gone' : ttl(s.primaryTtlMs),
          s.windowLeftMs === null ? 'unbounded' : formatDuration(Math.max(0, s.windowLeftMs)),
        ]),
        width,
      ),
    );
  };
  table('Serving now, least window left first', r.serving);
  table('Problems: no TTL, or dies before its primary', r.problems);
  const problems = renderProblems(r.nodes, style);
  if (problems) out.push('', problems.trimEnd());
  return out.join('\n') + '\n';
}
