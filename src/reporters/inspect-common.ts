/** Pieces every inspect view prints: the instant INFO figures and each node's status. */
import type { ChalkInstance } from 'chalk';
import type { NodeSummary } from '../core/inspect/every-node.js';
import type { NodeFacts } from '../core/inspect/types.js';
import { formatDuration } from '../config/duration.js';
import { formatTable } from './style.js';

/** INFO keyspace: what every node knows before any scan. */
export function renderKeyspace(facts: readonly NodeFacts[], style: ChalkInstance, width?: number): string {
  const rows = facts.map((f) => {
    if (f.problem && !f.keyspace) return [f.name, statusText(f.problem), '-', '-', '-', '-'];
    const k = f.keyspace;
    return [f.name, f.problem ? statusText(f.problem) : 'ok', k?.keys ?? '-', k?.withTtl ?? '-', k?.withoutTtl ?? '-', k ? formatDuration(k.avgTtlMs) : '-'];
  });
  const total = facts.reduce(
    (a, f) => ({ keys: a.keys + (f.keyspace?.keys ?? 0), ttl: a.ttl + (f.keyspace?.withTtl ?? 0), none: a.none + (f.keyspace?.withoutTtl ?? 0) }),
    { keys: 0, ttl: 0, none: 0 },
  );
  if (facts.length > 1) rows.push(['total', '', total.keys, total.ttl, total.none, '']);
  const lines = [style.bold('Instant figures (INFO keyspace)'), formatTable(['node', 'status', 'keys', 'with TTL', 'without TTL', 'avg TTL'], rows, width)];
  const noTouch = [...new Set(facts.map((f) => f.noTouch).filter((v): v is string => Boolean(v)))];
  if (noTouch.length > 0) lines.push(`CLIENT NO-TOUCH: ${noTouch.join('; ')}`);
  return lines.join('\n') + '\n';
}

export function statusText(problem: { status: string; command?: string; message: string } | undefined): string {
  if (!problem) return 'ok';
  if (problem.status === 'refused') return `refused ${problem.command ?? ''}`.trim();
  return problem.status;
}

/** One line per node that did not answer fully, so a partial report says so plainly. */
export function renderProblems(nodes: readonly NodeSummary[], style: ChalkInstance): string {
  const bad = nodes.filter((n) => n.status !== 'ok');
  if (bad.length === 0) return '';
  return (
    bad
      .map((n) => style.red(`! ${n.name}: ${n.status === 'interrupted' ? 'interrupted' : statusText(n.problem)}${n.problem ? `: ${n.problem.message}` : ''}`))
      .join('\n') + '\n'
  );
}

export function ttlText(ms: number | null): string {
  return ms === null ? 'no TTL' : `${ms}ms (${formatDuration(ms)})`;
}

/** `in 42.0s` / `4.0s ago` for a time relative to now. */
export function relative(ms: number): string {
  return ms >= 0 ? `in ${formatDuration(ms)}` : `${formatDuration(-ms)} ago`;
}
