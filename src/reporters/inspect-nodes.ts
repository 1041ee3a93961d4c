/** `inspect nodes` as text: one row per node, health first. */
import type { ChalkInstance } from 'chalk';
import type { NodesReport } from '../core/inspect/nodes.js';
import { renderProblems, statusText } from './inspect-common.js';
import { formatBytes, formatTable } from './style.js';

export function renderNodes(report: NodesReport, style: ChalkInstance, width?: number): string {
  const cluster = report.topology === 'cluster';
  const ring = report.topology === 'ring';
  const header = ['node', 'status', 'role', 'keys', 'with TTL', 'no TTL', 'memory', 'max', 'policy', 'hit ratio', 'evicted', 'expired', 'ops/s', 'clients'];
  if (cluster) header.push('slots', 'replicas');
  if (ring) header.push('ring share');
  const dash = (v: number | null | undefined) => (v === null || v === undefined ? '-' : v);
  const rows = report.nodes.map((n) => {
    const row: (string | number)[] = [
      n.name,
      statusText(n.problem),
      n.role ?? '-',
      dash(n.keyspace?.keys),
      dash(n.keyspace?.withTtl),
      dash(n.keyspace?.withoutTtl),
      n.usedMemory === null ? '-' : formatBytes(n.usedMemory),
      n.maxMemory === null ? '-' : n.maxMemory === 0 ? 'none' : formatBytes(n.maxMemory),
      n.evictionPolicy ?? '-',
      n.hitRatio === null ? '-' : `${(n.hitRatio * 100).toFixed(1)}%`,
      dash(n.evictedKeys),
      dash(n.expiredKeys),
      dash(n.opsPerSec),
      dash(n.clients),
    ];
    if (cluster) row.push(n.slots ?? 0, n.replicas && n.replicas.length > 0 ? n.replicas.join(' ') : '-');
    if (ring) row.push(n.ringShare === undefined ? '-' : `${(n.ringShare * 100).toFixed(2)}%`);
    return row;
  });
  const out = [style.bold(`Nodes (${report.topology}, ${report.nodes.length})`), formatTable(header, rows, width)];
  const t = report.totals;
  out.push(
    `total: ${t.keys} keys, ${t.withTtl} with TTL, ${t.withoutTtl} without; ${formatBytes(t.usedMemory)} used; ${t.down} down, ${t.refused} refusing commands`,
  );
  if (report.uncoveredSlots) out.push(style.red(`! ${report.uncoveredSlots} slots are served by no master`));
  const noTouch = [...new Set(report.nodes.map((n) => n.noTouch).filter(Boolean))];
  if (noTouch.length > 0) out.push(`CLIENT NO-TOUCH: ${noTouch.join('; ')}`);
  const problems = renderProblems(report.nodes, style);
  if (problems) out.push(problems.trimEnd());
  return out.join('\n') + '\n';
}
